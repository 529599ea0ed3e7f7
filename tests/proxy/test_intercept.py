"""``--intercept`` driven through its prompt on a pty: hold, edit, forward, drop, /inject,
/close; real websockets peers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from pathlib import Path

import pytest
import websockets

from .conftest import HOST
from .test_reverse import _free_port, echo_server

STEP = 15.0


class Peers:
    """An echo server and a client on a loop in a thread; the test drives the client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.seen: dict = {}
        self.server, self.port = self.run(echo_server(None, self.seen))
        self.ws: websockets.ClientConnection | None = None

    def run(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(STEP)

    def connect(self, port: int) -> None:
        async def go() -> websockets.ClientConnection:
            for _ in range(100):
                try:
                    return await websockets.connect(f"ws://{HOST}:{port}/")
                except OSError:
                    await asyncio.sleep(0.1)
            raise AssertionError("the proxy never listened")

        self.ws = self.run(go())

    def send(self, m: str) -> None:
        assert self.ws is not None
        self.run(self.ws.send(m))

    def recv(self) -> str:
        assert self.ws is not None
        return str(self.run(asyncio.wait_for(self.ws.recv(), STEP)))

    def close(self) -> None:
        if self.ws is not None:
            self.run(self.ws.close())
        self.server.close()
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_intercept_at_the_prompt(tmp_path: Path) -> None:
    import pexpect

    peers = Peers()
    port = _free_port()
    env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "wsdebug",
            "proxy",
            f"ws://{HOST}:{peers.port}/",
            "--port",
            str(port),
            "--intercept",
            "--intercept-dir",
            "c2s",
            "--plain",
        ],  # fmt: skip
        env=env,
        dimensions=(40, 160),
        encoding="utf-8",
        timeout=STEP,
    )
    try:
        child.expect("proxy>")
        peers.connect(port)
        peers.send("hello")
        child.expect(r"held #1: p1 → TEXT 5 B  'hello'")
        child.send("e edited\r")
        child.expect("#1 forwarded edited")
        assert peers.recv() == "edited"  # the server got the edit and echoed it (s2c not held)
        peers.send("drop me")
        child.expect("held #2")
        child.send("d\r")
        child.expect("#2 dropped")
        peers.send("as is")
        child.expect("held #3")
        child.send("f\r")
        assert peers.recv() == "as is"  # so "drop me" never reached the server
        child.send("/inject s2c from the proxy\r")
        child.expect("inject sent to the client")
        assert peers.recv() == "from the proxy"
        child.send("/nonsense\r")
        child.expect("unknown command")
        child.send("/close s2c 4007 bye\r")
        child.expect("close sent to the client")
        with pytest.raises(websockets.ConnectionClosed):
            peers.recv()
        assert peers.ws is not None and peers.ws.close_code == 4007
        # the client's answering close frame went on to the server, re-encoded by the proxy
        for _ in range(500):
            if "code" in peers.seen:
                break
            time.sleep(0.01)
        assert peers.seen.get("code") == 4007
        child.send("/quit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
        peers.close()
    assert child.exitstatus == 0, child.before


def test_intercept_needs_a_terminal() -> None:
    import subprocess

    res = subprocess.run(
        [sys.executable, "-m", "wsdebug", "proxy", "ws://127.0.0.1:1/", "--intercept"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 2 and "needs a terminal" in res.stderr
