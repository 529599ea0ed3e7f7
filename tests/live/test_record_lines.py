"""``--record`` lines are the same whichever way they are written.

CaptureWriter writes a real file through its descriptor (one ``os.writev`` per record, hex made
by the C routine in ``capture/_hexspeed.c`` when it is built, else ``binascii``) and any other
stream (a StringIO) through the serializer's ``data_record_line``.  All of them must give the
same bytes, and reading them back must give every chunk exactly.
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


def to_file(path: Path, chunks: list[bytes]) -> bytes:
    with path.open("w", encoding="utf-8") as fh:
        w = CaptureWriter(fh, mode="listen", created="2026-01-01T00:00:00Z")
        write(w, chunks)
        w.close()
    return path.read_bytes()


@pytest.fixture
def chunks() -> list[bytes]:
    rng = random.Random(6455)
    out = [rng.randbytes(n) for n in SIZES]
    out.append(bytes(range(256)) * 17)  # every byte value, at every position mod 16
    out.append(memoryview(rng.randbytes(100))[3:].tobytes())
    return out


def test_descriptor_and_stream_writers_agree(
    tmp_path: Path, chunks: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = to_file(tmp_path / "fast.jsonl", chunks)
    monkeypatch.setenv("WSDEBUG_PURE_PYTHON", "1")
    pure = to_file(tmp_path / "pure.jsonl", chunks)
    monkeypatch.delenv("WSDEBUG_PURE_PYTHON")
    text = io.StringIO()
    write(CaptureWriter(text, mode="listen", created="2026-01-01T00:00:00Z"), chunks)
    assert fast == pure
    assert fast == text.getvalue().encode("utf-8")
    parsed = parse_capture(fast.splitlines(keepends=True))
    got = [c.data for info in parsed.connections for c in info.chunks]
    want = [c for i, c in enumerate(chunks) if i % 2 == 0] + [b"after c1 ended"]
    want += [c for i, c in enumerate(chunks) if i % 2]
    assert sorted(got) == sorted(want)
    assert parsed.cut is None


def test_a_record_is_in_the_file_when_data_returns(tmp_path: Path) -> None:
    """No Python-level buffer: another reader sees each whole line at once (kill -9 safe)."""
    path = tmp_path / "rec.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        w = CaptureWriter(fh, mode="listen")
        for i in range(5):
            data = os.urandom(1000 * i)
            w.data("c1", "c2s", data)
            last = path.read_bytes().splitlines()[-1]
            assert last.endswith(data.hex().encode() + b'"}')
        w.close()
