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

import binascii
import os
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, overload

from .format import C2S, S2C, Chunk, ConnectionInfo, ParsedCapture

_DIRS = (C2S, S2C)
RAW = 2  #: in FileChunks.dirs: the range holds the bytes themselves (a version 2 data block)


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

    def __init__(self, conn: str, source: FileSource, *, hexed: bool = False) -> None:
        self.conn = conn
        self.source = source
        self.hexed = hexed  #: the ranges are hex digits (a wsdebug capture's data records)
        self.times = array("d")
        self.dirs = bytearray()  #: 0 c2s, 1 s2c; plus RAW: that range is raw, hexed or not
        self.offsets = array("Q")
        self.sizes = array("Q")
        self.held: dict[int, bytes] = {}  #: the chunks kept as bytes, by index

    def add_range(
        self, t: float, direction: str, offset: int, size: int, *, raw: bool = False
    ) -> None:
        self.times.append(t)
        self.dirs.append((0 if direction == C2S else 1) | (RAW if raw else 0))
        self.offsets.append(offset)
        self.sizes.append(size)

    def add_bytes(self, t: float, direction: str, data: bytes) -> None:
        self.held[len(self.times)] = data
        self.add_range(t, direction, 0, len(data))

    def data(self, i: int) -> bytes:
        got = self.held.get(i)
        if got is not None:
            return got
        raw = self.source.read(self.offsets[i], self.sizes[i])
        return binascii.unhexlify(raw) if self.hexed and not self.dirs[i] & RAW else raw

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
        return Chunk(self.times[i], self.conn, _DIRS[self.dirs[i] & 1], self.data(i))

    def __iter__(self) -> Iterator[Chunk]:
        for i in range(len(self.times)):
            yield self[i]

    @property
    def held_bytes(self) -> int:
        """Bytes kept in memory (merged chunks), for tests and figures."""
        return sum(len(b) for b in self.held.values())


class _Lines:
    """The lines of a file, remembering where the last one handed out starts."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self.lines = lines
        self.start = self.end = 0
        self.line = b""

    def __iter__(self) -> Iterator[bytes]:
        for line in self.lines:
            self.start, self.end, self.line = self.end, self.end + len(line), line
            yield line


def parse_by_reference(
    iter_capture: Callable[..., Iterator[tuple[ConnectionInfo, str, Any]]],
    lines: Iterable[str | bytes],
    name: str,
    parsed: ParsedCapture,
    source: FileSource,
) -> ParsedCapture:
    """:func:`~wsdebug.capture.format.parse_capture` keeping where each data record's bytes
    are: a raw block's (version 2) where :attr:`ParsedCapture.raw_at` says; hex digits where
    a record written as wsdebug writes it ends ``"hex":"<digits>"}``; a record that does not
    (hand-edited, other spacing) keeps its bytes."""
    reader = _Lines(lines)  # type: ignore[arg-type]  # binary lines, from load_file
    seen: set[int] = set()
    unhex = binascii.unhexlify
    for info, _kind, chunk in iter_capture(reader, name, parsed):
        if id(info) not in seen:
            seen.add(id(info))
            parsed.connections.append(info)
            info.chunks = FileChunks(info.conn, source, hexed=True)  # type: ignore[assignment]
        if chunk is None:
            continue
        t, direction, data = chunk
        chunks: FileChunks = info.chunks  # type: ignore[assignment]
        if parsed.raw_at is not None:  # a raw block (version 2): its bytes are the range
            chunks.add_range(t, direction, parsed.raw_at, len(data), raw=True)
            continue
        line = reader.line
        tail = 2 if line.endswith(b"\r\n") else 1 if line.endswith(b"\n") else 0
        end = len(line) - tail - 2  # the hex digits end before '"}'
        begin = end - 2 * len(data)
        if (
            begin >= 7
            and line[begin - 7 : begin] == b'"hex":"'
            and line[end : end + 2] == b'"}'
            and unhex(line[begin:end]) == data
        ):
            chunks.add_range(t, direction, reader.start + begin, end - begin)
        else:
            chunks.add_bytes(t, direction, data)
    return parsed
