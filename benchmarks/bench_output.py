"""Bulk output speed: ``replay --all --plain`` against tshark, ``decode --plain`` against a script.

Run from the repository root::

    .venv/bin/python benchmarks/bench_output.py              # 100k messages / frames
    .venv/bin/python benchmarks/bench_output.py -n 20000     # smaller inputs
    .venv/bin/python benchmarks/bench_output.py --keep DIR   # keep the generated inputs in DIR
    .venv/bin/python benchmarks/bench_output.py --check      # exit 1 when a target fails
    .venv/bin/python benchmarks/bench_output.py --quick      # 10k messages, a first look
    .venv/bin/python benchmarks/bench_output.py --only summary --repeat 3   # one group of rows

Inputs, generated deterministically into a temporary directory:

    capture.jsonl   a wsdebug recording: one connection, the opening handshake, then N messages
                    (client text frames masked, server text echoes), one chunk each, and a
                    clean closing handshake
    capture.pcap    the same recording as a pcap of TCP segments (tests.pcapwrite),
                    one segment per chunk, so tshark sees N WebSocket packets
    frames.hex      N small server frames (10-30 B of text) as one line of plain hex

Commands, each a subprocess with its output to /dev/null, timed wall-clock, best of --repeat:

    replay summary  wsdebug replay FILE --all --plain -d summary     vs  tshark -r PCAP -Y websocket
    replay fields   wsdebug replay FILE --all --plain -d fields      vs  tshark -r PCAP -V -Y websocket
    replay json     wsdebug replay FILE --json                       vs  tshark -r PCAP -T json -Y websocket
    decode summary  wsdebug decode -f HEX --plain -d summary         vs  a minimal script: read the text,
                    bytes.fromhex, parse every frame with websockets.frames.Frame.parse, print one line each

The working tree is byte-compiled before the timings (and the commands run without
PYTHONDONTWRITEBYTECODE), so wsdebug starts from bytecode as an installed copy does.

Targets (issue 10): replay ratios <= 1.0 (no slower than tshark), decode ratio <= 2.0.  When
tshark is not installed (or not at --tshark PATH / $TSHARK), the replay rows say so and only
wsdebug's own times are shown; nothing is installed.  Each pair of commands runs
round-robin (ours, theirs, ours, ...) so both see the same machine load.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))  # benchmark the working tree, not an installed copy

from tests.pcapwrite import write_pcap  # noqa: E402
from wsdebug.capture.format import C2S, S2C, CaptureWriter, read_capture  # noqa: E402
from wsdebug.codec.close import build_close_payload  # noqa: E402
from wsdebug.codec.frames import encode_frame  # noqa: E402
from wsdebug.codec.handshake import build_request, build_response, parse_request  # noqa: E402

T0 = 1764583200.0
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")

#: The reference decoder: converts the same hex text and parses it with websockets.
REFERENCE_DECODE = r"""
import sys
from websockets.frames import Frame
from websockets.streams import StreamReader
data = bytes.fromhex(open(sys.argv[1]).read())
reader = StreamReader()
reader.feed_data(data)
reader.feed_eof()
out = []
n = 0
while reader.buffer:
    gen = Frame.parse(reader.read_exact, mask=False, max_size=None, extensions=[])
    try:
        next(gen)
    except StopIteration as stop:
        f = stop.value
    n += 1
    out.append(f"#{n} {f.opcode.name} {'FIN' if f.fin else 'frag'} {len(f.data)} B {f.data[:40]!r}")
    if len(out) >= 4096:
        sys.stdout.write("\n".join(out) + "\n")
        out.clear()
sys.stdout.write("\n".join(out) + "\n")
print(f"{n} frames")
"""


def _text(i: int) -> bytes:
    return f"{_WORDS[i % 8]} {i} {_WORDS[(i * 7) % 8]}".encode()


class _BufferedWriter(CaptureWriter):
    """The capture writer without its per-record write to the descriptor (that is for live
    recording): every line goes through the text file's buffer."""

    @staticmethod
    def _raw_fd(fh: object) -> int | None:
        return None

    def _line(self, line: str) -> None:
        self._fh.write(line)


def make_capture(path: Path, n: int) -> None:
    """A recording of one connection with ``n`` data messages (half each way) and a clean close."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        w = _BufferedWriter(
            fh, mode="connect", tool="bench_output", created="2025-12-01T10:00:00.000000Z"
        )
        t = T0
        w.open(
            "c1",
            role="client",
            peer="10.0.0.2:80",
            local="10.0.0.1:50000",
            url="ws://10.0.0.2/chat",
            t=t,
        )
        request = build_request("10.0.0.2", "/chat", key="dGhlIHNhbXBsZSBub25jZQ==")[0]
        w.data("c1", C2S, request, t=t)
        w.data("c1", S2C, build_response(parse_request(request)), t=t + 0.001)
        w.handshake("c1", subprotocol=None, extensions=None, t=t + 0.001)
        for i in range(n):
            t = round(t + 0.0005, 6)
            if i % 2 == 0:
                key = ((i + 1) * 2654435761 & 0xFFFFFFFF).to_bytes(4, "big")
                w.data("c1", C2S, encode_frame(0x1, _text(i), mask_key=key), t=t)
            else:
                w.data("c1", S2C, encode_frame(0x1, _text(i)), t=t)
        w.data(
            "c1",
            C2S,
            encode_frame(0x8, build_close_payload(1000, ""), mask_key=b"\x01\x02\x03\x04"),
            t=t + 0.01,
        )
        w.data("c1", S2C, encode_frame(0x8, build_close_payload(1000, "")), t=t + 0.011)
        w.end("c1", "server closed the connection", t=t + 0.012)


def make_pcap(jsonl: Path, path: Path) -> None:
    with open(jsonl, encoding="utf-8") as fh:
        conns = read_capture(fh, str(jsonl))
    with open(path, "wb") as out:
        write_pcap(out, conns)


def make_hex(path: Path, n: int) -> None:
    path.write_text(b"".join(encode_frame(0x1, _text(i)) for i in range(n)).hex() + "\n")


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU (user + system) time of ``cmd`` over ``repeat`` runs."""
    wall = cpu = float("inf")
    env = {**os.environ, "PYTHONPATH": str(_ROOT), "COLUMNS": "100"}
    env.pop("FORCE_COLOR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # start as an installed copy does: from bytecode
    for _ in range(repeat):
        cpu0, start = _child_cpu(), time.perf_counter()
        proc = subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=3600
        )
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, _child_cpu() - cpu0)
        if proc.returncode not in (0, 1):
            raise SystemExit(
                f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}"
            )
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "-n", type=int, default=100_000, help="messages in the capture, frames in the hex file"
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per command, best kept (default 1)")
    ap.add_argument("--keep", type=Path, help="write the inputs into this directory and keep them")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    ap.add_argument(
        "--only", choices=("summary", "fields", "json", "decode"), help="run only these rows"
    )
    ap.add_argument("--quick", action="store_true", help="10,000 messages (unless -n is given)")
    ap.add_argument(
        "--tshark", default=os.environ.get("TSHARK"), help="tshark to compare with (default: PATH)"
    )
    args = ap.parse_args()
    if args.quick and args.n == 100_000:
        args.n = 10_000
    tmp = None
    if args.keep is not None:
        folder = args.keep
        folder.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench_output_")
        folder = Path(tmp.name)
    try:
        return _bench(folder, args)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _bench(folder: Path, args: argparse.Namespace) -> int:
    n = args.n
    jsonl, pcap, hexfile = folder / "capture.jsonl", folder / "capture.pcap", folder / "frames.hex"
    print(f"generating inputs in {folder} (n = {n:,}) ...", flush=True)
    make_capture(jsonl, n)
    make_pcap(jsonl, pcap)
    make_hex(hexfile, n)
    for p in (jsonl, pcap, hexfile):
        print(f"  {p.name:<14} {p.stat().st_size / 1e6:8.1f} MB")
    py = sys.executable
    ws = [py, "-m", "wsdebug"]
    tshark = shutil.which(args.tshark or "tshark")
    if tshark is None:
        print(
            "tshark is not installed (Debian/Ubuntu: apt-get install tshark); the replay rows show wsdebug only"
        )
    # The working tree byte-compiled first, as an installed package is: otherwise a module
    # edited since the last run (or every module, with PYTHONDONTWRITEBYTECODE set) is
    # compiled again at each start, and that is timed.
    compileall.compile_dir(str(_ROOT / "wsdebug"), quiet=1)
    script = folder / "reference_decode.py"
    script.write_text(REFERENCE_DECODE)
    # (label, wsdebug command, reference label, reference command or None, target ratio)
    rows: list[tuple[str, list[str], str, list[str] | None, float]] = []
    for kind, path in (("pcap", pcap), ("jsonl", jsonl)):
        for detail, ref_args in (("summary", []), ("fields", ["-V"]), ("json", ["-T", "json"])):
            ref = [tshark, "-r", str(pcap), *ref_args, "-Y", "websocket"] if tshark else None
            our_cmd = (
                [*ws, "replay", str(path), "--json"]
                if detail == "json"
                else [*ws, "replay", str(path), "--all", "--plain", "-d", detail]
            )
            rows.append(
                (
                    f"replay {kind} --json" if detail == "json" else f"replay {kind} -d {detail}",
                    our_cmd,
                    f"tshark {' '.join([*ref_args, '-Y websocket'])}",
                    ref,
                    1.0,
                )
            )
    rows.append(
        (
            "decode hex -d summary",
            [*ws, "decode", "-f", str(hexfile), "--plain", "-d", "summary"],
            "websockets script",
            [py, str(script), str(hexfile)],
            2.0,
        )
    )
    if args.only:
        rows = [
            r
            for r in rows
            if (
                r[0].startswith("decode")
                if args.only == "decode"
                else r[0].endswith("--json")
                if args.only == "json"
                else r[0].endswith(args.only) and r[0].startswith("replay")
            )
        ]
    print(
        f"\n{'workload':<24} {'wsdebug s':>9} {'cpu s':>6}  {'reference':<24} {'ref s':>6} {'cpu s':>6}"
        f"  {'ratio':>6} {'cpu':>6}  target"
    )
    failed = 0
    for label, cmd, ref_label, ref, target in rows:
        if ref is None:
            ours, ours_cpu = run(cmd, args.repeat)
            print(
                f"{label:<24} {ours:>9.2f} {ours_cpu:>6.2f}  {'(tshark missing)':<24} {'-':>6} {'-':>6}"
                f"  {'-':>6} {'-':>6}  <= {target:.1f}x"
            )
            continue
        ours = ours_cpu = theirs = theirs_cpu = float("inf")
        for _ in range(args.repeat):  # round-robin: both sides see the same load
            wall, cpu = run(cmd, 1)
            ours, ours_cpu = min(ours, wall), min(ours_cpu, cpu)
            wall, cpu = run(ref, 1)
            theirs, theirs_cpu = min(theirs, wall), min(theirs_cpu, cpu)
        ratio, cpu_ratio = ours / theirs, ours_cpu / max(theirs_cpu, 1e-9)
        ok = ratio <= target
        failed += not ok
        print(
            f"{label:<24} {ours:>9.2f} {ours_cpu:>6.2f}  {ref_label:<24} {theirs:>6.2f} {theirs_cpu:>6.2f}"
            f"  {ratio:>5.2f}x {cpu_ratio:>5.2f}x  <= {target:.1f}x {'PASS' if ok else 'FAIL'}",
            flush=True,
        )
    print(
        f"\nratio = wsdebug / reference, wall clock (PASS/FAIL); cpu = the same for user+system CPU "
        f"time, steadier on a loaded machine; best of {args.repeat}"
    )
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
