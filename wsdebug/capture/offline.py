"""The offline commands' work: decode bytes, build frames, explain handshakes (no rendering)."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from ..codec.frames import NeedMore, encode_frame
from ..codec.rules import Problem
from ..codec.spec import Opcode, Role
from ..codec.stream import FrameRecord, StreamDecoder

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass
class Decoded:
    records: list[FrameRecord]
    incomplete: NeedMore | None
    problems: list[Problem] = field(default_factory=list)  #: stream-level (truncation, size)

    @property
    def ok(self) -> bool:
        """No problem anywhere: in a frame, or in the stream (the exit status follows it)."""
        return not self.problems and not any(r.problems for r in self.records)


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic GC paused while records are built: they hold no reference cycles, and each
    collection would walk every record made so far (100k frames: 40% of the decode time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _inflater(no_context_takeover: bool, max_message: int | None) -> Callable[[bytes], bytes]:
    from ..codec.deflate import Inflater  # only with --deflate: not at start-up

    return Inflater(no_context_takeover=no_context_takeover, max_size=max_message).inflate


def decode_bytes(
    data: bytes,
    *,
    sender: Role | None = None,
    deflate: bool = False,
    no_context_takeover: bool = False,
    max_message: int | None = None,
) -> Decoded:
    """Decode a complete capture of one direction, in order."""
    inflate = _inflater(no_context_takeover, max_message) if deflate else None
    dec = StreamDecoder(sender, inflate=inflate, max_message=max_message)
    with no_gc():
        records = dec.receive_data(data)
        incomplete = dec.incomplete()
        problems = dec.receive_eof()
        problems.extend(dec.stream_problems())
    return Decoded(records, incomplete, problems)


def decode_segments(
    segments: list[tuple[Role, bytes]],
    *,
    deflate: bool = False,
    no_context_takeover: bool = False,
    max_message: int | None = None,
) -> Decoded:
    """Decode a two-way dump (``c:``/``s:`` or ``>``/``<`` markers): one stream per direction.

    Records come out in the order their bytes appear in the dump; offsets count within each
    direction's stream, as on the wire.
    """
    decoders: dict[Role, StreamDecoder] = {}
    records: list[FrameRecord] = []
    for role, data in segments:
        dec = decoders.get(role)
        if dec is None:
            inflate = _inflater(no_context_takeover, max_message) if deflate else None
            dec = decoders[role] = StreamDecoder(role, inflate=inflate, max_message=max_message)
        with no_gc():
            records.extend(dec.receive_data(data))
    problems: list[Problem] = []
    incomplete = None
    for dec in decoders.values():
        incomplete = incomplete or dec.incomplete()
        problems.extend(dec.receive_eof())
        problems.extend(dec.stream_problems())
    return Decoded(records, incomplete, problems)


FEED = 16 << 10  #: bytes fed to a decoder at a time by :class:`DecodeStream`
WHOLE = 1 << 20  #: a frame larger than this is fed whole (see :meth:`DecodeStream.batches`)


class DecodeStream:
    """A decode whose records are handed out batch by batch and then dropped.

    ``decode`` of 100,000 frames would hold every record (about a kilobyte each) if it built
    them all first; this feeds the decoders :data:`FEED` bytes at a time and yields the
    records each piece completed, so a writer prints them and lets them go.  Once
    :meth:`batches` is exhausted, :attr:`count`, :attr:`bad` (records with problems),
    :attr:`incomplete` and :attr:`problems` describe the whole stream, as :class:`Decoded`
    does.  The records are those :func:`decode_bytes` / :func:`decode_segments` return, in
    the same order: the decoders are incremental, so where the bytes are cut changes nothing.
    """

    def __init__(
        self,
        segments: Sequence[tuple[Role | None, bytes]],
        *,
        deflate: bool = False,
        no_context_takeover: bool = False,
        max_message: int | None = None,
        feed: int = FEED,
    ) -> None:
        self.segments = segments
        self._options = (deflate, no_context_takeover, max_message)
        self.feed = feed
        self.count = self.bad = 0
        self.incomplete: NeedMore | None = None
        self.problems: list[Problem] = []
        self.head: list[FrameRecord] = []  #: the first two records (for :meth:`outline`)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.bad

    def batches(self) -> Iterator[list[FrameRecord]]:
        """The records, a list per piece fed (empty pieces are skipped)."""
        deflate, no_context_takeover, max_message = self._options
        decoders: dict[Role | None, StreamDecoder] = {}
        step = self.feed
        for role, data in self.segments:
            dec = decoders.get(role)
            if dec is None:
                inflate = _inflater(no_context_takeover, max_message) if deflate else None
                dec = decoders[role] = StreamDecoder(role, inflate=inflate, max_message=max_message)
            pos = 0
            while pos < len(data):
                # a frame over 1 MiB goes in whole when the parser waits for a frame's start:
                # no buffer grown piece by piece (no copy at all when it is the whole input,
                # as for one big frame)
                size = _frame_size(data, pos) if dec.incomplete() is None else None
                end = pos + (size if size is not None and size > WHOLE else step)
                with no_gc():
                    records = dec.receive_data(
                        data if pos == 0 and end >= len(data) else data[pos:end]
                    )
                pos = end
                if records:
                    if len(self.head) < 2:
                        self.head.extend(records[: 2 - len(self.head)])
                    self.count += len(records)
                    self.bad += sum(1 for r in records if r.problems)
                    yield records
        for dec in decoders.values():
            self.incomplete = self.incomplete or dec.incomplete()
            self.problems.extend(dec.receive_eof())
            self.problems.extend(dec.stream_problems())

    def outline(self) -> Decoded:
        """After :meth:`batches`: the first two records, the incomplete frame and the stream's
        problems (what a look at the start of a decode needs, such as the base64 hint)."""
        return Decoded(self.head, self.incomplete, self.problems)

    def collect(self) -> Decoded:
        """Every record at once (for the views that need them all)."""
        records = [r for batch in self.batches() for r in batch]
        return Decoded(records, self.incomplete, self.problems)


def _frame_size(data: bytes, pos: int) -> int | None:
    """The size of the frame whose header starts at ``data[pos]`` (None: header cut short)."""
    if len(data) - pos < 2:
        return None
    b1 = data[pos + 1]
    size, length = 2 + (4 if b1 & 0x80 else 0), b1 & 0x7F
    if length == 126:
        size, length = size + 2, int.from_bytes(data[pos + 2 : pos + 4], "big")
    elif length == 127:
        size, length = size + 8, int.from_bytes(data[pos + 2 : pos + 10], "big")
    return size + length


_BATCH = 1000  #: frames encoded per C-encoder call by :func:`write_decode_json`
_WRITE = 256 << 10  #: characters gathered before each write


def write_decode_json(result: Decoded | DecodeStream, out: IO[str]) -> None:
    """The ``decode --json`` document, written piece by piece to ``out``.

    The same text as ``dumps(decode_document(...))``, but never held whole.  The frames of a
    :class:`DecodeStream` are written as they are decoded, then dropped.  A common frame (a
    valid message in one frame) is its shape's template filled in
    (:class:`~wsdebug.capture.serialize.FrameText`); runs of other frames are encoded a
    thousand per encoder call, payloads of 64 KiB and more 64 KiB at a time
    (:func:`~wsdebug.capture.serialize.iter_json`).  Output goes out about 1 MiB at a time.
    """
    from .frametext import FrameText
    from .serialize import decode_document, iter_json

    batches = result.batches() if isinstance(result, DecodeStream) else iter([result.records])
    template = FrameText().text
    pending = ['{"schema":1,"frames":[']
    size = 0
    sep = ""  # "," once a frame is written
    others: list[FrameRecord] = []

    def write_others() -> None:
        nonlocal size, sep
        for start in range(0, len(others), _BATCH):
            pending.append(sep)
            sep = ","
            for piece in _encoded(others[start : start + _BATCH]):
                pending.append(piece)
                size += len(piece)
                if size >= _WRITE:
                    out.write("".join(pending))
                    pending.clear()
                    size = 0
        others.clear()

    for records in batches:
        for rec in records:
            text = template(rec)
            if text is None:
                others.append(rec)
                continue
            if others:
                write_others()
            pending.append(sep)
            pending.append(text)
            sep = ","
            size += len(text)
            if size >= _WRITE:
                out.write("".join(pending))
                pending.clear()
                size = 0
        if others:
            write_others()
    envelope = "".join(iter_json(decode_document([], result.incomplete, result.problems)))
    at = envelope.index('"frames":[]') + len('"frames":[')
    assert envelope[:at] == '{"schema":1,"frames":['  # the head written first
    pending.append(envelope[at:])
    out.write("".join(pending))


def _encoded(records: list[FrameRecord]) -> Iterator[str]:
    """The frames of ``records`` as one JSON list's pieces, without the list's brackets."""
    from .serialize import frame_json, iter_json

    held: str | None = None  # each piece goes out once the next is known: the list's own
    for piece in iter_json([frame_json(r, lazy=True) for r in records]):  # brackets are cut
        if held is not None:
            yield held
            held = piece
        else:
            held = piece[1:]
    yield (held or "")[:-1]


KINDS = {
    "text": Opcode.TEXT,
    "binary": Opcode.BINARY,
    "ping": Opcode.PING,
    "pong": Opcode.PONG,
    "close": Opcode.CLOSE,
    "cont": Opcode.CONT,
    "continuation": Opcode.CONT,
}


def build(
    kind: str,
    payload: bytes,
    *,
    opcode: int | None = None,
    fin: bool = True,
    rsv: tuple[bool, bool, bool] = (False, False, False),
    mask_key: bytes | None = None,
    length_form: int | None = None,
) -> bytes:
    op = KINDS[kind] if opcode is None else opcode
    return encode_frame(
        op,
        payload,
        fin=fin,
        rsv1=rsv[0],
        rsv2=rsv[1],
        rsv3=rsv[2],
        mask_key=mask_key,
        length_form=length_form,
    )
