"""Live throughput of ``wsdebug listen --echo --record FILE`` against a websockets echo server.

Run from the repository root::

    .venv/bin/python benchmarks/bench_live.py               # 100k x 100 B, 100 x 1 MiB
    .venv/bin/python benchmarks/bench_live.py --quick       # 10k x 100 B, 20 x 1 MiB
    .venv/bin/python benchmarks/bench_live.py --repeat 3    # best of 3 connections per server
    .venv/bin/python benchmarks/bench_live.py --profile prof.out   # wsdebug under cProfile
    .venv/bin/python benchmarks/bench_live.py --only small  # one workload (e.g. to profile it)
    .venv/bin/python benchmarks/bench_live.py --check       # exit 1 when a target fails

Two servers, each in its own subprocess (neither shares the client's process or GIL):

    wsdebug      python -m wsdebug listen --port P --echo --record TMP --detail summary
                 stdout to a file (the summary display really runs; the file is checked for
                 the frames it drew and its "N frames not shown" lines), stdin /dev/null
    websockets   websockets.asyncio.server.serve with ``async for m in ws: await ws.send(m)``,
                 default compression, max_size 16 MiB (wsdebug listen's default limit)

One client (this process; websockets.asyncio.client.connect, default compression, so
permessage-deflate is negotiated with both servers, max_size=None) opens one connection per
server per repeat and on it runs, in order:

    warm-up   500 x 100 B text (untimed)
    small     100,000 x 100-byte text messages   (--quick: 10,000)
    big           100 x 1 MiB binary messages    (--quick: 20)

Each workload is pipelined with a bounded window: a sender task sends while fewer than
``--window`` (default 100) messages are unanswered; a receiver task reads the echoes, checks
each equals what was sent, and frees a window slot.  Both servers get exactly this pattern.
The text messages are 1,000 distinct random 100-char strings (letters and digits) cycled, the
binary ones 4 distinct blocks of random bytes cycled, so deflate cannot shrink them to nothing.

Time runs from the first send to the last echo received.  msgs/s counts messages echoed; MB/s
counts application payload in one direction (10**6 bytes per MB), before compression.  The
target is on msgs/s: wsdebug >= 0.7x websockets, per workload.  Each server's CPU time per
message (utime + stime from /proc, Linux only) and the client's are shown too: on a shared
machine CPU per message is steadier than the wall-clock rate, and the client's CPU tells
whether the client was the bottleneck.  Servers are run alternately (order swapped each
repeat); with ``--repeat N`` the best rate of N is kept.  Peak RSS (VmHWM) of both servers is
printed.

After the servers are stopped (SIGINT to wsdebug, as Ctrl-C would; SIGTERM to the websockets
server), the recording is read back: its size, and the client-to-server bytes it holds compared
with the bytes the client actually wrote to wsdebug (counted at the client, handshake and close
frames included), which must be equal.

The script always exits 0 (it is a report) unless --check is given: then it exits 1 when a
target fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import contextlib  # noqa: E402

import websockets  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

MiB = 1 << 20
TARGET = 0.7  #: wsdebug msgs/s / websockets msgs/s, for each workload
MAX_MESSAGE = 16 * MiB  #: wsdebug listen's default --max-size, given to the websockets server too
WARMUP = 500

ECHO_SERVER = r"""
import asyncio, signal, sys
from websockets.asyncio.server import serve

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main(port, max_size):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.cancel)
    async with serve(echo, "127.0.0.1", port, max_size=max_size, ping_interval=None):
        try:
            await stop
        except asyncio.CancelledError:
            pass

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""


# -- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen[bytes], name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"{name} exited with status {proc.returncode} before accepting connections"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{name} did not accept connections on port {port} within {timeout:g} s")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("WSDEBUG_TRACEBACK", None)
    return env


def start_wsdebug(
    port: int, record: str, out_path: str, profile: str | None
) -> subprocess.Popen[bytes]:
    prefix = [sys.executable]
    if profile:
        prefix += ["-m", "cProfile", "-o", profile]
    cmd = prefix + [
        "-m",
        "wsdebug",
        "listen",
        "--port",
        str(port),
        "--echo",
        "--record",
        record,
        "--detail",
        "summary",
    ]
    with open(out_path, "wb") as out:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=_ROOT,
            env=child_env(),
        )


def start_websockets(port: int, log_path: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", ECHO_SERVER, str(port), str(MAX_MESSAGE)]
    with open(log_path, "wb") as out:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=_ROOT,
            env=child_env(),
        )


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int) -> int | None:
    """Signal, wait; escalate to SIGTERM then SIGKILL.  Returns the exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return proc.returncode


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (Linux /proc), or None."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return None


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size of a process (VmHWM, Linux /proc), in MB, or None."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except (OSError, IndexError, ValueError):
        pass
    return None


# -- the client -----------------------------------------------------------------------------------


class CountingConnection(ClientConnection):
    """A websockets client connection that counts every byte it hands to the transport."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bytes_written = 0
        original = self.protocol.data_to_send

        def data_to_send() -> list[bytes]:
            chunks = original()
            self.bytes_written += sum(len(c) for c in chunks)
            return chunks

        self.protocol.data_to_send = data_to_send  # type: ignore[method-assign]


@dataclass
class Workload:
    name: str
    label: str
    pool: list[Any]  #: payloads, cycled
    count: int
    size: int  #: payload bytes per message


@dataclass
class Sample:
    seconds: float
    server_cpu: float | None
    client_cpu: float


@dataclass
class Result:
    workload: Workload
    server: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def best(self) -> Sample:
        return min(self.samples, key=lambda s: s.seconds)

    @property
    def rate(self) -> float:
        return self.workload.count / self.best.seconds

    @property
    def median_rate(self) -> float:
        return statistics.median(self.workload.count / s.seconds for s in self.samples)

    @property
    def mbps(self) -> float:
        return self.workload.count * self.workload.size / self.best.seconds / 1e6

    @property
    def client_cpu_per_msg_us(self) -> float:
        return min(s.client_cpu for s in self.samples) / self.workload.count * 1e6

    @property
    def cpu_per_msg_us(self) -> float | None:
        cpus = [s.server_cpu for s in self.samples if s.server_cpu is not None]
        return min(cpus) / self.workload.count * 1e6 if cpus else None


async def pipeline(ws: ClientConnection, pool: list[Any], count: int, window: int) -> int:
    """Send ``count`` messages with at most ``window`` unanswered; returns the number of bad echoes."""
    slots = asyncio.Semaphore(window)
    n = len(pool)

    async def sender() -> None:
        for i in range(count):
            await slots.acquire()
            await ws.send(pool[i % n])

    async def receiver() -> int:
        bad = 0
        for i in range(count):
            message = await ws.recv()
            if message != pool[i % n]:
                bad += 1
            slots.release()
        return bad

    send_task = asyncio.create_task(sender())
    try:
        bad = await receiver()
    finally:
        if not send_task.done():
            send_task.cancel()
        await asyncio.gather(send_task, return_exceptions=True)
    send_task.result()
    return bad


@dataclass
class Session:
    extensions: str | None
    bytes_written: int
    samples: dict[str, Sample]


async def client_session(
    port: int, pid: int, workloads: list[Workload], warmup: list[str], window: int, timeout: float
) -> Session:
    async with connect(
        f"ws://127.0.0.1:{port}/",
        max_size=None,
        proxy=None,
        ping_interval=None,
        create_connection=CountingConnection,
    ) as ws:
        assert ws.response is not None
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions")
        if await pipeline(ws, warmup, WARMUP, window):
            raise SystemExit(f"port {port}: wrong echo during the warm-up")
        samples = {}
        for wl in workloads:
            c0, s0, t0 = time.process_time(), cpu_seconds(pid), time.perf_counter()
            try:
                bad = await asyncio.wait_for(pipeline(ws, wl.pool, wl.count, window), timeout)
            except asyncio.TimeoutError:
                raise SystemExit(
                    f"port {port}: {wl.label} did not finish within {timeout:g} s"
                ) from None
            t1, s1, c1 = time.perf_counter(), cpu_seconds(pid), time.process_time()
            if bad:
                raise SystemExit(
                    f"port {port}: {bad} echoes of {wl.label} differ from what was sent"
                )
            samples[wl.name] = Sample(
                t1 - t0, None if s0 is None or s1 is None else s1 - s0, c1 - c0
            )
    return Session(
        extensions, ws.bytes_written, samples
    )  # close frame included: counted in close()


# -- checks after the run -------------------------------------------------------------------------


@dataclass
class Recording:
    size: int
    conns: int
    c2s: int
    s2c: int
    records: int


def read_recording(path: str) -> Recording:
    """Count the data bytes of each direction (hex length / 2, without decoding the hex)."""
    size = os.path.getsize(path)
    c2s = s2c = records = 0
    conns: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        header = json.loads(fh.readline())
        if header.get("format") != "wsdebug-capture":
            raise SystemExit(f"{path}: not a wsdebug capture")
        for line in fh:
            rec = json.loads(line)
            records += 1
            conns.add(rec["conn"])
            if rec["event"] == "data":
                if rec["dir"] == "c2s":
                    c2s += len(rec["hex"]) // 2
                else:
                    s2c += len(rec["hex"]) // 2
    return Recording(size, len(conns), c2s, s2c, records)


_NOT_SHOWN = re.compile(
    r"([\d,]+) frames?(?: \(#[\d,]+(?:–#[\d,]+)?\))?(?: and [\d,]+ message views?)? not shown"
)


def read_display(path: str) -> tuple[int, int, int, str]:
    """(lines, "not shown" lines, frames they account for, first line) of wsdebug's stdout."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.read().splitlines()
    counts = [int(m.group(1).replace(",", "")) for line in lines if (m := _NOT_SHOWN.search(line))]
    return len(lines), len(counts), sum(counts), lines[0] if lines else ""


def print_profile(path: str, top: int) -> None:
    import pstats

    if not os.path.exists(path):
        print(f"(no profile written to {path})")
        return
    for key in ("tottime", "cumulative"):
        print(f"-- wsdebug listen profile, top {top} by {key} ({path}) --")
        stats = pstats.Stats(path)
        stats.strip_dirs().sort_stats(key).print_stats(top)


# -- main -----------------------------------------------------------------------------------------


def fmt_rate(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.1f}"


def fmt_us(x: float) -> str:
    return f"{x:.1f}" if x < 1000 else f"{x:,.0f}"


def build_workloads(n_small: int, n_big: int) -> list[Workload]:
    rng = random.Random(6455)
    alphabet = string.ascii_letters + string.digits
    texts = ["".join(rng.choices(alphabet, k=100)) for _ in range(1000)]
    blobs = [rng.randbytes(MiB) for _ in range(4)]
    return [
        Workload("small", f"{n_small:,} x 100 B text, permessage-deflate", texts, n_small, 100),
        Workload("big", f"{n_big:,} x 1 MiB binary, permessage-deflate", blobs, n_big, MiB),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10k x 100 B and 20 x 1 MiB")
    ap.add_argument(
        "--repeat", type=int, default=1, help="connections per server; best rate kept (default 1)"
    )
    ap.add_argument(
        "--window", type=int, default=100, help="messages in flight at most (default 100)"
    )
    ap.add_argument(
        "--timeout", type=float, default=900.0, help="seconds allowed per workload (default 900)"
    )
    ap.add_argument(
        "--profile",
        metavar="FILE",
        help="run wsdebug listen under cProfile, write FILE, print top entries",
    )
    ap.add_argument("--top", type=int, default=30, help="profile entries printed (default 30)")
    ap.add_argument(
        "--only", choices=("small", "big"), help="run one workload only (e.g. to profile it alone)"
    )
    ap.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (recording, display)"
    )
    ap.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    args = ap.parse_args(argv)

    n_small, n_big = (10_000, 20) if args.quick else (100_000, 100)
    workloads = build_workloads(n_small, n_big)
    warmup_pool = workloads[0].pool
    if args.only:
        workloads = [wl for wl in workloads if wl.name == args.only]

    print("wsdebug live benchmark: listen --echo --record vs a websockets echo server")
    print(
        f"  Python      {platform.python_implementation()} {sys.version.split()[0]}"
        f" ({platform.machine()}, {os.cpu_count()} CPUs)"
    )
    print(f"  websockets  {websockets.__version__}")
    with contextlib.suppress(OSError):
        print(
            f"  load avg    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work skews timings)"
        )
    print(
        f"  workloads   {'; '.join(w.label for w in workloads)}; window {args.window};"
        f" {args.repeat} connection(s) per server{'  [--quick]' if args.quick else ''}"
    )
    print(flush=True)

    tmp = tempfile.mkdtemp(prefix="wsdebug-bench-live-")
    try:
        return run(args, workloads, warmup_pool, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(
    args: argparse.Namespace, workloads: list[Workload], warmup_pool: list[str], tmp: str
) -> int:
    record = os.path.join(tmp, "capture.jsonl")
    display = os.path.join(tmp, "wsdebug-stdout.txt")
    ws_log = os.path.join(tmp, "websockets-server.log")
    profile = os.path.abspath(args.profile) if args.profile else None

    results = {
        (wl.name, srv): Result(wl, srv) for wl in workloads for srv in ("wsdebug", "websockets")
    }
    extensions: dict[str, set[str | None]] = {"wsdebug": set(), "websockets": set()}
    client_bytes_to_wsdebug = 0
    wsd = wss = None
    wsd_status = wss_status = None
    try:
        wsd_port = free_port()
        wsd = start_wsdebug(wsd_port, record, display, profile)
        wss_port = free_port()
        while wss_port == wsd_port:
            wss_port = free_port()
        wss = start_websockets(wss_port, ws_log)
        wait_port(wsd_port, wsd, "wsdebug listen")
        wait_port(wss_port, wss, "websockets echo server")
        servers = {"wsdebug": (wsd_port, wsd.pid), "websockets": (wss_port, wss.pid)}
        for r in range(args.repeat):
            order = ["wsdebug", "websockets"] if r % 2 == 0 else ["websockets", "wsdebug"]
            for srv in order:
                port, pid = servers[srv]
                session = asyncio.run(
                    client_session(port, pid, workloads, warmup_pool, args.window, args.timeout)
                )
                extensions[srv].add(session.extensions)
                if srv == "wsdebug":
                    client_bytes_to_wsdebug += session.bytes_written
                for wl in workloads:
                    results[(wl.name, srv)].samples.append(session.samples[wl.name])
                line = ", ".join(
                    f"{wl.name} {wl.count / session.samples[wl.name].seconds:,.0f} msg/s"
                    for wl in workloads
                )
                print(
                    f"  repeat {r + 1}/{args.repeat} {srv:<10} {line}", file=sys.stderr, flush=True
                )
        peak = {srv: peak_rss_mb(pid) for srv, (_, pid) in servers.items()}
    finally:
        wsd_status = stop_process(wsd, signal.SIGINT)
        wss_status = stop_process(wss, signal.SIGTERM)

    # -- table
    hdr = (
        f"{'workload':<22} {'server':<11} {'msgs/s':>9} {'median':>9} {'MB/s':>7} {'ratio':>6} {'target':>6}"
        f" {'':>4}   {'srv CPU us/msg':>14} {'CPU ratio':>9} {'client CPU':>10}"
    )
    print(hdr)
    print("-" * len(hdr))
    failed = met = 0
    for wl in workloads:
        base = results[(wl.name, "websockets")]
        for srv in ("wsdebug", "websockets"):
            res = results[(wl.name, srv)]
            cpu = res.cpu_per_msg_us
            cpu_s = "n/a" if cpu is None else fmt_us(cpu)
            if srv == "wsdebug":
                ratio = res.rate / base.rate
                ok = ratio >= TARGET
                met += ok
                failed += not ok
                verdict = f" {ratio:5.2f}x {TARGET:5.1f}x {'PASS' if ok else 'FAIL':>4}"
                base_cpu = base.cpu_per_msg_us
                cpu_ratio = f"{base_cpu / cpu:.2f}x" if cpu and base_cpu else "n/a"
            else:
                verdict = f" {'1.00x':>6} {'':>6} {'':>4}"
                cpu_ratio = "1.00x"
            print(
                f"{wl.label:<22} {srv:<11} {fmt_rate(res.rate):>9} {fmt_rate(res.median_rate):>9}"
                f" {res.mbps:7.1f}{verdict}   {cpu_s:>14} {cpu_ratio:>9} {fmt_us(res.client_cpu_per_msg_us):>10}"
            )
        print()
    print(
        "  ratio = wsdebug msgs/s / websockets msgs/s (best of the repeats); CPU ratio = websockets'"
        " server CPU per message / wsdebug's (higher is better for wsdebug, 1.0 = same cost);\n"
        "  client CPU = this process's CPU us per message (near 1e6/msgs/s: the client is the bottleneck)"
    )
    for srv in ("wsdebug", "websockets"):
        ext = " | ".join(sorted(e or "(none)" for e in extensions[srv]))
        print(f"  compression with {srv}: {ext}")
    print(
        "  peak RSS: "
        + ", ".join(f"{srv} {'n/a' if mb is None else f'{mb:,.0f} MB'}" for srv, mb in peak.items())
    )
    print(
        f"  server exit status: wsdebug {wsd_status} (130 = stopped by SIGINT; 0 under --profile),"
        f" websockets {wss_status}"
    )
    print()

    # -- recording and display
    rec = read_recording(record)
    print(f"Recording {record}")
    print(
        f"  size {rec.size / 1e6:,.1f} MB, {rec.records:,} records, {rec.conns} connection(s)"
        f" (1 of them the readiness probe)"
    )
    same = rec.c2s == client_bytes_to_wsdebug
    print(
        f"  c2s data recorded {rec.c2s:,} bytes; the client wrote {client_bytes_to_wsdebug:,} bytes to wsdebug"
        f" -> {'all recorded' if same else 'MISMATCH'}"
    )
    payload_c2s = (
        sum(wl.count * wl.size for wl in workloads) * args.repeat + WARMUP * 100 * args.repeat
    )
    print(
        f"  (application payload sent: {payload_c2s:,} bytes before compression; s2c recorded {rec.s2c:,} bytes)"
    )
    if not same:
        failed += 1
    lines, notes, hidden, first = read_display(display)
    print(
        f"Display (wsdebug stdout, --detail summary): {lines:,} lines; {notes:,} '... frames not shown' lines"
        f" accounting for {hidden:,} skipped items (frame lines, and message lines for compressed messages)"
    )
    print(f"  first line: {first}")
    print()
    print(
        f"{met}/{len(workloads)} throughput targets (>= {TARGET}x websockets msgs/s) met; recording {'complete' if same else 'INCOMPLETE'}."
        + ("  (Shared machine: rerun, or use --repeat, to confirm.)" if failed else "")
    )
    if profile:
        print()
        print_profile(profile, args.top)
    return 1 if (args.check and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
