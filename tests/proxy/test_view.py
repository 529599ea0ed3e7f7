"""The proxy's terminal view: a passed-through violation names the side that sent it, notes
are drawn, and what a peer sent is shown inert."""

from __future__ import annotations

import io

from wsdebug.codec.events import FrameEvent, NoteEvent
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.rules import Rule
from wsdebug.codec.spec import Direction, Role
from wsdebug.codec.stream import StreamDecoder
from wsdebug.ui.output import stdout_console
from wsdebug.ui.proxy_view import ProxyReporter


def _draw(*events: object, width: int = 100) -> str:
    out = io.StringIO()
    console = stdout_console(plain=True, file=out)
    console.width = width
    rep = ProxyReporter(console, "summary", plain=True)
    for ev in events:
        rep.emit(ev)  # type: ignore[arg-type]
    rep.close()
    return out.getvalue()


def test_a_violation_names_its_sender_and_stays_inert() -> None:
    dec = StreamDecoder(Role.SERVER)
    (rec,) = dec.receive_data(encode_frame(1, b"\x1b[2Jhi", mask=True))
    assert [p.rule for p in rec.problems] == [Rule.MASKED_SERVER_FRAME]
    text = _draw(FrameEvent(rec, Direction.S2C, 1, conn="p3", t=1.0))
    assert "p3 sent by the server" in text and "server-to-client frame is masked" in text
    assert "\x1b" not in text and "\\x1b[2J" in text


def test_notes_are_drawn_with_their_direction() -> None:
    text = _draw(NoteEvent("cut \x1b]0;x\x07 short", Direction.C2S, conn="p1", t=1.0))
    assert "p1 → cut" in text and "\x1b" not in text and "\x07" not in text
