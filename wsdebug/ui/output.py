"""Consoles and the printing of offline results (decode, encode).

Output that rich would draw without colour (``--plain``, or not a terminal) goes to a
:class:`~wsdebug.ui.rows.TextOut` as plain lines, and rich is not imported at all: that is
most of ``decode``'s start-up.  A terminal, or an SVG/HTML export, gets a rich Console.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..capture.offline import Decoded
from ..codec.stream import FrameRecord
from .errors import DisplayError
from .rows import (
    FieldLayout,
    FieldRows,
    Glyphs,
    RowWriter,
    TextOut,
    bytes_rows,
    plain_sink,
    problem_rows,
    summary_row,
    text_out,
    wrap,
)

if TYPE_CHECKING:
    from rich.console import Console

    from ..codec.frames import NeedMore
    from ..codec.rules import Problem


def out_console(*, plain: bool = False, record: bool = False) -> Console | TextOut:
    """Standard output: a :class:`~wsdebug.ui.rows.TextOut` where rich would draw no colour
    (and nothing is recorded for an export), else :func:`stdout_console`."""
    if not record:
        out = text_out(plain=plain)
        if out is not None:
            return out
    return stdout_console(plain=plain, record=record)


def stdout_console(
    *, plain: bool = False, record: bool = False, file: IO[str] | None = None
) -> Console:
    """The console everything is drawn on; NO_COLOR is honoured by rich itself."""
    from rich.console import Console

    from .theme import THEME

    return Console(
        file=file,  # None: whatever sys.stdout is when printing (patch_stdout needs that)
        theme=THEME,
        no_color=plain or None,
        color_system=None if plain else "auto",
        highlight=False,
        emoji=False,
        markup=False,
        record=record,
        safe_box=True,
        force_terminal=None if os.environ.get("FORCE_COLOR") is None else True,
    )


def export(
    console: Console | TextOut, svg: Path | None, html: Path | None, title: str = "wsdebug"
) -> None:
    if isinstance(console, TextOut):
        return  # (an export asks for a recording console: out_console(record=True))
    try:
        if svg is not None:
            console.save_svg(str(svg), title=title, clear=False)
        if html is not None:
            console.save_html(str(html), clear=False)
    except OSError as exc:
        raise DisplayError(f"cannot write export: {exc.strerror}: {exc.filename}") from None


#: ``--detail bytes`` draws every frame in full up to this many frames; beyond, the first and
#: last :data:`FULL_EACH_END` in full and summary lines between them.
FULL_MAX = 10
FULL_EACH_END = 3


def _print_frames(
    console: Console | TextOut,
    numbered: list[tuple[int, FrameRecord]],
    detail: str,
    plain: bool,
    hint: str,
) -> None:
    """The frames of :func:`print_decoded`: plain rows when rich would draw plain text."""
    sink = plain_sink(console, len(numbered))
    g = Glyphs.for_console(console, plain)
    table = None
    if sink is not None and detail == "fields":
        layout = FieldLayout.for_frames((r.frame for _, r in numbered), ascii_only=g.ascii)
        table = FieldRows(layout, g.ellipsis)
    a, b = full_frames(len(numbered), detail)
    last = numbered[-1][0] if numbered else 0
    for pos, (i, rec) in enumerate(numbered, 1):
        level = "summary" if a <= pos <= b else detail
        if pos == a and a <= b:
            note = summarised_note(numbered[a - 1][0], numbered[b - 1][0], hint, ascii_only=g.ascii)
            if sink is not None:
                sink.extend(wrap(note, g.width))
            else:
                from rich.text import Text

                _rich(console).print(Text(note, style="ws.dim"))
        if sink is not None and level != "bytes":
            sink.add(summary_row(rec, g, index=i))
            if level == "summary":
                for p in rec.problems:
                    sink.extend(problem_rows(p, rec.frame.offset, g, indent="    "))
            else:
                assert table is not None
                sink.add(table.block(rec.frame))
                for p in rec.problems:
                    sink.extend(problem_rows(p, rec.frame.offset, g))
        elif sink is not None:  # bytes
            full_frame(console, sink, rec, g, i, plain)
        else:
            from rich.text import Text

            from .views import FrameView, problem_text

            if sink is not None:
                sink.flush()
            rich = _rich(console)
            rich.print(FrameView(rec, level, index=i, plain=plain))  # type: ignore[arg-type]
            if level == "summary":
                for p in rec.problems:
                    line = problem_text(p, rec.frame.offset, plain=plain)
                    rich.print(Text("    ").append_text(line))
        if detail == "bytes" and i < last and not a <= pos < b:
            if sink is not None:
                sink.add("")
            else:
                _rich(console).print()
    if sink is not None:
        sink.flush()


def full_frame(
    console: Console | TextOut, sink: RowWriter, rec: FrameRecord, g: Glyphs, i: int, plain: bool
) -> None:
    """Frame number ``i`` in full (``-d bytes``): lines on ``sink`` without colour, else rich
    (the sink's lines written first, so the order holds)."""
    if console.color_system is None:
        sink.extend(bytes_rows(rec, g, index=i))
        return
    from .views import FrameView

    sink.flush()
    _rich(console).print(FrameView(rec, "bytes", index=i, plain=plain))


def full_frames(n: int, detail: str) -> tuple[int, int]:
    """The 1-based frame numbers ``(a, b)`` drawn as summary lines instead of in full (a > b: none)."""
    if detail != "bytes" or n <= FULL_MAX:
        return 1, 0
    return FULL_EACH_END + 1, n - FULL_EACH_END


def summarised_note(a: int, b: int, hint: str, *, ascii_only: bool) -> str:
    """``frames 4–99,997 drawn as summary lines; <hint>``."""
    dash = "-" if ascii_only else "–"
    return f"frames {a:,}{dash}{b:,} drawn as summary lines; {hint}"


def print_decoded(
    result: Decoded,
    *,
    detail: str = "bytes",
    plain: bool = False,
    console: Console | TextOut | None = None,
    svg: Path | None = None,
    html: Path | None = None,
    frame: int | None = None,
    hint: str = "-d fields shows the header fields of every frame",
) -> None:
    """Print every decoded frame at ``detail``, then the stream's problems and a count.

    Without colour (``--plain``, or not a terminal), and for more than
    :data:`~wsdebug.ui.rows.COLOUR_MAX` frames, the frames go out as plain rows
    (:mod:`wsdebug.ui.rows`), not rich renderables.  With ``frame``, only frame number
    ``frame`` (from 1) is drawn (DisplayError when there is no such frame).  ``hint`` ends the
    note that says which frames of a long ``-d bytes`` output were drawn as summary lines.
    """

    console = console or out_console(plain=plain, record=bool(svg or html))
    records = result.records
    numbered = list(enumerate(records, 1))
    if frame is not None:
        if not 1 <= frame <= len(records):
            have = f"{len(records)} frame{'s' if len(records) != 1 else ''}"
            raise DisplayError(f"--frame {frame}: the input has {have}")
        numbered = [(frame, records[frame - 1])]
    _print_frames(console, numbered, detail, plain, hint)

    bad = sum(1 for r in records if r.problems)
    print_totals(console, len(records), bad, result.incomplete, result.problems, plain)
    export(console, svg, html)


def _rich(console: Console | TextOut) -> Console:
    assert not isinstance(console, TextOut)  # callers draw lines on a TextOut
    return console


def print_totals(
    console: Console | TextOut,
    count: int,
    bad: int,
    incomplete: NeedMore | None,
    problems: list[Problem],
    plain: bool,
) -> None:
    """The stream's own problems and the count line, as ``print_decoded`` ends."""
    bad += len(problems)
    total = f"{count} frame{'s' if count != 1 else ''}"
    more = ""
    if incomplete is not None:
        needed = incomplete.needed
        more = (
            f", then an incomplete frame at offset {incomplete.offset}"
            f" that needs {needed:,} more byte{'s' if needed != 1 else ''}"
        )
    verdict = ", " + (f"{bad} with problems" if bad else "all valid")
    if isinstance(console, TextOut):
        g = Glyphs.for_console(console, plain)
        lines = [row for p in problems for row in problem_rows(p, None, g)]
        lines += wrap(total + more + verdict, g.width)
        console.file.write("\n".join(lines) + "\n")
        return
    from rich.text import Text

    from .views import problem_text

    for p in problems:
        console.print(problem_text(p, plain=plain))
    summary = Text(total, style="bold")
    if more:
        summary.append(more, style="ws.problem")
    summary.append(verdict, style="ws.problem" if bad else "ws.ok")
    console.print(summary)
