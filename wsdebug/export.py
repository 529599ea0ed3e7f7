"""JSON documents for programs (``--json``), built from the same Fields the views draw.

Schema (version 1) is documented in ``docs/json-schema.md``.  Nothing here imports rich.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .charsafety import UNSAFE_IN_JSON
from .codec.annotate import Field, annotate
from .codec.frames import NeedMore
from .codec.rules import Problem
from .codec.spec import Opcode
from .codec.stream import FrameRecord, Message

SCHEMA_VERSION = 1

def dumps(obj: Any, *, indent: int | None = None) -> str:
    """JSON that is safe to print: readable UTF-8, with terminal-active characters escaped."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":"))
    return UNSAFE_IN_JSON.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells characters beyond the BMP as a UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"

_FORMS = {7: "7-bit", 16: "16-bit", 64: "64-bit"}


def problem_json(p: Problem) -> dict[str, Any]:
    return {"offset": p.offset, "rule": p.rule.name, "message": p.message, "rfc": p.rfc,
            "close_code": p.rule.close_code}


def field_json(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": f.name,
        "offset": f.offset,
        "size": f.size,
        "value": f.raw if isinstance(f.raw, int) else f.raw.hex(),
        "meaning": f.meaning,
    }
    if f.bits is not None:
        out["bits"] = f.bits
    return out


def frame_json(rec: FrameRecord, *, fields: bool = True) -> dict[str, Any]:
    fr = rec.frame
    op = fr.opcode_raw
    text = None
    if op in (Opcode.TEXT, Opcode.CONT, Opcode.CLOSE) or rec.inflated is not None:
        text = rec.text
    close = rec.close
    out: dict[str, Any] = {
        "direction": None if rec.direction is None else ("c2s" if rec.direction.value == "client" else "s2c"),
        "offset": fr.offset,
        "size": fr.size,
        "fin": fr.fin,
        "rsv1": fr.rsv1,
        "rsv2": fr.rsv2,
        "rsv3": fr.rsv3,
        "opcode": op,
        "opcode_name": fr.opcode_name,
        "masked": fr.masked,
        "mask_key": fr.mask_key.hex() if fr.mask_key is not None else None,
        "length_form": _FORMS[fr.length_form],
        "payload_length": fr.payload_len,
        "payload_hex": fr.payload.hex(),
        "inflated_hex": rec.inflated.hex() if rec.inflated is not None else None,
        "text": text,
        "close_code": close.code if close else None,
        "close_reason": close.reason if close else None,
        "problems": [problem_json(p) for p in rec.problems],
    }
    if fields:
        out["fields"] = [field_json(f) for f in annotate(fr)]
    if rec.message is not None:
        out["message"] = message_json(rec.message)
    return out


def message_json(m: Message) -> dict[str, Any]:
    return {
        "opcode": m.opcode,
        "opcode_name": "TEXT" if m.opcode == Opcode.TEXT else "BINARY",
        "offset": m.offset,
        "frames": m.frames,
        "compressed": m.compressed,
        "size": len(m.payload),
        "text": m.text,
        "payload_hex": m.payload.hex() if m.text is None else None,
        "problems": [problem_json(p) for p in m.problems],
    }


def decode_document(
    records: list[FrameRecord], incomplete: NeedMore | None, problems: list[Problem] = ()  # type: ignore[assignment]
) -> dict[str, Any]:
    """The ``decode --json`` document."""
    return {
        "schema": SCHEMA_VERSION,
        "frames": [frame_json(r) for r in records],
        "incomplete": {"offset": incomplete.offset, "needed": incomplete.needed} if incomplete else None,
        "problems": [problem_json(p) for p in problems],
    }
