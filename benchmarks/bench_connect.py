"""``wsdebug connect`` as a client, against a minimal websockets client that prints both ways.

The issue 10 target: ``wsdebug connect`` takes at most 1.3x the reference client's time, same
server, same input, same run (``--json`` is measured too).  Without compression by default;
``--deflate`` adds the same cases with permessage-deflate, labelled as such.

Server (its own process): websockets, ``compression=None`` (or deflate), echoes every message
and closes (1000) after echoing ``N`` of them, so every client ends the moment it has all its
echoes.  Input: a file of N lines of 100 random letters (``--size`` changes the length), given
to each client as its standard input; each client's standard output is a file.

    reference       a websockets asyncio client: each stdin line is sent and printed "> line",
                    each message received printed "< message"; it ends when the server closes
    wsdebug         python -m wsdebug connect URL --plain --no-deflate -w 60 < lines > out
                    (the display summarises a burst: "… N frames not shown")
    wsdebug --json  python -m wsdebug connect URL --json --no-deflate -w 60 < lines > out
                    (every frame and message as a JSON line)

Each client runs as a fresh process; the time is its wall time from spawn to exit, and its
CPU (user + system, from wait4) is printed too.  Clients alternate round-robin; ``--repeat N``
keeps the best of N.  Start-up is part of the time (a user pays it); a run with one message
measures it, and the ratio without it is printed as well.  The working tree is byte-compiled
first and the clients run without PYTHONDONTWRITEBYTECODE, so wsdebug starts from bytecode as
an installed copy does (websockets does too).  Every output is checked: the
reference printed 2N lines, ``--json`` has N messages each way, the plain view shows the last
message and the close.

    .venv/bin/python benchmarks/bench_connect.py             # 20,000 x 100 B, best of 3
    .venv/bin/python benchmarks/bench_connect.py --quick     # 2,000 messages, best of 2
    .venv/bin/python benchmarks/bench_connect.py --deflate --size 65536 --count 2000
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SERVER = r"""
import asyncio, signal, sys
from websockets.asyncio.server import serve

N = int(sys.argv[2])

async def echo(ws):
    n = 0
    async for message in ws:
        await ws.send(message)
        n += 1
        if n >= N:
            await ws.close()  # 1000: the client has every echo
            return

async def main(port, compression):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.cancel)
    async with serve(echo, "127.0.0.1", port, max_size=None, compression=compression,
                     ping_interval=None):
        try:
            await stop
        except asyncio.CancelledError:
            pass

asyncio.run(main(int(sys.argv[1]), None if sys.argv[3] == "none" else "deflate"))
"""

REFERENCE = r"""
import asyncio, sys
from websockets.asyncio.client import connect

async def main(url, compression):
    async with connect(url, compression=compression, max_size=None, ping_interval=None) as ws:
        async def send():
            for line in sys.stdin:
                line = line.rstrip("\n")
                await ws.send(line)
                print("> " + line)
        sender = asyncio.create_task(send())
        async for message in ws:
            print("< " + message)
        await sender

asyncio.run(main(sys.argv[1], None if sys.argv[2] == "none" else "deflate"))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def client_cmd(kind: str, url: str, deflate: bool) -> list[str]:
    comp = "deflate" if deflate else "none"
    if kind == "reference":
        return [sys.executable, "-c", REFERENCE, url, comp]
    cmd = [sys.executable, "-m", "wsdebug", "connect", url, "-w", "60"]
    cmd += ["--json"] if kind == "wsdebug --json" else ["--plain"]
    return cmd if deflate else [*cmd, "--no-deflate"]


def run_client(cmd: list[str], lines: Path, out: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit status) of one client process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", "NO_COLOR": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode, as an installed copy starts from
    with lines.open("rb") as stdin, out.open("wb") as stdout:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.stderr is not None
        err = proc.stderr.read().decode("utf-8", "replace")
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} exited {proc.returncode}: {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def check(kind: str, out: Path, texts: list[str]) -> None:
    n = len(texts)
    if kind == "reference":
        got = out.read_text().splitlines()
        if len(got) != 2 * n or sorted(got) != sorted(
            ["> " + t for t in texts] + ["< " + t for t in texts]
        ):
            raise SystemExit(f"reference printed {len(got)} lines, expected {2 * n}")
    elif kind == "wsdebug --json":
        events = [json.loads(line) for line in out.read_text().splitlines()]
        for d in ("c2s", "s2c"):
            got = [e.get("text") for e in events if e["event"] == "message" and e["direction"] == d]
            if got != texts:
                raise SystemExit(f"wsdebug --json: {len(got)} {d} messages, expected {n}")
    else:
        text = out.read_text()
        tail = texts[-1][:40]
        if tail not in text or "closed 1000" not in text:
            raise SystemExit(f"wsdebug: the last message or the close is missing: {text[-1500:]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 messages, best of 2")
    ap.add_argument("--count", type=int, help="messages (default 20,000; --quick 2,000)")
    ap.add_argument("--size", type=int, default=100, help="characters per message (100)")
    ap.add_argument("--repeat", type=int, help="runs per client, best kept (3; --quick 2)")
    ap.add_argument("--deflate", action="store_true", help="also the permessage-deflate cases")
    ap.add_argument("--check", action="store_true", help="exit 1 if the target fails")
    args = ap.parse_args()
    count = args.count or (2_000 if args.quick else 20_000)
    repeat = args.repeat or (2 if args.quick else 3)
    rng = random.Random(6455)
    texts = ["".join(rng.choices(string.ascii_letters, k=args.size)) for _ in range(count)]
    kinds = ["reference", "wsdebug", "wsdebug --json"]
    # The working tree byte-compiled first, as an installed package is: otherwise each client
    # compiles every wsdebug module again at its start (with PYTHONDONTWRITEBYTECODE set, as
    # here), and that is timed while websockets starts from its .pyc files.
    compileall.compile_dir(str(ROOT / "wsdebug"), quiet=1)
    modes = [False, True] if args.deflate else [False]
    best: dict[tuple[bool, str, int], tuple[float, float]] = {}
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "lines.txt"
        lines.write_text("".join(t + "\n" for t in texts))
        one = Path(tmp) / "one.txt"
        one.write_text(texts[0] + "\n")
        for deflate in modes:
            for n, source in ((count, lines), (1, one)):
                port = free_port()
                comp = "deflate" if deflate else "none"
                server = subprocess.Popen(
                    [sys.executable, "-c", SERVER, str(port), str(n), comp],
                    stdin=subprocess.DEVNULL,
                )
                try:
                    wait_port(port, server)
                    url = f"ws://127.0.0.1:{port}/"
                    for rep in range(repeat):
                        for kind in kinds if rep % 2 == 0 else kinds[::-1]:
                            out = Path(tmp) / f"out-{len(best)}.txt"
                            wall, cpu, _ = run_client(client_cmd(kind, url, deflate), source, out)
                            check(kind, out, texts[:n])
                            key = (deflate, kind, n)
                            if key not in best or wall < best[key][0]:
                                best[key] = (wall, cpu)
                finally:
                    server.send_signal(signal.SIGTERM)
                    server.wait(10)
    print(
        f"python {sys.version.split()[0]}, {count:,} messages of {args.size} B each way, "
        f"best of {repeat}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'client':34} {'wall s':>7} {'CPU s':>6} {'ratio':>6}  {'start s':>7} {'w/o start':>9}  target"
    )
    for deflate in modes:
        label = " (deflate)" if deflate else ""
        ref_wall, _ = best[deflate, "reference", count]
        ref_start, _ = best[deflate, "reference", 1]
        for kind in kinds:
            wall, cpu = best[deflate, kind, count]
            start, _ = best[deflate, kind, 1]
            ratio = wall / ref_wall
            net = (wall - start) / max(ref_wall - ref_start, 1e-9)
            verdict = ""
            if kind == "wsdebug" and not deflate:
                ok = ratio <= 1.3
                failed |= not ok
                verdict = f"<= 1.3x {'PASS' if ok else 'FAIL'}"
            print(
                f"{kind + label:34} {wall:7.2f} {cpu:6.2f} {ratio:5.2f}x  {start:7.2f} {net:8.2f}x  {verdict}"
            )
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
