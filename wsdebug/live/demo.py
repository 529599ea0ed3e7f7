"""``wsdebug demo``: a guided tour on an embedded echo listener, nothing to set up.

An echo listener starts in-process on a free loopback port; a client connects to it and each
step sends something, then shows what crossed the wire, from the client's side, at full
detail.  Interactive runs pause for Enter between steps; piped runs go straight through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..codec.frames import encode_frame
from ..codec.spec import Opcode
from .client import ClientOptions, open_client
from .listener import Listener, ListenOptions
from .reporter import Reporter

SEED_TEXT = "厉害了"


@dataclass
class Step:
    title: str
    look: str  #: one sentence: what to look at
    act: Callable[..., None]
    detail: str = "bytes"
    replies: int = 1  #: incoming frames to wait for
    title_zh: str = ""  #: the title in Simplified Chinese (``demo --lang zh``)
    look_zh: str = ""

    def text(self, lang: str) -> tuple[str, str]:
        """(title, look) in ``lang``: en or zh."""
        if lang == "zh" and self.title_zh:
            return self.title_zh, self.look_zh
        return self.title, self.look


async def _frames_in(live, count: int, timeout: float = 5.0) -> None:
    """Wait until the client has received ``count`` frames (or the connection ended)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while live.conn.frames_in < count and not live.closed.is_set():
        if loop.time() > deadline:
            raise TimeoutError(f"the echo server did not answer within {timeout:g} s")
        await asyncio.sleep(0.01)


def _fragmented_with_ping(live) -> None:
    key = b"\x11\x22\x33\x44"
    parts = [b"frag", b"ment", b"ed!"]
    data = encode_frame(Opcode.TEXT, parts[0], fin=False, mask_key=key)
    data += encode_frame(Opcode.PING, b"are you there?", mask_key=key)
    data += encode_frame(Opcode.CONT, parts[1], fin=False, mask_key=key)
    data += encode_frame(Opcode.CONT, parts[2], fin=True, mask_key=key)
    live.send("raw", data)


STEPS = [
    Step(
        "A short text frame",
        "Byte 0 is FIN=1 and opcode 0x1 (text); the client masks, so MASK=1 and a 4-byte key follows; "
        "XOR each payload byte with key[i % 4] to read it.",
        lambda live: live.conn.send_message(Opcode.TEXT, b"Hello", compress=False),
        title_zh="一个短的文本帧",
        look_zh="字节 0 里 FIN=1、操作码 0x1(文本);客户端要加掩码,所以 MASK=1,后面跟 4 字节的掩码键;"
        "把负载的每个字节与 key[i % 4] 做异或,就能读出原文。",
    ),
    Step(
        "Chinese text from the seed write-up",
        "UTF-8 needs 3 bytes per character here: 9 payload bytes for 3 characters.",
        lambda live: live.conn.send_message(Opcode.TEXT, SEED_TEXT.encode(), compress=False),
        title_zh="原文里的中文:厉害了",
        look_zh="这里每个汉字在 UTF-8 里占 3 个字节:3 个字符,负载 9 个字节。",
    ),
    Step(
        "A 16-bit length",
        "300 bytes do not fit in 7 bits: the length byte says 126 and the next 2 bytes hold 0x012C = 300.",
        lambda live: live.conn.send_message(
            Opcode.TEXT, ("WebSocket " * 30).encode(), compress=False
        ),
        detail="fields",
        title_zh="16 位的负载长度",
        look_zh="300 个字节放不进 7 位:长度字节写 126,紧接着的 2 个字节是 0x012C = 300。",
    ),
    Step(
        "One message in three fragments, with a ping in between",
        "FIN=0 on the first two frames, opcode 0x0 on the continuations; the ping (a control frame) may cut in; "
        "the server answers it with a pong and still gets one message.",
        _fragmented_with_ping,
        detail="summary",
        replies=2,
        title_zh="一条消息分成三个分片,中间插进一个 Ping",
        look_zh="前两帧 FIN=0,后续分片的操作码是 0x0;Ping 是控制帧,可以插在分片之间;"
        "服务器回一个 Pong,收到的仍然是一条完整的消息。",
    ),
    Step(
        "A binary frame",
        "Opcode 0x2: the payload is bytes, not text, so it is shown as hex.",
        lambda live: live.conn.send_message(
            Opcode.BINARY, bytes(range(0, 256, 17)), compress=False
        ),
        title_zh="一个二进制帧",
        look_zh="操作码 0x2:负载是字节而不是文本,所以用十六进制显示。",
    ),
    Step(
        "A compressed message (permessage-deflate)",
        "RSV1=1 marks a compressed message; 200 repeated bytes shrink to a few, and the view shows them inflated.",
        lambda live: live.conn.send_message(Opcode.TEXT, ("ha" * 100).encode()),
        title_zh="一条压缩过的消息(permessage-deflate)",
        look_zh="RSV1=1 表示消息经过压缩;重复的 200 个字节压缩后只剩几个字节,下面显示的是解压后的内容。",
    ),
    Step(
        "The closing handshake",
        "We send close 1000; the server echoes a close frame and ends TCP first, as RFC 6455 §7.1.1 asks.",
        lambda live: live.send("close", 1000, "demo finished"),
        title_zh="关闭握手",
        look_zh="我们发送关闭码 1000;服务器回一个关闭帧,并按 RFC 6455 §7.1.1 的要求先断开 TCP。",
    ),
]


async def run_demo(
    reporter: Reporter,
    *,
    say: Callable[[str, str, int, int], None],
    show_accept: Callable[[str], None],
    pause: Callable[[], Awaitable[None]] | None = None,
    set_detail: Callable[[str], None] = lambda d: None,
    lang: str = "en",
) -> int:
    listener = Listener(ListenOptions(host="127.0.0.1", port=0, echo=True), Reporter())
    await listener.start()
    total = len(STEPS) + 1
    try:
        if lang == "zh":
            title = "建立连接的握手"
            look = (
                f"客户端请求 {listener.url} 把连接升级为 WebSocket;服务器用 "
                "Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) 作答,证明它读到了客户端的 key。"
            )
        else:
            title = "The opening handshake"
            look = (
                f"The client asks {listener.url} to upgrade; the server proves it read the key "
                "by answering Sec-WebSocket-Accept = base64(SHA-1(key + GUID))."
            )
        say(title, look, 1, total)
        set_detail("fields")
        live = await open_client(listener.url, ClientOptions(), reporter)
        pump = asyncio.create_task(live.pump())
        if live.request_key:
            show_accept(live.request_key)
        for n, step in enumerate(STEPS, 2):
            if pause is not None:
                await pause()
            say(*step.text(lang), n, total)
            set_detail(step.detail)
            conn = live.conn
            assert conn is not None  # open: the tour's connection is up
            expected = conn.frames_in + step.replies
            step.act(live)
            live.flush()
            await live.drain()
            await _frames_in(live, expected)
        await asyncio.wait_for(pump, 5.0)
        return live.exit_status
    finally:
        await listener.stop()
