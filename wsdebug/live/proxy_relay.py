"""The relay half of a proxied connection (:mod:`wsdebug.live.proxy` opens it): both
directions after the 101, until either side ends.

Theory of operation
-------------------
Each direction is one task reading its side (:func:`Relay._pipe`).  Transparent and not
strict, a chunk is written to the other side as soon as it is read (and recorded, with
``--record``), byte for byte (no re-framing), and only then decoded and reported: annotating
and writing out the frames happen while the peer is busy answering, not in the round trip.

Violations are reported and passed through.  With ``strict`` a chunk is decoded before it is
forwarded, and the first problem in a direction stops the relay before the offending frame:
the offending side gets a close frame with the RFC close code, the other side 1001 (the
client misbehaved) or 1014 (the server did).  With ``--script`` or ``--intercept`` the legs
are terminated: the proxy forwards what it frames itself (:func:`.proxy_script.reframe`) and
can send messages of its own (:meth:`Relay.inject`).

Backpressure: a direction is read only while the other side's transport buffer is below
:data:`~.proxy_side.HIGH_WATER`, so a reader that stalls holds the writer back instead of
growing memory; and while the reporter is far behind on this connection's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from typing import TYPE_CHECKING, Any

from ..codec.close import build_close_payload
from ..codec.events import (
    CloseEvent,
    ErrorEvent,
    Event,
    FailEvent,
    FrameEvent,
    InfoEvent,
    MessageEvent,
    NoteEvent,
)
from ..codec.frames import encode_frame
from ..codec.rules import Problem
from ..codec.spec import Direction, Opcode
from ..codec.stream import FrameRecord
from .proxy_script import ScriptMessage, reframe
from .proxy_side import C2S, READ_SIZE
from .proxy_side import Side as _Side

if TYPE_CHECKING:
    from .proxy_server import Proxy

GOING_AWAY, BAD_GATEWAY = 1001, 1014


class Relay:
    """The state both halves of a proxied connection share, and the relay after the 101."""

    def __init__(self, proxy: Proxy, conn_id: str, client: _Side) -> None:
        self.proxy, self.id, self.opts = proxy, conn_id, proxy.opts
        self.reporter, self.recorder = proxy.reporter, proxy.recorder
        self.client = client
        self.server: _Side | None = None
        self.number = 0
        self.problems = 0
        self.failed = False
        self.closer: _Side | None = None  #: the side whose close frame came first

    # -- reporting ---------------------------------------------------------------------------------

    def emit(self, ev: Event) -> None:
        ev.conn, ev.t = self.id, time.time()
        if ev.problems_found or (isinstance(ev, NoteEvent) and ev.is_problem):
            self.problems += 1
        self.reporter.emit(ev)

    def record(self, direction: Direction, data: bytes) -> None:
        if self.recorder is not None:
            self.recorder.data(self.id, direction, data)

    async def _reporter_drain(self) -> None:
        waiting: Any = self.reporter.drain(self.id)
        if inspect.isawaitable(waiting):
            await waiting

    # -- relaying ----------------------------------------------------------------------------------

    async def _relay(self) -> str:
        assert self.server is not None
        tasks = {
            asyncio.create_task(self._pipe(self.client, self.server)): self.client,
            asyncio.create_task(self._pipe(self.server, self.client)): self.server,
        }
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if pending and not self.failed:
            _, pending = await asyncio.wait(pending, timeout=self.opts.close_timeout)
        for task in pending:
            task.cancel()
        self._report_crashes(await asyncio.gather(*tasks, return_exceptions=True))
        self._summary()
        first = tasks[next(iter(done))]
        if self.failed:
            return "connection failed (--strict)"
        if pending:
            return f"the {first.direction.sender.value} ended; the other side did not within {self.opts.close_timeout:g} s"
        return f"the {first.direction.sender.value} closed the TCP connection first"

    def _report_crashes(self, results: list[Any]) -> None:
        """A relay task that died of a bug is one error line, not a silent stall."""
        for r in results:
            if isinstance(r, Exception) and not isinstance(r, asyncio.CancelledError):
                self.emit(ErrorEvent(f"relay failed: {type(r).__name__}: {r}"))

    async def _blind(self) -> None:
        """Relay without decoding (a refused handshake's body, whatever follows) until either
        side ends, then give the other ``close_timeout`` to finish."""
        assert self.server is not None
        tasks = [
            asyncio.create_task(self._pipe(self.client, self.server)),
            asyncio.create_task(self._pipe(self.server, self.client)),
        ]
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if pending:
            await asyncio.wait(pending, timeout=self.opts.close_timeout)
        for task in tasks:
            task.cancel()
        self._report_crashes(await asyncio.gather(*tasks, return_exceptions=True))

    async def _pipe(self, src: _Side, dst: _Side) -> None:
        try:
            while not self.failed:
                data = await src.reader.read(READ_SIZE)
                if not data:
                    break
                if not await self._chunk(src, dst, data):
                    return
                if dst.over_mark():
                    await dst.writer.drain()
                await self._reporter_drain()
        except (ConnectionError, OSError) as exc:
            exc.__traceback__ = None
            self.emit(NoteEvent(f"{src.direction.sender.value} side lost: {exc}"))
        src.ended = True
        if src.decoder is not None:
            for p in src.decoder.receive_eof() + src.decoder.stream_problems():
                self.emit(NoteEvent(p.message, src.direction, [p], is_problem=True))
        with contextlib.suppress(Exception):  # pass the FIN on (not possible over TLS)
            if dst.writer.can_write_eof() and not dst.writer.is_closing():
                dst.writer.write_eof()
            else:
                dst.writer.close()

    async def _chunk(
        self, src: _Side, dst: _Side, data: bytes, *, recorded: bool = False, sent: bool = False
    ) -> bool:
        """Record, forward (unless ``sent``), decode and report one chunk; False once strict
        mode failed the connection.

        Transparent and not strict, the bytes go out as soon as they are recorded (so a
        recording still holds every chunk that was forwarded, even after a ``kill -9``):
        decoding, annotating and reporting happen while the peer is busy with them, off the
        round trip.  ``--strict`` decodes first (the offending frame is not forwarded), and a
        terminated leg forwards what the proxy frames itself.
        """
        if not recorded:
            self.record(src.direction, data)
        decoder = src.decoder
        early = not sent and (decoder is None or not (self.opts.strict or self.terminated))
        if early:
            dst.write(data)
        if decoder is None:
            return True
        start = decoder.parser.offset + decoder.parser.buffered
        before_big = decoder.oversized
        records = decoder.receive_data(data)
        bad: Problem | None = None
        bad_at = len(records)  # records after the offending frame are not reported
        cut = len(data)
        if self.opts.strict:
            for i, rec in enumerate(records):
                if rec.problems:
                    bad, cut = rec.problems[0], max(0, rec.frame.offset - start)
                    bad_at = i + 1
                    break
            if bad is None:
                late = decoder.early_problem or (decoder.oversized if before_big is None else None)
                if late is not None:
                    bad = late
                    cut = max(0, min(cut, decoder.parser.offset - start))
        terminated = self.terminated
        if not sent and not terminated and not early:
            dst.write(data[:cut] if bad is not None else data)
        for rec in records[:bad_at]:  # the offending frame is shown, not forwarded
            self.number += 1
            self.emit(FrameEvent(rec, src.direction, self.number))
            if rec.message is not None:
                self.emit(MessageEvent(rec.message, src.direction))
            if terminated and not sent and not (bad is not None and rec is records[bad_at - 1]):
                dst.write(await self._reframe(src, rec))
            if rec.frame.opcode_raw == Opcode.CLOSE and src.close is None:
                info = rec.close
                src.close = (info.code if info else None, (info.reason or "") if info else "")
                if self.closer is None:
                    self.closer = src
        if bad is None and decoder.oversized is not None and before_big is None:
            p = decoder.oversized
            if terminated:  # a message the hook cannot see cannot be forwarded either
                await self._fail(src, dst, p)
                return False
            self.emit(NoteEvent(f"{p.message}: relayed, no longer decoded", src.direction, [p]))
        if bad is not None:
            await self._fail(src, dst, bad)
            return False
        return True

    @property
    def terminated(self) -> bool:
        """``--script`` or ``--intercept``: the proxy frames what it forwards."""
        return self.opts.script is not None or self.opts.intercept is not None

    async def _reframe(self, src: _Side, rec: FrameRecord) -> bytes:
        """The bytes the proxy sends for ``rec`` (see :func:`reframe`); with ``--intercept``
        a matching message waits here for the person's decision."""
        hook = self.opts.script
        icpt = self.opts.intercept
        msg = rec.message
        if icpt is not None and msg is not None and rec.frame.opcode_raw < 8:
            original = ScriptMessage(src.direction.value, msg.opcode, msg.payload)
            out = await icpt.decide(self.id, src.direction, original)

            def hook(m: ScriptMessage) -> ScriptMessage | None:
                return None if out is None else ScriptMessage(m.direction, out[0], out[1])

        if hook is None:  # --intercept: a control frame or a fragment, never shown to a hook

            def hook(m: ScriptMessage) -> ScriptMessage:
                return m

        who = "--script" if icpt is None else "--intercept"
        return reframe(
            hook, rec, src.direction, src.compressor, self.emit, mask=src is self.client, who=who
        )

    def inject(self, direction: Direction, opcode: int, data: bytes) -> bool:
        """Send a message the proxy made: ``c2s`` to the server, ``s2c`` to the client."""
        to_server = direction is C2S
        side = self.server if to_server else self.client
        source = self.client if to_server else self.server
        if side is None or source is None or side.decoder is None or side.writer.is_closing():
            return False
        if source.compressor is not None and opcode < 8:  # control frames are never compressed
            frame = encode_frame(
                opcode, source.compressor.compress(data), rsv1=True, mask=to_server
            )
        else:
            frame = encode_frame(opcode, data, mask=to_server)
        side.write(frame)
        return True

    async def _fail(self, offender: _Side, other: _Side, problem: Problem) -> None:
        """``--strict``: close the offender with the RFC code, the other side with 1001/1014."""
        self.failed = True
        code = problem.rule.close_code
        if code == 1006:
            code = 1002
        self.emit(FailEvent(problem, code))
        to_client = offender is self.client
        mine = build_close_payload(code, problem.rule.summary[:100])
        theirs = build_close_payload(
            GOING_AWAY if to_client else BAD_GATEWAY,
            "wsdebug proxy: the client broke the protocol"
            if to_client
            else "wsdebug proxy: the server broke the protocol",
        )
        # the proxy masks what it sends the server, and not what it sends the client
        offender.write(encode_frame(Opcode.CLOSE, mine, mask=not to_client))
        other.write(encode_frame(Opcode.CLOSE, theirs, mask=to_client))
        self.emit(
            InfoEvent(
                f"{self.id}: sent close {code} to the {offender.direction.sender.value} and "
                f"{GOING_AWAY if to_client else BAD_GATEWAY} to the {other.direction.sender.value}"
                " (frames made by the proxy, not in the recording)"
            )
        )
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                asyncio.gather(offender.writer.drain(), other.writer.drain()), 1.0
            )
        self.emit(
            CloseEvent(code, problem.rule.summary, offender.direction.sender.peer, clean=False)
        )

    def _summary(self) -> None:
        if self.failed:
            return
        first = self.closer
        if first is None or first.close is None:
            self.emit(CloseEvent(1006, "", None, clean=False))
            return
        code, reason = first.close
        both = (
            self.client.close is not None
            and self.server is not None
            and self.server.close is not None
        )
        self.emit(
            CloseEvent(1005 if code is None else code, reason, first.direction.sender, clean=both)
        )
