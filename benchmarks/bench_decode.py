"""``decode`` of pasted text in every input format against a minimal websockets script (issue 10).

Two payloads, each written in every format ``decode`` reads (plain hex, ``0x`` list, ``\\x``
string, bytes repr, xxd, ``hexdump -C``, Wireshark hex dump, base64):

* **small**: N small frames (default 100,000 unmasked TEXT frames of 10-30 B);
* **big**: one masked BINARY frame of M MiB (default 64) of random bytes.

Each file is decoded by ``wsdebug decode -f FILE [--base64] --max-input 1G`` at ``--json`` and at
``--plain -d summary`` (output to /dev/null), and by a reference script run the same way: it
converts the text with the shortest stdlib code for that format (``bytes.fromhex`` over the
columns, ``codecs.escape_decode`` for a repr, ``base64.b64decode``), parses every frame with
``websockets.frames.Frame.parse`` and prints one line per frame, or one compact JSON document
(header fields, payload hex, text) for ``--json``.

Targets: wall-clock time at most 2x the reference's; peak memory (max RSS from
``/usr/bin/time``, or ``getrusage`` when it is missing) at most 3x the input file's size.

    .venv/bin/python benchmarks/bench_decode.py                  # 100k frames, 64 MiB
    .venv/bin/python benchmarks/bench_decode.py --big 16 -n 20000
    .venv/bin/python benchmarks/bench_decode.py --only big --formats xxd,repr
    .venv/bin/python benchmarks/bench_decode.py --check          # exit 1 if a target fails
    .venv/bin/python benchmarks/bench_decode.py --quick          # 20,000 frames, 8 MiB
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wsdebug.codec.frames import encode_frame  # noqa: E402

TIME_TARGET, MEMORY_TARGET = 2.0, 3.0
FORMATS = ("hex", "0x", "\\x", "repr", "xxd", "hexdump", "wireshark", "base64")

#: The reference: the same text converted by the shortest stdlib code, parsed by websockets.
REFERENCE = r"""
import base64, codecs, json, re, sys
from websockets.frames import Frame
from websockets.streams import StreamReader
fmt, path, mode = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
if fmt == "hex":
    data = bytes.fromhex(text)
elif fmt == "0x":
    data = bytes.fromhex(text.replace("0x", "").replace(",", " "))
elif fmt == "\\x":
    data = bytes.fromhex(text.replace("\\x", ""))
elif fmt == "repr":
    data = codecs.escape_decode(text.strip()[2:-1])[0]
elif fmt == "xxd":
    data = bytes.fromhex("".join(line[10:49] for line in text.splitlines()))
elif fmt == "hexdump":
    data = bytes.fromhex("".join(line[10:59] for line in text.splitlines()))
elif fmt == "wireshark":
    data = bytes.fromhex("".join(line.partition("   ")[2][:47] for line in text.splitlines()))
else:
    data = base64.b64decode(text)
del text
masked = len(data) > 1 and bool(data[1] & 0x80)
reader = StreamReader()
reader.feed_data(data)
reader.feed_eof()
del data
out, frames, n = [], [], 0
while reader.buffer:
    gen = Frame.parse(reader.read_exact, mask=masked, max_size=None, extensions=[])
    try:
        next(gen)
    except StopIteration as stop:
        f = stop.value
    n += 1
    if mode == "json":
        frames.append({"fin": f.fin, "opcode": f.opcode.value, "rsv1": f.rsv1, "length": len(f.data),
                       "payload_hex": f.data.hex(),
                       "text": f.data.decode("utf-8", "replace") if f.opcode.value == 1 else None})
    else:
        out.append(f"#{n} {f.opcode.name} {'FIN' if f.fin else 'frag'} {len(f.data)} B {f.data[:40]!r}")
        if len(out) >= 4096:
            sys.stdout.write("\n".join(out) + "\n")
            out.clear()
if mode == "json":
    sys.stdout.write(json.dumps({"frames": frames}, separators=(",", ":")) + "\n")
else:
    sys.stdout.write("\n".join(out) + "\n")
    print(f"{n} frames")
"""


def _frames_small(n: int) -> bytes:
    rnd = random.Random(1)
    words = [
        "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(rnd.randint(10, 30)))
        for _ in range(1000)
    ]
    return b"".join(encode_frame(0x1, words[i % 1000].encode()) for i in range(n))


def _frame_big(mib: int) -> bytes:
    return encode_frame(0x2, random.Random(2).randbytes(mib << 20), mask_key=b"\x37\xfa\x21\x3d")


_PRINTABLE = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))


def _wireshark(data: bytes) -> str:  # "Copy as Hex Dump" (Wireshark 3.x): offset, 3 blanks
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off : off + 16]
        text = chunk.translate(_PRINTABLE).decode("ascii")
        lines.append(f"{off:04x}   {chunk.hex(' '):<47}   {text}")
    return "\n".join(lines) + "\n"


def write_formats(data: bytes, folder: Path, formats: list[str]) -> dict[str, Path]:
    """Every format of ``data`` as a file; xxd and hexdump -C come from the tools themselves."""
    raw = folder / "raw.bin"
    raw.write_bytes(data)
    out: dict[str, Path] = {}
    for fmt in formats:
        path = folder / f"{re.sub(r'[^a-z0-9]', '_', fmt) or 'x'}.txt"
        if fmt == "hex":
            path.write_text(data.hex() + "\n")
        elif fmt == "0x":
            path.write_text("0x" + data.hex(",").replace(",", ", 0x") + "\n")
        elif fmt == "\\x":
            path.write_text("\\x" + data.hex("|").replace("|", "\\x") + "\n")
        elif fmt == "repr":
            path.write_text(repr(data) + "\n")
        elif fmt in ("xxd", "hexdump"):
            tool = ["xxd", str(raw)] if fmt == "xxd" else ["hexdump", "-C", str(raw)]
            with open(path, "wb") as fh:
                subprocess.run(tool, stdout=fh, check=True)
        elif fmt == "wireshark":
            path.write_text(_wireshark(data))
        else:
            path.write_bytes(base64.encodebytes(data))
        out[fmt] = path
    raw.unlink()
    return out


def measure(cmd: list[str], repeat: int) -> tuple[float, float, int]:
    """Best wall-clock seconds, best CPU seconds (user + system) and the largest max RSS
    (bytes) of ``cmd`` over ``repeat`` runs."""
    import resource

    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    best, best_cpu, peak = float("inf"), float("inf"), 0
    timer = Path("/usr/bin/time")
    for _ in range(repeat):
        full = [str(timer), "-f", "RSS_KB=%M", *cmd] if timer.exists() else cmd
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        best = min(best, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu = min(best_cpu, cpu)
        err = proc.stderr.decode(errors="replace")
        if proc.returncode not in (0, 1):
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
        found = re.findall(r"RSS_KB=(\d+)", err)
        peak = max(peak, (int(found[-1]) if found else after.ru_maxrss) << 10)
    return best, best_cpu, peak


def _mode_args(mode: str) -> list[str]:
    return ["--json"] if mode == "json" else ["--plain", "-d", "summary"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000, help="small frames (default 100,000)")
    ap.add_argument("--big", type=int, default=64, help="MiB in the one big frame (default 64)")
    ap.add_argument("--only", choices=("small", "big"), help="one payload")
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated formats")
    ap.add_argument("--modes", default="json,summary", help="json,summary")
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs per command, the two sides alternating"
    )
    ap.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    ap.add_argument("--quick", action="store_true", help="20,000 frames and 8 MiB (a minute)")
    args = ap.parse_args()
    if args.quick:
        args.n, args.big = min(args.n, 20_000), min(args.big, 8)
    formats = [f for f in args.formats.split(",") if f]
    modes = [m for m in args.modes.split(",") if m]
    payloads = {"small": lambda: _frames_small(args.n), "big": lambda: _frame_big(args.big)}
    failed = False
    py = sys.executable
    base_rss = {
        mode: measure([py, "-m", "wsdebug", "decode", "8100", *_mode_args(mode)], 1)[2]
        for mode in modes
    }
    print(
        f"python {sys.version.split()[0]}; targets: time <= {TIME_TARGET}x the websockets script, "
        f"peak RSS <= {MEMORY_TARGET}x the input file\n"
        "ratio: wall clock; cpu: user+system seconds (steadier on a busy machine); +RSS/file: "
        "RSS above wsdebug's own on a 2-byte input ("
        + ", ".join(f"{m} {v / 1e6:.0f} MB" for m, v in base_rss.items())
        + ") over the file size"
    )
    head = f"{'payload':7} {'format':9} {'mode':7} {'file MB':>8} {'wsdebug s':>9} {'ref s':>7}"
    print(
        f"{head} {'ratio':>6} {'cpu':>6} {'RSS MB':>7} {'ref MB':>7} {'RSS/file':>8} "
        f"{'+RSS/file':>9}  verdict"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ref = Path(tmp, "reference.py")
        ref.write_text(REFERENCE)
        for name, make in payloads.items():
            if args.only and name != args.only:
                continue
            folder = Path(tmp, name)
            folder.mkdir()
            files = write_formats(make(), folder, formats)
            for fmt, path in files.items():
                size = path.stat().st_size
                for mode in modes:
                    b64 = ["--base64"] if fmt == "base64" else []
                    cmd = [py, "-m", "wsdebug", "decode", "-f", str(path), *b64, *_mode_args(mode)]
                    ours, theirs = [*cmd, "--max-input", "1G"], [py, str(ref), fmt, str(path), mode]
                    runs = [(measure(ours, 1), measure(theirs, 1)) for _ in range(args.repeat)]
                    wall = min(a[0] for a, _ in runs)  # round-robin: a busy phase hits both
                    cpu = min(a[1] for a, _ in runs)
                    rss = max(a[2] for a, _ in runs)
                    ref_wall = min(b[0] for _, b in runs)
                    ref_cpu = min(b[1] for _, b in runs)
                    ref_rss = max(b[2] for _, b in runs)
                    ratio, mem = wall / ref_wall, rss / size
                    extra = max(rss - base_rss[mode], 0) / size
                    ok = ratio <= TIME_TARGET and mem <= MEMORY_TARGET
                    failed |= not ok
                    print(
                        f"{name:7} {fmt:9} {mode:7} {size / 1e6:8.1f} {wall:9.2f} {ref_wall:7.2f} "
                        f"{ratio:5.2f}x {cpu / ref_cpu:5.2f}x {rss / 1e6:7.0f} {ref_rss / 1e6:7.0f} "
                        f"{mem:7.2f}x {extra:8.2f}x  {'PASS' if ok else 'FAIL'}",
                        flush=True,
                    )
                path.unlink()
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
