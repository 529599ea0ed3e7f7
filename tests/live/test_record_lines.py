"""``--record`` files hold every chunk exactly, whichever way they are written.

CaptureWriter writes a real file through its descriptor, one ``os.writev`` per record, each
data record a raw block (capture version 2: the record's line, the bytes, a ``\n``); with
``hex_data``, or on a stream with no descriptor (a StringIO), data records are the
serializer's ``data_record_line`` with hex (version 1).  Reading any of them back must give
every chunk exactly, the two version 1 writers the same bytes.
"""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest

from wsdebug.capture.format import CaptureWriter, parse_capture

SIZES = [0, 1, 15, 16, 17, 31, 33, 255, 4095, 65535, 65536, 65537, (1 << 20) + 3]


def write(writer: CaptureWriter, chunks: list[bytes]) -> None:
    writer.open("c1", role="server", peer="127.0.0.1:1", local="127.0.0.1:2", t=1.5)
    writer.open('c"2\u202e', role="server", peer="127.0.0.1:3", local="127.0.0.1:2", t=1.5)
    for i, chunk in enumerate(chunks):
        conn = "c1" if i % 2 else 'c"2\u202e'
        writer.data(conn, "c2s" if i % 3 else "s2c", chunk, t=1733000000.0 + i / 7)
    writer.end("c1", "done", t=9.0)
    writer.data('c"2\u202e', "c2s", b"after c1 ended", t=10.0)


def to_file(path: Path, chunks: list[bytes], **kw: bool) -> bytes:
    with path.open("w", encoding="utf-8") as fh:
        w = CaptureWriter(fh, mode="listen", created="2026-01-01T00:00:00Z", **kw)
        write(w, chunks)
        w.close()
    return path.read_bytes()


@pytest.fixture
def chunks() -> list[bytes]:
    rng = random.Random(6455)
    out = [rng.randbytes(n) for n in SIZES]
    out.append(bytes(range(256)) * 17)  # every byte value, at every position mod 16
    out.append(memoryview(rng.randbytes(100))[3:].tobytes())
    out += [b"\n", b"\n\n\n", b"\r\n", b"x\r", b"\r", b'"}\n{"t":1']  # line ends inside
    return out


def _chunks(raw: bytes) -> list[bytes]:
    parsed = parse_capture(raw.splitlines(keepends=True))
    assert parsed.cut is None
    return [c.data for info in parsed.connections for c in info.chunks]


def test_every_writer_gives_back_every_chunk(tmp_path: Path, chunks: list[bytes]) -> None:
    raw = to_file(tmp_path / "raw.jsonl", chunks)
    hexed = to_file(tmp_path / "hex.jsonl", chunks, hex_data=True)
    text = io.StringIO()
    write(CaptureWriter(text, mode="listen", created="2026-01-01T00:00:00Z"), chunks)
    assert b'"version":2' in raw.split(b"\n", 1)[0]
    assert b'"version":1' in hexed.split(b"\n", 1)[0]
    assert hexed == text.getvalue().encode("utf-8")
    want = [c for i, c in enumerate(chunks) if i % 2 == 0] + [b"after c1 ended"]
    want += [c for i, c in enumerate(chunks) if i % 2]
    for got in (_chunks(raw), _chunks(hexed)):
        assert sorted(got) == sorted(want)
    assert len(raw) < len(hexed) * 0.6  # the bytes once, not as two hex digits each


def test_a_record_is_in_the_file_when_data_returns(tmp_path: Path) -> None:
    """No Python-level buffer: another reader sees each whole record at once (kill -9 safe)."""
    path = tmp_path / "rec.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        w = CaptureWriter(fh, mode="listen")
        for i in range(5):
            data = os.urandom(1000 * i)
            w.data("c1", "c2s", data)
            now = path.read_bytes()
            assert now.endswith(b',"len":%d}\n' % len(data) + data + b"\n")
            assert _chunks(now)[-1] == data
        w.close()
