"""Shared test helpers: feed a stream every way (h11's trick) and wire two endpoints together."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import Any, NamedTuple

from wsdebug.codec.annotate import Field
from wsdebug.codec.connection import Connection
from wsdebug.codec.frames import FrameParser, NeedMore, WireFrame
from wsdebug.codec.rules import Problem, Rule
from wsdebug.codec.stream import FrameRecord, StreamDecoder

Decoder = FrameParser | StreamDecoder


class Fed(NamedTuple):
    """What one way of feeding produced."""

    items: list[Any]  #: WireFrames (FrameParser) or FrameRecords (StreamDecoder)
    pending: NeedMore | None  #: ``incomplete()`` after the last byte
    eof: list[Problem] | None  #: ``receive_eof()`` problems (StreamDecoder only)
    oversized: Any  #: the decoder's ``oversized`` after the last byte


def _feed(decoder: Decoder, chunks: Iterable[bytes]) -> Fed:
    items: list[Any] = []
    for chunk in chunks:
        if isinstance(decoder, StreamDecoder):
            items.extend(decoder.receive_data(chunk))
        else:
            decoder.receive_data(chunk)
            items.extend(decoder.frames())
    pending = decoder.incomplete()
    oversized = decoder.oversized
    eof = decoder.receive_eof() if isinstance(decoder, StreamDecoder) else None
    return Fed(items, pending, eof, oversized)


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at the given (unsorted, possibly repeated) positions; empty pieces included."""
    points = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in pairwise(points)]


def random_chunks(data: bytes, rng: random.Random, max_cuts: int = 12) -> list[bytes]:
    cuts = [rng.randint(0, len(data)) for _ in range(rng.randint(1, max_cuts))] if data else []
    return split_at(data, cuts)


def feed_all_ways(
    data: bytes,
    make_decoder: Callable[[], Decoder],
    *,
    seed: int = 0,
    random_splits: int = 5,
    bytewise: bool = True,
) -> Fed:
    """Feed ``data`` to fresh decoders whole, byte by byte and at random split points.

    Asserts that every way gives identical frames or records, the same pending frame and the
    same end-of-stream problems, and returns what the whole feed gave.
    """
    whole = _feed(make_decoder(), [data])
    ways: list[tuple[str, Sequence[bytes]]] = []
    if bytewise:
        ways.append(("byte by byte", [data[i : i + 1] for i in range(len(data))]))
    rng = random.Random(seed)
    for n in range(random_splits):
        ways.append((f"random split #{n}", random_chunks(data, rng)))
    # Every two-piece split of a short input: catches off-by-one at each header boundary.
    if len(data) <= 64:
        ways.extend((f"split at {i}", [data[:i], data[i:]]) for i in range(len(data) + 1))
    for label, chunks in ways:
        got = _feed(make_decoder(), chunks)
        assert got == whole, f"fed {label} ({[len(c) for c in chunks][:20]}…) differs from one feed"
    return whole


def all_problems(records: Iterable[FrameRecord]) -> list[Problem]:
    return [p for rec in records for p in rec.problems]


def rules_of(problems: Iterable[Problem]) -> list[Rule]:
    return [p.rule for p in problems]


def decode(data: bytes, **kwargs: Any) -> list[FrameRecord]:
    """All records of ``data`` fed at once to a fresh StreamDecoder(**kwargs)."""
    return StreamDecoder(**kwargs).receive_data(data)


def pump(a: Connection, b: Connection) -> int:
    """Move bytes both ways until neither side has anything to send; return bytes moved."""
    moved = 0
    while True:
        ab = a.data_to_send()
        if ab:
            b.receive_data(ab)
        ba = b.data_to_send()
        if ba:
            a.receive_data(ba)
        if not ab and not ba:
            return moved
        moved += len(ab) + len(ba)


def assert_fields_cover(frame: WireFrame, fields: Sequence[Field]) -> None:
    """``fields`` name every byte of ``frame`` exactly once, at byte level.

    Bytes 0 and 1 are bit fields whose masks OR to 0xFF without overlapping; the bytes after
    them are tiled, in order and without gaps, by whole-byte fields.  Each field's raw value
    must be what is on the wire.
    """
    wire = frame.to_bytes()
    start = frame.offset
    bit_fields = [f for f in fields if f.bits is not None]
    assert all(f.offset in (start, start + 1) and f.size == 1 for f in bit_fields), bit_fields
    for i in (0, 1):
        union = 0
        for f in bit_fields:
            if f.offset == start + i:
                assert f.bits is not None and union & f.bits == 0, f"bits overlap in byte {i}: {f}"
                union |= f.bits
                shift = (f.bits & -f.bits).bit_length() - 1
                assert f.raw == (wire[i] & f.bits) >> shift, f
        assert union == 0xFF, f"byte {i} covered by bits {union:#04x}"
    pos = start + 2
    for f in sorted((f for f in fields if f.bits is None), key=lambda f: f.offset):
        assert f.offset == pos and f.size >= 1, f"gap or overlap at {pos}: {f}"
        assert f.raw == wire[pos - start : pos - start + f.size], f
        pos += f.size
    assert pos == frame.end, f"bytes {pos}..{frame.end} not covered"
