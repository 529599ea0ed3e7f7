"""``wsdebug connect``: open a ws:// or wss:// connection and run it through the codec."""

from __future__ import annotations

import asyncio
import base64
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from ..codec.connection import State
from ..codec.events import ConnectEvent, Event, FrameEvent, HandshakeEvent, InfoEvent
from ..codec.opening import ClientConnection
from ..codec.rules import Rule
from ..codec.spec import HTTP_TOKEN, Opcode, Role, host_port
from . import chunkstream
from .endpoint import HandshakeFailed, LiveConnection, Options
from .reporter import Reporter
from .transport import ProxyChoiceError, check_proxy_url, proxy_for, proxy_socket, tls_event

if TYPE_CHECKING:  # the recording's module loads only when --record asks for it
    from ..capture.format import CaptureWriter

#: ``-L``: redirects followed during one opening handshake, at most
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


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
    #: send a ping every this many seconds; each pong's round trip is an InfoEvent
    ping_interval: float | None = None
    #: ``--proxy URL`` (used even for loopback); None: the environment's, unless ``no_proxy``
    proxy: str | None = None
    no_proxy: bool = False
    #: client certificate and key for mutual TLS (PEM)
    certfile: str | None = None
    keyfile: str | None = None
    #: connect to this Unix socket instead of the URL's host and port
    unix: str | None = None
    #: ``USER:PASS`` for HTTP Basic authentication (shown as ``Basic ****``)
    auth: str | None = None
    #: ``-L``: follow 301/302/303/307/308 during the handshake (at most MAX_REDIRECTS hops)
    follow: bool = False
    #: connections opened so far (redirect hops and reconnects each get the next id: c1, c2, ...)
    opened: int = 0
    #: called with each connection whose handshake succeeded (``--reconnect`` watches them)
    on_open: Callable[[LiveConnection], None] | None = None

    def next_id(self) -> str:
        self.opened += 1
        return f"c{self.opened}"


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
    if opts.certfile:
        try:
            ctx.load_cert_chain(opts.certfile, opts.keyfile)
        except (OSError, ssl.SSLError) as exc:
            what = f"--cert {opts.certfile}" + (f" / --key {opts.keyfile}" if opts.keyfile else "")
            raise ConnectError(f"cannot load {what}: {exc}", status=2) from None
    return ctx


def check_options(opts: ClientOptions) -> None:
    """Usage errors (exit 2) found before connecting."""
    check_headers(opts.headers)
    if opts.keyfile and not opts.certfile:
        raise ConnectError("--key needs --cert", status=2)
    if opts.auth is not None and ":" not in opts.auth:
        raise ConnectError("--auth expects USER:PASS", status=2)
    if opts.proxy:
        try:
            check_proxy_url(opts.proxy)
        except ProxyChoiceError as exc:
            raise ConnectError(str(exc), status=2) from None
    if opts.auth is not None and any(n.lower() == "authorization" for n, _ in opts.headers):
        raise ConnectError("--auth and -H 'Authorization: ...' cannot be used together", status=2)


def basic_credentials(auth: str) -> str:
    """The ``Authorization`` value for ``USER:PASS`` (RFC 7617: UTF-8, then base64)."""
    return "Basic " + base64.b64encode(auth.encode("utf-8")).decode("ascii")


MASKED = "Basic ****"


def mask_authorization(ev: HandshakeEvent, secret: str) -> None:
    """Show the Authorization header of ``--auth`` as ``Basic ****``, in the request's header
    line and in its raw bytes (same length there, so every offset stays right)."""
    req = ev.request
    if req is None:
        return
    headers = [
        _replace(h, value=MASKED) if h.name.lower() == "authorization" and h.value == secret else h
        for h in req.headers
    ]
    token = secret.split(" ", 1)[1].encode("ascii")
    ev.request = _replace(req, headers=headers, raw=req.raw.replace(token, b"*" * len(token)))


class ClientLive(LiveConnection):
    """The client's connection: ``--auth`` masked in what is shown, pongs timed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.secret: str | None = None  #: the Authorization value of ``--auth``
        self.pings: dict[bytes, float] = {}  #: ping payload -> monotonic time sent
        self._tasks: list[asyncio.Task[None]] = []

    def start_pinger(self, interval: float) -> None:
        """Ping every ``interval`` seconds until the connection is closed."""
        task = asyncio.get_running_loop().create_task(pinger(self, interval))

        async def stop_when_closed() -> None:
            await self.closed.wait()
            task.cancel()

        self._tasks += [task, asyncio.get_running_loop().create_task(stop_when_closed())]

    def report(self, events: list[Event]) -> None:
        if not self.secret and not self.pings:  # nothing to mask, no ping waiting: one loop
            super().report(events)
            return
        extra: list[Event] = []
        for ev in events:
            if isinstance(ev, HandshakeEvent) and self.secret:
                mask_authorization(ev, self.secret)
            elif isinstance(ev, FrameEvent) and ev.direction is not self._out_dir:
                frame = ev.record.frame
                if frame.opcode_raw == Opcode.PONG and frame.payload in self.pings:
                    rtt = time.monotonic() - self.pings.pop(frame.payload)
                    name = frame.payload.decode("ascii", "replace")
                    extra.append(
                        InfoEvent(f"{self.id} pong {name!r}: round trip {rtt * 1000:.1f} ms")
                    )
        super().report(events)
        for ev in extra:
            ev.conn, ev.t = self.id, time.time()
            self.reporter.emit(ev)


async def pinger(live: ClientLive, interval: float) -> None:
    """``--ping-interval``: a ping every ``interval`` seconds while the connection is open."""
    n = 0
    while True:
        await asyncio.sleep(interval)
        if not live.open:
            return
        n += 1
        payload = f"wsdebug {n}".encode("ascii")
        live.pings[payload] = time.monotonic()
        if len(live.pings) > 64:  # a peer that never answers: forget the oldest
            live.pings.pop(next(iter(live.pings)))
        live.send("ping", payload)
        await live.drain()


async def _open_stream(
    target: Target, opts: ClientOptions, ctx: ssl.SSLContext | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """TCP (direct or through a proxy) or a Unix socket, then TLS; one-line errors."""
    where = opts.unix if opts.unix else f"{target.host}:{target.port}"
    proxy = (
        None if opts.unix else proxy_for(target.host, target.secure, opts.proxy, not opts.no_proxy)
    )
    tls: dict[str, Any] = {"ssl": ctx, "server_hostname": target.host if ctx else None}

    async def opening() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if opts.unix:
            return await chunkstream.open_unix_connection(opts.unix, limit=1 << 20, **tls)
        if proxy:
            sock = await proxy_socket(proxy, target.host, target.port, opts.connect_timeout)
            return await chunkstream.open_connection(sock=sock, limit=1 << 20, **tls)
        return await chunkstream.open_connection(target.host, target.port, limit=1 << 20, **tls)

    try:
        return await asyncio.wait_for(opening(), opts.connect_timeout)
    except asyncio.TimeoutError:
        raise ConnectError(
            f"connecting to {where} timed out after {opts.connect_timeout:g} s"
        ) from None
    except ProxyChoiceError as exc:
        raise ConnectError(str(exc), status=2) from None
    except ssl.SSLCertVerificationError as exc:
        raise ConnectError(
            f"TLS certificate verification failed: certificate verify failed: "
            f"{exc.verify_message or exc.reason}, for host {target.host}"
            " (use --cacert FILE to trust a CA, or --insecure to skip verification)"
        ) from None
    except ssl.SSLError as exc:
        raise ConnectError(f"TLS handshake with {where} failed: {exc.reason or exc}") from None
    except socket.gaierror as exc:
        raise ConnectError(f"cannot resolve host {target.host!r}: {exc.strerror}") from None
    except ConnectionRefusedError:
        raise ConnectError(f"connection refused by {where} (is the server running?)") from None
    except OSError as exc:
        raise ConnectError(f"cannot connect to {where}: {exc.strerror or exc}") from None


def _redirect_url(base: str, location: str) -> str:
    """A Location (absolute or relative; http(s) read as ws(s)) resolved against ``base``."""
    url = urljoin(base.replace("ws", "http", 1), location)
    if url.startswith("https:"):
        return "wss:" + url[len("https:") :]
    if url.startswith("http:"):
        return "ws:" + url[len("http:") :]
    return url


async def open_client(
    url: str,
    opts: ClientOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None = None,
    conn_id: str | None = None,
) -> LiveConnection:
    """Connect, do the opening handshake (following redirects with ``opts.follow``), and
    return the live connection (pump not started; with ``ping_interval`` the pinger runs)."""
    check_options(opts)
    hops = 0
    first = Target.parse(url)
    trusted = True  #: still on the first host: credentials may be sent
    while True:
        this = conn_id if conn_id is not None and not hops else opts.next_id()
        result = await _open_once(url, opts, reporter, recorder, this, trusted)
        if isinstance(result, LiveConnection):
            if opts.on_open is not None:
                opts.on_open(result)
            return result
        hops += 1
        status, location = result
        if hops > MAX_REDIRECTS:
            raise ConnectError(f"handshake failed: more than {MAX_REDIRECTS} redirects")
        nxt = _redirect_url(url, location)
        try:
            hop = Target.parse(nxt)
        except ConnectError as exc:
            raise ConnectError(f"redirect {status} to {location!r}: {exc}") from None
        note = ""
        if trusted and (hop.host, hop.port) != (first.host, first.port):
            trusted = False  # as curl does: credentials stay with the host they were given for
            if opts.auth is not None or _credential_headers(opts.headers):
                note = " (credentials are not sent to another host)"
        reporter.emit(
            InfoEvent(
                f"redirect {hops} of at most {MAX_REDIRECTS}: {status} → {nxt}{note}",
                conn=this,
                t=time.time(),
            )
        )
        url = nxt


_CREDENTIALS = ("authorization", "cookie", "proxy-authorization")


def _credential_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, v) for n, v in headers if n.lower() in _CREDENTIALS]


async def _open_once(
    url: str,
    opts: ClientOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None,
    conn_id: str,
    trusted: bool = True,
) -> LiveConnection | tuple[int, str]:
    """One connection and handshake: the live connection, or (status, Location) to follow."""
    target = Target.parse(url)
    ctx = tls_context(opts) if target.secure else None
    reader, writer = await _open_stream(target, opts, ctx)

    live = ClientLive(conn_id, Role.CLIENT, reader, writer, reporter, opts, recorder)
    headers = [h for h in opts.headers if trusted or h not in _credential_headers(opts.headers)]
    if opts.auth is not None and trusted:
        live.secret = basic_credentials(opts.auth)
        headers.append(("Authorization", live.secret))
    if recorder is not None:
        recorder.open(conn_id, role="client", peer=live.peer, local=live.local, url=url)
    reporter.emit(ConnectEvent(live.peer, conn=conn_id, t=time.time()))
    if ctx is not None:
        tls = tls_event(writer.get_extra_info("ssl_object"), verified=not opts.insecure)
        if tls is not None:
            tls.conn, tls.t = conn_id, time.time()
            reporter.emit(tls)
    conn = ClientConnection(
        target.host_header,
        target.resource,
        subprotocols=opts.subprotocols,
        deflate=opts.deflate,
        origin=opts.origin,
        headers=headers,
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
        hint = ""
        if ctx is not None and not opts.certfile and "(0 bytes received)" in str(exc):
            # TLS 1.3 sends "certificate required" after the handshake: it reads as an EOF
            hint = (
                " (a TLS server that wants a client certificate does this: --cert FILE --key FILE)"
            )
        raise await give_up(f"handshake failed: {exc}{hint}") from None
    except (ConnectionError, OSError) as exc:
        raise await give_up(f"handshake failed: connection lost ({exc})") from None
    ev = conn.handshake
    assert ev is not None
    if any(p.rule is Rule.HANDSHAKE_TOO_BIG for p in ev.problems):
        raise await give_up(
            f"handshake failed: the response head is larger than {opts.max_handshake} bytes"
        )
    if not ev.accepted:
        resp = ev.response
        location = resp.get("Location") if resp is not None else None
        follow = opts.follow and resp is not None and resp.status in REDIRECTS and location
        if follow:  # with -L a redirect is what was asked for, not a problem
            ev.problems = [p for p in ev.problems if p.rule is not Rule.HANDSHAKE_STATUS]
        live.report(conn.events_received())
        if follow and resp is not None and location:
            await live.close_transport()
            if recorder is not None:
                recorder.end(conn_id, f"redirect {resp.status} to {location}")
            return resp.status, location
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
        hint = (
            f" (Location: {location}; -L follows redirects)"
            if resp is not None and status in REDIRECTS and location and not opts.follow
            else ""
        )
        raise await give_up(f"handshake refused: {what} — {first}{detail}{hint}")
    live.subprotocol, live.extensions = conn.subprotocol, conn.extensions
    live.start(conn, b"")
    if opts.ping_interval:
        live.start_pinger(opts.ping_interval)
    return live


async def _read_body(reader: asyncio.StreamReader, limit: int) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(limit), 1.0)
    except (asyncio.TimeoutError, ConnectionError, OSError):
        return b""
