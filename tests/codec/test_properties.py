"""Hypothesis properties of the frame codec, and a differential test against websockets."""

from __future__ import annotations

import random
from typing import NamedTuple

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ProtocolError
from websockets.frames import Frame
from websockets.streams import StreamReader

from tests.helpers import assert_fields_cover, feed_all_ways, split_at
from wsdebug.codec.annotate import annotate
from wsdebug.codec.deflate import Inflater
from wsdebug.codec.frames import FrameParser, WireFrame, encode_frame
from wsdebug.codec.rules import Rule
from wsdebug.codec.spec import Role
from wsdebug.codec.stream import StreamDecoder

DEFINED = (0x0, 0x1, 0x2, 0x8, 0x9, 0xA)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Spec(NamedTuple):
    opcode: int
    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    mask_key: bytes | None
    payload: bytes
    form: int | None

    def encode(self) -> bytes:
        return encode_frame(
            self.opcode,
            self.payload,
            fin=self.fin,
            rsv1=self.rsv1,
            rsv2=self.rsv2,
            rsv3=self.rsv3,
            mask_key=self.mask_key,
            length_form=self.form,
        )


# Mostly small payloads around the 7-bit boundary; sometimes up to 70000 (64-bit form).
sizes = st.one_of(
    st.integers(0, 140),
    st.sampled_from([125, 126, 127, 65535, 65536, 65537]),
    st.integers(0, 70000),
)
small_sizes = st.integers(0, 140)


def _payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@st.composite
def specs(
    draw: st.DrawFn,
    *,
    size: st.SearchStrategy[int] = sizes,
    valid: bool = False,
    masked: bool | None = None,
) -> Spec:
    opcode = draw(st.sampled_from(DEFINED) if valid else st.integers(0, 15))
    n = draw(size)
    if valid and opcode >= 8:
        n = min(n, 125)
    fin = True if valid and opcode >= 8 else draw(st.booleans())
    rsv = (False, False, False) if valid else tuple(draw(st.booleans()) for _ in range(3))
    if masked is None:
        key = draw(st.none() | st.binary(min_size=4, max_size=4))
    else:
        key = draw(st.binary(min_size=4, max_size=4)) if masked else None
    forms: list[int | None] = [None]
    if not valid:
        forms += [f for f, top in ((7, 125), (16, 0xFFFF), (64, 1 << 64)) if n <= top]
    form = draw(st.sampled_from(forms))
    payload = _payload(n, draw(st.integers(0, 2**32)))
    return Spec(opcode, fin, rsv[0], rsv[1], rsv[2], key, payload, form)


def expected_rules(spec: Spec, sender: Role | None, rsv_allowed: int) -> set[Rule]:
    """An independent oracle for the header rules of RFC 6455 §5.1, §5.2, §5.5 and RFC 7692 §6.1."""
    n = len(spec.payload)
    rules = set()
    bits = (0x40 if spec.rsv1 else 0) | (0x20 if spec.rsv2 else 0) | (0x10 if spec.rsv3 else 0)
    if bits & ~rsv_allowed:
        rules.add(Rule.RSV_WITHOUT_EXTENSION)
    if spec.rsv1 and rsv_allowed & 0x40:
        if spec.opcode >= 8:
            rules.add(Rule.RSV1_ON_CONTROL)
        elif spec.opcode == 0:
            rules.add(Rule.RSV1_ON_CONTINUATION)
    if spec.opcode not in DEFINED:
        rules.add(Rule.RESERVED_OPCODE)
    if spec.opcode >= 8:
        if not spec.fin:
            rules.add(Rule.CONTROL_FRAGMENTED)
        if n > 125:
            rules.add(Rule.CONTROL_TOO_LONG)
    if (spec.form == 16 and n <= 125) or (spec.form == 64 and n <= 0xFFFF):
        rules.add(Rule.NON_MINIMAL_LENGTH)
    if sender is Role.CLIENT and spec.mask_key is None:
        rules.add(Rule.UNMASKED_CLIENT_FRAME)
    if sender is Role.SERVER and spec.mask_key is not None:
        rules.add(Rule.MASKED_SERVER_FRAME)
    return rules


senders = st.sampled_from([None, Role.CLIENT, Role.SERVER])


# -- encode -> parse ---------------------------------------------------------------------------


@SLOW
@given(
    spec=specs(),
    sender=senders,
    rsv_allowed=st.sampled_from([0, 0x40]),
    offset=st.integers(0, 2**40),
)
@example(
    spec=Spec(1, True, False, False, False, b"7\xfa!=", b"Hello", None),
    sender=Role.CLIENT,
    rsv_allowed=0,
    offset=0,
)
def test_encode_parse_round_trip(
    spec: Spec, sender: Role | None, rsv_allowed: int, offset: int
) -> None:
    wire = spec.encode()
    parser = FrameParser(sender, rsv_allowed=rsv_allowed, offset=offset)
    parser.receive_data(wire)
    (frame,) = parser.frames()
    assert parser.incomplete() is None and parser.offset == offset + len(wire)
    assert (frame.opcode_raw, frame.fin, frame.rsv1, frame.rsv2, frame.rsv3) == spec[:5]
    assert frame.mask_key == spec.mask_key and frame.masked is (spec.mask_key is not None)
    assert frame.payload == spec.payload and frame.payload_len == len(spec.payload)
    n = len(spec.payload)
    assert frame.length_form == (spec.form or (7 if n <= 125 else 16 if n <= 0xFFFF else 64))
    assert frame.offset == offset and frame.end == offset + len(wire)
    assert frame.to_bytes() == wire
    assert frame.masked_payload == wire[frame.header_size :]
    assert {p.rule for p in frame.problems} == expected_rules(spec, sender, rsv_allowed)
    assert all(frame.offset <= p.offset < frame.offset + frame.header_size for p in frame.problems)
    assert_fields_cover(frame, annotate(frame))


@FAST
@given(spec=specs(size=small_sizes), offset=st.integers(0, 1000))
def test_fields_cover_every_byte(spec: Spec, offset: int) -> None:
    parser = FrameParser(offset=offset)
    parser.receive_data(spec.encode())
    for frame in parser.frames():
        assert_fields_cover(frame, annotate(frame))


# -- arbitrary input, arbitrary chunks ---------------------------------------------------------


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    """Garbage, or frames (valid or not) with garbage between them and a cut anywhere."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    parts = []
    for spec in draw(st.lists(specs(size=small_sizes), max_size=6)):
        parts.append(spec.encode())
        if draw(st.integers(0, 4)) == 0:
            parts.append(draw(st.binary(max_size=3)))
    data = b"".join(parts)
    return data[: draw(st.integers(0, len(data)))]


def check_contiguous(data: bytes, frames: list[WireFrame], parser: FrameParser) -> None:
    pos = 0
    for frame in frames:
        assert frame.offset == pos
        assert frame.to_bytes() == data[frame.offset : frame.end]
        pos = frame.end
    assert parser.offset == pos
    assert parser.remaining() == data[pos:]
    assert (parser.incomplete() is None) == (pos == len(data))


@FAST
@given(data=streams(), cuts=st.lists(st.integers(0, 1000), max_size=12), sender=senders)
def test_chunked_parse_equals_one_feed(data: bytes, cuts: list[int], sender: Role | None) -> None:
    one = FrameParser(sender)
    one.receive_data(data)
    whole = one.frames()
    check_contiguous(data, whole, one)
    chunked = FrameParser(sender)
    got = []
    for chunk in split_at(data, [c % (len(data) + 1) for c in cuts]):
        chunked.receive_data(chunk)
        got.extend(chunked.frames())
    assert got == whole
    assert chunked.incomplete() == one.incomplete()
    assert chunked.offset == one.offset


@FAST
@given(data=streams(), seed=st.integers(0, 2**16), sender=senders, deflate=st.booleans())
def test_stream_decoder_never_raises_and_ignores_chunking(
    data: bytes, seed: int, sender: Role | None, deflate: bool
) -> None:
    def make() -> StreamDecoder:
        return StreamDecoder(
            sender,
            inflate=Inflater(max_size=1 << 16).inflate if deflate else None,
            max_message=1 << 16,
        )

    fed = feed_all_ways(data, make, seed=seed, random_splits=3, bytewise=len(data) <= 120)
    for rec in fed.items:
        for p in rec.problems:
            # Message problems may point back into an earlier fragment of the message.
            earlier = (
                p.rule in (Rule.INVALID_UTF8, Rule.INFLATE_FAILED) and p.offset < rec.frame.offset
            )
            assert earlier or rec.frame.offset <= p.offset < rec.frame.end, (p, rec.frame)


# -- differential: websockets.frames.Frame.parse -----------------------------------------------


def ws_parse(wire: bytes, *, mask: bool) -> Frame:
    reader = StreamReader()
    reader.feed_data(wire)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=mask, max_size=None, extensions=[])
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        return frame
    raise AssertionError("websockets wants more data for a complete frame")


@SLOW
@given(spec=specs(valid=True), masked=st.booleans())
@example(spec=Spec(1, True, False, False, False, b"7\xfa!=", b"Hello", None), masked=True)
def test_same_frame_as_websockets(spec: Spec, masked: bool) -> None:
    spec = spec._replace(mask_key=(spec.mask_key or b"\x01\x02\x03\x04") if masked else None)
    wire = spec.encode()
    theirs = ws_parse(wire, mask=masked)
    parser = FrameParser(Role.CLIENT if masked else Role.SERVER)
    parser.receive_data(wire)
    (ours,) = parser.frames()
    assert ours.problems == ()
    assert ours.opcode_raw == int(theirs.opcode)
    assert ours.fin == theirs.fin
    assert (ours.rsv1, ours.rsv2, ours.rsv3) == (theirs.rsv1, theirs.rsv2, theirs.rsv3)
    assert ours.payload == bytes(theirs.data)


@SLOW
@given(specs_=st.lists(specs(valid=True, size=small_sizes, masked=True), min_size=1, max_size=5))
def test_same_frames_as_websockets_in_a_stream(specs_: list[Spec]) -> None:
    wire = b"".join(s.encode() for s in specs_)
    reader = StreamReader()
    reader.feed_data(wire)
    reader.feed_eof()
    theirs = []
    for _ in specs_:
        parser = Frame.parse(reader.read_exact, mask=True, max_size=None, extensions=[])
        try:
            next(parser)
        except StopIteration as done:
            theirs.append(done.value)
    ours = FrameParser(Role.CLIENT)
    ours.receive_data(wire)
    assert [(f.opcode_raw, f.fin, f.payload) for f in ours.frames()] == [
        (int(t.opcode), t.fin, bytes(t.data)) for t in theirs
    ]


@FAST
@given(spec=specs(size=st.integers(0, 300)), sender=st.sampled_from([Role.CLIENT, Role.SERVER]))
def test_problems_iff_websockets_rejects(spec: Spec, sender: Role) -> None:
    """websockets raises ProtocolError exactly when we find a header problem other than a
    non-minimal length (which websockets accepts)."""
    wire = spec.encode()
    parser = FrameParser(sender)
    parser.receive_data(wire)
    (ours,) = parser.frames()
    rules = {p.rule for p in ours.problems} - {Rule.NON_MINIMAL_LENGTH}
    try:
        ws_parse(wire, mask=sender is Role.CLIENT)
    except ProtocolError:
        rejected = True
    else:
        rejected = False
    assert rejected == bool(rules), rules
