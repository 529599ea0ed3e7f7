"""Bulk output through the CLI: decode and replay --all print plain rows, the same as rich drew.

The fast path is taken whenever rich would draw plain text (no colour, no export); a console
that records for --export-svg/--export-html still draws through rich, so the two can be
compared line for line on the same input.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

import wsdebug.cli
import wsdebug.cli.replay  # registers the replay command
from wsdebug.capture.format import C2S, S2C, CaptureWriter
from wsdebug.capture.offline import decode_bytes
from wsdebug.capture.replay import open_capture
from wsdebug.codec.close import build_close_payload
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import build_request, build_response, parse_request
from wsdebug.codec.spec import Role
from wsdebug.ui.errors import DisplayError
from wsdebug.ui.output import print_decoded
from wsdebug.ui.replay import print_session

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\u202eevil\x9b"
ENV = {"COLUMNS": "100", "NO_COLOR": None, "FORCE_COLOR": None, "WSDEBUG_TRACEBACK": None}


def cli(*args: str, input: str | None = None) -> Any:
    return CliRunner(env=ENV).invoke(wsdebug.cli.app, list(args), input=input)


def server_frames(n: int) -> bytes:
    """``n`` server frames of every kind, some with problems (unmasked from a server is fine)."""
    out = []
    for i in range(n):
        kind = i % 6
        if kind == 0:
            out.append(encode_frame(0x1, f"message {i} 宽字符".encode()))
        elif kind == 1:
            out.append(encode_frame(0x2, bytes(range(i % 200))))
        elif kind == 2:
            out.append(
                encode_frame(0x9, b"ping", mask_key=b"abcd")
            )  # masked from a server: a problem
        elif kind == 3:
            out.append(encode_frame(0x1, HOSTILE.encode()))
        elif kind == 4:
            out.append(encode_frame(0x1, b"x" * 300))
        else:
            out.append(encode_frame(0x3, b"reserved"))  # reserved opcode: a problem
    return b"".join(out)


def rich_drawn(draw: Any, plain: bool, width: int = 100) -> str:
    """What ``draw(console)`` prints on a recording console: rich draws every frame."""
    console = Console(
        file=io.StringIO(),
        width=width,
        record=True,
        color_system=None,
        no_color=plain,
        highlight=False,
        emoji=False,
        markup=False,
        safe_box=True,
        force_terminal=False,
    )
    draw(console)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def fast_drawn(draw: Any, plain: bool, width: int = 100) -> str:
    console = Console(
        file=io.StringIO(),
        width=width,
        color_system=None,
        no_color=plain,
        highlight=False,
        emoji=False,
        markup=False,
        safe_box=True,
        force_terminal=False,
    )
    draw(console)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


# -- decode --------------------------------------------------------------------------------------


@pytest.mark.parametrize("plain", [True, False])
def test_decode_summary_rows_are_what_rich_draws(plain: bool) -> None:
    result = decode_bytes(server_frames(60) + b"\x81", sender=Role.SERVER)  # and a cut frame
    assert any(r.problems for r in result.records) and result.incomplete is not None

    def draw(console: Console) -> None:
        print_decoded(result, detail="summary", plain=plain, console=console)

    assert fast_drawn(draw, plain) == rich_drawn(draw, plain)
    args = ["decode", "--from", "server", "-d", "summary", *(["--plain"] if plain else [])]
    out = cli(*args, input=(server_frames(60) + b"\x81").hex())
    assert out.exit_code == 1
    assert out.stdout == rich_drawn(draw, plain)


def test_decode_fields_one_aligned_line_per_field() -> None:
    data = encode_frame(0x1, b"Hello", mask_key=b"\x37\xfa\x21\x3d") + encode_frame(0x2, bytes(300))
    data += encode_frame(0x8, build_close_payload(1000, "bye"))
    out = cli("decode", "--plain", "-d", "fields", data.hex())
    assert out.exit_code == 0
    rows = [line for line in out.stdout.splitlines() if line.startswith("0x")]
    assert len(rows) == 9 + 9 + 9  # header bits, key or extended length, payload or close fields
    assert len({tuple(i for i, c in enumerate(r) if c == "|")[:5] for r in rows}) == 1
    assert re.search(r"^0x0001\|1 +\|1\.\.\. \.\.\.\.\|MASK +\|1 +\|", out.stdout, re.M)
    assert "|payload is masked (client to server)" in out.stdout  # one line, not wrapped
    assert "|1000: normal closure" in out.stdout
    assert (
        len(re.findall(r"^offset\|bytes +\|bits +\|field +\|value +\|meaning$", out.stdout, re.M))
        == 3
    )
    assert "Frame layout" not in out.stdout


def test_decode_bytes_of_many_frames_draws_the_ends_and_summarises_the_rest() -> None:
    out = cli("decode", "--plain", "--from", "server", server_frames(30).hex())
    assert out.exit_code == 1
    text = out.stdout
    assert text.count("Frame layout, RFC 6455") == 6
    assert (
        "frames 4-27 drawn as summary lines; -d fields shows the header fields of every frame"
        in text
    )
    lines = text.splitlines()
    for n in range(4, 28):
        (line,) = [line for line in lines if line.startswith(f"#{n} ")]
    assert lines[-1] == "30 frames, 10 with problems"
    few = cli("decode", "--plain", "--from", "server", server_frames(10).hex())
    assert few.stdout.count("Frame layout, RFC 6455") == 10 and "drawn as summary" not in few.stdout


def test_print_decoded_one_frame_in_full() -> None:
    result = decode_bytes(server_frames(30), sender=Role.SERVER)

    def draw(console: Console) -> None:
        print_decoded(result, detail="bytes", plain=True, console=console, frame=5)

    out = fast_drawn(draw, True)
    assert out.startswith("#5 ") and out.count("Frame layout") == 1
    assert "drawn as summary" not in out
    with pytest.raises(DisplayError, match="--frame 31: the input has 30 frames"):
        print_decoded(result, console=Console(file=io.StringIO()), frame=31)


@pytest.mark.parametrize("detail", ["summary", "fields", "bytes"])
def test_bulk_decode_keeps_payloads_inert(detail: str) -> None:
    out = cli("decode", "--plain", "--from", "server", "-d", detail, server_frames(40).hex())
    for bad in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert bad not in out.stdout
    assert "\\x1b]0;pwned\\x07" in out.stdout


# -- replay --------------------------------------------------------------------------------------


def write_capture(path: Path, n: int, *, hex_data: bool = False) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        w = CaptureWriter(
            fh,
            mode="connect",
            tool="test",
            created="2025-12-01T10:00:00.000000Z",
            hex_data=hex_data,
        )
        t = 1764583200.0
        w.open(
            "c1",
            role="client",
            peer="127.0.0.1:9000",
            local="127.0.0.1:51000",
            url="ws://127.0.0.1:9000/",
            t=t,
        )
        request = build_request("127.0.0.1:9000", "/", key="dGhlIHNhbXBsZSBub25jZQ==")[0]
        w.data("c1", C2S, request, t=t)
        w.data("c1", S2C, build_response(parse_request(request)), t=t)
        w.handshake("c1", subprotocol=None, extensions=None, t=t)
        for i in range(n):
            t += 0.0125
            if i % 5 == 4:  # a fragmented message with a ping inside
                w.data("c1", C2S, encode_frame(0x1, b"frag ", fin=False, mask_key=b"abcd"), t=t)
                w.data("c1", C2S, encode_frame(0x9, HOSTILE.encode(), mask_key=b"abcd"), t=t)
                w.data("c1", C2S, encode_frame(0x0, b"mented", mask_key=b"abcd"), t=t)
            elif i % 7 == 3:
                w.data("c1", S2C, encode_frame(0x1, b"masked by the server", mask_key=b"abcd"), t=t)
            else:
                w.data(
                    "c1",
                    S2C if i % 2 else C2S,
                    encode_frame(0x1, f"msg {i}".encode(), mask_key=None if i % 2 else b"wxyz"),
                    t=t,
                )
        w.data(
            "c1", C2S, encode_frame(0x8, build_close_payload(1000, ""), mask_key=b"abcd"), t=t + 1
        )
        w.data("c1", S2C, encode_frame(0x8, build_close_payload(1000, "")), t=t + 1)
        w.end("c1", "server closed the connection", t=t + 1)


@pytest.mark.parametrize("plain", [True, False])
def test_replay_summary_rows_are_what_rich_draws(tmp_path: Path, plain: bool) -> None:
    path = tmp_path / "s.jsonl"
    write_capture(path, 40)
    capture, convs = open_capture(str(path))

    def draw(console: Console) -> None:
        print_session(console, convs, capture.kind, detail="summary", plain=plain)

    assert fast_drawn(draw, plain) == rich_drawn(draw, plain)
    args = ["replay", str(path), "--all", "-d", "summary", *(["--plain"] if plain else [])]
    out = cli(*args)
    assert out.exit_code == 1  # the server masked some frames
    assert out.stdout == rich_drawn(draw, plain)
    assert "message TEXT 2 frames" in out.stdout and "\x1b" not in out.stdout


def test_replay_fields_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_capture(path, 40)
    fields = cli("replay", str(path), "--all", "--plain", "-d", "fields").stdout
    rows = [line for line in fields.splitlines() if line.startswith("0x")]
    assert len({tuple(i for i, c in enumerate(r) if c == "|")[:5] for r in rows}) == 1
    assert "|payload is masked (client to server)" in fields and "\x1b" not in fields
    full = cli("replay", str(path), "--all", "--plain", "-d", "bytes").stdout
    assert full.count("Frame layout, RFC 6455") == 6
    n = full.count("\n#")
    assert (
        "frames 4-" in full
        and "drawn as summary lines; replay on a terminal steps through them" in full
    )
    assert n >= 50 and "\x1b" not in full


def test_replay_says_who_closed(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_capture(path, 3, hex_data=True)  # version 1: lines edited as text below
    out = cli("replay", str(path), "--all", "--plain", "-d", "summary").stdout
    assert "closed by the client with 1000 normal closure, both close frames exchanged" in " ".join(
        out.split()
    )
    cut = tmp_path / "cut.jsonl"
    cut.write_text(
        "".join(
            line for line in path.read_text().splitlines(keepends=True) if '"hex":"88' not in line
        )
    )
    out = cli("replay", str(cut), "--all", "--plain", "-d", "summary").stdout
    assert "no close frame before the capture ends (1006)" in " ".join(out.split())
    assert "Role." not in out and "None" not in out


def test_colour_for_a_few_frames_plain_rows_for_many() -> None:
    from wsdebug.ui.rows import COLOUR_MAX

    def coloured(n: int) -> str:
        result = decode_bytes(server_frames(n), sender=Role.SERVER)
        console = Console(
            file=io.StringIO(),
            width=100,
            force_terminal=True,
            color_system="truecolor",
            highlight=False,
            emoji=False,
            markup=False,
        )
        print_decoded(result, detail="summary", console=console)
        return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]

    few = [line for line in coloured(12).splitlines() if "TEXT" in line]
    assert few and all("\x1b[" in line for line in few)
    many = coloured(COLOUR_MAX + 1).splitlines()
    rows = [line for line in many if line.startswith("#")]
    assert len(rows) == COLOUR_MAX + 1 and not any("\x1b" in line for line in rows)
    assert rows[0].startswith("#1 ← TEXT")
