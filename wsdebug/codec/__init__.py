"""The sans-I/O codec: RFC 6455 frames and handshake, RFC 7692 permessage-deflate.

No module in this package performs I/O or imports a rendering or CLI library; a test walks the
imports to keep it that way.
"""

from .annotate import Field, annotate
from .close import CloseInfo, build_close_payload, parse_close
from .connection import Connection, State
from .events import CloseEvent, FailEvent, FrameEvent, HandshakeEvent, MessageEvent
from .frames import FrameParser, NeedMore, WireFrame, encode_frame
from .mask import unmask
from .opening import ClientConnection, ServerConnection
from .rules import Problem, Rule
from .spec import GUID, CloseCode, Direction, Opcode, Role
from .stream import FrameRecord, Message, StreamDecoder

__all__ = [
    "GUID",
    "ClientConnection",
    "CloseCode",
    "CloseEvent",
    "CloseInfo",
    "Connection",
    "Direction",
    "FailEvent",
    "Field",
    "FrameEvent",
    "FrameParser",
    "FrameRecord",
    "HandshakeEvent",
    "Message",
    "MessageEvent",
    "NeedMore",
    "Opcode",
    "Problem",
    "Role",
    "Rule",
    "ServerConnection",
    "State",
    "StreamDecoder",
    "WireFrame",
    "annotate",
    "build_close_payload",
    "encode_frame",
    "parse_close",
    "unmask",
]
