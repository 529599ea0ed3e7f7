"""The stepper's pcap conversations keep file positions, not payloads (capture.filechunks):
the events are the in-memory reader's, byte for byte, and memory does not follow the file."""

from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pcapwrite import write_pcap
from wsdebug.capture.filechunks import FileChunks
from wsdebug.capture.format import C2S, S2C, CaptureWriter
from wsdebug.capture.importers import load
from wsdebug.capture.replay import open_capture
from wsdebug.capture.serialize import event_json
from wsdebug.codec.deflate import DeflateParams, PerMessageDeflate
from wsdebug.codec.events import Event, FrameEvent
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import build_request, build_response, parse_request

MIB = 1 << 20


def _same(a: Event, b: Event) -> bool:
    if isinstance(a, FrameEvent):
        return isinstance(b, FrameEvent) and event_json(a) == event_json(b)
    return repr(a) == repr(b)


def _jsonl(path: Path, n: int) -> None:
    """permessage-deflate with context takeover, messages split across chunks, pings."""
    params = DeflateParams()
    client = PerMessageDeflate(params, is_client=True)
    server = PerMessageDeflate(params, is_client=False)
    out = io.StringIO()
    w = CaptureWriter(out, mode="connect", created="2025-12-01T10:00:00Z")
    w.open("c1", role="client", peer="10.0.0.2:80", local="10.0.0.1:5000", t=1.0)
    request = build_request(
        "10.0.0.2", "/", key="dGhlIHNhbXBsZSBub25jZQ==", extensions="permessage-deflate"
    )[0]
    w.data("c1", C2S, request, t=1.0)
    w.data(
        "c1", S2C, build_response(parse_request(request), extensions="permessage-deflate"), t=1.0
    )
    t = 1.0
    for i in range(n):
        t += 0.001
        text = f"message {i} says the same words again {i % 7}".encode()
        wire = encode_frame(0x1, client.compress(text), rsv1=True, mask_key=b"kkkk")
        w.data("c1", C2S, wire[: len(wire) // 2], t=t)
        w.data("c1", C2S, wire[len(wire) // 2 :], t=t)
        w.data("c1", S2C, encode_frame(0x1, server.compress(text.upper()), rsv1=True), t=t)
        if i % 10 == 3:
            w.data("c1", S2C, encode_frame(0x9, b"ping"), t=t)
    path.write_text(out.getvalue())


def _compare(path: Path) -> FileChunks:
    _, whole = open_capture(str(path))
    _, lazy = open_capture(str(path), lazy=True)
    assert [c.describe() for c in lazy] == [c.describe() for c in whole]
    for w, z in zip(whole, lazy, strict=True):
        assert len(z.events) == len(w.events)
        order = list(range(len(w.events)))
        random.Random(3).shuffle(order)
        for i in order:
            assert _same(z.events[i], w.events[i]), i
    capture = load(path, refs=True)
    chunks = capture.connections[0].chunks
    assert isinstance(chunks, FileChunks)
    assert [(c.t, c.dir, c.data) for c in chunks] == [
        (c.t, c.dir, c.data) for c in load(path).connections[0].chunks
    ]
    return chunks


@pytest.mark.parametrize(
    ("mss", "linktype", "reorder", "retransmit"),
    [(1460, 1, (), ()), (7, 1, range(3, 400, 13), range(5, 400, 11)), (64, 101, (2, 9), (4,))],
)
def test_file_ranges_give_the_same_events(
    tmp_path: Path, mss: int, linktype: int, reorder: range, retransmit: range
) -> None:
    src = tmp_path / "c.jsonl"
    _jsonl(src, 150)
    pcap = tmp_path / "c.pcap"
    with pcap.open("wb") as fh:
        write_pcap(
            fh,
            load(src).connections,
            mss=mss,
            reorder=reorder,
            retransmit=retransmit,
            linktype=linktype,
        )
    chunks = _compare(pcap)
    if reorder:  # a segment joined with the ones that waited for it: those bytes are kept
        assert chunks.held and len(chunks.held) < len(chunks) // 4
    else:
        assert not chunks.held


def _packet(src: int, dst: int, seq: int, data: bytes, flags: int = 0x18) -> bytes:
    tcp = struct.pack("!HHIIBBHHH", src, dst, seq & 0xFFFFFFFF, 0, 5 << 4, flags, 65535, 0, 0)
    total = 20 + len(tcp) + len(data)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, 6, 0, b"\x7f\0\0\1", b"\x7f\0\0\1")
    frame = b"\0" * 12 + b"\x08\x00" + ip + tcp + data
    return struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame


def _header() -> bytes:
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)


def test_overlaps_and_out_of_order_segments(tmp_path: Path) -> None:
    """A segment overlapping the one before (trimmed: still a file range), one ahead of a
    gap (waits, then joined: kept as bytes), a retransmission (dropped)."""
    request, _ = build_request("127.0.0.1:8080", "/")
    response = build_response(parse_request(request))
    stream = b"".join(encode_frame(0x1, f"frame {i} ".encode() * (i % 5 + 1)) for i in range(60))
    out = [_header(), _packet(40000, 8080, 1, request), _packet(8080, 40000, 1, response)]
    base = 1 + len(response)
    cuts = [(0, 100), (50, 200), (300, 420), (200, 300), (0, 90), (420, 700), (700, len(stream))]
    out += [_packet(8080, 40000, base + a, stream[a:b]) for a, b in cuts]
    path = tmp_path / "overlap.pcap"
    path.write_bytes(b"".join(out))
    chunks = _compare(path)
    assert len(chunks.held) == 1 and len(chunks) == 7  # request, response, 5 server chunks


_CHILD = """
import sys
from wsdebug.capture.importers import load
from wsdebug.capture.lazy import lazy_conversations
from wsdebug.ui.stepper import Stepper
capture = load(sys.argv[1], max_input=1 << 40, refs=sys.argv[2] == "refs")
assert capture.kind == sys.argv[3], capture.kind
convs = lazy_conversations(capture.connections, notes=capture.notes, gaps=capture.gaps)
del capture
st = Stepper(convs, detail="summary")
st.last()
st.jump(1)
assert st.current is not None
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
print(int(hwm.split()[1]), convs[0].frame_count)
"""


def big_pcap(path: Path, size: int, payload: int = 16000) -> int:
    """A pcap of ``size`` bytes or so: one connection, server frames of ``payload`` bytes
    one per segment, a masked client frame every 16; returns the number of frames."""
    request, _ = build_request("127.0.0.1:8080", "/")
    response = build_response(parse_request(request))
    s2c = encode_frame(0x2, b"\xab" * payload)
    c2s = encode_frame(0x1, b"hello " * 10, mask_key=b"abcd")
    n = 0
    with path.open("wb") as fh:
        fh.write(_header() + _packet(40000, 8080, 1, request) + _packet(8080, 40000, 1, response))
        sseq, cseq, written = 1 + len(response), 1 + len(request), 0
        while written < size:
            block = []
            for i in range(64):
                block.append(_packet(8080, 40000, sseq, s2c))
                sseq += len(s2c)
                if i % 16 == 0:
                    block.append(_packet(40000, 8080, cseq, c2s))
                    cseq += len(c2s)
                    n += 1
            n += 64
            data = b"".join(block)
            fh.write(data)
            written += len(data)
    return n


def big_jsonl(path: Path, size: int, payload: int = 16000) -> int:
    """A wsdebug capture of ``size`` bytes or so, as :func:`big_pcap`."""
    request, _ = build_request("127.0.0.1:8080", "/")
    response = build_response(parse_request(request))
    s2c = encode_frame(0x2, b"\xab" * payload)
    c2s = encode_frame(0x1, b"hello " * 10, mask_key=b"abcd")
    n = 0
    with path.open("w") as fh:
        w = CaptureWriter(fh, mode="connect", created="2025-12-01T10:00:00Z")
        w.open("1", role="client", peer="127.0.0.1:8080", local="127.0.0.1:40000", t=1.0)
        w.data("1", C2S, request, t=1.0)
        w.data("1", S2C, response, t=1.0)
        while fh.tell() < size:
            for i in range(64):
                w.data("1", S2C, s2c, t=2.0)
                if i % 16 == 0:
                    w.data("1", C2S, c2s, t=2.0)
                    n += 1
            n += 64
    return n


def stepper_hwm_kib(path: Path, refs: bool) -> tuple[int, int]:
    """(VmHWM in KiB, frames) of a process that indexes ``path`` for the stepper."""
    kind = "pcap" if path.suffix == ".pcap" else "wsdebug capture"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), "refs" if refs else "bytes", kind],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout.split()
    return int(out[0]), int(out[1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (VmHWM)")
@pytest.mark.parametrize("suffix", [".pcap", ".jsonl"])
def test_the_stepper_memory_does_not_follow_the_file(tmp_path: Path, suffix: str) -> None:
    small, large = tmp_path / f"small{suffix}", tmp_path / f"large{suffix}"
    make = big_pcap if suffix == ".pcap" else big_jsonl
    n_small, n_large = make(small, 20 * MIB), make(large, 200 * MIB)
    hwm_small, frames_small = stepper_hwm_kib(small, refs=True)
    hwm_large, frames_large = stepper_hwm_kib(large, refs=True)
    assert (frames_small, frames_large) == (n_small, n_large)
    assert hwm_large < 100 * 1024, f"{hwm_large >> 10} MiB for 200 MiB"
    assert hwm_large < hwm_small + 24 * 1024, f"{hwm_small >> 10} MiB, then {hwm_large >> 10} MiB"


def test_the_cli_stepper_opens_a_pcap_by_reference(tmp_path: Path) -> None:
    """End to end through `wsdebug replay` on a pty: the stepper opens a pcap (its chunks
    file ranges) and shows its last frame on G."""
    pexpect = pytest.importorskip("pexpect")
    path = tmp_path / "c.pcap"
    n = big_pcap(path, 1 * MIB, payload=300)
    code = "import wsdebug.cli, wsdebug.cli.replay; wsdebug.cli.main()"
    child = pexpect.spawn(
        sys.executable,
        ["-c", code, "replay", str(path)],
        dimensions=(30, 80),
        timeout=60,
        env={**os.environ, "TERM": "xterm"},
    )
    try:
        child.expect(f" 0/{n} ".encode())
        child.send("G")
        child.expect(f"#{n} ".encode())  # the last frame's title line
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


def test_a_wsdebug_capture_keeps_where_its_hex_is(tmp_path: Path) -> None:
    """Data records as the writer writes them are file ranges of hex digits; a record spelt
    otherwise (spaces, other key order, CRLF, upper case) keeps its bytes; events identical."""
    path = tmp_path / "c.jsonl"
    _jsonl(path, 200)
    chunks = _compare(path)
    assert len(chunks) > 500 and not chunks.held and chunks.hexed
    lines = path.read_bytes().splitlines(keepends=True)
    frame = encode_frame(0x1, b"edited by hand", mask_key=b"abcd").hex()
    lines[40] = (
        b'{"hex": "' + frame.encode() + b'", "dir": "c2s", "event": "data", "conn": "c1", "t": 2}\n'
    )
    lines[41] = lines[41].rstrip(b"\n") + b"\r\n"
    edited = tmp_path / "edited.jsonl"
    edited.write_bytes(b"".join(lines))
    chunks = _compare(edited)
    assert list(chunks.held) == [38]  # the edited record (after the header, open, 2 chunks)
    assert chunks.sizes[39] == len(chunks.data(39)) * 2  # the CRLF one: still its hex digits


def test_pcapng_and_a_capture_begun_after_the_handshake(tmp_path: Path) -> None:
    """pcapng (written by dpkt, and by editcap when installed: section and interface options,
    a block layout of its own) and a pcap without the upgrade (midstream: the streams lose
    their first bytes, still as file ranges) give the in-memory reader's events."""
    import shutil

    import dpkt

    src = tmp_path / "c.jsonl"
    _jsonl(src, 120)
    conns = load(src).connections
    pcap = tmp_path / "c.pcap"
    with pcap.open("wb") as fh:
        write_pcap(fh, conns, mss=100, reorder=(4, 30), retransmit=(7,), linktype=101)
    ng = tmp_path / "dpkt.pcapng"
    with pcap.open("rb") as fh, ng.open("wb") as out:
        w = dpkt.pcapng.Writer(out, linktype=101, snaplen=65535)
        for ts, buf in dpkt.pcap.Reader(fh):
            w.writepkt(buf, ts=ts)
    assert load(ng).kind == "pcapng"
    _compare(ng)
    if shutil.which("editcap"):
        ed = tmp_path / "editcap.pcapng"
        subprocess.run(["editcap", "-F", "pcapng", str(pcap), str(ed)], check=True, timeout=60)
        _compare(ed)
    conns[0].chunks = conns[0].chunks[3:]  # no handshake, half a frame: begun after them
    mid = tmp_path / "mid.pcap"
    with mid.open("wb") as fh:
        write_pcap(fh, conns, mss=100, reorder=(4,))
    _, (conv,) = open_capture(str(mid), lazy=True)
    assert any("bytes are the end of a frame" in n for n in conv.notes), conv.notes
    _compare(mid)


@pytest.mark.parametrize("suffix", [".pcap", ".jsonl"])
def test_a_named_pipe_keeps_its_bytes(tmp_path: Path, suffix: str) -> None:
    """A capture that cannot be read again (a FIFO: `wsdebug replay <(...)`) keeps its
    chunks' bytes, and steps as the file does."""
    import threading

    path = tmp_path / f"c{suffix}"
    (big_pcap if suffix == ".pcap" else big_jsonl)(path, 200_000, payload=300)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    feeder = threading.Thread(target=lambda: fifo.write_bytes(path.read_bytes()), daemon=True)
    feeder.start()
    _, (piped,) = open_capture(str(fifo), lazy=True)
    feeder.join(30)
    _, (whole,) = open_capture(str(path))
    assert not isinstance(piped.events.chunks, FileChunks)  # type: ignore[attr-defined]
    assert len(piped.events) == len(whole.events) > 300
    assert all(_same(a, b) for a, b in zip(piped.events, whole.events, strict=True))
