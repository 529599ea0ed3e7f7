"""``wsdebug sniff`` against a live websockets connection on lo (tcpdump underneath), and its
refusals: capture not permitted (run as nobody), a missing interface."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import frames_of, json_events, replay
from .livecap import MESSAGES, free_port, need, websocket_session


def _lines(proc: subprocess.Popen[str], out: list[dict[str, Any]]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        out.append(json.loads(line))


def _wait(pred: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_sniff_shows_a_live_connection_and_records_it(tmp_path: Path) -> None:
    need("tcpdump")
    port = free_port()
    record = tmp_path / "sniffed.jsonl"
    cmd = [sys.executable, "-m", "wsdebug", "sniff", "-i", "lo", str(port), "--json"]
    proc = subprocess.Popen(
        [*cmd, "--record", str(record)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    events: list[dict[str, Any]] = []
    reader = threading.Thread(target=_lines, args=(proc, events), daemon=True)
    reader.start()
    try:
        _wait(lambda: events or proc.poll() is not None)
        if proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else ""
            if "not permitted" in err:
                pytest.skip(f"capturing on lo is not permitted here: {err.strip()}")
            raise AssertionError(err)
        assert events[0]["event"] == "info" and "sniffing" in events[0]["message"]
        time.sleep(0.3)
        websocket_session(port)
        _wait(lambda: any(e["event"] == "disconnect" for e in events))  # shown as it happens
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        reader.join(5)
    assert proc.returncode == 130
    c2s = [e for e in events if e["event"] == "message" and e["direction"] == "c2s"]
    texts = [e["text"] for e in c2s if e.get("text") is not None]
    assert texts == [m for m in MESSAGES if isinstance(m, str)]
    assert [e["event"] for e in events if e["event"] in ("connect", "handshake")] == [
        "connect",
        "handshake",
    ]
    close = next(e for e in events if e["event"] == "close")
    assert close["code"] == 1000 and close["clean"]
    again = replay(record, "--json")  # --record wrote a capture replay reads
    assert again.exit_code == 0, again.stderr
    sniffed = [{k: v for k, v in e.items() if k not in ("t", "conn")} for e in events]
    assert frames_of(json_events(again)) == [e for e in sniffed if e["event"] == "frame"]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_sniff_without_privilege_says_how_to_get_it() -> None:
    need("tcpdump")
    done = subprocess.run(
        ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
         sys.executable, "-m", "wsdebug", "sniff", "-i", "lo", "--json"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    if "No module named" in done.stderr:
        pytest.skip("the virtualenv is not readable by nobody")
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "not permitted to capture" in done.stderr and "setcap" in done.stderr


def test_sniff_on_a_missing_interface_is_one_line() -> None:
    need("tcpdump")
    done = subprocess.run(
        [sys.executable, "-m", "wsdebug", "sniff", "-i", "nosuchif0", "--json"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "nosuchif0" in done.stderr


def test_replay_follow_shows_events_as_a_pcap_grows(tmp_path: Path) -> None:
    from .livecap import capture_ws

    pcap = capture_ws(tmp_path / "ws.pcap").read_bytes()
    half = len(pcap) // 2
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsdebug", "replay", "--follow", "-", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=False,
    )
    assert proc.stdin is not None and proc.stdout is not None
    events: list[dict[str, Any]] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            events.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        proc.stdin.write(pcap[:half])
        proc.stdin.flush()
        _wait(lambda: any(e["event"] == "frame" for e in events))  # before the rest exists
        assert not any(e["event"] == "disconnect" for e in events)
        proc.stdin.write(pcap[half:])
        proc.stdin.close()
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(5)
    messages = [e for e in events if e["event"] == "message"]
    assert len(messages) == 2 * len(MESSAGES)
    assert events[-1]["event"] == "disconnect"
