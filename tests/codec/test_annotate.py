"""annotate(): every byte of a frame named once, with RFC 6455 §5.2 meanings."""

from __future__ import annotations

import pytest

from tests.helpers import assert_fields_cover
from tests.vectors import ALL_VECTORS, RFC_MASK_KEY, Vector
from wsdebug.codec.annotate import Field, annotate, payload_fields
from wsdebug.codec.frames import FrameParser, WireFrame, encode_frame


def parse_all(data: bytes, offset: int = 0) -> list[WireFrame]:
    parser = FrameParser(offset=offset)
    parser.receive_data(data)
    frames = parser.frames()
    assert parser.incomplete() is None
    return frames


def frame_of(data: bytes, offset: int = 0) -> WireFrame:
    (frame,) = parse_all(data, offset)
    return frame


def by_name(fields: tuple[Field, ...]) -> dict[str, Field]:
    names = [f.name for f in fields]
    assert len(names) == len(set(names))
    return {f.name: f for f in fields}


@pytest.mark.parametrize("vector", ALL_VECTORS, ids=lambda v: v.name)
def test_vectors_are_fully_covered(vector: Vector) -> None:
    for frame in parse_all(vector.wire, offset=100):
        assert_fields_cover(frame, annotate(frame))


CRAFTED = [
    pytest.param(encode_frame(2, b""), id="empty"),
    pytest.param(encode_frame(2, b"", mask_key=b"abcd"), id="empty-masked"),
    pytest.param(encode_frame(2, b"x" * 126), id="16-bit"),
    pytest.param(
        encode_frame(2, b"x" * 3, length_form=16, mask_key=b"abcd"), id="16-bit-non-minimal-masked"
    ),
    pytest.param(encode_frame(2, b"x" * 70000, mask_key=b"abcd"), id="64-bit-masked"),
    pytest.param(encode_frame(1, b"x", length_form=64), id="64-bit-non-minimal"),
    pytest.param(
        encode_frame(0xF, b"r", fin=False, rsv1=True, rsv2=True, rsv3=True), id="all-bits"
    ),
    pytest.param(encode_frame(8, b""), id="close-empty"),
    pytest.param(encode_frame(8, b"\x03"), id="close-1-byte"),
    pytest.param(encode_frame(8, b"\x03\xe8"), id="close-code-only"),
    pytest.param(encode_frame(8, b"\x03\xe8bye", mask_key=b"abcd"), id="close-masked-reason"),
    pytest.param(encode_frame(8, b"\x03\xe8" + b"r" * 200, length_form=64), id="close-long"),
    pytest.param(encode_frame(9, b"ping"), id="ping"),
]


@pytest.mark.parametrize("wire", CRAFTED)
@pytest.mark.parametrize("offset", [0, 12345])
def test_crafted_frames_are_fully_covered(wire: bytes, offset: int) -> None:
    frame = frame_of(wire, offset)
    fields = annotate(frame)
    assert_fields_cover(frame, fields)
    assert [f.offset for f in fields] == sorted(f.offset for f in fields)  # wire order


def test_field_names_and_meanings_for_masked_text() -> None:
    fields = annotate(frame_of(bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), 7))
    assert [f.name for f in fields] == [
        "FIN", "RSV1", "RSV2", "RSV3", "opcode", "MASK", "payload length", "masking key", "payload",
    ]  # fmt: skip
    f = by_name(fields)
    assert (f["FIN"].offset, f["FIN"].raw, f["FIN"].meaning) == (
        7,
        1,
        "final fragment of a message",
    )
    assert f["RSV1"].meaning == "reserved, 0"
    assert (f["opcode"].raw, f["opcode"].meaning, f["opcode"].value) == (
        1,
        "opcode 0x1: text frame",
        "0001",
    )
    assert (f["MASK"].offset, f["MASK"].raw) == (8, 1)
    assert "masked" in f["MASK"].meaning
    assert (f["payload length"].raw, f["payload length"].value) == (5, "0000101")
    assert f["payload length"].meaning == "7-bit form: payload is 5 bytes"
    key = f["masking key"]
    assert (key.offset, key.size, key.raw, key.value) == (9, 4, RFC_MASK_KEY, "37 fa 21 3d")
    payload = f["payload"]
    assert (payload.offset, payload.size) == (13, 5)
    assert payload.raw == bytes.fromhex("7f 9f 4d 51 58")  # as on the wire
    assert payload.meaning == "5 bytes of application data (masked)"


@pytest.mark.parametrize(
    ("opcode", "meaning"),
    [
        (0x0, "opcode 0x0: continuation frame"),
        (0x1, "opcode 0x1: text frame"),
        (0x2, "opcode 0x2: binary frame"),
        (0x3, "opcode 0x3: reserved for further non-control frames"),
        (0x8, "opcode 0x8: connection close"),
        (0x9, "opcode 0x9: ping"),
        (0xA, "opcode 0xA: pong"),
        (0xB, "opcode 0xB: reserved for further control frames"),
        (0xF, "opcode 0xF: reserved for further control frames"),
    ],
)
def test_opcode_meanings(opcode: int, meaning: str) -> None:
    assert by_name(annotate(frame_of(encode_frame(opcode, b""))))["opcode"].meaning == meaning


def test_flag_meanings() -> None:
    f = by_name(
        annotate(frame_of(encode_frame(1, b"x", fin=False, rsv1=True, rsv2=True, rsv3=True)))
    )
    assert f["FIN"].meaning == "more fragments follow" and f["FIN"].value == "0"
    assert "permessage-deflate" in f["RSV1"].meaning and f["RSV1"].value == "1"
    assert f["RSV2"].meaning == f["RSV3"].meaning == "set: needs an extension"
    assert (
        by_name(annotate(frame_of(encode_frame(1, b"x"))))["MASK"].meaning
        == "payload is not masked"
    )


def test_extended_lengths() -> None:
    f16 = by_name(annotate(frame_of(encode_frame(2, bytes(256)), 3)))
    ext = f16["extended payload length (16-bit)"]
    assert (ext.offset, ext.size, ext.raw, ext.value) == (5, 2, b"\x01\x00", "01 00")
    assert ext.meaning == "payload is 256 bytes"
    assert f16["payload length"].raw == 126
    assert f16["payload length"].meaning == "126: a 16-bit length follows"
    f64 = by_name(annotate(frame_of(encode_frame(2, bytes(65536), mask_key=b"abcd"))))
    ext = f64["extended payload length (64-bit)"]
    assert (ext.offset, ext.size, ext.raw) == (2, 8, bytes.fromhex("00 00 00 00 00 01 00 00"))
    assert ext.meaning == "payload is 65,536 bytes"
    assert f64["payload length"].meaning == "127: a 64-bit length follows"
    assert f64["masking key"].offset == 10
    assert f64["payload"].offset == 14
    assert f64["payload"].value.endswith(" …") and len(f64["payload"].value) == 16 * 3 - 1 + 2


def test_close_frame_splits_code_and_reason() -> None:
    frame = frame_of(encode_frame(8, b"\x03\xe9" + "bye ✓".encode(), mask_key=b"abcd"), 20)
    fields = annotate(frame)
    assert_fields_cover(frame, fields)
    f = by_name(fields)
    assert "payload" not in f
    code, reason = f["close code"], f["close reason"]
    assert (code.offset, code.size) == (frame.payload_offset, 2)
    assert code.raw == frame.masked_payload[:2]
    assert code.meaning == "1001: going away (masked)"
    assert (reason.offset, reason.size) == (frame.payload_offset + 2, len("bye ✓".encode()))
    assert reason.meaning == f"{len('bye ✓'.encode())} bytes of UTF-8 (masked)"


def test_close_frame_without_reason_has_only_a_code() -> None:
    f = by_name(annotate(frame_of(encode_frame(8, b"\x0b\xb8"))))
    assert f["close code"].meaning.startswith("3000: ")
    assert "close reason" not in f


def test_close_with_invalid_code_is_explained() -> None:
    f = by_name(annotate(frame_of(encode_frame(8, b"\x03\xed"))))
    assert f["close code"].meaning == "1005: no status received (must not be sent)"


def test_close_with_one_byte_payload_is_a_plain_payload() -> None:
    fields = payload_fields(frame_of(encode_frame(8, b"\x03")))
    assert [(f.name, f.size) for f in fields] == [("payload", 1)]
    assert fields[0].meaning.endswith("of control frame data")


def test_empty_payload_has_no_payload_field() -> None:
    assert payload_fields(frame_of(encode_frame(1, b""))) == []
    assert payload_fields(frame_of(encode_frame(8, b""))) == []


def test_control_payload_meaning() -> None:
    (field,) = payload_fields(frame_of(encode_frame(9, b"ping!")))
    assert field.meaning == "5 bytes of control frame data"
    assert field.value == "70 69 6e 67 21"


def test_hand_built_7_bit_frame_over_125() -> None:
    """A WireFrame built by hand may claim a 7-bit form for 126/127 (the parser never does)."""
    frame = WireFrame(0, True, False, False, False, 2, False, 7, 126, None, bytes(126), 2)
    f = by_name(annotate(frame))
    assert f["payload length"].raw == 126
    assert "extended payload length (16-bit)" not in f


def test_coverage_check_rejects_gaps_overlaps_and_bad_bits() -> None:
    """The checker used above is itself strict."""
    frame = frame_of(encode_frame(8, b"\x03\xe8bye", mask_key=b"abcd"))
    fields = annotate(frame)
    assert_fields_cover(frame, fields)
    broken = [
        fields[:-1],  # reason missing: a gap at the end
        (*fields, fields[-1]),  # reason twice: an overlap
        tuple(f for f in fields if f.name != "RSV2"),  # bit 0x20 of byte 0 uncovered
        (*fields, fields[0]._replace(name="FIN again")),  # bit 0x80 twice
        tuple(f._replace(raw=b"xx") if f.name == "close code" else f for f in fields),  # wrong raw
    ]
    for bad in broken:
        with pytest.raises(AssertionError):
            assert_fields_cover(frame, bad)
