"""Names and constants of RFC 6455 (The WebSocket Protocol) and RFC 7692 (permessage-deflate).

Everything here is pure data: enums that follow the RFC's own names, and the numeric limits the
parser and the validators compare against.  Nothing in this module does I/O.
"""

from __future__ import annotations

import enum

#: RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

#: RFC 7230 §3.2.6: an HTTP token (header names, extension and parameter names).
HTTP_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"

# RFC 6455 §5.2: payload length forms.
LEN_7_MAX = 125  #: largest length that fits the 7-bit form
LEN_16_MARK = 126  #: 7-bit value announcing a 16-bit extended length
LEN_64_MARK = 127  #: 7-bit value announcing a 64-bit extended length
LEN_16_MAX = 0xFFFF

# RFC 6455 §5.5: all control frames MUST have a payload length of 125 bytes or less.
CONTROL_MAX = 125


class Opcode(enum.IntEnum):
    """RFC 6455 §5.2 / §11.8: the opcodes that are defined."""

    #: %x0 denotes a continuation frame
    CONT = 0x0
    #: %x1 denotes a text frame
    TEXT = 0x1
    #: %x2 denotes a binary frame
    BINARY = 0x2
    #: %x8 denotes a connection close
    CLOSE = 0x8
    #: %x9 denotes a ping
    PING = 0x9
    #: %xA denotes a pong
    PONG = 0xA

    @property
    def is_control(self) -> bool:
        return self >= 0x8

    @property
    def label(self) -> str:
        return OPCODE_LABELS[self]


OPCODE_LABELS = {
    Opcode.CONT: "continuation frame",
    Opcode.TEXT: "text frame",
    Opcode.BINARY: "binary frame",
    Opcode.CLOSE: "connection close",
    Opcode.PING: "ping",
    Opcode.PONG: "pong",
}

OPCODE_NAMES = {
    0x0: "CONT",
    0x1: "TEXT",
    0x2: "BINARY",
    0x8: "CLOSE",
    0x9: "PING",
    0xA: "PONG",
}


def opcode_name(raw: int) -> str:
    """Short upper-case name of an opcode, ``RESERVED-0x3`` for the reserved ones."""
    return OPCODE_NAMES.get(raw, f"RESERVED-0x{raw:X}")


def opcode_meaning(raw: int) -> str:
    if raw in OPCODE_NAMES:
        return f"opcode 0x{raw:X}: {OPCODE_LABELS[Opcode(raw)]}"
    kind = "control" if raw >= 0x8 else "non-control"
    return f"opcode 0x{raw:X}: reserved for further {kind} frames"


class Role(enum.Enum):
    """Which endpoint sent a stream of frames (RFC 6455 §5.1 masking depends on it)."""

    CLIENT = "client"
    SERVER = "server"

    @property
    def peer(self) -> Role:
        return Role.SERVER if self is Role.CLIENT else Role.CLIENT


class Direction(str, enum.Enum):
    """Which way bytes went on a connection: client to server, or server to client.

    The one direction type of wsdebug, from the codec to the JSON, the recording and the
    screen: its value (and, being a ``str``, the member itself) is what JSON and captures
    write, ``"c2s"`` or ``"s2c"``.  An endpoint that knows its own
    :class:`Role` gets the direction of what it sent with :meth:`of`.
    """

    C2S = "c2s"
    S2C = "s2c"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @classmethod
    def sent_by(cls, role: Role) -> Direction:
        return cls.C2S if role is Role.CLIENT else cls.S2C

    @classmethod
    def of(cls, role: Role, *, sent: bool) -> Direction:
        """The direction of a frame an endpoint playing ``role`` sent (or received)."""
        return cls.sent_by(role if sent else role.peer)

    @property
    def sender(self) -> Role:
        return Role.CLIENT if self is Direction.C2S else Role.SERVER

    @property
    def receiver(self) -> Role:
        return self.sender.peer

    @property
    def reverse(self) -> Direction:
        return Direction.S2C if self is Direction.C2S else Direction.C2S

    @property
    def arrow(self) -> str:
        """``→`` for client to server, ``←`` for server to client (as the screen draws them)."""
        return "→" if self is Direction.C2S else "←"

    @property
    def ascii_arrow(self) -> str:
        return "->" if self is Direction.C2S else "<-"


class CloseCode(enum.IntEnum):
    """RFC 6455 §7.4.1 and the IANA registry (§11.7)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    RESERVED_1004 = 1004
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_PAYLOAD = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015


CLOSE_CODE_MEANINGS = {
    1000: "normal closure",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported data",
    1004: "reserved",
    1005: "no status received (must not be sent)",
    1006: "abnormal closure (must not be sent)",
    1007: "invalid frame payload data",
    1008: "policy violation",
    1009: "message too big",
    1010: "mandatory extension",
    1011: "internal server error",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS handshake failure (must not be sent)",
}

#: RFC 6455 §7.4.1 / §7.4.2: codes that may appear in a close frame.
_SENDABLE_DEFINED = frozenset(
    {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
)


def close_code_meaning(code: int) -> str:
    if code in CLOSE_CODE_MEANINGS:
        return CLOSE_CODE_MEANINGS[code]
    if code < 1000:
        return "not used (0-999 must not be sent)"
    if code < 3000:
        return "reserved for future RFC 6455 revisions or extensions"
    if code < 4000:
        return "registered with IANA for libraries and frameworks"
    if code < 5000:
        return "private use by applications"
    return "out of range"


def close_code_is_valid(code: int) -> bool:
    """True for a code an endpoint may put in a close frame (Autobahn case 7.9 / 7.13)."""
    return code in _SENDABLE_DEFINED or 3000 <= code <= 4999


def host_port(host: str, port: int | str) -> str:
    """``host:port``, with an IPv6 address in brackets (RFC 3986 §3.2.2)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
