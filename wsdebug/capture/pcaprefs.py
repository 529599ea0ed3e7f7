"""pcap reassembly that keeps file positions, not payloads (for the stepper: see
:mod:`wsdebug.capture.filechunks`).

:func:`reassemble_ranges` is :func:`wsdebug.capture.pcap.reassemble` step for step, over
segments recorded as (packet number, time, sequence number, file offset, length) in arrays.
A chunk that is one segment's payload, or its tail after an overlap is trimmed, is a range
of the file; a chunk that joins a segment with ones that waited for it (out of order) is
read and kept as bytes, exactly as reassemble joins them.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterator

from .filechunks import FileChunks, FileSource
from .format import C2S, S2C
from .tcpstream import TcpStream, seq_delta


class SegmentRefs:
    """One direction's segments with a payload, in capture order (40 bytes each)."""

    def __init__(self) -> None:
        self.orders = array("q")
        self.times = array("d")
        self.seqs = array("Q")
        self.offsets = array("Q")
        self.sizes = array("Q")

    def add(self, order: int, t: float, seq: int, offset: int, size: int) -> None:
        self.orders.append(order)
        self.times.append(t)
        self.seqs.append(seq)
        self.offsets.append(offset)
        self.sizes.append(size)

    def __len__(self) -> int:
        return len(self.orders)


class RangeChunks:
    """A reassembled direction's chunks: (packet number, time, file range or bytes kept).
    Iterating gives (order, t, data) as a ``TcpStream``'s list does (data read from the file)."""

    def __init__(self, source: FileSource) -> None:
        self.source = source
        self.orders = array("q")
        self.times = array("d")
        self.offsets = array("Q")
        self.sizes = array("Q")
        self.held: dict[int, bytes] = {}

    def add_range(self, order: int, t: float, offset: int, size: int) -> None:
        self.orders.append(order)
        self.times.append(t)
        self.offsets.append(offset)
        self.sizes.append(size)

    def add_bytes(self, order: int, t: float, data: bytes) -> None:
        self.held[len(self.orders)] = data
        self.add_range(order, t, 0, len(data))

    def data(self, i: int) -> bytes:
        got = self.held.get(i)
        return got if got is not None else self.source.read(self.offsets[i], self.sizes[i])

    def __len__(self) -> int:
        return len(self.orders)

    def __iter__(self) -> Iterator[tuple[int, float, bytes]]:
        for i in range(len(self.orders)):
            yield self.orders[i], self.times[i], self.data(i)

    def skip(self, n: int) -> RangeChunks:
        """These chunks without their first ``n`` bytes (pcap's ``_skip``)."""
        out = RangeChunks(self.source)
        for i in range(len(self.orders)):
            size = self.sizes[i]
            if n >= size:
                n -= size
                continue
            held = self.held.get(i)
            if held is not None:
                out.add_bytes(self.orders[i], self.times[i], held[n:])
            else:
                out.add_range(self.orders[i], self.times[i], self.offsets[i] + n, size - n)
            n = 0
        return out


def reassemble_ranges(segs: SegmentRefs, isn: int | None, source: FileSource) -> TcpStream:
    """:func:`wsdebug.capture.pcap.reassemble` over file ranges (see the module docstring)."""

    chunks = RangeChunks(source)
    out = TcpStream(chunks)  # type: ignore[arg-type]  # iterates as the list does
    n = len(segs)
    if not n:
        return out
    orders, times, seqs, offsets, sizes = (
        segs.orders,
        segs.times,
        segs.seqs,
        segs.offsets,
        segs.sizes,
    )
    base = isn
    if base is None:
        first = seqs[0]
        base = (first + min(seq_delta(s - first) for s in seqs)) & 0xFFFFFFFF
    expected = 0
    waiting: list[tuple[int, int, int]] = []  # heap of (relative seq, order, segment index)
    read = source.read
    for i in range(n):
        seq, size = seqs[i], sizes[i]
        rel = ((seq - base) & 0xFFFFFFFF) ^ 0x80000000
        rel -= 0x80000000  # the signed 32-bit distance from the base
        end = rel + size
        if end <= expected:
            out.retransmitted += 1
            continue
        if rel > expected:
            out.out_of_order += 1
            heapq.heappush(waiting, (rel, orders[i], i))
            continue
        trim = expected - rel if rel < expected else 0
        expected = end
        if not waiting or waiting[0][0] > expected:
            chunks.add_range(orders[i], times[i], offsets[i] + trim, size - trim)
            continue
        parts = [read(offsets[i] + trim, size - trim)]
        while waiting and waiting[0][0] <= expected:
            wrel, _, j = heapq.heappop(waiting)
            wend = wrel + sizes[j]
            if wend > expected:
                parts.append(read(offsets[j] + expected - wrel, wend - expected))
                expected = wend
        chunks.add_bytes(orders[i], times[i], b"".join(parts))
    if waiting:
        lost = waiting[0][0] - expected
        after = sum(sizes[j] for _, _, j in waiting)
        out.gap = f"{lost} bytes at stream offset {expected} were not captured; {after} bytes after them are not decoded"
    return out


def _entries(stream: TcpStream | None) -> Iterator[tuple[int, float, int, int, bytes | None]]:
    """(order, t, offset, size, bytes or None) of a stream's chunks."""
    if stream is None:
        return
    chunks = stream.chunks
    if isinstance(chunks, RangeChunks):
        held = chunks.held
        for i in range(len(chunks)):
            yield chunks.orders[i], chunks.times[i], chunks.offsets[i], chunks.sizes[i], held.get(i)
    else:  # a direction without payload: an empty list
        for order, t, data in chunks:
            yield order, t, 0, len(data), data


def merge_ranges(
    conn: str, source: FileSource, client: TcpStream | None, server: TcpStream | None
) -> FileChunks:
    """Both directions' chunks in packet order (the client's first on a tie, as read_pcap's
    stable sort puts them)."""
    out = FileChunks(conn, source)
    streams = [_entries(client), _entries(server)]
    heads = [next(s, None) for s in streams]
    dirs = (C2S, S2C)
    while heads[0] is not None or heads[1] is not None:
        k = 0 if heads[1] is None or (heads[0] is not None and heads[0][0] <= heads[1][0]) else 1
        entry = heads[k]
        assert entry is not None
        _, t, offset, size, data = entry
        if data is not None:
            out.add_bytes(t, dirs[k], data)
        else:
            out.add_range(t, dirs[k], offset, size)
        heads[k] = next(streams[k], None)
    return out
