"""``wsdebug encode``: every kind and option builds exactly the frame the codec would, and decodes back.

The expected bytes come from :func:`wsdebug.codec.frames.encode_frame` (and, for the RFC examples,
from the RFCs themselves); the output is read back with ``decode --json``.  Errors exit 2 with one
line.  A real pipe, ``encode -q | decode``, runs as two processes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from wsdebug.cli import app
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Opcode

KEY = bytes.fromhex("37fa213d")
RFC_HELLO = "818537fa213d7f9f4d5158"  # RFC 6455 §5.7: a single-frame masked text message "Hello"
RFC7692_HELLO = "c107f248cdc9c90700"  # RFC 7692 §7.2.3.1: "Hello" compressed, unmasked


def invoke(runner: CliRunner, *args: str, input: str | None = None):
    result = runner.invoke(app, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def hex_of(runner: CliRunner, *args: str) -> bytes:
    """``encode ARGS -q``: exactly one line of lower-case hex, nothing else."""
    result = invoke(runner, "encode", *args, "-q")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == "" and re.fullmatch(r"[0-9a-f]+\n", result.stdout), result.stdout
    return bytes.fromhex(result.stdout)


def decoded(runner: CliRunner, frame: bytes, *opts: str, code: int = 0) -> dict[str, Any]:
    result = invoke(runner, "decode", "--json", *opts, frame.hex())
    assert result.exit_code == code, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def one_line_error(result) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("wsdebug: "), result.stderr
    return lines[0]


# -- exact bytes -------------------------------------------------------------------------------------


def test_rfc_masked_hello_exactly(runner: CliRunner) -> None:
    result = invoke(runner, "encode", "text", "Hello", "--mask-key", "37fa213d", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, RFC_HELLO + "\n", "")
    for spelling in ("37 fa 21 3d", "37:fa:21:3d", "37FA213D"):
        assert hex_of(runner, "text", "Hello", "--mask-key", spelling).hex() == RFC_HELLO


def test_rfc_unmasked_examples(runner: CliRunner) -> None:
    assert hex_of(runner, "text", "Hello", "--no-mask").hex() == "810548656c6c6f"
    assert hex_of(runner, "ping", "Hello", "--no-mask").hex() == "890548656c6c6f"
    assert (
        hex_of(runner, "pong", "Hello", "--mask-key", "37fa213d").hex() == "8a8537fa213d7f9f4d5158"
    )
    assert hex_of(runner, "text", "Hel", "--no-mask", "--no-fin").hex() == "010348656c"
    assert hex_of(runner, "cont", "lo", "--no-mask").hex() == "80026c6f"


KINDS = [
    ("text", Opcode.TEXT, ["héllo, 厉害了"], "héllo, 厉害了".encode()),
    ("binary", Opcode.BINARY, ["00 01 fe ff", "--hex"], bytes.fromhex("0001feff")),
    ("ping", Opcode.PING, ["are you there?"], b"are you there?"),
    ("pong", Opcode.PONG, [], b""),
    ("close", Opcode.CLOSE, [], b""),
    ("cont", Opcode.CONT, ["more"], b"more"),
    ("continuation", Opcode.CONT, ["0x6d 0x6f", "--hex"], b"mo"),
    ("TEXT", Opcode.TEXT, ["upper-case kind"], b"upper-case kind"),
]


@pytest.mark.parametrize(("kind", "opcode", "args", "payload"), KINDS, ids=[k[0] for k in KINDS])
def test_every_kind(
    runner: CliRunner, kind: str, opcode: int, args: list[str], payload: bytes
) -> None:
    assert hex_of(runner, kind, *args, "--no-mask") == encode_frame(opcode, payload)
    key = bytes.fromhex("a1b2c3d4")
    frame = hex_of(runner, kind, *args, "--mask-key", key.hex())
    assert frame == encode_frame(opcode, payload, mask_key=key)
    (f,) = decoded(runner, frame, "--from", "client", code=1 if kind.startswith("cont") else 0)[
        "frames"
    ]
    assert (f["opcode"], f["payload_hex"], f["masked"], f["mask_key"]) == (
        opcode,
        payload.hex(),
        True,
        key.hex(),
    )


def test_default_mask_is_random(runner: CliRunner) -> None:
    one, two = hex_of(runner, "text", "Hello"), hex_of(runner, "text", "Hello")
    assert one[1] & 0x80 and two[1] & 0x80  # a client masks
    assert one[2:6] != two[2:6]  # a fresh key each time (equal with probability 2**-32)
    for frame in (one, two):
        assert decoded(runner, frame, "--from", "client")["frames"][0]["text"] == "Hello"


def test_no_mask_is_a_server_frame(runner: CliRunner) -> None:
    frame = hex_of(runner, "text", "Hello", "--no-mask")
    assert not frame[1] & 0x80
    decoded(runner, frame, "--from", "server")
    decoded(runner, frame, "--from", "client", code=1)


@pytest.mark.parametrize(("form", "header"), [(16, "7e0005"), (64, "7f0000000000000005")])
def test_forced_length_forms(runner: CliRunner, form: int, header: str) -> None:
    frame = hex_of(runner, "binary", "0102030405", "--hex", "--no-mask", "--length-form", str(form))
    assert frame.hex() == "82" + header + "0102030405"
    assert frame == encode_frame(Opcode.BINARY, bytes(range(1, 6)), length_form=form)
    (f,) = decoded(runner, frame, code=1)["frames"]
    assert f["length_form"] == f"{form}-bit" and f["payload_length"] == 5
    assert [p["rule"] for p in f["problems"]] == ["NON_MINIMAL_LENGTH"]  # 5 fits in 7 bits


def test_natural_length_forms(runner: CliRunner) -> None:
    sizes = [
        (125, "7-bit", "827d"),
        (126, "16-bit", "827e007e"),
        (65536, "64-bit", "827f0000000000010000"),
    ]
    for size, form, head in sizes:
        frame = hex_of(runner, "binary", "00" * size, "--hex", "--no-mask")
        assert frame.hex().startswith(head) and len(frame) == len(head) // 2 + size
        assert decoded(runner, frame)["frames"][0]["length_form"] == form
    frame = hex_of(runner, "binary", "00" * 300, "--hex", "--no-mask", "--length-form", "64")
    assert frame[:10].hex() == "827f000000000000012c"


def test_raw_opcode(runner: CliRunner) -> None:
    frame = hex_of(runner, "ping", "--opcode", "0xB", "--no-mask")
    assert frame.hex() == "8b00"
    (f,) = decoded(runner, frame, code=1)["frames"]
    assert (f["opcode"], f["opcode_name"]) == (11, "RESERVED-0xB")
    assert [p["rule"] for p in f["problems"]] == ["RESERVED_OPCODE"]
    assert (
        hex_of(runner, "text", "x", "--opcode", "2", "--no-mask").hex() == "820178"
    )  # overrides KIND
    assert hex_of(runner, "text", "--opcode", "0", "--no-mask").hex() == "8000"
    assert hex_of(runner, "text", "--opcode", "15", "--no-mask").hex() == "8f00"


def test_readme_broken_ping(runner: CliRunner) -> None:
    frame = hex_of(
        runner, "ping", "--opcode", "0xB", "--no-fin", "--length-form", "64", "--no-mask"
    )
    assert frame.hex() == "0b7f0000000000000000"
    (f,) = decoded(runner, frame, code=1)["frames"]
    # 0xB is a (reserved) control opcode: FIN=0 fragments it, and 0 bytes fit 7 bits
    assert {p["rule"] for p in f["problems"]} == {
        "RESERVED_OPCODE",
        "CONTROL_FRAGMENTED",
        "NON_MINIMAL_LENGTH",
    }


def test_no_fin(runner: CliRunner) -> None:
    frame = hex_of(runner, "text", "Hel", "--no-fin", "--mask-key", KEY.hex())
    assert frame[0] == 0x01 and frame == encode_frame(Opcode.TEXT, b"Hel", fin=False, mask_key=KEY)
    (f,) = decoded(runner, frame)[
        "frames"
    ]  # a first fragment: valid, the message is just unfinished
    assert f["fin"] is False and "message" not in f and f["text"] == "Hel"
    ping = hex_of(runner, "ping", "--no-fin", "--no-mask")
    assert ping.hex() == "0900"
    assert [p["rule"] for p in decoded(runner, ping, code=1)["frames"][0]["problems"]] == [
        "CONTROL_FRAGMENTED"
    ]


@pytest.mark.parametrize(("flag", "bit"), [("--rsv1", 0x40), ("--rsv2", 0x20), ("--rsv3", 0x10)])
def test_rsv_bits(runner: CliRunner, flag: str, bit: int) -> None:
    frame = hex_of(runner, "text", "Hi", flag, "--no-mask")
    assert frame[0] == 0x81 | bit and frame[1:] == b"\x02Hi"
    f = decoded(runner, frame, code=1)["frames"][0]
    assert [f["rsv1"], f["rsv2"], f["rsv3"]] == [bit == 0x40, bit == 0x20, bit == 0x10]
    assert "RSV_WITHOUT_EXTENSION" in [p["rule"] for p in f["problems"]]


def test_all_rsv_bits(runner: CliRunner) -> None:
    assert hex_of(runner, "binary", "--rsv1", "--rsv2", "--rsv3", "--no-mask").hex() == "f200"


@pytest.mark.parametrize(
    ("args", "code", "reason"),
    [
        (["--code", "1001", "--reason", "going away"], 1001, "going away"),
        (["--code", "4000", "--reason", "再见"], 4000, "再见"),
        (["--code", "1000"], 1000, ""),
        (["--reason", "bye"], 1000, "bye"),  # a reason needs a code: 1000 is assumed
    ],
)
def test_close_code_and_reason(runner: CliRunner, args: list[str], code: int, reason: str) -> None:
    frame = hex_of(runner, "close", *args, "--no-mask")
    payload = code.to_bytes(2, "big") + reason.encode()
    assert frame == encode_frame(Opcode.CLOSE, payload)
    (f,) = decoded(runner, frame)["frames"]
    assert (f["close_code"], f["close_reason"], f["problems"]) == (code, reason, [])


def test_close_codes_that_must_not_be_sent(runner: CliRunner) -> None:
    frame = hex_of(runner, "close", "--code", "1005", "--no-mask")
    assert frame.hex() == "880203ed"
    assert [p["rule"] for p in decoded(runner, frame, code=1)["frames"][0]["problems"]] == [
        "CLOSE_CODE_INVALID"
    ]
    raw = hex_of(runner, "close", "03", "--hex", "--no-mask")  # a 1-byte close payload, by hand
    assert [p["rule"] for p in decoded(runner, raw, code=1)["frames"][0]["problems"]] == [
        "CLOSE_PAYLOAD_ONE_BYTE"
    ]


@pytest.mark.parametrize("code", ["65536", "99999", "-1"])
def test_close_code_out_of_range(runner: CliRunner, code: str) -> None:
    line = one_line_error(invoke(runner, "encode", "close", "--code", code, "--no-mask"))
    assert "close code must fit 2 bytes" in line


def test_deflate_rfc7692(runner: CliRunner) -> None:
    frame = hex_of(runner, "text", "Hello", "--deflate", "--no-mask")
    assert frame.hex() == RFC7692_HELLO  # RSV1 set, the RFC's compressed bytes


def test_deflate_masked_decodes_back(runner: CliRunner) -> None:
    text = "compress me, compress me, compress me " * 20
    frame = hex_of(runner, "text", text, "--deflate", "--mask-key", KEY.hex())
    assert frame[0] == 0xC1 and frame[1] & 0x80  # FIN + RSV1, text; masked
    (f,) = decoded(runner, frame, "--deflate", "--from", "client")["frames"]
    assert f["rsv1"] and f["text"] == text and f["message"]["compressed"]
    assert f["payload_length"] < len(text.encode())
    assert bytes.fromhex(f["inflated_hex"]).decode() == text
    decoded(runner, frame, code=1)  # without --deflate RSV1 is a problem


def test_deflate_binary(runner: CliRunner) -> None:
    frame = hex_of(runner, "binary", "00" * 1000, "--hex", "--deflate", "--no-mask")
    assert frame[0] == 0xC2 and len(frame) < 100
    (f,) = decoded(runner, frame, "--deflate")["frames"]
    assert f["inflated_hex"] == "00" * 1000 and f["message"]["payload_hex"] == "00" * 1000


def test_non_utf8_argument_bytes_are_kept(runner: CliRunner) -> None:
    # a non-UTF-8 byte in argv arrives as a lone surrogate (PEP 383): it is sent as that byte
    assert hex_of(runner, "text", "\udcff", "--no-mask").hex() == "8101ff"
    assert hex_of(runner, "close", "--reason", "\udcff", "--no-mask").hex() == "880303e8ff"


# -- output modes ------------------------------------------------------------------------------------


def test_json(runner: CliRunner) -> None:
    result = invoke(runner, "encode", "text", "Hello", "--mask-key", "37fa213d", "--json")
    assert result.exit_code == 0 and result.stderr == ""
    doc = json.loads(result.stdout)
    assert (
        doc["hex"] == RFC_HELLO
        and doc["schema"] == 1
        and doc["incomplete"] is None
        and doc["problems"] == []
    )
    (f,) = doc["frames"]
    assert (f["opcode_name"], f["mask_key"], f["text"], f["size"]) == (
        "TEXT",
        "37fa213d",
        "Hello",
        11,
    )
    assert [x["name"] for x in f["fields"]][:6] == ["FIN", "RSV1", "RSV2", "RSV3", "opcode", "MASK"]


def test_json_reports_problems_of_a_broken_frame(runner: CliRunner) -> None:
    result = invoke(runner, "encode", "text", "x", "--rsv2", "--json")  # masked: sent as a client
    doc = json.loads(result.stdout)
    assert [p["rule"] for p in doc["frames"][0]["problems"]] == ["RSV_WITHOUT_EXTENSION"]
    result = invoke(runner, "encode", "text", "x", "--mask-key", "01020304", "--no-mask")
    assert result.exit_code == 2


def test_human_output(runner: CliRunner) -> None:
    result = invoke(runner, "encode", "text", "Hello", "--mask-key", "37fa213d")
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "81 85 37 fa 21 3d 7f 9f 4d 51 58"
    assert "Frame layout, RFC 6455 §5.2" in result.stdout and "Hello" in result.stdout
    assert lines[-1] == "1 frame, all valid"


def test_human_output_plain_summary(runner: CliRunner) -> None:
    result = invoke(
        runner, "encode", "text", "Hi", "--rsv2", "--no-mask", "--plain", "-d", "summary"
    )
    out = result.stdout
    assert "\x1b" not in out
    assert set(re.sub(r"[\x20-\x7e\n]", "", out)) == {
        "§"
    }  # the RFC section's sign is the only non-ASCII
    assert out.splitlines()[0] == "a1 02 48 69"
    assert (
        "x offset 0x0000 (byte 0): RSV bit set but no extension defining it was negotiated" in out
    )
    assert "RFC 6455 §5.2" in out


# -- usage errors: exit 2, one line --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["text", "x", "--mask-key", "12"], "--mask-key must be 4 bytes of hex, not 1 bytes"),
        (
            ["text", "x", "--mask-key", "0102030405"],
            "--mask-key must be 4 bytes of hex, not 5 bytes",
        ),
        (
            ["text", "x", "--mask-key", "zzzzzzzz"],
            "--mask-key must be 4 bytes of hex, not 'zzzzzzzz'",
        ),
        (
            ["text", "x", "--mask-key", "01020304", "--no-mask"],
            "--mask-key and --no-mask contradict each other",
        ),
        (["text", "x", "--opcode", "16"], "--opcode must be 0-15, not 16"),
        (["text", "x", "--opcode", "-1"], "--opcode must be 0-15, not -1"),
        (["text", "x", "--opcode", "text"], "--opcode must be a number 0-15, not 'text'"),
        (["text", "x", "--length-form", "8"], "--length-form must be 7, 16 or 64, not 8"),
        (["text", "x" * 200, "--length-form", "7"], "200 does not fit the 7-bit length form"),
        (
            ["binary", "00" * 70000, "--hex", "--length-form", "16"],
            "70000 does not fit the 16-bit length form",
        ),
        (["frame", "x"], "unknown frame kind 'frame': use text, binary, ping, pong, close or cont"),
        (
            ["binary", "0", "--hex"],
            "unreadable DATA: line 1, column 1: odd number of hex digits (1)",
        ),
        (["binary", "01 0g", "--hex"], "unreadable DATA: line 1, column 5: 'g' is not a hex digit"),
        (
            ["text", "x", "--detail", "every"],
            "--detail must be summary, fields or bytes, not 'every'",
        ),
    ],
)
def test_usage_errors(runner: CliRunner, args: list[str], message: str) -> None:
    assert one_line_error(invoke(runner, "encode", *args)) == f"wsdebug: {message}"


def test_missing_kind_is_a_usage_error(runner: CliRunner) -> None:
    result = invoke(runner, "encode")
    assert result.exit_code == 2 and "Traceback" not in result.stderr and result.stdout == ""


# -- a real pipe --------------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "WSDEBUG_TRACEBACK")
    }
    env.update(COLUMNS="120", PYTHONIOENCODING="utf-8")
    return env


def pipe(encode_args: list[str | bytes], decode_args: list[str]) -> tuple[int, int, dict[str, Any]]:
    """``wsdebug encode ARGS -q | wsdebug decode --json ARGS``: both statuses and the JSON."""
    env = _env()
    enc = subprocess.Popen(
        [sys.executable, "-m", "wsdebug", "encode", *encode_args, "-q"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env=env,
    )
    dec = subprocess.run(
        [sys.executable, "-m", "wsdebug", "decode", "--json", *decode_args],
        stdin=enc.stdout,
        capture_output=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert enc.stdout is not None
    enc.stdout.close()
    assert dec.stderr == b""
    return enc.wait(timeout=30), dec.returncode, json.loads(dec.stdout)


def test_encode_pipe_decode_round_trip() -> None:
    status, back, doc = pipe(["text", "厉害了", "--mask-key", "bcb82cb5"], ["--from", "client"])
    assert (status, back) == (0, 0)
    (f,) = doc["frames"]
    assert (f["text"], f["size"], f["mask_key"]) == ("厉害了", 15, "bcb82cb5")  # the seed's frame

    status, back, doc = pipe(
        ["text", "Hello", "--deflate", "--no-mask"], ["--deflate", "--from", "server"]
    )
    assert (
        (status, back) == (0, 0)
        and doc["frames"][0]["text"] == "Hello"
        and doc["frames"][0]["rsv1"]
    )

    status, back, doc = pipe(
        ["text", b"\xff\xfe", "--no-mask"], []
    )  # argv bytes that are not UTF-8
    assert (status, back) == (0, 1)
    assert doc["frames"][0]["payload_hex"] == "fffe"
    assert [p["rule"] for p in doc["frames"][0]["problems"]] == ["INVALID_UTF8"]
