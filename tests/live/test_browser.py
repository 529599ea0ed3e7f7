"""A real browser against `wsdebug listen`: the test page loads, opens a WebSocket back, shows
what the terminal sent, and the browser's own frames (masked, maybe compressed) decode clean.

Runs only where Debian's chromium is installed (it is not a project dependency)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_browser_talks_to_the_listener(tmp_path: Path) -> None:
    port = _free_port()
    listener = subprocess.Popen(
        [sys.executable, "-m", "wsdebug", "listen", "--port", str(port), "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert listener.stdout is not None and listener.stdin is not None
        assert '"event":"info"' in listener.stdout.readline()  # listening
        listener.stdin.write("hello from the terminal\n")  # sent to the browser once it connects
        listener.stdin.flush()
        dom = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--virtual-time-budget=4000",
                "--dump-dom",
                f"http://127.0.0.1:{port}/",
            ],
            capture_output=True,
            text=True,
            timeout=90,
        ).stdout
        assert "← hello from the terminal" in dom and f"connected to ws://127.0.0.1:{port}/" in dom
    finally:
        listener.stdin.close()  # end of the script: close what is still open, then exit
        try:
            listener.wait(timeout=20)
        except subprocess.TimeoutExpired:
            listener.kill()
            listener.wait()
        out = listener.stdout.read() if listener.stdout else ""
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    (hs,) = [e for e in events if e["event"] == "handshake"]
    agent = next(h["value"] for h in hs["request"]["headers"] if h["name"].lower() == "user-agent")
    assert "Chrome" in agent and hs["ok"]
    page = [e for e in events if e["event"] == "http"]
    assert page and page[0]["status"] == 200
    frames = [e for e in events if e["event"] == "frame"]
    sent = [f for f in frames if f["direction"] == "s2c" and f["opcode_name"] == "TEXT"]
    assert sent and not sent[0]["masked"]
    from_browser = [f for f in frames if f["direction"] == "c2s"]
    assert from_browser and all(f["masked"] and not f["problems"] for f in from_browser)
    assert listener.returncode == 0
