"""Every byte of a frame, named: the fields of RFC 6455 §5.2 with offsets, bits and meanings.

:func:`annotate` is pure and lazy: the parser never calls it, so a plain parse pays nothing.
The fields it returns cover each byte of the frame exactly once at byte level: bytes 0 and 1
are split into bit fields (FIN, RSV1-3, opcode; MASK, 7-bit length) whose masks add up to
0xFF, and every other byte belongs to exactly one whole-byte field.
"""

from __future__ import annotations

from typing import NamedTuple

from .frames import WireFrame, encode_header
from .spec import close_code_meaning, opcode_meaning


class Field(NamedTuple):
    """One field of a frame on the wire."""

    name: str  #: "FIN", "RSV1", ..., "opcode", "MASK", "payload length", ...
    offset: int  #: stream offset of the field's first byte
    size: int  #: bytes the field spans (1 for bit fields)
    bits: int | None  #: mask within the byte, for fields smaller than a byte
    raw: int | bytes  #: the value on the wire (bits shifted down; bytes as sent)
    meaning: str

    @property
    def value(self) -> str:
        """The raw value in the notation of RFC 6455: binary for bits, hex for bytes."""
        if isinstance(self.raw, bytes):
            return self.raw.hex(" ") if len(self.raw) <= 16 else self.raw[:16].hex(" ") + " …"
        if self.bits is not None:
            width = bin(self.bits).count("1")
            return format(self.raw, f"0{width}b") if width > 1 else str(self.raw)
        return str(self.raw)


def _flag(on: int, yes: str, no: str) -> str:
    return yes if on else no


#: (name, offset from the frame's start, size, bits, raw, meaning) per header shape
_Template = tuple[tuple[str, int, int, int | None, object, str], ...]
_TEMPLATES: dict[tuple[object, ...], _Template] = {}
_TEMPLATE_LIMIT = 4096
_new_field = tuple.__new__


def annotate(frame: WireFrame) -> tuple[Field, ...]:
    """The fields of ``frame`` in wire order.

    The header fields depend only on the header's values, so they are built once per distinct
    header (a template with offsets relative to the frame) and then stamped with the offset.
    """
    if frame.opcode_raw == 0x8 or frame.length_form == 7 and frame.payload_len > 125:
        return _annotate(frame)
    key = frame[1:9]  # fin, rsv1-3, opcode, masked, length form, payload length
    template = _TEMPLATES.get(key)
    if template is None:
        if len(_TEMPLATES) >= _TEMPLATE_LIMIT:
            _TEMPLATES.clear()
        template = _TEMPLATES[key] = tuple(
            (f.name, f.offset - frame.offset, f.size, f.bits, f.raw, f.meaning)
            for f in _annotate(frame)
            if f.name not in ("masking key", "payload")
        )
    o = frame.offset
    out = [
        _new_field(Field, (n, o + rel, size, bits, raw, meaning))
        for n, rel, size, bits, raw, meaning in template
    ]
    if frame.mask_key is not None:
        out.append(
            _new_field(
                Field,
                ("masking key", o + frame.header_size - 4, 4, None, frame.mask_key, _KEY_MEANING),
            )
        )
    out.extend(payload_fields(frame))
    return tuple(out)


_KEY_MEANING = "XOR key for the payload, byte i with key[i % 4]"


def _annotate(frame: WireFrame) -> tuple[Field, ...]:
    o = frame.offset
    header = encode_header(frame) if frame.header_size > 2 else None
    b1_len = {7: frame.payload_len, 16: 126, 64: 127}[frame.length_form]
    if frame.length_form == 7 and frame.payload_len > 125:
        b1_len = frame.payload_len  # only for hand-built frames; the parser never makes these
    fields = [
        Field(
            "FIN",
            o,
            1,
            0x80,
            int(frame.fin),
            _flag(frame.fin, "final fragment of a message", "more fragments follow"),
        ),
        Field(
            "RSV1",
            o,
            1,
            0x40,
            int(frame.rsv1),
            _flag(
                frame.rsv1,
                "set: compressed message (permessage-deflate) or extension",
                "reserved, 0",
            ),
        ),
        Field(
            "RSV2",
            o,
            1,
            0x20,
            int(frame.rsv2),
            _flag(frame.rsv2, "set: needs an extension", "reserved, 0"),
        ),
        Field(
            "RSV3",
            o,
            1,
            0x10,
            int(frame.rsv3),
            _flag(frame.rsv3, "set: needs an extension", "reserved, 0"),
        ),
        Field("opcode", o, 1, 0x0F, frame.opcode_raw, opcode_meaning(frame.opcode_raw)),
        Field(
            "MASK",
            o + 1,
            1,
            0x80,
            int(frame.masked),
            _flag(frame.masked, "payload is masked (client to server)", "payload is not masked"),
        ),
    ]
    if frame.length_form == 7:
        fields.append(
            Field(
                "payload length",
                o + 1,
                1,
                0x7F,
                b1_len,
                f"7-bit form: payload is {_bytes(frame.payload_len)}",
            )
        )
    else:
        nbytes = 2 if frame.length_form == 16 else 8
        fields.append(
            Field(
                "payload length",
                o + 1,
                1,
                0x7F,
                b1_len,
                f"{b1_len}: a {frame.length_form}-bit length follows",
            )
        )
        assert header is not None
        fields.append(
            Field(
                f"extended payload length ({frame.length_form}-bit)",
                o + 2,
                nbytes,
                None,
                header[2 : 2 + nbytes],
                f"payload is {_bytes(frame.payload_len)}",
            )
        )
    if frame.mask_key is not None:
        fields.append(
            Field("masking key", o + frame.header_size - 4, 4, None, frame.mask_key, _KEY_MEANING)
        )
    fields.extend(payload_fields(frame))
    return tuple(fields)


def _bytes(n: int) -> str:
    return "1 byte" if n == 1 else f"{n:,} bytes"


def payload_fields(frame: WireFrame) -> list[Field]:
    """The payload as one field, or for a close frame its code and reason (RFC 6455 §5.5.1)."""
    n = frame.payload_len
    if n == 0:
        return []
    start = frame.payload_offset
    wire = frame.masked_payload
    masked = " (masked)" if frame.masked else ""
    if frame.opcode_raw == 0x8 and n >= 2:
        code = int.from_bytes(frame.payload[:2], "big")
        out = [
            Field(
                "close code",
                start,
                2,
                None,
                wire[:2],
                f"{code}: {close_code_meaning(code)}{masked}",
            )
        ]
        if n > 2:
            out.append(
                Field(
                    "close reason",
                    start + 2,
                    n - 2,
                    None,
                    wire[2:],
                    f"{_bytes(n - 2)} of UTF-8{masked}",
                )
            )
        return out
    what = "application data" if frame.opcode_raw < 0x8 else "control frame data"
    return [Field("payload", start, n, None, wire, f"{_bytes(n)} of {what}{masked}")]
