"""What a :class:`~wsdebug.codec.connection.Connection` reports, in the order it happened."""

from __future__ import annotations

from dataclasses import dataclass

from .deflate import DeflateParams
from .handshake import Request, Response
from .rules import Problem
from .stream import FrameRecord, Message

IN = "in"  #: received from the peer
OUT = "out"  #: sent by this endpoint


@dataclass(slots=True)
class FrameEvent:
    record: FrameRecord
    direction: str  #: IN or OUT


@dataclass(slots=True)
class MessageEvent:
    message: Message
    direction: str


@dataclass(slots=True)
class CloseEvent:
    """The connection reached CLOSED (or the transport ended first)."""

    code: int | None  #: the code the peer sent (1005 none, 1006 abnormal: no close frame)
    reason: str
    initiator: str  #: "us", "peer" or "transport"
    clean: bool  #: both close frames were exchanged


@dataclass(slots=True)
class FailEvent:
    """This endpoint failed the connection because of ``problem`` (RFC 6455 §7.1.7)."""

    problem: Problem
    code: int


@dataclass(slots=True)
class HandshakeEvent:
    """The opening handshake (RFC 6455 §4), as a client or server connection saw it.

    Emitted once the handshake is decided: ``accepted`` (the connection is now OPEN with
    ``subprotocol`` and ``deflate`` in force) or rejected (``status`` is the HTTP status sent or
    received, None when no response was ever complete).  A server also emits it with
    ``pending=True`` for a request it cannot decide alone, such as a plain
    HTTP GET (``HANDSHAKE_NOT_WEBSOCKET`` among the problems): the caller then calls
    ``accept()`` or ``reject()``, and a second, final event follows.
    """

    request: Request | None  #: the request sent (client) or received (server)
    response: Response | None  #: the response received (client) or sent (server)
    problems: list[Problem]  #: what is wrong with the peer's head (empty: a good handshake)
    accepted: bool
    status: int | None = None  #: HTTP status of the response
    subprotocol: str | None = None
    extensions: str | None = None  #: the Sec-WebSocket-Extensions value in force
    deflate: DeflateParams | None = None  #: negotiated permessage-deflate parameters
    accept_expected: str | None = None  #: the Sec-WebSocket-Accept the key calls for
    body: bytes = b""  #: bytes after a rejecting response's head, as far as received
    pending: bool = False  #: a server's request awaiting the caller's accept() or reject()


Event = FrameEvent | MessageEvent | CloseEvent | FailEvent | HandshakeEvent
