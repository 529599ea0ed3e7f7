"""One live WebSocket connection: the opening handshake, then the pump.

Theory of operation
-------------------
Everything read from or written to the socket goes first to the recorder (so a capture holds
every byte, however busy the display is), then to the codec, then to the reporter.  The codec
is :class:`~wsdebug.codec.connection.Connection`; this module only moves bytes:

    read -> record -> Connection.receive_data -> flush() -> write / record / report

``flush()`` writes ``data_to_send()`` and hands ``events_received()`` to the reporter; sending
(from a prompt, a script on stdin, or the echo option) is a ``Connection.send_*`` call
followed by ``flush()``.  Everything runs on one asyncio loop, so there is no locking.

Resources are bounded per connection.  After each read the pump waits until the transport's
write buffer is below :data:`WRITE_HIGH_WATER` (backpressure: a peer that does not read stops
being read, so echoing it cannot grow the buffer).  A buffer that stays above the mark for
``write_timeout`` seconds fails the connection: the 1008 close frame would sit behind the
data the peer is not reading, so the transport is aborted, which frees the buffer.  With
``idle_timeout`` set, a peer silent that long is sent a 1001 close (the normal closing
handshake, bounded by ``close_timeout``).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..codec.connection import DEFAULT_MAX_MESSAGE, Connection, State
from ..codec.events import (
    CloseEvent,
    DisconnectEvent,
    ErrorEvent,
    Event,
    FailEvent,
    FrameEvent,
    HandshakeEvent,
    MessageEvent,
    has_problem,
)
from ..codec.handshake import MAX_HANDSHAKE_SIZE
from ..codec.spec import Direction, Opcode, Role, close_code_is_valid, host_port
from .reporter import Reporter

if TYPE_CHECKING:  # the recording's module loads only when --record asks for it
    from ..capture.format import CaptureWriter

#: bytes queued for a peer above which sending waits for it to read (asyncio's default mark)
WRITE_HIGH_WATER = 64 * 1024
#: close code for a peer that reads nothing for ``write_timeout`` (RFC 6455 §7.4.1)
POLICY_VIOLATION = 1008
#: close code for an idle peer: "going away" (RFC 6455 §7.4.1)
GOING_AWAY = 1001
#: the code a close frame without a status reports (RFC 6455 §7.1.5): a clean close all the same
NO_STATUS = 1005
#: bytes taken from the socket's buffer per read at most: whatever has arrived, in one piece
#: (a megabyte message in a few reads, not sixteen; each read is one recorded chunk)
READ_SIZE = 1 << 20


@dataclass
class Options:
    """Settings shared by ``connect`` and ``listen``."""

    lenient: bool = False
    deflate: bool = True
    subprotocols: list[str] = field(default_factory=list)
    max_message: int = DEFAULT_MAX_MESSAGE
    max_handshake: int = MAX_HANDSHAKE_SIZE
    handshake_timeout: float = 10.0
    close_timeout: float = 3.0
    echo: bool = False
    #: seconds the write buffer may stay above WRITE_HIGH_WATER before the connection is failed
    write_timeout: float = 10.0
    #: close a connection with 1001 after this many seconds without a byte received (None: never)
    idle_timeout: float | None = None


class HandshakeFailed(Exception):
    """The opening handshake did not complete; the message is one line."""


class LiveConnection:
    """A socket plus a codec Connection, with recording and reporting."""

    def __init__(
        self,
        conn_id: str,
        role: Role,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        reporter: Reporter,
        options: Options,
        recorder: CaptureWriter | None = None,
    ) -> None:
        self.id = conn_id
        self.role = role
        self.reader = reader
        self.writer = writer
        self.reporter = reporter
        self.options = options
        self.recorder = recorder
        self.conn: Connection | None = None
        #: held while the codec runs: receive() may run it on a worker thread (deflate)
        self._codec_lock = threading.RLock()
        self.subprotocol: str | None = None
        self.extensions: str | None = None
        self.close_event: CloseEvent | None = None
        self.request_key: str | None = None  #: Sec-WebSocket-Key, on the client side
        self.failed = False
        self.problems_seen = 0  #: events that reported a problem (``--lenient`` lets them by)
        #: set once a complete message arrived from the peer (``connect -1`` waits for it)
        self.message_received = asyncio.Event()
        self.closed = asyncio.Event()
        self._in_dir = Direction.S2C if role is Role.CLIENT else Direction.C2S
        self._out_dir = Direction.C2S if role is Role.CLIENT else Direction.S2C
        self.peer = _addr(writer.get_extra_info("peername"))
        self.local = _addr(writer.get_extra_info("sockname"))
        self.aborted: str | None = None  #: why the transport was aborted, once it was
        self._blocked_since: float | None = None  #: loop time the write buffer went over the mark
        writer.transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)

    # -- raw I/O ---------------------------------------------------------------------------------

    def record_in(self, data: bytes) -> None:
        """Record a chunk just read, before the codec sees it (flushed to the OS: kill -9 safe)."""
        if self.recorder is not None:
            self.recorder.data(self.id, self._in_dir, data)

    def write(self, data: bytes) -> None:
        """Record a chunk (flushed to the OS), then hand it to the transport."""
        if not data or self.writer.is_closing():
            return  # the transport is gone: nothing is sent, so nothing is recorded as sent
        if self.recorder is not None:
            self.recorder.data(self.id, self._out_dir, data)
        self.writer.write(data)

    async def read_handshake(self, conn: Connection, done: Callable[[], bool]) -> None:
        """Feed the peer's bytes to ``conn`` (recorded first) until ``done()``, within
        ``handshake_timeout``.

        Raises:
            HandshakeFailed: the time ran out, or the peer closed first (then ``conn`` has seen
                the EOF too).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.handshake_timeout
        got = 0
        while not done():
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise asyncio.TimeoutError
                data = await asyncio.wait_for(self.reader.read(65536), remaining)
            except asyncio.TimeoutError:
                raise HandshakeFailed(
                    f"no complete handshake within {self.options.handshake_timeout:g} s"
                ) from None
            if not data:
                conn.receive_eof()
                raise HandshakeFailed(
                    f"the peer closed the connection during the handshake ({got} bytes received)"
                )
            got += len(data)
            self.record_in(data)
            conn.receive_data(data)

    # -- after the handshake ---------------------------------------------------------------------

    def start(self, conn: Connection, leftover: bytes) -> None:
        self.conn = conn
        if self.options.echo and conn.on_message is None:
            conn.on_message = lambda msg: conn.send_message(
                msg.opcode, msg.payload, compress=msg.compressed
            )
        if self.recorder is not None:
            self.recorder.handshake(
                self.id, subprotocol=self.subprotocol, extensions=self.extensions
            )
        if leftover:
            conn.receive_data(leftover)
        self.flush()

    def flush(self) -> bool:
        """Write what the codec queued and report what happened; True when something was
        written."""
        conn = self.conn
        if conn is None:
            return False
        with self._codec_lock:
            out, events = conn.data_to_send(), conn.events_received()
        self.write(out)
        if events:
            self.report(events)
        return bool(out)

    async def receive(self, data: bytes) -> None:
        """Feed ``data`` to the codec.  On a compressed connection this runs on a worker thread
        (zlib lets go of the GIL): one peer's message that inflates to megabytes, and its echo's
        compression, then cost the loop nothing, and the other connections go on."""
        conn = self.conn
        assert conn is not None
        if conn.deflate is None:
            conn.receive_data(data)  # plain frames are cheap: no thread hop per read
            return
        await asyncio.to_thread(self._receive_locked, conn, data)

    def _receive_locked(self, conn: Connection, data: bytes) -> None:
        with self._codec_lock:
            conn.receive_data(data)

    def report(self, events: list[Event]) -> None:
        """Stamp the codec's events and hand them to the reporter (noting the close and any
        failure); a handshake event is given this side's role."""
        received = Direction.of(self.role, sent=False)
        for ev in events:
            kind = type(ev)
            if kind is FrameEvent:  # the common case first: one look at its problems
                if ev.record.problems:  # type: ignore[attr-defined]
                    self.problems_seen += 1  # either way: a frame crafted with /raw counts too
                continue
            if kind is MessageEvent:
                if ev.message.problems:  # type: ignore[attr-defined]
                    self.problems_seen += 1
                if ev.direction is received and not self.message_received.is_set():  # type: ignore[attr-defined]
                    self.message_received.set()
                continue
            if has_problem(ev):
                self.problems_seen += 1
            if isinstance(ev, HandshakeEvent):
                ev.role = self.role
            elif isinstance(ev, MessageEvent):
                if ev.direction is received:
                    self.message_received.set()
            elif isinstance(ev, CloseEvent):
                self.close_event = ev
            elif isinstance(ev, FailEvent):
                self.failed = True
        self.reporter.events(self.id, time.time(), events)

    async def pump(self) -> None:
        """Read until the connection is over; close the transport as RFC 6455 §7.1.1 says."""
        conn = self.conn
        assert conn is not None
        reason = "closed"
        loop = asyncio.get_running_loop()
        deadline: float | None = None  # once closing: one deadline, not a fresh wait per read
        idle = self.options.idle_timeout
        last_read = loop.time()
        try:
            while True:
                if conn.should_close_transport:  # already over: bytes that came with the handshake
                    reason = "closing handshake done" if not self.failed else "connection failed"
                    break
                if conn.state is not State.OPEN and deadline is None:
                    deadline = loop.time() + self.options.close_timeout
                if deadline is not None:
                    timeout: float | None = max(deadline - loop.time(), 0.0)
                elif idle is not None:
                    timeout = max(last_read + idle - loop.time(), 0.0)
                else:
                    timeout = None
                try:
                    data = await asyncio.wait_for(self.reader.read(READ_SIZE), timeout)
                except asyncio.TimeoutError:
                    if deadline is None:  # idle: start the closing handshake, then wait as usual
                        self.send("close", GOING_AWAY, f"idle for {idle:g} s")
                        if not await self._drain_bounded():
                            reason = self.aborted or "aborted"
                            break
                        continue
                    reason = f"no TCP close from the peer within {self.options.close_timeout:g} s; closing it"
                    break
                if self.aborted is not None:
                    reason = self.aborted
                    break
                if data:
                    last_read = loop.time()
                    self.record_in(data)
                    await self.receive(data)
                else:
                    conn.receive_eof()
                answered = self.flush()  # an echo, a pong, a close: written because of the read
                await self.reporter.drain(self.id)  # a slow --json reader holds this peer back
                if not data:
                    reason = "the peer closed the TCP connection"
                    break
                if conn.should_close_transport:
                    reason = "closing handshake done" if not self.failed else "connection failed"
                    break
                # Backpressure: what this read made us write must leave before we read more (a
                # peer that does not read stops being read).  What a script or the prompt sent
                # is not the pump's to wait for (the sender waits): a peer that echoes it waits
                # for us to read the echoes before it reads more, and waiting here would
                # deadlock us both.
                if answered and not await self._drain_bounded():
                    reason = self.aborted or "aborted"
                    break
        except (ConnectionError, OSError) as exc:
            # The reader keeps this exception; its traceback holds this frame, hence self, the
            # reader and the codec's buffers: a cycle that only a full gc run would free.
            exc.__traceback__ = None
            reason = self.aborted or f"connection lost: {exc.strerror or exc}"
            if conn.state is not State.CLOSED:
                conn.receive_eof()
                self.flush()
        finally:
            conn.on_message = None  # the echo closure refers to conn: a cycle only gc would free
            await self.close_transport()
            self.reporter.emit(DisconnectEvent(reason, conn=self.id, t=time.time()))
            if self.recorder is not None:
                self.recorder.end(self.id, reason)
            self.closed.set()

    async def _drain_bounded(self) -> bool:
        """Wait until the write buffer is below the mark; abort after ``write_timeout``.

        The deadline is shared: the pump and a broadcast waiting on the same blocked peer wait
        for the same instant, not one timeout each.  Returns False once the transport is aborted.
        """
        if self.aborted is not None:
            return False
        transport = self.writer.transport
        if transport.get_write_buffer_size() <= WRITE_HIGH_WATER:
            self._blocked_since = None
            await self.writer.drain()  # raises when the connection was lost
            return True
        loop = asyncio.get_running_loop()
        if self._blocked_since is None:
            self._blocked_since = loop.time()
        remaining = self._blocked_since + self.options.write_timeout - loop.time()
        try:
            await asyncio.wait_for(self.writer.drain(), max(remaining, 0.0))
        except asyncio.TimeoutError:
            self._abort_blocked(transport.get_write_buffer_size())
            return False
        self._blocked_since = None
        return self.aborted is None

    def _abort_blocked(self, waiting: int) -> None:
        """The peer read nothing for ``write_timeout``: fail the connection (1008) by aborting it."""
        if self.aborted is not None:
            return
        t = self.options.write_timeout
        self.aborted = (
            f"aborted ({POLICY_VIOLATION} policy violation): the peer did not read for {t:g} s"
            " (--write-timeout)"
        )
        self.failed = True
        self.reporter.emit(
            ErrorEvent(
                f"the peer did not read what was sent: {waiting:,} bytes still waiting after {t:g} s"
                f" (--write-timeout); failing the connection ({POLICY_VIOLATION} policy violation)"
                " by aborting it, as a close frame cannot get past the unread data",
                conn=self.id,
            )
        )
        self.writer.transport.abort()  # drops the buffer now, not when the peer reads

    async def close_transport(self) -> None:
        """Half-close, then close (what is queued gets 1 s to leave); then abort, freeing it."""
        transport = self.writer.transport
        try:
            if self.writer.can_write_eof() and not self.writer.is_closing():
                self.writer.write_eof()
        except (OSError, RuntimeError):
            pass
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)
        except (OSError, ConnectionError) as exc:
            exc.__traceback__ = None  # kept by the protocol: its frames would hold self (a cycle)
        except asyncio.TimeoutError:
            # close() keeps the transport, and its buffer, until the peer reads it all: never
            # for a peer that does not read.  Aborting frees it.
            transport.abort()

    # -- sending (prompt, stdin scripts) ---------------------------------------------------------

    @property
    def open(self) -> bool:
        return self.aborted is None and self.conn is not None and self.conn.state is State.OPEN

    def send(self, action: str, *args: Any, flush: bool = True) -> None:
        """Run ``Connection.<action>(*args)`` and flush (``flush=False``: the caller flushes
        once after several sends, so they go out in one write); raises RuntimeError when not
        open."""
        conn = self.conn
        if conn is None:
            raise RuntimeError("the handshake is not complete")
        with self._codec_lock:  # a worker thread may be inside receive() of this connection
            if action == "text":
                conn.send_text(args[0])
            elif action == "raw":
                conn.send_raw(args[0])
            elif action == "frag":
                conn.send_message(Opcode.TEXT, args[1].encode("utf-8"), fragments=args[0])
            else:
                getattr(conn, f"send_{action}")(*args)
        if flush:
            self.flush()

    async def drain(self) -> None:
        """Wait for the peer to take what was sent, at most ``write_timeout`` (then it is aborted)."""
        with contextlib.suppress(ConnectionError, OSError):
            await self._drain_bounded()

    @property
    def exit_status(self) -> int:
        """0 for a clean closing handshake with a code that may be sent (or none: 1005) and no
        problem seen; 1 for a failure, a problem, or an abnormal end (RFC 6455 §7.1.5)."""
        ev = self.close_event
        if self.failed or self.problems_seen or ev is None or not ev.clean:
            return 1
        return 0 if ev.code == NO_STATUS or close_code_is_valid(ev.code or 0) else 1


def _addr(info: Any) -> str:
    if isinstance(info, tuple) and len(info) >= 2:
        return host_port(str(info[0]), info[1])
    return str(info)
