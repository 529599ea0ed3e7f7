"""Live echo without compression: ``wsdebug listen --echo`` against a websockets echo server.

The issue 10 targets, measured in one run with the same client (websockets, compression off):

* messages/s on 100 B text, 64 KiB and 1 MiB binary, pipelined (window 100, 8 for 1 MiB),
  and 100 concurrent clients sending 100 B text: ``listen --echo`` >= 1.0x websockets, with
  ``--record FILE`` >= 0.8x;
* round-trip p99 of one 100 B message at a time: at most 2x websockets'.

Under the table, the recording estimate: how fast a fresh file in the recording's directory
takes 512 MiB of appended blocks, the bytes the capture grew by per message, and the ratio
``--record`` would reach at that bandwidth if its writes were its only extra cost (they are
made before each echo is sent).  With the capture's hex data lines (two bytes of text per byte
on the wire, both directions) large messages are bound by the disk, not by wsdebug; a short
run (``--quick``) whose writes fit in the page cache's dirty memory can beat the estimate.

Servers run in their own processes; the client is this process.  ``wsdebug`` is
``python -m wsdebug listen --port P --echo --no-deflate --detail summary [--record FILE]`` with
stdout to a file (the summary display really draws).  ``websockets`` is
``websockets.asyncio.server.serve(..., compression=None)`` echoing ``async for m in ws``.
The servers alternate per workload; ``--repeat N`` keeps the best of N.  Each server's CPU
per message (from /proc) is printed too: it is steadier than wall-clock rates on a loaded
machine.  The deflate cases are in ``bench_live.py``.

    .venv/bin/python benchmarks/bench_live_plain.py              # a minute or two
    .venv/bin/python benchmarks/bench_live_plain.py --quick
    .venv/bin/python benchmarks/bench_live_plain.py --only 64k --profile prof.out
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20

ECHO_SERVER = r"""
import asyncio, signal, sys
from websockets.asyncio.server import serve

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main(port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.cancel)
    async with serve(echo, "127.0.0.1", port, max_size=16 << 20, compression=None,
                     ping_interval=None):
        try:
            await stop
        except asyncio.CancelledError:
            pass

asyncio.run(main(int(sys.argv[1])))
"""


@dataclass
class Workload:
    key: str
    label: str
    size: int
    count: int
    window: int
    clients: int = 1


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


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(kind: str, port: int, tmp: str, profile: str | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    if kind == "websockets":
        cmd = [sys.executable, "-c", ECHO_SERVER, str(port)]
    else:
        cmd = [sys.executable, *(["-m", "cProfile", "-o", profile] if profile else [])]
        cmd += ["-m", "wsdebug", "listen", "--port", str(port), "--echo", "--no-deflate"]
        cmd += ["--detail", "summary"]
        if kind == "wsdebug --record":
            cmd += ["--record", os.path.join(tmp, f"rec-{port}.jsonl")]
    out = open(os.path.join(tmp, f"out-{port}.txt"), "wb")  # noqa: SIM115 - the child owns it
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env)
    wait_port(port, proc)
    return proc


def stop(proc: subprocess.Popen[bytes], kind: str) -> None:
    proc.send_signal(signal.SIGINT if kind != "websockets" else signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def _one_client(port: int, w: Workload, pool: list[str | bytes]) -> None:
    async with connect(
        f"ws://127.0.0.1:{port}/", compression=None, max_size=None, ping_interval=None
    ) as ws:
        slots = asyncio.Semaphore(w.window)
        sent: list[str | bytes] = []

        async def sender() -> None:
            for i in range(w.count):
                await slots.acquire()
                msg = pool[i % len(pool)]
                sent.append(msg)
                await ws.send(msg)

        async def receiver() -> None:
            for i in range(w.count):
                got = await ws.recv()
                if got != sent[i]:
                    raise SystemExit(f"echo {i} differs")
                slots.release()

        await asyncio.gather(sender(), receiver())


async def throughput(port: int, w: Workload, pool: list[str | bytes]) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(_one_client(port, w, pool) for _ in range(w.clients)))
    return w.count * w.clients / (time.perf_counter() - start)


async def round_trips(port: int, n: int) -> list[float]:
    async with connect(
        f"ws://127.0.0.1:{port}/", compression=None, max_size=None, ping_interval=None
    ) as ws:
        for _ in range(50):
            await ws.send("x" * 100)
            await ws.recv()
        times = []
        for i in range(n):
            msg = f"{i:0100d}"
            start = time.perf_counter()
            await ws.send(msg)
            await ws.recv()
            times.append(time.perf_counter() - start)
        return times


def recorded(tmp: str, port: int, kind: str) -> int:
    """Bytes the --record server's capture holds so far (0 for the other servers)."""
    if kind != "wsdebug --record":
        return 0
    try:
        return os.path.getsize(os.path.join(tmp, f"rec-{port}.jsonl"))
    except OSError:
        return 0


def append_bandwidth(directory: str, total: int = 512 * MiB, block: int = MiB) -> float:
    """Bytes/s appended to a fresh file in ``directory`` (where the recording goes), written
    as the recorder writes: a block per call, no fsync."""
    path = os.path.join(directory, "bandwidth.tmp")
    data = os.urandom(block)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        start = time.perf_counter()
        for _ in range(total // block):
            os.write(fd, data)
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
        os.unlink(path)
    return total / elapsed


def print_estimate(
    workloads: list[Workload],
    results: dict[tuple[str, str], float],
    written: dict[str, float],
    bandwidth: float,
) -> None:
    """What ``--record`` would reach at the sustained bandwidth if its writes cost it nothing
    but their time.

    The recorder hands each chunk to the OS before the echo is processed or sent (nothing is
    lost on kill -9), so its writes add to each echo's time: at the websockets server's rate
    R and B bytes written per message at bandwidth W, the best ratio is 1 / (1 + R * B / W).
    """
    if not written:
        return
    print(f"recording estimate: {bandwidth / MiB:,.0f} MiB/s appended where the capture goes")
    for w in workloads:
        base = results.get(("websockets", w.key))
        per = written.get(w.key)
        if base is None or per is None:
            continue
        bound = 1 / (1 + base * per / bandwidth)
        print(f"  {w.label:26} {per:12,.0f} B recorded per message: about {bound:4.2f}x")


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the messages")
    ap.add_argument("--repeat", type=int, default=1, help="runs per server (best kept)")
    ap.add_argument("--only", help="one workload: 100b | 64k | 1m | clients | rtt")
    ap.add_argument("--profile", help="run wsdebug (no --record) under cProfile into this file")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    args = ap.parse_args()
    q = 10 if args.quick else 1
    workloads = [
        Workload("100b", "100 B text", 100, 50_000 // q, 100),
        Workload("64k", "64 KiB binary", 64 << 10, 5_000 // q, 100),
        Workload("1m", "1 MiB binary", MiB, 400 // q, 8),
        Workload("clients", "100 clients x 100 B text", 100, 1_000 // q, 20, clients=100),
    ]
    rng = random.Random(6455)
    kinds = ["websockets", "wsdebug", "wsdebug --record"]
    results: dict[tuple[str, str], float] = {}
    cpu: dict[tuple[str, str], float] = {}
    rtt: dict[str, list[float]] = {}
    written: dict[str, float] = {}  #: recording bytes per message, per workload
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        bandwidth = append_bandwidth(tmp)
        for rep in range(args.repeat):
            order = kinds if rep % 2 == 0 else kinds[::-1]
            for kind in order:
                port = free_port()
                profile = args.profile if kind == "wsdebug" else None
                proc = start(kind, port, tmp, profile)
                try:
                    for w in workloads:
                        if args.only and w.key != args.only:
                            continue
                        pool: list[str | bytes] = (
                            ["".join(rng.choices("abcdefghij0123456789", k=100)) for _ in range(64)]
                            if w.size == 100
                            else [rng.randbytes(w.size) for _ in range(4)]
                        )
                        cpu0 = cpu_seconds(proc.pid)
                        rec0 = recorded(tmp, port, kind)
                        rate = asyncio.run(throughput(port, w, pool))
                        used = (cpu_seconds(proc.pid) - cpu0) / (w.count * w.clients)
                        if kind == "wsdebug --record":
                            written[w.key] = (recorded(tmp, port, kind) - rec0) / (
                                w.count * w.clients
                            )
                        if rate > results.get((kind, w.key), 0):
                            results[kind, w.key], cpu[kind, w.key] = rate, used
                    if not args.only or args.only == "rtt":
                        times = asyncio.run(round_trips(port, 2000 // q))
                        if kind not in rtt or p99(times) < p99(rtt[kind]):
                            rtt[kind] = times
                finally:
                    stop(proc, kind)
    print(f"python {sys.version.split()[0]}, compression off, best of {args.repeat}")
    print(f"{'workload':26} {'server':18} {'msgs/s':>9} {'ratio':>6} {'CPU us/msg':>10}  target")
    for w in workloads:
        base = results.get(("websockets", w.key))
        if base is None:
            continue
        for kind in kinds:
            rate = results[kind, w.key]
            ratio = rate / base
            want = {"websockets": None, "wsdebug": 1.0, "wsdebug --record": 0.8}[kind]
            verdict = ""
            if want is not None:
                ok = ratio >= want
                failed |= not ok
                verdict = f">= {want}x {'PASS' if ok else 'FAIL'}"
            print(
                f"{w.label:26} {kind:18} {rate:9.0f} {ratio:5.2f}x "
                f"{cpu[kind, w.key] * 1e6:10.1f}  {verdict}"
            )
    print_estimate(workloads, results, written, bandwidth)
    if "websockets" in rtt:
        base = p99(rtt["websockets"])
        for kind in kinds:
            t = rtt[kind]
            ratio = p99(t) / base
            verdict = ""
            if kind != "websockets":
                ok = ratio <= 2.0
                failed |= not ok
                verdict = f"<= 2.0x {'PASS' if ok else 'FAIL'}"
            print(
                f"{'round trip 100 B':26} {kind:18} p50 {statistics.median(t) * 1e3:6.3f} ms "
                f"p99 {p99(t) * 1e3:6.3f} ms {ratio:5.2f}x  {verdict}"
            )
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
