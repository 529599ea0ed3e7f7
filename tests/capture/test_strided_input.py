"""Pasted ``\\x81\\x85`` strings and ``0x81, 0x85`` lists read column by column.

:func:`~wsdebug.capture.textbase._strided` reads a uniform layout with strided slices; every
other layout goes to the readers that take any layout.  Differential: on uniform layouts, on
layouts one character away from uniform and on random text, ``parse_bytes`` gives the same
bytes, or the same one-line error, with and without the strided reader.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsdebug.capture import textinput
from wsdebug.capture.textinput import HexInputError, parse_bytes

SEPARATORS = ["", " ", ", ", ",", ";", "\n", " ,", "\t", ",\n", " , ", "  ", ":", "-", "|"]
NOISE = "0xX\\ ,;\n\tgG9fa'\"#{}"


def _outcome(read: Callable[[str], bytes], text: str) -> bytes | str:
    try:
        return read(text)
    except HexInputError as exc:
        return f"error: {exc}"


def _general(text: str) -> bytes | str:
    """``parse_bytes`` without the strided reader."""
    strided = textinput._strided
    textinput._strided = lambda *args: None  # type: ignore[assignment]
    try:
        return _outcome(parse_bytes, text)
    finally:
        textinput._strided = strided


def _layout(data: bytes, prefix: str, sep: str, upper: bool) -> str:
    hexed = data.hex().upper() if upper else data.hex()
    return sep.join(prefix + hexed[i : i + 2] for i in range(0, len(hexed), 2))


@given(
    data=st.binary(min_size=1, max_size=40),
    prefix=st.sampled_from(["\\x", "0x", "0X"]),
    sep=st.sampled_from(SEPARATORS),
    upper=st.booleans(),
    edit=st.none() | st.tuples(st.integers(0, 400), st.sampled_from(NOISE), st.booleans()),
    around=st.sampled_from(["", "\n", "  ", "\n\n  ", " \t"]),
)
@settings(max_examples=1500, deadline=None)
def test_same_bytes_or_error_as_the_general_readers(
    data: bytes,
    prefix: str,
    sep: str,
    upper: bool,
    edit: tuple[int, str, bool] | None,
    around: str,
) -> None:
    text = _layout(data, prefix, sep, upper)
    if edit is not None:  # one character replaced or inserted
        at, char, insert = edit
        at %= len(text)
        text = text[:at] + char + text[at + (0 if insert else 1) :]
    text = around + text + around
    assert _outcome(parse_bytes, text) == _general(text)


def test_uniform_layouts_take_the_strided_reader() -> None:
    data = bytes(range(256)) * 4
    for prefix, sep in (("\\x", ""), ("\\x", " "), ("0x", ", "), ("0x", ","), ("0x", "\n")):
        text = _layout(data, prefix, sep, False) + "\n"
        seps = " \t\n\v\f" if prefix == "\\x" else " \t\n\v\f,;"
        assert textinput._strided(text, prefix, seps) == data
        assert parse_bytes(text) == data


def test_errors_are_still_placed() -> None:
    text = "0x81, 0x85, 0xg7, 0x00"
    with pytest.raises(HexInputError, match="line 1, column 15: 'g' is not a hex digit"):
        parse_bytes(text)
    with pytest.raises(HexInputError) as exc:
        parse_bytes("\\x81\\x85\\x3")
    assert str(exc.value) == _general("\\x81\\x85\\x3").removeprefix("error: ")


def _without_one_literal(text: str) -> bytes | str:
    """``parse_bytes`` without the one-literal reader."""
    one = textinput._one_literal
    textinput._one_literal = lambda text: None  # type: ignore[assignment]
    try:
        return _outcome(parse_bytes, text)
    finally:
        textinput._one_literal = one


@given(
    data=st.binary(max_size=60)
    | st.lists(st.sampled_from(b"\\'\"a\n"), max_size=40).map(bytes),  # runs before quotes
    edit=st.none()
    | st.tuples(st.integers(0, 400), st.sampled_from("'\"\\\nbxq0 #("), st.booleans()),
    around=st.sampled_from(["", "\n", "  ", " \t\n"]),
    upper=st.booleans(),
)
@settings(max_examples=1500, deadline=None)
def test_a_repr_reads_as_the_token_reader_reads_it(
    data: bytes, edit: tuple[int, str, bool] | None, around: str, upper: bool
) -> None:
    text = repr(data)
    if upper:
        text = "B" + text[1:]
    if edit is not None:
        at, char, insert = edit
        at %= len(text)
        text = text[:at] + char + text[at + (0 if insert else 1) :]
    text = around + text + around
    assert _outcome(parse_bytes, text) == _without_one_literal(text)


def test_a_large_repr_takes_the_one_literal_reader() -> None:
    data = bytes(range(256)) * 4096 + b"'\"\\"  # both quotes: repr escapes its own
    assert textinput._one_literal(repr(data) + "\n") == data
    assert textinput._one_literal(repr(data[:-3] + b'"') + "\n") == data[:-3] + b'"'
    assert textinput._one_literal("b'" + "\\" * 1000 + "'") == b"\\" * 500
    assert textinput._one_literal("b'" + "\\\\\\'" * 1000 + "'") == b"\\'" * 1000
    # a long run of backslashes across a 1 MiB piece's end is left to the token reader
    run = "b'" + "a" * ((1 << 20) - 10) + "\\" * 10_000 + "'"
    assert textinput._one_literal(run) is None
    assert parse_bytes(run) == b"a" * ((1 << 20) - 10) + b"\\" * 5000


ESCAPES = st.lists(
    st.sampled_from(["\\x81", "\\x8", "\\x818", "\\x", "x81", "\\\\x81", "\\xg1", " ", "\n"])
    | st.text(alphabet="\\x19afAF \n\t\x1c\u00a0gz", max_size=3),
    max_size=8,
).map("".join)


@given(text=ESCAPES)
@settings(max_examples=1500, deadline=None)
def test_the_escape_counts_say_what_the_pattern_says(text: str) -> None:
    found = textinput._ESCAPES_ONLY.fullmatch(text) is not None
    assert textinput._escapes_only(text) in (None, found)


def test_wrapped_escapes_take_the_counts() -> None:
    """A ``\\x`` string wrapped at 16 bytes a line: not one stride, read by the counts and
    one translate, the same bytes as the pattern's reader."""
    data = bytes(range(256)) * 40
    rows = ("".join(f"\\x{b:02x}" for b in data[i : i + 16]) for i in range(0, len(data), 16))
    wrapped = "\n".join(rows)
    assert textinput._strided(wrapped, "\\x", " \t\n\v\f") is None
    assert textinput._escapes_only(wrapped) is True
    assert parse_bytes(wrapped) == data == _general(wrapped)
