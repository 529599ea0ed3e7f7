"""The field table of ``--detail fields`` as aligned text lines, no rich Table per frame.

:class:`FieldLayout` computes the columns once for a whole output; :class:`FieldRows` draws
each frame's table from templates made once per distinct header (the fields of
:func:`~wsdebug.codec.annotate.annotate`).  :mod:`wsdebug.ui.rows` re-exports these names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wsdebug.codec.annotate import Field, annotate, payload_fields
from wsdebug.codec.frames import WireFrame, encode_header

__all__ = ["FieldLayout", "FieldRows", "bits_text", "field_rows", "field_value"]


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


def bits_text(byte: int, mask: int) -> str:
    """The bits of ``byte`` under ``mask`` as the field table shows them: ``1... ....``."""
    s = "".join(str(byte >> i & 1) if mask >> i & 1 else "." for i in range(7, -1, -1))
    return s[:4] + " " + s[4:]


_BITS: dict[tuple[int, int], str] = {}


def _bits_cached(byte: int, mask: int) -> str:
    key = (byte, mask)
    out = _BITS.get(key)
    if out is None:
        out = _BITS[key] = bits_text(byte, mask)
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


_PER_FRAME = frozenset({"masking key", "payload", "close code", "close reason"})


class FieldRows:
    """The field table of each frame as text lines: a header, a rule, one line per field.

    The header fields (FIN to the extended length) depend only on the header's values, so
    their rows are formatted once per distinct header and then stamped with the offset; only
    the masking key and the payload rows are formatted per frame.
    """

    def __init__(self, layout: FieldLayout, ellipsis: str) -> None:
        self.layout, self.ellipsis = layout, ellipsis
        self.head = layout.header()
        #: per distinct header: the table's first lines as a format string whose fields {0}
        #: {1} {2} are the offset cells of the frame's bytes 0-2, and the key's meaning
        self._templates: dict[tuple[object, ...], tuple[str, str]] = {}

    def _rest(self, f: Field, frame: WireFrame, head: bytes) -> str:
        """A row after its offset cell."""
        lay, s = self.layout, self.layout.sep
        rel = f.offset - frame.offset
        span = str(rel) if f.size == 1 else f"{rel}-{rel + f.size - 1}"
        bits = _bits_cached(head[rel], f.bits) if f.bits is not None else ""
        value = field_value(f, self.ellipsis, frame)
        return (
            f"{s}{span:<{lay.span}}{s}{bits:<{lay.bits}}{s}{f.name:<{lay.field}}{s}"
            f"{value:<{lay.value}}{s}{f.meaning}"
        )

    def _template(self, frame: WireFrame) -> tuple[str, str]:
        """The header rows of frames like ``frame``, and the masking key's meaning."""
        head = encode_header(frame)[:2]
        lines = [line.replace("{", "{{").replace("}", "}}") for line in self.head]
        key_meaning = ""
        for f in annotate(_short(frame)):
            if f.name == "masking key":
                key_meaning = f.meaning
            if f.name in _PER_FRAME:
                continue
            rel = f.offset - frame.offset
            assert rel < 3  # the bit fields of bytes 0 and 1, the extended length at 2
            rest = self._rest(f, frame, head).replace("{", "{{").replace("}", "}}")
            lines.append(f"{{{rel}}}{rest}")
        return "\n".join(lines), key_meaning

    def block(self, frame: WireFrame) -> str:
        """The table of one frame as one string of lines (the fields of ``annotate()``)."""
        key = frame[1:9]  # fin, rsv1-3, opcode, masked, length form, payload length
        template = self._templates.get(key)
        if template is None:
            if len(self._templates) >= 4096:
                self._templates.clear()
            template = self._templates[key] = self._template(frame)
        fmt, key_meaning = template
        wo, base = self.layout.offset, frame.offset
        out = fmt.format(
            f"0x{base:04x}".ljust(wo), f"0x{base + 1:04x}".ljust(wo), f"0x{base + 2:04x}".ljust(wo)
        )
        mask_key = frame.mask_key
        if mask_key is not None:
            rel = frame.header_size - 4
            f = Field("masking key", base + rel, 4, None, mask_key, key_meaning)
            out += f"\n{f'0x{base + rel:04x}':<{wo}}{self._rest(f, frame, b'')}"
        if frame.payload_len:
            for f in payload_fields(_short(frame)):
                out += f"\n{f'0x{f.offset:04x}':<{wo}}{self._rest(f, frame, b'')}"
        return out

    def rows(self, frame: WireFrame) -> list[str]:
        """The table of one frame as a list of lines."""
        return self.block(frame).split("\n")


def _short(frame: WireFrame) -> WireFrame:
    """``frame`` with at most 256 payload bytes (sizes unchanged): the rows show only 4."""
    return frame if frame.payload_len <= 256 else frame._replace(payload=frame.payload[:256])


def field_rows(frame: WireFrame, layout: FieldLayout, ellipsis: str) -> list[str]:
    """One frame's field table as text lines (see :class:`FieldRows`, which caches)."""
    return FieldRows(layout, ellipsis).rows(frame)
