"""A connection's recorded chunks kept as positions in the capture file, read when decoded.

Theory of operation
-------------------
The stepper (:mod:`wsdebug.capture.lazy`) decodes a conversation again each time it steps
back; holding every chunk's bytes for that would cost about the file's size.  A
:class:`FileChunks` instead keeps, per chunk, its time, its direction and where its bytes are
in the file (offset and length, in :class:`array.array`\\ s: 25 bytes a chunk), and reads them
with :func:`os.pread` when the chunk is fed to a decoder.  A chunk that is not one contiguous
range of the file (TCP segments merged by reassembly) keeps its bytes, as before: the
representation may be mixed, the bytes handed out are the same.

Reading needs a regular file: :class:`FileSource` holds a duplicate of the descriptor the
capture was read from (a rename of the file does not matter; rewriting it in place does).
"""

from __future__ import annotations

import os
import weakref
from array import array
from collections.abc import Iterator, Sequence
from typing import IO, overload

from .format import C2S, S2C, Chunk

_DIRS = (C2S, S2C)


class FileSource:
    """Reads byte ranges of an open regular file (its descriptor duplicated)."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fd = os.dup(fh.fileno())
        weakref.finalize(self, os.close, self.fd)

    def read(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` (fewer only when the file was cut since it was read)."""
        data = os.pread(self.fd, size, offset)
        while len(data) < size:
            more = os.pread(self.fd, size - len(data), offset + len(data))
            if not more:
                break
            data += more
        return data

    @staticmethod
    def usable(fh: IO[bytes]) -> bool:
        """Whether ``fh`` is a regular file, so that ranges of it can be read again later."""
        import stat

        try:
            return stat.S_ISREG(os.fstat(fh.fileno()).st_mode)
        except (OSError, ValueError, AttributeError):  # BytesIO, a closed or odd file object
            return False


class FileChunks(Sequence[Chunk]):
    """The chunks of one connection: (time, direction, file range) each, or bytes kept."""

    def __init__(self, conn: str, source: FileSource) -> None:
        self.conn = conn
        self.source = source
        self.times = array("d")
        self.dirs = bytearray()  #: 0 c2s, 1 s2c
        self.offsets = array("Q")
        self.sizes = array("Q")
        self.held: dict[int, bytes] = {}  #: the chunks kept as bytes, by index

    def add_range(self, t: float, direction: str, offset: int, size: int) -> None:
        self.times.append(t)
        self.dirs.append(0 if direction == C2S else 1)
        self.offsets.append(offset)
        self.sizes.append(size)

    def add_bytes(self, t: float, direction: str, data: bytes) -> None:
        self.held[len(self.times)] = data
        self.add_range(t, direction, 0, len(data))

    def data(self, i: int) -> bytes:
        got = self.held.get(i)
        if got is not None:
            return got
        return self.source.read(self.offsets[i], self.sizes[i])

    def __len__(self) -> int:
        return len(self.times)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Chunk]: ...

    def __getitem__(self, i: int | slice) -> Chunk | Sequence[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return Chunk(self.times[i], self.conn, _DIRS[self.dirs[i]], self.data(i))

    def __iter__(self) -> Iterator[Chunk]:
        for i in range(len(self.times)):
            yield self[i]

    @property
    def held_bytes(self) -> int:
        """Bytes kept in memory (merged chunks), for tests and figures."""
        return sum(len(b) for b in self.held.values())
