"""The one event family: what happened on a connection, in the order it happened.

Theory of operation
-------------------
Every source of WebSocket traffic reports the same events: a live
:class:`~wsdebug.codec.connection.Connection` (``connect``, ``listen``), a conversation rebuilt
from a capture (``replay``) and, later, each leg of a proxied connection.  Renderers
(``wsdebug.ui``) and the serializer (``wsdebug.capture.serialize``) dispatch on the class and
read nothing else.

Each event has a connection id ``conn`` and a time ``t`` (seconds since the epoch; 0 when the
source has no clock, as for a hex dump).  The codec has neither — it is sans-I/O — so its
events carry the defaults and the layer that owns the socket stamps them (:func:`stamp`).

A frame or message carries its :class:`~wsdebug.codec.spec.Direction` (client to server or
server to client), never "in"/"out": an endpoint knows its :class:`~wsdebug.codec.spec.Role`
and so the direction of what it sent.  A close names its initiator by role, None when the
transport ended first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING

from .rules import Problem
from .spec import Direction, Role
from .stream import FrameRecord, Message

if TYPE_CHECKING:  # annotations only: the serializer loads events without the handshake code
    from .deflate import DeflateParams
    from .handshake import Request, Response


@dataclass(slots=True)
class Event:
    """The base of every event."""

    _: KW_ONLY
    conn: str = ""  #: connection id ("c1", ...); "" before the socket layer stamps it
    t: float = 0.0  #: seconds since the epoch; 0 when unknown

    @property
    def problems_found(self) -> list[Problem]:
        """The problems this event reports (empty for most)."""
        return []


@dataclass(slots=True)
class ConnectEvent(Event):
    """A TCP connection was made (``role`` is the side that reports it)."""

    peer: str  #: "host:port" of the other end
    local: str = ""
    role: Role | None = None
    url: str | None = None


@dataclass(slots=True)
class HandshakeEvent(Event):
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
    problems: list[Problem]  #: what is wrong with the heads (empty: a good handshake)
    accepted: bool
    status: int | None = None  #: HTTP status of the response
    subprotocol: str | None = None
    extensions: str | None = None  #: the Sec-WebSocket-Extensions value in force
    deflate: DeflateParams | None = None  #: negotiated permessage-deflate parameters
    accept_expected: str | None = None  #: the Sec-WebSocket-Accept the key calls for
    body: bytes = b""  #: bytes after a rejecting response's head, as far as received
    pending: bool = False  #: a server's request awaiting the caller's accept() or reject()
    role: Role | None = None  #: the side that saw it (None: a capture's third-party view)

    @property
    def problems_found(self) -> list[Problem]:
        return self.problems


@dataclass(slots=True)
class HeadEvent(Event):
    """One HTTP head of the opening handshake crossing the wire, as a capture shows it: the
    request (``c2s``) or the response (``s2c``), with what is wrong with it."""

    direction: Direction
    head: Request | Response
    problems: list[Problem] = field(default_factory=list)

    @property
    def problems_found(self) -> list[Problem]:
        return self.problems


@dataclass(slots=True)
class FrameEvent(Event):
    """One frame, sent or received; ``number`` counts a conversation's frames from 1 (0: not
    counted)."""

    record: FrameRecord
    direction: Direction
    number: int = 0

    @property
    def problems(self) -> list[Problem]:
        return self.record.problems

    @property
    def problems_found(self) -> list[Problem]:
        return self.record.problems


@dataclass(slots=True)
class MessageEvent(Event):
    """A data message, complete (reported after the frame that completes it)."""

    message: Message
    direction: Direction

    @property
    def problems_found(self) -> list[Problem]:
        return self.message.problems


@dataclass(slots=True)
class CloseEvent(Event):
    """The connection reached CLOSED (or the transport ended first): the one close summary."""

    code: int | None  #: the code received (1005 none, 1006 abnormal: no close frame)
    reason: str
    initiator: Role | None  #: who sent the first close frame; None: the transport ended first
    clean: bool  #: both close frames were exchanged

    @property
    def initiator_name(self) -> str:
        """ "client", "server" or "transport" (what JSON says)."""
        return "transport" if self.initiator is None else self.initiator.value


@dataclass(slots=True)
class FailEvent(Event):
    """This endpoint failed the connection because of ``problem`` (RFC 6455 §7.1.7)."""

    problem: Problem
    code: int

    @property
    def problems_found(self) -> list[Problem]:
        return [self.problem]


@dataclass(slots=True)
class NoteEvent(Event):
    """Something about a stream that is not a frame: a truncation, a TCP gap, an HTTP body,
    what a capture's source could not say (``is_problem`` when it counts as one)."""

    text: str
    direction: Direction | None = None
    problems: list[Problem] = field(default_factory=list)
    is_problem: bool = False

    @property
    def problems_found(self) -> list[Problem]:
        return self.problems


@dataclass(slots=True)
class HttpEvent(Event):
    """A plain HTTP request (no Upgrade) and the status it was answered with."""

    request: Request
    status: int
    note: str


@dataclass(slots=True)
class DisconnectEvent(Event):
    """The TCP connection ended; ``reason`` in words."""

    reason: str


@dataclass(slots=True)
class TlsEvent(Event):
    """The TLS session under a ``wss://`` connection, as the client saw it (pure data).

    Names are ``"CN=example.org, O=Example"`` strings; ``not_after`` is the certificate's
    expiry as the ``ssl`` module gives it (``"Jun  1 12:00:00 2030 GMT"``).  Without
    verification (``--insecure``) the peer certificate is not parsed: subject, issuer, SANs
    and expiry are empty and ``verified`` is false.
    """

    version: str  #: "TLSv1.3", ...
    cipher: str  #: the cipher suite's name
    alpn: str | None = None  #: the ALPN protocol agreed, if any
    subject: str = ""
    issuer: str = ""
    sans: list[str] = field(default_factory=list)  #: "DNS:example.org", "IP Address:127.0.0.1"
    not_after: str = ""
    verified: bool = True


@dataclass(slots=True)
class InfoEvent(Event):
    """A line for the person watching (a listener's address, a reconnect, ...)."""

    text: str


@dataclass(slots=True)
class ErrorEvent(Event):
    """Something went wrong outside the protocol (a handshake timeout, a lost socket)."""

    text: str


def direction_of(ev: Event) -> Direction | None:
    """The direction an event went in (frames, messages, heads, notes), None for the rest."""
    direction: Direction | None = getattr(ev, "direction", None)
    return direction


def has_problem(ev: Event) -> bool:
    """Whether ``ev`` reports a problem (a replay's exit status counts these)."""
    return bool(ev.problems_found) or (isinstance(ev, NoteEvent) and ev.is_problem)


def stamp(events: Iterable[Event], conn: str, t: float) -> list[Event]:
    """Give codec events the connection id and time the socket layer knows."""
    out = list(events)
    for ev in out:
        ev.conn, ev.t = conn, t
    return out
