"""Close frame payloads (RFC 6455 §5.5.1, §7.4): codes, reasons and where their problems are."""

from __future__ import annotations

import pytest

from tests.helpers import all_problems, decode
from wsdebug.codec.close import CloseInfo, build_close_payload, parse_close
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.rules import Problem, Rule
from wsdebug.codec.spec import CloseCode, Role, close_code_is_valid, close_code_meaning

VALID = [
    1000,
    1001,
    1002,
    1003,
    1007,
    1008,
    1009,
    1010,
    1011,
    1012,
    1013,
    1014,
    3000,
    3999,
    4000,
    4999,
]
INVALID = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]


def _expected_valid(code: int) -> bool:
    """Independent oracle: RFC 6455 §7.4.1 / §7.4.2 and the IANA registry (Autobahn 7.9, 7.13)."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def test_empty_payload_means_no_status() -> None:
    assert parse_close(b"", 40) == CloseInfo(None, "", b"", ())


def test_code_only() -> None:
    assert parse_close(b"\x03\xe8", 40) == CloseInfo(1000, "", b"", ())


def test_code_and_reason() -> None:
    info = parse_close(b"\x03\xe9" + "au revoir ✓".encode(), 40)
    assert info.code == 1001
    assert info.reason == "au revoir ✓"
    assert info.reason_bytes == "au revoir ✓".encode()
    assert info.problems == ()


def test_close_payload_one_byte() -> None:
    info = parse_close(b"\x03", 40)
    assert info.code is None and info.reason is None
    (p,) = info.problems
    assert (p.rule, p.offset, p.rule.section) == (
        Rule.CLOSE_PAYLOAD_ONE_BYTE,
        40,
        "RFC 6455 §5.5.1",
    )


@pytest.mark.parametrize("code", VALID)
def test_valid_close_codes(code: int) -> None:
    info = parse_close(code.to_bytes(2, "big") + b"ok", 7)
    assert info.code == code and info.problems == ()


@pytest.mark.parametrize("code", INVALID)
def test_close_code_invalid(code: int) -> None:
    info = parse_close(code.to_bytes(2, "big"), 7)
    assert info.code == code
    (p,) = info.problems
    assert (p.rule, p.offset, p.rule.section) == (Rule.CLOSE_CODE_INVALID, 7, "RFC 6455 §7.4.1")
    assert p.detail == f"{code} ({close_code_meaning(code)})"
    assert p.rule.close_code == 1002


def test_every_two_byte_code_against_the_oracle() -> None:
    wrong = [
        c
        for c in range(1 << 16)
        if bool(parse_close(c.to_bytes(2, "big")).problems) == _expected_valid(c)
    ]
    assert wrong == []
    assert [c for c in range(1 << 16) if close_code_is_valid(c) != _expected_valid(c)] == []


@pytest.mark.parametrize(
    ("reason", "bad_index"),
    [
        pytest.param(b"\xff", 0, id="ff"),
        pytest.param(b"ok\xc0\x80", 2, id="overlong"),
        pytest.param(b"ok\xed\xa0\x80", 3, id="surrogate"),
        pytest.param(b"\xe2\x82\x41", 2, id="bad-continuation"),
        pytest.param("½".encode() + b"\xe2\x82", 2, id="truncated"),
    ],
)
def test_close_reason_utf8(reason: bytes, bad_index: int) -> None:
    info = parse_close(b"\x03\xe8" + reason, 100)
    assert info.code == 1000
    assert info.reason is None
    assert info.reason_bytes == reason
    (p,) = info.problems
    assert (p.rule, p.offset, p.rule.section) == (
        Rule.CLOSE_REASON_UTF8,
        100 + 2 + bad_index,
        "RFC 6455 §5.5.1",
    )
    assert p.detail == f"byte 0x{reason[bad_index]:02x}"
    assert p.rule.close_code == 1007


def test_invalid_code_and_reason_are_both_reported() -> None:
    info = parse_close(b"\x03\xed\xff", 0)
    assert [(p.rule, p.offset) for p in info.problems] == [
        (Rule.CLOSE_CODE_INVALID, 0),
        (Rule.CLOSE_REASON_UTF8, 2),
    ]


def test_close_problems_at_stream_offsets() -> None:
    """Through the decoder, a masked close frame after a text frame: offsets count the header."""
    wire = encode_frame(1, b"hi", mask_key=b"abcd") + encode_frame(
        8, b"\x03\xee" + b"ok\xff", mask_key=b"efgh"
    )
    records = decode(wire, sender=Role.CLIENT)
    close = records[1]
    assert close.close is not None and close.close.code == 1006
    assert close.frame.payload_offset == 8 + 6
    assert [(p.rule, p.offset) for p in all_problems(records)] == [
        (Rule.CLOSE_CODE_INVALID, 14),
        (Rule.CLOSE_REASON_UTF8, 18),
    ]
    assert close.text is None


def test_one_byte_close_through_the_decoder() -> None:
    records = decode(encode_frame(1, b"hi") + encode_frame(8, b"\x03"))
    assert records[1].problems == [Problem(Rule.CLOSE_PAYLOAD_ONE_BYTE, 6)]


def test_build_close_payload() -> None:
    assert build_close_payload() == b""
    assert build_close_payload(None, "ignored") == b""
    assert build_close_payload(1000) == b"\x03\xe8"
    assert build_close_payload(CloseCode.GOING_AWAY, "bye ✓") == b"\x03\xe9" + "bye ✓".encode()
    assert build_close_payload(4000, b"\xff") == b"\x0f\xa0\xff"  # bytes pass through, even invalid
    assert build_close_payload(0) == b"\x00\x00"
    for bad in (-1, 65536):
        with pytest.raises(ValueError, match="2 bytes"):
            build_close_payload(bad)


@pytest.mark.parametrize("code", [1000, 1001, 3000, 4999])
def test_build_then_parse(code: int) -> None:
    info = parse_close(build_close_payload(code, "reason"))
    assert (info.code, info.reason, info.problems) == (code, "reason", ())


def test_close_code_meanings() -> None:
    assert close_code_meaning(1000) == "normal closure"
    assert "must not be sent" in close_code_meaning(1005)
    assert "0-999" in close_code_meaning(999)
    assert "reserved" in close_code_meaning(2999)
    assert "IANA" in close_code_meaning(3000)
    assert "private" in close_code_meaning(4999)
    assert close_code_meaning(5000) == "out of range"
