"""The RFC 6455 §5.2 base framing figure, drawn with one frame's actual bits.

The figure is laid out exactly like the RFC: a bit ruler, then 32-bit rows of boxes, two
columns per bit.  Every header byte is shown (FIN, RSV1-3, opcode, MASK, payload len, the
extended length and masking-key rows when present), with the frame's real bit values in the
cells and the field names stacked under them, each field in its theme colour.  The row that
holds the last header byte is completed with the first payload bytes, and a final line counts
the rest of the payload.  The cells come from :func:`wsdebug.codec.annotate.annotate`, so the
figure and the field table cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from wsdebug.codec.annotate import Field
from wsdebug.codec.frames import WireFrame, encode_header
from wsdebug.codec.mask import unmask
from wsdebug.codec.spec import close_code_meaning, opcode_name

from .styles import Line, field_style

_VERTICAL = {"FIN": "FIN", "RSV1": "RSV1", "RSV2": "RSV2", "RSV3": "RSV3", "MASK": "MASK"}
_RULER = (
    " 0                   1                   2                   3",
    " 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1",
)
_ROW_BITS = 32


class _Cell(NamedTuple):
    bit: int  #: first bit within its row
    nbits: int
    field: Field
    start: int  #: frame-relative bytes of this segment
    end: int
    bits: str  #: "1 0 0 0": the bit values, one column apart
    first: bool  #: the first segment of its field


def _spaced(bits: str) -> str:
    return " ".join(bits)


def _cells(frame: WireFrame, fields: Sequence[Field], shown: int, wire: bytes) -> list[list[_Cell]]:
    rows: list[list[_Cell]] = [[] for _ in range(-(-shown // 4))]
    for f in fields:
        rel = f.offset - frame.offset
        if rel >= shown:
            break
        if f.bits is not None:
            hi = f.bits.bit_length() - 1
            lo = (f.bits & -f.bits).bit_length() - 1
            nbits = hi - lo + 1
            pos = rel * 8 + 7 - hi
            value = (wire[rel] & f.bits) >> lo
            bits = _spaced(format(value, f"0{nbits}b"))
            rows[pos // _ROW_BITS].append(
                _Cell(pos % _ROW_BITS, nbits, f, rel, rel + 1, bits, True)
            )
            continue
        b, end = rel, min(rel + f.size, shown)
        while b < end:
            e = min(end, (b // 4 + 1) * 4)
            bits = "".join(format(x, "08b") for x in wire[b:e])
            rows[b // 4].append(_Cell((b % 4) * 8, (e - b) * 8, f, b, e, _spaced(bits), b == rel))
            b = e
    return rows


def _labels(cell: _Cell, frame: WireFrame, wire: bytes, dots: str) -> list[list[str]]:
    """Candidate texts for each label line of a cell, longest first."""
    f = cell.field
    name = f.name
    if name in _VERTICAL:
        return [[ch] for ch in _VERTICAL[name]]
    if name == "opcode":
        raw = int.from_bytes(f.raw, "big") if isinstance(f.raw, bytes) else f.raw
        return [["opcode"], [f"%x{raw:X}"], [opcode_name(raw), "rsvd"]]
    if name == "payload length":
        lines = [["payload len", "len"], [f"= {f.raw!s}"]]
        if frame.length_form != 7:
            lines.append([f"{frame.length_form}-bit next", "ext. next"])
        return lines
    seg = wire[cell.start : cell.end].hex(" ")
    cont = not cell.first
    if name.startswith("extended payload length"):
        if cont:
            return [["extended payload length (cont.)", "ext. len (cont.)", "(cont.)"], [seg]]
        return [
            ["extended payload length", "ext. payload len", "ext. len"],
            [seg],
            [f"= {frame.payload_len:,}", f"= {dots}"],
        ]
    if name == "masking key":
        return [["masking-key (cont.)" if cont else "masking-key", "key"], [seg]]
    masked = frame.mask_key is not None
    label = "payload data" if name == "payload" else name
    first_line = [label, label.split()[-1]]
    if masked:
        first_line.insert(0, f"{label} (masked)")
    if cont:
        first_line = [f"{label} (cont.)", *first_line]
    lines = [first_line, [seg]]
    plain = frame.payload[cell.start - frame.header_size : cell.end - frame.header_size]
    if masked:
        lines.append([f"unmasked: {plain.hex(' ')}", f"= {plain.hex(' ')}", f"= {dots}"])
    if name == "close code" and len(plain) == 2:
        code = int.from_bytes(plain, "big")
        lines.append([f"= {code} {close_code_meaning(code)}", f"= {code}"])
    return lines


def _fit(candidates: list[str], width: int) -> str:
    for c in candidates:
        if len(c) <= width:
            return c.center(width)
    return candidates[-1][:width]


def _border(above: list[_Cell], below: list[_Cell]) -> str:
    ext = max(_extent(above), _extent(below))
    edges = {0}
    for c in (*above, *below):
        edges.add(c.bit)
        edges.add(c.bit + c.nbits)
    continued: set[int] = set()
    for a in above:
        for b in below:
            if a.field is b.field:
                lo, hi = max(a.bit, b.bit), min(a.bit + a.nbits, b.bit + b.nbits)
                continued.update(range(lo, hi))
    chars = []
    for col in range(2 * ext + 1):
        bit = col // 2
        if col % 2 == 0:
            chars.append("+" if bit in edges else "-")
        else:
            chars.append(" " if bit in continued else "-")
    return "".join(chars)


def _extent(cells: list[_Cell]) -> int:
    return max((c.bit + c.nbits for c in cells), default=0)


def diagram_lines(
    frame: WireFrame, fields: Sequence[Field], *, ascii_only: bool = False
) -> list[Line]:
    """The RFC 6455 §5.2 figure for ``frame`` (whose ``fields`` come from ``annotate``) as lines.

    Each piece is tagged with its field's style name (:func:`~wsdebug.ui.styles.field_style`);
    ``ascii_only`` writes "..." for "…" (the rest of the figure is ASCII already).
    """
    shown = min(frame.size, -(-frame.header_size // 4) * 4)
    body = frame.payload[: shown - frame.header_size]
    wire = encode_header(frame) + (unmask(body, frame.mask_key) if frame.mask_key else body)
    rows = _cells(frame, fields, shown, wire)
    dots = "..." if ascii_only else "…"
    out: list[Line] = [[(line, "ws.dim")] for line in _RULER]
    prev: list[_Cell] = []
    for r, cells in enumerate(rows):
        out.append([(_border(prev, cells), None)])
        styles = [field_style(c.field.name) for c in cells]
        line: Line = [("|", None)]
        for c, st in zip(cells, styles, strict=True):
            line += [(c.bits, st), ("|", None)]
        last = min(shown, 4 * r + 4) - 1
        line.append((f"   bytes {4 * r}-{last}" if last > 4 * r else f"   byte {last}", "ws.dim"))
        out.append(line)
        labels = [_labels(c, frame, wire, dots) for c in cells]
        for i in range(max(len(lab) for lab in labels)):
            line = [("|", None)]
            for c, st, lab in zip(cells, styles, labels, strict=True):
                width = 2 * c.nbits - 1
                line += [(_fit(lab[i], width) if i < len(lab) else " " * width, st), ("|", None)]
            out.append(line)
        prev = cells
    rest = frame.size - shown
    if rest:
        tail = next(f for f in fields if f.offset - frame.offset + f.size > shown)
        pseudo = [_Cell(0, _ROW_BITS, tail, shown, frame.size, "", False)]
        out.append([(_border(prev, pseudo), None)])
        name = "payload data" if tail.name == "payload" else tail.name
        more = f"{name} continued: {rest:,} more byte{'s' if rest != 1 else ''}"
        out.append(
            [(":", None), (_fit([more], 2 * _ROW_BITS - 1), field_style(tail.name)), (":", None)]
        )
        prev = pseudo
    out.append([(_border(prev, []), None)])
    return out
