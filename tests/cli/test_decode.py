r"""``wsdebug decode``: every input format and channel, the JSON document, problems, exit codes.

Frames are built with the codec's own :func:`encode_frame`, then written out here in each format
a user might paste (xxd, ``hexdump -C``, Wireshark dumps, ``b'...'`` literals, ...); ``decode
--json`` must give back exactly those frames.  Most tests go through typer's CliRunner; a few run
``python -m wsdebug`` for real pipes, a real terminal (NO_COLOR) and the exit status.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wsdebug.cli import app
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.rules import Rule
from wsdebug.codec.spec import Opcode

KEY = bytes.fromhex("37fa213d")
RFC_HELLO = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")  # RFC 6455 §5.7, masked "Hello"
SEED = bytes.fromhex("81 89 bc b8 2c b5 59 36 a5 50 12 0b c8 0f 3a")  # the seed's frame: "厉害了"
SEED_LITERAL = r"b'\x81\x89\xbc\xb8,\xb5Y6\xa5P\x12\x0b\xc8\x0f:'"
RFC7692_HELLO = bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00")  # RFC 7692 §7.2.3.1, compressed "Hello"

#: Five frames, in this order: (opcode, payload, mask key) -- masked and unmasked, text, binary
#: (48 zero bytes, so that ``hexdump -C`` folds two identical lines into a ``*``), ping, close.
SPECS: list[tuple[int, bytes, bytes | None]] = [
    (Opcode.TEXT, b"Hello", KEY),
    (Opcode.TEXT, "厉害了".encode(), bytes.fromhex("bcb82cb5")),
    (Opcode.BINARY, bytes(48), None),
    (Opcode.PING, b"ping!", bytes.fromhex("01020304")),
    (Opcode.CLOSE, (1000).to_bytes(2, "big") + b"bye", bytes.fromhex("a1b2c3d4")),
]
FRAMES = [encode_frame(op, payload, mask_key=key) for op, payload, key in SPECS]
DATA = b"".join(FRAMES)

ESC = "\x1b"
COLOUR_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def expected(frames: list[bytes] = FRAMES, specs: list = SPECS) -> list[tuple]:
    """(offset, size, opcode, masked, mask key, unmasked payload) of each frame, as built."""
    out, offset = [], 0
    for frame, (op, payload, key) in zip(frames, specs, strict=False):
        out.append(
            (
                offset,
                len(frame),
                int(op),
                key is not None,
                key.hex() if key else None,
                payload.hex(),
            )
        )
        offset += len(frame)
    return out


def frames_of(doc: dict[str, Any]) -> list[tuple]:
    return [
        (f["offset"], f["size"], f["opcode"], f["masked"], f["mask_key"], f["payload_hex"])
        for f in doc["frames"]
    ]


from tests.dumps import (  # noqa: E402
    follow_tcp_stream,
    hexdump_c,
    wireshark_hex_dump,
    wireshark_hex_dump_old,
    xxd,
    xxd_plain,
)

FORMATS = {
    "hex spaced": DATA.hex(" "),
    "hex packed": DATA.hex(),
    "hex upper": DATA.hex(" ").upper(),
    "hex colons": DATA.hex(":"),
    "hex dashes": DATA.hex("-"),
    "hex lines": "\n".join(DATA[i : i + 16].hex(" ") for i in range(0, len(DATA), 16)) + "\n",
    "hex crlf lines": "\r\n".join(DATA[i : i + 8].hex() for i in range(0, len(DATA), 8)) + "\r\n",
    "hex with comments": "# a capture\n"
    + DATA[:11].hex(" ")
    + "\n# the rest\n"
    + DATA[11:].hex(" ")
    + "\n",
    "0x list": " ".join(f"0x{b:02x}" for b in DATA),
    "0x commas": ", ".join(f"0x{b:02X}" for b in DATA),
    "c array": "unsigned char f[] = {" + ",".join(f"0x{b:02x}" for b in DATA) + "};",
    "backslash x": "".join(f"\\x{b:02x}" for b in DATA),
    "bytes repr": repr(DATA),
    "bytes repr lines": "\n".join(repr(f) for f in FRAMES),
    "double-quoted bytes": 'b"' + "".join(f"\\x{b:02x}" for b in DATA) + '"',
    "xxd": xxd(DATA),
    "xxd -p": xxd_plain(DATA),
    "hexdump -C": hexdump_c(DATA),
    "wireshark hex dump": wireshark_hex_dump(DATA),
    "wireshark hex dump (old)": wireshark_hex_dump_old(DATA),
}


def run(runner: CliRunner, *args: str, input: str | bytes | None = None, env: dict | None = None):
    result = runner.invoke(app, ["decode", *args], input=input, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def run_json(
    runner: CliRunner, *args: str, input: str | None = None, code: int = 0
) -> dict[str, Any]:
    result = run(runner, "--json", *args, input=input)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stderr == ""
    return json.loads(result.stdout)


def flat(text: str) -> str:
    """Output with line wrapping undone, for phrases that a narrow table may break."""
    return " ".join(text.split())


def one_line_error(result, status: int = 2) -> str:
    assert result.exit_code == status, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("wsdebug: "), result.stderr
    return lines[0]


# -- the frames themselves -------------------------------------------------------------------------


def test_fixture_frames_are_the_documented_ones() -> None:
    assert FRAMES[0] == RFC_HELLO
    assert FRAMES[1] == SEED
    assert eval(SEED_LITERAL) == SEED


def check_all_frames(doc: dict[str, Any]) -> None:
    assert frames_of(doc) == expected()
    assert doc["incomplete"] is None and doc["problems"] == []
    assert [f["problems"] for f in doc["frames"]] == [[]] * len(FRAMES)
    assert [f["text"] for f in doc["frames"][:2]] == ["Hello", "厉害了"]
    assert (doc["frames"][4]["close_code"], doc["frames"][4]["close_reason"]) == (1000, "bye")


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_gives_exactly_the_frames(runner: CliRunner, fmt: str) -> None:
    check_all_frames(run_json(runner, input=FORMATS[fmt]))  # standard input


@pytest.mark.parametrize("channel", ["args", "file", "file-dash"])
@pytest.mark.parametrize("fmt", ["hex lines", "bytes repr", "hexdump -C", "wireshark hex dump"])
def test_every_channel(runner: CliRunner, fmt: str, channel: str, tmp_path: Path) -> None:
    text = FORMATS[fmt]
    if channel == "args":
        doc = run_json(runner, text)
    elif channel == "file":
        path = tmp_path / "dump.txt"
        path.write_bytes(text.encode())
        doc = run_json(runner, "-f", str(path))
    else:
        doc = run_json(runner, "-f", "-", input=text)
    check_all_frames(doc)


def test_hexdump_fixture_really_folds_lines() -> None:
    assert "\n*\n" in FORMATS["hexdump -C"]  # so the '*' expansion is exercised


@pytest.mark.parametrize(
    "args",
    [
        [
            "81",
            "85",
            "37",
            "fa",
            "21",
            "3d",
            "7f",
            "9f",
            "4d",
            "51",
            "58",
        ],  # the README's first example
        ["0x81", "0x85", "0x37", "0xfa", "0x21", "0x3d", "0x7f", "0x9f", "0x4d", "0x51", "0x58"],
        ["8185", "37fa213d", "7f9f4d5158"],
        ["81:85:37:fa:21:3d:7f:9f:4d:51:58"],
        ["\\x81\\x85\\x37\\xfa\\x21\\x3d\\x7f\\x9f\\x4d\\x51\\x58"],
        ["b'\\x81\\x857\\xfa!=\\x7f\\x9fMQX'"],
        ["bytearray(b'\\x81\\x857\\xfa!=\\x7f\\x9fMQX')"],
    ],
    ids=["separate args", "0x args", "runs", "colons", "escapes", "literal", "bytearray"],
)
def test_rfc_hello_as_arguments(runner: CliRunner, args: list[str]) -> None:
    doc = run_json(runner, *args)
    assert frames_of(doc) == expected(FRAMES[:1], SPECS[:1])


def test_seed_bytes_literal(runner: CliRunner) -> None:
    doc = run_json(runner, SEED_LITERAL)
    (frame,) = doc["frames"]
    assert (
        frame["text"] == "厉害了"
        and frame["payload_length"] == 9
        and frame["mask_key"] == "bcb82cb5"
    )
    assert frame["message"]["text"] == "厉害了"
    result = run(runner, SEED_LITERAL)
    assert result.exit_code == 0
    assert "厉害了" in result.stdout and "1 frame, all valid" in result.stdout


@pytest.mark.parametrize("urlsafe", [False, True])
def test_base64(runner: CliRunner, urlsafe: bool) -> None:
    text = (
        base64.urlsafe_b64encode(DATA).decode().rstrip("=")
        if urlsafe
        else base64.b64encode(DATA).decode()
    )
    wrapped = "\n".join(text[i : i + 40] for i in range(0, len(text), 40))
    assert frames_of(run_json(runner, "--base64", wrapped)) == expected()
    assert frames_of(run_json(runner, "--base64", input=wrapped)) == expected()


def test_base64_is_not_hex_without_the_flag(runner: CliRunner) -> None:
    one_line_error(run(runner, base64.b64encode(RFC_HELLO).decode()))


# -- two streams ------------------------------------------------------------------------------------

#: A conversation in dump order: (sent by the server?, opcode, payload, mask key)
CONVERSATION = [
    (False, Opcode.TEXT, b"Hello", KEY),
    (True, Opcode.TEXT, b"World", None),
    (False, Opcode.PING, b"?", bytes.fromhex("01020304")),
    (True, Opcode.PONG, b"?", None),
]
TWO_WAY = [
    (server, encode_frame(op, payload, mask_key=key)) for server, op, payload, key in CONVERSATION
]


def _two_way_expected() -> list[tuple]:
    offsets = {False: 0, True: 0}  # offsets count within each direction's stream
    out = []
    for (server, op, payload, key), (_, frame) in zip(CONVERSATION, TWO_WAY, strict=False):
        out.append(
            (
                offsets[server],
                len(frame),
                int(op),
                key is not None,
                key.hex() if key else None,
                payload.hex(),
            )
        )
        offsets[server] += len(frame)
    return out


@pytest.mark.parametrize(
    "dump",
    [
        "\n".join(("s: " if s else "c: ") + f.hex(" ") for s, f in TWO_WAY),
        "\n".join(("< " if s else "> ") + f.hex(" ") for s, f in TWO_WAY),
        "\n".join(("S:" if s else "C:") + f.hex() for s, f in TWO_WAY),
        "# a conversation\n"
        + "\n".join(("s: " if s else "c: ") + f.hex(" ") + "\n" for s, f in TWO_WAY),
        follow_tcp_stream(TWO_WAY),
    ],
    ids=[
        "c/s markers",
        "angle markers",
        "upper markers",
        "markers with comments",
        "follow tcp stream",
    ],
)
def test_two_way_dumps(runner: CliRunner, dump: str) -> None:
    doc = run_json(runner, input=dump)
    assert frames_of(doc) == _two_way_expected()
    assert all(f["problems"] == [] for f in doc["frames"])  # masked client, unmasked server: right
    result = run(runner, "--plain", "-d", "summary", input=dump)
    assert result.exit_code == 0
    summary = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert [line.split()[1] for line in summary] == ["->", "<-", "->", "<-"]
    assert [line.split()[2] for line in summary] == ["TEXT", "TEXT", "PING", "PONG"]


def test_two_way_dump_checks_each_direction(runner: CliRunner) -> None:
    """A masked server frame and an unmasked client frame are both wrong in a marked dump."""
    dump = f"c: {encode_frame(Opcode.TEXT, b'hi').hex()}\ns: {encode_frame(Opcode.TEXT, b'yo', mask_key=KEY).hex()}\n"
    doc = run_json(runner, input=dump, code=1)
    rules = [[p["rule"] for p in f["problems"]] for f in doc["frames"]]
    assert rules == [["UNMASKED_CLIENT_FRAME"], ["MASKED_SERVER_FRAME"]]
    assert [f["problems"][0]["offset"] for f in doc["frames"]] == [1, 1]


def test_two_way_dump_cannot_start_without_a_marker(runner: CliRunner) -> None:
    line = one_line_error(run(runner, input="81 05 48 65 6c 6c 6f\ns: 81 00\n"))
    assert "before the first direction marker" in line


# -- several frames, incomplete input ----------------------------------------------------------------


def test_several_frames_in_order_human(runner: CliRunner) -> None:
    result = run(runner, "--plain", "-d", "summary", DATA.hex())
    assert result.exit_code == 0
    heads = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert [h.split()[0] for h in heads] == ["#1", "#2", "#3", "#4", "#5"]
    assert [h.split()[2] for h in heads] == ["TEXT", "TEXT", "BINARY", "PING", "CLOSE"]
    assert result.stdout.rstrip().endswith("5 frames, all valid")


@pytest.mark.parametrize(
    ("data", "frames", "offset", "needed"),
    [
        (bytes.fromhex("81"), 0, 0, 1),  # the second header byte
        (bytes.fromhex("81 05 48"), 0, 0, 4),  # 4 of 5 payload bytes missing
        (
            RFC_HELLO[:4],
            0,
            0,
            7,
        ),  # inside the mask key: the size is known, so the rest of the frame
        (
            bytes.fromhex("82 fe 01 00 aa"),
            0,
            0,
            3 + 256,
        ),  # 16-bit length known, mask key and payload not
        (RFC_HELLO + bytes.fromhex("82 7e 01"), 1, 11, 1),  # inside the 16-bit length
        (
            RFC_HELLO + bytes.fromhex("82 7e 01 00") + bytes(10),
            1,
            11,
            246,
        ),  # 256-byte payload, 10 there
        (RFC_HELLO + bytes.fromhex("82 7f 00 00 00 00 00 01 00 00"), 1, 11, 65536),  # 64-bit length
        (DATA[:-1], 4, len(DATA) - len(FRAMES[-1]), 1),
    ],
)
def test_incomplete_input(
    runner: CliRunner, data: bytes, frames: int, offset: int, needed: int
) -> None:
    doc = run_json(runner, data.hex(" "), code=1)
    assert len(doc["frames"]) == frames
    assert doc["incomplete"] == {"offset": offset, "needed": needed}
    assert [(p["rule"], p["offset"], p["rfc"]) for p in doc["problems"]] == [
        ("TRUNCATED", offset, "RFC 6455 §5.2")
    ]
    result = run(runner, "-d", "summary", data.hex())
    assert result.exit_code == 1
    s = "s" if needed != 1 else ""
    assert f"an incomplete frame at offset {offset} that needs {needed:,} more byte{s}" in flat(
        result.stdout
    )
    assert "the stream ended inside a frame" in result.stdout and "RFC 6455 §5.2" in result.stdout


# -- every problem kind ---------------------------------------------------------------------------------

U = bytes.fromhex
PROBLEMS: list[tuple[str, bytes, list[str], int]] = [
    # (rule, input, extra options, offset of the byte that broke it)
    ("RSV_WITHOUT_EXTENSION", encode_frame(Opcode.TEXT, b"x", rsv3=True), [], 0),
    ("RESERVED_OPCODE", encode_frame(0x3, b""), [], 0),
    ("CONTROL_TOO_LONG", encode_frame(Opcode.PING, bytes(126)), [], 1),
    ("CONTROL_FRAGMENTED", encode_frame(Opcode.PING, b"", fin=False), [], 0),
    ("NON_MINIMAL_LENGTH", encode_frame(Opcode.TEXT, b"Hello", length_form=16), [], 2),
    ("LENGTH_HIGH_BIT", U("82 7f 80 00 00 00 00 00 00 01 00"), [], 2),
    ("UNMASKED_CLIENT_FRAME", encode_frame(Opcode.TEXT, b"Hello"), ["--from", "client"], 1),
    ("MASKED_SERVER_FRAME", RFC_HELLO, ["--from", "server"], 1),
    ("CLOSE_PAYLOAD_ONE_BYTE", encode_frame(Opcode.CLOSE, b"\x03"), [], 2),
    ("CLOSE_CODE_INVALID", encode_frame(Opcode.CLOSE, (1005).to_bytes(2, "big")), [], 2),
    ("CLOSE_REASON_UTF8", encode_frame(Opcode.CLOSE, U("03e8 fffe")), [], 4),
    ("INVALID_UTF8", encode_frame(Opcode.TEXT, U("fffe")), [], 2),
    ("CONTINUATION_WITHOUT_START", encode_frame(Opcode.CONT, b"A"), [], 0),
    (
        "DATA_FRAME_INTERLEAVED",
        encode_frame(1, b"A", fin=False) + encode_frame(1, b"B", fin=False),
        [],
        3,
    ),
    ("FRAME_AFTER_CLOSE", encode_frame(Opcode.CLOSE, U("03e8")) + encode_frame(1, b"A"), [], 4),
    ("TRUNCATED", U("81 05 48"), [], 0),
    ("RSV1_ON_CONTROL", encode_frame(Opcode.PING, b"", rsv1=True), ["--deflate"], 0),
    ("RSV1_ON_CONTINUATION", U("41 01 41 c0 01 41"), ["--deflate"], 3),
    ("INFLATE_FAILED", U("c1 02 ff ff"), ["--deflate"], 2),
]
#: Rules that ``decode`` cannot meet: the handshake ones, and the size limit (decode has none).
NOT_FROM_DECODE = {r for r in Rule if r.name.startswith("HANDSHAKE_")} | {Rule.MESSAGE_TOO_BIG}


def test_every_frame_rule_is_covered() -> None:
    assert {Rule[name] for name, *_ in PROBLEMS} == set(Rule) - NOT_FROM_DECODE


@pytest.mark.parametrize(("rule", "data", "opts", "offset"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_problem_in_json(
    runner: CliRunner, rule: str, data: bytes, opts: list[str], offset: int
) -> None:
    doc = run_json(runner, *opts, data.hex(), code=1)
    found = [p for f in doc["frames"] for p in f["problems"]] + doc["problems"]
    mine = [p for p in found if p["rule"] == rule]
    assert mine, found
    p = mine[0]
    assert p["offset"] == offset
    assert p["rfc"] == Rule[rule].section and p["close_code"] == Rule[rule].close_code
    assert p["message"].startswith(Rule[rule].summary)


@pytest.mark.parametrize(("rule", "data", "opts", "offset"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_problem_shown_with_rfc_section(
    runner: CliRunner, rule: str, data: bytes, opts: list[str], offset: int
) -> None:
    """The problem line names the byte, the rule and its RFC section at every detail level."""
    summary, section = re.escape(Rule[rule].summary), re.escape(Rule[rule].section)
    for style in (["-d", "bytes"], ["--plain", "-d", "summary"], ["--plain", "-d", "fields"]):
        result = run(runner, *opts, *style, data.hex())
        assert result.exit_code == 1
        cross, dash = ("x", "--?") if "--plain" in style else ("✗", "—")
        line = rf"{cross} offset 0x{offset:04x}[^✗\n]*?{summary}[^✗]*? {dash} {section}"
        assert re.search(line, flat(result.stdout)), (style, result.stdout)


def test_from_client_turns_on_mask_checks(runner: CliRunner) -> None:
    unmasked = encode_frame(Opcode.TEXT, b"Hello").hex()
    assert run(runner, unmasked).exit_code == 0  # sender unknown: no masking rule applies
    assert run(runner, "--from", "server", unmasked).exit_code == 0
    assert run(runner, "--from", "client", RFC_HELLO.hex()).exit_code == 0
    assert run(runner, "--from", "CLIENT", unmasked).exit_code == 1
    result = run(runner, "--plain", "-d", "summary", "--from", "client", unmasked)
    assert result.exit_code == 1
    assert (
        "client-to-server frame is not masked" in result.stdout and "RFC 6455 §5.1" in result.stdout
    )
    assert "wsdebug: --from must be client or server" in one_line_error(
        run(runner, "--from", "bob", unmasked)
    )


# -- permessage-deflate -----------------------------------------------------------------------------------


def test_deflate_rfc7692_hello(runner: CliRunner) -> None:
    doc = run_json(runner, "--deflate", RFC7692_HELLO.hex(" "))
    (frame,) = doc["frames"]
    assert frame["rsv1"] and frame["payload_hex"] == "f248cdc9c90700"
    assert frame["inflated_hex"] == b"Hello".hex() and frame["text"] == "Hello"
    assert (
        frame["message"]["compressed"]
        and frame["message"]["text"] == "Hello"
        and frame["message"]["size"] == 5
    )
    result = run(runner, "--deflate", "-d", "summary", RFC7692_HELLO.hex())
    assert result.exit_code == 0 and '"Hello"' in result.stdout


def test_without_deflate_rsv1_is_a_problem(runner: CliRunner) -> None:
    doc = run_json(runner, RFC7692_HELLO.hex(), code=1)
    rules = [p["rule"] for p in doc["frames"][0]["problems"]]
    assert rules == [
        "RSV_WITHOUT_EXTENSION",
        "INVALID_UTF8",
    ]  # and the compressed bytes are not text
    assert doc["frames"][0]["inflated_hex"] is None


def test_deflate_shared_window_and_fragments(runner: CliRunner) -> None:
    # RFC 7692 §7.2.3.2: the second "Hello" refers back into the first message's window
    shared = RFC7692_HELLO + U("c1 05 f2 00 11 00 00")
    doc = run_json(runner, "--deflate", shared.hex())
    assert [f["text"] for f in doc["frames"]] == ["Hello", "Hello"]
    doc = run_json(runner, "--deflate", "--no-context-takeover", shared.hex(), code=1)
    assert [p["rule"] for p in doc["frames"][1]["problems"]] == ["INFLATE_FAILED"]
    # RFC 7692 §7.2.3.1 split over two frames: RSV1 only on the first
    doc = run_json(runner, "--deflate", "41 03 f2 48 cd 80 04 c9 c9 07 00")
    assert doc["frames"][1]["message"] == {
        "opcode": 1,
        "opcode_name": "TEXT",
        "offset": 0,
        "frames": 2,
        "compressed": True,
        "size": 5,
        "text": "Hello",
        "payload_hex": None,
        "problems": [],
    }


# -- the JSON document --------------------------------------------------------------------------------------

FRAME_KEYS = {
    "direction",
    "offset",
    "size",
    "fin",
    "rsv1",
    "rsv2",
    "rsv3",
    "opcode",
    "opcode_name",
    "masked",
    "mask_key",
    "length_form",
    "payload_length",
    "payload_hex",
    "inflated_hex",
    "text",
    "close_code",
    "close_reason",
    "fields",
    "problems",
}


def test_json_document_shape(runner: CliRunner) -> None:
    doc = run_json(runner, DATA.hex())
    assert set(doc) == {"schema", "frames", "incomplete", "problems"} and doc["schema"] == 1
    for frame, raw in zip(doc["frames"], FRAMES, strict=False):
        assert FRAME_KEYS <= set(frame) <= FRAME_KEYS | {"message"}
        assert ("message" in frame) == (frame["opcode"] in (1, 2) and frame["fin"])
        # the fields cover every byte of the frame exactly once, in wire order
        spans = sorted({(f["offset"], f["size"]) for f in frame["fields"]})
        pos = frame["offset"]
        for start, size in spans:
            assert start == pos, spans
            pos += size
        assert pos == frame["offset"] + len(raw)
        for f in frame["fields"]:
            assert {"name", "offset", "size", "value", "meaning"} <= set(f)
            if f["size"] > 1 or "bits" not in f:
                off = f["offset"] - frame["offset"]
                assert f["value"] == raw[off : off + f["size"]].hex()  # as on the wire (masked)
    fin = doc["frames"][0]["fields"][0]
    assert (fin["name"], fin["bits"], fin["value"]) == ("FIN", 128, 1)
    assert [f["opcode_name"] for f in doc["frames"]] == ["TEXT", "TEXT", "BINARY", "PING", "CLOSE"]
    assert [f["length_form"] for f in doc["frames"]] == ["7-bit"] * 5


def test_json_opcode_names_and_length_forms(runner: CliRunner) -> None:
    data = encode_frame(0xB, b"") + encode_frame(2, bytes(300)) + encode_frame(2, bytes(70000))
    doc = run_json(runner, data.hex(), code=1)
    assert [f["opcode_name"] for f in doc["frames"]] == ["RESERVED-0xB", "BINARY", "BINARY"]
    assert [f["length_form"] for f in doc["frames"]] == ["7-bit", "16-bit", "64-bit"]
    assert [f["payload_length"] for f in doc["frames"]] == [0, 300, 70000]


# -- output styles ------------------------------------------------------------------------------------------

MIXED = (
    DATA + encode_frame(Opcode.TEXT, b"x", rsv2=True) + U("81 05 48")
)  # frames, a problem, a truncation
NOT_PLAIN = re.compile(
    "[\u2500-\u259f\u2190-\u21ff\u2713\u2717\u2014\u00b7\u2026]"
)  # boxes, arrows, ✓✗—·…


@pytest.mark.parametrize("detail", ["summary", "fields", "bytes"])
def test_plain_is_ascii_without_escapes(runner: CliRunner, detail: str) -> None:
    result = run(runner, "--plain", "-d", detail, MIXED.hex(), env={"FORCE_COLOR": "1"})
    assert result.exit_code == 1
    out = result.stdout
    assert ESC not in out
    assert not NOT_PLAIN.search(out), NOT_PLAIN.findall(out)
    # only the RFC section sign and the payload's own characters are not ASCII
    assert set(re.sub(r"[\x20-\x7e\n]", "", out)) <= set("§厉害了")
    assert (
        "1 with problems" not in out and "2 with problems" in out
    )  # the bad frame and the truncation


def test_colour_when_forced_and_none_with_no_color(runner: CliRunner) -> None:
    forced = run(runner, "-d", "summary", MIXED.hex(), env={"FORCE_COLOR": "1"})
    assert _colour_codes(forced.stdout), "FORCE_COLOR should turn colours on"
    both = run(runner, "-d", "summary", MIXED.hex(), env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not _colour_codes(both.stdout)
    piped = run(runner, "-d", "summary", MIXED.hex())  # not a terminal, nothing forced
    assert ESC not in piped.stdout


def _colour_codes(out: str) -> list[str]:
    """SGR parameters that set a colour (30-38, 40-48, 90-97, 100-107), ignoring bold and dim."""
    found = []
    for params in COLOUR_SGR.findall(out):
        nums = [int(n) for n in params.split(";") if n]
        i = 0
        while i < len(nums):
            n = nums[i]
            if n in (38, 48):
                found.append(params)
                break
            if 30 <= n <= 37 or 40 <= n <= 47 or 90 <= n <= 97 or 100 <= n <= 107:
                found.append(params)
            i += 1
    return found


def test_detail_levels(runner: CliRunner) -> None:
    summary = run(runner, "-d", "summary", RFC_HELLO.hex()).stdout
    fields = run(runner, "-d", "fields", RFC_HELLO.hex()).stdout
    full = run(runner, RFC_HELLO.hex()).stdout  # bytes is the default
    assert len(summary.splitlines()) == 2
    assert "masking key" in fields and "Frame layout" not in fields
    assert "Frame layout, RFC 6455 §5.2" in full and "Unmasking, RFC 6455 §5.3" in full
    assert "7f ^ 37 = 48" in full  # byte 0 of the payload unmasked by key byte 0
    assert "wsdebug: --detail must be summary, fields or bytes" in one_line_error(
        run(runner, "-d", "all", "81 00")
    )


def test_export_svg_and_html(runner: CliRunner, tmp_path: Path) -> None:
    svg, html = tmp_path / "out.svg", tmp_path / "out.html"
    result = run(
        runner, "-d", "summary", "--export-svg", str(svg), "--export-html", str(html), DATA.hex()
    )
    assert result.exit_code == 0 and "5 frames, all valid" in result.stdout
    svg_text = svg.read_text(encoding="utf-8").replace("&#160;", " ")
    assert svg_text.lstrip().startswith("<svg") and svg_text.rstrip().endswith("</svg>")
    html_text = html.read_text(encoding="utf-8")
    assert html_text.lstrip().lower().startswith("<!doctype html>")
    for word in ("Hello", "BINARY", "PING", "CLOSE", "5 frames", "all valid"):
        assert word in svg_text and word in html_text, word


def test_export_to_unwritable_path(runner: CliRunner, tmp_path: Path) -> None:
    result = run(
        runner, "-d", "summary", "--export-svg", str(tmp_path / "no" / "such" / "dir.svg"), "81 00"
    )
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert (
        result.stderr.startswith("wsdebug: cannot write export:")
        and len(result.stderr.splitlines()) == 1
    )


# -- unreadable input: exit 2, one line saying where -----------------------------------------------------

BAD = [
    ("81 8", "line 1, column 4: odd number of hex digits (1)"),
    ("81 05\n48 6g", "line 2, column 5: 'g' is not a hex digit"),
    ("81 05 48 65 6c 6c 6f zz", "line 1, column 22: 'z' is not a hex digit"),
    ("8105\n\n48656c6c6", "line 3, column 9: odd number of hex digits (9)"),
    ("0x81 0x8g", "line 1, column 9: 'g' is not a hex digit"),
    ("\\x81\\x8", "line 1, column 5: \\x must be followed by two hex digits"),
    ("b'\\x81\\x85", "line 1, column 1: string literal is not closed on this line"),
    ("c: 81 05\ns: 48 6g", "line 2, column 8: 'g' is not a hex digit"),
    ("> 81 05 48 65 6c 6c 6f\n< 81 0", "line 2, column 6: odd number of hex digits (1)"),
    (xxd(RFC_HELLO).replace("7f9f", "7fxf"), "line 1, column 28: 'x' is not a hex digit"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_unreadable_input(runner: CliRunner, text: str, message: str) -> None:
    for result in (run(runner, text), run(runner, input=text), run(runner, "--json", input=text)):
        assert one_line_error(result) == f"wsdebug: unreadable input: {message}"


@pytest.mark.parametrize("text", ["", " \n\t\n", "# only a comment\n"])
def test_empty_input(runner: CliRunner, text: str) -> None:
    assert one_line_error(run(runner, input=text)) == "wsdebug: unreadable input: no bytes in input"


def test_bad_base64(runner: CliRunner) -> None:
    line = one_line_error(run(runner, "--base64", "gQVI\nZW!s"))
    assert line == "wsdebug: unreadable input: line 2, column 3: '!' is not a base64 character"


def test_unreadable_files(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "missing.hex"
    assert one_line_error(run(runner, "-f", str(missing))).startswith(
        f"wsdebug: cannot read {missing}:"
    )
    assert one_line_error(run(runner, "-f", str(tmp_path))).startswith(
        f"wsdebug: cannot read {tmp_path}:"
    )
    binary = tmp_path / "frame.bin"
    binary.write_bytes(RFC_HELLO)  # raw bytes, not a dump of them
    assert one_line_error(run(runner, "-f", str(binary))).startswith(
        "wsdebug: unreadable input: line 1, column 1:"
    )
    good = tmp_path / "good.hex"
    good.write_text(RFC_HELLO.hex())
    line = one_line_error(run(runner, "-f", str(good), "81 00"))
    assert line == "wsdebug: give hex as arguments or with -f FILE, not both"


def test_sample_files_decode(runner: CliRunner) -> None:
    root = Path(__file__).resolve().parents[2] / "captures"
    doc = run_json(runner, "-f", str(root / "seed-chinese.hex"))
    assert [f["text"] for f in doc["frames"]] == ["厉害了"]
    doc = run_json(runner, "-f", str(root / "rfc6455-5.7.hex"))
    names = [
        "TEXT",
        "TEXT",
        "TEXT",
        "CONT",
        "PING",
        "PONG",
        "BINARY",
        "BINARY",
    ]  # the RFC 6455 §5.7 examples
    assert [f["opcode_name"] for f in doc["frames"]] == names
    assert [f["payload_length"] for f in doc["frames"][-2:]] == [256, 65536]


# -- real processes: pipes, a terminal, exit statuses ----------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "WSDEBUG_TRACEBACK")
    }
    env.update(COLUMNS="120", PYTHONIOENCODING="utf-8", **extra)
    return env


def wsdebug(*args: str, stdin: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wsdebug", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(**extra),
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL if stdin is None else None,
    )


def test_subprocess_stdin_pipe_and_exit_statuses() -> None:
    ok = wsdebug("decode", "--from", "client", "--json", stdin=xxd(RFC_HELLO + SEED))
    assert ok.returncode == 0 and ok.stderr == ""
    assert [f["text"] for f in json.loads(ok.stdout)["frames"]] == ["Hello", "厉害了"]

    bad = wsdebug("decode", "--from", "client", stdin=encode_frame(Opcode.TEXT, b"Hello").hex())
    assert (
        bad.returncode == 1
        and "client-to-server frame is not masked" in bad.stdout
        and bad.stderr == ""
    )

    odd = wsdebug("decode", stdin="81 05\n48 65 6c 6c 6")
    assert odd.returncode == 2 and odd.stdout == ""
    assert (
        odd.stderr == "wsdebug: unreadable input: line 2, column 13: odd number of hex digits (1)\n"
    )

    empty = wsdebug("decode", stdin="")
    assert (
        empty.returncode == 2 and empty.stderr == "wsdebug: unreadable input: no bytes in input\n"
    )


def test_subprocess_no_color_in_a_pipe() -> None:
    proc = wsdebug("decode", RFC_HELLO.hex(), NO_COLOR="1")
    assert proc.returncode == 0 and ESC not in proc.stdout and "Hello" in proc.stdout


def _in_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsdebug", *args], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=30), out.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_subprocess_no_color_on_a_terminal() -> None:
    env = _env(TERM="xterm-256color")
    status, coloured = _in_terminal(["decode", "-d", "summary", RFC_HELLO.hex()], env)
    assert status == 0 and _colour_codes(coloured), "a terminal gets colours"
    status, plain = _in_terminal(
        ["decode", "-d", "summary", RFC_HELLO.hex()], {**env, "NO_COLOR": "1"}
    )
    assert status == 0 and "Hello" in plain
    assert not _colour_codes(plain), COLOUR_SGR.findall(plain)
    # nothing given and standard input a terminal: say so rather than wait
    status, out = _in_terminal(["decode"], env)
    assert status == 2 and "no input" in out and "Traceback" not in out


def test_two_stream_json_says_who_sent_each_frame(runner: CliRunner) -> None:
    text = "c: 81 85 37 fa 21 3d 7f 9f 4d 51 58\ns: 81 05 48 65 6c 6c 6f\n"
    result = runner.invoke(app, ["decode", "--json"], input=text)
    assert result.exit_code == 0, result.stderr
    frames = json.loads(result.stdout)["frames"]
    assert [(f["direction"], f["offset"], f["text"]) for f in frames] == [
        ("c2s", 0, "Hello"),
        ("s2c", 0, "Hello"),
    ]


def test_deflate_output_is_capped_by_max_size(runner: CliRunner) -> None:
    """A small paste must not inflate into gigabytes: --max-size (64 MiB by default) stops it."""
    import zlib

    comp = zlib.compressobj(wbits=-15)
    bomb = (comp.compress(b"\0" * 5_000_000) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
    frame = encode_frame(2, bomb, rsv1=True)
    result = runner.invoke(
        app, ["decode", "--deflate", "--max-size", "100000", "--json"], input=frame.hex()
    )
    assert result.exit_code == 1
    (rec,) = json.loads(result.stdout)["frames"]
    assert [p["rule"] for p in rec["problems"]] == ["MESSAGE_TOO_BIG"] and rec[
        "inflated_hex"
    ] is None
