"""``wsdebug proxy``'s listener: accepts clients, one :class:`ProxiedConnection` each, and the
top-level coroutine with signal handling (see :mod:`wsdebug.live.proxy`)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..capture.format import CaptureWriter
from ..codec.build import build_error_response
from ..codec.events import ConnectEvent, ErrorEvent
from ..codec.spec import Role, host_port
from .client import ClientOptions, Target, tls_context
from .proxy import ProxiedConnection
from .proxy_forward import ForwardConnection
from .proxy_http import ProxyOptions
from .proxy_side import C2S, HIGH_WATER
from .proxy_side import Side as _Side
from .reporter import Reporter

if TYPE_CHECKING:
    from .proxy_ca import LocalCA


def check_options(opts: ProxyOptions) -> Target | None:
    """The upstream target (None for ``--forward``); ConnectError (status 2) for a bad URL or
    an unreadable --cacert."""
    if opts.cacert is not None or opts.forward:
        tls_context(ClientOptions(insecure=opts.insecure, cacert=opts.cacert))
    if opts.forward:
        return None
    target = Target.parse(opts.upstream)
    if target.secure:
        tls_context(ClientOptions(insecure=opts.insecure, cacert=opts.cacert))
    return target


class Proxy:
    """Accepts clients and proxies each one to the upstream."""

    def __init__(
        self, opts: ProxyOptions, reporter: Reporter, recorder: CaptureWriter | None = None
    ) -> None:
        self.opts, self.reporter, self.recorder = opts, reporter, recorder
        self.target = check_options(opts)
        self.ca: LocalCA | None = None
        if opts.forward:
            from pathlib import Path

            from .proxy_ca import LocalCA as _CA

            self.ca = _CA(Path(opts.ca_dir) if opts.ca_dir else None)
        self.server: asyncio.base_events.Server | None = None
        self._ids = itertools.count(1)
        self.active: set[asyncio.Task[None]] = set()
        #: the proxied connections being served, by id
        self.connections: dict[str, ProxiedConnection] = {}
        self.first_done = asyncio.Event()
        self.problems = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._handle, self.opts.host, self.opts.port, limit=HIGH_WATER
        )

    @property
    def address(self) -> tuple[str, int]:
        assert self.server is not None
        sock = self.server.sockets[0].getsockname()
        return sock[0], sock[1]

    @property
    def url(self) -> str:
        scheme = "http" if self.opts.forward else "ws"
        return f"{scheme}://{host_port(*self.address)}/"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn_id = f"p{next(self._ids)}"
        if len(self.active) >= self.opts.max_connections:
            body = f"wsdebug proxy: {self.opts.max_connections} connections already open\n"
            writer.write(build_error_response(503, "Service Unavailable", body))
            with contextlib.suppress(Exception):
                await writer.drain()
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self.active.add(task)
        client = _Side(C2S, reader, writer)
        peer = writer.get_extra_info("peername")
        local = writer.get_extra_info("sockname")
        peer_s = host_port(peer[0], peer[1]) if peer else "?"
        local_s = host_port(local[0], local[1]) if local else ""
        kind = ProxiedConnection if self.target is not None else ForwardConnection
        conn = self.connections[conn_id] = kind(self, conn_id, client)
        if self.recorder is not None:
            t = self.target
            upstream = f"{t.host}:{t.port}" if t is not None else "(forward proxy)"
            self.recorder.open(
                conn_id, role="server", peer=peer_s, local=upstream, url=self.opts.upstream
            )
        conn.emit(ConnectEvent(peer_s, local_s, Role.SERVER, url=self.opts.upstream))
        try:
            await conn.run()
        except asyncio.CancelledError:
            pass  # the proxy is stopping; run() closed both sides
        finally:
            self.problems += conn.problems
            self.active.discard(task)
            self.connections.pop(conn_id, None)
            self.first_done.set()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.active):
            task.cancel()
        await asyncio.gather(*self.active, return_exceptions=True)


async def run_proxy(
    opts: ProxyOptions,
    reporter: Reporter,
    recorder: CaptureWriter | None = None,
    *,
    ready: Callable[[Proxy], None] | None = None,
    interactive: Callable[[Proxy], Awaitable[object]] | None = None,
) -> int:
    """Proxy until stopped (Ctrl-C: 130, SIGTERM: 143) or, with ``once``, until the first
    connection ends (0, or 1 when it showed a problem); 2 when the port cannot be bound."""
    from .run import Stopper

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    stopper = Stopper(loop, stop).install()
    try:
        try:
            proxy = Proxy(opts, reporter, recorder)
        except (OSError, ValueError) as exc:  # the local CA cannot be made or read
            reporter.emit(ErrorEvent(f"cannot use the local CA: {exc}"))
            return 2
        try:
            await proxy.start()
        except OSError as exc:
            reporter.emit(
                ErrorEvent(f"cannot listen on {opts.host}:{opts.port}: {exc.strerror or exc}")
            )
            return 2
        if ready is not None:
            ready(proxy)
        waits: set[asyncio.Future[Any]] = {asyncio.create_task(stop.wait())}
        if opts.once:
            waits.add(asyncio.create_task(proxy.first_done.wait()))
        prompt = None
        if interactive is not None:  # the --intercept prompt: leaving it stops the proxy
            prompt = asyncio.ensure_future(interactive(proxy))
            waits.add(prompt)
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await proxy.stop()
        if stopper.signum is not None:
            return stopper.status
        if prompt is not None and prompt in done and not prompt.cancelled():
            if prompt.exception() is not None:
                reporter.emit(ErrorEvent(f"the prompt failed: {prompt.exception()}"))
                return 1
            if prompt.result() == "interrupted":
                return 130
        return 1 if proxy.problems else 0
    finally:
        stopper.restore()
