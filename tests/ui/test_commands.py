"""The prompt's command language (wsdebug.ui.commands.parse_command), without any terminal."""

from __future__ import annotations

import pytest

from wsdebug.ui.commands import COMMANDS, HELP, Command, CommandError, parse_command


def err(line: str) -> str:
    with pytest.raises(CommandError) as info:
        parse_command(line)
    return str(info.value)


# -- text -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["hello", "hello world", " /not a command", "厉害了", "[bold]x[/bold]", "a\x00b"]
)
def test_a_plain_line_is_a_text_message_as_typed(line: str) -> None:
    assert parse_command(line) == Command("text", (line,))


@pytest.mark.parametrize(
    ("line", "text"), [("//text", "/text"), ("//", "/"), ("//ping hi", "/ping hi"), ("///x", "//x")]
)
def test_double_slash_escapes_a_leading_slash(line: str, text: str) -> None:
    assert parse_command(line) == Command("text", (text,))


# -- binary and raw ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "data"),
    [
        ("/binary 01 02", b"\x01\x02"),
        ("/binary 0102ff", b"\x01\x02\xff"),
        ("/binary 0x01,0x02", b"\x01\x02"),
        ("/bin 00", b"\x00"),
        ("/BINARY   de ad  ", b"\xde\xad"),
    ],
)
def test_binary(line: str, data: bytes) -> None:
    assert parse_command(line) == Command("binary", (data,))


def test_raw_keeps_the_exact_bytes() -> None:
    assert parse_command("/raw 81 05 48 65 6c 6c 6f") == Command("raw", (b"\x81\x05Hello",))
    # a malformed frame is the point of /raw: nothing is checked but the hex
    assert parse_command("/raw ff") == Command("raw", (b"\xff",))


@pytest.mark.parametrize("name", ["binary", "raw"])
def test_hex_commands_need_bytes(name: str) -> None:
    for line in (f"/{name}", f"/{name}   "):
        assert err(line).startswith(f"/{name} needs hex bytes")


@pytest.mark.parametrize(
    ("line", "column", "char", "what"),
    [
        ("/binary 01 0g", 13, "g", "'g' is not a hex digit"),
        ("/raw   zz", 8, "z", "'z' is not a hex digit"),
        ("/binary 0102 3", 14, "3", "odd number of hex digits"),
    ],
)
def test_bad_hex_says_where_in_the_typed_line(line: str, column: int, char: str, what: str) -> None:
    """The column counts from the start of the line as typed (1-based), not inside the argument."""
    message = err(line)
    assert message.startswith(f"{line.split()[0]}: column {column}: "), message
    assert what in message
    assert line[column - 1] == char


# -- control frames ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ping", "pong"])
def test_ping_pong_payloads(name: str) -> None:
    assert parse_command(f"/{name}") == Command(name, (b"",))
    assert parse_command(f"/{name} hi") == Command(name, (b"hi",))
    assert parse_command(f"/{name} 厉害") == Command(name, ("厉害".encode(),))
    assert parse_command(f"/{name} " + "a" * 125) == Command(name, (b"a" * 125,))


@pytest.mark.parametrize("name", ["ping", "pong"])
def test_control_payload_over_125_bytes_is_refused(name: str) -> None:
    message = err(f"/{name} " + "a" * 126)
    assert "125" in message and "126" in message and "5.5" in message
    # the limit is in bytes of UTF-8, not characters: 42 three-byte characters = 126 bytes
    assert "126" in err(f"/{name} " + "厉" * 42)


@pytest.mark.parametrize(
    ("line", "code", "reason"),
    [
        ("/close", 1000, ""),
        ("/close 4000", 4000, ""),
        ("/close 4000 bye", 4000, "bye"),
        ("/close 1001 going away now", 1001, "going away now"),
        ("/close 0", 0, ""),
        ("/close 65535 x", 65535, "x"),
        ("/close 1000 " + "a" * 123, 1000, "a" * 123),
    ],
)
def test_close(line: str, code: int, reason: str) -> None:
    assert parse_command(line) == Command("close", (code, reason))


@pytest.mark.parametrize("line", ["/close abc", "/close bye 1000", "/close 10.5"])
def test_close_code_must_be_a_number(line: str) -> None:
    assert "code must be a number" in err(line)


def test_close_code_and_reason_limits() -> None:
    assert "0-65535" in err("/close 65536")
    assert "0-65535" in err("/close -1")
    assert "123 bytes" in err("/close 1000 " + "a" * 124)
    assert "123 bytes" in err("/close 1000 " + "é" * 62)  # 124 bytes of UTF-8


# -- fragments --------------------------------------------------------------------------------------


def test_frag() -> None:
    assert parse_command("/frag 3 abcdef") == Command("frag", (3, "abcdef"))
    assert parse_command("/frag 2 hello world") == Command("frag", (2, "hello world"))
    assert parse_command("/frag 1000 x") == Command("frag", (1000, "x"))


@pytest.mark.parametrize("line", ["/frag 0 abc", "/frag -2 abc", "/frag 1001 abc"])
def test_frag_count_out_of_range(line: str) -> None:
    assert "1-1000" in err(line)


@pytest.mark.parametrize("line", ["/frag", "/frag abc", "/frag x 3"])
def test_frag_needs_a_count(line: str) -> None:
    assert "needs a count" in err(line)


# -- local commands ---------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["summary", "fields", "bytes"])
def test_detail(level: str) -> None:
    assert parse_command(f"/detail {level}") == Command("detail", (level,))


@pytest.mark.parametrize("line", ["/detail", "/detail all", "/detail BYTES x"])
def test_detail_bad_level(line: str) -> None:
    assert "summary|fields|bytes" in err(line)


def test_listen_commands() -> None:
    assert parse_command("/to c2") == Command("to", ("c2",))
    assert parse_command("/to  c2 ") == Command("to", ("c2",))
    assert "connection id" in err("/to")
    assert parse_command("/all") == Command("all")
    assert parse_command("/list") == Command("list")


def test_help_and_quit() -> None:
    assert parse_command("/help") == Command("help")
    assert parse_command("/quit") == Command("quit")
    assert parse_command("/exit") == Command("quit")
    assert parse_command("/QUIT") == Command("quit")


@pytest.mark.parametrize("line", ["/foo", "/", "/pingx", "/send hello"])
def test_unknown_command(line: str) -> None:
    message = err(line)
    assert message.startswith("unknown command /")
    assert "/help" in message


def test_every_documented_command_parses() -> None:
    examples = {
        "/binary": "/binary 00",
        "/ping": "/ping",
        "/pong": "/pong",
        "/close": "/close",
        "/raw": "/raw 00",
        "/frag": "/frag 2 ab",
        "/detail": "/detail bytes",
        "/to": "/to c1",
        "/all": "/all",
        "/list": "/list",
        "/help": "/help",
        "/quit": "/quit",
    }
    assert sorted(COMMANDS) == sorted(examples)
    for name, example in examples.items():
        assert parse_command(example).action == name[1:]
    assert any(h[0] == "//text" for h in HELP)
