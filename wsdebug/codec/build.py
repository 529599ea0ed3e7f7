"""Building opening-handshake heads (RFC 6455 §4.1, §4.2.2): a client request, the server's
101 with the right Sec-WebSocket-Accept, an HTTP error or page.  Re-exported by
:mod:`wsdebug.codec.handshake`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from wsdebug.codec.accept import accept_key, make_key

WS_VERSION = "13"


class _Keyed(Protocol):
    """What a response is built from: the request's Sec-WebSocket-Key (a parsed Request)."""

    @property
    def key(self) -> str | None: ...


def _encode(start: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [start, *(f"{name}: {value}" for name, value in headers)]
    for text in lines:
        if "\r" in text or "\n" in text:
            raise ValueError(f"line break inside a header line: {text!r}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def build_request(
    host: str,
    path: str = "/",
    *,
    key: str | None = None,
    subprotocols: Sequence[str] = (),
    extensions: str | None = None,
    origin: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> tuple[bytes, str]:
    """A client opening handshake; returns (request bytes, the Sec-WebSocket-Key used).

    A ``Host`` or ``Origin`` among ``headers`` replaces the default rather than repeating it.
    """
    key = make_key() if key is None else key
    if isinstance(subprotocols, str):
        subprotocols = [subprotocols]
    for name, value in headers:
        if name.lower() == "host":
            host = value
        elif name.lower() == "origin":
            origin = value
    headers = [(n, v) for n, v in headers if n.lower() not in ("host", "origin")]
    lines = [
        ("Host", host),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", WS_VERSION),
    ]
    if subprotocols:
        lines.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
    if extensions:
        lines.append(("Sec-WebSocket-Extensions", extensions))
    if origin:
        lines.append(("Origin", origin))
    return _encode(f"GET {path} HTTP/1.1", [*lines, *headers]), key


def build_response(
    req: _Keyed,
    *,
    subprotocol: str | None = None,
    extensions: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The server's 101 Switching Protocols answer to ``req``."""
    if req.key is None:
        raise ValueError("the request has no Sec-WebSocket-Key")
    lines = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key(req.key)),
    ]
    if subprotocol:
        lines.append(("Sec-WebSocket-Protocol", subprotocol))
    if extensions:
        lines.append(("Sec-WebSocket-Extensions", extensions))
    return _encode("HTTP/1.1 101 Switching Protocols", [*lines, *headers])


def build_error_response(
    status: int,
    reason: str,
    body: str,
    content_type: str = "text/plain; charset=utf-8",
    headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """An HTTP error page (e.g. 400, or 426 which gets 'Sec-WebSocket-Version: 13' added)."""
    data = body.encode("utf-8")
    lines = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(data))),
        ("Connection", "close"),
    ]
    if status == 426 and not any(n.lower() == "sec-websocket-version" for n, _ in headers):
        lines.append(("Sec-WebSocket-Version", WS_VERSION))
    return _encode(f"HTTP/1.1 {status} {reason}", [*lines, *headers]) + data
