"""The teaching texts in English and Simplified Chinese, and the choice between them.

Only the teaching texts are translated (``explain``, the Accept steps, the demo, the
classroom page); everything else wsdebug prints stays English.  :func:`pick_lang` takes
``--lang en|zh`` first, then the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``zh*`` is
Chinese), else English.  :func:`tr` looks a text up by key and fills in its numbers.

The Chinese is written for learners, with the usual terms: 帧 (frame), 掩码 (mask),
掩码键 (masking key), 操作码 (opcode), 负载 (payload), 负载长度 (payload length),
握手 (handshake), 分片 (fragment), 关闭码 (close code).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LANGS = ("en", "zh")


def pick_lang(option: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``option`` if given (``en`` or ``zh``; ValueError otherwise), else the locale's."""
    if option is not None:
        lang = option.strip().lower().replace("_", "-")
        if lang in ("zh-cn", "zh-hans", "cn"):
            lang = "zh"
        if lang not in LANGS:
            raise ValueError(f"lang must be en or zh, not {option!r}")
        return lang
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def tr(lang: str, key: str, /, **values: object) -> str:
    """The text ``key`` in ``lang`` (English if missing), with ``values`` filled in."""
    text = TEXTS.get(lang, TEXTS["en"]).get(key) or TEXTS["en"][key]
    return text.format(**values) if values else text


OPCODES_ZH = {
    0x0: "延续帧(接着上一个分片)",
    0x1: "文本帧(负载是 UTF-8 文本)",
    0x2: "二进制帧(负载是任意字节)",
    0x8: "关闭帧(开始关闭连接)",
    0x9: "Ping 帧(心跳探测,对方应回 Pong)",
    0xA: "Pong 帧(对 Ping 的回应)",
}
OPCODES_EN = {
    0x0: "continuation frame (carries on the previous fragment)",
    0x1: "text frame (the payload is UTF-8 text)",
    0x2: "binary frame (the payload is any bytes)",
    0x8: "close frame (starts closing the connection)",
    0x9: "ping (a heartbeat; the peer answers with a pong)",
    0xA: "pong (the answer to a ping)",
}

CLOSE_CODES_ZH = {
    1000: "正常关闭",
    1001: "离开(如页面关闭、服务器下线)",
    1002: "协议错误",
    1003: "不支持的数据类型",
    1005: "没有收到关闭码(不得出现在帧里)",
    1006: "连接异常断开(不得出现在帧里)",
    1007: "负载数据无效(如文本不是合法的 UTF-8)",
    1008: "违反策略",
    1009: "消息太大",
    1010: "缺少必需的扩展",
    1011: "服务器内部错误",
    1012: "服务重启",
    1013: "请稍后再试",
    1014: "网关错误",
    1015: "TLS 握手失败(不得出现在帧里)",
}


def opcode_text(lang: str, raw: int) -> str:
    names = OPCODES_ZH if lang == "zh" else OPCODES_EN
    if raw in names:
        return names[raw]
    control = raw >= 0x8
    if lang == "zh":
        return "保留的" + ("控制帧" if control else "数据帧") + "操作码,尚未定义"
    return f"reserved for future {'control' if control else 'non-control'} frames"


def close_code_text(lang: str, code: int) -> str:
    from ..codec.spec import close_code_meaning

    if lang == "zh":
        if code in CLOSE_CODES_ZH:
            return CLOSE_CODES_ZH[code]
        if 3000 <= code < 4000:
            return "在 IANA 注册的、供库和框架使用的关闭码"
        if 4000 <= code < 5000:
            return "应用自定义的关闭码"
        return "未定义或不允许使用的关闭码"
    return close_code_meaning(code)


_EN = {
    "frame.title": "Frame {n}: {size} bytes, {who}",
    "who.client": "sent by the client",
    "who.server": "sent by the server",
    "who.unknown": "sender not given (--from client|server checks the masking)",
    "b0.title": "Byte 0 = 0x{byte:02x} = {bits}: FIN, RSV1-3 and the opcode",
    "b0.fin1": "FIN, the highest bit, is 1: this is the final frame of its message.",
    "b0.fin0": "FIN, the highest bit, is 0: more fragments of this message follow.",
    "b0.rsv0": "RSV1, RSV2, RSV3, the next three bits, are {rsv}: no extension is in use.",
    "b0.rsv1": "RSV1, RSV2, RSV3, the next three bits, are {rsv}: RSV1 set means a compressed "
    "message (permessage-deflate); without that extension it is an error.",
    "b0.rsvx": "RSV1, RSV2, RSV3, the next three bits, are {rsv}: a set bit needs an extension "
    "that defines it.",
    "b0.op": "The opcode, the low four bits (byte 0 & 0x0F), is {opbits} = 0x{op:X}: {meaning}.",
    "b1.title": "Byte 1 = 0x{byte:02x} = {bits}: MASK and the 7-bit payload length",
    "b1.mask1": "MASK, the highest bit, is 1: the payload is masked with a 4-byte key "
    "(a client masks every frame it sends).",
    "b1.mask0": "MASK, the highest bit, is 0: the payload is not masked "
    "(a server never masks its frames).",
    "b1.len": "The low seven bits (byte 1 & 127 = 0x{byte:02x} & 0x7F) are {lenbits} = {len7}.",
    "b1.cases": "Three cases: 0-125 is the length itself; 126 means the length is in the next "
    "2 bytes; 127 means it is in the next 8 bytes.",
    "b1.case7": "{len7} ≤ 125: the first case. The payload is {n} bytes; no extended length.",
    "b1.case16": "126: the second case. The length is in bytes 2-3, a 16-bit number.",
    "b1.case64": "127: the third case. The length is in bytes 2-9, a 64-bit number.",
    "ext.title": "Bytes {a}-{b}: the extended payload length",
    "ext.body": "{hex} read as one big-endian number: 0x{value:X} = {value} bytes of payload.",
    "key.title": "Bytes {a}-{b}: the masking key",
    "key.body": "The key is {hex}. Payload byte i is XORed with key[i % 4], i = 0, 1, 2, ...",
    "nokey.title": "No masking key",
    "nokey.body": "MASK is 0, so the payload starts right after the length, at byte {a}.",
    "xor.title": "Bytes {a}-{b}: unmasking the payload, byte by byte",
    "xor.example": "For example the first byte: 0x{m:02x} XOR 0x{k:02x} = {mb} ⊕ {kb} = {rb} "
    "= 0x{r:02x}.",
    "xor.more": "… and {rest} more bytes, the same way.",
    "xor.head": "i|masked|key[i % 4]|XOR",
    "plain.title": "Bytes {a}-{b}: the payload (not masked)",
    "plain.body": "Sent in the clear: the bytes are the payload as they are, no XOR needed.",
    "empty.title": "No payload",
    "empty.body": "The length is 0: the frame ends after its header.",
    "utf8.title": "The payload as UTF-8 text",
    "utf8.rule": "The first byte of each character says how many bytes it takes: 0xxxxxxx one, "
    "110xxxxx two, 1110xxxx three, 11110xxx four; 10xxxxxx continues a character.",
    "utf8.head": "bytes|character|code point",
    "utf8.more": "… and {rest} more characters.",
    "utf8.text": "The text: {text}",
    "utf8.partial": "These bytes are not whole UTF-8 text on their own: this frame is one "
    "fragment of a message, and a character may be split between frames.",
    "utf8.bad": "These bytes are not valid UTF-8: a receiver must fail the connection (1007).",
    "deflate.title": "A compressed payload (permessage-deflate, RFC 7692)",
    "deflate.none": "RSV1 is 1: the payload is compressed. Add --deflate to inflate it "
    "(the message's first frame carries RSV1; its last frame completes it).",
    "deflate.body": "RSV1 is 1: the {n} payload bytes are compressed; inflated, the message "
    "is {m} bytes.",
    "binary.title": "The payload as binary data",
    "binary.body": "Opcode 0x{op:X}: the payload is bytes, not text: {hex}",
    "control.title": "The control frame's data",
    "control.body": "{n} bytes: {hex}",
    "close.title": "The close frame's payload: code and reason",
    "close.code": "The first two bytes, {hex}, are the close code, big-endian: {code} = {meaning}.",
    "close.reason": "The rest is the reason, UTF-8: {reason}",
    "close.noreason": "No reason follows the code.",
    "close.empty": "The payload is empty: no close code (the receiver reports 1005).",
    "checks.title": "The checks",
    "checks.ok": "Every rule of RFC 6455 holds for this frame.",
    "checks.bad": "This frame breaks {n} rule(s):",
    "checks.item": "✗ byte {offset}: {message} ({rfc})",
    "incomplete": "The input ends inside a frame: {need} more byte(s) are needed.",
    "nothing": "No frame in the input.",
    "accept.title": "Computing Sec-WebSocket-Accept (RFC 6455 §4.2.2)",
    "accept.s1": "The client's key (Sec-WebSocket-Key): 16 random bytes, base64-encoded",
    "accept.s2": "Append the fixed GUID from RFC 6455",
    "accept.s3": "SHA-1 of that string: a 20-byte digest (shown in hex)",
    "accept.s4": "Base64 of the 20 digest bytes (not of the hex text) is the answer",
    "accept.s5": "The server sends it in its 101 response; the client computes the same value "
    "and compares, so it knows the server really speaks WebSocket.",
    "accept.bad": "✗ The key is not valid: {problem} (RFC 6455 §4.1)",
}

_ZH = {
    "frame.title": "第 {n} 帧:共 {size} 字节,{who}",
    "who.client": "由客户端发送",
    "who.server": "由服务器发送",
    "who.unknown": "未说明发送方(加 --from client|server 可检查掩码)",
    "b0.title": "字节 0 = 0x{byte:02x} = {bits}:FIN、RSV1-3 和操作码",
    "b0.fin1": "最高位 FIN 是 1:这是消息的最后一帧。",
    "b0.fin0": "最高位 FIN 是 0:这条消息后面还有分片。",
    "b0.rsv0": "接下来的三位 RSV1、RSV2、RSV3 是 {rsv}:没有使用扩展。",
    "b0.rsv1": "接下来的三位 RSV1、RSV2、RSV3 是 {rsv}:RSV1 为 1 表示消息经过压缩"
    "(permessage-deflate);没有协商这个扩展时就是错误。",
    "b0.rsvx": "接下来的三位 RSV1、RSV2、RSV3 是 {rsv}:只有协商了定义它们的扩展才能置 1。",
    "b0.op": "低四位是操作码(字节 0 & 0x0F):{opbits} = 0x{op:X},{meaning}。",
    "b1.title": "字节 1 = 0x{byte:02x} = {bits}:MASK 和 7 位负载长度",
    "b1.mask1": "最高位 MASK 是 1:负载用 4 字节的掩码键做了掩码(客户端发出的每一帧都必须加掩码)。",
    "b1.mask0": "最高位 MASK 是 0:负载没有掩码(服务器发出的帧从不加掩码)。",
    "b1.len": "低七位(字节 1 & 127,即 0x{byte:02x} & 0x7F)是 {lenbits} = {len7}。",
    "b1.cases": "分三种情况:0-125 就是负载长度本身;126 表示长度在后面 2 个字节里;"
    "127 表示长度在后面 8 个字节里。",
    "b1.case7": "{len7} ≤ 125,属于第一种情况:负载长度就是 {n} 字节,没有扩展长度。",
    "b1.case16": "126,属于第二种情况:长度在字节 2-3,是一个 16 位的数。",
    "b1.case64": "127,属于第三种情况:长度在字节 2-9,是一个 64 位的数。",
    "ext.title": "字节 {a}-{b}:扩展负载长度",
    "ext.body": "把 {hex} 按大端序读成一个数:0x{value:X} = {value},负载共 {value} 字节。",
    "key.title": "字节 {a}-{b}:掩码键",
    "key.body": "掩码键是 {hex}。负载的第 i 个字节与 key[i % 4] 做异或(XOR),i 从 0 开始。",
    "nokey.title": "没有掩码键",
    "nokey.body": "MASK 是 0,所以负载紧跟在长度后面,从字节 {a} 开始。",
    "xor.title": "字节 {a}-{b}:逐字节去掉负载的掩码",
    "xor.example": "以第一个字节为例:0x{m:02x} XOR 0x{k:02x} = {mb} ⊕ {kb} = {rb} = 0x{r:02x}。",
    "xor.more": "…… 其余 {rest} 个字节照此计算。",
    "xor.head": "i|掩码后|key[i % 4]|异或结果",
    "plain.title": "字节 {a}-{b}:负载(没有掩码)",
    "plain.body": "明文发送:这些字节就是负载本身,不需要做异或。",
    "empty.title": "没有负载",
    "empty.body": "负载长度为 0:帧头结束,这一帧也就结束了。",
    "utf8.title": "把负载按 UTF-8 解码成文本",
    "utf8.rule": "每个字符的第一个字节说明它占几个字节:0xxxxxxx 占 1 个,110xxxxx 占 2 个,"
    "1110xxxx 占 3 个,11110xxx 占 4 个;10xxxxxx 是字符的后续字节。常用汉字在 UTF-8 里占 3 个字节。",
    "utf8.head": "字节|字符|码点",
    "utf8.more": "…… 其余 {rest} 个字符从略。",
    "utf8.text": "得到的文本:{text}",
    "utf8.partial": "这些字节单独看不是完整的 UTF-8 文本:这一帧只是消息的一个分片,"
    "一个字符可能被拆在两帧之间。",
    "utf8.bad": "这些字节不是合法的 UTF-8:接收方必须以 1007 关闭连接。",
    "deflate.title": "压缩过的负载(permessage-deflate,RFC 7692)",
    "deflate.none": "RSV1 是 1:负载经过压缩。加上 --deflate 就能解压"
    "(消息的第一帧带 RSV1,最后一帧结束这条消息)。",
    "deflate.body": "RSV1 是 1:这 {n} 个字节的负载是压缩过的;解压后消息共 {m} 字节。",
    "binary.title": "二进制负载",
    "binary.body": "操作码 0x{op:X}:负载是字节而不是文本:{hex}",
    "control.title": "控制帧的数据",
    "control.body": "{n} 字节:{hex}",
    "close.title": "关闭帧的负载:关闭码和原因",
    "close.code": "前两个字节 {hex} 是关闭码,按大端序读出:{code},即{meaning}。",
    "close.reason": "其余字节是关闭原因(UTF-8):{reason}",
    "close.noreason": "关闭码后面没有附带原因。",
    "close.empty": "负载为空:没有关闭码(接收方会记为 1005)。",
    "checks.title": "检查结果",
    "checks.ok": "这一帧符合 RFC 6455 的全部规则。",
    "checks.bad": "这一帧违反了 {n} 条规则:",
    "checks.item": "✗ 字节 {offset}:{message}({rfc})",
    "incomplete": "输入在一帧的中间结束了:还差 {need} 个字节。",
    "nothing": "输入里没有帧。",
    "accept.title": "计算 Sec-WebSocket-Accept(RFC 6455 §4.2.2)",
    "accept.s1": "客户端发来的 Sec-WebSocket-Key:16 个随机字节的 base64 编码",
    "accept.s2": "在后面拼接上 RFC 6455 规定的固定 GUID(俗称“魔法字符串”)",
    "accept.s3": "对拼接后的字符串做 SHA-1,得到 20 字节的摘要(这里以十六进制显示)",
    "accept.s4": "对这 20 个字节(而不是十六进制文本)做 base64,就是答案",
    "accept.s5": "服务器在 101 响应里把它发回去;客户端自己也算一遍并比较,"
    "由此确认服务器真的理解 WebSocket 握手。",
    "accept.bad": "✗ 这个 key 不合法:{problem}(RFC 6455 §4.1)",
}

TEXTS: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}
