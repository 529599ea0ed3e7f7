"""HAR import (messages, not wire bytes) and text hex dumps with direction markers."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from wsdebug.capture.har import SYNTH_MASK
from wsdebug.capture.importers import load, loads

from .conftest import CAPTURES, json_events, replay


def _har(
    messages: list[dict[str, object]], *, headers: bool = True, deflate: bool = False
) -> dict[str, object]:
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    req = [
        {"name": "Host", "value": "example.test"},
        {"name": "Upgrade", "value": "websocket"},
        {"name": "Connection", "value": "Upgrade"},
        {"name": "Sec-WebSocket-Key", "value": key},
        {"name": "Sec-WebSocket-Version", "value": "13"},
    ]
    resp = [
        {"name": "Upgrade", "value": "websocket"},
        {"name": "Connection", "value": "Upgrade"},
        {"name": "Sec-WebSocket-Accept", "value": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
    ]
    if deflate:
        req.append(
            {
                "name": "Sec-WebSocket-Extensions",
                "value": "permessage-deflate; client_max_window_bits",
            }
        )
        resp.append(
            {
                "name": "Sec-WebSocket-Extensions",
                "value": "permessage-deflate; client_max_window_bits=10",
            }
        )
    entry = {
        "startedDateTime": "2025-12-01T10:00:00.000Z",
        "request": {
            "method": "GET",
            "url": "wss://example.test/socket?room=1",
            "headers": req if headers else [],
        },
        "response": {
            "status": 101,
            "statusText": "Switching Protocols",
            "headers": resp if headers else [],
        },
        "_webSocketMessages": messages,
    }
    return {
        "log": {"version": "1.2", "entries": [{"request": {"url": "https://example.test/"}}, entry]}
    }


MESSAGES = [
    {"type": "send", "time": 1764583200.5, "opcode": 1, "data": "hello 厉害了"},
    {"type": "receive", "time": 1764583200.6, "opcode": 1, "data": "welcome"},
    {
        "type": "send",
        "time": 1764583201.0,
        "opcode": 2,
        "data": base64.b64encode(b"\x00\x01\xff").decode(),
    },
    {"type": "receive", "time": 1764583201.5, "opcode": 1, "data": "x" * 300},
]


@pytest.mark.parametrize("deflate", [False, True])
def test_har_messages_become_frames(tmp_path: Path, deflate: bool) -> None:
    path = tmp_path / "s.har"
    path.write_text(json.dumps(_har(MESSAGES, deflate=deflate)), encoding="utf-8")
    cap = load(path)
    assert cap.kind == "HAR"
    (conv,) = cap.conversations()
    assert conv.url == "wss://example.test/socket?room=1"
    assert conv.request is not None and conv.request.target == "/socket?room=1"
    assert (conv.deflate is not None) == deflate
    if deflate:
        assert conv.deflate.client_max_window_bits == 10  # type: ignore[union-attr]
    got = [
        (ev.direction, ev.t, ev.record.message.payload) for ev in conv.frames if ev.record.message
    ]
    assert got == [
        ("c2s", 1764583200.5, "hello 厉害了".encode()),
        ("s2c", 1764583200.6, b"welcome"),
        ("c2s", 1764583201.0, b"\x00\x01\xff"),
        ("s2c", 1764583201.5, b"x" * 300),
    ]
    client = [ev.record.frame for ev in conv.frames if ev.direction == "c2s"]
    assert all(f.mask_key == SYNTH_MASK for f in client)
    assert all(f.rsv1 == deflate for f in (ev.record.frame for ev in conv.frames))
    assert conv.problem_count == 0
    assert any("HAR holds messages, not wire bytes" in n for n in conv.notes)
    result = replay(path, "--all", "--plain", "-d", "summary")
    assert result.exit_code == 0
    assert "HAR holds messages, not wire bytes" in result.stdout.replace("\n", " ")


def test_har_without_handshake_headers(tmp_path: Path) -> None:
    """Firefox may leave the headers out: frames are still synthesized, without a handshake."""
    path = tmp_path / "ff.har"
    path.write_text(json.dumps(_har(MESSAGES[:2], headers=False)), encoding="utf-8")
    (conv,) = load(path).conversations()
    assert conv.request is None and len(conv.frames) == 2 and conv.problem_count == 0


def test_har_bad_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.har"
    path.write_text(json.dumps(_har([{"type": "sideways", "data": "?"}])), encoding="utf-8")
    result = replay(path, "--all")
    assert result.exit_code == 2
    assert "log.entries[1]" in result.stderr and "_webSocketMessages[0]" in result.stderr


def test_har_json_events() -> None:
    events = json_events(replay(CAPTURES / "chrome-session.har", "--json"))
    notes = [e for e in events if e["event"] == "note"]
    assert any("not wire bytes" in n["message"] for n in notes)
    assert [e["text"] for e in events if e["event"] == "message" and e["direction"] == "c2s"][
        0
    ] == '{"op":"hello"}'


# -- hex dumps -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("markers", [(">", "<"), ("c:", "s:"), ("C:", "S:")])
def test_directional_hex_dump(markers: tuple[str, str]) -> None:
    c, s = markers
    text = (
        f"# a session pasted into a bug report\n{c} 81 85 37 fa 21 3d 7f 9f\n   4d 51 58\n"
        f"{s} 81 05 48 65 6c 6c 6f\n{c} 0x88, 0x82, 0x12, 0x34, 0x56, 0x78, 0x11, 0xdc\n{s} 88 02 03 e8\n"
    )
    cap = loads(text.encode(), "paste.txt")
    assert cap.kind == "hex dump"
    (conv,) = cap.conversations()
    got = [(ev.direction, ev.record.frame.opcode_name, ev.record.text) for ev in conv.frames]
    assert got == [
        ("c2s", "TEXT", "Hello"),
        ("s2c", "TEXT", "Hello"),
        ("c2s", "CLOSE", ""),
        ("s2c", "CLOSE", ""),
    ]
    assert conv.problem_count == 0 and conv.close_summary().clean
    assert conv.t0 == 0  # no times in a hex dump, no clock on screen


def test_hex_dump_without_markers_guesses_from_the_mask(tmp_path: Path) -> None:
    path = tmp_path / "one.hex"
    path.write_text("81 05 48 65 6c 6c 6f 81 05 48 65 6c 6c 6f\n", encoding="utf-8")
    (conv,) = load(path).conversations()
    assert {ev.direction for ev in conv.frames} == {"s2c"}
    assert any("first frame is not masked" in n for n in conv.notes)
    result = replay(path, "--all", "--plain", "-d", "summary")
    assert result.exit_code == 0 and "#2 <-" in result.stdout


def test_hex_dump_client_sends_unmasked() -> None:
    text = "c: 81 05 48 65 6c 6c 6f\ns: 88 02 03 ea\n"
    (conv,) = loads(text.encode(), "x").conversations()
    assert [p.rule.name for ev in conv.frames for p in ev.problems] == ["UNMASKED_CLIENT_FRAME"]


def test_hex_dump_with_deflate_override() -> None:
    text = "s: c1 07 f2 48 cd c9 c9 07 00\n"  # RFC 7692 §7.2.3.1: "Hello", compressed
    (plain,) = loads(text.encode(), "x").conversations()
    assert "RSV_WITHOUT_EXTENSION" in [p.rule.name for p in plain.frames[0].problems]
    (inflated,) = loads(text.encode(), "x").conversations(deflate=True)
    assert inflated.frames[0].record.text == "Hello" and inflated.problem_count == 0


def test_hex_dump_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.hex"
    path.write_text("c: 81 05 48 65 6c 6c 6f\ns: 81 05 zz\n", encoding="utf-8")
    result = replay(path, "--all")
    assert result.exit_code == 2 and "line 2" in result.stderr and result.stderr.count("\n") == 1
