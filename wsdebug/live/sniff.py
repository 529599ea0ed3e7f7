"""``wsdebug sniff``: WebSocket traffic on an interface as it happens, by way of tcpdump.

tcpdump writes its capture to a pipe (``-U -w -``, packet-buffered, ``--immediate-mode``);
:class:`~wsdebug.capture.follow.Follower` turns each packet into the events a live session
reports, which go to the same reporters (the views, ``--json``) as ``connect`` and ``listen``.
``replay --follow -`` runs the same loop over a pcap read from standard input.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from typing import IO, Any

from ..capture.follow import Follower, packets
from .reporter import Reporter

HOW_TO_CAPTURE = (
    "run as root (sudo wsdebug sniff ...), or let tcpdump capture: "
    "sudo setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump)"
)


class SniffError(Exception):
    """One line for the user: tcpdump missing, capture not permitted, a bad interface."""


def tcpdump_command(exe: str, interface: str, ports: list[int]) -> list[str]:
    flt = "tcp" if not ports else "tcp and (" + " or ".join(f"port {p}" for p in ports) + ")"
    return [exe, "-i", interface, "--immediate-mode", "-B", "16384", "-U", "-n", "-s", "0",
            "-w", "-", flt]  # fmt: skip


def _explain(stderr: str) -> str:
    text = " ".join(stderr.split())
    low = text.lower()
    if "permission" in low or "operation not permitted" in low:
        return f"not permitted to capture: {text[:200]}; {HOW_TO_CAPTURE}"
    return f"tcpdump failed: {text[:300] or 'no reason given'}"


def start_tcpdump(interface: str, ports: list[int]) -> subprocess.Popen[bytes]:
    """tcpdump writing a pcap to its stdout, once it says it is listening.

    Raises:
        SniffError: tcpdump is missing, or it exits before capturing (with its reason).
    """
    exe = shutil.which("tcpdump")
    if exe is None:
        raise SniffError("tcpdump is not installed (Debian/Ubuntu: apt-get install tcpdump)")
    proc = subprocess.Popen(
        tcpdump_command(exe, interface, ports),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline().decode(errors="replace")
    if "listening on" not in first:
        rest = proc.stderr.read().decode(errors="replace") if proc.wait(5) is not None else ""
        raise SniffError(_explain(first + rest))
    threading.Thread(target=_discard, args=(proc.stderr,), daemon=True).start()
    time.sleep(0.2)  # the kernel filter is attached a moment after the line
    return proc


def _discard(fh: IO[bytes]) -> None:
    while fh.read(4096):
        pass


def follow(fh: IO[bytes], name: str, reporter: Reporter, *, record: Any = None) -> int:
    """Report every WebSocket event in the pcap stream ``fh`` until it ends (or Ctrl-C); the
    number of WebSocket connections seen.  CaptureError when ``fh`` is not a pcap stream."""
    linktype, stream = packets(fh, name)
    follower = Follower(linktype, record=record)
    last = 0.0
    try:
        for ts, buf in stream:
            last = ts
            for ev in follower.packet(ts, buf):
                reporter.emit(ev)
    finally:  # Ctrl-C included: the open connections end where the capture did
        for ev in follower.finish(last):
            reporter.emit(ev)
    return follower.count


async def follow_async(fh: IO[bytes], name: str, reporter: Reporter, *, record: Any = None) -> int:
    """:func:`follow` for reporters that draw on the event loop: packets are read on a thread
    and handed to the loop, where they are decoded and reported."""
    import asyncio

    loop = asyncio.get_running_loop()
    linktype, stream = packets(fh, name)
    follower = Follower(linktype, record=record)
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue(maxsize=4096)

    def reader() -> None:
        try:
            for item in stream:
                asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()
        finally:
            asyncio.run_coroutine_threadsafe(queue.put(None), loop)

    threading.Thread(target=reader, daemon=True).start()
    last = 0.0
    try:
        while (item := await queue.get()) is not None:
            last = item[0]
            for ev in follower.packet(*item):
                reporter.emit(ev)
            await reporter.drain()
    finally:
        for ev in follower.finish(last):
            reporter.emit(ev)
    return follower.count


def run_sniff(
    interface: str, ports: list[int], reporter: Reporter, *, record: Any = None, draw: bool = False
) -> int:
    """Capture with tcpdump until interrupted (or tcpdump ends); the connection count.
    ``draw``: the reporter draws on an event loop (its ``run()``), which is started here.

    Raises:
        SniffError: no capture could be started.
    """
    proc = start_tcpdump(interface, ports)
    assert proc.stdout is not None
    ports_text = ", ".join(map(str, ports)) or "any"
    reporter.info(f"sniffing TCP ports {ports_text} on {interface} (tcpdump); Ctrl-C stops")
    name = f"tcpdump on {interface}"
    try:
        if not draw:
            return follow(proc.stdout, name, reporter, record=record)
        return _with_loop(proc.stdout, name, reporter, record)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _with_loop(fh: IO[bytes], name: str, reporter: Any, record: Any) -> int:
    import asyncio

    async def main() -> int:
        drawer = asyncio.create_task(reporter.run()) if hasattr(reporter, "run") else None
        try:
            return await follow_async(fh, name, reporter, record=record)
        finally:
            if drawer is not None:
                drawer.cancel()
                await asyncio.gather(drawer, return_exceptions=True)

    return asyncio.run(main())
