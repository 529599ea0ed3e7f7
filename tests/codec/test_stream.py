"""StreamDecoder: messages, fragmentation and every message-level rule (RFC 6455 §5.4, §8.1;
RFC 7692 §6), with problem offsets checked byte for byte."""

from __future__ import annotations

import random

import pytest

from tests.helpers import all_problems, decode, feed_all_ways, rules_of
from tests.vectors import ALL_VECTORS, RFC_MASK_KEY, Vector
from wsdebug.codec.close import build_close_payload
from wsdebug.codec.deflate import DeflateParams, Inflater, PerMessageDeflate
from wsdebug.codec.frames import NeedMore, encode_frame
from wsdebug.codec.rules import Problem, Rule
from wsdebug.codec.spec import Direction, Opcode, Role
from wsdebug.codec.stream import FrameRecord, StreamDecoder

KEYS = [bytes([i, 0x5A ^ i, 0xA5, 0xFF - i]) for i in range(64)]


def client_frames(*frames: tuple[int, bytes, bool]) -> bytes:
    """Masked (client) frames (opcode, payload, fin), each with its own key."""
    return b"".join(
        encode_frame(op, data, fin=fin, mask_key=KEYS[i])
        for i, (op, data, fin) in enumerate(frames)
    )


def deflate_decoder(**kwargs: object) -> StreamDecoder:
    return StreamDecoder(inflate=Inflater().inflate, **kwargs)  # type: ignore[arg-type]


def assert_problem(p: Problem, rule: Rule, offset: int, section: str) -> None:
    assert p.rule is rule
    assert p.offset == offset, f"{rule.name} at {p.offset}, expected {offset}"
    assert p.rule.section == section


# -- messages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", ALL_VECTORS, ids=lambda v: v.name)
def test_vector_messages(vector: Vector) -> None:
    def make() -> StreamDecoder:
        return StreamDecoder(vector.sender, inflate=Inflater().inflate if vector.deflate else None)

    fed = feed_all_ways(vector.wire, make)
    records: list[FrameRecord] = fed.items
    assert fed.pending is None and fed.eof == [] and fed.oversized is None
    assert all_problems(records) == []
    assert all(
        rec.direction is (None if vector.sender is None else Direction.sent_by(vector.sender))
        for rec in records
    )
    messages = [rec.message for rec in records if rec.message is not None]
    assert [m.payload for m in messages] == list(vector.messages)
    assert [m.text for m in messages if m.is_text] == list(vector.texts)
    for m in messages:
        assert m.compressed is vector.deflate
        assert m.problems == []
    if vector.deflate:
        assert [rec.inflated for rec in records if rec.message] == list(vector.messages)


def test_seed_frame_text() -> None:
    (rec,) = decode(b"\x81\x89\xbc\xb8,\xb5Y6\xa5P\x12\x0b\xc8\x0f:", sender=Role.CLIENT)
    assert rec.ok
    assert rec.text == "厉害了"
    assert rec.message is not None and rec.message.text == "厉害了"
    assert rec.message.frames == 1
    assert rec.message.wire_size == 9


def test_fragmented_message_fields() -> None:
    wire = client_frames((1, "厉害".encode(), False), (0, b"", False), (0, "了".encode(), True))
    records = decode(wire, sender=Role.CLIENT)
    assert [rec.message is None for rec in records] == [True, True, False]
    assert [rec.text for rec in records] == ["厉害", "", "了"]
    msg = records[-1].message
    assert msg is not None
    assert (msg.opcode, msg.offset, msg.frames, msg.wire_size) == (Opcode.TEXT, 0, 3, 9)
    assert msg.text == "厉害了" and msg.is_text and not msg.compressed


def test_multibyte_character_split_between_frames() -> None:
    # "€" = e2 82 ac, split 1 | 2: the first frame contributes no text yet.
    records = decode(client_frames((1, b"\xe2", False), (0, b"\x82\xac", True)))
    assert [rec.text for rec in records] == ["", "€"]
    assert records[-1].message is not None and records[-1].message.text == "€"


def test_binary_message_has_no_text() -> None:
    (rec,) = decode(encode_frame(2, b"\xff\xfe"))
    assert rec.text is None
    assert rec.message is not None and rec.message.text is None and not rec.message.is_text


def test_ping_between_fragments_is_allowed() -> None:
    wire = client_frames((1, b"Hel", False), (9, b"are you there", True), (0, b"lo", True))
    fed = feed_all_ways(wire, lambda: StreamDecoder(Role.CLIENT))
    assert all_problems(fed.items) == []
    assert [rec.frame.opcode_raw for rec in fed.items] == [1, 9, 0]
    assert fed.items[1].text == "are you there"
    assert fed.items[1].message is None
    assert fed.items[2].message is not None and fed.items[2].message.text == "Hello"


def test_pong_and_close_between_fragments() -> None:
    records = decode(
        client_frames(
            (2, b"ab", False), (10, b"\xff", True), (8, build_close_payload(1000, "bye"), True)
        )
    )
    assert all_problems(records) == []
    assert records[1].text is None  # pong payload is not UTF-8
    assert records[2].close is not None and records[2].close.code == 1000
    assert records[2].text == "bye"


def test_stream_offset_argument() -> None:
    records = decode(encode_frame(1, b"\xff"), offset=500)
    assert records[0].frame.offset == 500
    assert [(p.rule, p.offset) for p in records[0].problems] == [(Rule.INVALID_UTF8, 502)]


# -- INVALID_UTF8 (RFC 6455 §8.1) --------------------------------------------------------------

PREFIX = "Zürich ½ ".encode()

INVALID = [
    # (bad bytes, index of the first byte that makes the text invalid)
    pytest.param(b"\xff", 0, id="ff"),
    pytest.param(b"\xfe", 0, id="fe"),
    pytest.param(b"\x80", 0, id="lone-continuation"),
    pytest.param(b"\xc0\x80", 0, id="overlong-c0"),
    pytest.param(b"\xc1\xbf", 0, id="overlong-c1"),
    pytest.param(b"\xe0\x80\x80", 1, id="overlong-3-byte"),
    pytest.param(b"\xed\xa0\x80", 1, id="surrogate"),
    pytest.param(b"\xf4\x90\x80\x80", 1, id="above-10ffff"),
    pytest.param(b"\xf5\x80\x80\x80", 0, id="f5"),
    pytest.param(b"\xf8\x88\x80\x80\x80", 0, id="5-byte-form"),
    pytest.param(b"\xe2\x82\x41", 2, id="ascii-inside-sequence"),
    pytest.param(
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", 12, id="kosme-surrogate"
    ),
    pytest.param(b"\xf0\x9f\x98", 0, id="truncated-at-end"),
    pytest.param(b"\xe2", 0, id="lone-lead-at-end"),
]


def _payload_offset_of(records: list[FrameRecord], index: int) -> int:
    """Stream offset of byte ``index`` of the message assembled from ``records``."""
    for rec in records:
        if index < rec.frame.payload_len:
            return rec.frame.payload_offset + index
        index -= rec.frame.payload_len
    raise AssertionError("index past the message")


@pytest.mark.parametrize(("bad", "index"), INVALID)
@pytest.mark.parametrize("split", ["one-frame", "byte-frames", "random-frames"])
def test_invalid_utf8_offset(bad: bytes, index: int, split: str) -> None:
    """Reported at the stream offset of the first bad byte however the message is fragmented."""
    message = PREFIX + bad
    if split == "one-frame":
        pieces = [message]
    elif split == "byte-frames":
        pieces = [message[i : i + 1] for i in range(len(message))]
    else:
        rng = random.Random(len(bad) * 31 + index)
        cuts = sorted({rng.randint(1, len(message) - 1) for _ in range(4)})
        pieces = [message[a:b] for a, b in zip([0, *cuts], [*cuts, len(message)], strict=True)]
    frames = [(1 if i == 0 else 0, piece, i == len(pieces) - 1) for i, piece in enumerate(pieces)]
    wire = encode_frame(9, b"x", mask_key=b"pppp") + client_frames(
        *frames
    )  # offsets don't start at 0
    records = feed_all_ways(
        wire, lambda: StreamDecoder(Role.CLIENT), random_splits=2, bytewise=False
    ).items
    data_records = records[1:]
    problems = all_problems(records)
    assert len(problems) == 1, problems
    expected = _payload_offset_of(data_records, len(PREFIX) + index)
    assert_problem(problems[0], Rule.INVALID_UTF8, expected, "RFC 6455 §8.1")
    assert (
        problems[0].detail
        == f"byte 0x{message[len(PREFIX) + index]:02x} at message byte {len(PREFIX) + index}"
    )
    msg = records[-1].message
    assert msg is not None and msg.text is None and msg.problems == problems
    assert msg.payload == message


def test_invalid_utf8_in_third_fragment_after_split_character() -> None:
    """'厉' (e5 8e 89) split across frames 1 and 2, then 0xff inside frame 3 of 4."""
    wire = client_frames(
        (1, b"ab\xe5", False),  # offset 0: 6-byte header, payload at 6..8
        (0, b"\x8e\x89c", False),  # offset 9: payload at 15..17
        (0, b"de\xfff", False),  # offset 18: payload at 24..27, 0xff at 26
        (0, b"tail", True),
    )
    records = decode(wire, sender=Role.CLIENT)
    assert [rec.frame.payload_offset for rec in records[:3]] == [6, 15, 24]
    assert [rec.text for rec in records] == ["ab", "厉c", None, None]
    # Fail fast: the problem is on the third frame, before the message is complete.
    assert records[0].problems == [] and records[1].problems == []
    (p,) = records[2].problems
    assert_problem(p, Rule.INVALID_UTF8, 26, "RFC 6455 §8.1")
    assert records[2].message is None
    assert records[3].problems == []  # reported once
    assert records[3].message is not None and records[3].message.problems == [p]


def test_invalid_continuation_byte_in_next_frame() -> None:
    records = decode(client_frames((1, b"a\xe5", False), (0, b"\x41", True)))
    (p,) = all_problems(records)
    assert_problem(p, Rule.INVALID_UTF8, records[1].frame.payload_offset, "RFC 6455 §8.1")
    assert p.detail == "byte 0x41 at message byte 2"


def test_sequence_cut_short_by_the_end_of_the_message() -> None:
    """The lead byte is in frame 1, the message ends in frame 2: the lead byte is reported."""
    records = decode(client_frames((1, b"a\xe5", False), (0, b"\x8e", True)))
    (p,) = records[1].problems
    assert_problem(p, Rule.INVALID_UTF8, records[0].frame.payload_offset + 1, "RFC 6455 §8.1")
    assert p.detail == "byte 0xe5 at message byte 1"


def test_sequence_cut_short_by_an_empty_final_frame() -> None:
    records = decode(client_frames((1, b"a\xf0\x9f", False), (0, b"", True)))
    (p,) = records[1].problems
    assert_problem(p, Rule.INVALID_UTF8, records[0].frame.payload_offset + 1, "RFC 6455 §8.1")
    assert p.detail == "byte 0xf0 at message byte 1"


def test_invalid_utf8_in_binary_is_fine() -> None:
    assert all_problems(decode(encode_frame(2, b"\xff\xfe\xfd"))) == []


def test_each_message_gets_a_fresh_utf8_state() -> None:
    records = decode(encode_frame(1, b"\xff") + encode_frame(1, "ok ✓".encode()))
    assert rules_of(all_problems(records)) == [Rule.INVALID_UTF8]
    assert records[1].message is not None and records[1].message.text == "ok ✓"


def test_invalid_utf8_after_inflating() -> None:
    pmd = PerMessageDeflate(DeflateParams(), is_client=False)
    compressed = pmd.compress(b"ok \xff")
    wire = encode_frame(1, compressed[:2], fin=False, rsv1=True) + encode_frame(0, compressed[2:])
    records = decode(wire, inflate=Inflater().inflate)
    (p,) = all_problems(records)
    # The inflated bytes have no place on the wire: the final frame's payload is blamed.
    assert_problem(p, Rule.INVALID_UTF8, records[1].frame.payload_offset, "RFC 6455 §8.1")
    assert "inflated byte 3" in p.detail
    assert records[1].inflated == b"ok \xff"
    assert records[1].message is not None and records[1].message.text is None


# -- fragmentation rules (RFC 6455 §5.4) -------------------------------------------------------


def test_continuation_without_start() -> None:
    wire = encode_frame(9, b"") + encode_frame(0, b"orphan") + encode_frame(1, b"fine")
    records = feed_all_ways(wire, StreamDecoder).items
    (p,) = records[1].problems
    assert_problem(p, Rule.CONTINUATION_WITHOUT_START, 2, "RFC 6455 §5.4")
    assert records[1].message is None and records[1].text is None
    assert records[2].ok and records[2].message is not None and records[2].message.text == "fine"


def test_continuation_after_a_finished_message() -> None:
    records = decode(encode_frame(1, b"done") + encode_frame(0, b"more", fin=True))
    (p,) = all_problems(records)
    assert_problem(p, Rule.CONTINUATION_WITHOUT_START, 6, "RFC 6455 §5.4")


@pytest.mark.parametrize("second", [Opcode.TEXT, Opcode.BINARY])
def test_data_frame_while_message_unfinished(second: Opcode) -> None:
    wire = encode_frame(1, b"start", fin=False) + encode_frame(second, b"new")
    records = feed_all_ways(wire, StreamDecoder).items
    assert records[0].ok
    (p,) = records[1].problems
    assert_problem(p, Rule.DATA_FRAME_INTERLEAVED, 7, "RFC 6455 §5.4")
    assert "offset 0" in p.detail
    # The new frame starts a new message; the unfinished one is abandoned.
    msg = records[1].message
    assert msg is not None and msg.opcode == second and msg.payload == b"new" and msg.offset == 7


# -- close ordering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "after",
    [
        pytest.param(encode_frame(1, b"late"), id="text"),
        pytest.param(encode_frame(0, b"x"), id="continuation"),
    ],
)
def test_frame_after_close(after: bytes) -> None:
    close = encode_frame(8, build_close_payload(1001, "going"))
    wire = encode_frame(1, b"hi") + close + after
    decoder = StreamDecoder()
    records = decoder.receive_data(wire)
    assert records[1].ok and decoder.closed_at == 4
    p = records[2].problems[0]
    assert_problem(p, Rule.FRAME_AFTER_CLOSE, 4 + len(close), "RFC 6455 §5.5.1")
    assert p.detail == "close frame at offset 4"


@pytest.mark.parametrize("opcode", [9, 0xA])
def test_control_frames_after_close_are_allowed(opcode: int) -> None:
    """RFC 6455 §5.5.1 forbids only *data* frames after a Close; a pong answering a ping that
    arrived while closing is required (§5.5.2)."""
    wire = encode_frame(8, build_close_payload(1000)) + encode_frame(opcode, b"still here")
    records = StreamDecoder().receive_data(wire)
    assert [r.problems for r in records] == [[], []]


# -- end of stream and size limits -------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "needed"),
    [
        pytest.param(b"\x81", 1, id="1-byte-header"),
        pytest.param(b"\x82\x7e\x01", 1, id="partial-extended-length"),
        pytest.param(b"\x81\x85\x37\xfa", 7, id="partial-mask-key"),
        pytest.param(b"\x81\x05He", 3, id="partial-payload"),
        pytest.param(b"\x81\x05Hell", 1, id="one-byte-short"),
    ],
)
def test_truncated_stream(tail: bytes, needed: int) -> None:
    decoder = StreamDecoder()
    records = decoder.receive_data(encode_frame(1, b"complete") + tail)
    assert len(records) == 1
    assert decoder.incomplete() == NeedMore(10, needed)
    (p,) = decoder.receive_eof()
    assert_problem(p, Rule.TRUNCATED, 10, "RFC 6455 §5.2")
    assert p.detail == f"{needed} more byte{'s' if needed != 1 else ''} needed"
    assert p.rule.close_code == 1006


def test_eof_between_frames_is_clean() -> None:
    decoder = StreamDecoder()
    decoder.receive_data(encode_frame(1, b"complete"))
    assert decoder.receive_eof() == []
    assert StreamDecoder().receive_eof() == []


def test_frame_larger_than_max_message() -> None:
    decoder = StreamDecoder(max_message=100)
    records = decoder.receive_data(
        encode_frame(1, b"ok") + encode_frame(2, b"x" * 101) + encode_frame(1, b"ok")
    )
    assert len(records) == 1  # the big frame is never buffered, nor what follows it
    p = decoder.oversized
    assert p is not None
    assert_problem(p, Rule.MESSAGE_TOO_BIG, 5, "RFC 6455 §7.4.1")
    assert p.detail == "frame announces 101 bytes, limit 100"
    assert decoder.receive_eof() == []  # not reported as truncated on top


def test_fragments_adding_up_past_max_message() -> None:
    wire = (
        encode_frame(1, b"a" * 40, fin=False)
        + encode_frame(0, b"b" * 40, fin=False)
        + encode_frame(0, b"c" * 40, fin=False)  # 120 > 100: here, at offset 84
        + encode_frame(0, b"d" * 40, fin=True)
    )
    records = feed_all_ways(wire, lambda: StreamDecoder(max_message=100)).items
    assert [len(rec.problems) for rec in records] == [0, 0, 1, 0]
    p = records[2].problems[0]
    assert_problem(p, Rule.MESSAGE_TOO_BIG, 84, "RFC 6455 §7.4.1")
    assert "120 bytes so far" in p.detail
    assert records[3].message is not None and records[3].message.problems == [p]


def test_message_of_exactly_max_message_is_fine() -> None:
    wire = encode_frame(2, b"a" * 50, fin=False) + encode_frame(0, b"b" * 50)
    assert all_problems(decode(wire, max_message=100)) == []


def test_compressed_message_inflating_past_max_message() -> None:
    pmd = PerMessageDeflate(DeflateParams(), is_client=False)
    wire = encode_frame(2, b"tiny") + encode_frame(2, pmd.compress(bytes(5000)), rsv1=True)
    decoder = StreamDecoder(inflate=Inflater(max_size=1000).inflate, max_message=1000)
    records = decoder.receive_data(wire)
    (p,) = all_problems(records)
    assert_problem(p, Rule.MESSAGE_TOO_BIG, 6, "RFC 6455 §7.4.1")


@pytest.mark.parametrize("max_message", [None, 1 << 20])
def test_length_with_high_bit(max_message: int | None) -> None:
    wire = encode_frame(1, b"ok") + b"\x82\x7f" + (1 << 63).to_bytes(8, "big") + b"data"
    decoder = StreamDecoder(max_message=max_message)
    assert len(decoder.receive_data(wire)) == 1
    p = decoder.oversized
    assert p is not None
    assert_problem(p, Rule.LENGTH_HIGH_BIT, 6, "RFC 6455 §5.2")
    assert decoder.receive_eof() == []


# -- permessage-deflate rules (RFC 7692) -------------------------------------------------------


def test_rsv1_on_continuation_with_deflate() -> None:
    wire = bytes.fromhex("41 03 f2 48 cd") + bytes.fromhex("c0 04 c9 c9 07 00")
    records = deflate_decoder().receive_data(wire)
    (p,) = records[1].problems
    assert_problem(p, Rule.RSV1_ON_CONTINUATION, 5, "RFC 7692 §6.1")


@pytest.mark.parametrize("opcode", [Opcode.PING, Opcode.PONG, Opcode.CLOSE])
def test_rsv1_on_control_with_deflate(opcode: Opcode) -> None:
    records = deflate_decoder().receive_data(
        encode_frame(1, b"plain") + encode_frame(opcode, b"", rsv1=True)
    )
    assert records[0].ok
    (p,) = records[1].problems
    assert_problem(p, Rule.RSV1_ON_CONTROL, 7, "RFC 7692 §6.1")


def test_uncompressed_message_with_deflate_on() -> None:
    (rec,) = deflate_decoder().receive_data(encode_frame(1, b"plain"))
    assert rec.ok and rec.message is not None
    assert not rec.message.compressed and rec.message.text == "plain"


def test_rsv1_without_deflate_is_not_inflated() -> None:
    (rec,) = decode(bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00"))
    # The compressed bytes are taken as text, so they are not UTF-8 either (0x48 after 0xf2).
    assert [(p.rule, p.offset) for p in rec.problems] == [
        (Rule.RSV_WITHOUT_EXTENSION, 0),
        (Rule.INVALID_UTF8, 3),
    ]
    assert rec.message is not None and not rec.message.compressed and rec.inflated is None


def test_inflate_failure() -> None:
    records = deflate_decoder().receive_data(
        encode_frame(1, b"ok") + encode_frame(1, b"\xff\xff\xff", rsv1=True)
    )
    (p,) = all_problems(records)
    assert_problem(p, Rule.INFLATE_FAILED, 6, "RFC 7692 §6.2")
    assert p.rule.close_code == 1007
    assert records[1].inflated is None
    assert records[1].message is not None and records[1].message.problems == [p]


def test_inflate_failure_offset_in_an_earlier_fragment() -> None:
    """The bad deflate block is in the first of three fragments: that byte is reported."""
    wire = (
        encode_frame(1, b"\xff", fin=False, rsv1=True)  # payload at 2
        + encode_frame(0, b"\xca\xc9", fin=False)
        + encode_frame(0, b"\x07\x00")
    )
    records = deflate_decoder().receive_data(wire)
    (p,) = records[2].problems
    assert_problem(p, Rule.INFLATE_FAILED, 2, "RFC 7692 §6.2")


def test_inflate_failure_detected_in_the_implicit_tail() -> None:
    """zlib fails only on the appended 00 00 ff ff: the last payload byte is blamed."""
    payload = bytes.fromhex("f2 48 cd c9 c9 07 00 ff ff ff")
    records = deflate_decoder().receive_data(
        encode_frame(1, payload, rsv1=True, mask_key=RFC_MASK_KEY)
    )
    (p,) = all_problems(records)
    assert_problem(p, Rule.INFLATE_FAILED, 6 + len(payload) - 1, "RFC 7692 §6.2")


def test_inflater_restarts_after_a_failure() -> None:
    decoder = deflate_decoder()
    records = decoder.receive_data(
        encode_frame(1, b"\xff", rsv1=True) + bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00")
    )
    assert rules_of(all_problems(records)) == [Rule.INFLATE_FAILED]
    assert records[1].message is not None and records[1].message.text == "Hello"


def test_an_oversized_fragmented_message_is_not_buffered_without_end() -> None:
    """Lenient endpoints keep reading past MESSAGE_TOO_BIG: the decoder must stop keeping the
    payload, or a peer could make it hold any amount of memory."""
    decoder = StreamDecoder(max_message=1000)
    decoder.receive_data(encode_frame(1, b"x" * 500, fin=False))
    for _ in range(2000):
        decoder.receive_data(encode_frame(0, b"y" * 500, fin=False))
    assert sum(map(len, decoder._parts)) <= 1000
    (last,) = decoder.receive_data(encode_frame(0, b"z", fin=True))
    assert last.message is not None and len(last.message.payload) <= 1000
    assert [p.rule for p in last.message.problems] == [Rule.MESSAGE_TOO_BIG]


def test_a_surrogate_split_across_fragments_fails_at_its_second_byte() -> None:
    """ED A0 can only start a UTF-16 surrogate: fail fast at A0, before the next fragment."""
    first = encode_frame(1, b"ok\xed", fin=False)
    second = encode_frame(0, b"\xa0", fin=False)
    decoder = StreamDecoder()
    decoder.receive_data(first)
    (rec,) = decoder.receive_data(second)
    assert [p.rule for p in rec.problems] == [Rule.INVALID_UTF8]
    assert rec.problems[0].offset == len(first) + 2  # the A0 byte, in the second frame


def test_an_impossible_length_is_reported_before_the_mask_key_with_its_other_problems() -> None:
    """A 64-bit length with the top bit set can never complete: say so as soon as the length
    is in, together with every other rule the header breaks."""
    decoder = StreamDecoder()
    decoder.receive_data(bytes.fromhex("f3ff8000000000000000"))  # masked, key not sent yet
    rules = [p.rule for p in decoder.stream_problems()]
    assert rules == [Rule.RSV_WITHOUT_EXTENSION, Rule.RESERVED_OPCODE, Rule.LENGTH_HIGH_BIT]


@pytest.mark.parametrize("chunk", [1, 3, 64])
def test_early_utf8_names_the_byte_the_whole_frame_names(chunk: int) -> None:
    payload = "κόσμε".encode() + b"\xf4\x90\x80\x80" + b"edited" * 20
    data = client_frames((Opcode.TEXT, b"ok", True), (Opcode.TEXT, payload, True))
    early = StreamDecoder(Role.CLIENT, early_utf8=True)
    late = StreamDecoder(Role.CLIENT)
    records: list[FrameRecord] = []
    seen_early_at = None
    for i in range(0, len(data), chunk):
        records += early.receive_data(data[i : i + chunk])
        if early.early_problem is not None and seen_early_at is None:
            seen_early_at = i + chunk
    whole = late.receive_data(data)
    assert early.early_problem is not None and seen_early_at is not None
    assert seen_early_at < len(data)  # found while the frame was still arriving
    assert early.early_problem.offset == whole[1].problems[0].offset
    assert [r.problems for r in records] == [r.problems for r in whole]  # records unchanged
    assert late.early_problem is None  # off by default: decode and replay pay nothing


def test_early_utf8_text_matches_a_whole_feed_at_any_chunking() -> None:
    text = "añ€😀" * 300
    raw = text.encode()
    cuts = [0, 5, 6, 700, 701, 1900, len(raw)]  # fragments end inside characters
    frames = [
        (Opcode.TEXT if i == 0 else Opcode.CONT, raw[a:b], b == len(raw))
        for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False))
    ]
    data = client_frames((Opcode.TEXT, ("é" * 999).encode(), True), *frames)
    whole = StreamDecoder(Role.CLIENT).receive_data(data)
    rng = random.Random(3)
    for _ in range(20):
        dec = StreamDecoder(Role.CLIENT, early_utf8=True)
        got: list[FrameRecord] = []
        pos = 0
        while pos < len(data):
            step = rng.randint(1, 300)
            got += dec.receive_data(data[pos : pos + step])
            pos += step
        assert [r.text for r in got] == [r.text for r in whole]
        assert [r.message.text if r.message else None for r in got] == [
            r.message.text if r.message else None for r in whole
        ]
        assert dec.early_problem is None
