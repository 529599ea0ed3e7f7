"""``decode --base64`` of a message payload (what DevTools shows) says it is not a frame."""

from __future__ import annotations

import base64

from typer.testing import CliRunner

import wsdebug.cli
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Opcode


def decode(*args: str) -> object:
    return CliRunner().invoke(wsdebug.cli.app, ["decode", *args])


def test_a_payload_in_base64_gets_the_hint_and_the_command() -> None:
    payload = b"hello world, a payload"
    result = decode("--base64", base64.b64encode(payload).decode(), "--plain")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    assert "message payload, not a frame" in err and len(err.strip().splitlines()) == 1
    assert f"wsdebug encode binary --hex {payload.hex()} -q | wsdebug decode" in err


def test_frames_in_base64_get_no_hint() -> None:
    frame = encode_frame(Opcode.TEXT, b"hello", mask_key=b"abcd")
    result = decode("--base64", base64.b64encode(frame).decode(), "--plain")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert "hint" not in result.stderr  # type: ignore[attr-defined]
