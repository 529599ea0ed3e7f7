"""pcaps begun after the opening handshake: tcpdump started on lo once a websockets client and
server on 127.0.0.1 have connected (and exchanged messages), then replayed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wsdebug.capture.midstream import resync
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Opcode

from .conftest import json_events, replay
from .livecap import capture_midstream

AFTER = [f"after the capture began, message {i}" for i in range(8)]


def messages(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["direction"], e.get("text")) for e in events if e["event"] == "message"]


def notes(events: list[dict[str, Any]]) -> str:
    return "\n".join(e["message"] for e in events if e["event"] == "note")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    out = tmp_path_factory.mktemp("mid") / "plain.pcap"
    return out, capture_midstream(out, ["before 1", "before 2"], AFTER)


def test_a_capture_begun_after_the_handshake_is_replayed(plain: tuple[Path, int]) -> None:
    result = replay(plain[0], "--json")
    assert result.exit_code == 0, result.stderr
    events = json_events(result)
    want = [(d, m) for m in AFTER for d in ("c2s", "s2c")]
    assert messages(events) == want
    said = notes(events)
    assert "capture began after the opening handshake" in said
    assert "masked" in said  # how the client was told
    frames = [e for e in events if e["event"] == "frame"]
    assert all(f["masked"] == (f["direction"] == "c2s") for f in frames)


def test_server_port_names_the_server(plain: tuple[Path, int]) -> None:
    path, port = plain
    result = replay(path, "--json", "--server-port", port)
    assert result.exit_code == 0, result.stderr
    events = json_events(result)
    assert f"port {port} (--server-port)" in notes(events)
    connect = next(e for e in events if e["event"] == "connect")
    assert connect["peer"].endswith(f":{port}")


def test_a_window_begun_before_the_capture_is_said_not_garbage(tmp_path: Path) -> None:
    text = "the same words, compressed against the window " * 4
    out = tmp_path / "takeover.pcap"
    capture_midstream(out, [text, text], [text, text], no_takeover=False)
    result = replay(out, "--json", "--deflate")
    events = json_events(result)
    said = notes(events)
    assert "compression window" in said and "began before the capture" in said
    assert not any(e.get("text") == text for e in events if e["event"] == "message")


def test_deflate_params_decode_a_no_context_takeover_connection(tmp_path: Path) -> None:
    out = tmp_path / "notakeover.pcap"
    capture_midstream(out, ["x" * 50], AFTER, no_takeover=True)
    plain = json_events(replay(out, "--json"))
    assert not messages(plain) or all(m != AFTER[0] for _, m in messages(plain))
    params = "server_no_context_takeover; client_no_context_takeover"
    result = replay(out, "--json", "--deflate-params", params)
    assert result.exit_code == 0, result.stderr
    assert messages(json_events(result)) == [(d, m) for m in AFTER for d in ("c2s", "s2c")]
    bad = replay(out, "--deflate-params", "nonsense=1")
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_resync_finds_the_first_whole_frame() -> None:
    frames = [encode_frame(Opcode.TEXT, b"frame %d " % i * 9, mask_key=b"abcd") for i in range(9)]
    data = b"".join(frames)
    first = len(frames[0])
    for cut in (0, 1, 5, first - 1):
        found = resync(data[cut:])
        assert found is not None and found.masked
        assert found.offset == (0 if cut == 0 else first - cut)
    assert resync(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") is None
    assert resync(bytes(1000)) is None or resync(bytes(1000)).offset == 0  # type: ignore[union-attr]
