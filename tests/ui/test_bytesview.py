"""The classroom view as lines (issue 10): the characters rich draws, fitted to any width.

``decode`` without colour prints :func:`~wsdebug.ui.rows.bytes_rows` and never imports rich;
a terminal gets :class:`~wsdebug.ui.views.FrameView`, which styles the same lines.  These
tests hold the two equal on a corpus and on generated frames, and hold what the lines must
keep at a classroom's widths: every field and every word of its meaning, the dump's ASCII
column, nothing wider than the screen, nothing from the wire that a terminal would obey.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsdebug.capture.charsafety import UNSAFE
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Role
from wsdebug.ui.bytesview import field_table, short_fields
from wsdebug.ui.cells import cell_len
from wsdebug.ui.rows import Glyphs, bytes_rows
from wsdebug.ui.styles import line_str
from wsdebug.ui.views import FrameView

from .test_rows import CORPUS, records, rich_lines

WIDTHS = (40, 60, 80, 120)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("plain", [True, False])
def test_bytes_rows_are_what_rich_draws(width: int, plain: bool) -> None:
    g = Glyphs(width, ascii=plain, plain=plain)
    for rec in CORPUS:
        expected = rich_lines(FrameView(rec, "bytes", index=3, plain=plain), width)
        assert bytes_rows(rec, g, index=3) == expected


@pytest.mark.parametrize("width", WIDTHS)
def test_no_line_is_wider_than_the_screen(width: int) -> None:
    for plain in (True, False):
        g = Glyphs(width, ascii=plain, plain=plain)
        for rec in CORPUS:
            for line in bytes_rows(rec, g)[1:]:  # (the summary row has its own tests)
                assert cell_len(line) <= width, (width, line)


@pytest.mark.parametrize("width", (60, 80, 120))
def test_the_field_table_keeps_every_word_at_classroom_widths(width: int) -> None:
    """Nothing is cropped from 60 columns up: every field name, value and meaning word shows."""
    for plain in (True, False):
        look = Glyphs(width, ascii=plain, plain=plain)
        for rec in CORPUS:
            fields = short_fields(rec.frame)
            table = " ".join(line_str(x) for x in field_table(rec.frame, fields, look))
            table = table.replace("|", " ")
            words = table.split()
            for f in fields:
                for word in (*f.name.split(), *f.meaning.split()):
                    assert word in words, (width, f.name, word)


def test_hex_dump_keeps_its_ascii_column_at_60_columns() -> None:
    (rec,) = records(encode_frame(0x1, b"Going away, goodbye"), Role.SERVER)
    at60 = bytes_rows(rec, Glyphs(60, ascii=False, plain=False))
    assert "00000000  81 13 47 6f 69 6e 67 20  |..Going |" in at60
    at80 = bytes_rows(rec, Glyphs(80, ascii=False, plain=False))
    assert "00000000  81 13 47 6f 69 6e 67 20  61 77 61 79 2c 20 67 6f  |..Going away, go|" in at80


@given(
    payload=st.binary(max_size=300),
    opcode=st.sampled_from([0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA]),
    masked=st.booleans(),
    fin=st.booleans(),
    width=st.integers(20, 160),
    plain=st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_any_frame_draws_the_same_with_and_without_rich(
    payload: bytes, opcode: int, masked: bool, fin: bool, width: int, plain: bool
) -> None:
    data = encode_frame(opcode, payload, fin=fin, mask_key=b"\x9a\x00\x1b\x7f" if masked else None)
    g = Glyphs(width, ascii=plain, plain=plain)
    for rec in records(data, Role.CLIENT if masked else Role.SERVER):
        rows = bytes_rows(rec, g, index=1)
        assert rows == rich_lines(FrameView(rec, "bytes", index=1, plain=plain), width)
        for line in rows:
            assert not UNSAFE.search(line), line  # ESC, CR, bidi controls: escaped, never sent
