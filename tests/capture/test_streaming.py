"""replay streamed: the struct record reader agrees with dpkt's, the JSONL grouping gives what the
whole-file reader gives, and a large capture replays in bounded memory."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import dpkt
import pytest

from wsdebug.capture.format import C2S, S2C, CaptureWriter, ConnectionInfo, read_capture
from wsdebug.capture.pcapread import records
from wsdebug.capture.replay import emit_json, open_capture
from wsdebug.codec.close import build_close_payload
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import build_request, build_response, parse_request

from .conftest import connection_pair_session, json_events, replay
from .test_pcap import pcap_bytes

MIB = 1 << 20


def _session() -> ConnectionInfo:
    (info,) = read_capture(io.StringIO(connection_pair_session(chunk=7)))
    return info


def _dpkt_packets(raw: bytes) -> list[tuple[float, bytes]]:
    fh = io.BytesIO(raw)
    reader = dpkt.pcapng.Reader(fh) if raw[:4] == b"\x0a\x0d\x0d\x0a" else dpkt.pcap.Reader(fh)
    return [(float(ts), bytes(buf)) for ts, buf in reader]


def _ours(raw: bytes) -> tuple[int, list[tuple[float, bytes]]]:
    link, _, recs = records(io.BytesIO(raw), "x")
    return link, [(ts, bytes(buf[a:b])) for ts, _, buf, a, b in recs]


@pytest.mark.parametrize("linktype", [1, 101, 113, 0])
def test_pcap_records_match_dpkt(linktype: int) -> None:
    raw = pcap_bytes([_session()], mss=300, linktype=1)
    packets = _dpkt_packets(raw)
    out = io.BytesIO()
    w = dpkt.pcap.Writer(out, linktype=linktype, snaplen=65535, nano=linktype == 101)
    for ts, buf in packets:
        w.writepkt(buf, ts)
    link, ours = _ours(out.getvalue())
    assert link == linktype
    theirs = _dpkt_packets(out.getvalue())
    assert [b for _, b in ours] == [b for _, b in theirs]
    assert all(abs(a - b) < 1e-6 for (a, _), (b, _) in zip(ours, theirs, strict=True))


def test_pcapng_records_match_dpkt() -> None:
    packets = _dpkt_packets(pcap_bytes([_session()], mss=300, linktype=1))
    out = io.BytesIO()
    w = dpkt.pcapng.Writer(out, linktype=1, snaplen=65535)
    for ts, buf in packets:
        w.writepkt(buf, ts)
    link, ours = _ours(out.getvalue())
    assert link == 1
    assert [b for _, b in ours] == [b for _, b in packets]
    assert all(abs(a - b) < 1e-5 for (a, _), (b, _) in zip(ours, packets, strict=True))


def test_a_file_cut_inside_a_record_keeps_what_came_before() -> None:
    raw = pcap_bytes([_session()], mss=300, linktype=1)
    whole = _ours(raw)[1]
    link, cut = _ours(raw[:-5])
    assert [b for _, b in cut[:-1]] == [b for _, b in whole[:-1]]
    assert cut[-1][1] == whole[-1][1][:-5]


def _interleaved(path: Path) -> None:
    """Three conversations: c1 and c2 overlap (their records alternate), c3 comes after."""
    with open(path, "w", encoding="utf-8") as fh:
        w = CaptureWriter(fh, mode="listen", created="2025-12-01T10:00:00Z")
        t = 100.0
        for conn in ("c1", "c2"):
            w.open(conn, role="server", peer=f"10.0.0.9:{conn[1]}000", local="10.0.0.1:80", t=t)
        heads = {}
        for conn in ("c1", "c2", "c3"):
            request = build_request("10.0.0.1", f"/{conn}", key="dGhlIHNhbXBsZSBub25jZQ==")[0]
            heads[conn] = (request, build_response(parse_request(request)))
        for conn in ("c1", "c2"):
            w.data(conn, C2S, heads[conn][0], t=t)
            w.data(conn, S2C, heads[conn][1], t=t)
        for i in range(30):
            for conn in ("c1", "c2"):
                t += 0.001
                payload = f"{conn} message {i}".encode()
                w.data(conn, C2S, encode_frame(0x1, payload, mask_key=b"abcd"), t=t)
                w.data(conn, S2C, encode_frame(0x1, payload[::-1]), t=t)
        w.end("c2", "client left", t=t)
        w.data("c1", S2C, encode_frame(0x8, build_close_payload(1000, "bye")), t=t)
        w.end("c1", "server closed", t=t)
        w.open("c3", role="server", peer="10.0.0.9:3000", local="10.0.0.1:80", t=t)
        w.data("c3", C2S, heads["c3"][0], t=t)
        w.data("c3", S2C, heads["c3"][1], t=t)
        w.data("c3", C2S, encode_frame(0x1, b"\xff bad utf-8", mask_key=b"wxyz"), t=t)
        w.end("c3", "gone", t=t)


def test_streamed_json_is_the_whole_file_json(tmp_path: Path) -> None:
    """--json of interleaved conversations, streamed, equals the events of the whole-file
    reader (grouped by conversation, in order of first appearance)."""
    path = tmp_path / "three.jsonl"
    _interleaved(path)
    _, convs = open_capture(str(path))
    whole = io.StringIO()
    emit_json(convs, whole, kind="wsdebug capture")
    result = replay(path, "--json")
    assert result.exit_code == 1, result.stderr  # c3's invalid UTF-8
    assert json_events(result) == [json.loads(line) for line in whole.getvalue().splitlines()]
    assert [e["conn"] for e in json_events(result) if e["event"] == "connect"] == [
        "c1",
        "c2",
        "c3",
    ]
    one = replay(path, "--json", "--conn", "2")
    assert {e["conn"] for e in json_events(one)} == {"c2"}
    assert one.exit_code == 0
    missing = replay(path, "--json", "--conn", "c9")
    assert missing.exit_code == 2
    assert "no conversation 'c9'" in missing.stderr and "c1, c2, c3" in missing.stderr


def _big_jsonl(path: Path, size: int) -> int:
    """A recording of ``size`` bytes or more: one connection, 60 KB binary frames each way."""
    payload = bytes(range(256)) * 234
    c2s = encode_frame(0x2, payload, mask_key=b"\x01\x02\x03\x04").hex()
    s2c = encode_frame(0x2, payload).hex()
    request = build_request("10.0.0.2", "/big", key="dGhlIHNhbXBsZSBub25jZQ==")[0]
    frames = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"format":"wsdebug-capture","version":1,"mode":"connect"}\n')
        fh.write(
            '{"t":1.0,"conn":"c1","event":"open","role":"client","peer":"10.0.0.2:80",'
            '"local":"10.0.0.1:5000","url":"ws://10.0.0.2/big"}\n'
        )
        for direction, data in ((C2S, request), (S2C, build_response(parse_request(request)))):
            fh.write(
                f'{{"t":1.0,"conn":"c1","event":"data","dir":"{direction}","hex":"{data.hex()}"}}\n'
            )
        written = 0
        i = 0
        while written < size:
            i += 1
            direction, hexed = (C2S, c2s) if i % 2 else (S2C, s2c)
            line = f'{{"t":{1 + i / 1000},"conn":"c1","event":"data","dir":"{direction}","hex":"{hexed}"}}\n'
            fh.write(line)
            written += len(line)
            frames += 1
    return frames


def _peak_kib(*args: str) -> tuple[int, str]:
    """Peak RSS (KiB) of ``wsdebug ARGS`` in a child; its stdout's last 400 characters.

    VmHWM (this process image's own peak), not ru_maxrss: Linux carries a forked child's
    ru_maxrss over its exec, so it would report the test runner's own size."""
    code = (
        "import resource, sys\n"
        "from wsdebug.cli import main\n"
        f"sys.argv = ['wsdebug', *{list(args)!r}]\n"
        "try:\n    main()\n"
        "finally:\n"
        "    sys.stdout.flush()\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
        "    peak = int(hwm[0].split()[1]) if hwm else "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    sys.stderr.write('maxrss=%d\\n' % peak)\n"
    )
    env = {**os.environ, "COLUMNS": "100"}
    with tempfile.TemporaryFile() as out:  # --json of 200 MB is more than a test should hold
        proc = subprocess.run(
            [sys.executable, "-c", code],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            env=env,
        )
        out.seek(max(out.seek(0, os.SEEK_END) - 400, 0))
        tail = out.read().decode("utf-8", "replace")
    assert proc.returncode == 0, proc.stderr[-2000:]
    peak = int(proc.stderr.rsplit("maxrss=", 1)[1].split()[0])
    return peak, tail


def test_a_large_capture_replays_in_bounded_memory(tmp_path: Path) -> None:
    """A 200 MB recording (generated here, deleted after) printed with --all and as --json:
    the replay's peak RSS stays under 150 MB (it held every decoded frame: about 2.5x the
    file)."""
    path = tmp_path / "big.jsonl"
    frames = _big_jsonl(path, 200 * 1000 * 1000)
    assert path.stat().st_size >= 200 * 1000 * 1000
    try:
        peak, tail = _peak_kib("replay", str(path), "--all", "--plain", "-d", "summary")
        assert f"{frames:,} frames" not in tail  # frames are counted without separators
        assert f"{frames} frames; no close frame before the capture ends" in tail
        assert peak < 150 * 1024, f"peak RSS {peak // 1024} MiB"
        peak, tail = _peak_kib("replay", str(path), "--json")
        assert json.loads(tail.splitlines()[-1])["event"] == "disconnect"
        assert peak < 150 * 1024, f"peak RSS {peak // 1024} MiB"
    finally:
        path.unlink()
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss > 0


def _headless(path: Path) -> None:
    """Compressed frames each way and no handshake (a capture begun after it)."""
    import zlib

    def deflated(text: bytes) -> bytes:
        z = zlib.compressobj(wbits=-15)
        return (z.compress(text) + z.flush(zlib.Z_SYNC_FLUSH))[:-4]

    with open(path, "w", encoding="utf-8") as fh:
        w = CaptureWriter(fh, mode="connect", created="2025-12-01T10:00:00Z")
        w.open("c1", role="client", peer="10.0.0.2:80", local="10.0.0.1:5000", t=1.0)
        for i in range(3):
            text = b"compressed message %d" % i
            w.data("c1", C2S, encode_frame(0x1, deflated(text), rsv1=True, mask_key=b"mask"), t=2.0)
            w.data("c1", S2C, encode_frame(0x1, deflated(text.upper()), rsv1=True), t=2.1)
        w.end("c1", "gone", t=3.0)


def test_deflate_with_its_parameters_in_one_option(tmp_path: Path) -> None:
    """--deflate=PARAMS inflates with those parameters (the old --deflate-params spelling is
    the same option); --deflate alone before FILE stays a flag; bad parameters: exit 2."""
    path = tmp_path / "headless.jsonl"
    _headless(path)
    params = "server_no_context_takeover; client_max_window_bits=10"
    texts = [b"compressed message %d" % i for i in range(3)]
    want = [t.decode() for pair in ((t, t.upper()) for t in texts) for t in pair]
    for args in (
        [f"--deflate={params}"],
        ["--deflate-params", params],
        [f"--deflate=permessage-deflate; {params}"],
    ):
        result = replay(path, "--all", "--plain", "-d", "summary", *args)
        assert result.exit_code == 0, result.stderr
        assert "permessage-deflate in force: permessage-deflate; server_no_context_takeover" in (
            result.stdout
        )
        assert all(f'"{text}"' in result.stdout for text in want)
    flag = replay("--deflate", path, "--json")
    assert flag.exit_code == 0, flag.stderr
    assert [e["text"] for e in json_events(flag) if e["event"] == "message"] == want
    off = replay(path, "--json")
    assert not any(e["event"] == "message" and e["text"] in want for e in json_events(off))
    for bad in ("--deflate=nonsense=1", "--deflate=x"):
        result = replay(path, bad)
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1 and "--deflate" in result.stderr
    both = replay(path, "--deflate=server_no_context_takeover", "--no-deflate")
    assert both.exit_code == 2 and "contradict" in both.stderr


def _big_pcap(path: Path, size: int) -> int:
    """A pcap of ``size`` bytes or more: an upgrade, then 65 KB binary frames from the server,
    one per segment (written as generated, never held)."""
    import struct

    from .test_follow_memory import PAYLOAD, _packet

    request = build_request("127.0.0.1:8080", "/")[0]
    response = build_response(parse_request(request))
    frame = encode_frame(0x2, b"\xab" * PAYLOAD)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        fh.write(_packet(40000, 8080, 1, request))
        fh.write(_packet(8080, 40000, 1, response))
        seq, sent, n = 1 + len(response), 0, 0
        while sent < size:
            fh.write(_packet(8080, 40000, seq, frame))
            seq, sent, n = seq + len(frame), sent + len(frame), n + 1
    return n


def test_a_large_pcap_replays_in_bounded_memory(tmp_path: Path) -> None:
    """A 200 MB pcap (generated here, deleted after): read in two passes, never whole; the
    replay's peak RSS stays under 150 MB (it held every payload and every decoded frame)."""
    path = tmp_path / "big.pcap"
    frames = _big_pcap(path, 200 * 1000 * 1000)
    try:
        peak, tail = _peak_kib("replay", str(path), "--all", "--plain", "-d", "summary")
        assert f"{frames} frames; no close frame before the capture ends" in tail
        assert peak < 150 * 1024, f"peak RSS {peak // 1024} MiB"
        peak, tail = _peak_kib("replay", str(path), "--json", "--direction", "c2s")
        assert json.loads(tail.splitlines()[-1])["event"] == "disconnect"
        assert peak < 150 * 1024, f"peak RSS {peak // 1024} MiB"
    finally:
        path.unlink()


def test_the_two_pass_pcap_reader_on_broken_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Truncated and bit-flipped pcaps through the two-pass reader (forced for any size):
    the same exit status as the whole-file reader, one line on stderr when refused, the same
    frames when read."""
    import random

    import wsdebug.capture.streaming as streaming

    rng = random.Random(13)
    raw = pcap_bytes([_session()], mss=120, linktype=1, reorder=[2], retransmit=[4])
    path = tmp_path / "broken.pcap"
    for trial in range(30):
        data = bytearray(raw)
        if trial % 3 == 0:
            data = data[: rng.randrange(24, len(data))]
        else:
            for _ in range(rng.randrange(1, 6)):
                at = rng.randrange(24, len(data))
                data[at] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
        monkeypatch.setattr(streaming, "STREAM_PCAP_OVER", 1 << 40)
        whole = replay(path, "--json")
        monkeypatch.setattr(streaming, "STREAM_PCAP_OVER", -1)
        streamed = replay(path, "--json")
        assert streamed.exception is None or isinstance(streamed.exception, SystemExit)
        assert streamed.exit_code == whole.exit_code, (trial, streamed.stderr, whole.stderr)
        if streamed.exit_code == 2:
            assert len(streamed.stderr.strip().splitlines()) == 1
        else:
            frames = [e for e in json_events(streamed) if e["event"] == "frame"]
            assert frames == [e for e in json_events(whole) if e["event"] == "frame"]
