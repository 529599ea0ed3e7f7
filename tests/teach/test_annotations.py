"""The classroom's annotation socket, driven by the ``websockets`` library (no browser needed).

A student is two sockets: the lesson (``/lesson?student=T&name=N``) and the annotations
(``/classroom/annotations?student=T``).  The annotations are JSON of the lesson's events only,
never shown to the teacher, never reached by ``/all``; a hostile name stays inert.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import websockets

from wsdebug.codec.events import Event, FrameEvent, InfoEvent
from wsdebug.live.classroom import Classroom, page
from wsdebug.live.listener import Listener, ListenOptions
from wsdebug.live.reporter import Reporter


class Teacher(Reporter):
    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)


async def _next_event(notes: Any, kind: str) -> dict[str, Any]:
    while True:
        doc = json.loads(await asyncio.wait_for(notes.recv(), 10))
        if doc["type"] == "event" and doc["event"]["event"] == kind:
            return doc


async def _session() -> None:
    teacher = Teacher()
    listener = Listener(ListenOptions(port=0, classroom=Classroom()), teacher)
    await listener.start()
    host, port = listener.address
    base = f"ws://{host}:{port}"
    evil = "\x1b[31mEve\u202e"
    try:
        async with websockets.connect(f"{base}/classroom/annotations?student=t1") as notes:
            hello = json.loads(await asyncio.wait_for(notes.recv(), 10))
            assert hello == {"type": "hello", "student": "t1", "conn": None}
            url = f"{base}/lesson?student=t1&name={quote(evil)}"
            async with websockets.connect(url, compression=None) as lesson:
                hs = await _next_event(notes, "handshake")
                key = hs["event"]["request"]["headers"]
                sent_key = next(h["value"] for h in key if h["name"] == "Sec-WebSocket-Key")
                assert hs["annotation"]["accept"]["key"] == sent_key
                await lesson.send("厉害了")
                doc = await _next_event(notes, "frame")
                ev, a = doc["event"], doc["annotation"]
                assert ev["direction"] == "c2s" and ev["opcode"] == 1 and ev["text"] == "厉害了"
                assert a["byte0_bits"] == "10000001" and a["byte1_bits"] == "10001001"
                key_bytes = bytes.fromhex(ev["mask_key"])
                payload = "厉害了".encode()
                assert a["xor"][0] == [
                    0,
                    f"{payload[0] ^ key_bytes[0]:02x}",
                    f"{key_bytes[0]:02x}",
                    "e5",
                ]
                assert [g[1] for g in a["utf8"]] == ["厉", "害", "了"]
                # the teacher's /all reaches the lesson only; the annotation socket sees it as
                # an s2c frame of the lesson, never as a message of its own
                for live in listener.open_connections():
                    live.send("text", "to everyone")
                assert await asyncio.wait_for(lesson.recv(), 10) == "to everyone"
                doc = await _next_event(notes, "frame")
                assert doc["event"]["direction"] == "s2c" and doc["event"]["text"] == "to everyone"
                # the page asks for a ping: the lesson gets it (websockets answers with a pong)
                await notes.send(json.dumps({"type": "send", "what": "ping"}))
                doc = await _next_event(notes, "frame")
                assert doc["event"]["opcode"] == 9 and doc["event"]["direction"] == "s2c"
                doc = await _next_event(notes, "frame")
                assert doc["event"]["opcode"] == 10 and doc["event"]["direction"] == "c2s"
            doc = await _next_event(notes, "close")
            assert doc["event"]["code"] == 1000
        assert len(listener.connections) <= 1
        conns = {e.conn for e in teacher.events if e.conn}
        assert len(conns) == 1  # the teacher never saw the annotation socket
        lesson_frames = [e for e in teacher.events if isinstance(e, FrameEvent)]
        assert all(e.conn in conns for e in lesson_frames)
        infos = [e.text for e in teacher.events if isinstance(e, InfoEvent)]
        assert any("is student" in t for t in infos)
        assert not any("\x1b" in t or "\u202e" in t for t in infos)
        assert any("\\x1b[31mEve\\u202e" in t for t in infos)
    finally:
        await listener.stop()


def test_annotation_socket() -> None:
    asyncio.run(asyncio.wait_for(_session(), 60))


def test_page_language() -> None:
    assert b'data-lang="zh"' in page("zh")
    assert b'data-lang=""' in page(None)


def test_backlog_is_bounded() -> None:
    """Lesson sockets whose annotation socket never opens keep a bounded backlog each, for a
    bounded number of students, and nothing once they end."""
    from wsdebug.codec.events import DisconnectEvent, HandshakeEvent, InfoEvent
    from wsdebug.codec.handshake import parse_request
    from wsdebug.live import classroom as cr

    room = Classroom()
    room.wrap(Teacher())
    for i in range(cr.BACKLOG_STUDENTS * 3):
        req = parse_request(f"GET /lesson?student=s{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        room.emit(HandshakeEvent(req, None, [], True, conn=f"c{i}", t=0.0))
        for _ in range(cr.BACKLOG * 2):
            room.emit(InfoEvent("x", conn=f"c{i}", t=0.0))
    assert len(room._backlog) == cr.BACKLOG_STUDENTS
    assert all(len(b) == cr.BACKLOG for b in room._backlog.values())
    for i in range(cr.BACKLOG_STUDENTS * 3):
        room.emit(DisconnectEvent("gone", conn=f"c{i}", t=0.0))
    assert not room._backlog and not room._count and not room._student
