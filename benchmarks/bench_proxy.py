"""Transparent relay: what ``wsdebug proxy`` adds between a websockets client and server.

    .venv/bin/python benchmarks/bench_proxy.py            # full run, about 8 minutes
    .venv/bin/python benchmarks/bench_proxy.py --quick    # about 2 minutes

An echo server (websockets, its own process) is reached directly and through three relays,
each its own process, all started once per compression mode and kept running:

* ``wsdebug proxy`` (the CLI, ``--json --json-max-payload 256`` to /dev/null: every frame
  decoded, annotated and written out, from the event loop after the chunk was forwarded, as
  for any regular file when the payloads are capped at 64 KiB or less);
* the same into a pipe that ``cat`` empties (``--no-pipe`` skips it): a pipe or a
  terminal can stall, so there the reporter's writer thread writes;
* mitmproxy's ``mitmdump --mode reverse:`` (``-q``; ``--mitmdump PATH`` or ``MITMDUMP=``);
* a ``websocat`` ws-to-ws relay, the native ceiling (``--websocat PATH`` or ``WEBSOCAT=``):
  ``websocat -b -E -B 4194304 ws-l:HOST:PORT ws://UPSTREAM/``.  websocat 1.x terminates both
  legs (it re-frames; ``-b`` relays every message as binary) and cannot negotiate
  permessage-deflate (its ``--compress-deflate`` is not RFC 7692): in the deflate table its
  legs are uncompressed (said so in the output).

A missing relay is named in the output, not silently skipped.  The client (websockets, this
process) measures, without compression and with permessage-deflate:

* 100 B: sequential round trips (p50 and p99 of each repeat);
* 1 MiB: sequential round trips of a random 1 MiB message (p50 of each repeat);
* 100 concurrent connections each doing 100 B round trips for a few seconds (messages/s).

Each measurement is repeated (``--repeats``), every repeat visiting the paths in a rotated
order; the round trips of a repeat are taken on all paths at once, 250 (1 MiB: 2) on one path
then the next, so a slow phase of a shared machine falls on every path alike.  "Added" is a
path's figure minus the direct connection's in the same repeat.  Cells are the median over the
repeats and, in brackets, the lowest and highest repeat.  Ratios compare medians; the verdicts
("ok"/"MISSES") are the issue's target: at most mitmdump's added latency, at least its
throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SMALL = "x" * 100
BIG = random.Random(7).randbytes(1 << 20)

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


def find_tool(given: str | None, env: str, name: str, fallback: str) -> tuple[str | None, str]:
    """(path or None, where it came from / why it is missing)."""
    for path, origin in ((given, "option"), (os.environ.get(env), f"${env}")):
        if path:
            if Path(path).is_file() and os.access(path, os.X_OK):
                return path, origin
            return None, f"{path} (from {origin}) is not an executable file"
    found = shutil.which(name) or (fallback if Path(fallback).is_file() else None)
    if found:
        return found, "found"
    return None, f"not installed (give --{name} PATH or {env}=PATH; looked on PATH and {fallback})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


def spawn(
    cmd: list[str], port: int, procs: list[subprocess.Popen[bytes]], pipe: bool = False
) -> None:
    """Start ``cmd`` (its output to /dev/null, or with ``pipe`` into a pipe that ``cat``
    empties) and wait until it listens on ``port``; the processes are appended to ``procs``."""
    out: Any = subprocess.DEVNULL
    if pipe:
        sink = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        procs.append(sink)
        out = sink.stdin
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, start_new_session=True)
    procs.append(proc)
    if pipe:
        out.close()  # the relay holds the pipe; cat ends when the relay does
    wait_port(port, proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# -- the client's measurements ----------------------------------------------------------------


async def round_trips(
    urls: list[str], payload: bytes | str, n: int, batch: int, comp: str | None
) -> list[list[float]]:
    """``n`` sequential round trips on each of ``urls`` (one connection each, all open at
    once), taken ``batch`` at a time, path after path: a slow phase of the machine falls on
    every path alike.  One list of round-trip times per url."""
    out: list[list[float]] = [[] for _ in urls]
    conns = [await websockets.connect(u, compression=comp, max_size=None) for u in urls]
    try:
        for ws in conns:
            for _ in range(10):  # warm up
                await ws.send(payload)
                await ws.recv()
        done = 0
        while done < n:
            k = min(batch, n - done)
            for ws, times in zip(conns, out, strict=True):
                for _ in range(k):
                    t0 = time.perf_counter()
                    await ws.send(payload)
                    await ws.recv()
                    times.append(time.perf_counter() - t0)
            done += k
    finally:
        await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    return out


async def concurrent(url: str, conns: int, seconds: float, comp: str | None) -> float:
    count = 0
    end = 0.0

    async def one(ws: websockets.ClientConnection) -> None:
        nonlocal count
        while time.perf_counter() < end:
            await ws.send(SMALL)
            await ws.recv()
            count += 1

    sockets = [await websockets.connect(url, compression=comp, max_size=None) for _ in range(conns)]
    end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    await asyncio.gather(*(one(ws) for ws in sockets))
    elapsed = time.perf_counter() - t0
    await asyncio.gather(*(ws.close() for ws in sockets))
    return count / elapsed


# -- the runs ---------------------------------------------------------------------------------


@dataclass
class Path_:
    name: str
    url: str
    note: str = ""
    #: metric name -> one value per repeat
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, metric: str, value: float) -> None:
        self.values.setdefault(metric, []).append(value)


@dataclass
class Settings:
    repeats: int
    small_n: int
    big_n: int
    big_n_deflate: int
    conns: int
    seconds: float


def relays(
    server_port: int,
    comp: str | None,
    mitmdump: str | None,
    websocat: str | None,
    extra: list[str],
    pipe: bool,
) -> list[tuple[str, list[str], int, str]]:
    out = []
    cmd = [sys.executable, "-m", "wsdebug", "proxy", f"ws://{HOST}:{server_port}/"]
    p = free_port()
    out.append(("wsdebug proxy", [*cmd, "--port", str(p), *extra], p, ""))
    if pipe:
        p = free_port()
        note = "its output into a pipe (read by cat): written by the reporter's writer thread"
        out.append(("wsdebug proxy, into a pipe", [*cmd, "--port", str(p), *extra], p, note))
    if mitmdump:
        p = free_port()
        cmd = [mitmdump, "-q", "--mode", f"reverse:http://{HOST}:{server_port}",
               "--listen-host", HOST, "-p", str(p)]  # fmt: skip
        out.append(("mitmdump (reverse)", cmd, p, ""))
    if websocat:
        p = free_port()
        # -b: messages relayed as binary; -B: websocat's message limit (64 KiB by default);
        # -E: one side's end ends the other.
        cmd = [websocat, "-b", "-E", "-B", str(4 << 20), f"ws-l:{HOST}:{p}",
               f"ws://{HOST}:{server_port}/"]  # fmt: skip
        note = "legs uncompressed: websocat 1.x has no permessage-deflate" if comp else ""
        out.append(("websocat (relay)", cmd, p, note))
    return out


def run_mode(
    comp: str | None,
    st: Settings,
    mitmdump: str | None,
    websocat: str | None,
    extra: list[str],
    pipe: bool,
) -> list[Path_]:
    sport = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    paths = [Path_("direct", f"ws://{HOST}:{sport}/")]
    try:
        spawn([sys.executable, "-c", SERVER, str(sport), comp or "none"], sport, procs)
        for name, cmd, port, note in relays(sport, comp, mitmdump, websocat, extra, pipe):
            try:
                spawn(cmd, port, procs, pipe=name.endswith("into a pipe"))
            except RuntimeError as exc:
                print(f"  {name}: could not start ({exc}): not measured", flush=True)
                continue
            paths.append(Path_(name, f"ws://{HOST}:{port}/", note))
        big_n = st.big_n_deflate if comp else st.big_n

        def each(label: str, measure: Callable[[list[Path_]], None]) -> None:
            for r in range(st.repeats):
                measure(paths[r % len(paths) :] + paths[: r % len(paths)])
                print(f"  {label}: repeat {r + 1}/{st.repeats} done", flush=True)

        def small(order: list[Path_]) -> None:
            urls = [p.url for p in order]
            for p, lat in zip(
                order, asyncio.run(round_trips(urls, SMALL, st.small_n, 250, comp)), strict=True
            ):
                p.add("p50", statistics.median(lat) * 1e6)
                p.add("p99", pct(lat, 0.99) * 1e6)

        def big(order: list[Path_]) -> None:
            urls = [p.url for p in order]
            for p, lat in zip(
                order, asyncio.run(round_trips(urls, BIG, big_n, 2, comp)), strict=True
            ):
                p.add("big", statistics.median(lat) * 1e3)

        def many(order: list[Path_]) -> None:
            for p in order:
                p.add("mps", asyncio.run(concurrent(p.url, st.conns, st.seconds, comp)))

        each(f"100 B x {st.small_n}", small)
        each(f"1 MiB x {big_n}", big)
        each(f"{st.conns} connections x {st.seconds:g} s", many)
    finally:
        for proc in reversed(procs):
            stop(proc)
    base = paths[0].values
    for p in paths:  # added = minus the direct connection in the same repeat
        for m in ("p50", "p99", "big"):
            p.values[f"added_{m}"] = [a - b for a, b in zip(p.values[m], base[m], strict=True)]
    return paths


# -- the report -------------------------------------------------------------------------------


def cell(values: list[float], fmt: str, sign: bool = False) -> str:
    med = statistics.median(values)
    f = ("{:+" if sign else "{:") + fmt + "}"
    spread = f"{f.format(min(values))}–{f.format(max(values))}" if len(values) > 1 else ""
    return f.format(med) + (f" ({spread})" if spread else "")


def report(comp: str | None, paths: list[Path_], missing: list[str], st: Settings) -> None:
    title = "no compression" if comp is None else "permessage-deflate"
    print(f"\n## {title} ({st.repeats} repeats; median (lowest–highest repeat))\n")
    print(
        "| path | 100 B p50 µs | 100 B p99 µs | added p50 µs | added p99 µs |"
        " 1 MiB round trip ms | added 1 MiB ms | 100 conns msg/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for p in paths:
        v = p.values
        direct = p is paths[0]
        print(
            f"| {p.name}{' *' if p.note else ''} | {cell(v['p50'], ',.0f')} | {cell(v['p99'], ',.0f')} |"
            f" {'' if direct else cell(v['added_p50'], ',.0f', True)} |"
            f" {'' if direct else cell(v['added_p99'], ',.0f', True)} |"
            f" {cell(v['big'], '.1f')} | {'' if direct else cell(v['added_big'], '.1f', True)} |"
            f" {cell(v['mps'], ',.0f')} |"
        )
    for p in paths:
        if p.note:
            print(f"\n\\* {p.name}: {p.note}")
    for line in missing:
        print(f"\nnot measured: {line}")
    print()
    med = {p.name: {k: statistics.median(x) for k, x in p.values.items()} for p in paths}
    for mine in (n for n in med if n.startswith("wsdebug")):
        w = med[mine]
        for other in ("mitmdump (reverse)", "websocat (relay)"):
            if other not in med:
                continue
            o = med[other]
            parts = []
            for key, label, lower_better in (
                ("added_p50", "added p50", True),
                ("added_p99", "added p99", True),
                ("added_big", "added 1 MiB", True),
                ("mps", "100-connection msg/s", False),
            ):
                ok = (w[key] <= o[key]) if lower_better else (w[key] >= o[key])
                verdict = "" if other != "mitmdump (reverse)" else (" ok" if ok else " MISSES")
                if lower_better and w[key] <= 0:  # no slower than direct: no ratio to take
                    parts.append(f"{label} n/a (wsdebug {w[key]:+.1f}){verdict}")
                elif o[key] > 0:
                    parts.append(f"{label} {w[key] / o[key]:.2f}x{verdict}")
                else:  # faster than direct: no ratio to take
                    parts.append(f"{label} n/a ({other} {o[key]:+.1f}){verdict}")
            print(f"- {mine} / {other}: " + "; ".join(parts))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and round trips")
    ap.add_argument("--repeats", type=int, help="repeats of each measurement (5; quick 3)")
    ap.add_argument(
        "--round-trips", type=int, help="100 B round trips a path a repeat (5000; quick 2500)"
    )
    ap.add_argument("--mitmdump", help="mitmdump's path (or MITMDUMP=)")
    ap.add_argument("--websocat", help="websocat's path (or WEBSOCAT=)")
    ap.add_argument(
        "--wsdebug-args",
        default="--json --json-max-payload 256",
        help="wsdebug proxy's output options (default: %(default)s)",
    )
    ap.add_argument(
        "--no-pipe", action="store_true", help="skip the row of wsdebug writing into a pipe"
    )
    ap.add_argument("--only", choices=("none", "deflate"), help="one compression mode only")
    args = ap.parse_args()
    os.chdir(ROOT)
    q = args.quick
    st = Settings(
        repeats=args.repeats or (3 if q else 5),
        small_n=args.round_trips or (2500 if q else 5000),
        big_n=10 if q else 30,
        big_n_deflate=4 if q else 10,
        conns=100,
        seconds=1.5 if q else 3.0,
    )
    mitmdump, m_why = find_tool(args.mitmdump, "MITMDUMP", "mitmdump", "/tmp/mitmvenv/bin/mitmdump")
    websocat, w_why = find_tool(args.websocat, "WEBSOCAT", "websocat", "/tmp/wsc/bin/websocat")
    missing = []
    print(
        f"Python {sys.version.split()[0]}, websockets {websockets.__version__}, {os.cpu_count()} CPUs"
    )
    for name, path, why in (("mitmdump", mitmdump, m_why), ("websocat", websocat, w_why)):
        if path is None:
            missing.append(f"{name}: {why}")
            print(f"{name}: MISSING, {why}")
        else:
            version = (
                subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
                .stdout.strip()
                .splitlines()
            )
            print(f"{name}: {path} ({version[0] if version else 'version unknown'})")
    print(f"wsdebug proxy options: {args.wsdebug_args}", flush=True)
    extra = shlex.split(args.wsdebug_args)
    modes: list[str | None] = [None, "deflate"]
    if args.only:
        modes = [None if args.only == "none" else "deflate"]
    for comp in modes:
        print(f"\n{'no compression' if comp is None else 'permessage-deflate'}:", flush=True)
        paths = run_mode(comp, st, mitmdump, websocat, extra, not args.no_pipe)
        report(comp, paths, missing, st)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
