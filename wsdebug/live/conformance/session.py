"""One case on one open WebSocket connection: run its steps, record the :class:`Trace`.

Theory of operation
-------------------
:class:`CaseSession` owns the stream after the opening handshake, in either role: as the
client when grading a server (frames masked; the server is expected to close TCP), or as the
server in ``--client`` mode.  It behaves as the Autobahn|Testsuite's fuzzing endpoint does:

- every frame the peer sends is decoded by :class:`~wsdebug.codec.stream.StreamDecoder`; a
  frame that breaks a rule is recorded as an ``("invalid", ...)`` event and the connection is
  failed (close with the rule's code), so the byte that broke the rule decides the grade;
- pings are answered, pongs and messages recorded, and when the events received match the
  expected ones the closing handshake is started (unless the case suppresses it);
- ``closed_by_me`` is true when wsdebug sent a close frame before receiving one; ``was_clean``
  when a close frame came back and (as the client) the server then closed TCP within a second;
- :class:`~.grading.KillAfter` and :class:`~.grading.CloseAfter` are timers; a close that
  gets no answer within a second is followed by dropping the TCP connection.

Both directions are decoded into :class:`~wsdebug.codec.stream.FrameRecord` objects with a
timestamp (the first :data:`MAX_FRAMES` of them, plus any frame that broke a rule).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from typing import Any

from wsdebug.codec.deflate import PerMessageDeflate
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Direction, Opcode, Role
from wsdebug.codec.stream import FrameRecord, StreamDecoder

from .echo import mismatch
from .grading import (
    Case,
    Close,
    CloseAfter,
    Echo,
    Frame,
    FrameData,
    FrameStart,
    Grade,
    KillAfter,
    Message,
    Trace,
    Wait,
)

MAX_FRAMES = 400  #: frames kept per case for reports (close frames and broken ones always are)
ECHO_FRAMES = 16  #: the same for the bulk cases of groups 9, 12 and 13
KEEP_PAYLOAD = 2048  #: payload bytes kept per frame for reports (the header keeps the real length)
CHOP_PAUSE = 0.001  #: seconds between the pieces of a small chopped frame
CLOSE_TIMEOUT = 1.0  #: seconds to wait for the peer's close reply, and for the server's TCP close


def _clipped(rec: FrameRecord) -> FrameRecord:
    """``rec`` with its payload (and message) cut to :data:`KEEP_PAYLOAD` bytes for the reports;
    the frame's ``payload_len`` still says how long it was, as the frame views expect."""
    if rec.frame.payload_len <= KEEP_PAYLOAD and (
        rec.message is None or len(rec.message.payload) <= KEEP_PAYLOAD
    ):
        return rec
    frame = rec.frame._replace(payload=rec.frame.payload[:KEEP_PAYLOAD])
    message = (
        dataclasses.replace(rec.message, payload=rec.message.payload[:KEEP_PAYLOAD])
        if rec.message
        else None
    )
    text = rec.text[:KEEP_PAYLOAD] if rec.text is not None else None
    inflated = rec.inflated[:KEEP_PAYLOAD] if rec.inflated is not None else None
    return FrameRecord(frame, rec.problems, text, rec.close, inflated, message, rec.direction)


class CaseSession:
    """Run ``case`` on an open connection (``reader``/``writer``) and fill in ``trace``."""

    def __init__(
        self,
        case: Case,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        is_client: bool,
        trace: Trace,
        leftover: bytes = b"",
        deflate: PerMessageDeflate | None = None,
        out_deflate: PerMessageDeflate | None = None,
        t0: float | None = None,
    ) -> None:
        self.case, self.reader, self.writer, self.trace = case, reader, writer, trace
        self.is_client = is_client
        self.mask = is_client
        self.deflate = deflate
        self.t0 = time.monotonic() if t0 is None else t0
        peer = Role.SERVER if is_client else Role.CLIENT
        me = Role.CLIENT if is_client else Role.SERVER
        trace.role = me
        self.inbound = StreamDecoder(peer, inflate=deflate.decompress if deflate else None)
        self.outbound: StreamDecoder | None = StreamDecoder(
            me, inflate=out_deflate.decompress if out_deflate else None
        )
        self.leftover = leftover
        self.sent_close = False
        self.got_close = False
        self.failed = False  #: a frame of the peer broke a rule; the rest is ignored
        self.closed = asyncio.Event()  #: TCP is gone
        self._timers: list[asyncio.Task[None]] = []
        self._pending: bytes = b""  # FrameStart/FrameData: the frame being written in pieces
        self._echo_waiter: asyncio.Future[tuple[bytes, bool, int | None]] | None = None
        self._wire_in = self._wire_out = self._data_in = self._data_out = 0

    # -- bookkeeping -------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self.t0

    def note(self, text: str) -> None:
        self.trace.log.append((self.now(), text))

    def _keep(self, direction: Direction, rec: FrameRecord) -> int | None:
        frames = self.trace.frames
        cap = ECHO_FRAMES if self.case.echo is not None else MAX_FRAMES
        notable = rec.problems or rec.frame.opcode_raw == Opcode.CLOSE  # always worth keeping
        if len(frames) < cap or (notable and len(frames) < cap + 50):
            frames.append((self.now(), direction, _clipped(rec)))
            return len(frames) - 1
        self.trace.frames_skipped += 1
        return None

    def _event(self, event: tuple[Any, ...], frame: int | None) -> None:
        self.trace.received.append(event)
        self.trace.event_frames.append(frame)
        expected = self.case.expected
        if (
            expected
            and self.case.close.by_me
            and not self.case.suppress_close
            and all(list(v) == self.trace.received for v in expected.values())
        ):
            self.send_close(b"\x03\xe8")  # Autobahn: close as soon as the outcome is known

    # -- writing -----------------------------------------------------------------------------

    def _encode(
        self,
        opcode: int,
        payload: bytes,
        *,
        fin: bool = True,
        rsv: int = 0,
        length: int | None = None,
    ) -> bytes:
        if length is not None and length != len(payload):
            payload = (payload * (length // max(len(payload), 1) + 1))[:length]
        return encode_frame(
            opcode,
            payload,
            fin=fin,
            mask=self.mask,
            rsv1=bool(rsv & 4),
            rsv2=bool(rsv & 2),
            rsv3=bool(rsv & 1),
        )

    async def _write(self, data: bytes, chop: int | None = None, sync: bool = False) -> None:
        if self.closed.is_set() or self.writer.is_closing():
            return
        if self.outbound is not None:
            self._log_out(data)
        try:
            if chop:
                # Small chopped frames are paced so that the peer reads the pieces one by one
                # (Autobahn's writes are paced by its reactor); bulk chopping is not.
                pause = CHOP_PAUSE if len(data) <= 1024 else 0
                for i in range(0, len(data), chop):
                    self.writer.write(data[i : i + chop])
                    await self.writer.drain()
                    await asyncio.sleep(pause)
            else:
                self.writer.write(data)
                if sync or len(data) > 65536:
                    await self.writer.drain()
                if sync:
                    await asyncio.sleep(0)
        except (ConnectionError, OSError):
            self._lost()

    def _log_out(self, data: bytes) -> None:
        dec = self.outbound
        assert dec is not None
        self._wire_out += len(data)
        for rec in dec.receive_data(data):
            if self._keep(Direction.sent_by(self.trace.role), rec) is None:
                self.outbound = None  # past the cap: stop decoding our own bytes
                break

    def send_close(self, payload: bytes = b"\x03\xe8") -> None:
        """Start (or answer) the closing handshake, once."""
        if self.sent_close or self.closed.is_set():
            return
        self.sent_close = True
        if not self.got_close:
            self.trace.closed_by_me = True
            self.note("wsdebug starts the closing handshake")
            self._timer(CLOSE_TIMEOUT, self._close_timeout)
        data = self._encode(Opcode.CLOSE, payload)
        if self.outbound is not None:
            self._log_out(data)
        try:
            self.writer.write(data)
        except (ConnectionError, OSError):
            self._lost()

    def drop(self, why: str) -> None:
        """Close the TCP connection ourselves."""
        if self.closed.is_set():
            return
        self.note(f"wsdebug drops the TCP connection: {why}")
        self.trace.dropped_by_me = True
        if not self.got_close or not self.sent_close:
            self.trace.was_clean = False
        transport = self.writer.transport
        transport.abort()
        self.closed.set()

    def _lost(self) -> None:
        if not self.closed.is_set():
            self.closed.set()

    # -- timers ------------------------------------------------------------------------------

    def _timer(self, delay: float, action: Any) -> None:
        async def fire() -> None:
            await asyncio.sleep(delay)
            if not self.closed.is_set():
                action()

        self._timers.append(asyncio.ensure_future(fire()))

    def _close_timeout(self) -> None:
        if not self.got_close:
            self.drop(f"no close frame came back within {CLOSE_TIMEOUT:g} s")

    def _kill(self) -> None:
        self.note("kill timer: the peer has not closed the connection; wsdebug fails it")
        if not self.sent_close:
            self.send_close(b"\x03\xe9going away")
        else:
            self.drop("the closing handshake did not finish")

    def _close_after(self) -> None:
        if not self.sent_close and not self.got_close:
            self.note("close timer")
            self.send_close(b"\x03\xe8")

    # -- reading -----------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        data = self.leftover
        try:
            while True:
                if data:
                    self._wire_in += len(data)
                    self._feed(data)
                data = await self.reader.read(65536)
                if not data:
                    break
        except (ConnectionError, OSError):
            pass
        if not self.closed.is_set():
            self.trace.peer_dropped = True
            self.note("the peer closed the TCP connection")
            if not self.got_close:
                self.trace.was_clean = False
        self.closed.set()
        if self._echo_waiter is not None and not self._echo_waiter.done():
            self._echo_waiter.cancel()

    def _feed(self, data: bytes) -> None:
        for rec in self.inbound.receive_data(data):
            idx = self._keep(Direction.sent_by(self.trace.role.peer), rec)
            if self.failed or self.closed.is_set():
                continue
            if rec.problems:
                p = rec.problems[0]
                self.failed = True
                if rec.frame.opcode_raw == Opcode.CLOSE and rec.close is not None:
                    self.got_close = True  # a close, if a broken one: its code is still graded
                    self.trace.remote_close_code = rec.close.code
                    self.trace.remote_close_frame = idx
                self._event(("invalid", f"{p.message} (byte {p.offset})"), idx)
                self.note(f"the peer's frame breaks a rule ({p.rule.section}): {p.message}")
                if self._echo_waiter is not None and not self._echo_waiter.done():
                    self._echo_waiter.set_result((b"", False, idx))
                if self.sent_close:
                    self.drop("protocol violation during the closing handshake")
                else:
                    self.send_close(p.rule.close_code.to_bytes(2, "big"))
                continue
            op = rec.frame.opcode_raw
            if op == Opcode.CLOSE:
                self._on_close(rec, idx)
            elif self.got_close:
                continue
            elif op == Opcode.PING:
                self._event(("ping", rec.frame.payload), idx)
                if not self.sent_close:
                    pong = self._encode(Opcode.PONG, rec.frame.payload)
                    if self.outbound is not None:
                        self._log_out(pong)
                    self.writer.write(pong)
            elif op == Opcode.PONG:
                self._event(("pong", rec.frame.payload), idx)
            elif rec.message is not None:
                msg = rec.message
                self._data_in += len(msg.payload)
                binary = msg.opcode == Opcode.BINARY
                if self.case.echo is not None:
                    if self._echo_waiter is not None and not self._echo_waiter.done():
                        self._echo_waiter.set_result((msg.payload, binary, idx))
                else:
                    self._event(("message", msg.payload, binary), idx)

    def _on_close(self, rec: FrameRecord, idx: int | None) -> None:
        self.got_close = True
        info = rec.close
        code = info.code if info is not None else None
        self.trace.remote_close_code = code
        self.trace.remote_close_frame = idx
        self.trace.was_clean = True
        self.note(f"close frame received (code {code if code is not None else 'none'})")
        if self._echo_waiter is not None and not self._echo_waiter.done():
            self._echo_waiter.cancel()
        if not self.sent_close:
            self.send_close(b"\x03\xe8")
        if self.is_client:

            def server_slow() -> None:
                self.drop(
                    f"the server did not close TCP within {CLOSE_TIMEOUT:g} s of the closing handshake"
                )
                self.trace.was_clean = False

            self._timer(CLOSE_TIMEOUT, server_slow)
        else:
            self.drop("closing handshake complete (the server closes TCP)")
            self.trace.dropped_by_me = False

    # -- the script --------------------------------------------------------------------------

    async def run(self, hard_timeout: float) -> None:
        reader = asyncio.ensure_future(self._read_loop())

        async def script_then_close() -> None:
            await self._script()
            await self.closed.wait()

        try:
            await asyncio.wait_for(script_then_close(), hard_timeout)
        except asyncio.TimeoutError:
            self.note(f"the case did not end within {hard_timeout:g} s (--timeout)")
            self.drop("--timeout")
        finally:
            for t in self._timers:
                t.cancel()
            reader.cancel()
            with contextlib.suppress(Exception):  # the transport may already be gone
                self.writer.transport.abort()
            self._stats()

    def _stats(self) -> None:
        if self.deflate is not None and self._data_in:
            self.trace.ratio_in = self._wire_in / self._data_in
        if self.deflate is not None and self._data_out:
            self.trace.ratio_out = self._wire_out / self._data_out

    async def _script(self) -> None:
        case = self.case
        if case.echo is not None:
            await self._echo(case.echo)
            return
        for step in case.steps:
            if self.closed.is_set():
                return
            if isinstance(step, Frame):
                data = self._encode(
                    step.opcode, step.payload, fin=step.fin, rsv=step.rsv, length=step.length
                )
                await self._write(data, step.chop, step.sync)
            elif isinstance(step, Message):
                await self._write(
                    self._message(step.opcode, step.payload, step.fragment), step.chop
                )
            elif isinstance(step, Close):
                if not self.sent_close:
                    if step.rsv:
                        await self._write(self._encode(Opcode.CLOSE, step.payload, rsv=step.rsv))
                    self.send_close(step.payload)
            elif isinstance(step, Wait):
                await asyncio.sleep(step.seconds)
                if self.closed.is_set() or self.got_close or self.sent_close:
                    return
                self.note(
                    f"wait {step.tag or ''} elapsed, connection still open".replace("  ", " ")
                )
                if step.tag:
                    self.trace.received.append(("timeout", step.tag))
                    self.trace.event_frames.append(None)
            elif isinstance(step, FrameStart):
                whole = self._encode(step.opcode, step.payload)
                header = len(whole) - len(step.payload)
                self._pending = whole[header:]
                await self._write(whole[:header], sync=True)
            elif isinstance(step, FrameData):
                chunk, self._pending = self._pending[: step.size], self._pending[step.size :]
                await self._write(chunk, sync=True)
            elif isinstance(step, KillAfter):
                self._timer(step.seconds, self._kill)
            elif isinstance(step, CloseAfter):
                self._timer(step.seconds, self._close_after)

    def _message(
        self, opcode: int, payload: bytes, fragment: int | None, *, compressed: bool = False
    ) -> bytes:
        """The frames of one message, encoded back to back."""
        if compressed and self.deflate is not None:
            payload = self.deflate.compress(payload)
        if not fragment or len(payload) <= fragment:
            return encode_frame(opcode, payload, mask=self.mask, rsv1=compressed)
        parts = [payload[i : i + fragment] for i in range(0, len(payload), fragment)]
        last = len(parts) - 1
        return b"".join(
            encode_frame(
                opcode if i == 0 else 0,
                part,
                fin=i == last,
                mask=self.mask,
                rsv1=compressed and i == 0,
            )
            for i, part in enumerate(parts)
        )

    async def _echo(self, echo: Echo) -> None:
        """Send ``echo.count`` messages one at a time and check every echo."""
        trace = self.trace
        if echo.compressed and self.deflate is None:
            trace.echo_grade, trace.echo_reason = (
                Grade.UNIMPLEMENTED,
                "permessage-deflate was not accepted",
            )
            self.send_close(b"\x03\xe8")
            return
        trace.echo_grade = Grade.FAILED
        trace.echo_reason = f"the case did not finish within {echo.wait:g} s"
        self._timer(echo.wait, self._close_after)
        loop = asyncio.get_running_loop()
        opcode = Opcode.BINARY if echo.binary else Opcode.TEXT
        # Compression makes the wire bytes depend on the inflater state: only then send one by one.
        for i in range(echo.count):
            payload = echo.make(i)
            self._data_out += len(payload)
            self._echo_waiter = loop.create_future()
            await self._write(
                self._message(opcode, payload, echo.fragment, compressed=echo.compressed), echo.chop
            )
            try:
                got, binary, idx = await self._echo_waiter
            except asyncio.CancelledError:
                if self.got_close or self.closed.is_set():
                    trace.echo_reason = f"the connection closed after {i} of {echo.count} echoes"
                    if trace.remote_close_code is not None:
                        trace.echo_reason += f": the peer closed it with {trace.remote_close_code}"
                    trace.echo_frame = trace.remote_close_frame
                    return
                raise
            finally:
                self._echo_waiter = None
            if self.failed:
                trace.echo_reason = f"echo {i + 1} of {echo.count}: the peer's frame broke a rule"
                trace.echo_frame = idx
                return
            wrong = mismatch(i + 1, got, binary, payload, echo.binary)
            if wrong is not None:
                trace.echo_frame = idx
                trace.echo_reason = wrong.reason
                if wrong.at is not None and idx is not None and not echo.compressed:
                    rec = trace.frames[idx][2]
                    if rec.message is not None and rec.message.frames == 1:
                        trace.echo_offset = rec.frame.payload_offset + wrong.at
                self.send_close(b"\x03\xe8")
                return
        trace.echo_grade = Grade.OK
        trace.echo_reason = (
            f"received all {echo.count} echoed message{'s' if echo.count > 1 else ''} in time"
        )
        self.send_close(b"\x03\xe8")
