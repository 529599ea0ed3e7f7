"""``wsdebug proxy UPSTREAM``: a transparent reverse proxy that decodes both directions.

Theory of operation
-------------------
The app connects to the proxy instead of its server.  For each TCP connection (ids ``p1``,
``p2``, ...) the proxy:

1. reads the client's request head (bounded by ``max_handshake`` bytes and
   ``handshake_timeout`` seconds; a head that does not parse as an HTTP request is answered
   400, one that is too big 431);
2. opens the upstream (ws:// or wss://, verified unless ``insecure``), rewrites the request
   line (the client's path and query appended to the upstream's unless ``keep_path``) and the
   ``Host`` header, and forwards every other byte of the head as it was; an unreachable
   upstream is answered ``502 Bad Gateway`` with a one-line reason;
3. relays the upstream's answer to the client chunk by chunk, as it was sent (a refusal
   included); after anything but a 101 the bytes are relayed blind until either side ends;
4. after a 101, relays the bytes in both directions exactly as they arrive (no re-framing)
   and feeds each direction to a :class:`~wsdebug.codec.stream.StreamDecoder` built with the
   sender's role and the permessage-deflate parameters the two ends negotiated; every frame
   becomes a :class:`~wsdebug.codec.events.FrameEvent` with its real direction.

Violations are reported and passed through.  With ``strict`` the first problem in a direction
stops the relay before the offending frame: the offending side gets a close frame with the
RFC close code, the other side 1001 (the client misbehaved) or 1014 (the server did).

Backpressure: a direction is read only while the other side's transport buffer is below
:data:`HIGH_WATER`, so a reader that stalls holds the writer back instead of growing memory.
The recording (``--record``) is one conversation per proxied connection: ``c2s`` is what the
client sent, ``s2c`` what the server sent, each chunk as it was read.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import ssl
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..codec.build import build_error_response
from ..codec.close import build_close_payload
from ..codec.deflate import PerMessageDeflate, params_in_force
from ..codec.events import (
    CloseEvent,
    ConnectEvent,
    DisconnectEvent,
    ErrorEvent,
    Event,
    FailEvent,
    FrameEvent,
    HandshakeEvent,
    InfoEvent,
    MessageEvent,
    NoteEvent,
)
from ..codec.frames import encode_frame
from ..codec.handshake import (
    HeadReader,
    Request,
    Response,
    parse_request,
    parse_response,
    validate_request,
    validate_response,
)
from ..codec.rules import Problem
from ..codec.spec import Direction, Opcode, Role, host_port
from ..codec.stream import FrameRecord, StreamDecoder
from .client import ClientOptions, Target, tls_context
from .proxy_http import Refused, bad_request, rewrite_head, upstream_target
from .proxy_script import ScriptMessage, reframe
from .proxy_side import C2S, HIGH_WATER, READ_SIZE, S2C
from .proxy_side import Side as _Side

if TYPE_CHECKING:
    from .proxy_server import Proxy

GOING_AWAY, BAD_GATEWAY = 1001, 1014


class ProxiedConnection:
    """One client connection and its upstream leg."""

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
        waiting: Any = self.reporter.drain()
        if inspect.isawaitable(waiting):
            await waiting

    # -- the connection ----------------------------------------------------------------------------

    async def run(self) -> None:
        reason = "closed"
        try:
            reason = await self._run()
        except Refused as exc:
            self.emit(ErrorEvent(f"{exc.status} {exc.title}: {exc}"))
            body = f"wsdebug proxy: {exc}\n"
            self.client.write(build_error_response(exc.status, exc.title, body))
            with contextlib.suppress(ConnectionError, OSError):
                await asyncio.wait_for(self.client.writer.drain(), self.opts.close_timeout)
            reason = f"answered {exc.status} {exc.title}"
        except (ConnectionError, OSError) as exc:
            exc.__traceback__ = None
            reason = f"connection lost: {exc.strerror or exc}"
        finally:
            for side in (self.client, self.server):
                if side is not None:
                    side.abort() if self.failed else side.writer.close()
            self.emit(DisconnectEvent(reason))
            if self.recorder is not None:
                self.recorder.end(self.id, reason)

    async def _read_head(
        self, side: _Side, reader: HeadReader, relay: _Side | None
    ) -> tuple[bytes | None, bool]:
        """Read until ``reader`` has a head (relaying each chunk to ``relay`` as it comes).
        Returns (head or None, whether the side ended first)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.opts.handshake_timeout
        while not reader.done:
            data = await asyncio.wait_for(
                side.reader.read(READ_SIZE), max(deadline - loop.time(), 0.0)
            )
            if not data:
                return None, True
            self.record(side.direction, data)
            reader.feed(data)
            if relay is not None:  # the head as it comes; what follows it is decoded first
                relay.write(data[: len(data) - len(reader.leftover)] if reader.head else data)
        return reader.head, False

    async def _run(self) -> str:
        opts = self.opts
        heads = HeadReader(opts.max_handshake)
        try:
            head, ended = await self._read_head(self.client, heads, None)
        except asyncio.TimeoutError:
            raise Refused(
                408, "Request Timeout", f"no request head within {opts.handshake_timeout:g} s"
            ) from None
        if heads.too_big:
            raise Refused(
                431,
                "Request Header Fields Too Large",
                f"the request head is larger than {opts.max_handshake} bytes",
            )
        if head is None:
            return "the client closed before sending a request"
        req = parse_request(head)
        routed = await self._route(req)
        if isinstance(routed, str):  # answered or tunnelled: nothing more to do
            return routed
        target, keep_path = routed
        server = await self._open_upstream(target)
        self.server = server
        forwarded = rewrite_head(
            head, req, upstream_target(target, req.target, keep_path), target.host_header
        )
        script = self.terminated
        server.write(forwarded + (b"" if script else heads.leftover))
        answer = HeadReader(opts.max_handshake)
        try:
            rhead, ended = await self._read_head(server, answer, self.client)
        except asyncio.TimeoutError:
            if answer.buffered:  # part of an answer went to the client already
                self.emit(ErrorEvent(f"no complete answer within {opts.handshake_timeout:g} s"))
                return "the upstream did not finish its answer"
            raise Refused(
                504,
                "Gateway Timeout",
                f"{target.host}:{target.port} sent no answer within {opts.handshake_timeout:g} s",
            ) from None
        if rhead is None:
            if not answer.buffered and not answer.too_big:
                raise Refused(
                    502, "Bad Gateway", f"{target.host}:{target.port} closed without answering"
                )
            self.emit(ErrorEvent("the upstream closed in the middle of its answer"))
            await self._blind()
            return "the upstream closed during the handshake"
        resp = parse_response(rhead)
        accepted = self._handshake(req, resp)
        if not accepted:
            self.client.write(answer.leftover)  # the refusal's body, as it came
            await self._blind()
            return "no WebSocket connection" if resp.status != 101 else "handshake failed"
        self._decoders(req, resp)
        if answer.leftover:  # frames that came with the answer
            await self._chunk(server, self.client, answer.leftover, recorded=True)
        if heads.leftover:  # frames the client sent behind its request (already forwarded)
            await self._chunk(self.client, server, heads.leftover, recorded=True, sent=not script)
        return await self._relay()

    async def _route(self, req: Request) -> tuple[Target, bool] | str:
        """Where the request goes (and whether the upstream URL's path is kept), or the reason
        the connection is over (the forward proxy tunnels, see :mod:`.proxy_forward`)."""
        bad = bad_request(req)
        if bad is not None:
            raise Refused(400, "Bad Request", bad)
        assert self.proxy.target is not None
        return self.proxy.target, self.opts.keep_path

    async def _open_upstream(self, target: Target) -> _Side:
        opts = self.opts
        ctx = None
        if target.secure:
            ctx = tls_context(ClientOptions(insecure=opts.insecure, cacert=opts.cacert))
        where = f"{target.host}:{target.port}"
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    target.host,
                    target.port,
                    ssl=ctx,
                    server_hostname=target.host if ctx else None,
                    limit=HIGH_WATER,
                ),
                opts.connect_timeout,
            )
        except asyncio.TimeoutError:
            why = f"connecting to {where} timed out after {opts.connect_timeout:g} s"
            raise Refused(502, "Bad Gateway", why) from None
        except ssl.SSLCertVerificationError as exc:
            why = (
                f"TLS certificate of {target.host} not trusted: {exc.verify_message or exc.reason}"
            )
            raise Refused(502, "Bad Gateway", why) from None
        except ssl.SSLError as exc:
            why = f"TLS handshake with {where} failed: {exc.reason or exc}"
            raise Refused(502, "Bad Gateway", why) from None
        except socket.gaierror as exc:
            why = f"cannot resolve {target.host!r}: {exc.strerror}"
            raise Refused(502, "Bad Gateway", why) from None
        except ConnectionRefusedError:
            raise Refused(502, "Bad Gateway", f"connection refused by {where}") from None
        except OSError as exc:
            why = f"cannot connect to {where}: {exc.strerror or exc}"
            raise Refused(502, "Bad Gateway", why) from None
        peer = writer.get_extra_info("peername")
        addr = host_port(peer[0], peer[1]) if peer else where
        self.emit(ConnectEvent(addr, role=Role.CLIENT, url=opts.upstream))
        return _Side(S2C, reader, writer)

    def _handshake(self, req: Request, resp: Response) -> bool:
        problems = validate_request(req) + validate_response(
            resp,
            key=req.key,
            offered_subprotocols=req.subprotocols,
            offered_extensions=[req.extensions] if req.extensions else [],
        )
        accepted = resp.status == 101 and resp.is_websocket
        params = params_in_force(resp.extensions, req.extensions) if accepted else None
        self.emit(
            HandshakeEvent(
                req,
                resp,
                problems,
                accepted,
                status=resp.status,
                subprotocol=resp.subprotocol,
                extensions=resp.extensions,
                deflate=params,
            )
        )
        if self.recorder is not None and accepted:
            self.recorder.handshake(
                self.id, subprotocol=resp.subprotocol, extensions=resp.extensions
            )
        return accepted

    def _decoders(self, req: Request, resp: Response) -> None:
        assert self.server is not None
        params = params_in_force(resp.extensions, req.extensions)
        limit = self.opts.max_message
        for side in (self.client, self.server):
            inflate: Callable[[bytes], bytes] | None = None
            if params is not None:
                # the inflater of what this side sends is its peer's
                pmd = PerMessageDeflate(params, is_client=side is self.server, max_size=limit)
                inflate = pmd.decompress
            if params is not None and self.terminated:
                # forwarding the client's messages, the proxy is the server's client
                side.compressor = PerMessageDeflate(params, is_client=side is self.client)
            side.decoder = StreamDecoder(
                side.direction.sender,
                inflate=inflate,
                max_message=limit,
                early_utf8=self.opts.strict,
            )

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
                await dst.drain()
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
        """Record, decode, forward (unless ``sent``) and report one chunk; False once strict
        mode failed the connection."""
        if not recorded:
            self.record(src.direction, data)
        decoder = src.decoder
        if decoder is None:
            if not sent:
                dst.write(data)
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
        if not sent and not terminated:
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
