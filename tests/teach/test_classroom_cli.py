"""``wsdebug listen --classroom`` as a real subprocess: the page, the two sockets, --json."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import websockets

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path, str]:
    out = tmp_path / "listen.out"
    with open(out, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wsdebug", "listen", "--port", "0", "--json", *args],
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = re.search(r"listening on ws://(\S+)/", out.read_text(encoding="utf-8"))
        if found:
            return proc, out, found.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(out.read_text(encoding="utf-8"))


async def _student(hostport: str) -> dict:
    base = f"ws://{hostport}"
    async with websockets.connect(f"{base}/classroom/annotations?student=abc") as notes:
        json.loads(await asyncio.wait_for(notes.recv(), 10))  # hello
        async with websockets.connect(f"{base}/lesson?student=abc&name=Li", compression=None) as ws:
            await ws.send("厉害了")
            while True:
                doc = json.loads(await asyncio.wait_for(notes.recv(), 10))
                if doc["type"] == "event" and doc["event"]["event"] == "frame":
                    return doc


def test_listen_classroom_cli(tmp_path: Path) -> None:
    proc, out, hostport = start(tmp_path, "--classroom", "--lang", "zh", "--once")
    try:
        with urllib.request.urlopen(f"http://{hostport}/", timeout=10) as resp:
            html = resp.read().decode("utf-8")
        assert 'data-lang="zh"' in html and "/classroom/annotations" in html
        doc = asyncio.run(_student(hostport))
        assert doc["event"]["text"] == "厉害了"
        assert [g[1] for g in doc["annotation"]["utf8"]] == ["厉", "害", "了"]
        assert (
            proc.wait(timeout=15) == 0
        )  # --once: the lesson ended, the annotation socket did not count
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(5)
    events = [
        json.loads(line)
        for line in out.read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]
    lesson = {e["conn"] for e in events if e["event"] == "frame"}
    assert len(lesson) == 1
    targets = [e["request"]["target"] for e in events if e["event"] == "handshake"]
    assert targets == ["/lesson?student=abc&name=Li"]  # the annotation socket is not reported
    assert any(
        e["event"] == "info" and "is student 'Li'" in e.get("text", e.get("message", ""))
        for e in events
    )


def test_listen_lang_usage() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wsdebug", "listen", "--classroom", "--lang", "fr", "--port", "0"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2 and "--lang must be en or zh" in proc.stderr
