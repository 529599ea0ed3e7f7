"""Transparent relay: what ``wsdebug proxy`` adds between a websockets client and server.

    .venv/bin/python benchmarks/bench_proxy.py            # full run, about a minute
    .venv/bin/python benchmarks/bench_proxy.py --quick    # fewer round trips

An echo server (websockets, its own process) is reached directly, through ``wsdebug proxy``
(the CLI, its own process, ``--json --json-max-payload 256`` to /dev/null: every frame decoded
and written out) and, when installed, through ``mitmdump --mode reverse:`` (``-q``) and a
``websocat`` relay.  The client (websockets, this process) measures, without compression
and with permessage-deflate:

* latency: sequential round trips of a 100 B message (p50, p99; "added" is minus direct);
* 1 MiB: sequential round trips of a 1 MiB random message (p50, p99, MB/s one way);
* 100 concurrent connections each doing round trips of 100 B for a few seconds (messages/s).

Every figure comes from one run, so the ratios are comparable; absolute numbers depend on the
machine.  What is not installed is said so in the output, not silently skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MITMDUMP = os.environ.get("MITMDUMP") or shutil.which("mitmdump") or "/tmp/mitmvenv/bin/mitmdump"
WEBSOCAT = shutil.which("websocat")

SERVER = """
import asyncio, sys, websockets
async def echo(ws):
    async for m in ws:
        await ws.send(m)
async def main():
    comp = None if sys.argv[2] == "none" else "deflate"
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[1]), max_size=None,
                                compression=comp):
        await asyncio.Future()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


def spawn(cmd: list[str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    wait_port(port)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def round_trips(url: str, payload: bytes | str, n: int, comp: str | None) -> list[float]:
    out = []
    async with websockets.connect(url, compression=comp, max_size=None) as ws:
        for _ in range(3):  # warm up
            await ws.send(payload)
            await ws.recv()
        for _ in range(n):
            t0 = time.perf_counter()
            await ws.send(payload)
            await ws.recv()
            out.append(time.perf_counter() - t0)
    return out


async def concurrent(url: str, conns: int, seconds: float, comp: str | None) -> float:
    count = 0
    end = 0.0

    async def one(ws: websockets.ClientConnection) -> None:
        nonlocal count
        msg = "x" * 100
        while time.perf_counter() < end:
            await ws.send(msg)
            await ws.recv()
            count += 1

    sockets = [await websockets.connect(url, compression=comp, max_size=None) for _ in range(conns)]
    end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    await asyncio.gather(*(one(ws) for ws in sockets))
    elapsed = time.perf_counter() - t0
    await asyncio.gather(*(ws.close() for ws in sockets))
    return count / elapsed


def measure(url: str, comp: str | None, quick: bool) -> dict[str, float]:
    small = "x" * 100
    big = random.Random(7).randbytes(1 << 20)
    lat = asyncio.run(round_trips(url, small, 300 if quick else 2000, comp))
    blat = asyncio.run(round_trips(url, big, 10 if quick else 40, comp))
    mps = asyncio.run(concurrent(url, 100, 1.5 if quick else 4.0, comp))
    return {
        "p50": statistics.median(lat) * 1e6,
        "p99": pct(lat, 0.99) * 1e6,
        "big_p50": statistics.median(blat) * 1e3,
        "big_p99": pct(blat, 0.99) * 1e3,
        "big_mbs": 2 * len(big) / statistics.median(blat) / 1e6,
        "mps": mps,
    }


def relays(server_port: int) -> tuple[list[tuple[str, list[str], int]], list[str]]:
    out, missing = [], []
    p = free_port()
    wsdebug = [sys.executable, "-m", "wsdebug", "proxy", f"ws://{HOST}:{server_port}/"]
    out.append(("wsdebug proxy", [*wsdebug, "--port", str(p), "--json",
                                  "--json-max-payload", "256"], p))  # fmt: skip
    if Path(MITMDUMP).exists():
        p = free_port()
        cmd = [MITMDUMP, "-q", "--mode", f"reverse:http://{HOST}:{server_port}",
               "--listen-host", HOST, "-p", str(p)]  # fmt: skip
        out.append(("mitmdump (reverse)", cmd, p))
    else:
        missing.append("mitmdump: not installed (set MITMDUMP=path, or pip install mitmproxy)")
    if WEBSOCAT:
        p = free_port()
        cmd = [WEBSOCAT, "-b", "-E", f"ws-l:{HOST}:{p}", f"ws://{HOST}:{server_port}/"]
        out.append(("websocat (relay)", cmd, p))
    else:
        missing.append("websocat: not installed (the native ceiling is not measured)")
    return out, missing


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    os.chdir(ROOT)
    print(
        f"Python {sys.version.split()[0]}, websockets {websockets.__version__}, {os.cpu_count()} CPUs"
    )
    for comp in (None, "deflate"):
        sport = free_port()
        server = spawn([sys.executable, "-c", SERVER, str(sport), comp or "none"], sport)
        rows: list[tuple[str, dict[str, float]]] = []
        try:
            rows.append(("direct", measure(f"ws://{HOST}:{sport}/", comp, args.quick)))
            chain, missing = relays(sport)
            for name, cmd, port in chain:
                proc = spawn(cmd, port)
                try:
                    rows.append((name, measure(f"ws://{HOST}:{port}/", comp, args.quick)))
                finally:
                    stop(proc)
        finally:
            stop(server)
        base = rows[0][1]
        print(f"\n## {'no compression' if comp is None else 'permessage-deflate'}\n")
        print(
            "| path | 100 B p50 µs | p99 µs | added p50 | added p99 | 1 MiB p50 ms | p99 ms | 1 MiB MB/s | 100 conns msg/s |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for name, r in rows:
            print(
                f"| {name} | {r['p50']:.0f} | {r['p99']:.0f} | {r['p50'] - base['p50']:+.0f} |"
                f" {r['p99'] - base['p99']:+.0f} | {r['big_p50']:.1f} | {r['big_p99']:.1f} |"
                f" {r['big_mbs']:.0f} | {r['mps']:,.0f} |"
            )
        for line in missing:
            print(f"\nnot measured: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
