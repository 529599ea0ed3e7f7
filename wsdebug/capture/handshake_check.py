"""``wsdebug handshake check``: parse and validate a pasted request or response."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..codec.handshake import (
    Request,
    Response,
    accept_key,
    parse_request,
    parse_response,
    validate_request,
    validate_response,
)
from ..codec.rules import Problem


@dataclass
class HandshakeCheck:
    kind: str  #: "request" or "response"
    message: Request | Response
    problems: list[Problem] = field(default_factory=list)
    expected_accept: str | None = None
    note: str = ""


def normalise(text: str) -> bytes:
    """Pasted heads often lost their CRs or their final empty line: restore both."""
    body = text.replace("\r\n", "\n").lstrip("\n")
    head, sep, _rest = body.partition("\n\n")
    head = head.rstrip("\n")
    return (head.replace("\n", "\r\n") + "\r\n\r\n").encode("latin-1", errors="replace")


def check_handshake(text: str, *, key: str | None = None) -> HandshakeCheck:
    raw = normalise(text)
    if raw.startswith(b"HTTP/"):
        resp = parse_response(raw)
        if key is None:  # a response on its own: what was offered is not known either
            problems = validate_response(
                resp, key=None, offered_subprotocols=None, offered_extensions=None
            )
            note = "no --key given: the Accept value was not checked"
            return HandshakeCheck("response", resp, problems, None, note)
        known = validate_response(resp, key=key, offered_subprotocols=None, offered_extensions=None)
        return HandshakeCheck("response", resp, known, accept_key(key))
    req = parse_request(raw)
    problems = validate_request(req)
    expected = accept_key(req.key) if req.key else None
    note = ""
    if not req.is_websocket and req.method == "GET":
        note = (
            "a plain HTTP request, like a browser's address bar sends: a WebSocket client adds "
            "Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key and Sec-WebSocket-Version: 13"
        )
    return HandshakeCheck("request", req, problems, expected, note)
