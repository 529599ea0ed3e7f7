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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

ENV = {k: v for k, v in os.environ.items() if k not in ("WSDEBUG_TRACEBACK", "FORCE_COLOR")}


@contextmanager
def echo_server(close_after: int | None = None) -> Iterator[str]:
    """A websockets echo server on 127.0.0.1 (closing with 1000 after ``close_after``)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    url: list[str] = []
    stop: list[asyncio.Future[None]] = []

    async def echo(ws: ServerConnection) -> None:
        n = 0
        async for message in ws:
            await ws.send(message)  # waits while we do not read: then it reads nothing either
            n += 1
            if n == close_after:
                await ws.close()

    async def main() -> None:
        stop.append(loop.create_future())
        async with serve(echo, "127.0.0.1", 0, compression=None) as server:
            url.append(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/")
            ready.set()
            await stop[0]

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield url[0]
    finally:
        loop.call_soon_threadsafe(stop[0].set_result, None)
        thread.join(10)


@pytest.fixture
def echo_url() -> Iterator[str]:
    with echo_server() as url:
        yield url


def messages(out: bytes, direction: str) -> list[Any]:
    events = [json.loads(line) for line in out.decode().splitlines()]
    return [e["text"] for e in events if e["event"] == "message" and e["direction"] == direction]


def test_every_line_in_order() -> None:
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
    cmd = [sys.executable, "-m", "wsdebug", "connect", "--json", "--no-deflate", "-w", "30"]
    with echo_server(close_after=len(lines)) as url:  # it closes once all are echoed
        proc = subprocess.run(
            [*cmd, url],
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


def test_big_lines_to_a_peer_that_echoes_them(tmp_path: Path) -> None:
    """20 MB of 64 KiB lines to a server that stops reading while its echoes wait: wsdebug
    must go on reading the echoes while its own sends wait, or both sides wait for each other
    until --write-timeout (10 s) fails the connection."""
    n = 320
    lines = tmp_path / "lines.txt"
    lines.write_text("".join(f"{i:05d}" + "z" * 65531 + "\n" for i in range(n)))
    with echo_server(close_after=n) as url, lines.open("rb") as stdin:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "wsdebug",
                "connect",
                url,
                "--plain",
                "--no-deflate",
                "-w",
                "30",
            ],
            stdin=stdin,
            capture_output=True,
            timeout=60,
            env=ENV,
        )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    out = proc.stdout.decode()
    assert "closed 1000" in out and "the server started it, clean" in out, out[-2000:]
