"""SIGINT and SIGTERM always end the program, busy or not (issue 8 item 1): 130 and 143.

Each test starts ``wsdebug`` as a subprocess, waits until it is provably in the state under
test (listening, connected, reading its input, stuck writing output), sends the signal and
expects the documented exit status; ``timeout=10`` only guards against a hang.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect
from websockets.sync.server import serve

from .conftest import HOST

ENV = {k: v for k, v in os.environ.items() if k not in ("WSDEBUG_TRACEBACK", "FORCE_COLOR")} | {
    "NO_COLOR": "1"
}
STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}
SIGNALS = [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]


def popen(*args: str, stdin: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "wsdebug", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )


def listening(proc: subprocess.Popen[bytes]) -> str:
    """The URL from ``listen --json``'s first line (it is written once the socket is bound)."""
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return str(info["message"].split()[2])


def ended(proc: subprocess.Popen[bytes], *, read: bool = True) -> tuple[int, bytes]:
    """Exit status and stderr; with ``read=False`` stdout stays unread (the pipe stays full)."""
    try:
        if read:
            _, err = proc.communicate(timeout=10)
        else:
            proc.wait(timeout=10)
            assert proc.stderr is not None
            err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert b"Traceback" not in err, err.decode(errors="replace")
    return proc.returncode, err


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    def handler(ws: Any) -> None:
        try:
            for message in ws:
                ws.send(message)
        except ConnectionClosed:
            pass

    server = serve(handler, HOST, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"ws://{HOST}:{server.socket.getsockname()[1]}/"
    server.shutdown()
    thread.join(5)


@pytest.mark.parametrize("sig", SIGNALS)
def test_listen_idle(sig: signal.Signals) -> None:
    proc = popen("listen", "--json", "--port", "0")
    listening(proc)
    proc.send_signal(sig)
    assert ended(proc)[0] == STATUS[sig]


@pytest.mark.parametrize("sig", SIGNALS)
def test_listen_with_a_client_closes_it_with_1001(sig: signal.Signals) -> None:
    proc = popen("listen", "--json", "--port", "0")
    url = listening(proc)
    with ws_connect(url, open_timeout=10) as ws:
        ws.send("hi")  # no --echo: nothing comes back, but the handshake is done
        proc.send_signal(sig)
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1001
    assert ended(proc)[0] == STATUS[sig]


@pytest.mark.parametrize("sig", SIGNALS)
def test_listen_stuck_writing_json(sig: signal.Signals) -> None:
    """Standard output is a full pipe nobody reads: the writer is blocked, the signal still ends it."""
    proc = popen("listen", "--json", "--echo", "--port", "0")
    assert proc.stdout is not None
    fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
    url = listening(proc)
    with ws_connect(url, max_size=None, open_timeout=10, close_timeout=1) as ws:
        ws.send("x" * (1 << 20))  # a megabyte of text makes JSON far beyond the pipe's 4 KiB
        assert len(ws.recv(timeout=10)) == 1 << 20  # echoed: its JSON is being written now
        proc.send_signal(sig)
        status, _ = ended(proc, read=False)
    assert status == STATUS[sig]


def test_listen_with_the_loop_stuck_in_a_callback() -> None:
    """A callback that never returns (the class of bug in issue 8 item 1): SIGINT still ends it."""
    code = textwrap.dedent("""
        import asyncio, sys
        from wsdebug.live.listener import ListenOptions
        from wsdebug.live.reporter import JsonReporter
        from wsdebug.live.run import run_listen

        async def stuck(listener):
            print("stuck", flush=True)
            while True:  # never yields to the loop
                pass

        sys.exit(asyncio.run(run_listen(ListenOptions(port=0), JsonReporter(), interactive=stuck)))
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"stuck\n"
    proc.send_signal(signal.SIGINT)
    assert ended(proc)[0] == 130


@pytest.mark.parametrize("sig", SIGNALS)
def test_connect_scripted(sig: signal.Signals, echo_url: str) -> None:
    """``connect`` with a script on stdin that has not ended yet: a signal closes with 1000 and exits."""
    proc = popen("connect", echo_url, "--json", stdin=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"hello\n")
    proc.stdin.flush()
    while True:  # wait for the echo, so the session is open
        event = json.loads(proc.stdout.readline())
        if event["event"] == "message" and event["direction"] == "s2c":
            break
    proc.send_signal(sig)
    status, _ = ended(proc)
    assert status == STATUS[sig]


def test_decode_sigint_while_reading_a_large_input() -> None:
    proc = popen("decode", "--json", stdin=subprocess.PIPE)
    assert proc.stdin is not None
    chunk = b"81 7e 00 04 61 62 63 64\n" * 4096
    for _ in range(80):  # ~8 MB: the writes return only once decode has read nearly all of it
        proc.stdin.write(chunk)
    proc.stdin.flush()
    proc.send_signal(signal.SIGINT)  # stdin is still open: decode is waiting for the rest
    assert ended(proc)[0] == 130
    proc.stdin.close()


def test_decode_sigterm_while_reading_a_large_input() -> None:
    """SIGTERM keeps its default action for the offline commands: ended at once (the shell says 143)."""
    proc = popen("decode", "--json", stdin=subprocess.PIPE)
    assert proc.stdin is not None
    chunk = b"81 7e 00 04 61 62 63 64\n" * 4096
    for _ in range(80):
        proc.stdin.write(chunk)
    proc.stdin.flush()
    proc.send_signal(signal.SIGTERM)
    assert ended(proc)[0] == -signal.SIGTERM
    proc.stdin.close()
