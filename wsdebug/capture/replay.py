"""``wsdebug replay`` without a screen: open, select, filter, and the JSON event stream.

The JSON events are the live modes' own (one serializer, :func:`~wsdebug.capture.serialize.event_json`): ``connect``, ``handshake``, ``frame``, ``message``, ``close``, ``disconnect``, plus
``note`` for what a capture can hold and a live socket cannot (a TCP gap, a stream cut inside
a frame, bytes after a refused handshake).  Directions are ``c2s``/``s2c`` as recorded.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from ..codec.deflate import DeflateParams
from ..codec.events import (
    ConnectEvent,
    DisconnectEvent,
    Event,
    FrameEvent,
    HandshakeEvent,
    HeadEvent,
    MessageEvent,
    NoteEvent,
    direction_of,
)
from ..codec.handshake import Request, Response, accept_key
from ..codec.spec import Direction, Role
from .format import CaptureError
from .importers import Capture, load, load_file
from .inputcap import DEFAULT_REPLAY_MAX
from .serialize import dumps, event_json
from .session import Conversation
from .tls import KeyLog

Visible = Callable[[Event], bool]


def open_capture(
    path: str,
    *,
    deflate: bool | DeflateParams | None = None,
    max_input: int = DEFAULT_REPLAY_MAX,
    server_port: int | None = None,
    keylog: KeyLog | None = None,
    lazy: bool = False,
) -> tuple[Capture, list[Conversation]]:
    """Load ``path`` and rebuild its conversations; CaptureError when unreadable.

    ``lazy``: the conversations' events are decoded on demand from checkpoints
    (:mod:`wsdebug.capture.lazy`, for the stepper), not all kept.

    ``deflate`` overrides the handshake (parameters, on, off); ``server_port`` names the server
    of a pcap conversation captured without its handshake.

    A capture whose last line was cut short loads: ``capture.cut`` says so.  ``path`` "-" is
    standard input (read whole, at most ``max_input`` bytes).
    """
    if path == "-":
        import sys

        try:
            capture = load_file(
                sys.stdin.buffer,
                "standard input",
                max_input=max_input,
                server_port=server_port,
                keylog=keylog,
            )
        except OSError as exc:
            raise CaptureError(f"cannot read standard input: {exc.strerror or exc}") from None
    else:
        capture = load(  # lazy: a pcap's chunks stay in the file (capture.filechunks)
            path, max_input=max_input, server_port=server_port, keylog=keylog, refs=lazy
        )
    if lazy:
        from .lazy import lazy_conversations

        convs = lazy_conversations(
            capture.connections, deflate=deflate, notes=capture.notes, gaps=capture.gaps
        )
        return capture, convs
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
        if direction is not None and direction_of(ev) != direction:
            return False
        return opcode is None or (
            isinstance(ev, FrameEvent) and ev.record.frame.opcode_raw == opcode
        )

    return visible


def status(convs: list[Conversation]) -> int:
    """Exit status: 1 when any conversation has a problem, else 0."""
    return 1 if any(c.problem_count for c in convs) else 0


def conversation_events(
    conv: Conversation,
    events: Iterable[Event] | None = None,
    *,
    visible: Visible | None = None,
    kind: str = "",
) -> Iterator[Event]:
    """Every event of ``conv`` in order, as a live session reports them: the connection, notes
    about the source, the handshake (once both heads are in), frames each followed by the
    message it completes, the close and the end of the connection.

    ``events`` are the conversation's events as they are decoded (a streamed replay's
    iterator); by default the ones ``conv`` keeps.  They are read once, in order."""
    it = iter(conv.events if events is None else events)
    first = next(it, None)  # decoding the first chunk gives conv.t0 (and the url)
    yield ConnectEvent(
        conv.server or "", conv.client or "", Role(conv.role), conv.url, conn=conv.id, t=conv.t0
    )
    for text in conv.notes:
        yield NoteEvent(f"{kind}: {text}" if kind else text, conn=conv.id, t=conv.t0)
    heads: list[HeadEvent] = []
    pending = False  # a head is in whose handshake event has not gone out
    t = conv.t0
    for ev in itertools.chain((first,), it) if first is not None else ():
        t = ev.t
        if isinstance(ev, HeadEvent):
            heads.append(ev)  # the handshake event holds both heads, whatever the filter
            shown = visible is None or visible(ev)
            if ev.direction == Direction.S2C or len(heads) == 2:
                pending = False
                if shown:
                    yield _handshake(conv, heads)
            else:
                pending = shown
            continue
        if visible is not None and not visible(ev):
            continue
        if pending:  # a request whose response never came: its handshake before what follows
            pending = False
            yield _handshake(conv, heads)
        yield ev
        if type(ev) is FrameEvent and ev.record.message is not None:
            yield MessageEvent(ev.record.message, ev.direction, conn=conv.id, t=ev.t)
    if pending:
        yield _handshake(conv, heads)
    close = conv.close_summary()
    close.t = t
    yield close
    yield DisconnectEvent(conv.end_reason or "end of capture", conn=conv.id, t=t)


def emit_json(
    convs: Iterable[Conversation | tuple[Conversation, Iterable[Event]]],
    out: IO[str],
    *,
    visible: Visible | None = None,
    kind: str = "",
) -> None:
    """Write every conversation's events as JSON lines, the live modes' schema.

    ``convs`` are conversations, or (conversation, events) pairs of a streamed replay;
    lines go out in blocks of about 64 KiB."""
    write = out.write
    buf: list[str] = []
    size = 0
    for item in convs:
        conv, events = item if isinstance(item, tuple) else (item, None)
        for ev in conversation_events(conv, events, visible=visible, kind=kind):
            line = dumps(event_json(ev))
            buf.append(line)
            size += len(line)
            if size >= 1 << 16:
                buf.append("")
                write("\n".join(buf))
                buf.clear()
                size = 0
    if buf:
        buf.append("")
        write("\n".join(buf))
    out.flush()


def _handshake(conv: Conversation, heads: list[HeadEvent]) -> HandshakeEvent:
    request = next((h.head for h in heads if isinstance(h.head, Request)), None)
    response = next((h.head for h in heads if isinstance(h.head, Response)), None)
    problems = [p for h in heads for p in h.problems]
    key = request.key if request is not None else None
    return HandshakeEvent(
        request,
        response,
        problems,
        response is not None and response.status == 101 and not problems,
        status=None if response is None else response.status,
        subprotocol=response.subprotocol if response is not None else None,
        extensions=response.extensions if response is not None else None,
        accept_expected=accept_key(key) if key else None,
        role=Role(conv.role),
        conn=conv.id,
        t=heads[-1].t,
    )
