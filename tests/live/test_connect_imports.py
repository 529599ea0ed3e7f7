"""Start-up of ``connect`` with a script on stdin: it imports only what a client uses (issue 10).

``wsdebug connect URL --plain < lines`` runs in a fresh interpreter against a websockets echo
server; at exit it lists ``sys.modules``.  The server side (``live.listener``, and ``ctypes``
with it), the recording's module without ``--record``, the prompt and the other commands'
modules must be absent: a structural check, not a timing one (see tests/cli/test_startup.py
for ``decode``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.server import ServerConnection, serve

ROOT = Path(__file__).resolve().parents[2]
LINES = ["first line", "second line", "third line"]

#: Modules a client fed by a pipe has no use for.
NOT_FOR_CONNECT = (
    "prompt_toolkit",  # stdin is not a terminal: no prompt
    "wsdebug.ui.session",
    "wsdebug.live.listener",  # the server side
    "ctypes",  # the listener's
    "wsdebug.live.classroom",
    "wsdebug.live.reconnect",
    "wsdebug.live.proxy",
    "wsdebug.live.sniff",
    "wsdebug.cli.replay",
    "wsdebug.cli.proxy",
    "wsdebug.cli.conformance",
    "wsdebug.capture.textinput",  # hex lines: only with --binary
)

_MODULES_AT_EXIT = """\
import atexit, sys
atexit.register(lambda: sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n"))
sys.argv = ["wsdebug", *sys.argv[1:]]
from wsdebug.cli import main
main()
"""


@pytest.fixture
def echo_url() -> Iterator[str]:
    """A websockets echo server that closes (1000) once it has echoed every line."""

    def echo(ws: ServerConnection) -> None:
        for n, message in enumerate(ws, 1):
            ws.send(message)
            if n == len(LINES):
                ws.close()
                return

    with serve(echo, "127.0.0.1", 0, compression=None) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        port = server.socket.getsockname()[1]
        try:
            yield f"ws://127.0.0.1:{port}"
        finally:
            server.shutdown()
            thread.join(10)


def _connect(
    tmp_path: Path, url: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    script = tmp_path / "lines.txt"
    script.write_text("".join(f"{line}\n" for line in LINES), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100", "NO_COLOR": "1"}
    with script.open(encoding="utf-8") as stdin:
        run = subprocess.run(
            [sys.executable, "-c", _MODULES_AT_EXIT, "connect", url, "-w", "10", *args],
            stdin=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    err, _, modules = run.stderr.rpartition("\nMODULES ")
    run.stderr = err
    return run, set(modules.split())


@pytest.mark.parametrize("mode", ["--plain", "--json"])
def test_piped_connect_imports_no_server_prompt_or_recording(
    tmp_path: Path, echo_url: str, mode: str
) -> None:
    run, modules = _connect(tmp_path, echo_url, mode)
    assert run.returncode == 0, run.stderr
    for line in LINES:
        assert run.stdout.count(line) >= 2, run.stdout  # sent and echoed
    assert "wsdebug.live.client" in modules  # the list is the command's
    loaded = sorted(name for name in NOT_FOR_CONNECT if name in modules)
    assert not loaded, f"connect {mode} < file imported {loaded}"
    assert "wsdebug.capture.format" not in modules  # no --record


def test_record_still_loads_the_recording(tmp_path: Path, echo_url: str) -> None:
    record = tmp_path / "session.jsonl"
    run, modules = _connect(tmp_path, echo_url, "--plain", "--record", str(record))
    assert run.returncode == 0, run.stderr
    assert "wsdebug.capture.format" in modules
    raw = record.read_bytes()  # capture version 2: each chunk's bytes as they are
    assert all(line.encode() in raw for line in LINES)
    assert "wsdebug.live.listener" not in modules
