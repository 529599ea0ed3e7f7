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

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from rich._wrap import divide_line
from rich.cells import cell_len, set_cell_size
from rich.console import Console

from wsdebug.codec.annotate import Field
from wsdebug.codec.frames import WireFrame, encode_header
from wsdebug.codec.rules import Problem, Rule
from wsdebug.codec.spec import Role, close_code_meaning, opcode_name
from wsdebug.codec.stream import FrameRecord, Message

from .safe import inert

__all__ = [
    "FieldLayout",
    "Glyphs",
    "RowWriter",
    "field_rows",
    "message_row",
    "plain_sink",
    "problem_rows",
    "summary_row",
]

_RSV1_RULES = frozenset(
    {Rule.RSV_WITHOUT_EXTENSION, Rule.RSV1_ON_CONTROL, Rule.RSV1_ON_CONTINUATION}
)
_OUT = (Role.CLIENT, "out", "→", "->")
_IN = (Role.SERVER, "in", "←", "<-")
_TRAILING_SPACE = re.compile(r"\s+$")


@dataclass(frozen=True)
class Glyphs:
    """What a row is drawn with: the width, and ASCII or Unicode glyphs.

    ``ascii`` follows :class:`~wsdebug.ui.lines.RenderContext` (``--plain``, or a console that
    cannot draw Unicode); ``plain`` is the ``--plain`` flag itself, which chooses the problem
    lines' glyphs as :func:`~wsdebug.ui.lines.problem_text` does.
    """

    width: int
    ascii: bool
    plain: bool

    @property
    def ellipsis(self) -> str:
        return "..." if self.ascii else "…"

    @property
    def cross(self) -> str:
        return "x" if self.ascii else "✗"

    @staticmethod
    def for_console(console: Console, plain: bool) -> Glyphs:
        options = console.options
        ascii_only = plain or options.ascii_only or options.legacy_windows
        return Glyphs(options.max_width, ascii_only, plain)


# -- text fitting, as rich does it ---------------------------------------------------------------


def _cells(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with a final "…", as ``Text.truncate(overflow="ellipsis")``."""
    if text.isascii():
        return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"


def wrap(text: str, width: int) -> list[str]:
    """``text`` word-wrapped to ``width`` cells, the lines rich prints for a plain ``Text``."""
    if _cells(text) <= width:
        return [text]
    offsets = divide_line(text, width, fold=True)
    bounds = [0, *offsets, len(text)]
    lines = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        line = text[start:end]
        if len(line) > width:  # rstrip_end: trailing blanks beyond the width go
            blank = _TRAILING_SPACE.search(line)
            if blank is not None:
                line = line[: len(line) - min(len(blank.group()), len(line) - width)]
        if _cells(line) > width:
            line = set_cell_size(line, width)
        lines.append(line)
    return lines


def _hex_preview(data: bytes, budget: int, ellipsis: str) -> str:
    if len(data) * 3 - 1 <= budget:
        return data.hex(" ")
    return data[: max(1, (budget - len(ellipsis) - 1) // 3)].hex(" ") + " " + ellipsis


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _clock(ts: float) -> str:
    """Local HH:MM:SS.mmm, as :func:`~wsdebug.ui.lines.clock` (without strftime)."""
    t = datetime.fromtimestamp(ts)
    return f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond // 1000:03d}"


def _arrow(direction: object, g: Glyphs) -> str:
    if direction in _OUT:
        return "->" if g.ascii else "→"
    if direction in _IN:
        return "<-" if g.ascii else "←"
    if isinstance(direction, str):
        return inert(direction)
    return "." if g.ascii else "·"


def _head(
    g: Glyphs, direction: object, timestamp: float | None, conn_id: str | None
) -> list[str]:
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
    elif rec.text is not None and (frame.payload_len or rec.inflated):
        out = '"' + fit(inert(rec.text[:budget]), budget - 2) + '"'
    elif frame.payload_len:
        out = _hex_preview(frame.payload, budget, g.ellipsis)
    else:
        out = "(empty)"
    return fit(out, budget)


def summary_row(
    rec: FrameRecord,
    g: Glyphs,
    *,
    index: int | None = None,
    timestamp: float | None = None,
    conn_id: str | None = None,
    arrow: str | None = None,
) -> str:
    """The one-line summary of a frame: :func:`~wsdebug.ui.lines.summary_line`'s characters."""
    f = rec.frame
    parts = [f"#{index} "] if index is not None else []
    parts += _head(g, arrow if arrow is not None else rec.direction, timestamp, conn_id)
    parts.append(f" {f.opcode_name:<6}{' FIN ' if f.fin else ' frag'} {f.payload_len:,} B {f.length_form}-bit")
    parts.append(f" masked {f.mask_key.hex()}" if f.mask_key is not None else " unmasked")
    problems = rec.problems
    if f.rsv1:
        parts.append(" RSV1" if any(p.rule in _RSV1_RULES for p in problems) else " RSV1 compressed")
    if f.rsv2:
        parts.append(" RSV2")
    if f.rsv3:
        parts.append(" RSV3")
    line = "".join(parts)
    suffix = f"  {g.cross} {_plural(len(problems), 'problem')}" if problems else ""
    preview = _preview(rec, g, g.width - _cells(line) - _cells(suffix) - 2)
    if preview:
        line += "  " + preview
    return fit(line + suffix, g.width)


def message_row(
    message: Message,
    direction: Role | str | None,
    g: Glyphs,
    *,
    timestamp: float | None = None,
    conn_id: str | None = None,
) -> str:
    """One line for an assembled message: :class:`~wsdebug.ui.lines.MessageView`'s characters."""
    m = message
    line = "".join(_head(g, direction, timestamp, conn_id))
    line += f" message {opcode_name(m.opcode)} {_plural(m.frames, 'frame')}, {_plural(len(m.payload), 'byte')}"
    if m.compressed:
        line += f" (compressed: {m.wire_size:,} on the wire)"
    suffix = f"  {g.cross} {_plural(len(m.problems), 'problem')}" if m.problems else ""
    budget = g.width - _cells(line) - _cells(suffix) - 4
    if budget > 4 and m.payload:
        if m.text is not None:
            line += '  "' + fit(inert(m.text[:budget]), budget - 2) + '"'
        else:
            line += "  " + _hex_preview(m.payload, budget, g.ellipsis)
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


# -- the field table as text ---------------------------------------------------------------------


@dataclass(frozen=True)
class FieldLayout:
    """Column widths for the field rows of a whole output, computed once.

    Cells wider than their column push the rest of their row right; nothing is cut.
    """

    offset: int = 6
    span: int = 5
    bits: int = 9
    field: int = 14
    value: int = 15
    sep: str = "|"

    @staticmethod
    def for_frames(frames: Iterable[WireFrame], *, ascii_only: bool) -> FieldLayout:
        """Widths that fit every frame of ``frames`` (one pass over their headers)."""
        end = size = 0
        forms = set()
        for f in frames:
            end = max(end, f.offset + f.size)
            size = max(size, f.size)
            forms.add(f.length_form)
        offset = max(6, len(f"0x{max(end - 1, 0):04x}"))
        span = max(5, len(f"14-{size - 1}"))  # the payload's span is the longest
        field = 32 if forms - {7} else 14  # "extended payload length (16-bit)"
        value = 23 if 64 in forms else 15  # eight bytes of 64-bit length in hex
        return FieldLayout(offset, span, 9, field, value, "|" if ascii_only else " ")

    def header(self) -> list[str]:
        s = self.sep
        cells = ("offset", "bytes", "bits", "field", "value")
        widths = (self.offset, self.span, self.bits, self.field, self.value)
        head = s.join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + s + "meaning"
        rule = "+".join("-" * w for w in widths) + "+" + "-" * 7 if s == "|" else "─" * len(head)
        return [head, rule]


def _bits(byte: int, mask: int) -> str:
    s = "".join(str(byte >> i & 1) if mask >> i & 1 else "." for i in range(7, -1, -1))
    return s[:4] + " " + s[4:]


_BITS: dict[tuple[int, int], str] = {}


def _bits_cached(byte: int, mask: int) -> str:
    key = (byte, mask)
    out = _BITS.get(key)
    if out is None:
        out = _BITS[key] = _bits(byte, mask)
    return out


def field_value(f: Field, ellipsis: str, frame: WireFrame) -> str:
    """A field's value as the field table shows it."""
    if isinstance(f.raw, bytes):
        keep = 8 if f.name.startswith("extended payload length") else 4
        shown = f.raw[:keep].hex(" ") + (" " + ellipsis if len(f.raw) > keep else "")
        if f.name == "close code":  # the code is read from the unmasked payload
            shown += f" = {int.from_bytes(frame.payload[:2], 'big')}"
        return shown
    if f.name == "opcode":
        return f"{f.value} = 0x{f.raw:X}"
    if f.bits is not None and bin(f.bits).count("1") > 1:
        return f"{f.value} = {f.raw}"
    return f.value


def field_rows(
    frame: WireFrame, fields: Iterable[Field], layout: FieldLayout, ellipsis: str
) -> list[str]:
    """The field table of one frame as text lines: a header, a rule, one line per field."""
    out = layout.header()
    head = encode_header(frame)[:2]
    s = layout.sep
    wo, ws, wb, wf, wv = layout.offset, layout.span, layout.bits, layout.field, layout.value
    base = frame.offset
    for f in fields:
        rel = f.offset - base
        span = str(rel) if f.size == 1 else f"{rel}-{rel + f.size - 1}"
        bits = _bits_cached(head[rel], f.bits) if f.bits is not None else ""
        value = field_value(f, ellipsis, frame)
        out.append(
            f"{f'0x{f.offset:04x}':<{wo}}{s}{span:<{ws}}{s}{bits:<{wb}}{s}{f.name:<{wf}}{s}"
            f"{value:<{wv}}{s}{f.meaning}"
        )
    return out


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


def plain_sink(console: Console) -> RowWriter | None:
    """A :class:`RowWriter` on the console's file when what rich would draw is plain text.

    None when rich must draw: colour on, or the console records for an SVG/HTML export.
    """
    if console.record or console.color_system is not None or console.is_jupyter:
        return None
    return RowWriter(console.file)
