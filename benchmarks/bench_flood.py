"""The other clients' echo round trip while one peer's 16 MiB message is reported (issue 8 item 6).

Runs ``wsdebug listen --echo`` as a subprocess (``--json`` by default; ``--mode rich`` for the
person-facing view, ``--mode record`` for ``--json --record``), its output read by a thread as
fast as it comes.  One client sends a text message of ``--size`` bytes (compressed to a few KB
on the wire); meanwhile a probe client sends a small message every 5 ms and times each echo.

    python benchmarks/bench_flood.py [--size 16777215] [--mode json|rich|record] [--rounds 3]
    python benchmarks/bench_flood.py --mode rich --terminal stopped --burst 20000 --size 1000000

``--terminal`` is how fast the listener's standard output is read: ``fast`` (as fast as it comes),
``slow`` (4 KiB every 50 ms, a terminal that draws 80 KB/s) or ``stopped`` (nothing until the
end, the pipe shrunk to one page: a terminal paused with Ctrl-S).  ``--burst N`` then also
sends N 100-byte messages as fast as the echoes come back (a window of 100) and prints the
rate: with the rich view a slow or stopped terminal must summarise ("… N frames not shown")
and leave the rate as it is with a fast one (issue 10).

``--pythonpath DIR`` runs the listener from another checkout (e.g. ``git archive`` of an older
commit) to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from websockets.sync.client import connect


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=(16 << 20) - 1)
    ap.add_argument("--mode", choices=("json", "rich", "record"), default="json")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pythonpath", default=None)
    ap.add_argument("--terminal", choices=("fast", "slow", "stopped"), default="fast")
    ap.add_argument("--burst", type=int, default=0, help="then N x 100 B messages, window 100")
    args = ap.parse_args()

    env = dict(os.environ, NO_COLOR="1")
    cwd = None
    if args.pythonpath:
        env["PYTHONPATH"] = args.pythonpath
        cwd = tempfile.gettempdir()  # so `-m wsdebug` does not pick up this checkout first
    tmp = Path(tempfile.mkdtemp())
    cmd = [
        sys.executable,
        "-m",
        "wsdebug",
        "listen",
        "--echo",
        "--port",
        "0",
        "--max-size",
        str(args.size + 1),
    ]
    cmd += {
        "json": ["--json"],
        "rich": [],
        "record": ["--json", "--record", str(tmp / "rec.jsonl")],
    }[args.mode]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    url = (
        json.loads(first)["message"].split()[2]
        if first.startswith(b"{")
        else "ws://" + first.decode().split("ws://", 1)[1].split()[0]
    )
    out_bytes = [len(first)]
    go = threading.Event()  # --terminal stopped: set at the end
    tail: list[bytes] = []
    if args.terminal == "stopped":
        import fcntl

        fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
    else:
        go.set()

    def drain() -> None:
        assert proc.stdout is not None
        go.wait()
        size = 4096 if args.terminal == "slow" else 1 << 20
        while chunk := proc.stdout.read1(size):
            out_bytes[0] += len(chunk)
            tail[:] = [*tail[-64:], chunk]
            if args.terminal == "slow":
                time.sleep(0.05)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    payload = "a" * args.size
    try:
        with (
            connect(url, max_size=None, open_timeout=10) as probe,
            connect(url, max_size=None, open_timeout=10) as big,
        ):
            for r in range(args.rounds):
                rtts: list[float] = []
                done = threading.Event()

                def flood(done: threading.Event = done) -> None:
                    big.send(payload)
                    big.recv(timeout=120)
                    done.set()

                before = out_bytes[0]
                start = time.perf_counter()
                t = threading.Thread(target=flood)
                t.start()
                while not done.is_set():
                    t0 = time.perf_counter()
                    probe.send("probe")
                    probe.recv(timeout=120)
                    rtts.append(time.perf_counter() - t0)
                    time.sleep(0.005)
                t.join()
                elapsed = time.perf_counter() - start
                time.sleep(0.5)
                print(
                    f"round {r + 1}: {args.size:,}-byte message echoed in {elapsed * 1000:.0f} ms; "
                    f"{len(rtts)} probe round trips meanwhile: median {statistics.median(rtts) * 1000:.1f} ms, "
                    f"max {max(rtts) * 1000:.1f} ms; output so far +{(out_bytes[0] - before) / 1e6:.0f} MB"
                )
        if args.burst:
            burst(url, args.burst)
    finally:
        proc.terminate()
        go.set()
        proc.wait(30)
        reader.join(30)
    shown = b"".join(tail).decode("utf-8", "replace")
    skips = shown.count("not shown")
    print(
        f"terminal {args.terminal}: {out_bytes[0] / 1e6:.1f} MB drawn; 'not shown' lines near the end: {skips}"
    )


def burst(url: str, n: int) -> None:
    """N 100-byte text messages, at most 100 unanswered; the echo rate."""
    with connect(url, max_size=None, open_timeout=10) as ws:
        slots = threading.Semaphore(100)
        texts = [f"{i:07d} " + "b" * 92 for i in range(n)]

        def send() -> None:
            for text in texts:
                slots.acquire()
                ws.send(text)

        start = time.perf_counter()
        sender = threading.Thread(target=send)
        sender.start()
        for text in texts:
            if ws.recv(timeout=60) != text:
                raise SystemExit("echo out of order")
            slots.release()
        sender.join()
        elapsed = time.perf_counter() - start
    print(f"burst: {n:,} x 100 B echoed in {elapsed:.2f} s: {n / elapsed:,.0f} msgs/s")


if __name__ == "__main__":
    main()
