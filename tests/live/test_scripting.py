"""``connect`` scripted as wscat and websocat are (-w, -n, -x, -1), and its exit codes.

Real peers: ``websockets`` servers on 127.0.0.1 that answer late, stream, close with a chosen
code or break the protocol; the CLI runs as a subprocess (a pseudo-terminal for Ctrl-C).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
from websockets.asyncio.server import ServerConnection, serve

from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import accept_key

from .conftest import HOST
from .test_cli import json_lines, wsdebug

Handler = Callable[[ServerConnection], Any]


async def late(ws: ServerConnection) -> None:
    """Answers each message 0.3 s later."""
    async for message in ws:
        await asyncio.sleep(0.3)
        await ws.send(f"late:{message}")


async def slow(ws: ServerConnection) -> None:
    """Answers each message 1.5 s later: after connect's default wait of 1 s."""
    async for message in ws:
        await asyncio.sleep(1.5)
        await ws.send(f"slow:{message}")


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def ticker(ws: ServerConnection) -> None:
    """Three messages, 0.3 s apart, whatever the client sends; then a normal close."""
    for i in range(3):
        await asyncio.sleep(0.3)
        await ws.send(f"tick {i}")
    await ws.close(1000, "done")


async def first_then_later(ws: ServerConnection) -> None:
    await ws.send("first")
    await asyncio.sleep(3)
    await ws.send("second")
    await ws.wait_closed()


def closes_with(code: int) -> Handler:
    async def handler(ws: ServerConnection) -> None:
        await ws.send("bye")
        await ws.close(code, "closing")

    return handler


HANDLERS: dict[str, Handler] = {
    "late": late,
    "slow": slow,
    "echo": echo,
    "ticker": ticker,
    "first": first_then_later,
    **{f"close{code}": closes_with(code) for code in (1000, 1003, 1011, 3000, 4000, 4999)},
}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """One websockets server per handler, on a loop in a background thread: name -> URL."""
    loop = asyncio.new_event_loop()
    urls: dict[str, str] = {}
    ready = threading.Event()
    stop: asyncio.Future[None] | None = None

    async def main() -> None:
        nonlocal stop
        stop = loop.create_future()
        started = []
        for name, handler in HANDLERS.items():
            server = await serve(handler, HOST, 0)
            started.append(server)
            urls[name] = f"ws://{HOST}:{server.sockets[0].getsockname()[1]}/"
        ready.set()
        await stop
        for server in started:
            server.close()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield urls
    assert stop is not None
    loop.call_soon_threadsafe(stop.set_result, None)
    thread.join(10)


def texts(out: str, direction: str) -> list[str]:
    return [
        e["text"]
        for e in json_lines(out)
        if e["event"] == "message" and e["direction"] == direction
    ]


def close_of(out: str) -> dict[str, Any]:
    [close] = [e for e in json_lines(out) if e["event"] == "close"]
    return close


# -- pipe mode: replies after the input ended ---------------------------------------------------


def test_pipe_waits_a_moment_for_late_replies_by_default(servers: dict[str, str]) -> None:
    proc = wsdebug("connect", servers["late"], "--json", stdin="hi\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert texts(proc.stdout, "s2c") == ["late:hi"]
    assert (close_of(proc.stdout)["code"], close_of(proc.stdout)["initiator"]) == (1000, "client")


def test_wait_keeps_reading_for_the_given_seconds(servers: dict[str, str]) -> None:
    proc = wsdebug("connect", servers["late"], "--json", "-w", "5", stdin="a\nb\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert texts(proc.stdout, "c2s") == ["a", "b"]
    assert texts(proc.stdout, "s2c") == ["late:a", "late:b"]
    close = close_of(proc.stdout)
    assert (close["code"], close["initiator"], close["clean"]) == (1000, "client", True)


def test_wait_ends_early_when_the_peer_closes(servers: dict[str, str]) -> None:
    """-w is a limit: a peer that closes first ends the session then (a hang guard, not a
    timing assert: 20 s would be far beyond the 1 s the ticker takes)."""
    proc = wsdebug("connect", servers["ticker"], "--json", "-w", "20", stdin="", timeout=15)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert texts(proc.stdout, "s2c") == ["tick 0", "tick 1", "tick 2"]
    assert close_of(proc.stdout)["initiator"] == "server"


def test_no_close_keeps_an_empty_input_open_until_the_peer_closes(
    servers: dict[str, str],
) -> None:
    proc = wsdebug("connect", servers["ticker"], "--json", "-n", stdin="")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert texts(proc.stdout, "s2c") == ["tick 0", "tick 1", "tick 2"]
    close = close_of(proc.stdout)
    assert (close["code"], close["initiator"], close["clean"]) == (1000, "server", True)


def test_execute_sends_in_order_and_does_not_read_stdin(servers: dict[str, str]) -> None:
    proc = wsdebug(
        "connect",
        servers["echo"],
        "--json",
        "-x",
        "one",
        "--execute",
        "two",
        "-x",
        "three",
        stdin="not me\n",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert texts(proc.stdout, "c2s") == ["one", "two", "three"]
    assert texts(proc.stdout, "s2c") == ["one", "two", "three"]


def test_one_message_closes_after_the_first_message(servers: dict[str, str]) -> None:
    proc = wsdebug("connect", servers["first"], "--json", "-1", "-n", stdin="")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert texts(proc.stdout, "s2c") == ["first"]
    close = close_of(proc.stdout)
    assert (close["code"], close["initiator"], close["clean"]) == (1000, "client", True)


def test_one_message_with_execute_is_a_request_and_its_reply(servers: dict[str, str]) -> None:
    proc = wsdebug("connect", servers["late"], "--json", "-x", "ping?", "-1", "-n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert texts(proc.stdout, "s2c") == ["late:ping?"]


def test_one_message_waits_for_its_message_past_the_default_wait(
    servers: dict[str, str],
) -> None:
    proc = wsdebug("connect", servers["slow"], "--json", "-x", "q", "-1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert texts(proc.stdout, "s2c") == ["slow:q"]
    assert close_of(proc.stdout)["initiator"] == "client"


def test_no_close_with_wait_is_a_usage_error(servers: dict[str, str]) -> None:
    proc = wsdebug("connect", servers["echo"], "-n", "-w", "1")
    assert proc.returncode == 2
    assert "--no-close and --wait" in proc.stderr and "Traceback" not in proc.stderr


# -- exit codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [1000, 1003, 1011, 3000, 4000, 4999])
def test_clean_close_with_a_sendable_code_exits_0(servers: dict[str, str], code: int) -> None:
    proc = wsdebug("connect", servers[f"close{code}"], "--json", "-n", stdin="")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    close = close_of(proc.stdout)
    assert (close["code"], close["initiator"], close["clean"]) == (code, "server", True)


def raw_server(reply: Callable[[socket.socket], None]) -> tuple[int, threading.Thread]:
    """A one-shot server: answers the handshake with 101, then ``reply(sock)``."""
    listener = socket.create_server((HOST, 0))
    port = listener.getsockname()[1]

    def run() -> None:
        conn, _ = listener.accept()
        with conn, listener:
            conn.settimeout(20)
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            key = re.search(rb"Sec-WebSocket-Key: *(\S+)", head, re.I)
            assert key is not None
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
                + accept_key(key.group(1).decode()).encode()
                + b"\r\n\r\n"
            )
            reply(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return port, thread


def _drain(conn: socket.socket) -> None:
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


@pytest.mark.parametrize(
    ("name", "reply"),
    [
        ("tcp dropped (1006)", lambda c: None),
        (
            "masked server frame",
            lambda c: (c.sendall(encode_frame(0x1, b"x", mask=True)), _drain(c)),
        ),
        (
            "close code 1004",
            lambda c: (c.sendall(encode_frame(0x8, (1004).to_bytes(2, "big"))), _drain(c)),
        ),
        (
            "close code 1005 on the wire",
            lambda c: (c.sendall(encode_frame(0x8, (1005).to_bytes(2, "big"))), _drain(c)),
        ),
    ],
)
def test_failures_and_abnormal_ends_exit_1(
    name: str, reply: Callable[[socket.socket], None]
) -> None:
    port, thread = raw_server(reply)
    proc = wsdebug("connect", f"ws://{HOST}:{port}/", "--json", "--no-deflate", "-n", stdin="")
    thread.join(20)
    assert proc.returncode == 1, (name, proc.stdout + proc.stderr)


def test_empty_close_frame_is_a_clean_close_exit_0() -> None:
    """A close frame without a status (reported as 1005) is valid (RFC 6455 §5.5.1)."""

    def reply(conn: socket.socket) -> None:
        conn.sendall(encode_frame(0x8, b""))
        _drain(conn)

    port, thread = raw_server(reply)
    proc = wsdebug("connect", f"ws://{HOST}:{port}/", "--json", "--no-deflate", "-n", stdin="")
    thread.join(20)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert close_of(proc.stdout)["code"] == 1005


def test_lenient_problems_still_exit_1() -> None:
    """--lenient keeps the connection open past a problem, but the problem counts."""

    def reply(conn: socket.socket) -> None:
        conn.sendall(
            encode_frame(0x1, b"x", mask=True) + encode_frame(0x8, (1000).to_bytes(2, "big"))
        )
        _drain(conn)

    port, thread = raw_server(reply)
    proc = wsdebug(
        "connect", f"ws://{HOST}:{port}/", "--json", "--no-deflate", "--lenient", "-n", stdin=""
    )
    thread.join(20)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert [e for e in json_lines(proc.stdout) if e["event"] == "fail"] == []
    assert close_of(proc.stdout)["clean"] is True


# -- Ctrl-C ----------------------------------------------------------------------------------------


class Terminal:
    """A pexpect child that answers prompt-toolkit's cursor position requests."""

    CPR = "\x1b[6n"

    def __init__(self, child: Any) -> None:
        self.child = child

    def expect(self, pattern: Any) -> None:
        while self.child.expect([re.escape(self.CPR), pattern]) == 0:
            self.child.send("\x1b[40;1R")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_ctrl_c_at_the_prompt_exits_130(servers: dict[str, str], tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("wsdebug")
    cmd = str(exe) if exe.exists() else shutil.which("wsdebug")
    assert cmd, "the wsdebug console script is not installed"
    env = {**os.environ, "TERM": "xterm", "XDG_DATA_HOME": str(tmp_path)}
    for name in ("NO_COLOR", "PROMPT_TOOLKIT_NO_CPR", "FORCE_COLOR"):
        env.pop(name, None)
    child = pexpect.spawn(
        cmd,
        ["connect", servers["echo"]],
        env=env,
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=20,
    )
    term = Terminal(child)
    try:
        term.expect("ws>")
        child.send("\x03")  # Ctrl-C: a key at the prompt (raw mode), not a signal
        term.expect("closed 1000 normal closure")
        term.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130, child.before


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_ctrl_c_at_the_listen_prompt_exits_130(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("wsdebug")
    cmd = str(exe) if exe.exists() else shutil.which("wsdebug")
    assert cmd, "the wsdebug console script is not installed"
    env = {**os.environ, "TERM": "xterm", "XDG_DATA_HOME": str(tmp_path)}
    for name in ("NO_COLOR", "PROMPT_TOOLKIT_NO_CPR", "FORCE_COLOR"):
        env.pop(name, None)
    child = pexpect.spawn(
        cmd, ["listen", "--port", "0"], env=env, dimensions=(40, 120), encoding="utf-8", timeout=20
    )
    term = Terminal(child)
    try:
        term.expect("ws>")
        child.send("\x03")
        term.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130, child.before


def test_sigint_in_pipe_mode_exits_130(servers: dict[str, str]) -> None:
    import signal
    import subprocess

    from .test_cli import ENV

    proc = subprocess.Popen(
        [sys.executable, "-m", "wsdebug", "connect", servers["echo"], "--json", "-n"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the handshake is done: the connection is open
            if '"event":"handshake"' in line:
                break
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
