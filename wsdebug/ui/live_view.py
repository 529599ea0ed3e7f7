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
    TlsEvent,
)
from ..codec.spec import Direction, close_code_meaning
from ..live.reporter import Reporter
from .backlog import Entry, Run, Skip, item_size
from .behind import BehindWriter
from .safe import inert_text
from .theme import THEME
from .views import Detail, FrameView, MessageView, problem_text

TICK = 0.1  #: seconds between drawing rounds
BUDGET = 0.012  #: seconds of drawing per round at most (about 12% of one core)
#: the same while frames are being dropped (a flood): a summary needs few lines, and the
#: sockets and the recording get the time instead (about 3% of one core)
FLOOD_BUDGET = 0.003
BACKLOG = 500  #: frames kept waiting to be drawn before they are skipped
BACKLOG_BYTES = 8 << 20  #: payload bytes kept waiting to be drawn before frames are skipped
TAIL = 100  #: frames drawn at the end at most (the newest, a few screens; a line counts the rest)
#: bytes of drawn text the terminal may have left unread before a drawing round is skipped
BEHIND = 64 << 10


def clock(t: float) -> str:
    return _dt.datetime.fromtimestamp(t).strftime("%H:%M:%S.%f")[:-3]


class RichReporter(Reporter):
    """Draws events in order; when frames come faster than the terminal draws, the OLDEST
    waiting frames give way, so the newest ones and a "… N frames not shown (#a–#b)" line in
    their place are what the screen shows.  What waits at a quiet moment or at the end is drawn.

    With :meth:`write_behind` the console's text goes to a writer thread: a terminal that
    reads slowly makes a drawing round wait for the next (the frames meanwhile give way as
    above), never the sockets or the recording.
    """

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
        self.skipped = 0  #: frames dropped from the display so far (the recording has them)
        self._queue: collections.deque[Entry] = collections.deque()
        self._frames_waiting = 0  #: frames and message views waiting to be drawn
        self._bytes_waiting = 0
        self._running = False
        self._counts: dict[str | None, int] = {}  #: frames seen per connection (for #numbers)
        #: the last text received in each direction (the prompt keeps no secret it asks for)
        self.last_text: dict[Direction, str] = {}
        self._behind: BehindWriter | None = None
        self._flooded = False  #: frames were dropped since the last drawing round
        # A subclass that looks at every event in emit() gets them one by one.
        self._batched = type(self).emit is RichReporter.emit

    def write_behind(self) -> None:
        """Draw through a writer thread (when no prompt shares the terminal)."""
        if self._behind is not None:
            return
        try:
            self._behind = BehindWriter(self.console.file)
        except (AttributeError, OSError, ValueError):  # no descriptor (a StringIO): as it was
            return
        self.console.file = self._behind  # type: ignore[assignment]

    # -- the display model -----------------------------------------------------------------------

    def _put(self, renderable: Any) -> None:
        """Queue something that is always drawn."""
        self._queue.append((0, renderable))
        if not self._running:
            self.draw()

    def _put_run(self, conn: str, t: float, items: list[Any], frames: int, nbytes: int) -> None:
        """Queue frames and message views of one read, which may give way to newer ones."""
        number = self._counts.get(conn, 0) + 1
        self._counts[conn] = number + frames - 1
        found = 0
        for ev in reversed(items):  # the newest text each way (usually among the last few)
            if type(ev) is FrameEvent:
                rec = ev.record
                bit = 2 if ev.direction is Direction.S2C else 1
                if rec.text and rec.close is None and not found & bit:
                    found |= bit
                    self.last_text[ev.direction] = rec.text[-200:]
                    if found == 3:
                        break
        self._queue.append((1, Run(conn, t, items, number, frames, nbytes)))
        self._frames_waiting += len(items)
        self._bytes_waiting += nbytes
        if self._frames_waiting >= BACKLOG + BACKLOG // 10 or self._bytes_waiting >= BACKLOG_BYTES:
            self._trim(BACKLOG, BACKLOG_BYTES // 2)
        if not self._running:
            self.draw()

    def _trim(self, frames: int, nbytes: int) -> None:
        """Drop the oldest waiting frames until at most ``frames`` (and ``nbytes``) wait.

        One pass over the queue's entries (one per read, not per frame; called once per tenth
        of the backlog): each dropped run becomes one Skip marker where it was, merged with a
        marker already there, so the marker lands between the frames it separates.
        """
        excess = self._frames_waiting - frames
        excess_bytes = self._bytes_waiting - nbytes
        if excess <= 0 and excess_bytes <= 0:
            return
        self._flooded = True
        kept: collections.deque[Entry] = collections.deque()
        for entry in self._queue:
            kind, item = entry
            if kind == 1 and (excess > 0 or excess_bytes > 0):
                run: Run = item
                if kept and kept[-1][0] == 2:
                    marker = kept[-1][1]
                else:
                    marker = Skip()
                    kept.append((2, marker))
                left = len(run.items) - run.pos
                if excess >= left or excess_bytes >= run.nbytes:  # all of it
                    dropped, frames_dropped, bytes_dropped = left, run.frames, run.nbytes
                    run.pos = len(run.items)
                else:  # the front of it
                    dropped = frames_dropped = bytes_dropped = 0
                    items = run.items
                    while excess - dropped > 0 or excess_bytes - bytes_dropped > 0:
                        ev = items[run.pos]
                        items[run.pos] = None  # its payload is freed now, not when drawn
                        run.pos += 1
                        dropped += 1
                        bytes_dropped += item_size(ev)
                        frames_dropped += type(ev) is FrameEvent
                marker.add_frames(run.conn, run.number, frames_dropped)
                marker.messages += dropped - frames_dropped
                run.number += frames_dropped
                run.frames -= frames_dropped
                run.nbytes -= bytes_dropped
                excess -= dropped
                excess_bytes -= bytes_dropped
                self._frames_waiting -= dropped
                self._bytes_waiting -= bytes_dropped
                self.skipped += frames_dropped
                if run.pos < len(run.items):
                    kept.append(entry)
            elif kind == 2 and kept and kept[-1][0] == 2:  # two runs now adjacent
                kept[-1][1].merge(item)
            else:
                kept.append(entry)
        self._queue = kept

    def draw(self, budget: float | None = None) -> None:
        """Draw queued items in order (all of them, or for ``budget`` seconds; nothing while
        the terminal is more than :data:`BEHIND` bytes behind)."""
        if budget is not None and self._behind is not None and self._behind.pending > BEHIND:
            return
        start = time.perf_counter()
        queue = self._queue
        detail, plain = self.detail, self.plain
        marked = False  # a skip line was just drawn: what follows it is drawn too, so the next
        # trim cannot put a second skip line right under it
        while queue:
            if budget is not None and not marked and time.perf_counter() - start > budget:
                break
            kind, item = queue[0]
            marked = kind == 2
            if kind == 1:
                run: Run = item
                ev = run.items[run.pos]
                run.items[run.pos] = None
                run.pos += 1
                if run.pos >= len(run.items):
                    queue.popleft()
                size = item_size(ev)
                run.nbytes -= size
                self._frames_waiting -= 1
                self._bytes_waiting -= size
                if type(ev) is FrameEvent:
                    run.number += 1
                    run.frames -= 1
                    view: Any = FrameView(
                        ev.record, detail, timestamp=run.t, conn_id=run.conn, plain=plain
                    )
                else:
                    view = MessageView(ev.message, conn_id=run.conn)
                self.console.print(view)
                continue
            queue.popleft()
            if kind == 2:
                self.console.print(item.text(self.recording))
                continue
            self.console.print(item() if callable(item) else item)

    async def run(self) -> None:
        """Draw in rounds until cancelled."""
        self._running = True
        try:
            while True:
                await asyncio.sleep(TICK)
                flooded, self._flooded = self._flooded, False
                self.draw(FLOOD_BUDGET if flooded else BUDGET)
        finally:
            self._running = False
            self.flush_tail()

    def flush_tail(self) -> None:
        """At the end: draw what is left, the newest frames of an unbounded backlog."""
        self._trim(TAIL, BACKLOG_BYTES // 4)
        self.draw()

    def close(self) -> None:
        self.flush_tail()
        if self._behind is not None:
            self._behind.close()  # everything drawn reaches the terminal before the exit

    # -- Reporter --------------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        draw = self._DRAW.get(type(event))
        if draw is not None:
            draw(self, event)

    def events(self, conn: str, t: float, events: list[Event]) -> None:
        """A read's worth of codec events: frames and message views go in one run."""
        if not self._batched:
            super().events(conn, t, events)
            return
        items: list[Any] = []
        frames = nbytes = 0
        for ev in events:
            kind = type(ev)
            if kind is FrameEvent:
                items.append(ev)
                frames += 1
                nbytes += ev.record.frame.payload_len  # type: ignore[attr-defined]
            elif kind is MessageEvent:
                msg = ev.message  # type: ignore[attr-defined]
                if msg.frames > 1 or msg.compressed:  # a single plain frame says it all
                    items.append(ev)
                    nbytes += len(msg.payload)
            else:
                if items:
                    self._put_run(conn, t, items, frames, nbytes)
                    items, frames, nbytes = [], 0, 0
                ev.conn, ev.t = conn, t
                self.emit(ev)
        if items:
            self._put_run(conn, t, items, frames, nbytes)

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
        elif not ev.accepted:  # a redirect connect -L follows
            line.append("  not upgraded", "ws.info")
        else:
            line.append("  ✓ accepted", "ws.ok")
        if subprotocol:
            line.append("  subprotocol ")
            line.append_text(inert_text(subprotocol, "bold"))
        if extensions:
            line.append("  ")
            line.append_text(inert_text(extensions, "ws.rsv"))
        self._put(line)
        # At summary level a handshake is the one line above (for connect and listen alike);
        # the request/response tables come with -d fields/bytes, or when something is wrong.
        if self.detail != "summary" or problems:
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
                verdict = (
                    "  ✓ matches" if ok else "  ✗ missing" if not got else "  ✗ does not match"
                )
                self._put(
                    Text.assemble(
                        "Sec-WebSocket-Accept = base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)) = ",
                        (accept_expected, "ws.ok"),
                        (verdict, "ws.ok" if ok else "ws.problem"),
                    )
                )
        for p in problems:
            self._put(problem_text(p))

    def _frame(self, event: FrameEvent) -> None:
        if event.number:  # numbered by its source (a replay): the run starts there
            self._counts[event.conn] = event.number - 1
        self._put_run(event.conn, event.t, [event], 1, event.record.frame.payload_len)

    def _message(self, event: MessageEvent) -> None:
        msg = event.message
        if msg.frames > 1 or msg.compressed:
            self._put_run(event.conn, event.t, [event], 0, len(msg.payload))

    def _close(self, event: CloseEvent) -> None:
        conn, t = event.conn, event.t
        code = event.code
        if code == 1005 and event.clean:  # a close frame without a status code: valid
            meaning = "no status code (empty close)"
        else:
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

    def _tls(self, ev: TlsEvent) -> None:
        """One line: version, cipher, ALPN; then the certificate (peer text: escaped)."""
        mark = ("TLS ", "ws.ok") if ev.verified else ("TLS ", "ws.problem")
        line = Text.assemble((f"{clock(ev.t)} ", "ws.dim"), (ev.conn, "bold"), " ", mark)
        alpn = f", ALPN {ev.alpn}" if ev.alpn else ""
        line.append_text(inert_text(f"{ev.version} {ev.cipher}{alpn}", "ws.info"))
        if not ev.verified:
            line.append("; certificate not verified (--insecure)", "ws.problem")
        else:
            sans = ", ".join(ev.sans) or "none"
            cert = f"; cert {ev.subject}, issuer {ev.issuer}, SANs {sans}, expires {ev.not_after}"
            line.append_text(inert_text(cert, "ws.info"))
        self._put(line)

    def _info(self, ev: InfoEvent) -> None:
        self._put(inert_text(ev.text, "ws.info"))

    def _error(self, ev: ErrorEvent) -> None:
        """Errors go to stderr at once, one unwrapped line (scripts read it; never dropped)."""
        text, conn = ev.text, ev.conn
        self.draw()
        behind = self._behind
        if behind is not None and behind.pending <= BEHIND:  # what was drawn comes first (2>&1)
            behind.wait(0.1)  # briefly, and not at all for a terminal that is not reading
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
        TlsEvent: _tls,
        ErrorEvent: _error,
        HttpEvent: _http,
    }
