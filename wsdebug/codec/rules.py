"""The catalogue of protocol rules a frame, message or handshake can break.

Each :class:`Rule` carries the RFC section it comes from, the close code an endpoint answers it
with (RFC 6455 §7.4.1), and a one-line summary.  A :class:`Problem` is one breach of a rule at
one byte of the stream.  Problems are data: the parser records them and carries on, so a
dissector can show every fault, while :mod:`wsdebug.codec.connection` decides which are fatal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Rule(enum.Enum):
    """(section, close code, summary) for every check wsdebug makes."""

    # -- frame header (RFC 6455 §5.2) ---------------------------------------------------------
    RSV_WITHOUT_EXTENSION = (
        "RFC 6455 §5.2",
        1002,
        "RSV bit set but no extension defining it was negotiated",
    )
    RESERVED_OPCODE = ("RFC 6455 §5.2", 1002, "reserved opcode")
    CONTROL_TOO_LONG = ("RFC 6455 §5.5", 1002, "control frame payload longer than 125 bytes")
    CONTROL_FRAGMENTED = (
        "RFC 6455 §5.5",
        1002,
        "control frame with FIN=0 (control frames must not be fragmented)",
    )
    NON_MINIMAL_LENGTH = (
        "RFC 6455 §5.2",
        1002,
        "payload length not in the minimal number of bytes",
    )
    LENGTH_HIGH_BIT = (
        "RFC 6455 §5.2",
        1002,
        "64-bit payload length with the most significant bit set",
    )
    UNMASKED_CLIENT_FRAME = ("RFC 6455 §5.1", 1002, "client-to-server frame is not masked")
    MASKED_SERVER_FRAME = ("RFC 6455 §5.1", 1002, "server-to-client frame is masked")
    # -- close frames (RFC 6455 §5.5.1, §7.4) -------------------------------------------------
    CLOSE_PAYLOAD_ONE_BYTE = (
        "RFC 6455 §5.5.1",
        1002,
        "close frame payload of 1 byte (a code needs 2)",
    )
    CLOSE_CODE_INVALID = ("RFC 6455 §7.4.1", 1002, "close code that must not be sent")
    CLOSE_REASON_UTF8 = ("RFC 6455 §5.5.1", 1007, "close reason is not valid UTF-8")
    # -- messages (RFC 6455 §5.4, §5.6, §8.1) --------------------------------------------------
    INVALID_UTF8 = ("RFC 6455 §8.1", 1007, "text message is not valid UTF-8")
    CONTINUATION_WITHOUT_START = (
        "RFC 6455 §5.4",
        1002,
        "continuation frame with no message to continue",
    )
    DATA_FRAME_INTERLEAVED = (
        "RFC 6455 §5.4",
        1002,
        "new data frame while a fragmented message is unfinished",
    )
    MESSAGE_TOO_BIG = ("RFC 6455 §7.4.1", 1009, "message larger than the maximum size")
    FRAME_AFTER_CLOSE = ("RFC 6455 §5.5.1", 1002, "data received after a close frame")
    TRUNCATED = ("RFC 6455 §5.2", 1006, "the stream ended inside a frame")
    # -- permessage-deflate (RFC 7692) ---------------------------------------------------------
    RSV1_ON_CONTINUATION = ("RFC 7692 §6.1", 1002, "RSV1 set on a continuation frame")
    RSV1_ON_CONTROL = ("RFC 7692 §6.1", 1002, "RSV1 set on a control frame")
    INFLATE_FAILED = ("RFC 7692 §6.2", 1007, "compressed payload does not inflate")
    # -- opening handshake (RFC 6455 §4) -----------------------------------------------------
    HANDSHAKE_MALFORMED = ("RFC 6455 §4.1", 1002, "malformed HTTP message")
    HANDSHAKE_METHOD = ("RFC 6455 §4.2.1", 1002, "method must be GET")
    HANDSHAKE_VERSION = ("RFC 6455 §4.2.1", 1002, "HTTP version must be 1.1 or higher")
    HANDSHAKE_HOST = ("RFC 6455 §4.2.1", 1002, "Host header missing")
    HANDSHAKE_UPGRADE = ("RFC 6455 §4.2.1", 1002, "Upgrade header must include 'websocket'")
    HANDSHAKE_CONNECTION = ("RFC 6455 §4.2.1", 1002, "Connection header must include 'Upgrade'")
    HANDSHAKE_KEY = ("RFC 6455 §4.2.1", 1002, "Sec-WebSocket-Key must be 16 bytes, base64-encoded")
    HANDSHAKE_WS_VERSION = ("RFC 6455 §4.2.1", 1002, "Sec-WebSocket-Version must be 13")
    HANDSHAKE_STATUS = ("RFC 6455 §4.1", 1002, "status must be 101 Switching Protocols")
    HANDSHAKE_ACCEPT = ("RFC 6455 §4.1", 1002, "Sec-WebSocket-Accept does not match the key")
    HANDSHAKE_SUBPROTOCOL = (
        "RFC 6455 §4.1",
        1002,
        "server chose a subprotocol the client did not offer",
    )
    HANDSHAKE_EXTENSION = ("RFC 6455 §9.1", 1002, "extension or parameter not offered or not valid")
    HANDSHAKE_DUPLICATE = ("RFC 6455 §11.3", 1002, "header must not appear more than once")
    HANDSHAKE_TOO_BIG = ("RFC 6455 §4.2.1", 1009, "handshake larger than the limit")
    HANDSHAKE_NOT_WEBSOCKET = (
        "RFC 6455 §4.2.1",
        1002,
        "plain HTTP request without Upgrade: websocket",
    )

    def __init__(self, section: str, close_code: int, summary: str) -> None:
        self.section = section
        self.close_code = close_code
        self.summary = summary


@dataclass(frozen=True, slots=True)
class Problem:
    """One breach of :attr:`rule` whose first offending byte is at stream ``offset``."""

    rule: Rule
    offset: int
    detail: str = ""

    @property
    def message(self) -> str:
        return f"{self.rule.summary}: {self.detail}" if self.detail else self.rule.summary

    @property
    def rfc(self) -> str:
        return self.rule.section

    def shifted(self, delta: int) -> Problem:
        return Problem(self.rule, self.offset + delta, self.detail)
