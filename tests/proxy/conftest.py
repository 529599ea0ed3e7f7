"""Helpers for the proxy tests: the proxy in-process, real peers on 127.0.0.1, taps that
record every byte each end sent and received, every wait bounded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from wsdebug.codec.events import Event, FrameEvent
from wsdebug.codec.spec import Direction
from wsdebug.live.proxy_server import Proxy, ProxyOptions
from wsdebug.live.reporter import Reporter

HOST = "127.0.0.1"


def arun(coro: Any, timeout: float = 30.0) -> Any:
    async def main() -> Any:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(main())


@pytest.fixture(autouse=True)
def _quiet_websockets() -> Iterator[None]:
    logger = logging.getLogger("websockets")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


class Collect(Reporter):
    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def of(self, cls: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]

    def frames(self, direction: Direction | None = None) -> list[FrameEvent]:
        return [e for e in self.of(FrameEvent) if direction is None or e.direction is direction]


@dataclass
class Tap:
    """A byte-recording TCP relay: ``c2s`` what its client sent, ``s2c`` what came back."""

    target: tuple[str, int]
    c2s: bytearray = field(default_factory=bytearray)
    s2c: bytearray = field(default_factory=bytearray)
    server: asyncio.base_events.Server | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, HOST, 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        ur, uw = await asyncio.open_connection(*self.target)

        async def pipe(
            src: asyncio.StreamReader, dst: asyncio.StreamWriter, buf: bytearray
        ) -> None:
            try:
                while data := await src.read(65536):
                    buf += data
                    dst.write(data)
                    await dst.drain()
                if dst.can_write_eof():
                    dst.write_eof()
            except (ConnectionError, OSError):
                dst.close()

        await asyncio.gather(pipe(r, uw, self.c2s), pipe(ur, w, self.s2c))
        w.close()
        uw.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


async def start_proxy(upstream: str, reporter: Reporter, **kw: Any) -> Proxy:
    proxy = Proxy(ProxyOptions(upstream, port=0, **kw), reporter)
    await proxy.start()
    return proxy


def after_head(data: bytes | bytearray) -> bytes:
    """The bytes after the first HTTP head."""
    end = bytes(data).find(b"\r\n\r\n")
    assert end >= 0, data[:200]
    return bytes(data[end + 4 :])
