"""``connect --reconnect``: connect again, with exponential backoff, when the server goes away.

A connection that could not be opened (refused, timed out, a refused handshake) or that ended
without this side asking (the server closed, whatever its code, or the TCP connection broke) is
followed by a new one after a pause of 0.5 s, doubled after each attempt that fails in a row,
at most :data:`MAX_DELAY` seconds; after :data:`ATTEMPTS` failed attempts in a row it gives up
(exit status 1).  A connection that opens resets the count.  It stops for good when this side
closed (the end of the script, ``-1``, ``/close``, ``/quit``), on Ctrl-C or SIGTERM (130, 143),
and on a usage error (2).  Each pause is an ``info`` event ("reconnecting in 1 s, attempt 2 of
10"); each attempt's connection gets the next id (``c1``, ``c2``, ...).

``-x`` messages are sent again on every connection (a subscription is renewed); lines piped on
standard input are read once, by whichever connection is open while they arrive.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import IO

from ..capture.format import CaptureWriter
from ..codec.events import InfoEvent
from ..codec.spec import Role
from .client import ClientOptions
from .endpoint import LiveConnection
from .reporter import Reporter
from .run import Stopper, run_connect

ATTEMPTS = 10  #: failed attempts in a row before giving up
FIRST_DELAY = 0.5
MAX_DELAY = 30.0


def backoff(failures: int, first: float = FIRST_DELAY) -> float:
    """The pause before the next attempt after ``failures`` failed ones in a row (0, 1, ...)."""
    return min(first * 2**failures, MAX_DELAY)


async def run_connect_reconnecting(
    url: str,
    opts: ClientOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None = None,
    *,
    script: IO[str] | None = None,
    binary: bool = False,
    interactive: Callable[[LiveConnection, Callable[[], Awaitable[None]]], Awaitable[object]]
    | None = None,
    attempts: int = ATTEMPTS,
    first_delay: float = FIRST_DELAY,
) -> int:
    """:func:`~wsdebug.live.run.run_connect` again and again, as the module says."""
    opened: list[LiveConnection] = []
    opts.on_open = opened.append
    failures = 0
    while True:
        before = len(opened)
        status = await run_connect(
            url, opts, reporter, recorder, script=script, binary=binary, interactive=interactive
        )
        if status in (2, 130, 143):
            return status
        if len(opened) > before:  # it opened: who ended it?
            failures = 0
            ev = opened[-1].close_event
            if ev is not None and ev.initiator is Role.CLIENT:
                return status
        else:
            failures += 1
            if failures >= attempts:
                reporter.emit(
                    InfoEvent(f"giving up after {failures} failed attempts in a row", t=_now())
                )
                return status
        delay = backoff(max(failures - 1, 0), first_delay)
        left = f"attempt {failures + 1} of {attempts}"
        reporter.emit(InfoEvent(f"reconnecting in {delay:g} s ({left})", t=_now()))
        stopped = await _pause(delay)
        if stopped is not None:
            return stopped


async def _pause(seconds: float) -> int | None:
    """Sleep, or return the exit status of a stop signal that came meanwhile."""
    stop = asyncio.Event()
    stopper = Stopper(asyncio.get_running_loop(), stop).install()
    try:
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except asyncio.TimeoutError:
            return None
        return stopper.status
    finally:
        stopper.restore()


def _now() -> float:
    return time.time()
