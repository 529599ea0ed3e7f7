"""The offline commands' work: decode bytes, build frames, explain handshakes (no rendering)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..codec.deflate import Inflater
from ..codec.frames import NeedMore, encode_frame
from ..codec.rules import Problem
from ..codec.spec import Opcode, Role
from ..codec.stream import FrameRecord, StreamDecoder


@dataclass
class Decoded:
    records: list[FrameRecord]
    incomplete: NeedMore | None
    problems: list[Problem] = field(default_factory=list)  #: stream-level (truncation, size)

    @property
    def ok(self) -> bool:
        """No problem anywhere: in a frame, or in the stream (the exit status follows it)."""
        return not self.problems and not any(r.problems for r in self.records)


def decode_bytes(
    data: bytes,
    *,
    sender: Role | None = None,
    deflate: bool = False,
    no_context_takeover: bool = False,
    max_message: int | None = None,
) -> Decoded:
    """Decode a complete capture of one direction, in order."""
    inflate = (
        Inflater(no_context_takeover=no_context_takeover, max_size=max_message).inflate
        if deflate
        else None
    )
    dec = StreamDecoder(sender, inflate=inflate, max_message=max_message)
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
            inflate = None
            if deflate:
                inflate = Inflater(
                    no_context_takeover=no_context_takeover, max_size=max_message
                ).inflate
            dec = decoders[role] = StreamDecoder(role, inflate=inflate, max_message=max_message)
        records.extend(dec.receive_data(data))
    problems: list[Problem] = []
    incomplete = None
    for dec in decoders.values():
        incomplete = incomplete or dec.incomplete()
        problems.extend(dec.receive_eof())
        problems.extend(dec.stream_problems())
    return Decoded(records, incomplete, problems)


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
