"""``wsdebug replay`` without a screen: open, select, filter, and the JSON event stream.

The JSON events are the live modes' own (:class:`~wsdebug.live.reporter.JsonReporter` writes
them): ``connect``, ``handshake``, ``frame``, ``message``, ``close``, ``disconnect``, plus
``note`` for what a capture can hold and a live socket cannot (a TCP gap, a stream cut inside
a frame, bytes after a refused handshake).  Directions are ``c2s``/``s2c`` as recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from ..codec.events import CloseEvent, MessageEvent
from ..codec.events import FrameEvent as CodecFrameEvent
from ..codec.handshake import Request, Response, accept_key
from ..export import dumps, problem_json
from ..inputcap import DEFAULT_REPLAY_MAX
from ..live.reporter import JsonReporter, Reporter
from .format import C2S, CaptureError
from .importers import Capture, load, load_file
from .session import Conversation, Event, HeadEvent, NoteEvent, ReplayFrame

Visible = Callable[[Event], bool]


def open_capture(
    path: str, *, deflate: bool | None = None, max_input: int = DEFAULT_REPLAY_MAX
) -> tuple[Capture, list[Conversation]]:
    """Load ``path`` and rebuild its conversations; CaptureError when unreadable.

    A capture whose last line was cut short loads: ``capture.cut`` says so.  ``path`` "-" is
    standard input (read whole, at most ``max_input`` bytes).
    """
    if path == "-":
        import sys

        try:
            capture = load_file(sys.stdin.buffer, "standard input", max_input=max_input)
        except OSError as exc:
            raise CaptureError(f"cannot read standard input: {exc.strerror or exc}") from None
    else:
        capture = load(path, max_input=max_input)
    return capture, capture.conversations(deflate=deflate)


def select(convs: list[Conversation], conn: str | None, name: str) -> list[Conversation]:
    """The conversation called ``conn`` (or numbered ``conn`` from 1), or all of them."""
    if conn is None:
        return convs
    for conv in convs:
        if conv.id == conn:
            return [conv]
    if conn.isdigit() and 1 <= int(conn) <= len(convs):
        return [convs[int(conn) - 1]]
    ids = ", ".join(c.id for c in convs)
    raise CaptureError(
        f"{name}: no conversation {conn!r} (there {'is' if len(convs) == 1 else 'are'}: {ids})"
    )


def make_filter(direction: str | None, opcode: int | None) -> Visible | None:
    if direction is None and opcode is None:
        return None

    def visible(ev: Event) -> bool:
        if direction is not None and ev.direction != direction:
            return False
        return opcode is None or (
            isinstance(ev, ReplayFrame) and ev.record.frame.opcode_raw == opcode
        )

    return visible


def status(convs: list[Conversation]) -> int:
    """Exit status: 1 when any conversation has a problem, else 0."""
    return 1 if any(c.problem_count for c in convs) else 0


def _ours(direction: str, role: str) -> str:
    """``out`` for what the recording endpoint (``role``) sent, ``in`` for what it received."""
    return "out" if (direction == C2S) == (role == "client") else "in"


def emit_json(
    convs: list[Conversation], out: IO[str], *, visible: Visible | None = None, kind: str = ""
) -> None:
    """Write every conversation's events as JSON lines, the live modes' schema."""
    reporter = JsonReporter(out)

    def note(conv: Conversation, ev: NoteEvent) -> None:
        obj = {
            "event": "note",
            "conn": conv.id,
            "t": ev.t,
            "direction": ev.direction or None,
            "message": ev.text,
            "problem": ev.is_problem,
            "problems": [problem_json(p) for p in ev.problems],
        }
        out.write(dumps(obj) + "\n")

    for conv in convs:
        role = conv.role
        reporter.connected(conv.id, conv.server or "", conv.t0)
        for text in conv.notes:
            note(conv, NoteEvent("", conv.t0, f"{kind}: {text}" if kind else text))
        heads = [e for e in conv.events if isinstance(e, HeadEvent)]
        t = conv.t0
        for ev in conv.events:
            t = ev.t
            if visible is not None and not visible(ev):
                continue
            if isinstance(ev, HeadEvent):
                if ev is heads[-1]:
                    _handshake(reporter, conv, heads)
            elif isinstance(ev, ReplayFrame):
                d = _ours(ev.direction, role)
                reporter.event(conv.id, ev.t, role, CodecFrameEvent(ev.record, d))
                if ev.record.message is not None:
                    reporter.event(conv.id, ev.t, role, MessageEvent(ev.record.message, d))
            else:
                note(conv, ev)
        c = conv.close_summary()
        initiator = (
            "transport" if c.initiator == "transport" else ("us" if c.initiator == role else "peer")
        )
        reporter.event(conv.id, t, role, CloseEvent(c.code, c.reason, initiator, c.clean))
        reporter.disconnected(conv.id, t, conv.end_reason or "end of capture")
    out.flush()


def _handshake(reporter: Reporter, conv: Conversation, heads: list[HeadEvent]) -> None:
    request = next((h.head for h in heads if isinstance(h.head, Request)), None)
    response = next((h.head for h in heads if isinstance(h.head, Response)), None)
    problems = [p for h in heads for p in h.problems]
    key = request.key if request is not None else None
    reporter.handshake(
        conv.id,
        heads[-1].t,
        conv.role,
        request,
        response,
        problems,
        accept_expected=accept_key(key) if key else None,
        subprotocol=response.subprotocol if response is not None else None,
        extensions=response.extensions if response is not None else None,
    )
