"""Hostile payloads render inert: a peer cannot recolour, retitle, clear or reorder our terminal.

A real server on 127.0.0.1 sends the payloads to a wsdebug client whose RichReporter draws on a
colour console, at every detail level; then the same bytes go through ``wsdebug decode``.  The
raw output may contain rich's own colour codes (SGR, ``ESC [ ... m``) and nothing else: no
escape sequence, C0/C1 control or bidi override from the payload survives, and ``[bold]`` is
shown as typed, never read as markup.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable, Iterator

import pytest
from rich.console import Console
from typer.testing import CliRunner

from wsdebug.cli import app
from wsdebug.codec.close import build_close_payload
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import build_error_response, build_response, parse_request
from wsdebug.codec.spec import Opcode
from wsdebug.live.client import ClientOptions, ConnectError, open_client
from wsdebug.live.run import run_connect
from wsdebug.ui.theme import THEME

from .test_session import STEP, RawServer, arun, reporter_for, until

#: (payload, what must never reach the terminal raw, how it must show instead)
HOSTILE = [
    # rich draws our own colours in truecolor (38;2;r;g;b), never the basic red 31 the payload asks for
    ("\x1b[31mRED\x1b[0m", ["\x1b[31m"], r"\x1b[31mRED\x1b[0m"),
    ("\x1b]0;title\x07", ["\x1b]", "\x07"], r"\x1b]0;title\x07"),
    ("[bold]x[/bold]", [], "[bold]x[/bold]"),
    ("\u202eevil", ["\u202e"], r"\u202eevil"),
    ("a\x00b", ["\x00"], r"a\x00b"),
    ("\x9b2J", ["\x9b"], r"\x9b2J"),
    ("\x1bc reset", ["\x1bc"], r"\x1bc reset"),
    ("over\rwritten", ["\r"], r"over\rwritten"),
    (
        "\u2066isolate\u2069 \u200fmark",
        ["\u2066", "\u2069", "\u200f"],
        r"\u2066isolate\u2069 \u200fmark",
    ),
    ("del\x7f\x85nel", ["\x7f", "\x85"], r"del\x7f\x85nel"),
]
PAYLOADS = [p for p, _, _ in HOSTILE]
NEVER = sorted({m for _, marks, _ in HOSTILE for m in marks})
SHOWN = [shown for _, _, shown in HOSTILE]

SGR = re.compile(r"\x1b\[[0-9;]*m")  #: rich's own styling; the only escape sequences allowed
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def color_console(**kw: object) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    opts = dict(file=buf, force_terminal=True, color_system="truecolor", width=120, theme=THEME)
    opts.update(kw)
    return Console(**opts), buf  # type: ignore[arg-type]


def assert_inert(raw: str, *, shown: list[str] = SHOWN, styled: bool = True) -> str:
    """Check ``raw`` terminal output; return it without rich's colour codes."""
    for mark in NEVER:
        assert mark not in raw, f"{mark!r} reached the terminal raw"
    if styled:
        assert SGR.search(raw), (
            "the console should be drawing colours (else this test proves little)"
        )
    plain = SGR.sub("", raw)
    leftover = CONTROL.findall(plain)
    assert not leftover, f"control characters reached the terminal: {sorted(set(leftover))!r}"
    for text in shown:
        assert text in plain, f"{text!r} is not shown"
    return plain


# -- live: a server sends them to the client ------------------------------------------------------------


def hostile_frames() -> Iterator[bytes]:
    for p in PAYLOADS:
        yield encode_frame(Opcode.TEXT, p.encode("utf-8"))
    # a message split so that ESC and the rest of its sequence sit in different fragments
    yield encode_frame(Opcode.TEXT, b"split \x1b", fin=False)
    yield encode_frame(Opcode.CONT, b"[31mSPLIT", fin=True)
    yield encode_frame(Opcode.BINARY, b"\x1b[31m\x9b\x00")
    yield encode_frame(Opcode.PING, "\x1b]0;ping\x07\u202e".encode())
    yield encode_frame(Opcode.CLOSE, build_close_payload(4000, "\x1b[31mbye\u202e"))


async def _live_session(detail: str, plain: bool, console: Console) -> None:
    reporter = reporter_for(console, detail, plain=plain)
    async with RawServer() as server:
        live = await open_client(
            server.url, ClientOptions(deflate=False, close_timeout=2.0), reporter
        )
        pump = asyncio.create_task(live.pump())
        await until(lambda: server.writer is not None, "the handshake")
        for frame in hostile_frames():
            server.send(frame)
        await asyncio.wait_for(pump, STEP)
        assert live.close_event is not None and live.close_event.code == 4000
    reporter.close()


@pytest.mark.parametrize("detail", ["summary", "fields", "bytes"])
@pytest.mark.parametrize("plain", [False, True], ids=["colour", "plain-view"])
def test_live_frames_render_inert(detail: str, plain: bool) -> None:
    console, buf = color_console()
    arun(_live_session(detail, plain, console))
    out = assert_inert(
        buf.getvalue(),
        shown=[
            *SHOWN,
            r"split \x1b[31mSPLIT",
            "1b 5d 30 3b 70 69 6e 67 07 e2 80 ae",
            r"\x1b[31mbye\u202e",
        ],
    )
    assert "[bold]x[/bold]" in out
    assert "closed 4000" in out


def test_live_frames_inert_on_a_console_with_markup_and_highlighting() -> None:
    """Rich's defaults (markup, highlighter, emoji) on: payload text never goes through them."""
    console, buf = color_console(markup=True, highlight=True, emoji=True)
    arun(_live_session("bytes", False, console))
    assert "[bold]x[/bold]" in assert_inert(buf.getvalue())


# -- live: the handshake itself is hostile --------------------------------------------------------------


EVIL_HEAD = "\x1b[2J\x1b]0;pwned\x07\x9b31m"
EVIL_SHOWN = r"\x1b[2J\x1b]0;pwned\x07\x9b31m"


async def _hostile_handshake(answer: bytes | Callable[[bytes], bytes]) -> tuple[str, str | None]:
    """A server answers the opening handshake with ``answer`` (or ``answer(request head)``)."""
    console, buf = color_console()
    reporter = reporter_for(console, "fields")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        writer.write(answer(head) if callable(answer) else answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    error = None
    try:
        live = await open_client(f"ws://127.0.0.1:{port}/", ClientOptions(deflate=False), reporter)
        await live.close_transport()
    except ConnectError as exc:
        error = str(exc)
        reporter.error(error)  # as run_connect reports it
    finally:
        server.close()
    reporter.close()
    return buf.getvalue(), error


@pytest.mark.parametrize(
    "answer",
    [
        build_error_response(400, EVIL_HEAD, EVIL_HEAD + "\n"),
        b"HTTP/1.1 101 "
        + EVIL_HEAD.encode("latin-1")
        + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + EVIL_HEAD.encode("latin-1") + b"\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: "
        + EVIL_HEAD.encode("latin-1")
        + b"\r\nConnection: Upgrade\r\nX-Evil: "
        + EVIL_HEAD.encode("latin-1")
        + b"\r\n\r\n",
    ],
    ids=["400-reason-and-body", "101-reason-and-accept", "101-headers"],
)
def test_hostile_handshake_response_renders_inert(answer: bytes) -> None:
    raw, error = arun(_hostile_handshake(answer))
    assert error is not None, "the handshake must be refused"
    assert_inert(raw, shown=[EVIL_SHOWN])
    assert not CONTROL.search(SGR.sub("", raw))


def test_hostile_extra_headers_on_an_accepted_handshake() -> None:
    """Bytes 0x80-0xff are obs-text, allowed in a header value (RFC 9110 §5.5), so a strict client
    accepts a handshake whose header carries a C1 CSI or the UTF-8 of a bidi override; the head
    is drawn at detail fields, inert."""
    evil = "\x9b2J \xe2\x80\xaeevil"  # as latin-1: CSI 2J, then U+202E in UTF-8
    raw, error = arun(
        _hostile_handshake(
            lambda head: build_response(parse_request(head), headers=[("X-Evil", evil)])
        )
    )
    assert error is None, error
    out = assert_inert(raw, shown=[])
    assert "✓ accepted" in out and "X-Evil" in out and "2J" in out and "evil" in out


def test_run_connect_reports_a_hostile_refusal_inert() -> None:
    """The whole ``connect`` path: run_connect prints the ConnectError through the reporter."""

    async def main() -> str:
        console, buf = color_console()
        reporter = reporter_for(console)
        answer = build_error_response(403, EVIL_HEAD, "go away \x1b[5m\u202e\n")

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        try:
            status = await run_connect(
                f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/",
                ClientOptions(deflate=False),
                reporter,
            )
        finally:
            server.close()
        assert status == 1
        reporter.close()
        return buf.getvalue()

    raw = arun(main())
    for mark in ("\x1b[5m", "\u202e", "\x1b[2J", "\x1b]", "\x07", "\x9b"):
        assert mark not in raw
    assert "403" in raw


# -- offline: wsdebug decode -------------------------------------------------------------------------


def _hex(data: bytes) -> str:
    return data.hex(" ")


@pytest.mark.parametrize("detail", ["summary", "fields", "bytes"])
@pytest.mark.parametrize("masked", [False, True], ids=["server", "client"])
def test_decode_renders_inert(detail: str, masked: bool) -> None:
    key = b"\x37\xfa\x21\x3d" if masked else None
    data = b"".join(encode_frame(Opcode.TEXT, p.encode("utf-8"), mask_key=key) for p in PAYLOADS)
    data += encode_frame(Opcode.CLOSE, build_close_payload(1000, "\x1b[31mbye\u202e"), mask_key=key)
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["decode", _hex(data), "--detail", detail],
        env={"FORCE_COLOR": "1", "COLORTERM": "truecolor", "NO_COLOR": None, "COLUMNS": "120"},
    )
    assert result.exit_code == 0, result.output
    out = assert_inert(result.output, shown=[*SHOWN, r"\x1b[31mbye\u202e"])
    assert "[bold]x[/bold]" in out
    assert f"{len(PAYLOADS) + 1} frames" in out


def test_decode_plain_renders_inert_without_any_escape() -> None:
    data = b"".join(encode_frame(Opcode.TEXT, p.encode("utf-8")) for p in PAYLOADS)
    result = CliRunner().invoke(
        app,
        ["decode", _hex(data), "--plain"],
        env={"FORCE_COLOR": "1", "COLORTERM": "truecolor", "COLUMNS": "120"},
    )
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert_inert(result.output, styled=False)


def test_decode_json_keeps_payloads_exact() -> None:
    """--json is for programs: the text is exact, and JSON itself escapes every C0 control."""
    import json

    data = b"".join(encode_frame(Opcode.TEXT, p.encode("utf-8")) for p in PAYLOADS)
    result = CliRunner().invoke(app, ["decode", _hex(data), "--json"])
    assert result.exit_code == 0, result.output
    assert not re.search("[\x00-\x09\x0b-\x1f]", result.output)
    doc = json.loads(result.output)
    assert [f["text"] for f in doc["frames"]] == PAYLOADS
