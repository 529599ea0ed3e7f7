"""Top-level coroutines for ``connect`` and ``listen``: sockets, stdin scripts, shutdown.

Standard input that is not a terminal is a script: each line is sent as a text message (or,
with ``binary=True``, each line of hex as a binary message).  When it ends, the connection is
closed cleanly (close 1000, wait for the peer's close) and the program exits.  A terminal gets
the interactive prompt instead (:mod:`wsdebug.ui.session`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import IO

from ..capture.format import CaptureWriter
from .client import ClientOptions, ConnectError, open_client
from .endpoint import LiveConnection
from .listener import Listener, ListenOptions
from .reporter import Reporter

EOF_MARK = None


def stdin_lines(loop: asyncio.AbstractEventLoop, stream: IO[str] | None = None) -> asyncio.Queue[str | None]:
    """Lines of ``stream`` delivered to the loop by a daemon thread (never blocks exit)."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    src = stream or sys.stdin

    def reader() -> None:
        try:
            for line in src:
                loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n"))
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(queue.put_nowait, EOF_MARK)

    threading.Thread(target=reader, name="wsdebug-stdin", daemon=True).start()
    return queue


def parse_line(line: str, binary: bool) -> tuple[str, object]:
    if not binary:
        return "text", line
    from ..inputs import HexInputError, parse_bytes

    try:
        return "binary", parse_bytes(line)
    except HexInputError as exc:
        raise ValueError(f"not hex: {exc}") from None


async def send_script(
    queue: asyncio.Queue[str | None],
    targets: Callable[[], list[LiveConnection]],
    reporter: Reporter,
    binary: bool,
    *,
    close_at_end: bool = True,
) -> bool:
    """Send each line to every target; close them all cleanly at end of input.

    Returns False when the input was empty and ``close_at_end`` is false (``listen < /dev/null``
    is a listener, not a script).
    """
    sent = 0
    while True:
        line = await queue.get()
        if line is EOF_MARK:
            if not sent and not close_at_end:
                return False
            break
        sent += 1
        if binary and not line.strip():
            continue
        try:
            action, payload = parse_line(line, binary)
        except ValueError as exc:
            reporter.error(f"input line skipped: {exc}")
            continue
        for live in targets():
            if live.open:
                live.send(action, payload)
                await live.drain()
    for live in targets():
        if live.open:
            live.send("close", 1000, "")
            await live.drain()
    return True


def _install_stop(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)


async def run_connect(
    url: str,
    opts: ClientOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None = None,
    *,
    script: IO[str] | None = None,
    binary: bool = False,
    interactive: Callable[[LiveConnection, Callable[[], Awaitable[None]]], Awaitable[None]] | None = None,
) -> int:
    """Connect, then pump until the connection ends.  Returns the exit status."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    _install_stop(loop, stop)
    try:
        live = await open_client(url, opts, reporter, recorder)
    except ConnectError as exc:
        reporter.error(str(exc))
        return exc.status
    pump = asyncio.create_task(live.pump())
    helpers: list[asyncio.Task[None]] = []
    if interactive is not None:
        helpers.append(asyncio.create_task(interactive(live, live.drain)))
    elif script is not None:
        helpers.append(asyncio.create_task(send_script(stdin_lines(loop, script), lambda: [live], reporter, binary)))
    stopper = asyncio.create_task(stop.wait())
    waiting: set[asyncio.Task[object]] = {pump, stopper, *helpers}
    while True:
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if pump in done or stopper in done:
            break
        for task in done:  # a script or prompt ended: by itself, or with an error
            waiting.discard(task)
            if not task.cancelled() and task.exception() is not None:
                reporter.error(f"input failed: {task.exception()}")
                stop.set()
    if stop.is_set() and not pump.done():
        if live.open:
            live.send("close", 1000, "")
            await live.drain()
        stop.clear()  # a second Ctrl-C stops waiting for the peer's close
        again = asyncio.create_task(stop.wait())
        await asyncio.wait({pump, again}, return_when=asyncio.FIRST_COMPLETED)
        if not pump.done():
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
        again.cancel()
    stopper.cancel()
    for task in helpers:
        task.cancel()
    await asyncio.gather(*helpers, stopper, return_exceptions=True)
    return live.exit_status


async def run_listen(
    opts: ListenOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None = None,
    *,
    script: IO[str] | None = None,
    binary: bool = False,
    ready: Callable[[Listener], None] | None = None,
    interactive: Callable[[Listener], Awaitable[None]] | None = None,
) -> int:
    """Listen until stopped (Ctrl-C), the script ends, or with ``once`` the first connection ends."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    _install_stop(loop, stop)
    listener = Listener(opts, reporter, recorder)
    try:
        await listener.start()
    except OSError as exc:
        reporter.error(f"cannot listen on {opts.host}:{opts.port}: {exc.strerror or exc}")
        return 2
    if ready is not None:
        ready(listener)
    waits: set[asyncio.Task[object]] = {asyncio.create_task(stop.wait())}
    if opts.once:
        waits.add(asyncio.create_task(listener.first_done.wait()))
    if interactive is not None:
        waits.add(asyncio.create_task(interactive(listener)))
    elif script is not None:
        queue = stdin_lines(loop, script)

        async def scripted() -> None:
            await listener.any_connected.wait()
            if not await send_script(queue, listener.open_connections, reporter, binary, close_at_end=False):
                await asyncio.Event().wait()  # no script after all: listen until stopped
            for live in list(listener.connections.values()):
                await live.closed.wait()

        waits.add(asyncio.create_task(scripted()))
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await listener.stop()
    if stop.is_set():
        return 130 if not opts.once else 1
    return max(listener.statuses, default=0)
