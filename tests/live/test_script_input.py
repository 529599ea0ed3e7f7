"""``wsdebug connect`` reading a script from a pipe: every line, in order, exactly.

Standard input is read from its descriptor a chunk at a time and the lines of a chunk are sent
together (one write); this checks what a user piping a file sees: CRLF and LF line ends, a
character split across two reads, a last line without a line end, empty lines, thousands of
lines, all sent as one text message each and in order (a websockets echo server on 127.0.0.1
answers each; ``--json`` shows both ways).  A line written alone to a pipe that stays open
is sent at once, not held until more arrive.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

ENV = {k: v for k, v in os.environ.items() if k not in ("WSDEBUG_TRACEBACK", "FORCE_COLOR")}


@pytest.fixture
def echo_url() -> Iterator[str]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    url: list[str] = []
    stop: list[asyncio.Future[None]] = []

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        stop.append(loop.create_future())
        async with serve(echo, "127.0.0.1", 0, compression=None) as server:
            url.append(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/")
            ready.set()
            await stop[0]

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield url[0]
    loop.call_soon_threadsafe(stop[0].set_result, None)
    thread.join(10)


def messages(out: bytes, direction: str) -> list[Any]:
    events = [json.loads(line) for line in out.decode().splitlines()]
    return [e["text"] for e in events if e["event"] == "message" and e["direction"] == direction]


def test_every_line_in_order(echo_url: str) -> None:
    lines = [f"line {i} {'é' * (i % 5)} 厉害了" for i in range(3000)]
    lines[7] = ""  # an empty line is an empty message

    def encode(lines: list[str]) -> bytes:
        return "\r\n".join(lines[:1500]).encode() + b"\r\n" + "\n".join(lines[1500:]).encode()

    # A character split across the end of the first 64 KiB read (a continuation byte there).
    for pad in range(4):
        data = encode(["x" * pad + lines[0], *lines[1:]])
        if 0x80 <= data[65536] < 0xC0:
            lines[0] = "x" * pad + lines[0]
            break
    assert 0x80 <= data[65536] < 0xC0
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wsdebug",
            "connect",
            echo_url,
            "--json",
            "--no-deflate",
            "-w",
            "10",
        ],
        input=data,  # the last line has no line end
        capture_output=True,
        timeout=60,
        env=ENV,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert messages(proc.stdout, "c2s") == lines
    assert messages(proc.stdout, "s2c") == lines


def test_a_lone_line_is_sent_at_once(echo_url: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsdebug", "connect", echo_url, "--json", "--no-deflate"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b"first\n")
        proc.stdin.flush()  # the pipe stays open: nothing more comes for now
        deadline = time.monotonic() + 20
        got: list[str] = []
        while "first" not in got:
            assert time.monotonic() < deadline, "the line was held back (hang guard)"
            line = proc.stdout.readline()
            assert line, proc.stderr.read().decode() if proc.stderr else ""
            event = json.loads(line)
            if event["event"] == "message" and event["direction"] == "s2c":
                got.append(event["text"])
        proc.stdin.close()
        proc.stdin = None  # closed: communicate() has nothing more to write
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, err.decode()
