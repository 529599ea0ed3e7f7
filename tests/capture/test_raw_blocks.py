"""Capture version 2: each data record's bytes follow its line as they are (issue 10).

``--record`` writes half the bytes hex took and encodes nothing; these tests hold what that
must not cost: a chunk holding line ends, ``"}`` or a whole record's text reads back exactly,
the stepper keeps raw blocks as file ranges, a writer killed inside a block leaves a cut that
``replay`` reports (exit 1), and a block that does not end its record is one line and exit 2.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import wsdebug.cli
from wsdebug.capture.filechunks import RAW, FileChunks
from wsdebug.capture.format import C2S, S2C, CaptureWriter, parse_capture
from wsdebug.capture.importers import load
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import build_request, build_response, parse_request

ROOT = Path(__file__).resolve().parents[2]
#: payloads that look like the format's own punctuation
TRICKY = [b"\n", b"\r\n", b"line one\nline two\n", b'"}\n{"t":1,"conn":"c1"}\n', b"\x00" * 300]


def _record(path: Path) -> list[bytes]:
    """A client session whose frames hold TRICKY, written as --record writes it."""
    request = build_request("127.0.0.1:9000", "/", key="dGhlIHNhbXBsZSBub25jZQ==")[0]
    chunks = [request, build_response(parse_request(request))]
    for i, payload in enumerate(TRICKY):
        chunks.append(encode_frame(0x2, payload, mask_key=b"\x0a\x0d\x0a\x0d"))
        chunks.append(encode_frame(0x2, payload[::-1]))
        if i == 2:  # a chunk that ends in the middle of a frame
            whole = encode_frame(0x1, b"split\nacross\nchunks", mask_key=b"abcd")
            chunks += [whole[:9], whole[9:]]
    chunks.append(encode_frame(0x8, b"\x03\xe8", mask_key=b"\n\n\n\n"))
    chunks.append(encode_frame(0x8, b"\x03\xe8"))
    with path.open("w", encoding="utf-8") as fh:
        w = CaptureWriter(fh, mode="connect", created="2026-12-02T00:00:00Z")
        w.open("c1", role="client", peer="127.0.0.1:9000", local="127.0.0.1:5000", t=1.0)
        for i, chunk in enumerate(chunks):
            direction = C2S if i % 2 == 0 and i != 1 else S2C
            if i in (8, 9):  # the split frame's two halves: the client's
                direction = C2S
            w.data("c1", direction, chunk, t=1.0 + i / 100)
        w.end("c1", "closed", t=2.0)
    return chunks


def test_chunks_come_back_exactly_and_are_not_hex(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    chunks = _record(path)
    raw = path.read_bytes()
    assert b'"version":2' in raw.split(b"\n", 1)[0] and b'"hex"' not in raw
    parsed = parse_capture(raw.splitlines(keepends=True))
    assert [c.data for c in parsed.connections[0].chunks] == chunks
    by_file = load(path, refs=True).connections[0].chunks
    assert isinstance(by_file, FileChunks)
    assert not by_file.held and all(d & RAW for d in by_file.dirs)  # ranges of the file
    assert [c.data for c in by_file] == chunks


def test_replay_of_a_recording_with_line_ends_in_its_data(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    _record(path)
    out = CliRunner().invoke(wsdebug.cli.app, ["replay", str(path), "--all", "--plain"])
    assert out.exit_code == 0, out.stdout + out.stderr
    text = " ".join(out.stdout.split())
    assert "closed by the client with 1000 normal closure" in text
    piped = subprocess.run(
        [sys.executable, "-m", "wsdebug", "replay", "-", "--json"],
        input=path.read_bytes(),
        capture_output=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert b'"text":"split\\nacross\\nchunks"' in piped.stdout


def test_a_block_cut_by_a_kill_is_reported_and_the_rest_replayed(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    _record(path)
    raw = path.read_bytes()
    at = raw.rindex(b'"len":') + 30  # inside the last data record's bytes
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(raw[:at])
    parsed = parse_capture(cut.read_bytes().splitlines(keepends=True))
    assert parsed.cut is not None and parsed.cut.offset == raw.rindex(b"\n{", 0, at) + 1
    out = CliRunner().invoke(wsdebug.cli.app, ["replay", str(cut), "--all", "--plain"])
    assert out.exit_code == 1
    assert "is cut short at byte" in out.stderr and out.stderr.count("\n") == 1


def test_a_block_that_does_not_end_its_record_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    _record(path)
    raw = path.read_bytes()
    head = b'"len":5}\n'
    at = raw.index(b'"len":')
    end = raw.index(b"}\n", at) + 2
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(raw[:at] + head + raw[end:])  # the first block said to be 5 bytes
    out = CliRunner().invoke(wsdebug.cli.app, ["replay", str(bad), "--all", "--plain"])
    assert out.exit_code == 2, out.stdout
    assert out.stderr.startswith("wsdebug: ") and out.stderr.count("\n") == 1
    assert "does not end its record" in out.stderr or "not JSON" in out.stderr
