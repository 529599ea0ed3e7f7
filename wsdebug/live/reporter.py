"""Where live events go: a program (JSON lines) or a person (the rich view in ``ui/``).

The pump calls a :class:`Reporter` synchronously for every event; a reporter must never block
the connection.  :class:`JsonReporter` writes one JSON object per line (documented in
``docs/json-schema.md``); the rich reporter in :mod:`wsdebug.ui.live_view` draws frames and
summarises when they arrive faster than a terminal can draw.

With ``threaded=True`` (the live modes) the JSON reporter only builds each document on the
event loop (payloads left as :class:`~wsdebug.capture.serialize.Blob` s, so that costs no per-payload
work) and appends it to one FIFO queue; a writer thread encodes it in bounded pieces
(:func:`~wsdebug.capture.serialize.iter_json`) and writes them with ``os.write``.  One queue and one
writer keep the order exact, and nothing is dropped: a slow reader of the output makes the
queue grow up to :data:`HARD_LIMIT` bytes (estimated), and only past that does the pump wait.
:meth:`Reporter.drain` lets a pump wait for the queue politely (without blocking the loop)
once it holds more than :data:`SOFT_LIMIT`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import sys
import threading
from typing import IO, Any

from ..capture.frametext import FrameText
from ..capture.serialize import dumps, event_json, iter_json
from ..codec.events import (
    ErrorEvent,
    Event,
    FrameEvent,
    InfoEvent,
    MessageEvent,
    stamp,
)

SOFT_LIMIT = 64 << 20  #: queued output (estimated bytes) past which ``drain()`` waits
HARD_LIMIT = 1 << 30  #: queued output past which emitting blocks until the writer catches up
WRITER_BATCH = 256  #: documents the writer takes from the queue at a time

#: a document to write: its JSON object, or its line already encoded (a common frame)
Doc = dict[str, Any] | str


class Reporter:
    """Receives every event of a live session, in order.  ``emit`` must return quickly.

    The events are the codec's one family (:mod:`wsdebug.codec.events`), stamped with the
    connection id and time.  The methods below ``emit`` build those events for the socket
    code's convenience; a reporter implements ``emit`` only.
    """

    def emit(self, event: Event) -> None: ...

    def close(self) -> None: ...

    async def drain(self, conn: str = "") -> None:
        """Wait (without blocking the loop) while the output is far behind on ``conn``'s events
        (or on everyone's, when very far behind); the pump of ``conn`` calls it."""

    # -- conveniences ---------------------------------------------------------------------------

    def events(self, conn: str, t: float, events: list[Event]) -> None:
        """Codec events, stamped with the connection and the time they were seen."""
        for ev in stamp(events, conn, t):
            self.emit(ev)

    def info(self, text: str) -> None:
        self.emit(InfoEvent(text))

    def error(self, text: str, conn: str | None = None) -> None:
        self.emit(ErrorEvent(text, conn=conn or ""))


class JsonReporter(Reporter):
    """One JSON object per line per event, for programs (``--json``).

    ``max_payload`` caps every payload in the output (``--json-max-payload``; None: no cap).
    ``threaded`` moves encoding and writing to a writer thread (see the module docstring).
    """

    def __init__(
        self, out: IO[str] | None = None, *, max_payload: int | None = None, threaded: bool = False
    ) -> None:
        self.out = out or sys.stdout
        self.max_payload = max_payload
        self.threaded = threaded
        self._lazy = threaded
        self._queue: collections.deque[tuple[Doc, int, str] | None] = collections.deque()
        self._by_conn: collections.Counter[str] = collections.Counter()  #: queued bytes per conn
        self._cond = threading.Condition()
        self._queued = 0  #: estimated bytes waiting in the queue
        self._writing = False  #: the writer holds a document it has not finished writing
        self._thread: threading.Thread | None = None
        self._fd: int | None = None
        self.error_seen: OSError | None = None  #: the write error that stopped the output, if any
        self._frames = FrameText()  #: common frames' lines from a template per header shape
        self._conn_text: dict[str, str] = {}  #: connection ids as JSON

    def _emit(self, items: list[tuple[Doc, int, str]]) -> None:
        """Queue documents for the writer: one lock and one wake-up for all of them."""
        if not self.threaded:
            self._write([obj for obj, _size, _conn in items])
            return
        with self._cond:
            if self._thread is None:
                self._start()
            while (
                self._queued > HARD_LIMIT and self._thread is not None and self._thread.is_alive()
            ):
                self._cond.wait(0.1)  # the last resort against unbounded memory: the loop waits
            self._queue.extend(items)
            by_conn = self._by_conn
            for _obj, size, conn in items:
                self._queued += size
                by_conn[conn] += size
            self._cond.notify_all()

    def events(self, conn: str, t: float, events: list[Event]) -> None:
        """Codec events, stamped, as JSON documents queued together (one read's events)."""
        self._emit([self._item(ev) for ev in stamp(events, conn, t)])

    # -- the writer ------------------------------------------------------------------------------

    def _start(self) -> None:
        # The writer encodes in pieces of about a millisecond; a short switch interval lets the
        # loop thread take the GIL back after one piece rather than after 5 ms.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        with contextlib.suppress(AttributeError, OSError, ValueError):
            self.out.flush()
            self._fd = self.out.fileno()
        self._thread = threading.Thread(target=self._writer, name="wsdebug-json", daemon=True)
        self._thread.start()

    def _write(self, objs: list[Doc]) -> None:
        """The documents as lines, in writes of about a megabyte (one for a batch of small
        ones)."""
        if self.error_seen is not None:
            return
        fd = self._fd
        try:
            if fd is None:  # a Python stream (tests, replay): one write per line
                for obj in objs:
                    line = obj if isinstance(obj, str) else "".join(iter_json(obj))
                    self.out.write(line + "\n")
                    self.out.flush()
                return
            pending = bytearray()
            for obj in objs:
                if isinstance(obj, str):  # a line encoded on the loop (a common frame)
                    pending += obj.encode("utf-8", "surrogatepass")
                    pending += b"\n"
                    continue
                for piece in iter_json(obj):
                    pending += piece.encode("utf-8", "surrogatepass")
                    if len(pending) >= 1 << 20:
                        _write_all(fd, pending)
                        pending.clear()
                pending += b"\n"
            _write_all(fd, pending)
        except OSError as exc:
            if not self.threaded:
                raise
            self.error_seen = exc  # EPIPE: the reader went away; the session goes on without output

    def _writer(self) -> None:
        """Takes what is queued, up to WRITER_BATCH documents at a time, and writes it."""
        queue = self._queue
        while True:
            with self._cond:
                while not queue:
                    self._writing = False
                    self._cond.notify_all()
                    self._cond.wait()
                batch = [queue.popleft() for _ in range(min(len(queue), WRITER_BATCH))]
                self._writing = True
            stop = None in batch
            items = [item for item in batch if item is not None]
            self._write([obj for obj, _size, _conn in items])
            with self._cond:
                by_conn = self._by_conn
                for _obj, size, conn in items:
                    self._queued -= size
                    by_conn[conn] -= size
                    if not by_conn[conn]:
                        del by_conn[conn]
                if stop:
                    self._writing = False
                self._cond.notify_all()
            if stop:
                return

    @property
    def pending(self) -> int:
        """Estimated bytes of output queued and not yet written."""
        return self._queued

    def idle(self) -> bool:
        """True when everything emitted so far has been written."""
        with self._cond:
            return not self._queue and not self._writing

    async def drain(self, conn: str = "") -> None:
        # Per connection: one peer's huge message holds back that peer's reading only, so the
        # others' round trips go on; everyone waits once the whole queue is far behind.
        while (self._by_conn.get(conn, 0) > SOFT_LIMIT or self._queued > HARD_LIMIT // 2) and (
            self._thread is not None and self._thread.is_alive()
        ):
            await asyncio.sleep(0.005)

    def close(self, timeout: float | None = None) -> None:
        """Write what is queued, then stop the writer (``timeout``: give up waiting after it)."""
        thread = self._thread
        if thread is None:
            return
        with self._cond:
            self._queue.append(None)
            self._cond.notify_all()
        thread.join(timeout)
        if not thread.is_alive():
            self._thread = None

    def emit(self, event: Event) -> None:
        self._emit([self._item(event)])

    def _item(self, event: Event) -> tuple[Doc, int, str]:
        """The event's document (or its line, already encoded), the output it is estimated
        to make, its connection."""
        size = 512
        if isinstance(event, FrameEvent):
            rec = event.record
            size += 4 * (rec.frame.payload_len + len(rec.inflated or b""))
            if self._lazy and self.max_payload is None and rec.direction is event.direction:
                text = self._frames.text(rec)  # a common frame: its shape's template, filled
                if text is not None:
                    return self._head("frame", event) + text[1:], size, event.conn
        elif isinstance(event, MessageEvent):
            size += 2 * len(event.message.payload)
            if self._lazy and self.max_payload is None:
                text = self._frames.message(event.message)  # a plain message: one format call
                if text is not None:
                    head = self._head("message", event)
                    return (
                        f'{head}"direction":"{event.direction.value}",{text[1:]}',
                        size,
                        event.conn,
                    )
        return event_json(event, max_payload=self.max_payload, lazy=self._lazy), size, event.conn

    def _head(self, kind: str, event: Event) -> str:
        """``{"event":KIND,"conn":...,"t":...,`` as event_json writes it."""
        conn = self._conn_text.get(event.conn)
        if conn is None:
            if len(self._conn_text) >= 4096:
                self._conn_text.clear()
            conn = self._conn_text[event.conn] = dumps(event.conn)
        t = event.t
        # json writes a finite float as repr() does (the check is False for inf and NaN)
        stamp = repr(t) if type(t) is float and t - t == 0 else dumps(t)
        return f'{{"event":"{kind}","conn":{conn},"t":{stamp},'


def _write_all(fd: int, data: bytes | bytearray) -> None:
    """``os.write`` until all of ``data`` is out (a pipe may take it in parts)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
