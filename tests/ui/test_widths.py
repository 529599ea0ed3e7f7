"""Summary lines fit the width: metadata gives way before the payload, and below ~60 columns
the fields wrap onto indented lines instead of vanishing.  Rich output and bulk rows agree."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Role
from wsdebug.codec.stream import FrameRecord, StreamDecoder
from wsdebug.ui.rows import Glyphs, summary_row
from wsdebug.ui.views import FrameView

SIXTY = '{"type":"order","id":1234567,"side":"buy","qty":5,"ok":true}'
STAMP = 1764583200.25


def record(data: bytes, sender: Role) -> FrameRecord:
    (rec,) = StreamDecoder(sender).receive_data(data)
    return rec


def lines(rec: FrameRecord, width: int, **kw: object) -> list[str]:
    console = Console(
        file=io.StringIO(), width=width, color_system=None, highlight=False, markup=False
    )
    console.print(FrameView(rec, "summary", **kw))  # type: ignore[arg-type]
    return console.file.getvalue().splitlines()  # type: ignore[attr-defined, no-any-return]


CLIENT = record(encode_frame(0x1, SIXTY.encode(), mask_key=b"\x01\x02\x03\x04"), Role.CLIENT)
SERVER = record(encode_frame(0x1, SIXTY.encode()), Role.SERVER)


@pytest.mark.parametrize("rec", [CLIENT, SERVER], ids=["client", "server"])
@pytest.mark.parametrize("width", [80, 120, 200])
def test_a_sixty_character_message_is_whole_at_80_columns_and_more(
    rec: FrameRecord, width: int
) -> None:
    assert len(SIXTY) == 60
    (line,) = lines(rec, width, timestamp=STAMP, conn_id="c1")
    assert f'"{SIXTY}"' in line and len(line) <= width
    assert "c1" in line and "TEXT" in line  # who and what never give way


@pytest.mark.parametrize("width", [120, 200])
def test_wide_consoles_keep_every_field(width: int) -> None:
    (line,) = lines(CLIENT, width, timestamp=STAMP, conn_id="c1")
    for field in (":00.250", "FIN", "60 B", "7-bit", "masked 01020304"):
        assert field in line, (field, line)


def test_metadata_gives_way_least_useful_first_at_80() -> None:
    (line,) = lines(CLIENT, 80, timestamp=STAMP, conn_id="c1")
    assert "01020304" not in line and "7-bit" not in line  # the mask key and length form go
    assert "60 B" in line  # the size stays longest


@pytest.mark.parametrize("width", [40, 50, 59])
def test_narrow_consoles_wrap_fields_rather_than_drop_them(width: int) -> None:
    out = lines(CLIENT, width, timestamp=STAMP, conn_id="c1")
    assert len(out) >= 2 and all(len(line) <= width for line in out)
    text = " ".join(out)
    for field in (":00.250", "c1", "TEXT", "FIN", "60 B", "7-bit", "masked", "01020304"):
        assert field in text, (field, out)
    assert out[-1].startswith('  "{"type":"order"')  # the payload on a line of its own


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_bulk_rows_agree_with_rich(width: int) -> None:
    for rec in (CLIENT, SERVER):
        for plain in (True, False):
            expected = lines(rec, width, timestamp=STAMP, conn_id="c1", plain=plain)
            got = summary_row(
                rec, Glyphs(width, ascii=plain, plain=plain), timestamp=STAMP, conn_id="c1"
            )
            assert got.split("\n") == expected
