"""A classic hex dump (offset | hex | ASCII), coloured by field: one rich Text, or lines of pieces.

The dump is built as plain lines (:func:`hexdump_pieces`), each cut into pieces where a
field's span begins or ends in the hex or the ASCII column: a few slices a line, whatever
its bytes.  Line text comes from ``bytes.hex(" ")`` and ``bytes.translate``: no per-byte
Python work.  :func:`hexdump` is the same pieces as one rich Text.  Data
longer than ``max_bytes`` is elided (the head, a count line, the last two lines), which bounds
the work for a 64 MiB payload.  ``data`` only needs ``len()`` and slicing, so a caller can pass
a lazy view (see :class:`ByteSource`) and never materialise the bytes that are not shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Protocol

from .styles import Line

if TYPE_CHECKING:
    from rich.text import Text

#: Printable ASCII maps to itself, everything else to ".".
_ASCII = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))


class ByteSource(Protocol):
    """What :func:`hexdump` needs from its data: a length and byte slices."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: slice, /) -> bytes: ...


def _hex_col(j: int) -> int:
    """Column of byte ``j`` of a line, relative to the start of the hex column."""
    return 3 * j + (1 if j >= 8 else 0)


def _dump(
    data: bytes | bytearray | memoryview | ByteSource,
    base_offset: int,
    width: int,
    max_bytes: int | None,
    ascii_only: bool,
) -> list[tuple[str, int | None]]:
    """The dump's lines, each with the data offset of its first byte (None: the elision line)."""
    n = len(data)
    gap = width > 8
    hex_width = 3 * width - 1 + (1 if gap else 0)
    digits = max(8, len(f"{base_offset + n:x}"))

    # Which byte ranges are shown: [(start, end)], plus the elided gap after the first.
    head_end = n
    tail_start = n
    if max_bytes is not None and n > max_bytes + 3 * width:
        head_end = max(width, max_bytes - max_bytes % width)
        last_line = (n - 1) // width * width
        tail_start = max(head_end, last_line - width)
    blocks = [(0, head_end)] if tail_start >= n else [(0, head_end), (tail_start, n)]

    lines: list[tuple[str, int | None]] = []
    for bi, (start, end) in enumerate(blocks):
        if bi:
            dots = "..." if ascii_only else "…"
            lines.append((f"{dots} {tail_start - head_end:,} more bytes not shown", None))
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
            lines.append((line, start + i))
    return lines


def hexdump_pieces(
    data: bytes | bytearray | memoryview | ByteSource,
    *,
    base_offset: int = 0,
    spans: Sequence[tuple[int, int, str]] = (),
    width: int = 16,
    max_bytes: int | None = 4096,
    offset_style: str | None = "ws.offset",
    note_style: str | None = "ws.dim",
    ascii_only: bool = False,
) -> list[Line]:
    """Hex dump of ``data`` as lines of pieces tagged with style names.

    Args:
        base_offset: offset printed for ``data[0]`` (a stream offset).
        spans: ``(start, end, style)`` in data coordinates; each styles the bytes in both
            the hex and the ASCII columns; where two cover a byte the later one wins.
        width: bytes per line (a group gap after byte 8 when width > 8).
        max_bytes: show about this many bytes, then "… N more bytes not shown" and the last
            two lines; None shows everything.
        ascii_only: write "..." instead of "…" in the elision line.
    """
    n = len(data)
    digits = max(8, len(f"{base_offset + n:x}"))
    hex_start = digits + 2
    ascii_start = hex_start + 3 * width - 1 + (1 if width > 8 else 0) + 2
    out: list[Line] = []
    for line, first in _dump(data, base_offset, width, max_bytes, ascii_only):
        if first is None:  # the elision line
            out.append([(line, note_style)])
            continue
        ranges: list[tuple[int, int, str | None]] = [(0, digits, offset_style)]
        last = min(first + width, n)
        for s_start, s_end, style in spans:
            lo, hi = max(s_start, first), min(s_end, last)
            if lo < hi:
                a, b = lo - first, hi - first
                ranges.append((hex_start + _hex_col(a), hex_start + _hex_col(b - 1) + 2, style))
                ranges.append((ascii_start + 1 + a, ascii_start + 1 + b, style))
        out.append(_cut(line, ranges))
    return out


def _cut(line: str, ranges: list[tuple[int, int, str | None]]) -> Line:
    """``line`` in pieces, each styled by the last of ``ranges`` that covers it."""
    cuts = sorted({0, len(line), *(a for a, _, _ in ranges), *(b for _, b, _ in ranges)})
    pieces: Line = []
    for a, b in pairwise(cuts):
        style = next((st for lo, hi, st in reversed(ranges) if lo <= a and b <= hi), None)
        if pieces and pieces[-1][1] == style:
            pieces[-1] = (pieces[-1][0] + line[a:b], style)
        else:
            pieces.append((line[a:b], style))
    return pieces


def hexdump(
    data: bytes | bytearray | memoryview | ByteSource,
    *,
    base_offset: int = 0,
    spans: Sequence[tuple[int, int, str]] = (),
    width: int = 16,
    max_bytes: int | None = 4096,
    offset_style: str | None = "ws.offset",
    note_style: str | None = "ws.dim",
    ascii_only: bool = False,
) -> Text:
    """:func:`hexdump_pieces` as one rich Text (styles are theme names or rich definitions)."""
    from rich.text import Text  # here: plain-text output never imports rich

    lines = hexdump_pieces(
        data,
        base_offset=base_offset,
        spans=spans,
        width=width,
        max_bytes=max_bytes,
        offset_style=offset_style,
        note_style=note_style,
        ascii_only=ascii_only,
    )
    text = Text(no_wrap=True, overflow="crop")
    for n, line in enumerate(lines):
        if n:
            text.append("\n")
        for piece, style in line:
            text.append(piece, style)
    return text
