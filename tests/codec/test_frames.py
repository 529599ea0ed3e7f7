"""Frame parser and encoder (RFC 6455 §5.2): vectors, header rules, incremental parsing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import feed_all_ways
from tests.vectors import ALL_VECTORS, PLAIN_VECTORS, RFC_MASK_KEY, Vector
from wsdebug.codec.frames import (
    FrameParser,
    NeedMore,
    WireFrame,
    encode_frame,
    encode_header,
    header_problems,
)
from wsdebug.codec.rules import Problem, Rule
from wsdebug.codec.spec import Opcode, Role

HELLO = bytes.fromhex("81 05 48 65 6c 6c 6f")  # RFC 6455 §5.7, 7 bytes: the prefix frame below


def parse(data: bytes, **kwargs: object) -> list[WireFrame]:
    parser = FrameParser(**kwargs)  # type: ignore[arg-type]
    parser.receive_data(data)
    return parser.frames()


def only(data: bytes, **kwargs: object) -> WireFrame:
    frames = parse(data, **kwargs)
    assert len(frames) == 1, frames
    return frames[0]


# -- vectors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", ALL_VECTORS, ids=lambda v: v.name)
def test_vector_frames(vector: Vector) -> None:
    fed = feed_all_ways(vector.wire, lambda: FrameParser(rsv_allowed=0x40 if vector.deflate else 0))
    assert fed.pending is None
    assert len(fed.items) == len(vector.frames)
    offset = 0
    for frame, want in zip(fed.items, vector.frames, strict=True):
        assert frame.offset == offset
        assert frame.opcode_raw == want.opcode
        assert frame.opcode == Opcode(want.opcode)
        assert frame.fin is want.fin
        assert (frame.rsv1, frame.rsv2, frame.rsv3) == (want.rsv1, False, False)
        assert frame.masked is (want.mask_key is not None)
        assert frame.mask_key == want.mask_key
        assert frame.length_form == want.length_form
        assert frame.payload == want.payload
        assert frame.payload_len == len(want.payload)
        assert frame.problems == ()
        assert frame.to_bytes() == vector.wire[frame.offset : frame.end]
        offset = frame.end
    assert offset == len(vector.wire)


@pytest.mark.parametrize("vector", PLAIN_VECTORS, ids=lambda v: v.name)
def test_vector_with_known_sender_has_no_problems(vector: Vector) -> None:
    fed = feed_all_ways(vector.wire, lambda: FrameParser(vector.sender))
    assert all(f.problems == () for f in fed.items)
    # ... and the same bytes from the other side break §5.1 in every frame.
    frames = parse(vector.wire, sender=vector.sender.peer)
    expected = (
        Rule.MASKED_SERVER_FRAME if vector.sender is Role.CLIENT else Rule.UNMASKED_CLIENT_FRAME
    )
    assert [[p.rule for p in f.problems] for f in frames] == [[expected]] * len(frames)
    assert [p.offset for f in frames for p in f.problems] == [f.offset + 1 for f in frames]


def test_rfc_masked_hello_header_fields() -> None:
    frame = only(bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58"))
    assert frame.header_size == 6
    assert frame.payload_offset == 6
    assert frame.size == frame.end == 11
    assert frame.masked_payload == bytes.fromhex("7f 9f 4d 51 58")
    assert frame.opcode_name == "TEXT"
    assert not frame.is_control


def test_header_sizes_for_each_length_form() -> None:
    assert only(encode_frame(2, b"x" * 125)).header_size == 2
    assert only(encode_frame(2, b"x" * 126)).header_size == 4
    assert only(encode_frame(2, b"x" * 65535)).header_size == 4
    assert only(encode_frame(2, b"x" * 65536)).header_size == 10
    assert only(encode_frame(2, b"x" * 126, mask_key=b"abcd")).header_size == 8
    assert only(encode_frame(2, b"x" * 65536, mask_key=b"abcd")).header_size == 14


def test_stream_offsets_are_absolute() -> None:
    parser = FrameParser(offset=1000)
    parser.receive_data(HELLO + HELLO[:3])
    frames = parser.frames()
    assert [f.offset for f in frames] == [1000]
    assert parser.offset == 1007
    assert parser.incomplete() == NeedMore(1007, 4)
    assert parser.remaining() == HELLO[:3]
    parser.receive_data(HELLO[3:] + HELLO)
    assert [f.offset for f in parser.frames()] == [1007, 1014]
    assert parser.offset == 1021
    assert parser.buffered == 0
    assert parser.incomplete() is None


def test_empty_input_is_ignored() -> None:
    parser = FrameParser()
    parser.receive_data(b"")
    assert parser.frames() == []
    assert parser.incomplete() is None
    assert parser.offset == 0


def test_bytearray_input_is_copied() -> None:
    data = bytearray(HELLO)
    parser = FrameParser()
    parser.receive_data(data)
    data[2:] = b"XXXXX"
    assert parser.frames()[0].payload == b"Hello"


def test_empty_payload_frames() -> None:
    frames = parse(bytes.fromhex("81 00 89 00 88 00 82 80 01 02 03 04"))
    assert [(f.opcode_raw, f.payload, f.end) for f in frames] == [
        (1, b"", 2),
        (9, b"", 4),
        (8, b"", 6),
        (2, b"", 12),
    ]
    assert frames[3].mask_key == bytes([1, 2, 3, 4])


def test_large_masked_payload_is_unmasked() -> None:
    data = bytes(range(256)) * 40  # 10240 bytes: past the parser's inline small-payload path
    frame = only(encode_frame(2, data, mask_key=b"\x01\x80\xff\x10"))
    assert frame.payload == data
    assert frame.length_form == 16


# -- incremental parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_prefix", "needed"),
    [
        pytest.param("81", 1, id="1-byte-header"),
        pytest.param("81 05", 5, id="7-bit-length-no-payload"),
        pytest.param("81 05 48 65", 3, id="partial-payload"),
        pytest.param("82 7e", 2, id="16-bit-marker-only"),
        pytest.param("82 7e 01", 1, id="partial-16-bit-length"),
        pytest.param("82 7e 01 00", 256, id="16-bit-length-no-payload"),
        pytest.param("82 7e 01 00 00 01", 254, id="16-bit-partial-payload"),
        pytest.param("82 7f 00 00 00 00", 4, id="partial-64-bit-length"),
        pytest.param("82 7f 00 00 00 00 00 01 00 00", 65536, id="64-bit-length-no-payload"),
        pytest.param("81 85", 4 + 5, id="7-bit-no-mask-key"),
        pytest.param("81 85 37 fa", 2 + 5, id="partial-mask-key"),
        pytest.param("81 85 37 fa 21 3d", 5, id="mask-key-no-payload"),
        pytest.param("81 85 37 fa 21 3d 7f 9f", 3, id="masked-partial-payload"),
        pytest.param("82 fe 01", 5, id="masked-partial-16-bit-length"),
        pytest.param("82 fe 01 00 37", 3 + 256, id="16-bit-partial-mask-key"),
        pytest.param(
            "82 ff 00 00 00 00 00 00 01 00 37 fa 21", 1 + 256, id="64-bit-partial-mask-key"
        ),
    ],
)
def test_need_more(hex_prefix: str, needed: int) -> None:
    """NeedMore.needed is exact once the length is known, else what completes the header."""
    data = bytes.fromhex(hex_prefix)
    parser = FrameParser(offset=7)
    parser.receive_data(data)
    assert parser.frames() == []
    assert parser.incomplete() == NeedMore(7, needed)
    assert parser.remaining() == data
    assert parser.offset == 7


def test_need_more_after_a_complete_frame() -> None:
    parser = FrameParser()
    parser.receive_data(HELLO + b"\x82")
    assert len(parser.frames()) == 1
    assert parser.incomplete() == NeedMore(7, 1)


def test_need_more_counts_down_to_the_frame() -> None:
    wire = encode_frame(2, b"z" * 300, mask_key=b"wxyz")  # 8-byte header + 300
    parser = FrameParser()
    for i in range(len(wire) - 1):
        parser.receive_data(wire[i : i + 1])
        assert parser.frames() == []
        pending = parser.incomplete()
        assert pending is not None and pending.offset == 0
        if i >= 3:  # the 16-bit length is in: the exact size is known
            assert pending.needed == len(wire) - (i + 1)
        else:
            assert 1 <= pending.needed <= len(wire) - (i + 1)
    parser.receive_data(wire[-1:])
    assert [f.payload for f in parser.frames()] == [b"z" * 300]
    assert parser.incomplete() is None


def test_frames_survive_every_chunking_of_a_mixed_stream() -> None:
    wire = b"".join(
        [
            encode_frame(1, "½ & ☃".encode(), fin=False, mask_key=b"\x00\xff\x0f\xf0"),
            encode_frame(9, b"ping", mask_key=b"abcd"),
            encode_frame(0, b"x" * 200, length_form=64, mask_key=b"efgh"),
            encode_frame(0x3, b"", rsv2=True),  # broken on purpose
            encode_frame(8, (1000).to_bytes(2, "big") + b"bye", mask_key=b"ijkl"),
        ]
    )
    fed = feed_all_ways(wire, lambda: FrameParser(Role.CLIENT), random_splits=20)
    assert [f.opcode_raw for f in fed.items] == [1, 9, 0, 3, 8]
    assert [p.rule for f in fed.items for p in f.problems] == [
        Rule.NON_MINIMAL_LENGTH,
        Rule.RSV_WITHOUT_EXTENSION,
        Rule.RESERVED_OPCODE,
        Rule.UNMASKED_CLIENT_FRAME,
    ]


# -- header rules (one test per rule) ----------------------------------------------------------

SECTION = {
    Rule.RSV_WITHOUT_EXTENSION: "RFC 6455 §5.2",
    Rule.RESERVED_OPCODE: "RFC 6455 §5.2",
    Rule.CONTROL_TOO_LONG: "RFC 6455 §5.5",
    Rule.CONTROL_FRAGMENTED: "RFC 6455 §5.5",
    Rule.NON_MINIMAL_LENGTH: "RFC 6455 §5.2",
    Rule.LENGTH_HIGH_BIT: "RFC 6455 §5.2",
    Rule.UNMASKED_CLIENT_FRAME: "RFC 6455 §5.1",
    Rule.MASKED_SERVER_FRAME: "RFC 6455 §5.1",
    Rule.RSV1_ON_CONTINUATION: "RFC 7692 §6.1",
    Rule.RSV1_ON_CONTROL: "RFC 7692 §6.1",
}


MASKED_HELLO = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")  # RFC 6455 §5.7, 11 bytes


def problems_after_prefix(frame: bytes, **kwargs: object) -> list[Problem]:
    """Problems of ``frame`` parsed after a valid RFC frame, offsets made relative to ``frame``.

    The prefix makes sure offsets are stream offsets, not offsets within the frame; it is the
    masked example when the sender is a client so that it breaks no rule itself.
    """
    prefix = MASKED_HELLO if kwargs.get("sender") is Role.CLIENT else HELLO
    frames = parse(prefix + frame, **kwargs)
    assert len(frames) == 2
    assert frames[0].problems == ()
    assert frames[1].offset == len(prefix)
    assert frames[1].to_bytes() == frame
    return [p.shifted(-len(prefix)) for p in frames[1].problems]


def assert_one(problems: list[Problem], rule: Rule, offset: int) -> Problem:
    assert [p.rule for p in problems] == [rule], problems
    assert problems[0].offset == offset
    assert problems[0].rule.section == SECTION[rule]
    assert problems[0].rfc == SECTION[rule]
    return problems[0]


@pytest.mark.parametrize(
    ("kwargs", "detail"),
    [
        ({"rsv1": True}, "RSV1 set"),
        ({"rsv2": True}, "RSV2 set"),
        ({"rsv3": True}, "RSV3 set"),
        ({"rsv1": True, "rsv3": True}, "RSV1 and RSV3 set"),
        ({"rsv1": True, "rsv2": True, "rsv3": True}, "RSV1 and RSV2 and RSV3 set"),
    ],
)
def test_rsv_without_extension(kwargs: dict[str, Any], detail: str) -> None:
    p = assert_one(
        problems_after_prefix(encode_frame(1, b"hi", **kwargs)), Rule.RSV_WITHOUT_EXTENSION, 0
    )
    assert p.detail == detail
    assert detail in p.message


def test_rsv_bits_not_allowed_by_the_extension() -> None:
    # permessage-deflate defines RSV1 only: RSV2 and RSV3 are still reported.
    problems = problems_after_prefix(encode_frame(1, b"hi", rsv1=True, rsv2=True), rsv_allowed=0x40)
    p = assert_one(problems, Rule.RSV_WITHOUT_EXTENSION, 0)
    assert p.detail == "RSV2 set"
    assert problems_after_prefix(encode_frame(1, b"hi", rsv1=True), rsv_allowed=0x40) == []


@pytest.mark.parametrize("opcode", [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_reserved_opcode(opcode: int) -> None:
    frame = encode_frame(opcode, b"abc")
    p = assert_one(problems_after_prefix(frame), Rule.RESERVED_OPCODE, 0)
    assert p.detail == f"0x{opcode:X}"
    wire = only(frame)
    assert wire.opcode is None
    assert wire.opcode_raw == opcode
    assert wire.opcode_name == f"RESERVED-0x{opcode:X}"
    assert wire.is_control is (opcode >= 8)


@pytest.mark.parametrize("opcode", [0x0, 0x1, 0x2, 0x8, 0x9, 0xA])
def test_defined_opcodes_are_not_reserved(opcode: int) -> None:
    payload = b"\x03\xe8" if opcode == 8 else b"abc"
    assert problems_after_prefix(encode_frame(opcode, payload)) == []


@pytest.mark.parametrize("opcode", [Opcode.CLOSE, Opcode.PING, Opcode.PONG])
@pytest.mark.parametrize("length", [126, 127, 1000, 65535])
def test_control_too_long(opcode: Opcode, length: int) -> None:
    payload = b"\x03\xe8" + b"r" * (length - 2)
    p = assert_one(problems_after_prefix(encode_frame(opcode, payload)), Rule.CONTROL_TOO_LONG, 1)
    assert p.detail == f"{length} bytes"


@pytest.mark.parametrize("opcode", [Opcode.CLOSE, Opcode.PING, Opcode.PONG])
def test_control_of_125_bytes_is_fine(opcode: Opcode) -> None:
    assert problems_after_prefix(encode_frame(opcode, b"\x03\xe8" + b"r" * 123)) == []


def test_control_too_long_in_64_bit_form_reports_both() -> None:
    problems = problems_after_prefix(encode_frame(9, b"p" * 200, length_form=64))
    assert [(p.rule, p.offset) for p in problems] == [
        (Rule.CONTROL_TOO_LONG, 1),
        (Rule.NON_MINIMAL_LENGTH, 2),
    ]


@pytest.mark.parametrize("opcode", [Opcode.CLOSE, Opcode.PING, Opcode.PONG])
def test_control_fragmented(opcode: Opcode) -> None:
    p = assert_one(
        problems_after_prefix(encode_frame(opcode, b"", fin=False)), Rule.CONTROL_FRAGMENTED, 0
    )
    assert p.detail == opcode.name


def test_data_frames_may_have_fin_off() -> None:
    assert problems_after_prefix(encode_frame(1, b"a", fin=False)) == []


@pytest.mark.parametrize("length", [0, 1, 125])
def test_non_minimal_16_bit_length(length: int) -> None:
    p = assert_one(
        problems_after_prefix(encode_frame(2, b"x" * length, length_form=16)),
        Rule.NON_MINIMAL_LENGTH,
        2,
    )
    assert p.detail == f"16-bit form for {length} (fits 7 bits)"


@pytest.mark.parametrize(("length", "form"), [(0, "7"), (125, "7"), (126, "16"), (65535, "16")])
def test_non_minimal_64_bit_length(length: int, form: str) -> None:
    p = assert_one(
        problems_after_prefix(encode_frame(2, b"x" * length, length_form=64)),
        Rule.NON_MINIMAL_LENGTH,
        2,
    )
    assert p.detail == f"64-bit form for {length} (fits the {form}-bit form)"


@pytest.mark.parametrize(("length", "form"), [(126, 16), (65535, 16), (65536, 64)])
def test_minimal_extended_lengths_are_fine(length: int, form: int) -> None:
    assert problems_after_prefix(encode_frame(2, b"x" * length, length_form=form)) == []


def test_length_high_bit_in_header_problems() -> None:
    problems = header_problems(7, 0x82, 0x7F, 64, (1 << 63) | 5, None, 0)
    p = assert_one(problems, Rule.LENGTH_HIGH_BIT, 9)
    assert p.detail == ""


@pytest.mark.parametrize("low", [0, 5, 1 << 40])
def test_length_high_bit_reported_by_the_parser(low: int) -> None:
    """A frame announcing 2**63 bytes or more never completes: the parser reports it at once."""
    wire = HELLO + bytes([0x82, 0x7F]) + ((1 << 63) | low).to_bytes(8, "big") + b"payload"
    parser = FrameParser()
    parser.receive_data(wire)
    frames = parser.frames()
    assert len(frames) == 1
    assert parser.oversized == (7, (1 << 63) | low)
    assert (
        header_problems(7, 0x82, 0x7F, 64, (1 << 63) | low, None, 0)[0].rule is Rule.LENGTH_HIGH_BIT
    )


def test_unmasked_client_frame() -> None:
    assert_one(
        problems_after_prefix(encode_frame(1, b"hi"), sender=Role.CLIENT),
        Rule.UNMASKED_CLIENT_FRAME,
        1,
    )


def test_masked_server_frame() -> None:
    frame = encode_frame(1, b"hi", mask_key=b"abcd")
    assert_one(problems_after_prefix(frame, sender=Role.SERVER), Rule.MASKED_SERVER_FRAME, 1)


def test_mask_bit_unchecked_when_sender_unknown() -> None:
    assert problems_after_prefix(encode_frame(1, b"hi")) == []
    assert problems_after_prefix(encode_frame(1, b"hi", mask_key=b"abcd")) == []


def test_rsv1_on_continuation_when_deflate_is_on() -> None:
    frame = encode_frame(0, b"more", rsv1=True)
    assert_one(problems_after_prefix(frame, rsv_allowed=0x40), Rule.RSV1_ON_CONTINUATION, 0)
    # Without the extension it is the plain RSV rule instead.
    assert_one(problems_after_prefix(frame), Rule.RSV_WITHOUT_EXTENSION, 0)


@pytest.mark.parametrize("opcode", [Opcode.CLOSE, Opcode.PING, Opcode.PONG])
def test_rsv1_on_control_when_deflate_is_on(opcode: Opcode) -> None:
    p = assert_one(
        problems_after_prefix(encode_frame(opcode, b"", rsv1=True), rsv_allowed=0x40),
        Rule.RSV1_ON_CONTROL,
        0,
    )
    assert p.detail == opcode.name


def test_rsv1_on_control_reported_with_other_rsv_bits() -> None:
    """Every broken rule is reported: RSV2 (never allowed) does not hide RSV1 on a ping."""
    frame = encode_frame(Opcode.PING, b"", rsv1=True, rsv2=True)
    problems = problems_after_prefix(frame, rsv_allowed=0x40)
    assert sorted((p.rule.name, p.offset) for p in problems) == [
        ("RSV1_ON_CONTROL", 0),
        ("RSV_WITHOUT_EXTENSION", 0),
    ]


def test_every_header_rule_at_once() -> None:
    """A ping with RSV3, FIN=0, 64-bit form for 200 bytes, unmasked from a client."""
    frame = encode_frame(9, b"p" * 200, fin=False, rsv3=True, length_form=64)
    problems = problems_after_prefix(frame, sender=Role.CLIENT)
    assert [(p.rule, p.offset) for p in problems] == [
        (Rule.RSV_WITHOUT_EXTENSION, 0),
        (Rule.CONTROL_FRAGMENTED, 0),
        (Rule.CONTROL_TOO_LONG, 1),
        (Rule.NON_MINIMAL_LENGTH, 2),
        (Rule.UNMASKED_CLIENT_FRAME, 1),
    ]


def test_broken_frames_still_yield_their_payload() -> None:
    frame = only(
        encode_frame(0xB, b"secret", fin=False, rsv2=True, length_form=64, mask_key=b"kkkk")
    )
    assert frame.payload == b"secret"
    assert frame.length_form == 64
    assert frame.header_size == 14
    assert len(frame.problems) == 4


def test_max_payload_stops_before_buffering() -> None:
    parser = FrameParser(max_payload=10)
    parser.receive_data(HELLO + encode_frame(2, b"x" * 11) + HELLO)
    frames = parser.frames()
    assert [f.offset for f in frames] == [0]
    assert parser.oversized == (7, 11)
    parser.receive_data(HELLO)
    assert parser.frames() == []


def test_oversized_frame_is_reported_the_same_however_it_arrives() -> None:
    """Found by hypothesis: NeedMore after an oversized frame depended on the chunking."""
    header = b"\x00\xff" + (65537).to_bytes(8, "big") + b"kkkk"
    wire = HELLO + header + b"abc"
    fed = feed_all_ways(wire, lambda: FrameParser(max_payload=1 << 16))
    assert len(fed.items) == 1
    assert fed.oversized == (7, 65537)
    assert fed.pending == NeedMore(7, 65537 - 3)  # the header is in, and 3 payload bytes


def test_max_payload_allows_the_limit() -> None:
    parser = FrameParser(max_payload=10)
    parser.receive_data(encode_frame(2, b"x" * 10))
    assert len(parser.frames()) == 1
    assert parser.oversized is None


# -- encoder -----------------------------------------------------------------------------------


def test_encode_reproduces_rfc_examples() -> None:
    assert encode_frame(1, b"Hello") == bytes.fromhex("81 05 48 65 6c 6c 6f")
    assert encode_frame(1, b"Hello", mask_key=RFC_MASK_KEY) == bytes.fromhex(
        "81 85 37 fa 21 3d 7f 9f 4d 51 58"
    )
    assert encode_frame(1, b"Hel", fin=False) + encode_frame(0, b"lo") == bytes.fromhex(
        "01 03 48 65 6c 80 02 6c 6f"
    )
    assert encode_frame(9, b"Hello") == bytes.fromhex("89 05 48 65 6c 6c 6f")
    assert encode_frame(10, b"Hello", mask_key=RFC_MASK_KEY) == bytes.fromhex(
        "8a 85 37 fa 21 3d 7f 9f 4d 51 58"
    )
    assert encode_frame(2, bytes(256))[:4] == bytes.fromhex("82 7e 01 00")
    assert encode_frame(2, bytes(65536))[:10] == bytes.fromhex("82 7f 00 00 00 00 00 01 00 00")
    assert encode_frame(1, b"Hello", rsv1=True)[:1] == b"\xc1"


@pytest.mark.parametrize("vector", ALL_VECTORS, ids=lambda v: v.name)
def test_encode_reproduces_every_vector(vector: Vector) -> None:
    wire = b"".join(
        encode_frame(
            f.opcode,
            f.payload,
            fin=f.fin,
            rsv1=f.rsv1,
            mask_key=f.mask_key,
            length_form=f.length_form,
        )
        for f in vector.frames
    )
    assert wire == vector.wire


@pytest.mark.parametrize(
    ("length", "form", "header"),
    [
        (5, 16, "82 7e 00 05"),
        (5, 64, "82 7f 00 00 00 00 00 00 00 05"),
        (300, 64, "82 7f 00 00 00 00 00 00 01 2c"),
        (0, 7, "82 00"),
        (125, None, "82 7d"),
        (126, None, "82 7e 00 7e"),
        (65535, None, "82 7e ff ff"),
        (65536, None, "82 7f 00 00 00 00 00 01 00 00"),
    ],
)
def test_encode_length_forms(length: int, form: int | None, header: str) -> None:
    wire = encode_frame(2, b"\xaa" * length, length_form=form)
    head = bytes.fromhex(header)
    assert wire == head + b"\xaa" * length
    frame = only(wire)
    assert frame.length_form == (form or {2: 7, 4: 16, 10: 64}[len(head)])
    assert encode_header(frame) == head


def test_encode_rejects_impossible_length_forms() -> None:
    with pytest.raises(ValueError, match="7-bit"):
        encode_frame(2, b"x" * 128, length_form=7)
    with pytest.raises(ValueError, match="16-bit"):
        encode_frame(2, b"x" * 65536, length_form=16)
    with pytest.raises(ValueError, match="7, 16 or 64"):
        encode_frame(2, b"x", length_form=32)


def test_encode_7_bit_marker_without_extended_length() -> None:
    """Broken on purpose: 126 in the 7-bit field with no extended length after it."""
    assert encode_frame(2, b"", length_form=7, length=126) == b"\x82\x7e"
    assert encode_frame(2, b"", length_form=7, length=127) == b"\x82\x7f"


def test_encode_announced_length() -> None:
    wire = encode_frame(2, b"abc", length=10)
    assert wire == b"\x82\x0aabc"
    parser = FrameParser()
    parser.receive_data(wire)
    assert parser.frames() == []
    assert parser.incomplete() == NeedMore(0, 7)


@pytest.mark.parametrize("opcode", range(16))
def test_encode_raw_opcodes(opcode: int) -> None:
    wire = encode_frame(opcode, b"")
    assert wire == bytes([0x80 | opcode, 0])
    assert only(wire).opcode_raw == opcode


def test_encode_rejects_opcodes_beyond_4_bits() -> None:
    for bad in (-1, 16, 0x81):
        with pytest.raises(ValueError, match="opcode"):
            encode_frame(bad, b"")


@pytest.mark.parametrize(
    ("kwargs", "byte0"),
    [
        ({}, 0x81),
        ({"fin": False}, 0x01),
        ({"rsv1": True}, 0xC1),
        ({"rsv2": True}, 0xA1),
        ({"rsv3": True}, 0x91),
        ({"fin": False, "rsv1": True, "rsv2": True, "rsv3": True}, 0x71),
    ],
)
def test_encode_first_byte_bits(kwargs: dict[str, Any], byte0: int) -> None:
    wire = encode_frame(1, b"x", **kwargs)
    assert wire[0] == byte0
    frame = only(wire)
    assert frame.fin is kwargs.get("fin", True)
    assert (frame.rsv1, frame.rsv2, frame.rsv3) == tuple(
        kwargs.get(k, False) for k in ("rsv1", "rsv2", "rsv3")
    )


def test_encode_random_mask() -> None:
    wire = encode_frame(1, b"Hello", mask=True)
    assert wire[1] == 0x85
    frame = only(wire)
    assert frame.payload == b"Hello"
    assert frame.mask_key == wire[2:6]


def test_encode_mask_key_must_be_4_bytes() -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        encode_frame(1, b"x", mask_key=b"abc")


def test_encode_zero_mask_key_still_sets_the_mask_bit() -> None:
    wire = encode_frame(1, b"abc", mask_key=b"\0\0\0\0")
    assert wire == b"\x81\x83\0\0\0\0abc"
    assert only(wire).masked


def test_masked_payload_and_to_bytes_round_trip() -> None:
    key = bytes.fromhex("de ad be ef")
    for form in (7, 16, 64):
        wire = encode_frame(1, b"round trip!", mask_key=key, length_form=form, fin=False, rsv2=True)
        frame = only(wire)
        assert frame.payload == b"round trip!"
        assert frame.masked_payload == wire[frame.header_size :]
        assert frame.to_bytes() == wire
    unmasked = only(encode_frame(2, b"plain"))
    assert unmasked.masked_payload == b"plain"
    assert unmasked.to_bytes() == encode_frame(2, b"plain")


def test_partial_hands_out_the_unmasked_prefix_of_an_incomplete_frame() -> None:
    key = b"\x01\x02\x03\x04"
    frame = encode_frame(Opcode.TEXT, b"Hello, world", mask_key=key)
    parser = FrameParser(Role.CLIENT, offset=100)
    parser.receive_data(frame[:5])
    assert parser.frames() == [] and parser.partial() is None  # the mask key is not complete
    parser.receive_data(frame[5:9])
    part = parser.partial()
    assert part is not None and part.offset == 100 and part.payload_offset == 106
    assert part.payload_len == 12 and part.data == b"Hel"
    parser.receive_data(frame[9:13])
    rest = parser.partial(3)
    assert rest is not None and rest.start == 3 and rest.data == b"lo, "  # mask phase 3
    parser.receive_data(frame[13:])
    assert parser.partial() is None  # complete: frames() cuts it
    assert parser.frames()[0].payload == b"Hello, world"
    parser.receive_data(encode_frame(Opcode.BINARY, b"abc", length=9))
    unmasked = parser.partial()
    assert unmasked is not None and unmasked.data == b"abc"


def test_a_frame_over_many_reads_is_cut_once_it_is_complete() -> None:
    """A large frame in 64 KiB reads: nothing is cut before its last byte, everything after it
    (a second frame in the same read, half of a third) comes out in order."""
    payload = bytes(range(256)) * 4096  # 1 MiB, every byte value, '\n' included
    key = b"\x11\x22\x33\x44"
    wire = encode_frame(Opcode.BINARY, payload, mask_key=key)
    second = encode_frame(Opcode.TEXT, b"after", mask_key=key)
    third = encode_frame(Opcode.PING, b"ping", mask_key=key)
    stream = wire + second + third[:3]
    parser = FrameParser(Role.CLIENT)
    got = []
    step = 65536
    for start in range(0, len(stream), step):
        parser.receive_data(stream[start : start + step])
        cut = parser.frames()
        got += cut
        if start + step < len(wire):
            assert cut == []
            assert parser.buffered == start + step  # all of it kept, none of it lost
            pending = parser.incomplete()
            assert pending is not None and pending.needed == len(wire) - (start + step)
    assert [f.payload for f in got] == [payload, b"after"]
    assert [f.offset for f in got] == [0, len(wire)]
    assert parser.remaining() == third[:3]
    parser.receive_data(third[3:])
    assert [f.payload for f in parser.frames()] == [b"ping"]


def test_partial_reads_a_prefix_spread_over_many_reads() -> None:
    """partial() of a frame whose bytes are still arriving in pieces: each call hands out the
    unmasked bytes from where the last stopped, across read boundaries."""
    text = ("é" * 50_000).encode()  # 100 kB of UTF-8, two bytes a character
    key = b"\xa0\xb1\xc2\xd3"
    wire = encode_frame(Opcode.TEXT, text, mask_key=key)
    parser = FrameParser(Role.CLIENT)
    seen = b""
    for start in range(0, len(wire) - 1, 7001):
        parser.receive_data(wire[start : min(start + 7001, len(wire) - 1)])
        assert parser.frames() == []
        part = parser.partial(len(seen))
        if part is not None:
            assert part.start == len(seen)
            seen += part.data
    assert seen == text[:-1]  # everything but the last byte, unmasked
    parser.receive_data(wire[-1:])
    assert parser.frames()[0].payload == text


def test_an_oversized_frame_keeps_what_follows_without_parsing_it() -> None:
    parser = FrameParser(Role.SERVER, max_payload=1000)
    parser.receive_data(encode_frame(Opcode.BINARY, b"x" * 2000)[:100])
    assert parser.frames() == [] and parser.oversized == (0, 2000)
    for _ in range(1000):  # more bytes of it: kept, never parsed (and never joined again)
        parser.receive_data(b"y" * 100)
        assert parser.frames() == []
    assert parser.buffered == 100 + 100 * 1000
    assert parser.partial() is None
