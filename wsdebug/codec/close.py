"""Close frame payloads (RFC 6455 §5.5.1, §7.4): a 2-byte code and a UTF-8 reason."""

from __future__ import annotations

from typing import NamedTuple

from .rules import Problem, Rule
from .spec import close_code_is_valid, close_code_meaning
from .utf8 import utf8_error_index


class CloseInfo(NamedTuple):
    code: int | None
    reason: str | None  #: None when the reason is not valid UTF-8
    reason_bytes: bytes
    problems: tuple[Problem, ...]


def parse_close(payload: bytes, offset: int = 0) -> CloseInfo:
    """Read a close payload whose first byte is at stream ``offset``; never raises."""
    if not payload:
        return CloseInfo(None, "", b"", ())
    if len(payload) == 1:
        return CloseInfo(None, None, b"", (Problem(Rule.CLOSE_PAYLOAD_ONE_BYTE, offset),))
    code = int.from_bytes(payload[:2], "big")
    problems: list[Problem] = []
    if not close_code_is_valid(code):
        problems.append(
            Problem(Rule.CLOSE_CODE_INVALID, offset, f"{code} ({close_code_meaning(code)})")
        )
    raw = payload[2:]
    try:
        reason: str | None = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = None
        bad = utf8_error_index(exc)
        problems.append(Problem(Rule.CLOSE_REASON_UTF8, offset + 2 + bad, f"byte 0x{raw[bad]:02x}"))
    return CloseInfo(code, reason, raw, tuple(problems))


def build_close_payload(code: int | None = None, reason: str | bytes = b"") -> bytes:
    """Payload for a close frame; ``code=None`` gives an empty payload (no status)."""
    if code is None:
        return b""
    if not 0 <= code <= 0xFFFF:
        raise ValueError(f"close code must fit 2 bytes, not {code}")
    raw = reason.encode("utf-8") if isinstance(reason, str) else reason
    return code.to_bytes(2, "big") + raw
