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
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from ..capture.format import C2S, S2C, CaptureWriter
from ..codec.connection import DEFAULT_MAX_MESSAGE, Connection, State
from ..codec.events import CloseEvent, FailEvent
from ..codec.handshake import MAX_HANDSHAKE_SIZE, HeadReader
from ..codec.spec import Opcode, Role, host_port
from .reporter import Reporter


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
        self.subprotocol: str | None = None
        self.extensions: str | None = None
        self.close_event: CloseEvent | None = None
        self.request_key: str | None = None  #: Sec-WebSocket-Key, on the client side
        self.failed = False
        self.closed = asyncio.Event()
        self._in_dir = S2C if role is Role.CLIENT else C2S
        self._out_dir = C2S if role is Role.CLIENT else S2C
        self.peer = _addr(writer.get_extra_info("peername"))
        self.local = _addr(writer.get_extra_info("sockname"))

    # -- raw I/O ---------------------------------------------------------------------------------

    def record_in(self, data: bytes) -> None:
        if self.recorder is not None:
            self.recorder.data(self.id, self._in_dir, data)

    def write(self, data: bytes) -> None:
        if not data or self.writer.is_closing():
            return  # the transport is gone: nothing is sent, so nothing is recorded as sent
        if self.recorder is not None:
            self.recorder.data(self.id, self._out_dir, data, flush=False)
        self.writer.write(data)

    async def read_head(self) -> HeadReader:
        """Read an HTTP head within the size and time limits; what follows stays in ``leftover``."""
        reader = HeadReader(self.options.max_handshake)
        deadline = time.monotonic() + self.options.handshake_timeout
        while not reader.done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HandshakeFailed(f"no complete handshake within {self.options.handshake_timeout:g} s")
            try:
                data = await asyncio.wait_for(self.reader.read(65536), remaining)
            except asyncio.TimeoutError:
                raise HandshakeFailed(
                    f"no complete handshake within {self.options.handshake_timeout:g} s"
                ) from None
            if not data:
                got = len(reader.buffered)
                raise HandshakeFailed(f"the peer closed the connection during the handshake ({got} bytes received)")
            self.record_in(data)
            reader.feed(data)
        return reader

    # -- after the handshake ---------------------------------------------------------------------

    def start(self, conn: Connection, leftover: bytes) -> None:
        self.conn = conn
        if self.options.echo:
            conn.on_message = lambda msg: conn.send_message(msg.opcode, msg.payload, compress=msg.compressed)
        if self.recorder is not None:
            self.recorder.handshake(self.id, subprotocol=self.subprotocol, extensions=self.extensions)
        if leftover:
            conn.receive_data(leftover)
        self.flush()

    def flush(self) -> None:
        """Write what the codec queued and report what happened."""
        conn = self.conn
        if conn is None:
            return
        self.write(conn.data_to_send())
        events = conn.events_received()
        if events:
            t = time.time()
            for ev in events:
                self.reporter.event(self.id, t, self.role.value, ev)
                if isinstance(ev, CloseEvent):
                    self.close_event = ev
                elif isinstance(ev, FailEvent):
                    self.failed = True

    async def pump(self) -> None:
        """Read until the connection is over; close the transport as RFC 6455 §7.1.1 says."""
        conn = self.conn
        assert conn is not None
        reason = "closed"
        loop = asyncio.get_running_loop()
        deadline: float | None = None  # once closing: one deadline, not a fresh wait per read
        try:
            while True:
                if conn.should_close_transport:  # already over: bytes that came with the handshake
                    reason = "closing handshake done" if not self.failed else "connection failed"
                    break
                if conn.state is not State.OPEN and deadline is None:
                    deadline = loop.time() + self.options.close_timeout
                timeout = None if deadline is None else max(deadline - loop.time(), 0.0)
                try:
                    data = await asyncio.wait_for(self.reader.read(65536), timeout)
                except asyncio.TimeoutError:
                    reason = f"no TCP close from the peer within {self.options.close_timeout:g} s; closing it"
                    break
                if data:
                    self.record_in(data)
                    conn.receive_data(data)
                else:
                    conn.receive_eof()
                self.flush()
                if not data:
                    reason = "the peer closed the TCP connection"
                    break
                if conn.should_close_transport:
                    reason = "closing handshake done" if not self.failed else "connection failed"
                    break
                await self.writer.drain()
        except (ConnectionError, OSError) as exc:
            reason = f"connection lost: {exc.strerror or exc}"
            if conn.state is not State.CLOSED:
                conn.receive_eof()
                self.flush()
        finally:
            await self.close_transport()
            self.reporter.disconnected(self.id, time.time(), reason)
            if self.recorder is not None:
                self.recorder.end(self.id, reason)
            self.closed.set()

    async def close_transport(self) -> None:
        try:
            if self.writer.can_write_eof() and not self.writer.is_closing():
                self.writer.write_eof()
        except (OSError, RuntimeError):
            pass
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)
        except (asyncio.TimeoutError, OSError, ConnectionError):
            pass

    # -- sending (prompt, stdin scripts) ---------------------------------------------------------

    @property
    def open(self) -> bool:
        return self.conn is not None and self.conn.state is State.OPEN

    def send(self, action: str, *args: Any) -> None:
        """Run ``Connection.<action>(*args)`` and flush; raises RuntimeError when not open."""
        conn = self.conn
        if conn is None:
            raise RuntimeError("the handshake is not complete")
        if action == "raw":
            conn.send_raw(args[0])
        elif action == "frag":
            conn.send_message(Opcode.TEXT, args[1].encode("utf-8"), fragments=args[0])
        else:
            getattr(conn, f"send_{action}")(*args)
        self.flush()

    async def drain(self) -> None:
        try:
            await self.writer.drain()
        except (ConnectionError, OSError):
            pass

    @property
    def exit_status(self) -> int:
        ev = self.close_event
        if self.failed or ev is None:
            return 1
        return 0 if ev.clean and ev.code in (1000, 1001, 1005) else 1


def _addr(info: Any) -> str:
    if isinstance(info, tuple) and len(info) >= 2:
        return host_port(str(info[0]), info[1])
    return str(info)
