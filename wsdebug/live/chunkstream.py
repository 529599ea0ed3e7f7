"""Sockets as asyncio streams whose reads hand over the chunks the transport received.

asyncio's ``StreamReader`` copies every byte twice: into its ``bytearray`` when the transport
delivers it, and out again (a slice, then a ``del`` that moves the rest) when it is read.  The
live pump reads "whatever has arrived" and hands it to the codec, which keeps the bytes it is
given; :class:`ChunkReader` keeps the transport's ``bytes`` objects as they came and gives them
back as they are (one chunk: no copy; several: one join).  Pausing follows ``StreamReader``: the
transport stops being read above twice the limit and resumes once a read brings the queue
down to it, so a slow consumer still holds the peer back.

``readexactly``/``readuntil``/``readline`` still work (the queue is handed to the base class's
buffer first, and the reader behaves as a plain ``StreamReader`` from then on).

:func:`open_connection`, :func:`open_unix_connection` and :func:`start_server` are asyncio's,
with this reader.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class ChunkReader(asyncio.StreamReader):
    """A ``StreamReader`` that queues received chunks instead of copying them into a buffer."""

    if TYPE_CHECKING:  # the base class's own state and helpers, which typeshed does not list
        _buffer: bytearray
        _eof: bool
        _exception: BaseException | None
        _limit: int
        _paused: bool
        _transport: asyncio.Transport | None

        def _wakeup_waiter(self) -> None: ...
        async def _wait_for_data(self, func_name: str) -> None: ...

    def __init__(self, limit: int, loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(limit=limit, loop=loop)
        self._chunks: collections.deque[bytes] = collections.deque()
        self._queued = 0  #: bytes in _chunks
        self._plain = False  #: handed over to the base class (a readexactly/readuntil was used)

    def feed_data(self, data: bytes) -> None:  # type: ignore[override]  # bytes, not Buffer
        if self._plain:
            super().feed_data(data)
            return
        assert not self._eof, "feed_data after feed_eof"
        if not data:
            return
        self._chunks.append(bytes(data) if type(data) is not bytes else data)
        self._queued += len(data)
        self._wakeup_waiter()
        if self._transport is not None and not self._paused and self._queued > 2 * self._limit:
            try:
                self._transport.pause_reading()
            except NotImplementedError:
                self._transport = None
            else:
                self._paused = True

    def at_eof(self) -> bool:
        return self._eof and not self._queued and not self._buffer

    def _maybe_resume_transport(self) -> None:
        if self._paused and self._queued + len(self._buffer) <= self._limit:
            assert self._transport is not None  # paused means it was there to pause
            self._paused = False
            self._transport.resume_reading()

    async def read(self, n: int = -1) -> bytes:
        if self._plain:
            return await super().read(n)
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        if n < 0:
            blocks = []
            while block := await self.read(self._limit):
                blocks.append(block)
            return b"".join(blocks)
        if not self._queued and not self._eof:
            await self._wait_for_data("read")
            if self._exception is not None:
                raise self._exception
        chunks = self._chunks
        if not chunks:
            return b""
        first = chunks[0]
        if len(first) >= n or len(chunks) == 1:
            if len(first) > n:
                chunks[0] = first[n:]
                first = first[:n]
            else:
                chunks.popleft()
            self._queued -= len(first)
            self._maybe_resume_transport()
            return first
        taken: list[bytes] = []
        size = 0
        while chunks and size + len(chunks[0]) <= n:
            size += len(chunk := chunks.popleft())
            taken.append(chunk)
        self._queued -= size
        self._maybe_resume_transport()
        return b"".join(taken)

    def _spill(self) -> None:
        """Hand the queue to the base class's buffer; from now on this is a StreamReader."""
        if not self._plain:
            self._plain = True
            self._buffer.extend(b"".join(self._chunks))
            self._chunks.clear()
            self._queued = 0

    async def readexactly(self, n: int) -> bytes:
        self._spill()
        return await super().readexactly(n)

    async def readuntil(self, separator: bytes = b"\n") -> bytes:  # type: ignore[override]
        self._spill()
        return await super().readuntil(separator)

    async def readline(self) -> bytes:
        self._spill()
        return await super().readline()


def _pair(
    limit: int, loop: asyncio.AbstractEventLoop, handler: Handler | None = None
) -> tuple[ChunkReader, asyncio.StreamReaderProtocol]:
    reader = ChunkReader(limit, loop)
    return reader, asyncio.StreamReaderProtocol(reader, handler, loop=loop)


async def open_connection(
    host: str | None = None, port: int | None = None, *, limit: int = 1 << 16, **kwds: Any
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """``asyncio.open_connection`` with a :class:`ChunkReader`."""
    loop = asyncio.get_running_loop()
    reader, protocol = _pair(limit, loop)
    # with sock= there is no host or port: typeshed's overloads want either both or neither
    transport, _ = await loop.create_connection(lambda: protocol, host, port, **kwds)  # type: ignore[arg-type]
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


async def open_unix_connection(
    path: str, *, limit: int = 1 << 16, **kwds: Any
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """``asyncio.open_unix_connection`` with a :class:`ChunkReader`."""
    loop = asyncio.get_running_loop()
    reader, protocol = _pair(limit, loop)
    transport, _ = await loop.create_unix_connection(lambda: protocol, path, **kwds)
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


async def start_server(
    handler: Handler, host: str | None, port: int | None, *, limit: int = 1 << 16, **kwds: Any
) -> asyncio.Server:
    """``asyncio.start_server`` with a :class:`ChunkReader` per connection."""
    loop = asyncio.get_running_loop()

    def factory() -> asyncio.StreamReaderProtocol:
        return _pair(limit, loop, handler)[1]

    return await loop.create_server(factory, host, port, **kwds)
