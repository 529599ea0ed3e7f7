"""Grade a WebSocket server: one connection per case to ``URL``, ``parallel`` at a time.

Each case opens its own TCP (or TLS, verified unless ``insecure``) connection, performs the
opening handshake with the codec (offering permessage-deflate for groups 12 and 13), hands the
stream to :class:`~.session.CaseSession`, and grades the trace with :func:`~.grading.grade`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from wsdebug.codec.deflate import ExtensionError, PerMessageDeflate, accept_response
from wsdebug.codec.handshake import HeadReader, build_request, parse_response, validate_response

from .grading import Case, Result, Trace, grade
from .session import CaseSession

HANDSHAKE_TIMEOUT = 10.0
BIG_MESSAGE = 1 << 20  #: cases with messages this large ...
BIG_AT_ONCE = 2  #: ... run at most this many at a time


class TargetError(ValueError):
    """The URL cannot be used (bad scheme, no host)."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str
    secure: bool
    host_header: str

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("ws", "wss"):
            raise TargetError(f"the URL must start with ws:// or wss://, not {url!r}")
        if not parts.hostname:
            raise TargetError(f"no host in {url!r}")
        try:
            port = parts.port or (443 if scheme == "wss" else 80)
        except ValueError as exc:
            raise TargetError(f"bad port in {url!r}: {exc}") from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default = (scheme == "wss" and port == 443) or (scheme == "ws" and port == 80)
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        return cls(
            parts.hostname, port, path, scheme == "wss", host if default else f"{host}:{port}"
        )


def ssl_context(insecure: bool = False, cacert: str | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cacert)
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class HandshakeFailed(Exception):
    pass


async def _open(
    target: Target, ctx: ssl.SSLContext | None, offer: str | None, trace: Trace, t0: float
) -> tuple[
    asyncio.StreamReader,
    asyncio.StreamWriter,
    bytes,
    PerMessageDeflate | None,
    PerMessageDeflate | None,
]:
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                target.host,
                target.port,
                ssl=ctx,
                server_hostname=target.host if ctx else None,
                limit=1 << 20,
            ),
            HANDSHAKE_TIMEOUT,
        )
    except asyncio.TimeoutError:
        raise HandshakeFailed(
            f"no TCP connection to {target.host}:{target.port} within {HANDSHAKE_TIMEOUT:g} s"
        ) from None
    except ssl.SSLError as exc:
        raise HandshakeFailed(f"TLS: {exc.reason or exc}") from None
    except OSError as exc:
        raise HandshakeFailed(
            f"cannot connect to {target.host}:{target.port}: {exc.strerror or exc}"
        ) from None
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request, key = build_request(target.host_header, target.path, extensions=offer)
    writer.write(request)
    trace.log.append((time.monotonic() - t0, "opening handshake sent"))
    head = HeadReader()
    try:
        while not head.done:
            data = await asyncio.wait_for(reader.read(65536), HANDSHAKE_TIMEOUT)
            if not data:
                raise HandshakeFailed(
                    "the server closed the connection during the opening handshake"
                )
            head.feed(data)
    except asyncio.TimeoutError:
        writer.transport.abort()
        raise HandshakeFailed(f"no handshake response within {HANDSHAKE_TIMEOUT:g} s") from None
    except (ConnectionError, OSError) as exc:
        raise HandshakeFailed(f"connection lost during the handshake: {exc}") from None
    if head.head is None:
        writer.transport.abort()
        raise HandshakeFailed("the handshake response is too large")
    response = parse_response(head.head)
    problems = validate_response(response, key=key, offered_extensions=[offer] if offer else ())
    if problems:
        writer.transport.abort()
        raise HandshakeFailed(f"{problems[0].message} ({problems[0].rule.section})")
    deflate = out = None
    accepted = response.get("Sec-WebSocket-Extensions")
    if accepted and offer:
        try:
            params = accept_response(accepted, offer)
        except ExtensionError as exc:
            writer.transport.abort()
            raise HandshakeFailed(f"Sec-WebSocket-Extensions: {exc}") from None
        deflate = PerMessageDeflate(params, is_client=True)
        out = PerMessageDeflate(params, is_client=False)  # decodes our own frames for the report
        trace.deflate = accepted
    trace.log.append(
        (time.monotonic() - t0, f"101 Switching Protocols{' with ' + accepted if accepted else ''}")
    )
    return reader, writer, head.leftover, deflate, out


async def run_case(
    case: Case, target: Target, *, ctx: ssl.SSLContext | None = None, timeout: float = 30.0
) -> Result:
    """One case on a fresh connection, graded."""
    trace = Trace()
    t0 = time.monotonic()
    try:
        reader, writer, leftover, deflate, out = await _open(
            target, ctx, case.deflate_offer, trace, t0
        )
    except HandshakeFailed as exc:
        trace.handshake_error = str(exc)
        trace.duration = time.monotonic() - t0
        return grade(case, trace)
    trace.opened = True
    session = CaseSession(
        case,
        reader,
        writer,
        is_client=True,
        trace=trace,
        leftover=leftover,
        deflate=deflate,
        out_deflate=out,
        t0=t0,
    )
    await session.run(timeout)
    trace.duration = time.monotonic() - t0
    return grade(case, trace)


def case_timeout(case: Case, timeout: float | None) -> float:
    """The hard limit for one case: --timeout, else the case's own wait plus slack."""
    if timeout is not None:
        return timeout
    return case.echo.wait + 5 if case.echo else 30.0


async def run_cases(
    cases: Sequence[Case],
    target: Target,
    *,
    parallel: int = 1,
    ctx: ssl.SSLContext | None = None,
    timeout: float | None = None,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run ``cases`` with at most ``parallel`` connections at once; results in case order."""
    sem = asyncio.Semaphore(max(1, parallel))
    big = asyncio.Semaphore(BIG_AT_ONCE)  # several copies of a 16 MiB message each: bound the peak

    async def one(case: Case) -> Result:
        heavy = case.echo is not None and case.echo.size >= BIG_MESSAGE
        async with big if heavy else contextlib.nullcontext(), sem:
            result = await run_case(case, target, ctx=ctx, timeout=case_timeout(case, timeout))
        if progress is not None:
            progress(result)
        return result

    # Long cases first, so the parallel run does not end on a straggler.
    order = sorted(range(len(cases)), key=lambda i: -_weight(cases[i]))
    tasks = {i: asyncio.ensure_future(one(cases[i])) for i in order}
    results = {i: await tasks[i] for i in order}
    return [results[i] for i in range(len(cases))]


def _weight(case: Case) -> float:
    """A rough cost estimate, to start the slow cases first."""
    if case.echo is not None:
        return case.echo.size * case.echo.count / 1e5 + case.echo.count / 100
    return sum(getattr(s, "seconds", 0) for s in case.steps if type(s).__name__ == "Wait") + 0.1
