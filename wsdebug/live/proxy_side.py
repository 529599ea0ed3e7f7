"""One TCP side of a proxied connection (:mod:`wsdebug.live.proxy`): its streams, the decoder
of what it sends, the compressor the proxy uses for its messages when the legs are
terminated, and the write-buffer mark that gives backpressure."""

from __future__ import annotations

import asyncio
import contextlib

from ..codec.deflate import PerMessageDeflate
from ..codec.spec import Direction
from ..codec.stream import StreamDecoder

C2S, S2C = Direction.C2S, Direction.S2C
HIGH_WATER = 1 << 20  #: bytes waiting in a transport before the other side is no longer read
READ_SIZE = 1 << 18  #: bytes asked for per read


class Side:
    """One TCP side of a proxied connection, and the decoder for what it sends."""

    def __init__(
        self, direction: Direction, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.direction = direction  #: what this side sends
        self.reader, self.writer = reader, writer
        self.decoder: StreamDecoder | None = None
        #: ``--script``: compresses this side's messages as the proxy forwards them
        self.compressor: PerMessageDeflate | None = None
        self.close: tuple[int | None, str] | None = None  #: its close frame, once seen
        self.ended = False
        writer.transport.set_write_buffer_limits(high=HIGH_WATER)

    def write(self, data: bytes) -> None:
        if data and not self.writer.is_closing():
            self.writer.write(data)

    def over_mark(self) -> bool:
        """Whether this side's buffer is over the mark: the other side is then not read until
        it drains (backpressure)."""
        return self.writer.transport.get_write_buffer_size() > HIGH_WATER

    async def drain(self) -> None:
        """Wait while this side's buffer is over the mark (backpressure on the other side)."""
        if self.over_mark():
            await self.writer.drain()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.transport.abort()
