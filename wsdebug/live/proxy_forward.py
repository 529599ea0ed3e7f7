"""``wsdebug proxy --forward``: an HTTP proxy that decodes the WebSocket connections through it.

A client configured with the proxy (``HTTPS_PROXY``, Chrome's ``--proxy-server``) sends either
an absolute-URI request (``GET ws://host/path``, or ``http://``) or ``CONNECT host:port``.  For
CONNECT the proxy answers 200 and looks at the first byte the client sends (without reading
it): a TLS ClientHello is terminated with a certificate for the host signed by the local CA
(:mod:`.proxy_ca`; ALPN offers http/1.1 only), anything else is read as plain HTTP.  The request
inside the tunnel then goes through the reverse proxy's path (:class:`ProxiedConnection`) with
``ws://host:port`` or ``wss://host:port`` as the upstream, verified as ``connect`` verifies.
A request that is not a WebSocket upgrade is relayed untouched (the answer and what follows
are relayed blind).  With ``intercept_host`` (a glob such as ``*.example.com``) only matching
hosts are decoded; the other CONNECTs are tunnelled blind, TLS and all.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import socket
import ssl

from ..codec.events import ErrorEvent, InfoEvent
from ..codec.handshake import Request
from ..codec.spec import host_port
from .client import Target
from .proxy import ProxiedConnection
from .proxy_http import Refused
from .proxy_side import HIGH_WATER, S2C
from .proxy_side import Side as _Side

_AUTHORITY = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]/@\s]+)):(?P<port>\d{1,5})$"
)
_ABSOLUTE = re.compile(r"^(?P<scheme>wss?|https?)://(?P<auth>[^/?#\s]+)", re.I)
ESTABLISHED = b"HTTP/1.1 200 Connection Established\r\n\r\n"


def _target(secure: bool, host: str, port: int) -> Target:
    default = 443 if secure else 80
    shown = host_port(host, port)
    return Target(secure, host, port, "/", shown if port != default else shown.rsplit(":", 1)[0])


class ForwardConnection(ProxiedConnection):
    """One client of the forward proxy: CONNECT tunnels and absolute-URI requests."""

    tunnel: tuple[str, int, bool] | None = None  #: (host, port, TLS) inside a CONNECT

    async def _route(self, req: Request) -> tuple[Target, bool] | str:
        if self.tunnel is not None:
            host, port, secure = self.tunnel
            if not req.target.startswith("/"):
                raise Refused(400, "Bad Request", "inside a tunnel the target must be a path")
            return _target(secure, host, port), False
        if req.method == "CONNECT":
            return await self._connect(req)
        m = _ABSOLUTE.match(req.target)
        if m is None:
            raise Refused(
                400, "Bad Request", "a forward proxy takes CONNECT host:port or an absolute URL"
            )
        secure = m["scheme"].lower() in ("wss", "https")
        try:
            target = Target.parse(("wss" if secure else "ws") + "://" + m["auth"] + "/")
        except Exception:
            raise Refused(400, "Bad Request", f"bad URL {req.target[:80]!r}") from None
        return target, False

    async def _connect(self, req: Request) -> str:
        m = _AUTHORITY.match(req.target)
        if m is None or not 0 < int(m["port"]) < 65536:
            raise Refused(400, "Bad Request", f"CONNECT needs host:port, not {req.target[:80]!r}")
        host, port = m["v6"] or m["host"], int(m["port"])
        pattern = self.opts.intercept_host
        if pattern and not fnmatch.fnmatch(host.lower(), pattern.lower()):
            return await self._tunnel_blind(host, port)
        transport = self.client.writer.transport
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()  # the first byte is looked at, not read
        self.client.write(ESTABLISHED)
        try:
            first = await asyncio.wait_for(self._peek(), self.opts.handshake_timeout)
        except asyncio.TimeoutError:
            return f"the client sent nothing after CONNECT {host}:{port} within {self.opts.handshake_timeout:g} s"
        secure = first == b"\x16"  # a TLS record: the handshake
        if not first:
            return f"the client left after CONNECT {host}:{port}"
        if secure:
            assert self.proxy.ca is not None
            try:
                await self.client.writer.start_tls(self.proxy.ca.context_for(host))  # type: ignore[attr-defined]
            except (ssl.SSLError, OSError) as exc:
                reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
                alert = "ALERT" in str(reason).upper() or "CERTIFICATE" in str(reason).upper()
                if alert or not isinstance(exc, ssl.SSLError):  # the client ended the handshake
                    text = f"the client did not trust wsdebug's CA for {host} (it ended the TLS handshake: {reason})"
                else:
                    text = f"TLS with the client failed for {host}: {reason}"
                self.emit(ErrorEvent(text))
                return "TLS with the client failed"
            self.client.writer.transport.set_write_buffer_limits(high=HIGH_WATER)
        else:
            transport.resume_reading()
        self.tunnel = (host, port, secure)
        how = "TLS terminated with wsdebug's CA" if secure else "plain"
        self.emit(InfoEvent(f"{self.id}: CONNECT {host_port(host, port)} ({how})"))
        return await self._run()

    async def _peek(self) -> bytes:
        """The first byte waiting on the client's socket, left there (b"" at EOF)."""
        sock = self.client.writer.get_extra_info("socket")
        loop = asyncio.get_running_loop()
        dup = socket.socket(fileno=os.dup(sock.fileno()))
        dup.setblocking(False)
        ready: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(dup.fileno(), readable)
        try:
            await ready
            return dup.recv(1, socket.MSG_PEEK)
        finally:
            loop.remove_reader(dup.fileno())
            dup.close()

    async def _tunnel_blind(self, host: str, port: int) -> str:
        """A CONNECT to a host not intercepted: bytes both ways, nothing decoded."""
        where = host_port(host, port)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, limit=HIGH_WATER), self.opts.connect_timeout
            )
        except (OSError, asyncio.TimeoutError) as exc:
            raise Refused(502, "Bad Gateway", f"cannot connect to {where}: {exc}") from None
        self.client.write(ESTABLISHED)
        self.server = _Side(S2C, reader, writer)
        self.emit(InfoEvent(f"{self.id}: CONNECT {where} tunnelled blind (not --intercept-host)"))
        await self._blind()
        return f"tunnel to {where} closed"
