"""``decode`` of many frames drawn as they are decoded: summary rows streamed, never all held.

:func:`print_stream` takes a :class:`~wsdebug.capture.offline.DecodeStream`.  At ``--detail
summary``, once more than :data:`~wsdebug.ui.rows.COLOUR_MAX` frames have come (or at once
without colour), each batch of records becomes plain rows (:func:`~wsdebug.ui.rows.summary_row`,
the same characters rich would draw) written in large blocks, and the records are dropped, so
memory does not grow with the number of frames.  ``--detail bytes`` of as many frames draws the
first and last three in full and keeps only the rows between (strings) until the end.
Everything else (a few frames in colour, an SVG/HTML export, ``--detail fields`` whose columns
fit every frame, one ``--frame``) collects the records and draws them with
:func:`~wsdebug.ui.output.print_decoded`.
"""

from __future__ import annotations

from collections import deque
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from ..capture.offline import Decoded, DecodeStream
from ..codec.stream import FrameRecord
from .output import (
    FULL_EACH_END,
    full_frame,
    out_console,
    print_decoded,
    print_totals,
    summarised_note,
)
from .rows import (
    COLOUR_MAX,
    Glyphs,
    TextOut,
    plain_sink,
    problem_rows,
    summary_row,
    wrap,
)

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["print_stream", "print_totals"]


def print_stream(
    stream: DecodeStream,
    *,
    detail: str = "bytes",
    plain: bool = False,
    svg: Path | None = None,
    html: Path | None = None,
    frame: int | None = None,
    hint: str = "-d fields shows the header fields of every frame",
    console: Console | TextOut | None = None,
) -> None:
    """Draw the frames of ``stream`` as :func:`~wsdebug.ui.output.print_decoded` would."""
    console = console or out_console(plain=plain, record=bool(svg or html))
    if detail == "bytes" and frame is None and not console.record:
        _print_bytes(stream, console, plain, hint)
        return
    if detail != "summary" or frame is not None or console.record:
        result = stream.collect()
        print_decoded(
            result,
            detail=detail,
            plain=plain,
            console=console,
            svg=svg,
            html=html,
            frame=frame,
            hint=hint,
        )
        return
    batches = stream.batches()
    head: list[FrameRecord] = []
    for batch in batches:
        head.extend(batch)
        if len(head) > COLOUR_MAX:
            break
    sink = plain_sink(console, len(head))
    if sink is None:  # a few frames in colour: the stream is over (else there were more)
        print_decoded(
            Decoded(head, stream.incomplete, stream.problems),
            detail=detail,
            plain=plain,
            console=console,
        )
        return
    g = Glyphs.for_console(console, plain)
    add, extend = sink.add, sink.extend
    index = 0
    for batch in chain([head], batches):
        for rec in batch:
            index += 1
            add(summary_row(rec, g, index=index))
            if rec.problems:
                for p in rec.problems:
                    extend(problem_rows(p, rec.frame.offset, g, indent="    "))
        batch.clear()  # (head too: nothing is kept)
    sink.flush()
    print_totals(console, stream.count, stream.bad, stream.incomplete, stream.problems, plain)


def _print_bytes(stream: DecodeStream, console: Console | TextOut, plain: bool, hint: str) -> None:
    """``-d bytes`` of many frames: the first and last three in full, summary rows between.

    The rows between are kept as strings (a hundred bytes a frame, not the records) until
    the end, when the note before them can say which frames they are.
    """
    batches = stream.batches()
    head: list[FrameRecord] = []
    for batch in batches:
        head.extend(batch)
        if len(head) > COLOUR_MAX:
            break
    sink = plain_sink(console, len(head))
    if sink is None or len(head) <= COLOUR_MAX:  # the stream is over: draw its few frames
        result = Decoded(head, stream.incomplete, stream.problems)
        print_decoded(result, detail="bytes", plain=plain, console=console, hint=hint)
        return
    g = Glyphs.for_console(console, plain)
    ends = FULL_EACH_END
    for index, rec in enumerate(head[:ends], 1):
        full_frame(console, sink, rec, g, index, plain)
        sink.add("")
    rows: list[str] = []
    last: deque[tuple[int, FrameRecord]] = deque()
    index = ends
    for batch in chain([head[ends:]], batches):
        for rec in batch:
            index += 1
            last.append((index, rec))
            if len(last) > ends:
                i, old = last.popleft()
                rows.append(summary_row(old, g, index=i))
                for p in old.problems:
                    rows.extend(problem_rows(p, old.frame.offset, g, indent="    "))
        batch.clear()  # (the records are rows now, or among the last three)
    head.clear()
    note = summarised_note(ends + 1, index - ends, hint, ascii_only=g.ascii)
    sink.extend(wrap(note, g.width))
    sink.extend(rows)
    rows.clear()
    sink.add("")
    sink.flush()
    for i, rec in last:
        full_frame(console, sink, rec, g, i, plain)
        if i < index:
            sink.add("")
    sink.flush()
    print_totals(console, stream.count, stream.bad, stream.incomplete, stream.problems, plain)
