"""Top-level coroutines for ``connect`` and ``listen``: sockets, stdin scripts, shutdown.

SIGINT (Ctrl-C) and SIGTERM stop a session: the connections are closed (1000 from ``connect``,
1001 from ``listen``) and the program exits 130 (SIGINT) or 143 (SIGTERM).  The handler is a
plain ``signal.signal`` one, not the loop's, so it runs even while a callback keeps the loop
busy; and it arms a watchdog thread that ends the process with the same status
:data:`GRACE` seconds later whatever the loop is doing, so a signal always ends the program
within a second.

Standard input that is not a terminal is a script: each line is sent as a text message (or,
with ``binary=True``, each line of hex as a binary message).  When it ends, the connection is
closed cleanly (close 1000, wait for the peer's close) and the program exits.  A terminal gets
the interactive prompt instead (:mod:`wsdebug.ui.session`).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import IO, TYPE_CHECKING, Any

from ..codec.events import ErrorEvent
from .client import ClientOptions, ConnectError, open_client
from .endpoint import LiveConnection
from .reporter import Reporter

if TYPE_CHECKING:  # loaded by the commands that use them: --record, listen
    from ..capture.format import CaptureWriter
    from .listener import Listener, ListenOptions

EOF_MARK = None
#: what an interactive prompt returns when it was left with Ctrl-C (the exit status is 130)
INTERRUPTED = "interrupted"


#: script lines sent before one flush and one wait for the peer to read them, at most
SCRIPT_BATCH = 256
#: ... and characters: a batch never queues much more than the write buffer's high-water mark
#: (a peer that echoes must not find us waiting on our own writes instead of reading it)
SCRIPT_BATCH_CHARS = 64 * 1024


def stdin_lines(
    loop: asyncio.AbstractEventLoop, stream: IO[str] | None = None
) -> asyncio.Queue[str | None]:
    """Lines of ``stream`` delivered to the loop by a daemon thread (never blocks exit).

    Standard input itself is read from its descriptor, whatever has arrived at once (64 KiB at
    most), and the lines of each read are handed over together: one wake-up of the loop per
    read, not per line, and a line that arrives alone (``tail -f |``) is sent at once.
    """
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    src = stream or sys.stdin

    def deliver(lines: list[str]) -> None:
        for line in lines:
            queue.put_nowait(line)

    def reader() -> None:
        try:
            if src is sys.stdin and stream is None:
                _read_fd(src, lambda lines: loop.call_soon_threadsafe(deliver, lines))
            else:
                for line in src:
                    loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n"))
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(queue.put_nowait, EOF_MARK)

    threading.Thread(target=reader, name="wsdebug-stdin", daemon=True).start()
    return queue


def _read_fd(src: IO[str], hand_over: Callable[[list[str]], object]) -> None:
    """Read ``src``'s descriptor to its end, decoding as ``src`` would (its encoding and
    errors; a decoding error ends the input, as it does for ``for line in src``)."""
    fd = src.fileno()
    encoding = getattr(src, "encoding", None) or "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)(getattr(src, "errors", None) or "strict")
    pending = ""
    while data := os.read(fd, 1 << 16):
        *lines, pending = (pending + decoder.decode(data)).split("\n")
        if lines:
            hand_over([line.rstrip("\r\n") for line in lines])
    pending += decoder.decode(b"", final=True)
    if pending:
        hand_over([pending.rstrip("\r\n")])


def parse_line(line: str, binary: bool) -> tuple[str, object]:
    if not binary:
        return "text", line
    from ..capture.textinput import HexInputError, parse_bytes

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
    close: bool = True,
) -> bool:
    """Send each line to every target; close them all cleanly at end of input (unless
    ``close`` is false: the caller decides when).

    The lines already waiting (at most :data:`SCRIPT_BATCH`, about :data:`SCRIPT_BATCH_CHARS`)
    are sent together: one write per connection and one wait for the peers to read, not one
    per line.

    Returns False when the input was empty and ``close_at_end`` is false (``listen < /dev/null``
    is a listener, not a script).
    """
    sent = 0
    ended = False
    while not ended:
        batch = [await queue.get()]
        size = len(batch[0] or "")
        while len(batch) < SCRIPT_BATCH and size < SCRIPT_BATCH_CHARS and not queue.empty():
            line = queue.get_nowait()
            batch.append(line)
            size += len(line or "")
        messages: list[tuple[str, object]] = []
        for line in batch:
            if line is EOF_MARK:
                ended = True
                break
            sent += 1
            if binary and not line.strip():
                continue
            try:
                messages.append(parse_line(line, binary))
            except ValueError as exc:
                reporter.emit(ErrorEvent(f"input line skipped: {exc}"))
        if messages:
            await _broadcast_many(targets(), messages)
    if not sent and not close_at_end:
        return False
    if close:
        await _broadcast(targets(), "close", 1000, "")
    return True


def lines_queue(lines: list[str]) -> asyncio.Queue[str | None]:
    """A script given on the command line (``-x``), as a finished queue of lines."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    for line in lines:
        queue.put_nowait(line)
    queue.put_nowait(EOF_MARK)
    return queue


async def client_script(
    live: LiveConnection,
    queue: asyncio.Queue[str | None],
    reporter: Reporter,
    binary: bool,
    opts: ClientOptions,
) -> None:
    """``connect``'s script: send the lines; then, unless ``no_close``, keep reading for
    ``wait`` seconds (replies still on their way) and close cleanly."""
    await send_script(queue, lambda: [live], reporter, binary, close=False)
    if opts.no_close:
        await live.closed.wait()  # until the peer closes, or Ctrl-C
        return
    if opts.wait > 0:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(live.closed.wait(), opts.wait)
    await _broadcast([live], "close", 1000, "")


def _interrupted(task: asyncio.Future[Any]) -> bool:
    """The prompt ``task`` ended with Ctrl-C."""
    return not task.cancelled() and task.exception() is None and task.result() is INTERRUPTED


async def close_after_first_message(live: LiveConnection) -> None:
    """``connect -1``: close cleanly once the first message from the peer is in."""
    await live.message_received.wait()
    await _broadcast([live], "close", 1000, "")


async def _broadcast(lives: list[LiveConnection], action: str, *args: object) -> None:
    """Send to every open connection, then wait for them together: a peer that does not read
    delays the next line by its own ``write_timeout`` at most, not the others' turns too."""
    await _broadcast_many(lives, [(action, args)], spread=False)


async def _broadcast_many(
    lives: list[LiveConnection], messages: list[tuple[str, object]], *, spread: bool = True
) -> None:
    """``messages`` (action, payload) to every open connection, each connection's in one
    write; ``spread=False``: each payload is a tuple of arguments."""
    sent = [live for live in lives if live.open]
    for live in sent:
        try:
            for action, payload in messages:
                if not live.open:
                    break
                if spread:
                    live.send(action, payload, flush=False)
                else:
                    live.send(action, *payload, flush=False)  # type: ignore[misc]
        finally:
            live.flush()
    if len(sent) == 1:
        await sent[0].drain()
    elif sent:
        await asyncio.gather(*(live.drain() for live in sent))


GRACE = 0.75  #: seconds a stop signal leaves for closing connections before a forced exit
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def signal_status(signum: int) -> int:
    """The exit status for a stop signal: 128 + its number (130 SIGINT, 143 SIGTERM)."""
    return 128 + signum


class Stopper:
    """SIGINT/SIGTERM: set ``stop`` on the loop at once, and exit by force after :data:`GRACE`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
        self.loop, self.stop = loop, stop
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    @property
    def status(self) -> int:
        assert self.signum is not None
        return signal_status(self.signum)

    def install(self) -> Stopper:
        for sig in STOP_SIGNALS:
            with contextlib.suppress(ValueError, OSError):  # not the main thread: no handler
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def restore(self) -> None:
        for sig, old in self._old.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, old)
        self._old.clear()

    def _handler(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum = signum
            watchdog = threading.Timer(GRACE, _force_exit, (signal_status(signum),))
            watchdog.daemon = True
            watchdog.name = "wsdebug-stop"
            watchdog.start()
        with contextlib.suppress(RuntimeError):  # the loop is closed: the watchdog ends it
            self.loop.call_soon_threadsafe(self.stop.set)


def _force_exit(status: int) -> None:
    """The watchdog's end: no flushing (another thread may hold the locks); os.write only."""
    with contextlib.suppress(OSError):
        os.write(2, b"wsdebug: stopped by a signal before the connections finished closing\n")
    os._exit(status)


async def run_connect(
    url: str,
    opts: ClientOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None = None,
    *,
    script: IO[str] | None = None,
    binary: bool = False,
    interactive: Callable[[LiveConnection, Callable[[], Awaitable[None]]], Awaitable[object]]
    | None = None,
) -> int:
    """Connect, then pump until the connection ends.  Returns the exit status."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    stopper = Stopper(loop, stop).install()
    try:
        return await _connect(
            url, opts, reporter, recorder, stop, stopper, script, binary, interactive
        )
    finally:
        stopper.restore()


async def _connect(
    url: str,
    opts: ClientOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None,
    stop: asyncio.Event,
    stopper: Stopper,
    script: IO[str] | None,
    binary: bool,
    interactive: Callable[[LiveConnection, Callable[[], Awaitable[None]]], Awaitable[object]]
    | None,
) -> int:
    loop = asyncio.get_running_loop()
    opening = asyncio.create_task(open_client(url, opts, reporter, recorder))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({opening, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not opening.done():  # interrupted while connecting
        opening.cancel()
        await asyncio.gather(opening, return_exceptions=True)
        return stopper.status
    try:
        live = opening.result()
    except ConnectError as exc:
        reporter.emit(ErrorEvent(str(exc)))
        return exc.status
    pump = asyncio.create_task(live.pump())
    helpers: list[asyncio.Future[Any]] = []
    if interactive is not None:
        helpers.append(asyncio.ensure_future(interactive(live, live.drain)))
    elif opts.execute or script is not None:
        queue = lines_queue(opts.execute) if opts.execute else stdin_lines(loop, script)
        helpers.append(asyncio.create_task(client_script(live, queue, reporter, binary, opts)))
    if opts.one_message:
        helpers.append(asyncio.create_task(close_after_first_message(live)))
    stopper_task = asyncio.create_task(stop.wait())
    waiting: set[asyncio.Future[Any]] = {pump, stopper_task, *helpers}
    interrupted = False  # Ctrl-C at the prompt (a key there, not a signal)
    while True:
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if pump in done or stopper_task in done:
            break
        for task in done:  # a script or prompt ended: by itself, or with an error
            waiting.discard(task)
            if task.cancelled():
                continue
            if task.exception() is not None:
                reporter.emit(ErrorEvent(f"input failed: {task.exception()}"))
                stop.set()
            interrupted = interrupted or _interrupted(task)
    if stop.is_set():  # the prompt gives the terminal back first, before any waiting
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
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
    stopper_task.cancel()
    for task in helpers:
        task.cancel()
    await asyncio.gather(*helpers, stopper_task, return_exceptions=True)
    if stopper.signum is not None:
        return stopper.status
    if interrupted or any(task.done() and _interrupted(task) for task in helpers):
        return signal_status(signal.SIGINT)
    return live.exit_status


async def run_listen(
    opts: ListenOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None = None,
    *,
    script: IO[str] | None = None,
    binary: bool = False,
    ready: Callable[[Listener], None] | None = None,
    interactive: Callable[[Listener], Awaitable[object]] | None = None,
) -> int:
    """Listen until stopped (Ctrl-C), the script ends, or with ``once`` the first connection ends."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    stopper = Stopper(loop, stop).install()
    try:
        return await _listen(
            opts, reporter, recorder, stop, stopper, script, binary, ready, interactive
        )
    finally:
        stopper.restore()


async def _listen(
    opts: ListenOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None,
    stop: asyncio.Event,
    stopper: Stopper,
    script: IO[str] | None,
    binary: bool,
    ready: Callable[[Listener], None] | None,
    interactive: Callable[[Listener], Awaitable[object]] | None,
) -> int:
    from .listener import Listener  # connect has no use for the server side

    loop = asyncio.get_running_loop()
    listener = Listener(opts, reporter, recorder)
    try:
        await listener.start()
    except OSError as exc:
        text = f"cannot listen on {opts.host}:{opts.port}: {exc.strerror or exc}"
        reporter.emit(ErrorEvent(text))
        return 2
    if ready is not None:
        ready(listener)
    waits: set[asyncio.Task[object]] = {asyncio.create_task(stop.wait())}
    if opts.once:
        waits.add(asyncio.create_task(listener.first_done.wait()))
    prompt: asyncio.Future[object] | None = None
    if interactive is not None:
        prompt = asyncio.ensure_future(interactive(listener))
        waits.add(prompt)
    elif script is not None:
        queue = stdin_lines(loop, script)

        async def scripted() -> None:
            await listener.any_connected.wait()
            if not await send_script(
                queue, listener.open_connections, reporter, binary, close_at_end=False
            ):
                await asyncio.Event().wait()  # no script after all: listen until stopped
            for live in list(listener.connections.values()):
                await live.closed.wait()

        waits.add(asyncio.create_task(scripted()))
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await listener.stop()
    if stopper.signum is not None:
        return stopper.status
    if prompt is not None and prompt in done and _interrupted(prompt):
        return signal_status(signal.SIGINT)
    if stop.is_set():
        return 130 if not opts.once else 1
    return max(listener.statuses, default=0)
