"""What each handshake header is for, in words, for the annotated header tables."""

from __future__ import annotations

from .spec import GUID

NOT_USED = "not used by the WebSocket handshake"
_OBSOLETE = "from a pre-RFC draft (hixie-76/hybi); obsolete, ignored by RFC 6455"
_MEANINGS: dict[str, str] = {
    "host": "the host (and port) the client connects to; required by HTTP/1.1",
    "upgrade": "asks the server to switch to the WebSocket protocol",
    "connection": "'Upgrade' marks the Upgrade header as a request to switch protocols",
    "sec-websocket-key": "random nonce; the server proves it read it via Sec-WebSocket-Accept",
    "sec-websocket-version": "the WebSocket protocol version the client speaks (must be 13)",
    "sec-websocket-accept": f"= base64(SHA-1(key + {GUID}))",
    "sec-websocket-protocol": "subprotocols the client offers, most preferred first",
    "sec-websocket-extensions": "extensions the client offers, e.g. permessage-deflate compression",
    "origin": "origin of the page that opened the socket; servers check it to refuse other sites",
    "user-agent": "the client software; " + NOT_USED,
    "cookie": "the site's cookies; often how a WebSocket handshake is authenticated",
    "authorization": "credentials, e.g. HTTP Basic or a bearer token",
    "pragma": "legacy cache directive; " + NOT_USED,
    "cache-control": "cache directives; " + NOT_USED,
    "accept": "content types wanted for a page; sent by plain HTTP page requests",
    "accept-encoding": "body compressions the client accepts; " + NOT_USED,
    "accept-language": "preferred languages; " + NOT_USED,
    "upgrade-insecure-requests": "a browser page load asking for HTTPS; not a WebSocket header",
    **dict.fromkeys(
        (
            "sec-websocket-key1",
            "sec-websocket-key2",
            "sec-websocket-origin",
            "sec-websocket-location",
            "websocket-origin",
            "websocket-location",
        ),
        _OBSOLETE,
    ),
    "set-cookie": "sets a cookie on the client",
    "server": "the server software; " + NOT_USED,
    "date": "when the response was made; " + NOT_USED,
    "content-type": "media type of the body",
    "content-length": "size of the body in bytes",
    **dict.fromkeys(("forwarded", "x-forwarded-for", "x-real-ip"), "client address set by a proxy"),
}
_RESPONSE_MEANINGS: dict[str, str] = {
    "upgrade": "the server confirms the switch to the WebSocket protocol",
    "connection": "'Upgrade' confirms the protocol switch",
    "sec-websocket-version": "versions the server supports (sent with 426 Upgrade Required)",
    "sec-websocket-protocol": "the one subprotocol the server chose from the client's offer",
    "sec-websocket-extensions": "extensions the server accepted; only these may be used",
}


def header_meaning(name: str, *, response: bool = False) -> str:
    lname = name.lower()
    if response and lname in _RESPONSE_MEANINGS:
        return _RESPONSE_MEANINGS[lname]
    return _MEANINGS.get(lname, NOT_USED if name else "")
