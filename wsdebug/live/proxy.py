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
4. after a 101, builds a :class:`~wsdebug.codec.stream.StreamDecoder` per direction, with
   the sender's role and the permessage-deflate parameters the two ends negotiated, and hands
   over to the relay (:mod:`.proxy_relay`): bytes in both directions exactly as they arrive,
   every frame a :class:`~wsdebug.codec.events.FrameEvent` with its real direction.

This module is the opening (steps 1 to 4); :mod:`.proxy_relay` is everything after it.
The recording (``--record``) is one conversation per proxied connection: ``c2s`` is what the
client sent, ``s2c`` what the server sent, each chunk as it was read.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable

from ..codec.build import build_error_response
from ..codec.deflate import PerMessageDeflate, params_in_force
from ..codec.events import (
    ConnectEvent,
    DisconnectEvent,
    ErrorEvent,
    HandshakeEvent,
)
from ..codec.handshake import (
    HeadReader,
    Request,
    Response,
    parse_request,
    parse_response,
    validate_request,
    validate_response,
)
from ..codec.spec import Role, host_port
from ..codec.stream import StreamDecoder
from .client import ClientOptions, Target, tls_context
from .proxy_http import Refused, bad_request, rewrite_head, upstream_target
from .proxy_relay import Relay
from .proxy_side import HIGH_WATER, READ_SIZE, S2C
from .proxy_side import Side as _Side


class ProxiedConnection(Relay):
    """One client connection and its upstream leg: the opening; the relay is
    :class:`~.proxy_relay.Relay`'s."""

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
