"""``replay --to URL``: the client side of a capture re-sent to a live server (a websockets echo)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

from wsdebug.capture.importers import load
from wsdebug.live.resend import client_actions

from .conftest import CAPTURES, json_events, replay


def _echo(ws: Any) -> None:
    try:
        for msg in ws:
            ws.send(msg)
    except ConnectionClosed:
        pass


@pytest.fixture()
def echo_url() -> Iterator[str]:
    with serve(_echo, "127.0.0.1", 0, compression="deflate") as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/chat"
        server.shutdown()
        thread.join(5)


def test_client_actions() -> None:
    conv = load(CAPTURES / "fragmented-ping.jsonl").conversations()[0]
    actions, pongs = client_actions(conv)
    assert [a.what for a in actions] == ["ping", "message", "close"]
    assert pongs == 0
    times = [a.t for a in actions]
    assert times == sorted(times) and times[-1] - times[0] == pytest.approx(0.302, abs=1e-6)


def test_resend_fragmented_session(echo_url: str) -> None:
    # recorded timing (0.45 s): with --fast the close would overtake the server's echo
    result = replay(CAPTURES / "fragmented-ping.jsonl", "--to", echo_url, "--json")
    assert result.exit_code == 0, (result.stdout[-1500:], result.stderr)
    events = json_events(result)
    sent = [e for e in events if e["event"] == "message" and e["direction"] == "c2s"]
    assert [(m["text"], m["frames"]) for m in sent] == [
        ("The quick brown fox jumps over the lazy dog", 3)
    ]
    echoed = [e["text"] for e in events if e["event"] == "message" and e["direction"] == "s2c"]
    assert echoed == ["The quick brown fox jumps over the lazy dog"]
    frames = [e for e in events if e["event"] == "frame" and e["direction"] == "c2s"]
    assert all(f["masked"] for f in frames)
    assert not {f["mask_key"] for f in frames} & {
        "37fa213d",
        "a1b2c3d4",
        "0badf00d",
        "5eed5eed",
    }  # fresh keys
    assert [e["code"] for e in events if e["event"] == "close"] == [1000]
    ping, close = frames[0], frames[-1]
    assert (ping["opcode_name"], close["opcode_name"]) == ("PING", "CLOSE")
    t = {
        e["opcode_name"]: e["t"]
        for e in events
        if e["event"] == "frame" and e["direction"] == "c2s"
    }
    assert t["CLOSE"] - t["PING"] > 0.25  # 0.302 s apart in the capture: the timing is kept


def test_resend_deflate_session(echo_url: str) -> None:
    result = replay(CAPTURES / "browser-deflate.jsonl", "--to", echo_url, "--json", "--fast")
    assert result.exit_code == 0, (result.stdout[-1500:], result.stderr)
    events = json_events(result)
    hs = [e for e in events if e["event"] == "handshake"][0]
    assert hs["extensions"].startswith("permessage-deflate")
    sent = [e for e in events if e["event"] == "message" and e["direction"] == "c2s"]
    assert [m["compressed"] for m in sent] == [True, True]
    assert sent[1]["text"] == "下单 ACME ×100 — 厉害了"
    assert [e["code"] for e in events if e["event"] == "close"] == [1001]


def test_resend_reproduces_the_broken_frame(echo_url: str) -> None:
    result = replay(CAPTURES / "unmasked-client.jsonl", "--to", echo_url, "--fast", "--json")
    assert result.exit_code == 1
    events = json_events(result)
    sent = [e for e in events if e["event"] == "frame" and e["direction"] == "c2s"]
    assert sent[0]["masked"] is False  # sent exactly as recorded
    closes = [
        e
        for e in events
        if e["event"] == "frame" and e["direction"] == "s2c" and e["opcode_name"] == "CLOSE"
    ]
    assert (
        closes and closes[0]["close_code"] == 1002
    )  # the server fails the connection, as in the capture


def test_resend_connection_refused() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = replay(
        CAPTURES / "fragmented-ping.jsonl", "--to", f"ws://127.0.0.1:{port}/", "--fast", "--plain"
    )
    assert result.exit_code == 1
    assert "connection refused" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
