"""The person-facing reporter for live sessions: frames as they happen, never slowing the wire.

Events are queued by the pump and drawn by :meth:`RichReporter.run`, a task that wakes every
few tens of milliseconds and draws for a bounded share of the time.  Frames that arrive faster
than that are counted, not drawn, and a line such as "12,345 frames not shown — all recorded"
takes their place.  Connection-level events (handshake, close, failure, errors) are always
drawn.  Payload text reaches the screen only through :mod:`wsdebug.ui.safe`.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as _dt
import time
from typing import Any

from rich.console import Console
from rich.text import Text

from ..codec.events import (
    CloseEvent,
    ConnectEvent,
    DisconnectEvent,
    ErrorEvent,
    Event,
    FailEvent,
    FrameEvent,
    HandshakeEvent,
    HttpEvent,
    InfoEvent,
    MessageEvent,
)
from ..codec.spec import close_code_meaning
from ..live.reporter import Reporter
from .safe import inert_text
from .theme import THEME
from .views import Detail, FrameView, MessageView, problem_text

TICK = 0.1  #: seconds between drawing rounds
BUDGET = 0.012  #: seconds of drawing per round at most (about 12% of one core)
BACKLOG = 500  #: frames kept waiting to be drawn before they are skipped
BACKLOG_BYTES = 8 << 20  #: payload bytes kept waiting to be drawn before frames are skipped


def clock(t: float) -> str:
    return _dt.datetime.fromtimestamp(t).strftime("%H:%M:%S.%f")[:-3]


class RichReporter(Reporter):
    def __init__(
        self,
        console: Console,
        detail: Detail = "summary",
        *,
        plain: bool = False,
        recording: bool = False,
    ) -> None:
        self.console = console
        self.err_console = Console(
            stderr=True,
            theme=THEME,
            no_color=plain or None,
            highlight=False,
            markup=False,
            emoji=False,
        )
        self.detail = detail
        self.plain = plain
        self.recording = recording
        self.skipped = 0
        self._queue: collections.deque[tuple[int, Any]] = collections.deque()
        self._frames_waiting = 0
        self._bytes_waiting = 0
        self._running = False

    # -- queueing --------------------------------------------------------------------------------

    def _full(self) -> bool:
        return self._frames_waiting >= BACKLOG or self._bytes_waiting >= BACKLOG_BYTES

    def _put(self, renderable: Any, *, droppable: bool = False, size: int = 0) -> None:
        """Queue something to draw; ``droppable`` items (frames) carry their payload ``size``.

        Non-droppable items (connection events) are always queued; the size of a droppable
        one is -1 - size, so draining knows to release it from the backlog counters.
        """
        if droppable:
            self._frames_waiting += 1
            self._bytes_waiting += size
            self._queue.append((-1 - size, renderable))
        else:
            self._queue.append((0, renderable))
        if not self._running:
            self.draw()

    def draw(self, budget: float | None = None) -> None:
        """Draw queued items (all of them, or for ``budget`` seconds)."""
        start = time.perf_counter()
        while self._queue:
            if budget is not None and time.perf_counter() - start > budget:
                break
            tag, item = self._queue.popleft()
            if tag < 0:
                self._frames_waiting -= 1
                self._bytes_waiting -= -1 - tag
                if self.skipped:
                    self._note_skipped()
            self.console.print(item() if callable(item) else item)
        if not self._queue and self.skipped:
            self._note_skipped()

    def _note_skipped(self) -> None:
        tail = " — all recorded" if self.recording else " (use --record FILE to keep them all)"
        self.console.print(Text(f"… {self.skipped:,} frames not shown{tail}", style="ws.warn"))
        self.skipped = 0

    async def run(self) -> None:
        """Draw in rounds until cancelled."""
        self._running = True
        try:
            while True:
                await asyncio.sleep(TICK)
                self.draw(BUDGET)
        finally:
            self._running = False
            self.flush_tail()

    def flush_tail(self) -> None:
        """At the end: draw what is left, but not an unbounded backlog."""
        keep: collections.deque[tuple[int, Any]] = collections.deque()
        excess = len(self._queue) - 200
        for tag, item in self._queue:
            if tag < 0 and excess > 0:
                excess -= 1
                self.skipped += 1
                self._frames_waiting -= 1
                self._bytes_waiting -= -1 - tag
            else:
                keep.append((tag, item))
        self._queue = keep
        self.draw()

    def close(self) -> None:
        self.flush_tail()

    # -- Reporter --------------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        draw = self._DRAW.get(type(event))
        if draw is not None:
            draw(self, event)

    def _connected(self, ev: ConnectEvent) -> None:
        conn, peer, t = ev.conn, ev.peer, ev.t
        self._put(
            Text.assemble(
                (f"{clock(t)} ", "ws.dim"),
                ("● ", "ws.ok"),
                (conn, "bold"),
                f" TCP connected, peer {peer}",
            )
        )

    def _handshake(self, ev: HandshakeEvent) -> None:
        if ev.pending:
            return  # a server's request that waits for accept() or reject(): the final event follows
        conn, t, request, response, problems = ev.conn, ev.t, ev.request, ev.response, ev.problems
        subprotocol, extensions, accept_expected = ev.subprotocol, ev.extensions, ev.accept_expected
        role = None if ev.role is None else ev.role.value
        line = Text.assemble((f"{clock(t)} ", "ws.dim"), (conn, "bold"), " handshake ")
        if request is not None:
            line.append_text(inert_text(f"{request.method} {request.target}"))
        if response is not None:
            line.append_text(
                inert_text(f" → {response.status} {response.reason}")
            )  # the reason is the peer's
        if problems:
            line.append(f"  ✗ {len(problems)} problem(s)", "ws.problem")
        else:
            line.append("  ✓ accepted", "ws.ok")
        if subprotocol:
            line.append("  subprotocol ")
            line.append_text(inert_text(subprotocol, "bold"))
        if extensions:
            line.append("  ")
            line.append_text(inert_text(extensions, "ws.rsv"))
        self._put(line)
        # A client has one handshake, so `connect` always shows it annotated; a listener may
        # see many, so at summary level it keeps to the one line above.
        if self.detail != "summary" or role == "client" or problems:
            from .handshake import handshake_view

            if request is not None:
                self._put(
                    handshake_view(
                        request,
                        [],
                        plain=self.plain,
                        title=f"{conn} request ({'sent' if role == 'client' else 'received'})",
                    )
                )
            if response is not None:
                self._put(
                    handshake_view(
                        response,
                        [],
                        plain=self.plain,
                        title=f"{conn} response ({'received' if role == 'client' else 'sent'})",
                    )
                )
            if accept_expected and response is not None:
                got = response.accept
                ok = got == accept_expected
                self._put(
                    Text.assemble(
                        "Sec-WebSocket-Accept = base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)) = ",
                        (accept_expected, "ws.ok"),
                        (
                            "  ✓ matches" if ok else "  ✗ does not match",
                            "ws.ok" if ok else "ws.problem",
                        ),
                    )
                )
        for p in problems:
            self._put(problem_text(p))

    def _frame(self, event: FrameEvent) -> None:
        conn, t = event.conn, event.t
        if self._full():  # count it, build nothing: the recording has it
            self.skipped += 1
            return
        rec = event.record
        detail, plain = self.detail, self.plain
        self._put(
            lambda: FrameView(rec, detail, timestamp=t, conn_id=conn, plain=plain),
            droppable=True,
            size=rec.frame.payload_len,
        )

    def _message(self, event: MessageEvent) -> None:
        conn = event.conn
        if (event.message.frames > 1 or event.message.compressed) and not self._full():
            msg = event.message
            self._put(lambda: MessageView(msg, conn_id=conn), droppable=True, size=len(msg.payload))

    def _close(self, event: CloseEvent) -> None:
        conn, t = event.conn, event.t
        code = event.code
        meaning = close_code_meaning(code) if code is not None else ""
        line = Text.assemble(
            (f"{clock(t)} ", "ws.dim"),
            ("■ ", "ws.close"),
            (conn, "bold"),
            f" closed {code} {meaning}",
        )
        if event.reason:
            line.append(" “")
            line.append_text(inert_text(event.reason))
            line.append("”")
        by = (
            "TCP ended first"
            if event.initiator is None
            else f"the {event.initiator.value} started it"
        )
        line.append(
            f" — {by}, {'clean' if event.clean else 'not clean'}",
            "ws.ok" if event.clean else "ws.warn",
        )
        self._put(line)

    def _fail(self, event: FailEvent) -> None:
        conn, t = event.conn, event.t
        line = Text.assemble(
            (f"{clock(t)} ", "ws.dim"),
            ("✗ ", "ws.problem"),
            (conn, "bold"),
            (f" failing the connection with close code {event.code}: ", "ws.problem"),
        )
        line.append_text(problem_text(event.problem))
        self._put(line)

    def _disconnected(self, ev: DisconnectEvent) -> None:
        conn, t, reason = ev.conn, ev.t, ev.reason
        self._put(
            Text.assemble(
                (f"{clock(t)} ", "ws.dim"),
                ("○ ", "ws.dim"),
                (conn, "bold"),
                f" TCP closed: {reason}",
            )
        )

    # Messages may quote the peer (a refused handshake's status line, a header value), so they
    # are made inert like payloads.

    def _info(self, ev: InfoEvent) -> None:
        self._put(inert_text(ev.text, "ws.info"))

    def _error(self, ev: ErrorEvent) -> None:
        """Errors go to stderr at once, one unwrapped line (scripts read it; never dropped)."""
        text, conn = ev.text, ev.conn
        self.draw()
        line = inert_text(f"wsdebug: {conn + ': ' if conn else ''}{text}", "ws.problem")
        self.err_console.print(line, soft_wrap=True)

    def _http(self, ev: HttpEvent) -> None:
        conn, t, request, status, note = ev.conn, ev.t, ev.request, ev.status, ev.note
        line = Text.assemble((f"{clock(t)} ", "ws.dim"), (conn, "bold"), " ")
        line.append_text(inert_text(f"{request.method} {request.target}"))
        line.append(f" → {status}: {note}", "ws.info")
        self._put(line)

    _DRAW: dict[type, Any] = {
        ConnectEvent: _connected,
        HandshakeEvent: _handshake,
        FrameEvent: _frame,
        MessageEvent: _message,
        CloseEvent: _close,
        FailEvent: _fail,
        DisconnectEvent: _disconnected,
        InfoEvent: _info,
        ErrorEvent: _error,
        HttpEvent: _http,
    }
