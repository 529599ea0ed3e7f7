"""Tests for wsdebug.capture.textinput: recovering exact bytes from pasted text."""

from __future__ import annotations

import ast
import warnings

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from wsdebug.capture.textinput import HexInputError, parse_base64, parse_bytes, parse_directional

# RFC 6455 §5.7's masked "Hello" text frame, written below in every supported format.
FRAME = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")
EXAMPLE = bytes.fromhex("81 89 bc b8 2c b5 59 36 a5 50 12 0b c8 0f 3a")


from tests.dumps import c_array, follow_stream, hexdump_c, wireshark_copy, xxd  # noqa: E402

# -- the error type --------------------------------------------------------------------------------


def test_error_message_is_one_positioned_line() -> None:
    err = HexInputError("'g' is not a hex digit", 3, 7)
    assert str(err) == "line 3, column 7: 'g' is not a hex digit"
    assert (err.line, err.column, err.reason) == (3, 7, "'g' is not a hex digit")
    assert isinstance(err, ValueError)
    odd = HexInputError("odd number of hex digits (15)", 1)
    assert str(odd) == "line 1: odd number of hex digits (15)"
    assert str(HexInputError("no bytes in input")) == "no bytes in input"


# -- 1. plain hex ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "81 85 37 fa 21 3d 7f 9f 4d 51 58",
        "8185:37fa:213d:7f9f:4d51:58",
        "81:85:37:fa:21:3d:7f:9f:4d:51:58",
        "81-85-37-FA-21-3D-7F-9F-4D-51-58",
        "818537fa213d7f9f4d5158",
        "818537FA213D\n7F9F4D5158\n",
        "81,85,37,fa,21,3d,7f,9f,4d,51,58",
        "\t81 85 37 fa\r\n21 3d 7f 9f\r\n4d 51 58\r\n",
        "81 85 37 fa\n21 3d 7f 9f 4d 51 58",
        "# a masked text frame\n  # indented comment\n81 85 37 fa 21 3d\n\n7f 9f 4d 51 58\n",
        "\ufeff81 85 37 fa 21 3d 7f 9f 4d 51 58",
        "81\u00a085 37 fa 21 3d 7f 9f 4d 51 58",  # non-breaking space from a web page
    ],
)
def test_plain_hex(text: str) -> None:
    assert parse_bytes(text) == FRAME


def test_quoted_hex_from_a_json_log() -> None:
    assert parse_bytes('"818537fa213d7f9f4d5158"') == FRAME
    assert parse_bytes("'81 85 37 fa' '21 3d 7f 9f 4d 51 58'") == FRAME


# -- 2. 0x lists and C arrays ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58",
        "0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58",
        "{0x81,0x85,0x37,0xFA,0x21,0x3D,0x7F,0x9F,0x4D,0x51,0x58}",
        "[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]",
        "bytes([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58])",
        "data = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,\n        0x7f, 0x9f, 0x4d, 0x51, 0x58]",
        "0x8185 0x37fa 0x213d 0x7f9f 0x4d51 0x58",
        c_array(FRAME),
        (
            "char peer0_0[] = { /* Packet 4 */\n0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, \n"
            "0x4d, 0x51, 0x58 };\n"
        ),
    ],
)
def test_0x_lists_and_c_arrays(text: str) -> None:
    assert parse_bytes(text) == FRAME


def test_single_digit_0x_values_are_bytes() -> None:
    assert parse_bytes("{0x1, 0x0, 0xa}") == b"\x01\x00\x0a"


# -- 3. \x escape strings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", FRAME),
        ("\\x81\\x85\\x37\\xfa\n\\x21 \\x3d \\x7f \\x9f\n  \\x4d\\x51\\x58\n", FRAME),
        (r"\x81\x05hello", b"\x81\x05hello"),
        (r"\x81\x0bhello world", b"\x81\x0bhello world"),
        (r"\x88\x02\x03\xe8\\", b"\x88\x02\x03\xe8\\"),
    ],
)
def test_escape_strings(text: str, expected: bytes) -> None:
    assert parse_bytes(text) == expected


def test_wireshark_escaped_string() -> None:
    text = '"\\x81\\x85\\x37\\xfa\\x21\\x3d\\x7f\\x9f" \\\n"\\x4d\\x51\\x58"\n'
    assert parse_bytes(text) == FRAME


# -- 4. Python bytes literals ----------------------------------------------------------------------


def test_brief_example_literal() -> None:
    data = parse_bytes(r"b'\x81\x89\xbc\xb8,\xb5Y6\xa5P\x12\x0b\xc8\x0f:'")
    assert data == EXAMPLE
    assert len(data) == 15


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r'b"\x81\x85"', b"\x81\x85"),
        (r"B'\x81'", b"\x81"),
        (r"""b'\\ \' \" \n \r \t \x00 \0 \177'""", b"\\ ' \" \n \r \t \x00 \x00 \x7f"),
        (r"""b"it's" b'"q"' """, b'it\'s"q"'),
        ("b'\\x81\\x89'\nb'\\xbc\\xb8'", b"\x81\x89\xbc\xb8"),
        ("(b'\\x81\\x89'  # first part\n b'\\xbc')", b"\x81\x89\xbc"),
        ("b'\\x81' + b'\\x85'", b"\x81\x85"),
        ("b'\\x81' \\\n  b'\\x85'", b"\x81\x85"),
        (r"bytearray(b'\x81\x89\xbc')", b"\x81\x89\xbc"),
        (r"  bytes( b'abc' )  ", b"abc"),
        (r"rb'\x81'", b"\\x81"),
        (r"b'\d'", b"\\d"),  # unknown escapes keep their backslash, as in Python
        ("b'line\\\ncontinued'", b"linecontinued"),
    ],
)
def test_bytes_literals(text: str, expected: bytes) -> None:
    assert parse_bytes(text) == expected


@given(st.binary(min_size=1))
def test_repr_round_trip(data: bytes) -> None:
    assert parse_bytes(repr(data)) == data
    assert parse_bytes(repr(bytearray(data))) == data


ascii_text = st.text(alphabet=st.sampled_from([chr(i) for i in range(128) if chr(i) != "\r"]))


@given(ascii_text)
def test_literals_decode_like_python(body: str) -> None:
    """Whatever Python accepts (without warnings) as ``b'<body>'``, we decode the same way."""
    source = f"b'{body}'"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            expected = ast.literal_eval(source)
        except (SyntaxError, ValueError, Warning):
            expected = None
    try:
        result = parse_bytes(source)
    except HexInputError:
        assert expected in (None, b"")  # rejected (with a position) or no bytes at all
    else:
        assert expected is None or result == expected


@given(st.binary(min_size=1, max_size=64), st.integers(1, 8))
def test_repr_split_over_lines_round_trip(data: bytes, parts: int) -> None:
    size = -(-len(data) // parts)
    pieces = [repr(data[i : i + size]) for i in range(0, len(data), size)]
    text = "(\n    " + "\n    ".join(pieces) + "\n)"
    assert parse_bytes(text) == data


# -- 5. xxd ----------------------------------------------------------------------------------------


def test_xxd() -> None:
    text = "00000000: 8185 37fa 213d 7f9f 4d51 58              ..7.!=..MQX\n"
    assert parse_bytes(text) == FRAME


def test_xxd_ascii_column_that_looks_like_hex() -> None:
    data = b"ab cd ef 01 23 456789abcdef"
    text = xxd(data)
    assert "ab cd ef 01 23 4" in text  # the ASCII column of line 1 is itself valid hex
    assert parse_bytes(text) == data


def test_xxd_group_sizes() -> None:
    g1 = "00000000: 81 85 37 fa 21 3d 7f 9f 4d 51 58                 ..7.!=..MQX"
    g4 = "00000000: 818537fa 213d7f9f 4d5158                ..7.!=..MQX"
    assert parse_bytes(g1) == FRAME
    assert parse_bytes(g4) == FRAME


def test_xxd_autoskip_star_is_expanded() -> None:
    text = (
        "00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................\n"
        "*\n"
        "00000050: 4142                                     AB\n"
    )
    assert parse_bytes(text) == bytes(80) + b"AB"


def test_xxd_p_is_plain_hex() -> None:
    data = bytes(range(256))
    text = "\n".join(data[i : i + 30].hex() for i in range(0, len(data), 30))
    assert parse_bytes(text) == data


# -- 6. hexdump -C ---------------------------------------------------------------------------------


def test_hexdump_c() -> None:
    text = "00000000  81 85 37 fa 21 3d 7f 9f  4d 51 58                 |..7.!=..MQX|\n0000000b\n"
    assert parse_bytes(text) == FRAME


def test_hexdump_c_star_expands_from_offsets() -> None:
    text = (
        "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
        "*\n"
        "00000050  41 42                                             |AB|\n"
        "00000052\n"
    )
    assert parse_bytes(text) == bytes(80) + b"AB"
    assert parse_bytes(hexdump_c(bytes(48))) == bytes(48)


def test_hexdump_c_star_without_a_later_offset() -> None:
    text = "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n"
    with pytest.raises(HexInputError, match=r"elides repeated lines") as info:
        parse_bytes(text)
    assert (info.value.line, info.value.column) == (2, 1)


def test_hexdump_c_star_with_an_offset_that_is_not_whole_lines() -> None:
    text = hexdump_c(bytes(32)).replace("00000020", "00000018")
    with pytest.raises(HexInputError, match=r"line 3, column 1: offset does not end whole lines"):
        parse_bytes(text)


def test_dump_with_a_missing_line_is_refused() -> None:
    lines = hexdump_c(bytes(range(48))).splitlines()
    del lines[1]
    expected = r"^line 2, column 1: offset 00000020 should be 00000010: lines lost\?$"
    with pytest.raises(HexInputError, match=expected):
        parse_bytes("\n".join(lines))


def test_dump_final_offset_must_match() -> None:
    text = "00000000  81 85 37 fa 21 3d 7f 9f  4d 51 58                 |..7.!=..MQX|\n0000000c\n"
    with pytest.raises(HexInputError, match=r"^line 2, column 1: offset 0000000c should be 0+b: "):
        parse_bytes(text)


def test_dump_offsets_keep_their_case_in_messages() -> None:
    text = follow_stream([(False, bytes(20))]).replace("00000010", "00000011")
    with pytest.raises(HexInputError, match=r"^line 2, column 1: offset 00000011 should be 0+10"):
        parse_bytes(text)
    text = follow_stream([(False, bytes(200))]).replace("000000A0", "000000B0")
    with pytest.raises(HexInputError, match=r"^line 11, column 1: offset 000000B0 should be 0+A0"):
        parse_bytes(text)


def test_xxd_odd_group() -> None:
    text = "00000000: 8185 37f 213d  ..7.!="
    with pytest.raises(HexInputError, match=r"^line 1, column 18: odd number of hex digits \(3\)$"):
        parse_bytes(text)


def test_comments_in_a_dump() -> None:
    assert parse_bytes("# captured with xxd\n" + xxd(FRAME) + "# end\n") == FRAME


def test_dump_error_inside_the_hex_area() -> None:
    text = "00000000  81 85 37 fa 2g 3d 7f 9f  4d 51 58                 |..7.!=..MQX|"
    with pytest.raises(HexInputError, match=r"^line 1, column 24: 'g' is not a hex digit$"):
        parse_bytes(text)


# -- 7. Wireshark "Copy as Hex Dump" ---------------------------------------------------------------


def test_wireshark_copy_as_hex_dump() -> None:
    text = "0000   81 85 37 fa 21 3d 7f 9f 4d 51 58                  ..7.!=..MQX"
    assert parse_bytes(text) == FRAME
    data = bytes(range(40))
    assert parse_bytes(wireshark_copy(data)) == data


def test_several_wireshark_packets_pasted_together() -> None:
    assert parse_bytes(wireshark_copy(b"\x81\x00") + wireshark_copy(FRAME)) == b"\x81\x00" + FRAME


def test_wireshark_without_ascii_column_and_old_two_space_layout() -> None:
    assert parse_bytes("0000  81 85 37 fa 21 3d 7f 9f  4d 51 58") == FRAME


# -- 8. Wireshark "Follow TCP Stream" as Hex Dump ------------------------------------------------

HANDSHAKE_REPLY = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
FOLLOW = [(False, FRAME), (True, HANDSHAKE_REPLY), (False, b"\x88\x80\x01\x02\x03\x04")]


def test_follow_tcp_stream_parse_bytes_concatenates() -> None:
    text = follow_stream(FOLLOW)
    assert parse_bytes(text) == b"".join(data for _, data in FOLLOW)


def test_follow_tcp_stream_splits_by_indentation() -> None:
    text = follow_stream(FOLLOW)
    assert parse_directional(text) == [
        ("client", FRAME),
        ("server", HANDSHAKE_REPLY),
        ("client", b"\x88\x80\x01\x02\x03\x04"),
    ]


def test_follow_tcp_stream_with_tab_indented_server() -> None:
    text = "00000000  81 85 37 fa 21 3d 7f 9f  4d 51 58                   ..7.!=.. MQX\n"
    text += "\t00000000  81 02 68 69                                       ..hi\n"
    assert parse_directional(text) == [("client", FRAME), ("server", b"\x81\x02hi")]


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("81 85\n37 fa\n21 3d g7", "line 3, column 7: 'g' is not a hex digit"),
        ("81 85 37 fa 21\x003d", r"line 1, column 15: '\x00' is not a hex digit"),
        ("81 85 37\u200bfa", r"line 1, column 9: '\u200b' is not a hex digit"),
        ("818537fa213d7f9", "line 1, column 15: odd number of hex digits (15)"),
        ("81 85\n37 f 21", "line 2, column 4: odd number of hex digits (1)"),
        ("0x81, 0x8g", "line 1, column 10: 'g' is not a hex digit"),
        ("0x81, 85", "line 1, column 7: expected a 0x-prefixed byte, found '85'"),
        ("0x81 0x818", "line 1, column 10: odd number of hex digits (3)"),
        ("0x81, 0x", "line 1, column 7: expected a 0x-prefixed byte, found '0x'"),
        ("{0x81, /* mask\n0x85}", "line 1, column 8: comment is never closed"),
        (r"b'\x81\x8'", r"line 1, column 7: \x must be followed by two hex digits"),
        ("b'\\x81'\nb'abc", "line 2, column 1: string literal is not closed on this line"),
        ("b'\\x81'\nb'caf\u00e9'", "line 2, column 6: 'é' is not ASCII; use \\x escapes"),
        ("b'\\x81' garbage", "line 1, column 9: unexpected 'g' between string literals"),
        ("bytearray(b'\\x81'", "line 1, column 10: '(' is never closed"),
        ("b'\\x81')", "line 1, column 8: unmatched ')'"),
        (r"b'\777'", r"line 1, column 3: octal escape \777 is above \377"),
        (r"\x81\x85\x3", r"line 1, column 9: \x must be followed by two hex digits"),
        ("\\x81 abc\\", "line 1, column 9: lone backslash at the end"),
    ],
)
def test_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(HexInputError) as info:
        parse_bytes(text)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["", "   \n\t\n", "# only a comment\n", "b''"])
def test_no_bytes(text: str) -> None:
    with pytest.raises(HexInputError, match=r"^no bytes in input$") as info:
        parse_bytes(text)
    assert info.value.line is None
    assert info.value.column is None


# -- base64 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["gYU3+iE9f59NUVg=", "gYU3+iE9f59NUVg", "gYU3-iE9f59NUVg=", "gYU3\n+iE9\nf59N UVg=\n"],
)
def test_base64(text: str) -> None:
    assert parse_base64(text) == FRAME


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gYU3+iE9\nf5*9NUVg=", "line 2, column 3: '*' is not a base64 character"),
        ("gYU=3+iE", "line 1, column 4: '=' padding before the end"),
        ("gYU3+", "line 1, column 5: 5 base64 digits: truncated or one too many"),
        ("gQ===", "line 1, column 5: too much '=' padding"),
        ("  \n", "no bytes in input"),
    ],
)
def test_base64_errors(text: str, message: str) -> None:
    with pytest.raises(HexInputError) as info:
        parse_base64(text)
    assert str(info.value) == message


# -- parse_directional -----------------------------------------------------------------------------


def test_directional_markers() -> None:
    text = "> 81 85 37 fa\n21 3d 7f 9f 4d 51 58\n< 81 02 68 69\n"
    text += "c: 88 80\nC: 01 02 03 04\ns: 88 00\n"
    assert parse_directional(text) == [
        ("client", FRAME),
        ("server", b"\x81\x02hi"),
        ("client", b"\x88\x80\x01\x02\x03\x04"),
        ("server", b"\x88\x00"),
    ]


def test_directional_merges_consecutive_lines_of_one_direction() -> None:
    text = ">81 85\n>37 fa\n\n# a comment\n> 21 3d 7f 9f 4d 51 58\n<81 00\n"
    assert parse_directional(text) == [("client", FRAME), ("server", b"\x81\x00")]


def test_directional_unmarked_start_and_marker_only_lines() -> None:
    text = "81 85\n>\n37 fa\n<\n81 00"
    assert parse_directional(text) == [
        (None, b"\x81\x85"),
        ("client", b"\x37\xfa"),
        ("server", b"\x81\x00"),
    ]


def test_directional_segments_in_any_format() -> None:
    text = "> b'\\x81\\x85' \\\n    b'7\\xfa!=\\x7f\\x9fMQX'\n< 00000000: 8102 6869   ..hi\n"
    assert parse_directional(text) == [("client", FRAME), ("server", b"\x81\x02hi")]


def test_directional_without_any_direction() -> None:
    assert parse_directional(xxd(FRAME)) == [(None, FRAME)]


def test_directional_errors_point_into_the_whole_text() -> None:
    with pytest.raises(HexInputError) as info:
        parse_directional("> 81 85\n< 81 00\n\n> 37 fz\n")
    assert str(info.value) == "line 4, column 7: 'z' is not a hex digit"
    with pytest.raises(HexInputError, match=r"^no bytes in input$"):
        parse_directional("\n# nothing\n")


# -- round trips and robustness --------------------------------------------------------------------

hexlike = st.lists(st.sampled_from(b"0123456789abcdefABCDEF x:.|\t\\'\"*"), min_size=1).map(bytes)


@settings(deadline=None)
@given(st.one_of(st.binary(min_size=1, max_size=200), hexlike))
def test_dump_round_trips(data: bytes) -> None:
    for text in (xxd(data), hexdump_c(data), wireshark_copy(data), c_array(data), data.hex(" ")):
        assert parse_bytes(text) == data, text


@settings(deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(min_size=1, max_size=40)), min_size=1))
def test_follow_stream_round_trip(records: list[tuple[bool, bytes]]) -> None:
    expected: list[tuple[str | None, bytes]] = []
    for is_server, data in records:
        side = "server" if is_server else "client"
        if expected and expected[-1][0] == side:
            expected[-1] = (side, expected[-1][1] + data)
        else:
            expected.append((side, data))
    if len(expected) == 1:  # one side only: every line indented alike, no direction to tell
        expected = [(None, expected[0][1])]
    assert parse_directional(follow_stream(records)) == expected


FORMATS = [
    xxd,
    hexdump_c,
    wireshark_copy,
    c_array,
    repr,
    lambda d: d.hex(" "),
    lambda d: repr(d)[2:-1],
    lambda d: follow_stream([(False, d), (True, d)]),
]
NOISE = list("0123456789abcdefx:*|#<>'\"\\b() \t\n\r=+,{}[];/-\xa0\x00g")


@st.composite
def damaged(draw: st.DrawFn) -> str:
    """A valid rendering of random bytes with a few characters inserted, deleted or replaced."""
    text = draw(st.sampled_from(FORMATS))(draw(st.binary(min_size=1, max_size=60)))
    for _ in range(draw(st.integers(0, 3))):
        pos, op = draw(st.integers(0, len(text))), draw(st.integers(0, 2))
        char = draw(st.sampled_from(NOISE))
        text = text[:pos] + ("" if op == 1 else char) + text[pos + (op != 0) :]
    return text


def check_error(text: str, exc: HexInputError) -> None:
    """One line, and a position that exists in the text (and shows the character it names)."""
    assert "\n" not in str(exc)
    if exc.line is not None:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        assert 1 <= exc.line <= len(lines)
        if exc.column is not None:
            assert 1 <= exc.column <= len(lines[exc.line - 1]) + 1
            if exc.reason.endswith(" is not a hex digit"):
                assert exc.reason.startswith(repr(lines[exc.line - 1][exc.column - 1]))


any_text = st.one_of(st.text(), st.text(alphabet=st.sampled_from(NOISE)), damaged())


@settings(max_examples=500, deadline=None)
@given(any_text)
# blanks that str.isspace and re's \s take but bytes.fromhex refuses, around \x escapes
@example("\xa0\\x00")
@example("\\x81\x1c")
@example("\u2028\\x41\u3000")
def test_parse_bytes_returns_bytes_or_raises_hex_input_error(text: str) -> None:
    try:
        assert isinstance(parse_bytes(text), bytes)
    except HexInputError as exc:
        check_error(text, exc)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_other_parsers_raise_only_hex_input_error(text: str) -> None:
    for parse in (parse_base64, parse_directional):
        try:
            parse(text)
        except HexInputError as exc:
            check_error(text, exc)


# -- performance -----------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["joined", "spaced", "lines"])
def test_one_mebibyte_of_plain_hex(layout: str) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    lines = "\n".join(data[i : i + 30].hex() for i in range(0, len(data), 30))
    text = {"joined": data.hex(), "spaced": data.hex(" "), "lines": lines}[layout]
    assert parse_bytes(text) == data
