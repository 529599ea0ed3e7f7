"""Write the sample captures in this folder.  Deterministic: fixed mask keys, times and keys.

Run from the repository root:  ``python captures/make_samples.py [DIR]``  (rewrites every sample,
in this folder unless DIR is given).
Every sample is described in ``captures/README.md`` and replayed by ``tests/capture/``.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import IO

from tests.pcapwrite import write_pcap
from wsdebug.capture.format import C2S, S2C, CaptureWriter, read_capture
from wsdebug.codec.close import build_close_payload
from wsdebug.codec.deflate import DeflateParams, PerMessageDeflate
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import accept_key, build_request, build_response, parse_request
from wsdebug.codec.spec import Opcode

HERE = Path(__file__).resolve().parent
T0 = 1764583200.0  # 2025-12-01 10:00:00 UTC
CREATED = "2025-12-01T10:00:00.000000Z"
KEYS = [
    bytes.fromhex(k)
    for k in ("37fa213d", "a1b2c3d4", "0badf00d", "5eed5eed", "c0ffee00", "12345678", "9e3779b9")
]

#: The seed's Chrome 69 request (keys and headers as the browser sent them).
SEED_KEY = "vNtQ8bVSNRPL5p+xo1X5CA=="
CHROME_REQUEST = (
    "GET / HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nConnection: Upgrade\r\nPragma: no-cache\r\n"
    "Cache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/69.0.3497.81 Safari/537.36\r\nUpgrade: websocket\r\n"
    "Origin: http://localhost:63342\r\nSec-WebSocket-Version: 13\r\nAccept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: zh-CN,zh;q=0.9\r\nSec-WebSocket-Key: " + SEED_KEY + "\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
).encode("latin-1")
#: The seed's frame: the client sends "厉害了" masked with bc b8 2c b5.
SEED_FRAME = b"\x81\x89\xbc\xb8,\xb5Y6\xa5P\x12\x0b\xc8\x0f:"


class Session:
    """Writes one connection's chunks with a clock that advances deterministically."""

    def __init__(
        self,
        path: Path | IO[str],
        *,
        mode: str = "connect",
        url: str = "ws://127.0.0.1:9000/",
        peer: str = "127.0.0.1:9000",
        local: str = "127.0.0.1:51000",
    ) -> None:
        if isinstance(path, Path):
            path = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed in end()
        self.fh = path
        self.w = CaptureWriter(
            self.fh,
            mode=mode,
            tool="wsdebug captures/make_samples.py",
            created=CREATED,
            hex_data=True,  # version 1: text a student can open and read
        )
        self.t = T0
        self.keys = iter(KEYS * 8)
        self.w.open("c1", role="client", peer=peer, local=local, url=url, t=self.t)

    def tick(self, dt: float) -> float:
        self.t = round(self.t + dt, 6)
        return self.t

    def c(self, data: bytes, dt: float = 0.05) -> None:
        self.w.data("c1", C2S, data, t=self.tick(dt))

    def s(self, data: bytes, dt: float = 0.05) -> None:
        self.w.data("c1", S2C, data, t=self.tick(dt))

    def cf(self, opcode: int, payload: bytes = b"", **kw: object) -> bytes:
        """A client frame, masked with the next fixed key."""
        return encode_frame(opcode, payload, mask_key=next(self.keys), **kw)  # type: ignore[arg-type]

    def handshake(self, request: bytes, *, extensions: str | None = None) -> None:
        self.c(request, 0.0)
        response = build_response(parse_request(request), extensions=extensions)
        self.s(response, 0.004)
        self.w.handshake("c1", subprotocol=None, extensions=extensions, t=self.t)

    def end(self, reason: str) -> None:
        self.w.end("c1", reason, t=self.tick(0.001))
        if not isinstance(self.fh, io.StringIO):
            self.w.close()


def simple_request(host: str = "127.0.0.1:9000") -> bytes:
    return build_request(host, "/chat", key="dGhlIHNhbXBsZSBub25jZQ==")[0]


def browser_deflate(out: Path) -> None:
    """Chrome with permessage-deflate; split and coalesced chunks; ping/pong; going-away close."""
    ext = "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
    params = DeflateParams(server_max_window_bits=12, client_max_window_bits=12)
    client, server = (
        PerMessageDeflate(params, is_client=True),
        PerMessageDeflate(params, is_client=False),
    )
    s = Session(out / "browser-deflate.jsonl")
    s.handshake(CHROME_REQUEST, extensions=ext)
    s.c(
        s.cf(
            Opcode.TEXT,
            client.compress(b'{"op":"subscribe","channel":"prices","symbols":["ACME","INIT"]}'),
            rsv1=True,
        ),
        0.2,
    )
    ticks = [
        server.compress(json.dumps({"channel": "prices", "symbol": sym, "price": p}).encode())
        for sym, p in (("ACME", 101.25), ("INIT", 12.5), ("ACME", 101.5), ("INIT", 12.75))
    ]
    frames = [encode_frame(Opcode.TEXT, t, rsv1=True) for t in ticks]
    s.s(frames[0] + frames[1], 0.03)  # two frames in one read
    s.s(frames[2][:5], 0.5)  # one frame split across two reads
    s.s(frames[2][5:] + frames[3], 0.002)
    s.s(encode_frame(Opcode.PING, b"keepalive"), 1.0)
    s.c(s.cf(Opcode.PONG, b"keepalive"), 0.001)
    text = "下单 ACME ×100 — 厉害了".encode()
    big = s.cf(Opcode.TEXT, client.compress(text), rsv1=True)
    s.c(big[:3], 0.4)  # the client's frame split inside its header
    s.c(big[3:], 0.001)
    s.s(encode_frame(Opcode.TEXT, server.compress(b'{"ok":true,"order":1}'), rsv1=True), 0.05)
    s.c(s.cf(Opcode.CLOSE, build_close_payload(1001, "")), 2.0)  # the tab is closed: going away
    s.s(encode_frame(Opcode.CLOSE, build_close_payload(1001, "")), 0.002)
    s.end("server closed the connection")


def fragmented_ping(
    out: Path,
    *,
    into: IO[str] | None = None,
    host: str = "127.0.0.1:9000",
    local: str = "127.0.0.1:51000",
) -> None:
    """A text message in three fragments with a ping between them (RFC 6455 §5.4)."""
    s = Session(
        into or out / "fragmented-ping.jsonl", url=f"ws://{host}/chat", peer=host, local=local
    )
    s.handshake(simple_request(host))
    s.c(s.cf(Opcode.TEXT, b"The quick ", fin=False), 0.1)
    s.c(s.cf(Opcode.PING, b"still there?"), 0.05)
    s.s(encode_frame(Opcode.PONG, b"still there?"), 0.001)
    s.c(s.cf(Opcode.CONT, b"brown fox ", fin=False), 0.05)
    s.c(s.cf(Opcode.CONT, b"jumps over the lazy dog"), 0.05)
    s.s(encode_frame(Opcode.TEXT, b"The quick brown fox jumps over the lazy dog"), 0.001)
    s.c(s.cf(Opcode.CLOSE, build_close_payload(1000, "")), 0.2)
    s.s(encode_frame(Opcode.CLOSE, build_close_payload(1000, "")), 0.001)
    s.end("server closed the connection")


def close_handshake(out: Path) -> None:
    """The server starts the closing handshake with a reason; the client echoes the code."""
    s = Session(out / "close-handshake.jsonl", url="ws://127.0.0.1:9000/chat")
    s.handshake(simple_request())
    s.c(s.cf(Opcode.TEXT, b"last order, please"), 0.1)
    s.s(encode_frame(Opcode.TEXT, b"order accepted"), 0.01)
    s.s(encode_frame(Opcode.CLOSE, build_close_payload(1001, "server restarting")), 0.5)
    s.c(s.cf(Opcode.CLOSE, build_close_payload(1001, "")), 0.002)
    s.end("server closed the connection")


def unmasked_client(out: Path) -> None:
    """A client that forgets to mask; the server fails the connection with 1002 (RFC 6455 §5.1)."""
    s = Session(out / "unmasked-client.jsonl", url="ws://127.0.0.1:9000/chat")
    s.handshake(simple_request())
    s.c(encode_frame(Opcode.TEXT, b"hello, no mask"), 0.1)
    s.s(
        encode_frame(
            Opcode.CLOSE, build_close_payload(1002, "client-to-server frame is not masked")
        ),
        0.001,
    )
    s.end("server closed the connection")


def session_pcap(out: Path) -> None:
    """The fragmented-ping session as Ethernet/IPv4/TCP, one segment out of order, one sent twice."""
    text = io.StringIO()
    fragmented_ping(out, into=text, host="192.168.1.20:8080", local="192.168.1.10:51000")
    info = read_capture(iter(text.getvalue().splitlines()), "fragmented-ping")[0]
    with open(out / "session.pcap", "wb") as fh:
        # Data segments 0-3 carry the request (40-byte segments): 1 and 2 swap, 2 is sent twice.
        write_pcap(fh, [info], mss=40, reorder=[1], retransmit=[2])


def hex_dumps(out: Path) -> None:
    """The RFC 6455 §5.7 examples with direction markers, and the seed's Chinese frame."""
    rfc = [
        (
            '# RFC 6455 §5.7 examples: a single-frame unmasked text message "Hello"',
            "s",
            "81 05 48 65 6c 6c 6f",
        ),
        ('# a single-frame masked text message "Hello"', "c", "81 85 37 fa 21 3d 7f 9f 4d 51 58"),
        (
            '# a fragmented unmasked text message: "Hel" then "lo"',
            "s",
            "01 03 48 65 6c\n80 02 6c 6f",
        ),
        (
            '# an unmasked ping "Hello" and the masked pong answering it',
            "s",
            "89 05 48 65 6c 6c 6f",
        ),
        (None, "c", "8a 85 37 fa 21 3d 7f 9f 4d 51 58"),
        (
            "# 256 bytes of binary data in a single unmasked frame (16-bit length)",
            "s",
            "82 7e 01 00\n" + _rows(bytes(range(256))),
        ),
        (
            "# 64 KiB of binary data (zeros here) in a single unmasked frame (64-bit length)",
            "s",
            "82 7f 00 00 00 00 00 01 00 00\n" + _rows(bytes(65536), 64, ""),
        ),
    ]
    lines = [
        "# c: client to server, s: server to client.  wsdebug replay rfc6455-5.7.hex",
        "# (wsdebug decode -f reads it too, as one stream)",
    ]
    for comment, who, hexes in rfc:
        if comment:
            lines.append(comment)
        first, *rest = hexes.split("\n")
        lines.append(f"{who}: {first}")
        lines.extend(rest)
    (out / "rfc6455-5.7.hex").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # No direction marker, so `decode -f` reads it as it is; replay sees the mask bit: a client frame.
    seed = (
        '# The seed\'s frame: a masked text frame (client to server) carrying "厉害了" (9 bytes of UTF-8)\n'
        f"{SEED_FRAME.hex(' ')}\n"
    )
    (out / "seed-chinese.hex").write_text(seed, encoding="utf-8")


def seed_encoder(msg: bytes) -> bytes:
    """The seed write-up's frame encoder, bug included: the 16-bit form only when len == 126."""
    import struct

    token = b"\x81"
    length = len(msg)
    if length < 126:
        token += struct.pack("B", length)
    elif length == 126:
        token += struct.pack("!BH", 126, length)
    else:
        token += struct.pack("!BQ", 127, length)
    return token + msg


def seed_encoder_bug(out: Path) -> None:
    """Three messages from the seed's server, sent in one write (one recv on the other side)."""
    frames = [
        seed_encoder(b"hello"),
        seed_encoder(b"x" * 126),
        seed_encoder("厉害了".encode() * 20),
    ]
    lines = [
        "# Frames made by the seed write-up's encoder (server to client), sent back to back.",
        "# 5 bytes: 7-bit length, fine.  126 bytes: 16-bit length, fine.  180 bytes: the encoder",
        "# uses the 16-bit form only when the length is exactly 126, so this one gets the 64-bit",
        "# form: a non-minimal length (RFC 6455 §5.2).  A reader that treats one recv() as one",
        "# frame, as the seed's server does, would also lose the 2nd and 3rd frames here.",
    ]
    lines += [f"s: {frames[0].hex(' ')}"] + [_rows(f) for f in frames[1:]]
    (out / "seed-encoder-bug.hex").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _rows(data: bytes, width: int = 32, sep: str = " ") -> str:
    return "\n".join(
        data[i : i + width].hex(sep) if sep else data[i : i + width].hex()
        for i in range(0, len(data), width)
    )


def chrome_har(out: Path) -> None:
    """What Chrome's "Save all as HAR" writes for a WebSocket: messages, not frames."""
    key = "x3JJHMbDL1EzLkh9GBhXDw=="
    req_headers = [
        ("Host", "127.0.0.1:9000"),
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Origin", "http://127.0.0.1:9000"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
    ]
    resp_headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key(key)),
        ("Sec-WebSocket-Extensions", "permessage-deflate"),
    ]
    msgs = [
        ("send", 0.2, 1, '{"op":"hello"}'),
        ("receive", 0.21, 1, '{"op":"welcome","id":7}'),
        ("send", 1.0, 2, "AAECAwQFBgc="),
        ("receive", 1.01, 1, '{"op":"ack","bytes":8}'),
    ]
    entry = {
        "_resourceType": "websocket",
        "startedDateTime": "2025-12-01T10:00:00.000Z",
        "time": 0,
        "request": {
            "method": "GET",
            "url": "ws://127.0.0.1:9000/chat",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": n, "value": v} for n, v in req_headers],
        },
        "response": {
            "status": 101,
            "statusText": "Switching Protocols",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": n, "value": v} for n, v in resp_headers],
        },
        "_webSocketMessages": [
            {"type": ty, "time": T0 + dt, "opcode": op, "data": data} for ty, dt, op, data in msgs
        ],
    }
    doc = {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [],
            "entries": [entry],
        }
    }
    (out / "chrome-session.har").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


SAMPLES = (
    "browser-deflate.jsonl",
    "fragmented-ping.jsonl",
    "close-handshake.jsonl",
    "unmasked-client.jsonl",
    "session.pcap",
    "rfc6455-5.7.hex",
    "seed-chinese.hex",
    "chrome-session.har",
    "seed-encoder-bug.hex",
)


def write_all(out: Path = HERE) -> None:
    """Write every sample into ``out``."""
    for make in (
        browser_deflate,
        fragmented_ping,
        close_handshake,
        unmasked_client,
        session_pcap,
        hex_dumps,
        chrome_har,
        seed_encoder_bug,
    ):
        make(out)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    write_all(out)
    sys.stdout.write(f"samples written to {out}\n")


if __name__ == "__main__":
    main()
