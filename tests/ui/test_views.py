"""ui.views: the summary line, the field table and the classroom "bytes" view."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from tests.vectors import RFC_MASK_KEY, SEED_TEXT, SEED_WIRE
from wsdebug.codec.deflate import Inflater
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.rules import Problem, Rule
from wsdebug.codec.spec import Role
from wsdebug.codec.stream import FrameRecord, Message, StreamDecoder
from wsdebug.ui.theme import STYLES
from wsdebug.ui.views import (
    Detail,
    FrameView,
    MessageView,
    ProblemLine,
    problem_text,
    render_records,
)

RFC_MASKED_HELLO = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")
SGR = re.compile("\x1b\\[[0-9;]*m")
HOSTILE = "\x1b[31mRED\x1b[0m [bold]x[/bold] \u202eevil \x00"


def render(renderable: Any, width: int = 100, **kwargs: Any) -> str:
    kwargs.setdefault("color_system", None)
    console = Console(file=io.StringIO(), width=width, force_terminal=False, **kwargs)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def decode(data: bytes, sender: Role | None = None, **kwargs: Any) -> list[FrameRecord]:
    return StreamDecoder(sender, **kwargs).receive_data(data)


def one(data: bytes, sender: Role | None = None) -> FrameRecord:
    (rec,) = decode(data, sender)
    return rec


# -- the classroom view --------------------------------------------------------------------------


def test_rfc_masked_hello_bytes_view() -> None:
    out = render(FrameView(one(RFC_MASKED_HELLO, Role.CLIENT), index=1))
    first = out.splitlines()[0]
    assert first.startswith("#1 → TEXT")
    assert "masked 37fa213d" in first and '"Hello"' in first
    # the RFC 6455 §5.2 figure with this frame's bits
    assert " 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1" in out
    assert "+-+-+-+-+-------+-+-------------+-------------------------------+" in out
    assert "|1|0|0|0|0 0 0 1|1|0 0 0 0 1 0 1|0 0 1 1 0 1 1 1 1 1 1 1 1 0 1 0|" in out
    assert "|F|R|R|R| opcode|M| payload len |          masking-key          |" in out
    # the field table
    assert "37 fa 21 3d" in out
    assert "opcode 0x1: text frame" in out
    assert "1... ...." in out and ".... 0001" in out and ".000 0101" in out
    # unmasking step by step
    assert "7f ^ 37 = 48     'H'" in out
    assert "9f ^ fa = 65     'e'" in out
    assert "58 ^ 37 = 6f     'o'" in out
    # payload, hex dump, message, problems
    assert "\nHello\n" in out
    assert "00000000  81 85 37 fa 21 3d 7f 9f  4d 51 58" in out
    assert "message complete: TEXT, 1 frame, 5 bytes" in out
    assert "✓ no problems" in out


def test_seed_chinese_frame() -> None:
    out = render(FrameView(one(SEED_WIRE, Role.CLIENT)))
    assert SEED_TEXT in out
    assert "59 ^ bc = e5     '厉' UTF-8 byte 1 of 3\n" in out
    assert "36 ^ b8 = 8e          UTF-8 byte 2 of 3\n" in out
    assert "client → server, stream offset 0x0000, 15 bytes on the wire" in out
    assert "unmasked: e5 8e" in out
    assert "payload data continued: 7 more bytes" in out


@pytest.mark.parametrize("detail", ["summary", "fields", "bytes"])
@pytest.mark.parametrize("plain", [False, True])
def test_hostile_payload_is_inert(detail: Detail, plain: bool) -> None:
    rec = one(encode_frame(0x1, HOSTILE.encode(), mask_key=RFC_MASK_KEY), Role.CLIENT)
    assert rec.text == HOSTILE
    for color_system in (None, "truecolor"):
        out = render(FrameView(rec, detail, plain=plain), color_system=color_system)
        body = SGR.sub("", out)  # rich's own colour codes, when there are any
        assert "\x1b" not in body
        assert "\x00" not in out and "\u202e" not in out
        assert "[bold]x[/bold]" in body
        assert "\\x1b[31mRED\\x1b[0m" in body
        assert "\\u202eevil \\x00" in body


def test_hostile_close_reason_and_conn_id() -> None:
    payload = (1000).to_bytes(2, "big") + "bye \x1b]0;pwned\x07 \u202e".encode()
    rec = one(encode_frame(0x8, payload))
    for detail in ("summary", "bytes"):
        out = render(FrameView(rec, detail, conn_id="c\x1b1"))
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "bye \\x1b]0;pwned\\x07 \\u202e" in out
        assert "c\\x1b1" in out


def test_megabyte_binary_frame_is_elided() -> None:
    data = encode_frame(0x2, bytes(range(256)) * 4096, mask_key=RFC_MASK_KEY)
    rec = one(data, Role.CLIENT)
    out = render(FrameView(rec))
    assert "more bytes not shown" in out
    assert "1,048,576 B 64-bit" in out
    assert "= 1,048,576" in out  # the extended length in the figure
    assert len(out.splitlines()) < 400
    # the last line of the dump holds the real last bytes of the frame, masked
    last = [line for line in out.splitlines() if line.startswith("00100000  ")]
    assert len(last) == 1
    assert last[0].startswith(f"00100000  {data[-14:-6].hex(' ')}  {data[-6:].hex(' ')}  ")


# -- summary lines -------------------------------------------------------------------------------


def summary(data: bytes, sender: Role | None = None, width: int = 100, **kw: Any) -> str:
    out = render(FrameView(one(data, sender), "summary", **kw), width=width)
    assert out.count("\n") == 1
    return out.rstrip("\n")


def test_summary_text() -> None:
    line = summary(RFC_MASKED_HELLO, Role.CLIENT, index=3, timestamp=0.0, conn_id="c1")
    assert line.startswith("#3 → ")
    assert ' c1 TEXT   FIN  5 B 7-bit masked 37fa213d  "Hello"' in line


def test_summary_binary_close_ping() -> None:
    line = summary(encode_frame(0x2, bytes(i % 256 for i in range(300))), Role.SERVER)
    assert line.startswith("← BINARY FIN  300 B 16-bit unmasked  00 01 02 03")
    assert line.endswith("…")
    assert len(line) <= 100
    line = summary(encode_frame(0x8, (1000).to_bytes(2, "big") + b"bye"))
    assert line == "· CLOSE  FIN  5 B 7-bit unmasked  1000 normal closure: bye"
    line = summary(encode_frame(0x9, b"are you there?", mask_key=b"abcd"), Role.CLIENT)
    assert line == '→ PING   FIN  14 B 7-bit masked 61626364  "are you there?"'
    line = summary(encode_frame(0xA, b""), Role.SERVER)
    assert line == "← PONG   FIN  0 B 7-bit unmasked  (empty)"


def test_summary_truncates_long_text_to_the_width() -> None:
    line = summary(encode_frame(0x1, ("wide 宽 " * 100).encode()), width=60)
    assert line.endswith('…"')
    assert cell_len(line) <= 60  # wide characters count twice


def test_summary_fragments_and_arrow_override() -> None:
    recs = decode(bytes.fromhex("01 03 48 65 6c") + bytes.fromhex("80 02 6c 6f"))
    assert "TEXT   frag 3 B" in render(FrameView(recs[0], "summary", arrow="out"))
    assert render(FrameView(recs[0], "summary", arrow="out")).startswith("→")
    assert "CONT   FIN  2 B" in render(FrameView(recs[1], "summary", arrow="in"))
    out = render(FrameView(recs[1]))
    assert "message complete: TEXT, 2 frames, 5 bytes" in out
    assert "\nHello\n" in out


# -- problems ------------------------------------------------------------------------------------


def test_problems_show_offset_message_and_rfc_section() -> None:
    rec = one(encode_frame(0x3, b"x", rsv1=True), Role.CLIENT)
    assert "✗ 3 problems" in render(FrameView(rec, "summary"))
    out = render(FrameView(rec, "fields"), width=140)
    assert "✗ offset 0x0000 (byte 0): RSV bit set but no extension" in out
    assert "reserved opcode: 0x3 — RFC 6455 §5.2" in out
    assert "client-to-server frame is not masked — RFC 6455 §5.1" in out
    out = render(FrameView(rec, "bytes"))
    assert "Problems (3)" in out
    assert "RFC 6455 §5.1" in out


def test_problem_text_alone() -> None:
    p = Problem(Rule.INVALID_UTF8, 0x12, "byte 0xff at message byte 3")
    assert problem_text(p).plain == (
        "✗ offset 0x0012: text message is not valid UTF-8: byte 0xff at message byte 3"
        " — RFC 6455 §8.1"
    )
    assert problem_text(p, 0x10).plain.startswith("✗ offset 0x0012 (byte 2): ")
    assert render(ProblemLine(p), width=200).startswith("✗ offset 0x0012")


# -- other views and modes -----------------------------------------------------------------------


def test_fields_view() -> None:
    out = render(FrameView(one(encode_frame(0x2, bytes(300)), Role.SERVER), "fields"))
    assert "extended payload" in out and "01 2c " in out and "payload is 300 bytes" in out
    assert "1111110 = 126" in out
    assert "Frame layout" not in out


def test_close_view() -> None:
    rec = one(
        encode_frame(0x8, (1001).to_bytes(2, "big") + b"going", mask_key=b"abcd"), Role.CLIENT
    )
    out = render(FrameView(rec))
    assert "code 1001: going away" in out
    assert "reason (5 bytes): going" in out
    assert "= 1001 going away" in out  # in the figure


def test_inflated_message() -> None:
    recs = decode(
        bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00"), Role.SERVER, inflate=Inflater().inflate
    )
    out = render(FrameView(recs[0]))
    assert "RSV1 compressed" in out
    assert "Inflated, RFC 7692: 5 bytes from 7 compressed" in out
    assert "\nHello\n" in out


def test_plain_mode_is_ascii() -> None:
    out = render(
        FrameView(one(RFC_MASKED_HELLO, Role.CLIENT), plain=True), color_system="truecolor"
    )
    assert all(ch.isascii() or ch == "§" for ch in out)  # the RFC section sign stays
    assert "\x1b" not in out
    assert "+----" in out and "7f ^ 37 = 48" in out


def test_colours_follow_the_fields() -> None:
    out = render(FrameView(one(RFC_MASKED_HELLO, Role.CLIENT)), color_system="truecolor")
    key = render(Text("37 fa 21 3d", STYLES["ws.key"]), color_system="truecolor").rstrip("\n")
    assert key.startswith("\x1b[") and key in out  # the table's value cell, in ws.key


def test_message_view_and_render_records() -> None:
    msg = Message(0x1, 0, 3, b"hi \x1b", text="hi \x1b")
    line = render(MessageView(msg, Role.SERVER, conn_id="c2"))
    assert line.startswith("← c2 message TEXT 3 frames, 4 bytes")
    assert '"hi \\x1b"' in line
    console = Console(file=io.StringIO(), width=100, color_system=None)
    render_records(console, decode(RFC_MASKED_HELLO * 2, Role.CLIENT), "summary")
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert [ln[:4] for ln in lines] == ["#1 →", "#2 →"]


def test_bad_detail() -> None:
    with pytest.raises(ValueError):
        FrameView(one(RFC_MASKED_HELLO), "everything")  # type: ignore[arg-type]


def test_utf8_character_split_across_fragments() -> None:
    first = encode_frame(0x1, "a中".encode()[:3], fin=False, mask_key=b"abcd")
    second = encode_frame(0x0, "中".encode()[2:], mask_key=b"abcd")
    recs = decode(first + second, Role.CLIENT)
    out = render(FrameView(recs[0]))
    assert "e4     UTF-8 byte 1 of 3 (continues in the next frame)" in out
    assert "b8     UTF-8 byte 2 of 3" in out
    assert "Text completed by this fragment (1 character)\na\n" in out
    out = render(FrameView(recs[1]))
    assert "ad     UTF-8 continuation byte" in out
    assert "Text completed by this fragment (1 character)\n中\n" in out
    assert "message complete: TEXT, 2 frames, 4 bytes\na中\n" in out
