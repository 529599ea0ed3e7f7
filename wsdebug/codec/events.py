"""What a :class:`~wsdebug.codec.connection.Connection` reports, in the order it happened."""

from __future__ import annotations

from dataclasses import dataclass

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


Event = FrameEvent | MessageEvent | CloseEvent | FailEvent
