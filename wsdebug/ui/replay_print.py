"""A streamed replay printed: each conversation's events shown as they are decoded.

:func:`print_stream` is :func:`~wsdebug.ui.replay.print_session` for the
``(conversation, events)`` pairs of :mod:`wsdebug.capture.streaming`: nothing is kept but a
conversation's first :data:`~wsdebug.ui.rows.COLOUR_MAX` frames (read ahead to see whether it
is short) and, at ``-d bytes``, its last few frames.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from rich.console import Console, RenderableType
from rich.text import Text

from ..capture.session import Conversation, Event, ReplayFrame
from .replay import (
    _FrameRows,
    _style,
    close_line,
    conversation_header,
    event_view,
    print_session,
)
from .rows import Glyphs, message_row, plain_sink, problem_rows, summary_rows_for, wrap
from .safe import inert_text

#: Payload bytes of a conversation read ahead at most, to see whether it is short.
READ_AHEAD = 8 << 20


def print_stream(
    console: Console,
    convs: Iterable[tuple[Conversation, Iterable[Event]]],
    kind: str,
    *,
    detail: str = "bytes",
    plain: bool = False,
    file_notes: Iterable[str] = (),
    visible: Any = None,
    hint: str = "replay on a terminal steps through them (g N shows frame N)",
    end_notes: Iterable[str] = (),
) -> None:
    """:func:`print_session` for a streamed replay: ``(conversation, events)`` pairs whose
    events are shown as they come and not kept.

    A conversation that ends within :data:`~wsdebug.ui.rows.COLOUR_MAX` frames (and
    :data:`READ_AHEAD` bytes of payload) is read ahead
    and printed exactly as :func:`print_session` prints it; a longer one goes out as plain rows
    while it is decoded (its frames counted at its end), and at ``bytes`` its first and last
    frames are drawn in full, the last ones held back until the conversation ends."""
    from .output import FULL_EACH_END
    from .rows import COLOUR_MAX

    g = Glyphs.for_console(console, plain)
    writer = plain_sink(console, COLOUR_MAX + 1)
    rows = _FrameRows(console, writer, plain) if writer is not None else None

    def show(renderable: RenderableType) -> None:
        if writer is not None:
            writer.flush()
        console.print(renderable)

    for note in file_notes:
        show(inert_text(note, _style(plain, "ws.dim"), escape_style=None))
    for i, (conv, events) in enumerate(convs):
        if i:
            show(Text())
        it = iter(events)
        ahead: list[Event] = []
        frames = size = 0
        for ev in it:
            ahead.append(ev)
            if type(ev) is ReplayFrame:
                frames += 1
                size += ev.record.frame.payload_len
                if frames > COLOUR_MAX or size > READ_AHEAD:
                    break
        else:  # the whole conversation is in: printed as print_session prints it
            conv.streamed, conv.events = False, ahead
            print_session(
                console, [conv], kind, detail=detail, plain=plain, visible=visible, hint=hint
            )
            continue
        show(conversation_header(conv, kind, plain=plain))
        show(Text())
        if rows is not None and detail == "fields":
            rows._table(conv, ahead)
        out = _Out(console, conv, writer, rows, plain)
        shown: Iterator[Event] = itertools.chain(ahead, it)  # ``ahead`` is bounded
        if visible is not None:
            shown = filter(visible, shown)
        if detail == "summary" and rows is not None and writer is not None:
            _summary_rows(conv, shown, rows.g, writer, out)
        elif detail != "bytes":
            for ev in shown:
                out(ev, detail)
        else:
            _bytes_stream(out, shown, FULL_EACH_END, hint, g)
        show(close_line(conv, plain=plain))
    for note in end_notes:  # a list filled while the conversations were read
        show(inert_text(note, _style(plain, "ws.dim"), escape_style=None))
    if writer is not None:
        writer.flush()


def _summary_rows(
    conv: Conversation, events: Iterator[Event], g: Glyphs, writer: Any, out: _Out
) -> None:
    """``-d summary`` as plain rows: :meth:`_FrameRows.frame` inline, the rows handed to the
    writer a few thousand at a time."""
    timed = bool(conv.t0)  # hex dumps carry no times
    row = summary_rows_for(g)
    pending: list[str] = []
    add = pending.append
    for ev in events:
        if type(ev) is ReplayFrame:
            rec = ev.record
            add(row(rec, ev.number, ev.t if timed else None))
            if rec.problems:
                for p in rec.problems:
                    pending.extend(problem_rows(p, rec.frame.offset, g))
            msg = rec.message
            if msg is not None and (msg.frames > 1 or msg.compressed):
                add(message_row(msg, rec.direction, g))
            if len(pending) >= 4096:
                writer.extend(pending)
                pending = []
                add = pending.append
        else:
            writer.extend(pending)
            pending = []
            add = pending.append
            out(ev, "summary")
    writer.extend(pending)


class _Out:
    """One event printed at a level, as :func:`_print_events` prints it."""

    def __init__(
        self, console: Console, conv: Conversation, sink: Any, rows: _FrameRows | None, plain: bool
    ) -> None:
        self.console, self.conv, self.sink, self.rows, self.plain = console, conv, sink, rows, plain

    def __call__(self, ev: Event, level: str) -> None:
        sink, rows = self.sink, self.rows
        if rows is not None and type(ev) is ReplayFrame and level != "bytes":
            rows.frame(self.conv, ev, level)
        else:
            if sink is not None:
                sink.flush()
            self.console.print(event_view(self.conv, ev, level, plain=self.plain))
        if level != "summary":
            self.blank()

    def blank(self) -> None:
        if self.sink is not None:
            self.sink.add("")
        else:
            self.console.print()


def _bytes_stream(out: _Out, events: Iterator[Event], ends: int, hint: str, g: Glyphs) -> None:
    """``-d bytes`` of a long streamed conversation: the first and last ``ends`` frames in
    full, summary lines between; the last ones are held back (with what came between them)
    until the end shows which they are."""
    from collections import deque

    pos = 0
    tail: deque[Event] = deque()
    held = 0  # frames in tail
    noted = False
    for ev in events:
        is_frame = type(ev) is ReplayFrame
        if pos < ends:
            pos += is_frame
            out(ev, "bytes")
            continue
        tail.append(ev)
        held += is_frame
        while held > ends:
            old = tail.popleft()
            if type(old) is ReplayFrame:
                held -= 1
                if not noted:
                    note = (
                        f"frames from {ends + 1:,} to the last {ends} drawn as summary lines; "
                        + hint
                    )
                    if out.sink is not None:
                        out.sink.extend(wrap(note, g.width))
                    else:
                        out.console.print(Text(note, _style(out.plain, "ws.dim")))
                    noted = True
                out(old, "summary")
            else:
                out(old, "bytes")
    if noted:
        out.blank()
    while tail:
        out(tail.popleft(), "bytes")
