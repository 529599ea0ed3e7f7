"""``frame_json`` as text, from a template per header shape (``decode --json`` of many frames).

The JSON shapes stay in :mod:`wsdebug.capture.serialize`; this module only remembers the text
it writes for a frame of a common shape, so a later frame of that shape costs a format call,
not a document built as dicts and encoded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..codec.stream import FrameRecord, Message
from .serialize import _MARK, LAZY_MIN, _safe, frame_json, iter_json, message_json

__all__ = ["FrameText"]

_SLOT = re.compile(f'"{re.escape(_MARK)}([a-z][0-9]*)"')
_encode_str = json.encoder.encode_basestring  # the C encoder of one str (ensure_ascii=False)


_Fill = Callable[["FrameRecord"], str]  #: one header shape's template, as a function


_VALUES = {  #: the statement that computes each value a template puts in (in this order)
    "p": "p = fr.payload.hex()",
    "k": "k = fr.mask_key.hex()",
    "w": "w = fr.masked_payload.hex()",
    "t": "t = _safe(_encode_str(rec.text))",
}


def _compile_fill(skeleton: str) -> _Fill:
    """A function writing ``skeleton`` with each marker (``o<rel>``: the frame's offset plus
    rel; ``p``, ``k``, ``w``: hex; ``t``: the text as JSON) replaced by the frame's value.

    The function is one f-string: the static text is passed in as variables, never written
    into the source, so nothing in it is ever read as code.
    """
    env: dict[str, Any] = {"_safe": _safe, "_encode_str": _encode_str}
    body: list[str] = []
    used: set[str] = set()
    pos = 0
    for n, m in enumerate(_SLOT.finditer(skeleton)):
        name = m.group(1)
        quote = '"' if name in ("p", "k", "w") else ""
        env[f"s{n}"] = skeleton[pos : m.start()] + quote
        body.append(f"{{s{n}}}")
        body.append(f"{{o + {int(name[1:])}}}" if name[0] == "o" else f"{{{name}}}")
        used.add(name[0])
        pos = m.end()
        if quote:  # hex is written between quotes; an offset bare; the text as JSON
            env[f"q{n}"] = quote
            body.append(f"{{q{n}}}")
    env["s_end"] = skeleton[pos:]
    body.append("{s_end}")
    lines = ["def fill(rec):", "    fr = rec.frame", "    o = fr.offset"]
    lines += [f"    {stmt}" for kind, stmt in _VALUES.items() if kind in used]
    lines.append(f"    return f'{''.join(body)}'")
    exec("\n".join(lines), env)
    fill: _Fill = env["fill"]
    return fill


class FrameText:
    """``"".join(iter_json(frame_json(rec, lazy=True)))``, fast for the common frame.

    A valid data frame that is a whole message by itself (no problem, not compressed, not a
    close) differs from every other frame of its header shape (direction, FIN, RSV, opcode,
    mask bit, length form and payload length) only in its offsets, mask key, payload and
    text.  The document of the first such frame is encoded once with those values replaced
    by markers and cut at them; each later frame of that shape is the template's pieces with
    its own values put in (a slice assignment and a join, no encoder call).  The template is
    checked on the first frame of its shape against the usual encoding: a shape whose
    template would write anything else is always encoded the usual way.
    """

    def __init__(self) -> None:
        #: per header shape seen twice: its template (None: the usual encoding)
        self._shapes: dict[tuple[object, ...], _Fill | None] = {}
        self._seen: set[tuple[object, ...]] = set()  #: shapes seen once
        #: per opcode: whether the message line below matched the usual encoding (checked once)
        self._message_ok: dict[int, bool] = {}

    @staticmethod
    def simple(rec: FrameRecord) -> bool:
        """Whether ``rec`` is a frame the templates serve (payloads under LAZY_MIN)."""
        m, fr = rec.message, rec.frame
        if (
            m is None
            or rec.problems
            or fr.problems
            or m.problems
            or m.frames != 1
            or m.compressed
            or rec.inflated is not None
            or rec.close is not None
            or fr.payload_len >= LAZY_MIN
            or m.payload is not fr.payload
        ):
            return False
        if fr.opcode_raw == 1:
            return rec.text is not None and m.text == rec.text
        return fr.opcode_raw == 2 and rec.text is None and m.text is None

    def text(self, rec: FrameRecord) -> str | None:
        """The text of ``rec``'s FRAME, or None when it is not :meth:`simple`."""
        if not self.simple(rec):
            return None
        fr = rec.frame
        key = (rec.direction, *fr[1:9])
        try:
            fill = self._shapes[key]
        except KeyError:
            if key not in self._seen:  # a shape seen once costs no template (every frame
                if len(self._seen) >= 65536:  # of a capture may have its own length)
                    self._seen.clear()
                self._seen.add(key)
                return None
            if len(self._shapes) >= 4096:
                self._shapes.clear()
            fill = self._shapes[key] = self._template(rec)
        return None if fill is None else fill(rec)

    @staticmethod
    def _template(rec: FrameRecord) -> _Fill | None:
        fr = rec.frame
        doc = frame_json(rec, lazy=True)
        base = fr.offset

        def mark(name: str) -> str:
            return f"{_MARK}{name}"

        doc["offset"] = mark("o0")
        if fr.mask_key is not None:
            doc["mask_key"] = mark("k")
        doc["payload_hex"] = mark("p")
        if fr.opcode_raw == 1:
            doc["text"] = mark("t")
        for f in doc["fields"]:
            f["offset"] = mark(f"o{f['offset'] - base}")
            if f["name"] == "masking key":
                f["value"] = mark("k")
            elif f["name"] == "payload":  # the bytes as sent: the payload itself when unmasked
                f["value"] = mark("w" if fr.mask_key is not None else "p")
        msg = doc["message"]
        msg["offset"] = mark("o0")
        if fr.opcode_raw == 1:
            msg["text"] = mark("t")
        else:
            msg["payload_hex"] = mark("p")
        fill = _compile_fill("".join(iter_json(doc)))
        return fill if fill(rec) == "".join(iter_json(frame_json(rec, lazy=True))) else None

    def message(self, m: Message) -> str | None:
        """``"".join(iter_json(message_json(m, lazy=True)))`` for a plain message (TEXT that is
        valid UTF-8 or BINARY, not compressed, no problem, under LAZY_MIN), else None.

        The line is one format call; the first one of each opcode is compared with the usual
        encoding, and an opcode whose line differed is always encoded the usual way.
        """
        op = m.opcode
        if m.problems or m.compressed or len(m.payload) >= LAZY_MIN:
            return None
        if op == 1 and m.text is not None:
            name, text, payload_hex = "TEXT", _safe(_encode_str(m.text)), "null"
        elif op == 2 and m.text is None:
            name, text, payload_hex = "BINARY", "null", f'"{m.payload.hex()}"'
        else:
            return None
        line = (
            f'{{"opcode":{op},"opcode_name":"{name}","offset":{m.offset},"frames":{m.frames},'
            f'"compressed":false,"size":{len(m.payload)},'
            f'"text":{text},"payload_hex":{payload_hex},"problems":[]}}'
        )
        ok = self._message_ok.get(op)
        if ok is None:
            ok = self._message_ok[op] = line == "".join(iter_json(message_json(m, lazy=True)))
        return line if ok else None
