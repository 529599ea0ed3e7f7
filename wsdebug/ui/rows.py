"""Bulk output as plain text rows: many frames, no rich renderable built per frame.

``decode`` and ``replay --all`` can print 100,000 frames.  Rich's layout costs a fraction of a
millisecond for a summary line and several milliseconds for a field table, so bulk output
without colour goes through this module instead: each frame becomes ready-made strings,
written in large blocks to the console's file.

- :func:`summary_row` is :func:`~wsdebug.ui.lines.summary_line` as a string: the same
  characters, fitted to the same width, the same ellipses (a test compares the two).
- :func:`problem_rows` and :func:`message_row` likewise replace
  :func:`~wsdebug.ui.lines.problem_text` and :class:`~wsdebug.ui.lines.MessageView` lines.
- :func:`field_rows` draws the field table of ``--detail fields`` as aligned text lines with a
  :class:`FieldLayout` computed once for the whole output, not a rich Table per frame: the
  columns are the table's, the meaning column is not wrapped.

Rich stays for colour, for ``--export-svg/--export-html`` (which record what rich drew) and
for the views a person reads one at a time.  Every string that came from the network goes
through :func:`~wsdebug.ui.safe.inert` before it is placed in a row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING

from wsdebug.codec.frames import WireFrame
from wsdebug.codec.rules import Problem
from wsdebug.codec.spec import Direction, Role, close_code_meaning, opcode_name
from wsdebug.codec.stream import FrameRecord, Message

from .cells import cell_len, fit, wrap
from .fieldrows import FieldLayout, FieldRows, bits_text, field_rows, field_value
from .linefit import (
    _RSV1_RULES,
    FIN,
    FORM,
    IN,
    INDENT,
    KEY,
    MASK,
    OUT,
    PAD,
    SIZE,
    TIME,
    WANT,
    hex_preview,
    layout,
    plural,
    shows_text,
    want_cells,
    wrap_pieces,
)
from .safe import inert
from .surface import Glyphs, TextOut, text_out

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "COLOUR_MAX",
    "FieldLayout",
    "FieldRows",
    "Glyphs",
    "RowWriter",
    "TextOut",
    "bits_text",
    "bytes_rows",
    "field_rows",
    "field_value",
    "message_row",
    "plain_sink",
    "problem_rows",
    "summary_row",
    "summary_rows_for",
    "text_out",
]


_SECONDS: dict[int, str] = {}


def _clock(ts: float) -> str:
    """Local HH:MM:SS.mmm, as :func:`~wsdebug.ui.lines.clock`; the local time of each whole
    second is looked up once (datetime.fromtimestamp's rounding, half to even, is kept)."""
    second = int(ts)  # toward zero, as math.modf splits it (the difference is exact)
    us = round((ts - second) * 1e6)
    if us >= 1_000_000:
        us -= 1_000_000
        second += 1
    elif us < 0:
        us += 1_000_000
        second -= 1
    head = _SECONDS.get(second)
    if head is None:
        if len(_SECONDS) >= 65536:
            _SECONDS.clear()
        head = _SECONDS[second] = time.strftime("%H:%M:%S.", time.localtime(second))
    return head + _MILLIS[us // 1000]


_MILLIS = [f"{ms:03d}" for ms in range(1000)]


def _arrow(direction: object, g: Glyphs) -> str:
    if direction in OUT:
        return "->" if g.ascii else "→"
    if direction in IN:
        return "<-" if g.ascii else "←"
    if isinstance(direction, str):
        return inert(direction)
    return "." if g.ascii else "·"


def _head(g: Glyphs, direction: object, timestamp: float | None, conn_id: str | None) -> list[str]:
    parts = [_arrow(direction, g)]
    if timestamp is not None:
        parts.append(" " + _clock(timestamp))
    if conn_id is not None:
        parts.append(" " + inert(conn_id))
    return parts


# -- one frame, one line -------------------------------------------------------------------------


def _preview(rec: FrameRecord, g: Glyphs, budget: int) -> str:
    frame = rec.frame
    if budget < 4:
        return ""
    close = rec.close
    if close is not None:
        if close.code is None:
            out = "no status code" if not frame.payload_len else "1-byte close payload"
        else:
            out = f"{close.code} {close_code_meaning(close.code)}"
            if close.reason:
                out += ": " + inert(close.reason[: budget + 1])
            elif close.reason is None:
                out += ": reason " + close.reason_bytes.hex(" ")
    elif rec.text is not None and shows_text(rec):
        out = '"' + fit(inert(rec.text[:budget]), budget - 2) + '"'
    elif frame.payload_len:
        out = hex_preview(frame.payload, budget, g.ellipsis)
    else:
        out = "(empty)"
    return fit(out, budget)


_ARROWS = {
    ascii_only: {**dict.fromkeys(OUT, right), **dict.fromkeys(IN, left), None: unknown}
    for ascii_only, (right, left, unknown) in ((True, ("->", "<-", ".")), (False, ("→", "←", "·")))
}
_MIDDLE: dict[tuple[int, bool, int, int], str] = {}


def _middle(f: WireFrame) -> str:
    """`` TEXT   FIN  5 B 7-bit``: the same for every frame of that opcode, FIN bit and length."""
    key = (f.opcode_raw, f.fin, f.payload_len, f.length_form)
    out = _MIDDLE.get(key)
    if out is None:
        if len(_MIDDLE) >= 65536:
            _MIDDLE.clear()
        fin = " FIN " if f.fin else " frag"
        out = _MIDDLE[key] = f" {f.opcode_name:<6}{fin} {f.payload_len:,} B {f.length_form}-bit"
    return out


def summary_row(
    rec: FrameRecord,
    g: Glyphs,
    *,
    index: int | None = None,
    timestamp: float | None = None,
    conn_id: str | None = None,
    arrow: str | None = None,
) -> str:
    """The summary of a frame: :func:`~wsdebug.ui.lines.summary_line`'s characters (one line,
    or at narrow widths several joined by newlines)."""
    if conn_id is None and arrow is None:
        return summary_rows_for(g)(rec, index, timestamp)
    return _summary_row(rec, g, index, timestamp, conn_id, arrow)


RowMaker = Callable[[FrameRecord, "int | None", "float | None"], str]
_MAKERS: dict[Glyphs, RowMaker] = {}
_LAST: list[tuple[Glyphs, RowMaker]] = []  # the last one asked for


def summary_rows_for(g: Glyphs) -> RowMaker:
    """``summary_row(rec, g, index=, timestamp=)`` as a function of ``(rec, index,
    timestamp)`` for many rows drawn with ``g``: what depends on ``g`` is looked up once."""
    if _LAST and _LAST[0][0] is g:
        return _LAST[0][1]
    maker = _MAKERS.get(g)
    if maker is None:
        if len(_MAKERS) >= 64:
            _MAKERS.clear()
        maker = _MAKERS[g] = _row_maker(g)
    _LAST[:] = [(g, maker)]
    return maker


def _row_maker(g: Glyphs) -> RowMaker:
    arrows = _ARROWS[g.ascii]
    #: the layout of the common row, by shape (see :func:`_shape`); None: the general path
    shapes: dict[tuple[object, ...], tuple[bool, str, bool, int] | None] = {}
    unknown, clock_of, general = _UNKNOWN, _clock, _summary_row

    def row(rec: FrameRecord, index: int | None = None, timestamp: float | None = None) -> str:
        text = rec.text
        if (
            text
            and not rec.problems
            and rec.close is None
            and text.isascii()
            and text.isprintable()
        ):
            # The common frame (printable ASCII text, no RSV bit, no problem): which metadata
            # stays depends only on the pieces' lengths, worked out once per shape.
            f = rec.frame
            glyph = arrows.get(rec.direction)
            if glyph is not None and not (f.rsv1 or f.rsv2 or f.rsv3):
                head = glyph if index is None else f"#{index} {glyph}"
                n = len(text)
                want = n + 2 if n < WANT - 2 else WANT  # want_cells(rec)
                key = f.mask_key
                shape_key = (
                    len(head),
                    timestamp is None,
                    f.fin,
                    f.opcode_raw,
                    f.length_form,
                    f.payload_len,
                    None if key is None else len(key),
                    want,
                )
                shape = shapes.get(shape_key, unknown)
                if shape is unknown:
                    if len(shapes) >= 65536:
                        shapes.clear()
                    shape = _shape(f, g, len(head), timestamp is not None, want)
                    shapes[shape_key] = shape
                if shape is not None:
                    keep_clock, middle, keep_key, budget = shape
                    if n > budget - 2:
                        text = text[: budget - 3] + "…"
                    clock = (
                        " " + clock_of(timestamp) if keep_clock and timestamp is not None else ""
                    )
                    shown = " " + key.hex() if keep_key and key is not None else ""
                    return f'{head}{clock}{middle}{shown}  "{text}"'
        return general(rec, g, index, timestamp, None, None)

    return row


_UNKNOWN = (False, "", False, -1)  #: a shape not yet worked out


def _shape(
    f: WireFrame, g: Glyphs, head: int, clock: bool, want: int
) -> tuple[bool, str, bool, int] | None:
    """How :func:`_fitted_row` lays out a printable text frame shaped like ``f`` (a head of
    ``head`` cells, a clock or not, a preview that wants ``want`` cells): whether the clock
    and the mask key stay, the metadata between them, and the preview's budget.  None when
    the row wraps or the text does not get what it wants (the general path decides)."""
    pieces = _pieces(f, "#" * head, " 00:00:00.000" if clock else "", "", "")
    keep, wrapped = layout(
        [cell_len(p) for p, _ in pieces], [r for _, r in pieces], 0, want, g.width
    )
    if wrapped:
        return None
    kept = {i for i, k in enumerate(keep) if k}
    used = sum(cell_len(pieces[i][0]) for i in kept)
    budget = g.width - used - 2
    if budget < want or budget < 4:
        return None
    keep_clock = clock and 1 in kept
    keep_key = f.mask_key is not None and len(pieces) - 1 in kept
    first = 2 if clock else 1
    last = len(pieces) - 1 if f.mask_key is not None else len(pieces)
    middle = "".join(pieces[i][0] for i in range(first, last) if i in kept)
    return keep_clock, middle, keep_key, budget


def _summary_row(
    rec: FrameRecord,
    g: Glyphs,
    index: int | None = None,
    timestamp: float | None = None,
    conn_id: str | None = None,
    arrow: str | None = None,
) -> str:
    """:func:`summary_row`, every frame (the general path)."""
    f = rec.frame
    direction = arrow if arrow is not None else rec.direction
    glyph = _ARROWS[g.ascii].get(direction) or _arrow(direction, g)
    problems = rec.problems
    suffix = f"  {g.cross} {plural(len(problems), 'problem')}" if problems else ""
    width = g.width
    text = rec.text
    key = f.mask_key
    head = glyph if index is None else f"#{index} {glyph}"
    clock = " " + _clock(timestamp) if timestamp is not None else ""
    conn = " " + inert(conn_id) if conn_id is not None else ""
    rsv = ""
    if f.rsv1 or f.rsv2 or f.rsv3:
        if f.rsv1:
            rsv += " RSV1" if any(p.rule in _RSV1_RULES for p in problems) else " RSV1 compressed"
        if f.rsv2:
            rsv += " RSV2"
        if f.rsv3:
            rsv += " RSV3"
    line = (
        head
        + clock
        + conn
        + _middle(f)
        + (f" masked {key.hex()}" if key is not None else " unmasked")
        + rsv
    )
    budget = width - (len(line) if line.isascii() else cell_len(line)) - len(suffix) - 2
    if text and rec.close is None and text.isascii() and text.isprintable():
        # the common frame: printable ASCII text, shown as it is (what want_cells says)
        if budget < (len(text) + 2 if len(text) < WANT else WANT):
            return _fitted_row(rec, g, head, clock, conn, rsv, suffix)
        if budget < 4:
            return fit(line + suffix, width)
        body = text[:budget] if len(text) > budget else text
        if len(body) > budget - 2:
            body = fit(body, budget - 2)
        return f'{line}  "{body}"{suffix}'
    if budget < want_cells(rec):  # metadata gives way (or wraps): the general path
        return _fitted_row(rec, g, head, clock, conn, rsv, suffix)
    if budget < 4:
        return fit(line + suffix, width)
    if text is not None and rec.close is None and shows_text(rec):
        body = inert(text[:budget])
        if len(body) > budget - 2 or not body.isascii():
            body = fit(body, budget - 2)
        return f'{line}  "{body}"{suffix}'  # fits: the preview is at most ``budget`` cells
    return f"{line}  {_preview(rec, g, budget)}{suffix}"


def _fitted_row(
    rec: FrameRecord, g: Glyphs, head: str, clock: str, conn: str, rsv: str, suffix: str
) -> str:
    """The pieces of :func:`summary_row` laid out as :func:`~wsdebug.ui.lines.layout` says."""
    pieces = _pieces(rec.frame, head, clock, conn, rsv)
    keep, wrapped = layout(
        [cell_len(p) for p, _ in pieces],
        [r for _, r in pieces],
        len(suffix),
        want_cells(rec),
        g.width,
    )
    kept = [p for (p, _), k in zip(pieces, keep, strict=True) if k]
    if not wrapped:
        line = "".join(kept)
        budget = g.width - cell_len(line) - len(suffix) - 2
        preview = _preview(rec, g, budget)
        return fit(f"{line}  {preview}{suffix}" if preview else line + suffix, g.width)
    if suffix:
        kept.append(suffix)
    rows = []
    for n, indexes in enumerate(wrap_pieces(kept, g.width)):
        parts = [kept[i] for i in indexes]
        if n:
            parts[0] = INDENT + parts[0].lstrip(" ")
        rows.append(fit("".join(parts), g.width))
    preview = _preview(rec, g, g.width - len(INDENT))
    if preview:
        rows.append(INDENT + preview)
    return "\n".join(rows)


def _pieces(
    f: WireFrame, head: str, clock: str, conn: str, rsv: str
) -> list[tuple[str, int | None]]:
    """The metadata of a summary row, in order, each with its drop rank (None: kept)."""
    name = f.opcode_name
    pieces: list[tuple[str, int | None]] = [(head, None)]
    if clock:
        pieces.append((clock, TIME))
    if conn:
        pieces.append((conn, None))
    pieces.append((" " + name, None))
    if len(name) < 6:
        pieces.append((" " * (6 - len(name)), PAD))
    pieces.append((" FIN " if f.fin else " frag", FIN if f.fin else None))
    pieces.append((f" {f.payload_len:,} B", SIZE))
    pieces.append((f" {f.length_form}-bit", FORM))
    if f.mask_key is not None:
        pieces.append((" masked", MASK))
        pieces.append((f" {f.mask_key.hex()}", KEY))
    else:
        pieces.append((" unmasked", MASK))
    if rsv:
        labels = rsv.replace(" RSV1 compressed", " RSV1_compressed").split(" ")[1:]
        pieces.extend((" " + label.replace("_", " "), None) for label in labels)
    return pieces


def message_row(
    message: Message,
    direction: Direction | Role | str | None,
    g: Glyphs,
    *,
    timestamp: float | None = None,
    conn_id: str | None = None,
) -> str:
    """One line for an assembled message: :class:`~wsdebug.ui.lines.MessageView`'s characters."""
    m = message
    line = "".join(_head(g, direction, timestamp, conn_id))
    line += f" message {opcode_name(m.opcode)} {plural(m.frames, 'frame')}, {plural(len(m.payload), 'byte')}"
    if m.compressed:
        line += f" (compressed: {m.wire_size:,} on the wire)"
    suffix = f"  {g.cross} {plural(len(m.problems), 'problem')}" if m.problems else ""
    budget = g.width - cell_len(line) - cell_len(suffix) - 4
    if budget > 4 and m.payload:
        if m.text is not None:
            line += '  "' + fit(inert(m.text[:budget]), budget - 2) + '"'
        else:
            line += "  " + hex_preview(m.payload, budget, g.ellipsis)
    return fit(line + suffix, g.width)


def problem_line(problem: Problem, frame_offset: int | None, plain: bool) -> str:
    """``x offset 0x0000 (byte 0): <message> -- RFC 6455 §5.2``, unwrapped."""
    where = f"offset 0x{problem.offset:04x}"
    if frame_offset is not None:
        where += f" (byte {problem.offset - frame_offset})"
    dash, cross = ("--", "x") if plain else ("—", "✗")
    return f"{cross} {where}: {inert(problem.message)} {dash} {problem.rfc}"


def problem_rows(
    problem: Problem, frame_offset: int | None, g: Glyphs, *, indent: str = ""
) -> list[str]:
    """A problem line wrapped to the width, as rich prints ``problem_text`` (after ``indent``)."""
    return wrap(indent + problem_line(problem, frame_offset, g.plain), g.width)


def bytes_rows(rec: FrameRecord, g: Glyphs, *, index: int | None = None) -> list[str]:
    """The classroom view of one frame (``--detail bytes``) as the lines rich draws uncoloured."""
    from .bytesview import frame_body

    body = frame_body(rec, g)
    head = summary_row(rec, g, index=index).split("\n")
    return [*head, *("".join(t for t, _ in line) for line in body)]


# -- writing -------------------------------------------------------------------------------------


class RowWriter:
    """Lines gathered and written to a file in large blocks."""

    def __init__(self, file: IO[str], *, block: int = 2048) -> None:
        self.file = file
        self.lines: list[str] = []
        self.block = block

    def add(self, line: str) -> None:
        self.lines.append(line)
        if len(self.lines) >= self.block:
            self.flush()

    def extend(self, lines: Iterable[str]) -> None:
        self.lines.extend(lines)
        if len(self.lines) >= self.block:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.lines.append("")
            self.file.write("\n".join(self.lines))
            self.lines.clear()


#: More frames than this are written as plain rows even on a colour terminal: rich takes a
#: fraction of a millisecond per coloured line, and nobody reads 100,000 of them in colour.
COLOUR_MAX = 1000


def plain_sink(console: Console | TextOut, frames: int = 0) -> RowWriter | None:
    """A :class:`RowWriter` on the console's file when bulk output should skip rich.

    That is when what rich would draw is plain text anyway (no colour), or when there are
    more than :data:`COLOUR_MAX` ``frames``.  None when rich must draw: colour on for a few
    frames, or a console that records for an SVG/HTML export.
    """
    if console.record or console.is_jupyter:
        return None
    if console.color_system is not None and frames <= COLOUR_MAX:
        return None
    return RowWriter(console.file)
