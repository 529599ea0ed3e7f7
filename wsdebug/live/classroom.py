"""``wsdebug listen --classroom``: students see their own frames, annotated, in their browser.

A browser that GETs ``/`` gets :file:`classroom.html`.  The page picks a random student token
and opens two WebSockets back to the listener:

- the **lesson** socket, ``/lesson?student=TOKEN&name=NAME``: ordinary traffic, shown on the
  teacher's terminal like any connection (``/to ID``, ``/all``, ``/raw`` reach it);
- the **annotation** socket, :data:`ANNOTATIONS_PATH` ``?student=TOKEN``: the listener sends
  one JSON text message per event of that student's lesson connection (the event as
  ``capture.serialize.event_json`` writes it, fields included, plus an ``annotation`` object
  with the §5.2 header bits, the XOR rows, the UTF-8 groups and the Accept computation).  It
  is never shown on the teacher's terminal and never gets ``/all`` traffic, so the two
  channels cannot be confused.  docs/classroom.md documents the messages.

A browser cannot send a ping or a fragmented message itself, so those buttons send a request
on the annotation socket (``{"type": "send", "what": "ping"}``) and the listener sends the
frame to the student's lesson connection: the browser's automatic pong, or the fragments,
then show up on both screens.

The listener hooks in three places (``ListenOptions.classroom``): its reporter is wrapped by
:meth:`Classroom.wrap`; :meth:`Classroom.page` answers a plain GET; :meth:`Classroom.claim`
sees every accepted connection and keeps the annotation sockets out of the lesson.
"""

from __future__ import annotations

import collections
import json
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..capture.charsafety import terminal_safe
from ..capture.serialize import dumps, event_json
from ..codec.accept import accept_steps
from ..codec.events import (
    ConnectEvent,
    DisconnectEvent,
    Event,
    FrameEvent,
    HandshakeEvent,
    InfoEvent,
    MessageEvent,
)
from ..codec.frames import encode_header
from .endpoint import LiveConnection
from .reporter import Reporter

ANNOTATIONS_PATH = "/classroom/annotations"
LESSON_PATH = "/lesson"
#: payload bytes of each value sent to the page (a frame's hex, text): the page is for reading
MAX_PAYLOAD = 4096
#: XOR rows and UTF-8 characters sent per frame
XOR_ROWS = 16
UTF8_CHARS = 24
#: events kept for a student whose annotation socket is not open yet (the page opens it
#: first, so this is a margin), for at most BACKLOG_STUDENTS students at once
BACKLOG = 32
BACKLOG_STUDENTS = 64
#: annotated events per student; past it one note says the rest are not annotated
MAX_ANNOTATED = 5000
NAME_MAX = 40


def page(lang: str | None = None) -> bytes:
    """The classroom page; ``lang`` (en or zh) fixes its language, else the browser's."""
    html = resources.files("wsdebug.live").joinpath("classroom.html").read_bytes()
    if lang:
        html = html.replace(b'data-lang=""', b'data-lang="' + lang.encode("ascii") + b'"', 1)
    return html


def _query(target: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(target)
    q = parse_qs(parts.query, max_num_fields=8)
    return parts.path, {k: v[0] for k, v in q.items() if v}


def frame_annotation(ev: FrameEvent) -> dict[str, Any]:
    """What the page draws for a frame beyond its fields: header bits, XOR rows, UTF-8 groups."""
    f = ev.record.frame
    head = encode_header(f)
    out: dict[str, Any] = {
        "header_hex": head.hex(),
        "byte0_bits": format(head[0], "08b"),
        "byte1_bits": format(head[1], "08b"),
        "length_case": {7: "7-bit", 16: "16-bit", 64: "64-bit"}[f.length_form],
    }
    if f.mask_key is not None and f.payload_len:
        n = min(f.payload_len, XOR_ROWS)
        masked = f.masked_payload[:n]
        key = f.mask_key
        out["xor"] = [
            [i, f"{masked[i]:02x}", f"{key[i % 4]:02x}", f"{f.payload[i]:02x}"] for i in range(n)
        ]
        out["xor_more"] = f.payload_len - n
    data = f.payload
    if ev.record.inflated is not None:  # permessage-deflate: the text is in the inflated bytes
        data = ev.record.inflated
        out["inflated"] = True
    if f.opcode_raw in (0x0, 0x1) and data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            out["utf8"] = None  # a fragment that splits a character, or invalid UTF-8
        else:
            groups, pos = [], 0
            for ch in text[:UTF8_CHARS]:
                size = len(ch.encode("utf-8"))
                groups.append([data[pos : pos + size].hex(" "), ch, f"U+{ord(ch):04X}"])
                pos += size
            out["utf8"] = groups
            out["utf8_more"] = max(0, len(text) - UTF8_CHARS)
    return out


def handshake_annotation(ev: HandshakeEvent) -> dict[str, Any]:
    key = ev.request.key if ev.request is not None else None
    if not key:
        return {}
    s = accept_steps(key)
    return {
        "accept": {
            "key": s.key,
            "concatenated": s.concatenated,
            "sha1_hex": s.sha1_hex,
            "accept": s.accept,
        }
    }


class Classroom:
    """The classroom's state: students by token, their lesson and annotation connections."""

    def __init__(self, lang: str | None = None) -> None:
        self.lang = lang
        self.inner: Reporter = Reporter()
        self.names: dict[str, str] = {}  #: lesson connection id -> the name the student gave
        self._student: dict[str, str] = {}  #: lesson connection id -> token
        self._lessons: dict[str, LiveConnection] = {}  #: token -> lesson connection
        self._subs: dict[str, list[LiveConnection]] = {}  #: token -> annotation sockets
        self._annotation_ids: set[str] = set()
        self._held: dict[str, ConnectEvent] = {}
        self._backlog: dict[str, collections.deque[str]] = {}
        self._count: collections.Counter[str] = collections.Counter()
        self._token_of_annotation: dict[str, str] = {}

    # -- the listener's hooks --------------------------------------------------------------------

    def wrap(self, reporter: Reporter) -> Reporter:
        self.inner = reporter
        return _ClassroomReporter(self)

    def page(self) -> bytes:
        return page(self.lang)

    def claim(self, live: LiveConnection) -> bool:
        """Called for every accepted connection: True for an annotation socket (the listener
        then only pumps it), False for a lesson connection (registered here)."""
        if live.id in self._annotation_ids:
            token = self._token_of_annotation.pop(live.id, "")
            self._subs.setdefault(token, []).append(live)
            hello = {"type": "hello", "student": token, "conn": self._conn_of(token)}
            live.send("text", json.dumps(hello))
            for doc in self._backlog.pop(token, ()):
                live.send("text", doc)
            return True
        student = self._student.get(live.id)
        if student:
            self._lessons[student] = live
        return False

    # -- events ----------------------------------------------------------------------------------

    def _conn_of(self, token: str) -> str | None:
        live = self._lessons.get(token)
        return live.id if live is not None else None

    def emit(self, ev: Event) -> None:
        conn = ev.conn
        if conn in self._annotation_ids:
            self._from_page(conn, ev)
            return
        if isinstance(ev, ConnectEvent) and conn:
            self._held[conn] = ev  # until the handshake says which socket this is
            return
        if isinstance(ev, HandshakeEvent) and ev.request is not None and not ev.pending:
            path, query = _query(ev.request.target)
            if path == ANNOTATIONS_PATH and ev.accepted:
                self._held.pop(conn, None)
                self._annotation_ids.add(conn)
                self._token_of_annotation[conn] = query.get("student", "")[:64]
                return
            self._release(conn)
            token = query.get("student", "")[:64]
            if token:
                self._student[conn] = token
                name = query.get("name", "")[:NAME_MAX]
                if name:
                    self.names[conn] = name
                self.inner.emit(ev)
                who = (
                    f"{conn} is student '{terminal_safe(name)}'" if name else f"{conn} is a student"
                )
                self.inner.emit(InfoEvent(who + " (classroom page)", conn=conn, t=ev.t))
                self._publish(token, ev)
                return
        self._release(conn)
        self.inner.emit(ev)
        student = self._student.get(conn)
        if student:
            self._publish(student, ev)
            if isinstance(ev, DisconnectEvent):
                self._student.pop(conn, None)
                self.names.pop(conn, None)
                lesson = self._lessons.get(student)
                if lesson is not None and lesson.id == conn:
                    del self._lessons[student]
                self._forget(student)

    def _forget(self, token: str) -> None:
        """Drop what is kept for ``token`` once neither of its sockets is left."""
        if token in self._lessons or self._subs.get(token) or token in self._student.values():
            return
        self._subs.pop(token, None)
        self._backlog.pop(token, None)
        self._count.pop(token, None)

    def _release(self, conn: str) -> None:
        held = self._held.pop(conn, None)
        if held is not None:
            self.inner.emit(held)

    def _publish(self, token: str, ev: Event) -> None:
        n = self._count[token] = self._count[token] + 1
        if n > MAX_ANNOTATED:
            if n == MAX_ANNOTATED + 1:
                self._send(token, dumps({"type": "note", "text": "annotation limit reached"}))
            return
        doc: dict[str, Any] = {
            "type": "event",
            "event": event_json(ev, max_payload=MAX_PAYLOAD),
        }
        if isinstance(ev, FrameEvent):
            doc["annotation"] = frame_annotation(ev)
        elif isinstance(ev, HandshakeEvent):
            doc["annotation"] = handshake_annotation(ev)
        self._send(token, dumps(doc))

    def _send(self, token: str, text: str) -> None:
        subs = [s for s in self._subs.get(token, ()) if s.open]
        if not subs:
            backlog = self._backlog.get(token)
            if backlog is None:
                if len(self._backlog) >= BACKLOG_STUDENTS:  # the oldest goes
                    del self._backlog[next(iter(self._backlog))]
                backlog = self._backlog[token] = collections.deque(maxlen=BACKLOG)
            backlog.append(text)
            return
        for sub in subs:
            sub.send("text", text)

    def _from_page(self, conn: str, ev: Event) -> None:
        """A request on an annotation socket: send a ping or a fragmented message."""
        if isinstance(ev, DisconnectEvent):
            self._annotation_ids.discard(conn)
            for token, subs in list(self._subs.items()):
                subs[:] = [s for s in subs if s.id != conn]
                self._forget(token)
            return
        if not isinstance(ev, MessageEvent) or ev.message.text is None:
            return
        try:
            req = json.loads(ev.message.text)
        except ValueError:
            return
        token = next((t for t, subs in self._subs.items() if any(s.id == conn for s in subs)), "")
        lesson = self._lessons.get(token)
        if not isinstance(req, dict) or lesson is None or not lesson.open:
            return
        what = req.get("what")
        if what == "ping":
            lesson.send("ping", b"classroom ping")
        elif what == "frag":
            lesson.send("frag", 3, "one message, three fragments")


class _ClassroomReporter(Reporter):
    """The listener's reporter in classroom mode: :meth:`Classroom.emit`, then the teacher's."""

    def __init__(self, room: Classroom) -> None:
        self.room = room

    def emit(self, event: Event) -> None:
        self.room.emit(event)

    def close(self) -> None:
        self.room.inner.close()

    async def drain(self, *args: Any, **kwargs: Any) -> None:
        await self.room.inner.drain(*args, **kwargs)  # whatever the reporter's drain takes

    def __getattr__(self, name: str) -> Any:
        return getattr(self.room.inner, name)
