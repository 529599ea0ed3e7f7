"""JSON documents for programs (``--json``), built from the same Fields the views draw.

Schema (version 1) is documented in ``docs/json-schema.md``.  Nothing here imports rich.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..codec.annotate import Field, annotate
from ..codec.events import (
    CloseEvent,
    ConnectEvent,
    DisconnectEvent,
    ErrorEvent,
    Event,
    FailEvent,
    FrameEvent,
    HandshakeEvent,
    HttpEvent,
    InfoEvent,
    MessageEvent,
    NoteEvent,
    TlsEvent,
)
from ..codec.frames import NeedMore
from ..codec.rules import Problem
from ..codec.spec import Opcode
from ..codec.stream import FrameRecord, Message
from .charsafety import UNSAFE_IN_JSON

if TYPE_CHECKING:  # the handshake code loads with a handshake, not with decode --json
    from ..codec.accept import AcceptSteps
    from ..codec.handshake import Request, Response
    from .handshake_check import HandshakeCheck

SCHEMA_VERSION = 1

#: Payloads at least this long are :class:`Blob` s in the lazy documents the live modes build:
#: encoded by :func:`iter_json` in chunks (off the event loop), not by one ``json.dumps`` call.
LAZY_MIN = 64 << 10
CHUNK = 64 << 10  #: bytes of payload (or characters of text) encoded per step by iter_json


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """JSON that is safe to print: readable UTF-8, with terminal-active characters escaped.

    ``obj`` may hold :class:`Blob` values (they are encoded in full here).
    """
    if indent is None:
        return "".join(iter_json(obj))
    return _safe(json.dumps(obj, ensure_ascii=False, indent=indent, default=_blob_value))


def _safe(encoded: str) -> str:
    """``encoded`` JSON with terminal-active characters escaped (ASCII needs only a DEL check)."""
    if encoded.isascii() and "\x7f" not in encoded:  # json.dumps has escaped C0 already
        return encoded
    return UNSAFE_IN_JSON.sub(_json_escape, encoded)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells characters beyond the BMP as a UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


class Blob:
    """A large payload left unencoded in a document: hex of ``data`` (bytes) or ``data`` as text."""

    __slots__ = ("data",)

    def __init__(self, data: bytes | str) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)


def _blob_value(obj: Any) -> str:
    if isinstance(obj, Blob):
        return obj.data.hex() if isinstance(obj.data, bytes) else obj.data
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


#: What a Blob is written as in the skeleton before it is spliced in: random per process, so
#: no payload can spell it.
_MARK = f"@wsdebug-blob-{os.urandom(16).hex()}@"  # as secrets.token_hex, minus its imports
_QUOTED_MARK = f'"{_MARK}"'


def iter_json(obj: Any) -> Iterator[str]:
    """Compact, terminal-safe JSON for ``obj`` in pieces, each a bounded amount of work.

    Everything but the Blobs is one C-encoder call (``separators`` set, no ``indent``); each
    Blob is then encoded ``CHUNK`` at a time, so a thread writing a huge document lets others
    run between pieces and never holds the GIL for long.  ``"".join`` of the pieces is the
    same text ``dumps`` returns.
    """
    blobs: list[Blob] = []

    def default(o: Any) -> str:
        if isinstance(o, Blob):
            blobs.append(o)
            return _MARK
        raise TypeError(f"{type(o).__name__} is not JSON serializable")

    skeleton = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=default)
    skeleton = _safe(skeleton)
    pos = 0
    for blob in blobs:
        at = skeleton.index(_QUOTED_MARK, pos)
        yield skeleton[pos : at + 1]  # up to and including the opening quote
        pos = at + len(_QUOTED_MARK) - 1  # the closing quote comes with the next piece
        data = blob.data
        if isinstance(data, bytes):
            view = memoryview(data)
            for i in range(0, len(data), CHUNK):
                yield view[i : i + CHUNK].hex()
        else:
            for i in range(0, len(data), CHUNK):
                yield _safe(json.dumps(data[i : i + CHUNK], ensure_ascii=False)[1:-1])
    yield skeleton[pos:]


def _hex(data: bytes, limit: int | None, lazy: bool) -> str | Blob:
    data = data if limit is None else data[:limit]
    return Blob(data) if lazy and len(data) >= LAZY_MIN else data.hex()


def _text(text: str, limit: int | None, lazy: bool) -> tuple[str | Blob, int | None]:
    """``text`` cut to ``limit`` bytes of UTF-8, and its full UTF-8 length when it was cut."""
    full = None
    if limit is not None and len(text) > limit // 4:
        encoded = text.encode("utf-8", "surrogatepass")
        if len(encoded) > limit:
            full = len(encoded)
            text = encoded[:limit].decode("utf-8", "ignore")  # drops only a character cut in two
    return (Blob(text) if lazy and len(text) >= LAZY_MIN else text), full


def _cut(out: dict[str, Any], cut: dict[str, int]) -> dict[str, Any]:
    if cut:
        out["truncated"] = True
        out["full_lengths"] = cut
    return out


_FORMS = {7: "7-bit", 16: "16-bit", 64: "64-bit"}


def problem_json(p: Problem) -> dict[str, Any]:
    return {
        "offset": p.offset,
        "rule": p.rule.name,
        "message": p.message,
        "rfc": p.rfc,
        "close_code": p.rule.close_code,
    }


def field_json(f: Field, *, max_payload: int | None = None, lazy: bool = False) -> dict[str, Any]:
    """One FIELD; a byte field longer than ``max_payload`` is cut and marked ``truncated``."""
    out: dict[str, Any] = {
        "name": f.name,
        "offset": f.offset,
        "size": f.size,
        "value": f.raw if isinstance(f.raw, int) else _hex(f.raw, max_payload, lazy),
        "meaning": f.meaning,
    }
    if f.bits is not None:
        out["bits"] = f.bits
    if max_payload is not None and not isinstance(f.raw, int) and len(f.raw) > max_payload:
        out["truncated"] = True
    return out


def frame_json(
    rec: FrameRecord, *, fields: bool = True, max_payload: int | None = None, lazy: bool = False
) -> dict[str, Any]:
    """One FRAME.

    ``max_payload`` caps each payload-sized value (``payload_hex``, ``inflated_hex``, ``text``,
    the payload FIELD) at that many bytes; a cut frame gets ``truncated`` and ``full_lengths``.
    ``lazy`` leaves large values as :class:`Blob` s for :func:`iter_json`, so building the
    document costs no per-payload work on the caller's thread.
    """
    fr = rec.frame
    op = fr.opcode_raw
    cut: dict[str, int] = {}
    text: str | Blob | None = None
    carries_text = op in (Opcode.TEXT, Opcode.CONT, Opcode.CLOSE) or rec.inflated is not None
    if carries_text and rec.text is not None:
        text, full = _text(rec.text, max_payload, lazy)
        if full is not None:
            cut["text"] = full
    limit = max_payload
    if limit is not None and fr.payload_len > limit:
        cut["payload_hex"] = fr.payload_len
    inflated = rec.inflated
    if limit is not None and inflated is not None and len(inflated) > limit:
        cut["inflated_hex"] = len(inflated)
    close = rec.close
    out: dict[str, Any] = {
        "direction": None if rec.direction is None else rec.direction.value,
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
        "payload_hex": _hex(fr.payload, limit, lazy),
        "inflated_hex": _hex(inflated, limit, lazy) if inflated is not None else None,
        "text": text,
        "close_code": close.code if close else None,
        "close_reason": close.reason if close else None,
        "problems": [problem_json(p) for p in rec.problems],
    }
    if fields:
        out["fields"] = [field_json(f, max_payload=limit, lazy=lazy) for f in annotate(fr)]
    if rec.message is not None:
        out["message"] = message_json(rec.message, max_payload=limit, lazy=lazy)
    return _cut(out, cut)


def message_json(
    m: Message, *, max_payload: int | None = None, lazy: bool = False
) -> dict[str, Any]:
    """One MESSAGE, cut as :func:`frame_json` cuts a frame."""
    cut: dict[str, int] = {}
    text: str | Blob | None = None
    payload_hex: str | Blob | None = None
    if m.text is not None:
        text, full = _text(m.text, max_payload, lazy)
        if full is not None:
            cut["text"] = full
    else:
        payload_hex = _hex(m.payload, max_payload, lazy)
        if max_payload is not None and len(m.payload) > max_payload:
            cut["payload_hex"] = len(m.payload)
    return _cut(
        {
            "opcode": m.opcode,
            "opcode_name": "TEXT" if m.opcode == Opcode.TEXT else "BINARY",
            "offset": m.offset,
            "frames": m.frames,
            "compressed": m.compressed,
            "size": len(m.payload),
            "text": text,
            "payload_hex": payload_hex,
            "problems": [problem_json(p) for p in m.problems],
        },
        cut,
    )


def decode_document(
    records: list[FrameRecord],
    incomplete: NeedMore | None,
    problems: list[Problem] = (),  # type: ignore[assignment]
    *,
    max_payload: int | None = None,
) -> dict[str, Any]:
    """The ``decode --json`` document."""
    return {
        "schema": SCHEMA_VERSION,
        "frames": [frame_json(r, max_payload=max_payload) for r in records],
        "incomplete": {"offset": incomplete.offset, "needed": incomplete.needed}
        if incomplete
        else None,
        "problems": [problem_json(p) for p in problems],
    }


# -- events: one JSON object per event (the live modes' and replay's --json lines) -------------


def head_json(msg: Request | Response | None) -> dict[str, Any] | None:
    """An HTTP head of the opening handshake, every header with its offset and meaning."""
    if msg is None:
        return None
    from ..codec.handshake import Request

    out: dict[str, Any]
    if isinstance(msg, Request):
        out = {"method": msg.method, "target": msg.target, "version": msg.version}
    else:
        out = {"version": msg.version, "status": msg.status, "reason": msg.reason}
    out["headers"] = [
        {"name": h.name, "value": h.value, "offset": h.offset, "meaning": h.meaning}
        for h in msg.headers
    ]
    return out


def event_json(ev: Event, *, max_payload: int | None = None, lazy: bool = False) -> dict[str, Any]:
    """The JSON line for one event (docs/json-schema.md, "Events")."""
    base: dict[str, Any] = {"conn": ev.conn, "t": ev.t}
    if isinstance(ev, FrameEvent):
        doc = frame_json(ev.record, max_payload=max_payload, lazy=lazy)
        doc["direction"] = ev.direction.value
        return {"event": "frame", **base, **doc}
    if isinstance(ev, MessageEvent):
        doc = message_json(ev.message, max_payload=max_payload, lazy=lazy)
        return {"event": "message", **base, "direction": ev.direction.value, **doc}
    if isinstance(ev, HandshakeEvent):
        return {
            "event": "handshake",
            **base,
            "role": None if ev.role is None else ev.role.value,
            "request": head_json(ev.request),
            "response": head_json(ev.response),
            "accept_expected": ev.accept_expected,
            "subprotocol": ev.subprotocol,
            "extensions": ev.extensions,
            "ok": not ev.problems,
            "problems": [problem_json(p) for p in ev.problems],
        }
    if isinstance(ev, CloseEvent):
        return {
            "event": "close",
            **base,
            "code": ev.code,
            "reason": ev.reason,
            "initiator": ev.initiator_name,
            "clean": ev.clean,
        }
    if isinstance(ev, FailEvent):
        return {"event": "fail", **base, "code": ev.code, "problem": problem_json(ev.problem)}
    if isinstance(ev, NoteEvent):
        return {
            "event": "note",
            **base,
            "direction": None if ev.direction is None else ev.direction.value,
            "message": ev.text,
            "problem": ev.is_problem,
            "problems": [problem_json(p) for p in ev.problems],
        }
    if isinstance(ev, ConnectEvent):
        return {"event": "connect", **base, "peer": ev.peer}
    if isinstance(ev, DisconnectEvent):
        return {"event": "disconnect", **base, "reason": ev.reason}
    if isinstance(ev, HttpEvent):
        return {
            "event": "http",
            **base,
            "request": head_json(ev.request),
            "status": ev.status,
            "note": ev.note,
        }
    if isinstance(ev, TlsEvent):
        return {
            "event": "tls",
            **base,
            "version": ev.version,
            "cipher": ev.cipher,
            "alpn": ev.alpn,
            "subject": ev.subject,
            "issuer": ev.issuer,
            "sans": list(ev.sans),
            "not_after": ev.not_after,
            "verified": ev.verified,
        }
    if isinstance(ev, ErrorEvent):
        return {"event": "error", "conn": ev.conn or None, "message": ev.text}
    if isinstance(ev, InfoEvent):
        return {"event": "info", "message": ev.text}
    # A HeadEvent (one head of a replayed handshake) is written as part of its "handshake".
    raise TypeError(f"no JSON shape for {type(ev).__name__}")


# -- offline documents and capture records -------------------------------------------------------


def handshake_check_json(check: HandshakeCheck) -> dict[str, Any]:
    """The ``handshake check --json`` document."""
    from ..codec.handshake import Request

    msg = check.message
    out: dict[str, Any] = {"kind": check.kind}
    if isinstance(msg, Request):
        out.update(
            method=msg.method,
            target=msg.target,
            version=msg.version,
            is_websocket=msg.is_websocket,
            key=msg.key,
            expected_accept=check.expected_accept,
        )
    else:
        out.update(
            version=msg.version,
            status=msg.status,
            reason=msg.reason,
            expected_accept=check.expected_accept,
        )
    out["headers"] = [
        {
            "name": h.name,
            "value": h.value,
            "offset": h.offset,
            "size": h.size,
            "meaning": h.meaning,
            "problems": [problem_json(p) for p in h.problems],
        }
        for h in msg.headers
    ]
    out["problems"] = [problem_json(p) for p in check.problems]
    out["note"] = check.note or None
    return out


def accept_json(steps: AcceptSteps, problem: str | None) -> dict[str, Any]:
    """The ``handshake accept --json`` document: the computation step by step."""
    return {
        "key": steps.key,
        "concatenated": steps.concatenated,
        "sha1_hex": steps.sha1_hex,
        "accept": steps.accept,
        "key_problem": problem,
    }


def record_line(obj: dict[str, Any]) -> str:
    """One capture record (docs/capture-format.md) as a line: compact, by the C encoder."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"


def data_record_line(t: float, conn_json: str, direction: str, data: bytes) -> str:
    """A ``data`` record, built by hand (the recording's hot path; hex needs no escaping).

    ``conn_json`` is the connection id already JSON-quoted (callers cache it)."""
    return (
        f'{{"t":{t!r},"conn":{conn_json},"event":"data","dir":"{direction}",'
        f'"hex":"{data.hex()}"}}\n'
    )
