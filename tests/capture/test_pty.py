"""``wsdebug replay`` on a real terminal (a pty): it steps interactively, and quits on ``q``."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest

from .conftest import CAPTURES

pty = pytest.importorskip("pty")

CMD = [sys.executable, "-c", "import wsdebug.cli, wsdebug.cli.replay; wsdebug.cli.main()", "replay"]


def _read_until(fd: int, needle: bytes, timeout: float = 15.0) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while needle not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{needle!r} not seen; got {out[-800:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def test_interactive_stepping_in_a_pty() -> None:
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 130, 0, 0))
    env = {**os.environ, "TERM": "xterm"}
    proc = subprocess.Popen(
        [*CMD, str(CAPTURES / "unmasked-client.jsonl")],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    try:
        _read_until(master, b"q quit")  # the status bar: the stepper is up
        os.write(master, b"!")  # next problem: frame 1, the unmasked one
        _read_until(master, b"1 problem")  # the summary line of frame 1
        os.write(master, b"q")
        assert proc.wait(15) == 1  # the capture has a problem
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(master)


def test_piped_output_prints_everything() -> None:
    result = subprocess.run(
        [*CMD, str(CAPTURES / "close-handshake.jsonl"), "-d", "summary", "--plain"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "#4 ->" in result.stdout and "closed by the server with 1001" in result.stdout
