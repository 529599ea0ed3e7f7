"""Hints for input that decodes, but most likely was not meant as what it was decoded as."""

from __future__ import annotations

from ..codec.spec import Opcode
from .offline import Decoded

_DEFINED = {int(op) for op in Opcode} - {int(Opcode.CONT)}


def base64_payload_hint(data: bytes, result: Decoded) -> str | None:
    """For ``decode --base64``: base64 copied from DevTools' Messages panel is a message's
    payload, not frame bytes.  When the bytes do not decode cleanly as frames and the first
    "frame" is implausible (a continuation, a reserved opcode, RSV bits, or cut short), say so
    and show how to see the payload as a message."""
    if result.ok or not data:
        return None
    first = result.records[0] if result.records else None
    frame = first.frame if first is not None else None
    odd = (
        frame is None
        or frame.opcode_raw not in _DEFINED
        or frame.rsv1
        or frame.rsv2
        or frame.rsv3
        or (len(result.records) == 1 and result.incomplete is not None)
    )
    if not odd:
        return None
    shown = data.hex() if len(data) <= 48 else "HEX"
    how = f"wsdebug encode binary --hex {shown} -q | wsdebug decode"
    more = "" if len(data) <= 48 else " (HEX: the payload's bytes, e.g. base64 -d | xxd -p)"
    return (
        f"hint: these {len(data)} bytes do not decode as WebSocket frames; base64 from a "
        "browser's Messages panel is a message payload, not a frame: to see it as a message, "
        f"{how}{more}"
    )
