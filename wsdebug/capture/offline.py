"""The offline commands' work: decode bytes, build frames, explain handshakes (no rendering)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
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


_BATCH = 1000  #: frames encoded per C-encoder call by :func:`write_decode_json`


def write_decode_json(result: Decoded, out: IO[str]) -> None:
    """The ``decode --json`` document, written piece by piece to ``out``.

    The same text as ``dumps(decode_document(...))``, but never held whole: frames are encoded
    a thousand at a time, and payloads of 64 KiB and more go out 64 KiB at a time
    (:func:`~wsdebug.capture.serialize.iter_json`), so memory stays near the decoded bytes.
    """
    from .serialize import decode_document, frame_json, iter_json

    envelope = "".join(iter_json(decode_document([], result.incomplete, result.problems)))
    at = envelope.index('"frames":[]') + len('"frames":[')
    out.write(envelope[:at])
    records = result.records
    for start in range(0, len(records), _BATCH):
        if start:
            out.write(",")
        batch = [frame_json(r, lazy=True) for r in records[start : start + _BATCH]]
        held: str | None = None  # each piece is written once the next is known: the batch's
        for piece in iter_json(batch):  # own brackets (first and last character) are cut
            if held is None:
                piece = piece[1:]
            else:
                out.write(held)
            held = piece
        out.write((held or "")[:-1])
    out.write(envelope[at:])


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
