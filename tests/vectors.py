"""Known-good wire vectors: RFC 6455 §5.7, RFC 7692 §7.2.3 and the seed capture.

Each :class:`Vector` is the exact bytes of one direction of a stream plus what a decoder must
find in them: the frames (as :class:`ExpectedFrame`) and the assembled messages.  Vectors with
``deflate=True`` need a permessage-deflate inflater (RFC 7692) to give their messages.
"""

from __future__ import annotations

from typing import NamedTuple

from wsdebug.codec.spec import Opcode, Role

RFC_MASK_KEY = bytes.fromhex("37 fa 21 3d")  #: the key of every masked RFC 6455 §5.7 example


class ExpectedFrame(NamedTuple):
    opcode: int
    payload: bytes  #: unmasked
    fin: bool = True
    rsv1: bool = False
    mask_key: bytes | None = None
    length_form: int = 7


class Vector(NamedTuple):
    name: str
    source: str  #: where the bytes come from
    wire: bytes
    frames: tuple[ExpectedFrame, ...]
    messages: tuple[bytes, ...]  #: application data of each complete data message, in order
    texts: tuple[str, ...] = ()  #: the decoded text of each TEXT message, in order
    deflate: bool = False

    @property
    def sender(self) -> Role:
        """Masked frames come from a client, unmasked ones from a server (RFC 6455 §5.1)."""
        return Role.CLIENT if self.frames[0].mask_key is not None else Role.SERVER


def _h(text: str) -> bytes:
    return bytes.fromhex(text)


DATA_256 = bytes(range(256))
DATA_64K = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(65536))
SEED_WIRE = b"\x81\x89\xbc\xb8,\xb5Y6\xa5P\x12\x0b\xc8\x0f:"
SEED_TEXT = "厉害了"

RFC6455_VECTORS = (
    Vector(
        "single-frame-unmasked-text",
        "RFC 6455 §5.7",
        _h("81 05 48 65 6c 6c 6f"),
        (ExpectedFrame(Opcode.TEXT, b"Hello"),),
        (b"Hello",),
        ("Hello",),
    ),
    Vector(
        "single-frame-masked-text",
        "RFC 6455 §5.7",
        _h("81 85 37 fa 21 3d 7f 9f 4d 51 58"),
        (ExpectedFrame(Opcode.TEXT, b"Hello", mask_key=RFC_MASK_KEY),),
        (b"Hello",),
        ("Hello",),
    ),
    Vector(
        "fragmented-unmasked-text",
        "RFC 6455 §5.7",
        _h("01 03 48 65 6c") + _h("80 02 6c 6f"),
        (
            ExpectedFrame(Opcode.TEXT, b"Hel", fin=False),
            ExpectedFrame(Opcode.CONT, b"lo"),
        ),
        (b"Hello",),
        ("Hello",),
    ),
    Vector(
        "unmasked-ping",
        "RFC 6455 §5.7",
        _h("89 05 48 65 6c 6c 6f"),
        (ExpectedFrame(Opcode.PING, b"Hello"),),
        (),
    ),
    Vector(
        "masked-pong",
        "RFC 6455 §5.7",
        _h("8a 85 37 fa 21 3d 7f 9f 4d 51 58"),
        (ExpectedFrame(Opcode.PONG, b"Hello", mask_key=RFC_MASK_KEY),),
        (),
    ),
    Vector(
        "256-bytes-binary-16-bit-length",
        "RFC 6455 §5.7",
        _h("82 7e 01 00") + DATA_256,
        (ExpectedFrame(Opcode.BINARY, DATA_256, length_form=16),),
        (DATA_256,),
    ),
    Vector(
        "64KiB-binary-64-bit-length",
        "RFC 6455 §5.7",
        _h("82 7f 00 00 00 00 00 01 00 00") + DATA_64K,
        (ExpectedFrame(Opcode.BINARY, DATA_64K, length_form=64),),
        (DATA_64K,),
    ),
)

SEED_VECTORS = (
    Vector(
        "seed-masked-chinese-text",
        "seed capture",
        SEED_WIRE,
        (ExpectedFrame(Opcode.TEXT, SEED_TEXT.encode(), mask_key=SEED_WIRE[2:6]),),
        (SEED_TEXT.encode(),),
        (SEED_TEXT,),
    ),
)

RFC7692_VECTORS = (
    Vector(
        "7.2.3.1-compressed-hello",
        "RFC 7692 §7.2.3.1",
        _h("c1 07 f2 48 cd c9 c9 07 00"),
        (ExpectedFrame(Opcode.TEXT, _h("f2 48 cd c9 c9 07 00"), rsv1=True),),
        (b"Hello",),
        ("Hello",),
        deflate=True,
    ),
    Vector(
        "7.2.3.1-fragmented-compressed-hello",
        "RFC 7692 §7.2.3.1",
        _h("41 03 f2 48 cd") + _h("80 04 c9 c9 07 00"),
        (
            ExpectedFrame(Opcode.TEXT, _h("f2 48 cd"), fin=False, rsv1=True),
            ExpectedFrame(Opcode.CONT, _h("c9 c9 07 00")),
        ),
        (b"Hello",),
        ("Hello",),
        deflate=True,
    ),
    Vector(
        "7.2.3.2-context-takeover",
        "RFC 7692 §7.2.3.2",
        _h("c1 07 f2 48 cd c9 c9 07 00") + _h("c1 05 f2 00 11 00 00"),
        (
            ExpectedFrame(Opcode.TEXT, _h("f2 48 cd c9 c9 07 00"), rsv1=True),
            ExpectedFrame(Opcode.TEXT, _h("f2 00 11 00 00"), rsv1=True),
        ),
        (b"Hello", b"Hello"),
        ("Hello", "Hello"),
        deflate=True,
    ),
    Vector(
        "7.2.3.3-stored-block",
        "RFC 7692 §7.2.3.3",
        _h("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00"),
        (ExpectedFrame(Opcode.TEXT, _h("00 05 00 fa ff 48 65 6c 6c 6f 00"), rsv1=True),),
        (b"Hello",),
        ("Hello",),
        deflate=True,
    ),
    Vector(
        "7.2.3.4-bfinal",
        "RFC 7692 §7.2.3.4",
        _h("c1 08 f3 48 cd c9 c9 07 00 00"),
        (ExpectedFrame(Opcode.TEXT, _h("f3 48 cd c9 c9 07 00 00"), rsv1=True),),
        (b"Hello",),
        ("Hello",),
        deflate=True,
    ),
    Vector(
        "7.2.3.5-two-deflate-blocks",
        "RFC 7692 §7.2.3.5",
        _h("c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00"),
        (ExpectedFrame(Opcode.TEXT, _h("f2 48 05 00 00 00 ff ff ca c9 c9 07 00"), rsv1=True),),
        (b"Hello",),
        ("Hello",),
        deflate=True,
    ),
)

PLAIN_VECTORS = RFC6455_VECTORS + SEED_VECTORS
ALL_VECTORS = PLAIN_VECTORS + RFC7692_VECTORS


# -- the seed write-up's handshake (text, CRLF line ends) --------------------------------------

RFC_KEY, RFC_ACCEPT = "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 §1.3
SEED_KEY = "mzrsVOiYogmzB8fYcyMBpw=="
SEED_KEY_ACCEPT = "DgVhR+pXLoBnNSxpwJh3UN0A76k="  # what the seed's key really gives
SEED_ACCEPT = "0Cu1dAA7U6tFsJS4EVkIDLcvKDU="  # what the seed's response says
CHROME_UA = (
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/69.0.3497.81 Safari/537.36"
)

#: The seed's Chrome request opening a WebSocket.
SEED_WS_REQUEST = (
    "GET / HTTP/1.1\r\n"
    "Host: 127.0.0.1:9000\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    f"User-Agent: {CHROME_UA}\r\n"
    "Upgrade: websocket\r\n"
    "Origin: http://localhost:63342\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: zh-CN,zh;q=0.9\r\n"
    "Sec-WebSocket-Key: vNtQ8bVSNRPL5p+xo1X5CA==\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "\r\n"
)
#: The seed's second request: the same address typed into Chrome's address bar.
SEED_PAGE_REQUEST = (
    "GET / HTTP/1.1\r\n"
    "Host: 127.0.0.1:9000\r\n"
    "Connection: keep-alive\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    f"User-Agent: {CHROME_UA}\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,image/apng,*/*;q=0.8\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: zh-CN,zh;q=0.9\r\n"
    "\r\n"
)
#: The seed's server response. Its Accept does NOT belong to SEED_KEY: base64(SHA-1(SEED_KEY +
#: GUID)) is SEED_KEY_ACCEPT (cross-checked with openssl), a real mismatch to report.
#: The seed's server response ('Upgrade:websocket' without a space is still valid).
SEED_RESPONSE = (
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade:websocket\r\n"
    "Connection: Upgrade\r\n"
    f"Sec-WebSocket-Accept: {SEED_ACCEPT}\r\n"
    "WebSocket-Location: ws://127.0.0.1:9527\r\n"
    "\r\n"
)
