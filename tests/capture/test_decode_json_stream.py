"""``decode --json`` written piecewise is the same document as the serializer's ``dumps``."""

from __future__ import annotations

import io
import json

from wsdebug.capture.offline import decode_bytes, write_decode_json
from wsdebug.capture.serialize import decode_document, dumps
from wsdebug.codec.frames import encode_frame


def _same(data: bytes) -> str:
    result = decode_bytes(data)
    out = io.StringIO()
    write_decode_json(result, out)
    expected = dumps(decode_document(result.records, result.incomplete, result.problems))
    assert out.getvalue() == expected
    return out.getvalue()


def test_many_frames_in_batches() -> None:
    data = b"".join(encode_frame(0x1, f"message {i}".encode()) for i in range(2500))
    doc = json.loads(_same(data))
    assert len(doc["frames"]) == 2500 and doc["frames"][-1]["text"] == "message 2499"


def test_large_payloads_text_and_binary() -> None:
    big = bytes(range(256)) * 1024  # 256 KiB: written in 64 KiB pieces
    text = ("héllo \x1b[31m" * 30000).encode()
    data = encode_frame(0x2, big) + encode_frame(0x1, text, mask_key=b"abcd")
    doc = json.loads(_same(data))
    assert bytes.fromhex(doc["frames"][0]["payload_hex"]) == big
    assert doc["frames"][1]["text"] == text.decode()


def test_no_frames_problems_and_an_incomplete_frame() -> None:
    doc = json.loads(_same(b"\x81\x7e\x01"))
    assert doc["frames"] == [] and doc["incomplete"] is not None
    _same(encode_frame(0x1, b"ok") + b"\x8f\x00" + b"\x82\x05ab")
