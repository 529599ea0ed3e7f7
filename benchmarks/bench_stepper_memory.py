"""Peak memory (VmHWM) of the stepper's indexing, chunks as file ranges vs held in memory.

    .venv/bin/python benchmarks/bench_stepper_memory.py           # 200 MB captures
    .venv/bin/python benchmarks/bench_stepper_memory.py --quick   # 50 MB, big frames only

For each capture (pcap and wsdebug JSONL; 16 KB frames, and 300 B frames in the full run) a
fresh process loads it as ``wsdebug replay FILE`` does for the stepper, indexes it
(capture.lazy), jumps to the last and the first event, and reports /proc/self/status VmHWM:
once with ``refs`` (the chunks are positions in the file, capture.filechunks) and once without
(every chunk's bytes in memory, as before).  Memory, not time: the figures do not depend on
the machine's load.  Needs Linux (/proc).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.capture.test_stepper_file_ranges import (  # noqa: E402
    big_jsonl,
    big_pcap,
    stepper_hwm_kib,
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="50 MB captures, 16 KB frames only")
    ap.add_argument("--size", type=int, help="capture size in MB (default 200, --quick 50)")
    args = ap.parse_args()
    size = (args.size or (50 if args.quick else 200)) << 20
    payloads = [16000] if args.quick else [16000, 300]
    print("capture      frames      file   VmHWM refs   VmHWM bytes   (MiB)  seconds")
    with tempfile.TemporaryDirectory() as tmp:
        for payload in payloads:
            for suffix, make in ((".pcap", big_pcap), (".jsonl", big_jsonl)):
                path = Path(tmp) / f"c{payload}{suffix}"
                n = make(path, size, payload=payload)
                t = time.perf_counter()
                refs, _ = stepper_hwm_kib(path, True)
                mid = time.perf_counter()
                held, _ = stepper_hwm_kib(path, False)
                end = time.perf_counter()
                print(
                    f"{suffix[1:]:6} {payload:>5} B {n:>9,} {path.stat().st_size >> 20:>6} MiB"
                    f" {refs >> 10:>8} {held >> 10:>13}          {mid - t:5.1f} / {end - mid:4.1f}"
                )
                path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
