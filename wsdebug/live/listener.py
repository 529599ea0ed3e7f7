"""``wsdebug listen``: accept connections, one codec Connection per peer, echo or converse.

A plain HTTP GET without ``Upgrade: websocket`` (a browser's address bar) gets a small page that
opens a WebSocket back to the listener, so a class can watch its own frames in the terminal.

At most ``max_connections`` TCP connections are served at once, counted from accept (so half-open
handshakes count too); the ones past it get a 503 and are closed, with one report line per
second however many arrive.  When connections end, freed memory is handed back to the system
(glibc keeps freed blocks of the heap otherwise: ten peers that each left a 15 MiB message
behind kept the process at ten times its idle size).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..capture.format import CaptureWriter
from ..codec.connection import State
from ..codec.events import ConnectEvent, DisconnectEvent, ErrorEvent, HttpEvent
from ..codec.handshake import Request, build_error_response
from ..codec.opening import ServerConnection
from ..codec.spec import Role, host_port
from . import chunkstream
from .endpoint import HandshakeFailed, LiveConnection, Options
from .heap import HeapKeeper
from .reporter import Reporter


@dataclass
class ListenOptions(Options):
    host: str = "127.0.0.1"
    port: int = 9000
    certfile: str | None = None
    keyfile: str | None = None
    once: bool = False  #: stop after the first WebSocket connection ends
    #: cap on the LZ77 windows negotiated for permessage-deflate (as the websockets library does)
    deflate_window_bits: int = 12
    #: TCP connections served at once, handshakes included; more are answered 503
    max_connections: int = 1024
    #: a :class:`wsdebug.live.classroom.Classroom`: its page for a GET, its annotation sockets
    classroom: Any = None


#: seconds a refused peer gets to read its 503 before the socket is closed
REFUSE_LINGER = 1.0
#: refused sockets lingering at once; past it they are closed at once (a flood must not pile up)
REFUSE_LINGER_MAX = 64
#: seconds between report lines about refused connections
REFUSE_REPORT_EVERY = 1.0
#: seconds between looks at the heap for freed memory to hand back
TRIM_EVERY = 2.0


async def _until_eof(reader: asyncio.StreamReader) -> None:
    while await reader.read(65536):
        pass


def page() -> bytes:
    return resources.files("wsdebug.live").joinpath("page.html").read_bytes()


class Listener:
    """Accepts connections and keeps them, by id, for broadcasting and ``/to``."""

    def __init__(
        self, opts: ListenOptions, reporter: Reporter, recorder: CaptureWriter | None = None
    ) -> None:
        self.opts = opts
        if opts.classroom is not None:  # it sees every event first (live/classroom.py)
            reporter = opts.classroom.wrap(reporter)
        self.reporter = reporter
        self.recorder = recorder
        self.connections: dict[str, LiveConnection] = {}
        self.server: asyncio.base_events.Server | None = None
        self.first_done = asyncio.Event()
        self.any_connected = asyncio.Event()
        self.statuses: list[int] = []
        self._ids = itertools.count(1)
        self.active = 0  #: TCP connections being served, from accept to close
        self.refused = 0  #: connections answered 503, in all
        self._refused_unreported = 0
        self._lingering = 0
        self._report_handle: asyncio.TimerHandle | None = None
        self._trim_handle: asyncio.TimerHandle | None = None
        self.heap = HeapKeeper()
        self._keeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        ctx = None
        if self.opts.certfile:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.opts.certfile, self.opts.keyfile)
        self.server = await chunkstream.start_server(
            self._handle,
            self.opts.host,
            self.opts.port,
            ssl=ctx,
            limit=1 << 20,
            # the TLS handshake comes before _handle sees the connection: bound it the same way
            ssl_handshake_timeout=self.opts.handshake_timeout if ctx else None,
        )
        if self.heap.works:
            self._keeper = asyncio.create_task(self._keep_heap())

    async def _keep_heap(self) -> None:
        """Memory freed later (a --json backlog written out, say) is handed back too."""
        while True:
            await asyncio.sleep(TRIM_EVERY)
            self.heap.check()

    @property
    def address(self) -> tuple[str, int]:
        assert self.server is not None
        sock = self.server.sockets[0].getsockname()
        return sock[0], sock[1]

    @property
    def url(self) -> str:
        host, port = self.address
        scheme = "wss" if self.opts.certfile else "ws"
        return f"{scheme}://{host_port(host, port)}/"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        if self._keeper is not None:
            self._keeper.cancel()
        for live in list(self.connections.values()):
            if live.open:
                live.send("close", 1001, "listener shutting down")
        lives = list(self.connections.values())
        if not lives:
            return
        # one close_timeout for all of them, not one each in turn
        waits = {asyncio.ensure_future(live.closed.wait()): live for live in lives}
        _, pending = await asyncio.wait(waits, timeout=self.opts.close_timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*(waits[t].close_transport() for t in pending), return_exceptions=True)

    def open_connections(self) -> list[LiveConnection]:
        return [c for c in self.connections.values() if c.open]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.active >= self.opts.max_connections:
            await self._refuse(reader, writer)
            return
        self.active += 1
        try:
            await self._serve(reader, writer)
        finally:
            self.active -= 1
            self._schedule_trim()

    async def _refuse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """503, then close: read (and drop) what the peer sends for a moment so it sees the 503."""
        self.refused += 1
        self._refused_unreported += 1
        self._report_refused_soon()
        limit = self.opts.max_connections
        with contextlib.suppress(OSError, RuntimeError):
            writer.write(
                build_error_response(
                    503,
                    "Service Unavailable",
                    f"wsdebug: {limit} connections already open; try again later\n",
                    headers=[("Retry-After", "1")],
                )
            )
            if writer.can_write_eof():
                writer.write_eof()
        # Closing with unread input makes the kernel send RST, which can destroy the 503 before
        # the peer reads it; so wait briefly for the peer's EOF, unless too many already wait.
        if self._lingering < REFUSE_LINGER_MAX:
            self._lingering += 1
            try:
                await asyncio.wait_for(_until_eof(reader), REFUSE_LINGER)
            except (asyncio.TimeoutError, OSError):
                pass
            finally:
                self._lingering -= 1
        writer.transport.abort()

    def _report_refused_soon(self) -> None:
        """The first refusal is reported at once, later ones as one line per second."""
        if self._report_handle is not None:
            return
        self._report_refused()
        loop = asyncio.get_running_loop()
        self._report_handle = loop.call_later(REFUSE_REPORT_EVERY, self._report_refused_again)

    def _report_refused(self) -> None:
        n, self._refused_unreported = self._refused_unreported, 0
        if n:
            what = "connection" if n == 1 else f"{n:,} connections"
            self.reporter.emit(
                ErrorEvent(
                    f"{what} refused with 503: {self.opts.max_connections} already open "
                    f"(--max-connections); {self.refused:,} refused in all"
                )
            )

    def _report_refused_again(self) -> None:
        self._report_handle = None
        if self._refused_unreported:
            self._report_refused_soon()

    def _schedule_trim(self) -> None:
        self.heap.connection_ended()
        if self._trim_handle is None:
            loop = asyncio.get_running_loop()
            self._trim_handle = loop.call_later(0.2, self._trim)

    def _trim(self) -> None:
        self._trim_handle = None
        self.heap.check()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn_id = f"c{next(self._ids)}"
        live = LiveConnection(
            conn_id, Role.SERVER, reader, writer, self.reporter, self.opts, self.recorder
        )
        if self.recorder is not None:
            self.recorder.open(conn_id, role="server", peer=live.peer, local=live.local)
        self.reporter.emit(ConnectEvent(live.peer, conn=conn_id, t=time.time()))
        try:
            ok = await self._handshake(live)
        except HandshakeFailed as exc:
            self.reporter.emit(ErrorEvent(f"handshake failed: {exc}", conn=conn_id))
            ok = False
        except (ConnectionError, OSError) as exc:
            exc.__traceback__ = None  # the reader keeps exc; its frames would hold live (a cycle)
            text = f"connection lost during the handshake: {exc}"
            self.reporter.emit(ErrorEvent(text, conn=conn_id))
            ok = False
        if not ok:
            await live.close_transport()
            reason = "no WebSocket connection"
            self.reporter.emit(DisconnectEvent(reason, conn=conn_id, t=time.time()))
            if self.recorder is not None:
                self.recorder.end(conn_id, "no WebSocket connection")
            return
        if self.opts.classroom is not None and self.opts.classroom.claim(live):
            await live.pump()  # a classroom annotation socket: not part of the lesson
            return
        self.connections[conn_id] = live
        self.any_connected.set()
        try:
            await live.pump()
        finally:
            self.statuses.append(live.exit_status)
            self.connections.pop(conn_id, None)
            self.first_done.set()

    async def _handshake(self, live: LiveConnection) -> bool:
        """Run the codec's opening handshake; True once the connection is open (pump next)."""
        opts = self.opts
        conn = ServerConnection(
            subprotocols=opts.subprotocols,
            deflate=opts.deflate,
            deflate_window_bits=opts.deflate_window_bits,
            max_handshake=opts.max_handshake,
            max_message=opts.max_message,
            lenient=opts.lenient,
        )
        if opts.echo:  # before the first byte: frames behind the request are echoed too
            conn.on_message = lambda msg: conn.send_message(
                msg.opcode, msg.payload, compress=msg.compressed
            )
        await live.read_handshake(conn, lambda: conn.state is not State.CONNECTING or conn.pending)
        if conn.pending:  # a plain HTTP request: this listener answers it
            conn.events_received()  # the pending handshake event: reported as an HTTP event
            assert conn.request is not None
            await self._plain_http(live, conn, conn.request)
            return False
        ev = conn.handshake
        assert ev is not None
        if not ev.accepted:
            live.write(conn.data_to_send())
            if ev.status == 431:
                conn.events_received()
                await live.drain()
                raise HandshakeFailed(f"request head larger than {opts.max_handshake} bytes")
            live.report(conn.events_received())
            await live.drain()
            return False
        live.subprotocol, live.extensions = conn.subprotocol, conn.extensions
        live.start(conn, b"")
        return True

    async def _plain_http(self, live: LiveConnection, conn: ServerConnection, req: Request) -> None:
        path = req.target.split("?", 1)[0]
        if req.method == "GET" and path in ("/", "/index.html"):
            status, note = 200, "plain HTTP GET (no Upgrade): served the built-in test page"
            body = page() if self.opts.classroom is None else self.opts.classroom.page()
            conn.reject(200, "OK", body.decode("utf-8"), content_type="text/html; charset=utf-8")
        else:
            status, note = 404, "plain HTTP request (no Upgrade): not found"
            conn.reject(404, "Not Found", "wsdebug: only / is served; connect with a WebSocket\n")
        conn.events_received()  # the rejection's handshake event: this is plain HTTP
        self.reporter.emit(HttpEvent(req, status, note, conn=live.id, t=time.time()))
        live.write(conn.data_to_send())
        await live.drain()
