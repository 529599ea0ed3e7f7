"""Write the seed corpus: ``python -m tests.fuzz.make_corpus`` (from the repository root).

The files under tests/fuzz/corpus/<target>/ are kept in git; this script says where each
came from and rewrites them (atheris adds the inputs it finds to the same directories, and
those are worth keeping too when they reach new code).  Run it after changing a vector.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

from tests import dumps, vectors
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Opcode
from wsdebug.codec.stream import StreamDecoder

CORPUS = Path(__file__).parent / "corpus"
CAPTURES = Path(__file__).parents[2] / "captures"

#: issue 8 item 1: two unmasked RSV1 binary frames that hung ``decode --deflate`` forever
HANG_142 = bytes.fromhex(
    "c2211c8ac10d003010825815dd7f86ab291f1254b40430e6d289e9cca059ff33c77ed5c269ecc18100000000"
    "c320b6fb4b0de4d5" + "00" * 67 + "6da46a42462276c8872f6a7256a032579b5dece96f3d78"
)
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_REQUEST = (
    f"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    f"Sec-WebSocket-Key: {KEY}\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
).encode()
RFC_RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n\r\n"
)


def _raw_blocks(sample: Path) -> bytes:
    """``sample`` (version 1) written again as ``--record`` writes it: raw data blocks."""
    import tempfile

    from wsdebug.capture.format import CaptureWriter, read_capture

    with sample.open("rb") as fh:
        (info,) = read_capture(fh, sample.name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "raw.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            w = CaptureWriter(fh, mode="connect", tool="fuzz", created="2025-12-01T10:00:00Z")
            w.open(info.conn, role="client", peer="127.0.0.1:9000", local="127.0.0.1:51000", t=0.0)
            for c in info.chunks:
                w.data(info.conn, c.dir, c.data, t=c.t)
            w.end(info.conn, "done", t=9.0)
        return path.read_bytes()


def _deflated(message: bytes) -> bytes:
    z = zlib.compressobj(wbits=-15)
    return (z.compress(message) + z.flush(zlib.Z_SYNC_FLUSH))[:-4]


def _payloads(wire: bytes) -> list[bytes]:
    return [r.frame.payload for r in StreamDecoder().receive_data(wire)]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def seeds() -> dict[str, dict[str, bytes]]:
    """Every seed input, by target and file name."""
    plain = {_slug(v.name): v.wire for v in vectors.PLAIN_VECTORS if len(v.wire) < 4096}
    compressed = {_slug(v.name): v.wire for v in vectors.RFC7692_VECTORS}
    ping = encode_frame(Opcode.PING, b"hi", mask=True, mask_key=vectors.RFC_MASK_KEY)
    close = encode_frame(Opcode.CLOSE, b"\x03\xe8bye", mask=True, mask_key=vectors.RFC_MASK_KEY)
    deflated = encode_frame(Opcode.TEXT, _deflated(b"Hello " * 50), rsv1=True)
    seed_wire = vectors.SEED_WIRE
    follow = dumps.follow_tcp_stream([(True, seed_wire), (False, b"\x81\x05Hello")])
    out: dict[str, dict[str, bytes]] = {
        "stream": {
            **plain,
            "seed-frame": seed_wire,
            "fragmented-16bit": encode_frame(Opcode.BINARY, bytes(200), fin=False, length_form=16)
            + encode_frame(Opcode.CONT, b"x"),
        },
        "stream_deflate": {"hang-142": HANG_142, **compressed, "deflated-text": deflated},
        "inflate": {
            "hang-142-payloads": b"\xff\xfe".join(_payloads(HANG_142)),
            **{_slug(v.name): v.frames[0].payload for v in vectors.RFC7692_VECTORS},
            "two-messages": _deflated(b"Hello") + b"\xff\xfe" + _deflated(b"Hello again"),
        },
        "connection_client": {
            "server-hello": b"\x81\x05Hello",
            "server-ping-close": b"\x89\x02hi\x88\x02\x03\xe8",
            "deflated-text": deflated,
            "hang-142": HANG_142,
        },
        "connection_server": {
            "seed-frame": seed_wire,
            "ping-close": ping + close,
            **{k: v for k, v in plain.items() if "unmasked" not in k},
        },
        "handshake_request": {
            "rfc6455-request": RFC_REQUEST,
            "seed-ws-request": vectors.SEED_WS_REQUEST.encode(),
            "seed-page-request": vectors.SEED_PAGE_REQUEST.encode(),
        },
        "handshake_response": {
            "rfc6455-response": RFC_RESPONSE,
            "seed-response": vectors.SEED_RESPONSE.encode(),
            "426": b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n",
        },
        "extensions": {
            "client-offer": b"permessage-deflate; client_max_window_bits",
            "server-reply": b"permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
            "several": b'x-webkit-deflate-frame, permessage-deflate; server_max_window_bits="12", foo',
        },
        "text_input": {
            "plain": b"81 85 37 fa 21 3d 7f 9f 4d 51 58",
            "ox": b"{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}",
            "escapes": b"\\x81\\x05Hello",
            "bytes-repr": repr(seed_wire).encode(),
            "xxd": dumps.xxd(seed_wire * 3).encode(),
            "hexdump-c": dumps.hexdump_c(bytes(64) + seed_wire).encode(),
            "wireshark": dumps.wireshark_hex_dump(seed_wire).encode(),
            "follow-tcp-stream": follow.encode(),
            "c-array": dumps.c_array(seed_wire).encode(),
            "base64": base64.b64encode(seed_wire),
            "markers": b"> 81 85 37 fa 21 3d 7f 9f 4d 51 58\n< 81 05 48 65 6c 6c 6f\n",
        },
        "capture_jsonl": {p.stem: p.read_bytes() for p in sorted(CAPTURES.glob("*.jsonl"))},
        "capture_pcap": {p.stem: p.read_bytes() for p in sorted(CAPTURES.glob("*.pcap"))},
        "capture_har": {p.stem: p.read_bytes() for p in sorted(CAPTURES.glob("*.har"))},
        "capture_textdump": {
            p.stem: p.read_bytes()
            for p in sorted(CAPTURES.glob("*.hex"))
            if p.stat().st_size < 4096
        },
    }
    out["capture_har"]["minimal"] = json.dumps(
        {
            "log": {
                "entries": [
                    {
                        "request": {"url": "wss://example.org/s", "headers": []},
                        "response": {"status": 101, "headers": []},
                        "_webSocketMessages": [
                            {"type": "send", "opcode": 1, "data": "hi", "time": 1.0}
                        ],
                    }
                ]
            }
        }
    ).encode()
    masked = b"".join(
        v.wire
        for v in vectors.PLAIN_VECTORS
        if v.frames[0].mask_key is not None and len(v.wire) < 4096
    )
    out["opening_client"] = {
        "rfc6455-response-frames": RFC_RESPONSE + deflated + b"\x89\x02hi\x88\x02\x03\xe8",
        "426": out["handshake_response"]["426"],
    }
    out["opening_server"] = {
        "rfc6455-request-frames": RFC_REQUEST + masked + close,
        "seed-ws-request": vectors.SEED_WS_REQUEST.encode() + seed_wire,
        "seed-page-request": vectors.SEED_PAGE_REQUEST.encode(),
    }
    # deeply nested JSON: a RecursionError in the JSON readers once
    out["capture_har"]["deep-nesting"] = b'{"log":' + b"[" * 5000 + b"]" * 5000 + b"}"
    out["capture_jsonl"]["deep-nesting"] = (
        b'{"format":"wsdebug-capture","version":1}\n' + b"[" * 5000 + b"]" * 5000
    )
    out["capture_jsonl"]["raw-blocks"] = _raw_blocks(CAPTURES / "close-handshake.jsonl")
    # inputs that took seconds (O(n²) regex backtracking) before the fixes that came with them
    out["text_input"].update(
        {
            "parens-20k": b"(" * 20000,
            "bytes-call-spaces-16k": b"bytes(" + b" " * 16000,
            "ox-braces-48k": b"{" * 48000 + b"0x1",
            "base64-padding-40k": b"=" * 40000,
        }
    )
    out["capture_textdump"]["markers"] = out["text_input"]["markers"]
    out["capture_textdump"]["follow-tcp-stream"] = follow.encode()
    return out


def main() -> None:
    for target, files in seeds().items():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
    print(f"wrote {sum(map(len, seeds().values()))} seeds to {CORPUS}")


if __name__ == "__main__":
    main()
