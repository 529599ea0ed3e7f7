"""``wsdebug connect``: open a ws:// or wss:// connection and run it through the codec."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from ..capture.format import CaptureWriter
from ..codec.connection import State
from ..codec.events import ConnectEvent
from ..codec.opening import ClientConnection
from ..codec.rules import Rule
from ..codec.spec import HTTP_TOKEN, Role, host_port
from .endpoint import HandshakeFailed, LiveConnection, Options
from .reporter import Reporter


class ConnectError(Exception):
    """Could not connect or complete the handshake: one line, exit status 1 (2 for a bad URL)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Target:
    secure: bool
    host: str
    port: int
    resource: str  #: path and query
    host_header: str

    @classmethod
    def parse(cls, url: str) -> Target:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:
            raise ConnectError(f"bad URL {url!r}: {exc}", status=2) from None
        if parts.scheme not in ("ws", "wss"):
            raise ConnectError(f"URL must start with ws:// or wss://, not {url!r}", status=2)
        if not parts.hostname:
            raise ConnectError(f"no host in URL {url!r}", status=2)
        if parts.username or parts.password:
            raise ConnectError(
                "credentials in the URL are not supported; use -H 'Authorization: ...'", status=2
            )
        secure = parts.scheme == "wss"
        try:
            port = parts.port or (443 if secure else 80)
        except ValueError:
            raise ConnectError(f"bad port in URL {url!r}", status=2) from None
        # RFC 6455 §3: the resource name is the path and query, percent-encoded where needed.
        path = quote(parts.path or "/", safe="/%!$&'()*+,;=:@~")
        query = quote(parts.query, safe="/%!$&'()*+,;=:@~?")
        resource = path + (f"?{query}" if query else "")
        host = parts.hostname
        default = 443 if secure else 80
        host_header = host_port(host, port)  # RFC 7230 §5.4: the port only when not the default
        return cls(
            secure,
            host,
            port,
            resource,
            host_header.rsplit(":", 1)[0] if port == default else host_header,
        )


@dataclass
class ClientOptions(Options):
    headers: list[tuple[str, str]] = field(default_factory=list)
    origin: str | None = None
    insecure: bool = False
    cacert: str | None = None
    connect_timeout: float = 10.0
    #: after the script (stdin or ``execute``) ends, seconds to keep reading before closing
    #: (the ``connect`` command's default is 1 s; 0 closes at once)
    wait: float = 0.0
    #: never close at the end of the script: stop when the peer closes (or on Ctrl-C)
    no_close: bool = False
    #: messages sent once connected, in order, instead of reading standard input
    execute: list[str] = field(default_factory=list)
    #: close cleanly once the first message from the peer has arrived
    one_message: bool = False


_TOKEN = re.compile(HTTP_TOKEN)


def check_headers(headers: list[tuple[str, str]]) -> None:
    """Refuse, before connecting, headers that cannot be sent (RFC 7230 §3.2)."""
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise ConnectError(f"header name {name!r} is not an HTTP token", status=2)
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ConnectError(
                f"header {name}: the value must be Latin-1 (HTTP/1.1 headers are bytes)", status=2
            ) from None
        if "\r" in value or "\n" in value:
            raise ConnectError(f"header {name}: line breaks are not allowed in a value", status=2)


def tls_context(opts: ClientOptions) -> ssl.SSLContext:
    try:
        ctx = ssl.create_default_context(cafile=opts.cacert)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectError(f"cannot load --cacert {opts.cacert}: {exc}", status=2) from None
    if opts.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def open_client(
    url: str,
    opts: ClientOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None = None,
    conn_id: str = "c1",
) -> LiveConnection:
    """Connect, do the opening handshake, and return the live connection (pump not started)."""
    target = Target.parse(url)
    check_headers(opts.headers)
    ctx = tls_context(opts) if target.secure else None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                target.host,
                target.port,
                ssl=ctx,
                server_hostname=target.host if ctx else None,
                limit=1 << 20,
            ),
            opts.connect_timeout,
        )
    except asyncio.TimeoutError:
        raise ConnectError(
            f"connecting to {target.host}:{target.port} timed out after {opts.connect_timeout:g} s"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise ConnectError(
            f"TLS certificate verification failed for {target.host}: {exc.verify_message or exc.reason}"
            " (use --cacert FILE to trust a CA, or --insecure to skip verification)"
        ) from None
    except ssl.SSLError as exc:
        raise ConnectError(
            f"TLS handshake with {target.host}:{target.port} failed: {exc.reason or exc}"
        ) from None
    except socket.gaierror as exc:
        raise ConnectError(f"cannot resolve host {target.host!r}: {exc.strerror}") from None
    except ConnectionRefusedError:
        raise ConnectError(
            f"connection refused by {target.host}:{target.port} (is the server running?)"
        ) from None
    except OSError as exc:
        raise ConnectError(
            f"cannot connect to {target.host}:{target.port}: {exc.strerror or exc}"
        ) from None

    live = LiveConnection(conn_id, Role.CLIENT, reader, writer, reporter, opts, recorder)
    if recorder is not None:
        recorder.open(conn_id, role="client", peer=live.peer, local=live.local, url=url)
    reporter.emit(ConnectEvent(live.peer, conn=conn_id, t=time.time()))
    conn = ClientConnection(
        target.host_header,
        target.resource,
        subprotocols=opts.subprotocols,
        deflate=opts.deflate,
        origin=opts.origin,
        headers=opts.headers,
        max_handshake=opts.max_handshake,
        max_message=opts.max_message,
        lenient=opts.lenient,
    )
    live.request_key = conn.key

    async def give_up(message: str) -> ConnectError:
        """Close the socket, end the recording, and make the one-line error."""
        await live.close_transport()
        if recorder is not None:
            recorder.end(conn_id, message)
        return ConnectError(message)

    live.write(conn.data_to_send())
    try:
        await live.drain()
        await live.read_handshake(conn, lambda: conn.state is not State.CONNECTING)
    except HandshakeFailed as exc:
        raise await give_up(f"handshake failed: {exc}") from None
    except (ConnectionError, OSError) as exc:
        raise await give_up(f"handshake failed: connection lost ({exc})") from None
    ev = conn.handshake
    assert ev is not None
    if any(p.rule is Rule.HANDSHAKE_TOO_BIG for p in ev.problems):
        raise await give_up(
            f"handshake failed: the response head is larger than {opts.max_handshake} bytes"
        )
    if not ev.accepted:
        live.report(conn.events_received())
        resp = ev.response
        body = ev.body
        if resp is not None and resp.status != 101:
            more = await _read_body(reader, 4096)
            if more:
                live.record_in(more)
            body += more
        text = body.decode("utf-8", "replace").strip()
        detail = f"; body: {text[:200]!r}" if text else ""
        status = resp.status if resp is not None else 0
        what = (
            f"{status} {resp.reason}".strip()
            if resp is not None and status
            else ("no valid HTTP response")
        )
        first = ev.problems[0].message if ev.problems else "refused"
        raise await give_up(f"handshake refused: {what} — {first}{detail}")
    live.subprotocol, live.extensions = conn.subprotocol, conn.extensions
    live.start(conn, b"")
    return live


async def _read_body(reader: asyncio.StreamReader, limit: int) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(limit), 1.0)
    except (asyncio.TimeoutError, ConnectionError, OSError):
        return b""
