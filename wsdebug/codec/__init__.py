"""The sans-I/O codec: RFC 6455 frames and handshake, RFC 7692 permessage-deflate.

No module in this package performs I/O or imports a rendering or CLI library; a test walks the
imports to keep it that way.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

# ``annotate`` is also a submodule's name: bound here, the function wins over the module (an
# import of ``wsdebug.codec.annotate`` would otherwise leave the module in its place).
from .annotate import Field, annotate
from .close import CloseInfo, build_close_payload, parse_close
from .frames import FrameParser, NeedMore, WireFrame, encode_frame
from .mask import unmask
from .rules import Problem, Rule
from .spec import GUID, CloseCode, Direction, Opcode, Role
from .stream import FrameRecord, Message, StreamDecoder

if TYPE_CHECKING:
    from .connection import Connection, State
    from .events import CloseEvent, FailEvent, FrameEvent, HandshakeEvent, MessageEvent
    from .opening import ClientConnection, ServerConnection

#: The endpoint side of the codec (connection, events, the opening handshake) loads on first
#: use (PEP 562): ``decode`` and ``replay`` start without it.
_LAZY = {
    "Connection": "connection",
    "State": "connection",
    "CloseEvent": "events",
    "FailEvent": "events",
    "FrameEvent": "events",
    "HandshakeEvent": "events",
    "MessageEvent": "events",
    "ClientConnection": "opening",
    "ServerConnection": "opening",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    found: ModuleType
    if module == "connection":
        from . import connection as found
    elif module == "events":
        from . import events as found
    elif module == "opening":
        from . import opening as found
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(found, name)
    globals()[name] = value  # cached: the next access is a plain global
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
