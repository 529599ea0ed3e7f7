"""ui.rows: the plain rows of bulk output say exactly what rich's views draw, without rich."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from wsdebug.codec.close import build_close_payload
from wsdebug.codec.deflate import Inflater
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Role
from wsdebug.codec.stream import FrameRecord, StreamDecoder
from wsdebug.ui.bytesview import short_fields as _annotate
from wsdebug.ui.rows import (
    FieldLayout,
    FieldRows,
    Glyphs,
    field_rows,
    field_value,
    message_row,
    problem_rows,
    summary_row,
)
from wsdebug.ui.views import FrameView, MessageView, problem_text

HOSTILE = "\x1b[31mRED\x1b[0m [bold]x[/bold] \u202eevil \x00\x9b2J\u200b"
WIDE = "宽字符 wide 厉害了 " * 12


def rich_lines(renderable: Any, width: int) -> list[str]:
    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=False,
        color_system=None,
        legacy_windows=False,
        emoji=False,
        highlight=False,
        markup=False,
    )
    console.print(renderable)
    return console.file.getvalue().splitlines()  # type: ignore[attr-defined, no-any-return]


def records(data: bytes, sender: Role | None = None, **kw: Any) -> list[FrameRecord]:
    dec = StreamDecoder(sender, **kw)
    return dec.receive_data(data)


def corpus() -> list[FrameRecord]:
    key = b"\x37\xfa\x21\x3d"
    out: list[FrameRecord] = []
    out += records(encode_frame(0x1, b"Hello", mask_key=key), Role.CLIENT)
    out += records(encode_frame(0x1, b"Hello"), Role.CLIENT)  # unmasked from a client: a problem
    out += records(encode_frame(0x1, HOSTILE.encode()), Role.SERVER)
    out += records(encode_frame(0x1, WIDE.encode(), mask_key=key), Role.CLIENT)
    out += records(encode_frame(0x2, bytes(range(256)) * 3), Role.SERVER)
    out += records(encode_frame(0x2, b""), None)
    out += records(encode_frame(0x9, b"are you there?", mask_key=b"abcd"), Role.CLIENT)
    out += records(encode_frame(0xA, b""), Role.SERVER)
    out += records(encode_frame(0x8, build_close_payload(1000, "bye")), Role.SERVER)
    out += records(encode_frame(0x8, build_close_payload(1001, HOSTILE)), Role.SERVER)
    out += records(encode_frame(0x8, b"\x03\xe8\xff\xfe"), Role.SERVER)  # reason not UTF-8
    out += records(encode_frame(0x8, b"\x03"), Role.SERVER)
    out += records(encode_frame(0x8, b""), Role.SERVER)
    out += records(encode_frame(0x3, b"xyz", rsv2=True, rsv3=True), Role.SERVER)  # reserved opcode
    out += records(encode_frame(0x1, b"\xff\xfe bad utf-8"), Role.SERVER)
    out += records(encode_frame(0x1, b"frag", fin=False) + encode_frame(0x0, b"ment"), Role.SERVER)
    out += records(encode_frame(0x9, b"x" * 200), Role.SERVER)  # control frame too long
    out += records(encode_frame(0x1, b"compressed?", rsv1=True), Role.SERVER)
    deflated = bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00")  # RFC 7692: "Hello"
    out += records(deflated, Role.SERVER, inflate=Inflater().inflate)
    out += records(encode_frame(0x2, bytes(70000), length_form=64), Role.SERVER)
    return out


CORPUS = corpus()
WIDTHS = (20, 37, 60, 80, 100, 140)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("plain", [True, False])
def test_summary_rows_are_the_summary_lines(width: int, plain: bool) -> None:
    g = Glyphs(width, ascii=plain, plain=plain)
    for n, rec in enumerate(CORPUS, 1):
        for kw in (
            {},
            {"index": n},
            {"index": n, "timestamp": 1764583200.25, "conn_id": "c\x1b1"},
            {"arrow": "out"},
            {"arrow": "in"},
            {"arrow": "⇒"},
        ):
            expected = rich_lines(FrameView(rec, "summary", plain=plain, **kw), width)
            assert summary_row(rec, g, **kw).split("\n") == expected, (n, kw)


@given(
    text=st.text(max_size=120),
    opcode=st.sampled_from([0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA]),
    masked=st.booleans(),
    fin=st.booleans(),
    rsv=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    width=st.integers(20, 160),
    plain=st.booleans(),
    sender=st.sampled_from([Role.CLIENT, Role.SERVER, None]),
)
@settings(max_examples=300, deadline=None)
def test_summary_rows_match_rich_on_any_frame(
    text: str,
    opcode: int,
    masked: bool,
    fin: bool,
    rsv: tuple[bool, bool, bool],
    width: int,
    plain: bool,
    sender: Role | None,
) -> None:
    payload = text.encode("utf-8", "surrogatepass")
    data = encode_frame(
        opcode,
        payload,
        fin=fin,
        rsv1=rsv[0],
        rsv2=rsv[1],
        rsv3=rsv[2],
        mask_key=b"\x01\x02\x03\x04" if masked else None,
    )
    g = Glyphs(width, ascii=plain, plain=plain)
    for rec in records(data, sender):
        expected = rich_lines(FrameView(rec, "summary", index=7, plain=plain), width)
        assert summary_row(rec, g, index=7).split("\n") == expected
        for p in rec.problems:
            line = Text("    ").append_text(problem_text(p, rec.frame.offset, plain=plain))
            assert problem_rows(p, rec.frame.offset, g, indent="    ") == rich_lines(line, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("plain", [True, False])
def test_problem_rows_wrap_as_rich_does(width: int, plain: bool) -> None:
    g = Glyphs(width, ascii=plain, plain=plain)
    problems = [(p, rec.frame.offset) for rec in CORPUS for p in rec.problems]
    assert len(problems) >= 5
    for p, offset in problems:
        for indent in ("", "    "):
            line = Text(indent).append_text(problem_text(p, offset, plain=plain))
            assert problem_rows(p, offset, g, indent=indent) == rich_lines(line, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("plain", [True, False])
def test_message_rows_are_the_message_lines(width: int, plain: bool) -> None:
    g = Glyphs(width, ascii=plain, plain=plain)
    messages = [(rec.message, rec.direction) for rec in CORPUS if rec.message is not None]
    assert any(m.frames > 1 for m, _ in messages) and any(m.compressed for m, _ in messages)
    for m, direction in messages:
        for kw in ({}, {"timestamp": 1764583200.5, "conn_id": "c\u202e2"}):
            (expected,) = rich_lines(MessageView(m, direction, plain=plain, **kw), width)
            assert message_row(m, direction, g, **kw) == expected


def test_field_rows_one_line_per_field_in_aligned_columns() -> None:
    frames = [rec.frame for rec in CORPUS]
    layout = FieldLayout.for_frames(frames, ascii_only=True)
    for rec in CORPUS:
        fields = _annotate(rec.frame)
        rows = field_rows(rec.frame, layout, "...")
        assert len(rows) == 2 + len(fields)
        bars = {tuple(i for i, c in enumerate(row) if c == "|")[:5] for row in rows if "|" in row}
        assert len(bars) == 1, rows  # the five column separators line up on every row
        for row, f in zip(rows[2:], fields, strict=True):
            cells = row.split("|", 5)
            assert cells[0].strip() == f"0x{f.offset:04x}"
            assert cells[3].strip() == f.name and cells[5] == f.meaning
            assert cells[4].strip() == field_value(f, "...", rec.frame)
    # the meaning is what the rich table says, unwrapped
    rec = CORPUS[0]
    table = " ".join(rich_lines(FrameView(rec, "fields", plain=True), 200))
    for f in _annotate(rec.frame):
        assert f.meaning in table


def test_rows_keep_untrusted_text_inert() -> None:
    g = Glyphs(200, ascii=True, plain=True)
    rows = [summary_row(rec, g) for rec in CORPUS]
    layout = FieldLayout.for_frames([r.frame for r in CORPUS], ascii_only=True)
    for rec in CORPUS:
        rows += field_rows(rec.frame, layout, "...")
        rows += [r for p in rec.problems for r in problem_rows(p, rec.frame.offset, g)]
        if rec.message is not None:
            rows.append(message_row(rec.message, rec.direction, g))
    out = "\n".join(rows)
    for bad in ("\x1b", "\x9b", "\u202e", "\x00", "\u200b"):
        assert bad not in out
    assert "\\x1b[31mRED" in out and "\\u202eevil" in out


def test_clock_is_the_summary_lines_clock() -> None:
    import random

    from wsdebug.ui.linefit import clock
    from wsdebug.ui.rows import _clock

    rng = random.Random(5)
    stamps = [
        1764583200.0,
        1764583200.9995,
        1764583200.9999996,
        1764583200.0005,
        0.0,
        59.9999995,
        1e9 + 0.1234565,
    ]
    stamps += [rng.uniform(0, 2e9) for _ in range(2000)]
    stamps += [round(rng.uniform(1.7e9, 1.8e9), 6) for _ in range(2000)]
    for ts in stamps:
        assert _clock(ts) == clock(ts), ts


@pytest.mark.parametrize("plain", [True, False])
def test_arrows_follow_the_direction(plain: bool) -> None:
    import dataclasses

    from wsdebug.codec.spec import Direction

    g = Glyphs(100, ascii=plain, plain=plain)
    rec = CORPUS[0]
    right, left = ("->", "<-") if plain else ("→", "←")
    for direction, arrow in (
        (Direction.C2S, right),
        (Direction.S2C, left),
        (Role.CLIENT, right),
        (Role.SERVER, left),
    ):
        moved = dataclasses.replace(rec, direction=direction)
        (line,) = rich_lines(FrameView(moved, "summary", index=1, plain=plain), 100)
        assert line.startswith(f"#1 {arrow} TEXT")
        assert summary_row(moved, g, index=1) == line
        assert message_row(rec.message, direction, g).startswith(arrow)  # type: ignore[arg-type]
        who = "client" if arrow == right else "server"
        assert f"{who} {'->' if plain else '→'} " in "".join(
            rich_lines(FrameView(moved, plain=plain), 100)
        )


def test_field_rows_reuse_a_header_for_other_keys_payloads_and_offsets() -> None:
    data = b"".join(
        encode_frame(op, payload, mask_key=key)
        for op, payload, key in [
            (0x1, b"first", b"\x01\x02\x03\x04"),
            (0x1, b"again", b"\xaa\xbb\xcc\xdd"),
            (0x8, build_close_payload(1000, "bye"), b"\x00\x00\x00\x00"),
            (0x8, build_close_payload(4000, "why"), b"\x10\x20\x30\x40"),
            (0x2, bytes(300), None),
            (0x2, bytes(range(256)) + bytes(44), None),
        ]
    )
    recs = records(data, Role.CLIENT)
    layout = FieldLayout.for_frames([r.frame for r in recs], ascii_only=False)
    shared = FieldRows(layout, "…")
    for rec in recs:
        assert shared.rows(rec.frame) == FieldRows(layout, "…").rows(rec.frame)
    rows = shared.rows(recs[3].frame)
    assert any("4000: " in r for r in rows) and any(
        r.startswith(f"0x{recs[3].frame.offset + 2:04x}") for r in rows
    )
    assert any("10 20 30 40" in r for r in rows)
