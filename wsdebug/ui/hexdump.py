"""A classic hex dump (offset | hex | ASCII), coloured by field: one rich Text, or lines of pieces.

The dump is built as plain lines joined into a single :class:`~rich.text.Text`; each field is
then one ``stylize()`` call per line it touches, in both the hex and the ASCII column.  Line
text comes from ``bytes.hex(" ")`` and ``bytes.translate``: no per-byte Python work.  Data
longer than ``max_bytes`` is elided (the head, a count line, the last two lines), which bounds
the work for a 64 MiB payload.  ``data`` only needs ``len()`` and slicing, so a caller can pass
a lazy view (see :class:`ByteSource`) and never materialise the bytes that are not shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING, NamedTuple, Protocol

from .styles import Line

if TYPE_CHECKING:
    from typing import TypeAlias

    from rich.style import Style
    from rich.text import Text

    StyleType: TypeAlias = str | Style

#: Printable ASCII maps to itself, everything else to ".".
_ASCII = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))


class ByteSource(Protocol):
    """What :func:`hexdump` needs from its data: a length and byte slices."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: slice, /) -> bytes: ...


def _hex_col(j: int) -> int:
    """Column of byte ``j`` of a line, relative to the start of the hex column."""
    return 3 * j + (1 if j >= 8 else 0)


class _Dump(NamedTuple):
    lines: list[str]
    line_starts: list[tuple[int, int]]  #: (text position, data offset) of each dump line
    note: tuple[int, int] | None  #: (text position, length) of the elision line
    digits: int
    hex_start: int
    ascii_start: int


def _dump(
    data: bytes | bytearray | memoryview | ByteSource,
    base_offset: int,
    width: int,
    max_bytes: int | None,
    ascii_only: bool,
) -> _Dump:
    """The dump's lines, and where its columns and lines start (see :func:`hexdump`)."""
    n = len(data)
    gap = width > 8
    hex_width = 3 * width - 1 + (1 if gap else 0)
    digits = max(8, len(f"{base_offset + n:x}"))
    hex_start = digits + 2
    ascii_start = hex_start + hex_width + 2

    # Which byte ranges are shown: [(start, end)], plus the elided gap after the first.
    head_end = n
    tail_start = n
    if max_bytes is not None and n > max_bytes + 3 * width:
        head_end = max(width, max_bytes - max_bytes % width)
        last_line = (n - 1) // width * width
        tail_start = max(head_end, last_line - width)
    blocks = [(0, head_end)] if tail_start >= n else [(0, head_end), (tail_start, n)]

    lines: list[str] = []
    line_starts: list[tuple[int, int]] = []  # (text position, data offset) of each dump line
    note: tuple[int, int] | None = None  # (text position, length) of the elision line
    pos = 0
    for bi, (start, end) in enumerate(blocks):
        if bi:
            dots = "..." if ascii_only else "…"
            line = f"{dots} {tail_start - head_end:,} more bytes not shown"
            lines.append(line)
            note = (pos, len(line))
            pos += len(line) + 1
        chunk = bytes(data[start:end])
        for i in range(0, len(chunk), width):
            row = chunk[i : i + width]
            hx = row.hex(" ")
            if gap and len(row) > 8:
                hx = hx[:23] + " " + hx[23:]
            line = (
                f"{base_offset + start + i:0{digits}x}  {hx:<{hex_width}}  "
                f"|{row.translate(_ASCII).decode('ascii')}|"
            )
            lines.append(line)
            line_starts.append((pos, start + i))
            pos += len(line) + 1
    return _Dump(lines, line_starts, note, digits, hex_start, ascii_start)


def hexdump_lines(
    data: bytes | bytearray | memoryview | ByteSource,
    *,
    base_offset: int = 0,
    width: int = 16,
    max_bytes: int | None = 4096,
    ascii_only: bool = False,
) -> list[str]:
    """The lines of :func:`hexdump`, as strings (for output drawn without rich)."""
    return _dump(data, base_offset, width, max_bytes, ascii_only).lines


def hexdump(
    data: bytes | bytearray | memoryview | ByteSource,
    *,
    base_offset: int = 0,
    spans: Sequence[tuple[int, int, StyleType]] = (),
    width: int = 16,
    max_bytes: int | None = 4096,
    offset_style: StyleType | None = "ws.offset",
    note_style: StyleType | None = "ws.dim",
    ascii_only: bool = False,
) -> Text:
    """Hex dump of ``data`` as one Text.

    Args:
        base_offset: offset printed for ``data[0]`` (a stream offset).
        spans: ``(start, end, style)`` in data coordinates; each styles the bytes in both
            the hex and the ASCII columns.
        width: bytes per line (a group gap after byte 8 when width > 8).
        max_bytes: show about this many bytes, then "… N more bytes not shown" and the last
            two lines; None shows everything.
        ascii_only: write "..." instead of "…" in the elision line.
    """
    from rich.text import Text  # here: plain-text output never imports rich

    n = len(data)
    lines, line_starts, note, digits, hex_start, ascii_start = _dump(
        data, base_offset, width, max_bytes, ascii_only
    )
    text = Text("\n".join(lines), no_wrap=True, overflow="crop")

    if note is not None and note_style:
        text.stylize(note_style, note[0], note[0] + note[1])
    for tpos, first in line_starts:
        if offset_style:
            text.stylize(offset_style, tpos, tpos + digits)
        if not spans:
            continue
        last = min(first + width, n)
        for s_start, s_end, style in spans:
            lo = max(s_start, first)
            hi = min(s_end, last)
            if lo >= hi:
                continue
            a, b = lo - first, hi - first
            hex_at = tpos + hex_start
            text.stylize(style, hex_at + _hex_col(a), hex_at + _hex_col(b - 1) + 2)
            ascii_at = tpos + ascii_start + 1
            text.stylize(style, ascii_at + a, ascii_at + b)
    return text


def hexdump_pieces(
    data: bytes | bytearray | memoryview | ByteSource,
    *,
    base_offset: int = 0,
    spans: Sequence[tuple[int, int, str]] = (),
    width: int = 16,
    max_bytes: int | None = 4096,
    ascii_only: bool = False,
) -> list[Line]:
    """:func:`hexdump` as lines of pieces tagged with style names (``spans`` name theirs).

    The same characters as :func:`hexdump`; where two spans cover a byte the later one wins,
    as there.
    """
    n = len(data)
    dump = _dump(data, base_offset, width, max_bytes, ascii_only)
    firsts = dict(dump.line_starts)  # text position of a dump line -> its data offset
    out: list[Line] = []
    pos = 0
    for line in dump.lines:
        first = firsts.get(pos)
        pos += len(line) + 1
        if first is None:  # the elision line
            out.append([(line, "ws.dim")])
            continue
        styles: list[str | None] = [None] * len(line)
        styles[: dump.digits] = ["ws.offset"] * dump.digits
        last = min(first + width, n)
        for s_start, s_end, style in spans:
            lo, hi = max(s_start, first), min(s_end, last)
            if lo >= hi:
                continue
            a, b = lo - first, hi - first
            h0, h1 = dump.hex_start + _hex_col(a), dump.hex_start + _hex_col(b - 1) + 2
            styles[h0:h1] = [style] * (h1 - h0)
            a0 = dump.ascii_start + 1
            styles[a0 + a : a0 + b] = [style] * (b - a)
        pieces: Line = []
        col = 0
        for name, run in groupby(styles):
            k = sum(1 for _ in run)
            pieces.append((line[col : col + k], name))
            col += k
        out.append(pieces)
    return out
