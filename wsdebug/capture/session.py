"""A recorded WebSocket conversation, rebuilt from the bytes each side sent.

Theory of operation
-------------------
:func:`reconstruct` takes one :class:`~wsdebug.capture.format.ConnectionInfo` (chunks of bytes,
each with a time and a direction, in the order they were recorded) and feeds every chunk to the
state machine of its direction:

* while an HTTP head is expected (the stream starts with ``GET `` / ``HTTP/``), a
  :class:`~wsdebug.codec.handshake.HeadReader` collects it; the parsed head becomes a
  :class:`HeadEvent` (validated as RFC 6455 §4 says, the response against the request's key);
* then a :class:`~wsdebug.codec.stream.StreamDecoder` (sender CLIENT for ``c2s``, SERVER for
  ``s2c``) cuts frames; each :class:`~wsdebug.codec.events.FrameEvent` gets the time of the chunk that completed it.

permessage-deflate follows the recorded handshake: the client's decoder is created only once
the server's response is known (client bytes that arrive before it wait), with an inflater per
direction using that direction's negotiated window and context takeover.  Because the decoders
are fed exactly the recorded chunks, frames split across chunks and several frames in one
chunk come out as they were on the wire.  Offsets count from the first byte after the
handshake, as in the live modes and ``decode``.

Nothing here draws anything; ``ui/replay.py`` renders these events with the live views.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..codec.deflate import DeflateParams, PerMessageDeflate, params_in_force
from ..codec.events import CloseEvent, Event, FrameEvent, HeadEvent, NoteEvent, has_problem
from ..codec.handshake import (
    HeadReader,
    Request,
    Response,
    parse_request,
    parse_response,
    validate_request,
    validate_response,
)
from ..codec.rules import Problem, Rule
from ..codec.spec import Direction, Opcode, Role
from ..codec.stream import StreamDecoder
from .budget import MAX_INFLATED, MAX_INFLATED_TOTAL, InflateBudget
from .format import C2S, S2C, ConnectionInfo

SENDERS: dict[str, Role] = {C2S: Role.CLIENT, S2C: Role.SERVER}
_CLOSE = int(Opcode.CLOSE)


@dataclass
class Tally:
    """What a conversation's summary needs, counted as its events go by (they need not be
    kept: a streamed replay forgets each once it is shown)."""

    frames: int = 0
    problems: int = 0
    close: FrameEvent | None = None  #: the first close frame
    close_sides: set[Direction] = field(default_factory=set)
    last_t: float | None = None

    def add(self, ev: Event) -> None:
        self.last_t = ev.t
        if has_problem(ev):
            self.problems += 1
        if type(ev) is FrameEvent:
            self.frames += 1
            if ev.record.frame.opcode_raw == Opcode.CLOSE:
                self.close = self.close or ev
                self.close_sides.add(ev.direction)


@dataclass
class Conversation:
    """One WebSocket connection from a capture, ready to step through.

    Events go in through :meth:`add`, which counts them in :attr:`tally`; a streamed
    conversation (:class:`Replayer`) hands each one out and keeps none."""

    id: str
    client: str | None = None  #: "host:port"
    server: str | None = None
    url: str | None = None
    request: Request | None = None
    response: Response | None = None
    deflate: DeflateParams | None = None
    events: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  #: about the source (synthesized, guessed ...)
    end_reason: str | None = None
    t0: float = 0.0  #: time of the first chunk; 0 when the source has no times (hex dumps)
    role: str = "client"  #: the role of the endpoint that recorded it ("client" when unknown)
    tally: Tally = field(default_factory=Tally)
    streamed: bool = False  #: events are handed out as they are decoded, not kept

    def add(self, ev: Event) -> None:
        self.events.append(ev)
        self.tally.add(ev)

    @property
    def frames(self) -> list[FrameEvent]:
        return [e for e in self.events if isinstance(e, FrameEvent)]

    @property
    def frame_count(self) -> int:
        return self.tally.frames

    @property
    def problem_count(self) -> int:
        return self.tally.problems

    def close_summary(self) -> CloseEvent:
        """How the conversation ended, as the live modes' close event says it."""
        first, tally = self.tally.close, self.tally
        t = tally.last_t if tally.last_t is not None else self.t0
        if first is None:
            reason = "the connection ended without a close frame"
            return CloseEvent(1006, reason, None, False, conn=self.id, t=t)
        close = first.record.close
        code = close.code if close and close.code is not None else 1005
        reason = close.reason if close and close.reason else ""
        clean = len(tally.close_sides) == 2
        return CloseEvent(code, reason, first.direction.sender, clean, conn=self.id, t=t)

    def describe(self, *, ascii_only: bool = False) -> str:
        """One line naming the conversation, for lists and titles (a streamed one's frames
        are counted at its end, not here)."""
        who = f"{self.client or 'client'} {'->' if ascii_only else '→'} {self.server or 'server'}"
        target = f" {self.url}" if self.url else ""
        if self.streamed:
            return f"conversation {self.id}: {who}{target}"
        n = self.frame_count
        return f"conversation {self.id}: {who}{target}, {n} frame{'s' if n != 1 else ''}"


class _Side:
    """The decoding state of one direction."""

    def __init__(self, direction: str) -> None:
        self.direction = direction
        self.dir_enum = Direction(direction)
        self.mode = "start"  # start | head | frames | wait | ignore
        self.heads = HeadReader()
        self.decoder: StreamDecoder | None = None
        self.waiting: list[tuple[float, bytes]] = []  # client bytes before the server's answer
        self.ignored = 0
        self.window_noted = False  # a failed inflation blamed on a window begun before capture


def _deflate_for(req: Request | None, resp: Response) -> DeflateParams | None:
    """The permessage-deflate parameters the response put in force, if any."""
    return params_in_force(resp.extensions, req.extensions if req is not None else None)


class _Builder:
    """Feeds one connection's chunks through both directions' state machines into ``conv``."""

    def __init__(
        self,
        conv: Conversation,
        deflate: bool | DeflateParams | None,
        budget: InflateBudget | None = None,
    ) -> None:
        self.conv = conv
        self.budget = budget or InflateBudget()
        self.override = deflate
        self.sides: dict[str, _Side] = {C2S: _Side(C2S), S2C: _Side(S2C)}
        self.negotiated = False  # the deflate decision has been made
        self.finishing = False  # at the end of the capture: nothing waits any more
        self.plain_http = False  # the request was not a WebSocket handshake at all
        self.frame_no = 0

    # -- feeding ---------------------------------------------------------------------------------

    def feed(self, direction: str, t: float, data: bytes) -> None:
        side = self.sides[direction]
        if side.mode == "start":
            side.mode = "head" if _looks_like_head(direction, data) else "frames"
        if side.mode == "head":
            self._head(side, t, data)
        elif side.mode == "frames":
            self._frames(side, t, data)
        elif side.mode == "wait":
            side.waiting.append((t, data))
        else:
            side.ignored += len(data)

    def _head(self, side: _Side, t: float, data: bytes) -> None:
        reader = side.heads
        head = reader.feed(data)
        if head is None:
            if reader.too_big:
                problem = reader.problem
                self._note(
                    side.direction,
                    t,
                    "the handshake never ends",
                    [problem] if problem else [],
                    True,
                )
                side.mode = "ignore"
            return
        rest = reader.leftover
        if side.direction == C2S:
            self._on_request(t, parse_request(head))
            side.mode = "frames" if self.negotiated else "wait"
        elif (
            self.conv.request is None
            and self.sides[C2S].mode in ("start", "head")
            and not self.finishing
        ):
            # The response was captured before the end of the request (capture points can skew
            # the order): check it once the request is complete.
            side.heads, side.mode = HeadReader(), "wait"
            side.waiting.append((t, head + rest))
            return
        else:
            resp = parse_response(head)
            accepted = self._on_response(t, resp)
            side.mode = "frames" if accepted else "ignore"
        if rest:
            self.feed(side.direction, t, rest)

    def _on_request(self, t: float, req: Request) -> None:
        self.conv.request = req
        host = req.get("Host")
        if self.conv.url is None and host:
            self.conv.url = f"ws://{host}{req.target}"
        problems = validate_request(req)
        if [p.rule for p in problems] == [Rule.HANDSHAKE_NOT_WEBSOCKET]:
            # A page or favicon request to a listener: plain HTTP, not a broken handshake.
            self.plain_http, problems = True, []
        self.conv.add(HeadEvent(Direction.C2S, req, problems, conn=self.conv.id, t=t))
        self._release(S2C, "head")

    def _release(self, direction: str, mode: str) -> None:
        """Feed what a waiting side held back, now that it can be decoded in ``mode``."""
        side = self.sides[direction]
        if side.mode == "wait":
            side.mode = mode
            waiting, side.waiting = side.waiting, []
            for wt, data in waiting:
                self.feed(direction, wt, data)

    def _on_response(self, t: float, resp: Response) -> bool:
        conv = self.conv
        conv.response = resp
        req = conv.request
        if req is not None:
            offered = [req.extensions] if req.extensions else []
            problems = validate_response(
                resp,
                key=req.key or "",
                offered_subprotocols=req.subprotocols,
                offered_extensions=offered,
            )
        else:
            problems = [
                p for p in validate_response(resp, key="") if p.rule.name != "HANDSHAKE_ACCEPT"
            ]
        accepted = resp.status == 101
        if self.plain_http and not accepted:
            problems = []
            self._note(S2C, t, "a plain HTTP exchange, not a WebSocket connection", [], False)
        conv.add(HeadEvent(Direction.S2C, resp, problems, conn=conv.id, t=t))
        self._decide_deflate(_deflate_for(req, resp) if accepted else None)
        self._release(C2S, "frames" if accepted else "ignore")
        return accepted

    def _decide_deflate(self, params: DeflateParams | None) -> None:
        if self.override is False:
            params = None
        elif isinstance(self.override, DeflateParams):
            params = self.override
        elif self.override is True and params is None:
            params = DeflateParams()
        self.conv.deflate = params
        self.negotiated = True

    def _decoder(self, side: _Side) -> StreamDecoder:
        if side.decoder is None:
            if not self.negotiated:
                self._decide_deflate(None)
            params = self.conv.deflate
            inflate = None
            if params is not None:
                # The peer of the sender inflates: the server decompresses c2s, the client s2c.
                pmd = PerMessageDeflate(
                    params, is_client=side.direction == S2C, max_size=MAX_INFLATED
                )
                inflate = self.budget.wrap(pmd.decompress)
            side.decoder = StreamDecoder(SENDERS[side.direction], inflate=inflate)
        return side.decoder

    def _frames(self, side: _Side, t: float, data: bytes) -> None:
        decoder = side.decoder or self._decoder(side)
        conv = self.conv
        events, tally, conn = conv.events, conv.tally, conv.id
        direction = side.dir_enum
        records = decoder.receive_data(data)
        if not records:
            return
        number = self.frame_no
        watch = conv.response is None  # a capture begun after the handshake
        for rec in records:
            number += 1
            ev = FrameEvent(rec, direction, number, conn=conn, t=t)
            events.append(ev)
            if rec.problems or rec.frame.opcode_raw == _CLOSE:
                tally.add(ev)
            else:  # Tally.add for a frame without problems, inline (the replay's hot path)
                tally.frames += 1
                tally.last_t = t
            if watch and not side.window_noted:
                self._window_note(side, t, rec.problems)
        self.frame_no = number

    def _window_note(self, side: _Side, t: float, problems: list[Problem]) -> None:
        """Without the handshake, a message that fails to inflate most likely refers back into
        a compression window that began before the capture (context takeover): say so."""
        failed = [p for p in problems if p.rule is Rule.INFLATE_FAILED]
        if failed:
            side.window_noted = True
            who = "client" if side.direction == C2S else "server"
            self._note(
                side.direction,
                t,
                f"the {who}'s message does not inflate: the capture began after the handshake, so "
                "its compression window (context takeover) most likely began before the capture "
                "and cannot be rebuilt; later messages from this side are affected alike "
                "(a no_context_takeover connection decodes with --deflate=PARAMS)",
                failed,
                False,
            )

    def _note(
        self, direction: str, t: float, text: str, problems: list[Problem], is_problem: bool
    ) -> None:
        self.conv.add(
            NoteEvent(text, Direction(direction), problems, is_problem, conn=self.conv.id, t=t)
        )

    # -- the end ---------------------------------------------------------------------------------

    def finish(self, t: float) -> None:
        self.finishing = True
        self._release(S2C, "head")  # a response whose request never completed
        if self.sides[C2S].mode == "wait":
            self._note(
                C2S,
                t,
                "no server response was recorded: client frames decoded without extensions",
                [],
                False,
            )
            self._release(C2S, "frames")
        for side in self.sides.values():
            who = "client" if side.direction == C2S else "server"
            if side.mode == "head" and side.heads.buffered:
                n = len(side.heads.buffered)
                self._note(
                    side.direction,
                    t,
                    f"the {who}'s handshake is incomplete: {n} bytes and no end of head",
                    [],
                    True,
                )
            elif side.decoder is not None:
                problems = side.decoder.receive_eof()
                if problems:
                    self._note(
                        side.direction,
                        t,
                        f"the {who}'s stream ended inside a frame",
                        problems,
                        True,
                    )
            if side.ignored:
                why = (
                    "of HTTP body"
                    if self.plain_http
                    else "after a refused handshake"
                    if self.conv.response is not None
                    else "not decoded"
                )
                self._note(
                    side.direction,
                    t,
                    f"{side.ignored} more bytes from the {who} {why} (not WebSocket frames)",
                    [],
                    False,
                )


def _looks_like_head(direction: str, data: bytes) -> bool:
    """Whether a stream starts with an HTTP head (``GET `` / ``HTTP/``) rather than frames."""
    start = bytes(data[:5])
    if direction == C2S:
        return b"GET ".startswith(start[:4]) if len(start) < 4 else start[:4] == b"GET "
    return b"HTTP/".startswith(start) if len(start) < 5 else start == b"HTTP/"


def _endpoints(info: ConnectionInfo) -> tuple[str | None, str | None]:
    """(client, server) addresses from the recorder's point of view."""
    if info.role == "server":
        return info.peer, info.local
    return info.local, info.peer


_NONE: list[Event] = []  # what a chunk that completes no event gives (never appended to)


class Replayer:
    """:func:`reconstruct` a chunk at a time: the events each chunk completes come out of
    :meth:`feed`, and are not kept (the conversation is ``streamed``); memory does not grow
    with the conversation's length."""

    def __init__(
        self,
        info: ConnectionInfo,
        *,
        deflate: bool | DeflateParams | None = None,
        notes: list[str] | None = None,
        budget: InflateBudget | None = None,
        streamed: bool = True,
    ) -> None:
        client, server = _endpoints(info)
        self.conv = Conversation(
            info.conn,
            client,
            server,
            info.url,
            notes=list(notes or ()),
            end_reason=info.end_reason,
            role="server" if info.role == "server" else "client",
            streamed=streamed,
        )
        self.builder = _Builder(self.conv, deflate, budget)
        self.t = 0.0

    def _take(self) -> list[Event]:
        conv = self.conv
        if not conv.streamed or not conv.events:
            return _NONE
        out, conv.events = conv.events, []
        return out

    def feed(self, direction: str, t: float, data: bytes) -> list[Event]:
        """Decode one recorded chunk; the events it completed (none when not streamed)."""
        self.t = t
        conv = self.conv
        if not conv.t0:
            conv.t0 = t
        if data:
            builder = self.builder
            side = builder.sides[direction]
            if side.mode == "frames" and side.decoder is not None:
                builder._frames(side, t, data)  # _Builder.feed's common case, one call less
            else:
                builder.feed(direction, t, data)
        if not conv.streamed or not conv.events:
            return _NONE
        out, conv.events = conv.events, []
        return out

    def finish(
        self,
        gaps: list[tuple[str, str]] | None = None,
        tail: Iterable[tuple[str, str, bool]] = (),
    ) -> list[Event]:
        """The end of the recording: what was waiting, incomplete frames, ``tail`` notes
        ((direction, text, is_problem): what a streamed source learns at the end), ``gaps``
        (the (direction, text) of bytes the source lost) as problems."""
        t, conv = self.t, self.conv
        self.builder.finish(t)
        for direction, text, bad in tail:
            conv.add(NoteEvent(text, Direction(direction), [], bad, conn=conv.id, t=t))
        for direction, text in gaps or ():
            conv.add(NoteEvent(text, Direction(direction), [], True, conn=conv.id, t=t))
        return self._take()


def reconstruct(
    info: ConnectionInfo,
    *,
    deflate: bool | DeflateParams | None = None,
    notes: list[str] | None = None,
    gaps: list[tuple[str, str]] | None = None,
    budget: InflateBudget | None = None,
) -> Conversation:
    """Rebuild the conversation in ``info``, every event kept in ``events``.

    Args:
        deflate: None follows the recorded handshake; True decodes permessage-deflate even without
            a handshake (default parameters); DeflateParams decodes with those whatever the
            handshake said; False never inflates.
        notes: lines about the source to show with the conversation.
        gaps: (direction, text) of bytes the source lost (a pcap's missing segments): problems
            shown at the end of the conversation.
        budget: the capture's total inflation budget, shared by its conversations.
    """
    replayer = Replayer(info, deflate=deflate, notes=notes, budget=budget, streamed=False)
    feed = replayer.feed
    for chunk in info.chunks:
        feed(chunk.dir, chunk.t, chunk.data)
    replayer.finish(gaps)
    return replayer.conv


#: The frame event of a replay is the codec's (one event family); the old name stays for readers.
ReplayFrame = FrameEvent
__all__ = [
    "MAX_INFLATED",
    "MAX_INFLATED_TOTAL",
    "Conversation",
    "Event",
    "FrameEvent",
    "HeadEvent",
    "InflateBudget",
    "NoteEvent",
    "ReplayFrame",
    "Replayer",
    "Tally",
    "has_problem",
    "reconstruct",
]
