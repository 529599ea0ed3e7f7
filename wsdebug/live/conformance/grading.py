"""The model of a conformance case and the pure function that grades what a run observed.

Theory of operation
-------------------
A :class:`Case` is data: the steps the tester performs (frames to send, waits, timers), the
events it expects back for each grade (``expected``: the first list that matches exactly wins,
OK before NON-STRICT), and how the connection is expected to end (:class:`ExpectClose`).

A run (see :mod:`.runner`) executes the steps on one connection and records a :class:`Trace`:
the events received (messages, pongs, pings, the "timeout" markers of waits that elapsed with
the connection still open, and "invalid" for a frame of the peer that broke a rule), who
started the closing handshake, whether it was clean, the peer's close code, and every frame
both ways with a timestamp.

:func:`grade` turns (case, trace) into a :class:`Result` the way the Autobahn|Testsuite does:
a main grade from the received events and a close grade from the closing behaviour
(OK, WRONG CODE, UNCLEAN, FAILED BY CLIENT, FAILED), plus the reason and the one frame byte or
missing event that decided it.  Nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wsdebug.codec.spec import Role

# -- grades ------------------------------------------------------------------------------------


class Grade(str, enum.Enum):
    """The main grade of a case, with the Autobahn|Testsuite's meaning."""

    OK = "OK"  #: the peer did what the specification requires
    NON_STRICT = "NON-STRICT"  #: conformant, but not the strict or preferred behaviour
    FAILED = "FAILED"  #: a MUST of RFC 6455 / RFC 7692 was broken (or a limit was not met)
    INFORMATIONAL = "INFORMATIONAL"  #: behaviour the specification leaves open; reported only
    UNIMPLEMENTED = "UNIMPLEMENTED"  #: the peer does not implement the feature (deflate)


class CloseGrade(str, enum.Enum):
    """How the connection ended, compared with what the case expects."""

    OK = "OK"
    WRONG_CODE = "WRONG CODE"  #: a close code outside the expected ones (non-strict)
    UNCLEAN = "UNCLEAN"  #: a clean close was required and the TCP connection just dropped
    FAILED_BY_CLIENT = "FAILED BY CLIENT"  #: the tester had to drop TCP (the server should)
    INFORMATIONAL = "INFORMATIONAL"
    FAILED = "FAILED"  #: the wrong endpoint closed, or no WebSocket connection was made


# -- the steps of a case -----------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """Send one frame, valid or not.  ``length`` repeats ``payload`` up to that many bytes
    (Autobahn's ``payload_len``); ``chop`` writes the bytes in pieces of that size; ``sync``
    waits for each frame to be written before the next one."""

    opcode: int
    payload: bytes = b""
    fin: bool = True
    rsv: int = 0  #: RSV1 = 4, RSV2 = 2, RSV3 = 1 (Autobahn's numbering)
    chop: int | None = None
    sync: bool = False
    length: int | None = None


@dataclass(frozen=True)
class Message:
    """Send a whole message, cut into frames of ``fragment`` bytes (None: one frame)."""

    opcode: int
    payload: bytes
    fragment: int | None = None
    chop: int | None = None


@dataclass(frozen=True)
class Close:
    """Send a close frame with this raw payload (code + reason as bytes; b"" for none)."""

    payload: bytes = b""
    rsv: int = 0


@dataclass(frozen=True)
class Wait:
    """Wait; if the connection is still open afterwards, record ("timeout", tag) and go on,
    otherwise stop the script."""

    seconds: float
    tag: str = ""


@dataclass(frozen=True)
class FrameStart:
    """Write the header of one frame (whose payload follows in :class:`FrameData` steps)."""

    opcode: int
    payload: bytes  #: the whole payload; the header announces its length


@dataclass(frozen=True)
class FrameData:
    """Write the next ``size`` payload bytes of the frame begun by :class:`FrameStart`."""

    size: int


@dataclass(frozen=True)
class KillAfter:
    """After ``seconds``, fail the connection if it is still open (a close 1001, then drop)."""

    seconds: float


@dataclass(frozen=True)
class CloseAfter:
    """After ``seconds``, start the closing handshake (1000) if the connection is open."""

    seconds: float


Step = Frame | Message | Close | Wait | FrameStart | FrameData | KillAfter | CloseAfter


@dataclass(frozen=True)
class Echo:
    """Groups 9, 12 and 13: send ``count`` messages one after the other, each only after the
    previous one came back, and check each echo.  ``make(i)`` gives message i's payload."""

    count: int
    binary: bool
    make: Callable[[int], bytes]
    size: int  #: payload size of every message
    fragment: int | None = None  #: frame size (None: unfragmented)
    chop: int | None = None
    wait: float = 10.0  #: the whole case must finish within this many seconds
    compressed: bool = False


# -- expectations ------------------------------------------------------------------------------

#: ("message", payload, binary) | ("pong", payload) | ("ping", payload) | ("timeout", tag) |
#: ("invalid", summary): the events a peer can produce, as Autobahn names them.
Event = tuple[Any, ...]


@dataclass(frozen=True)
class ExpectClose:
    """Autobahn's ``expectedClose``: who must start the closing handshake, the acceptable
    close codes of the peer (or none at all), and whether the close must be clean."""

    by_me: bool
    codes: tuple[int, ...]
    clean: bool
    wrong_endpoint_fatal: bool = False  #: UTF-8 cases: the peer did not notice at all


@dataclass(frozen=True)
class Case:
    id: str
    description: str
    expectation: str
    steps: tuple[Step, ...] = ()
    expected: dict[Grade, tuple[Event, ...]] = field(default_factory=dict)
    close: ExpectClose = ExpectClose(True, (1000,), True)
    suppress_close: bool = False  #: do not close when the events match (close cases)
    wrong_code_fails: bool = False  #: group 7: a WRONG CODE close makes the case FAILED
    informational: bool = False  #: the outcome is reported as INFORMATIONAL
    echo: Echo | None = None
    deflate_offer: str | None = None  #: Sec-WebSocket-Extensions to offer (groups 12, 13)

    @property
    def group(self) -> str:
        return self.id.split(".")[0]

    @property
    def subgroup(self) -> str:
        return ".".join(self.id.split(".")[:2])

    @property
    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.id.split("."))


# -- what a run observed -----------------------------------------------------------------------


@dataclass
class Trace:
    """Everything a run of one case observed (filled in by the runner)."""

    opened: bool = False
    handshake_error: str | None = None
    received: list[Event] = field(default_factory=list)
    event_frames: list[int | None] = field(default_factory=list)  #: frame index per event
    closed_by_me: bool = False
    was_clean: bool = False
    remote_close_code: int | None = None
    remote_close_frame: int | None = None  #: index (in ``frames``) of the peer's close
    dropped_by_me: bool = False
    peer_dropped: bool = False  #: the peer closed TCP (we read EOF)
    echo_grade: Grade | None = None  #: set by an Echo run
    echo_reason: str = ""
    echo_frame: int | None = None  #: the frame that decided an Echo run
    echo_offset: int | None = None  #: ... and the byte of the peer's stream, when known
    frames: list[Any] = field(default_factory=list)  #: (t, Direction, FrameRecord)
    role: Role = Role.CLIENT  #: wsdebug's side: its frames went Direction.sent_by(role)
    frames_skipped: int = 0
    log: list[tuple[float, str]] = field(default_factory=list)  #: (t, what happened)
    deflate: str | None = None  #: the extension the peer accepted
    duration: float = 0.0
    is_server: bool = False  #: True when wsdebug is the server (``--client`` mode)
    ratio_in: float | None = None
    ratio_out: float | None = None


@dataclass
class Decisive:
    """What decided the grade: a frame (index into the trace's frames, stream offset of the
    byte) or a missing event."""

    text: str
    frame: int | None = None
    offset: int | None = None


@dataclass
class Result:
    case: Case
    grade: Grade
    close_grade: CloseGrade
    reason: str
    close_reason: str
    trace: Trace
    decisive: Decisive | None = None

    @property
    def failed(self) -> bool:
        """FAILED, or a close that Autobahn marks red (FAILED, UNCLEAN)."""
        return self.grade is Grade.FAILED or self.close_grade in (
            CloseGrade.FAILED,
            CloseGrade.UNCLEAN,
        )


# -- grading -----------------------------------------------------------------------------------


def describe(event: Event) -> str:
    """A short, ASCII-safe description of an event (payloads as repr, clipped)."""
    kind = event[0]
    if kind == "message":
        payload: bytes = event[1]
        shown = repr(payload[:40]) + ("..." if len(payload) > 40 else "")
        return f"{'binary' if event[2] else 'text'} message of {len(payload)} bytes {shown}"
    if kind in ("pong", "ping"):
        return f"{kind} {event[1]!r}"
    if kind == "timeout":
        return f"the connection still open at the end of wait {event[1]}"
    return f"{kind}: {event[1]}"


def _first_difference(got: list[Event], want: tuple[Event, ...]) -> int:
    for i, (g, w) in enumerate(zip(got, want, strict=False)):
        if g != w:
            return i
    return min(len(got), len(want))


def _events_decisive(case: Case, trace: Trace) -> Decisive:
    """Why no expected list matched: the first received event that differs from OK's list,
    or the first expected event that never came."""
    want = case.expected.get(Grade.OK, ())
    got = trace.received
    i = _first_difference(got, want)
    if i < len(got):
        frame = trace.event_frames[i] if i < len(trace.event_frames) else None
        offset = None
        if frame is not None and frame < len(trace.frames):
            rec = trace.frames[frame][2]
            offset = rec.problems[0].offset if rec.problems else rec.frame.offset
        expected = f"; expected {describe(want[i])}" if i < len(want) else ""
        verb = "observed" if got[i][0] == "timeout" else "received"
        return Decisive(f"{verb} {describe(got[i])}{expected}", frame, offset)
    return Decisive(f"missing: {describe(want[i])} never arrived")


def _close(case: Case, trace: Trace) -> tuple[CloseGrade, str]:
    exp = case.close
    if not trace.opened:
        return CloseGrade.FAILED, "the WebSocket opening handshake was never completed"
    if exp.by_me != trace.closed_by_me:
        if exp.by_me:
            return (
                CloseGrade.FAILED,
                "the connection was failed by the wrong endpoint: the peer closed first",
            )
        return (
            CloseGrade.FAILED,
            "the connection was failed by the wrong endpoint: the peer never failed it, wsdebug had to",
        )
    if exp.clean and not trace.was_clean:
        return (
            CloseGrade.UNCLEAN,
            "the specification requires a clean close (a close frame each way) here",
        )
    code = trace.remote_close_code
    if code is not None and code not in exp.codes:
        wanted = ",".join(map(str, exp.codes))
        return CloseGrade.WRONG_CODE, f"close code {code}; it should have been {wanted} or empty"
    if not trace.is_server and trace.dropped_by_me:
        return (
            CloseGrade.FAILED_BY_CLIENT,
            "wsdebug had to drop TCP: it is preferred that the server closes it",
        )
    return CloseGrade.OK, "the connection was properly closed"


def grade(case: Case, trace: Trace) -> Result:
    """Grade one run (pure: everything comes from ``case`` and ``trace``)."""
    close_grade, close_reason = _close(case, trace)
    decisive: Decisive | None = None
    if not trace.opened:
        g, reason = (
            Grade.FAILED,
            f"no WebSocket connection: {trace.handshake_error or 'handshake failed'}",
        )
        return Result(case, g, close_grade, reason, close_reason, trace, Decisive(reason))
    if case.echo is not None:
        g = trace.echo_grade or Grade.FAILED
        reason = trace.echo_reason or "the case did not finish"
        if g is Grade.FAILED:
            offset = (
                trace.echo_offset
                if trace.echo_offset is not None
                else _offset(trace, trace.echo_frame)
            )
            decisive = Decisive(reason, trace.echo_frame, offset)
    else:
        g, reason = Grade.FAILED, "the events received differ from every expected outcome"
        for candidate in (Grade.OK, Grade.NON_STRICT):
            want = case.expected.get(candidate)
            if want is not None and list(want) == trace.received:
                g, reason = candidate, f"the events received match the {candidate.value} outcome"
                break
        if g is Grade.NON_STRICT:
            decisive = _events_decisive(case, trace)
            decisive.text = "not strict: " + decisive.text
        elif g is Grade.FAILED:
            decisive = _events_decisive(case, trace)
        if case.close.wrong_endpoint_fatal and case.close.by_me != trace.closed_by_me:
            g, reason = Grade.FAILED, "the peer did not fail the connection: " + close_reason
            decisive = decisive or Decisive("the peer never closed the connection")
    if case.wrong_code_fails and close_grade is CloseGrade.WRONG_CODE:
        g, reason = Grade.FAILED, close_reason
        frame = trace.remote_close_frame
        decisive = Decisive(close_reason, frame, _offset(trace, frame, payload=True))
    if case.informational:
        if g is Grade.OK:
            reason = "the events received match the first expected outcome"
        elif g is Grade.NON_STRICT:
            reason = "the events received match the second expected outcome"
        else:
            reason = "actual events are undefined by the specification"
        g, close_grade = Grade.INFORMATIONAL, CloseGrade.INFORMATIONAL
        decisive = None
    if decisive is None and close_grade not in (CloseGrade.OK, CloseGrade.INFORMATIONAL):
        frame = trace.remote_close_frame
        decisive = Decisive(close_reason, frame, _offset(trace, frame, payload=True))
    return Result(case, g, close_grade, reason, close_reason, trace, decisive)


def _offset(trace: Trace, frame: int | None, *, payload: bool = False) -> int | None:
    if frame is None or frame >= len(trace.frames):
        return None
    rec = trace.frames[frame][2]
    if rec.problems:
        return int(rec.problems[0].offset)
    return int(rec.frame.payload_offset if payload else rec.frame.offset)
