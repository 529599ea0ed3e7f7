"""``--record`` survives ``kill -9``: every chunk read or written is in the file before the next.

A real ``wsdebug listen --echo --record F`` subprocess, a real websockets client that sends
messages and waits for every echo, then SIGKILL: no ``end`` record, no chance to flush at exit.
``wsdebug replay F --json`` must still show every message the client sent and every echo it got.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

ENV = {k: v for k, v in os.environ.items() if k not in ("WSDEBUG_TRACEBACK", "FORCE_COLOR")} | {
    "NO_COLOR": "1",
    "PYTHONUNBUFFERED": "1",
    "COLUMNS": "200",
}


def start_listen(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """``wsdebug listen --port 0 --json ARGS`` in the background, and the URL it listens on."""
    out = tmp_path / "listen.out"
    with open(out, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wsdebug", "listen", "--port", "0", "--json", *args],
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=ENV,
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = re.search(
            r"listening on (ws://\S+/)", out.read_text(encoding="utf-8", errors="replace")
        )
        if found:
            return proc, found.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(
        f"listen did not start: {out.read_text(encoding='utf-8', errors='replace')}"
    )


def replay_json(path: Path) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "wsdebug", "replay", str(path), "--json"],
        capture_output=True,
        timeout=60,
        env=ENV,
    )
    events = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    return proc.returncode, events, proc.stderr.decode("utf-8", "replace")


def payload(msg: dict[str, Any]) -> bytes:
    return (
        msg["text"].encode("utf-8")
        if msg.get("text") is not None
        else bytes.fromhex(msg["payload_hex"])
    )


@pytest.mark.parametrize("compression", ["deflate", None])
def test_kill9_loses_no_chunk(tmp_path: Path, compression: str | None) -> None:
    record = tmp_path / "rec.jsonl"
    proc, url = start_listen(tmp_path, "--echo", "--record", str(record))
    sent: list[bytes] = []
    got: list[bytes] = []
    try:
        with connect(url, compression=compression, max_size=None, open_timeout=10) as ws:
            for i in range(60):
                if (
                    i % 3 == 2 and i < 50
                ):  # binary, some large enough to bypass any buffer; small ones last
                    data = os.urandom(100 + (i % 7) * 20_000)
                    ws.send(data)
                else:
                    text = f"message {i} 厉害了 " + "x" * (i * 37 if i < 50 else i)
                    data = text.encode("utf-8")
                    ws.send(text)
                sent.append(data)
                echo = ws.recv(timeout=10)
                got.append(echo.encode("utf-8") if isinstance(echo, str) else echo)
            # every echo is in: kill the listener with the connection still open, no chance to flush
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert got == sent

    status, events, err = replay_json(record)
    assert status in (0, 1), err
    assert "cut short" not in err, err  # each record was whole before the next chunk was handled
    received = [payload(m) for m in events if m["event"] == "message" and m["direction"] == "c2s"]
    echoed = [payload(m) for m in events if m["event"] == "message" and m["direction"] == "s2c"]
    assert len(received) == len(sent) and received == sent, (
        "a message the client sent is not in the capture"
    )
    assert len(echoed) == len(got) and echoed == got, (
        "an echo the client received is not in the capture"
    )
