"""The live display is a model, not a queue: a burst shows its NEWEST frames and one
"… N frames (#a–#b) not shown" line in the place of the frames it stands for.

A websockets server on 127.0.0.1 bursts N text messages ``m1`` … ``mN``, then ``done``, then
closes.  ``wsdebug connect`` draws them to a file (``--plain``) and, for the real thing, in a
tmux pane; the output must end with ``done`` and every gap between two drawn messages must be
exactly one skipped-range line naming that gap.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import websockets

MSG = re.compile(r'"m(\d+)"')
SKIP = re.compile(r"… ([\d,]+) frames? \(#([\d,]+)(?:–#([\d,]+))?\) not shown")


@contextmanager
def burst_server(n: int, first: tuple[str, ...] = ()) -> Iterator[int]:
    """A server that sends ``first``, m1..mN and done as fast as it can, then closes (1000)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []
    stop: list[asyncio.Future[None]] = []

    async def handler(ws: websockets.ServerConnection) -> None:
        for text in first:
            await ws.send(text)
        for i in range(1, n + 1):
            await ws.send(f"m{i}")
        await ws.send("done")
        await ws.close()

    async def main() -> None:
        stop.append(loop.create_future())
        async with websockets.serve(handler, "127.0.0.1", 0, compression=None) as server:
            port.append(server.sockets[0].getsockname()[1])
            ready.set()
            await stop[0]

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield port[0]
    finally:
        loop.call_soon_threadsafe(stop[0].set_result, None)
        thread.join(10)


def check_sequence(text: str, n: int) -> int:
    """Drawn messages ascend, each gap is one skip line naming it exactly, done is last.

    Returns how many messages were skipped.  (The server's frames are #1..#N+2 of the
    connection: m1 is #1, done #N+1, its close #N+2.)
    """
    shown_last = 0  # the last message number accounted for (drawn or skipped)
    pending_skip: tuple[int, int] | None = None
    skipped = 0
    saw_done = False
    for line in text.splitlines():
        m = SKIP.search(line)
        if m:
            assert pending_skip is None, f"two skip lines in a row: {line!r}"
            first = int(m.group(2).replace(",", ""))
            last = int((m.group(3) or m.group(2)).replace(",", ""))
            assert int(m.group(1).replace(",", "")) == last - first + 1
            assert first == shown_last + 1, f"skip line {line!r} after m{shown_last}"
            pending_skip = (first, last)
            continue
        if '"done"' in line:
            assert shown_last == n, f"done after m{shown_last}"
            saw_done = True
            continue
        m = MSG.search(line)
        if m:
            number = int(m.group(1))
            if pending_skip is not None:
                assert number == pending_skip[1] + 1, f"m{number} after skip {pending_skip}"
                skipped += pending_skip[1] - pending_skip[0] + 1
                pending_skip = None
            else:
                assert number == shown_last + 1, f"m{number} after m{shown_last}, no skip line"
            shown_last = number
    assert saw_done, "the last message (done) was never drawn"
    assert pending_skip is None
    return skipped


def run_plain_to_file(port: int, out: Path) -> str:
    """``wsdebug connect --plain > out``; stdin stays an open pipe until the peer has closed."""
    with out.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wsdebug", "connect", f"ws://127.0.0.1:{port}", "--plain"],
            stdin=subprocess.PIPE,
            stdout=fh,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while "TCP closed" not in out.read_text() and proc.poll() is None:
            assert time.monotonic() < deadline, "hang guard"
            time.sleep(0.05)
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(30)
    return out.read_text()


@pytest.mark.parametrize("n", [600, 50_000])
def test_burst_to_a_file_shows_the_newest_frames_and_done(n: int, tmp_path: Path) -> None:
    with burst_server(n) as port:
        text = run_plain_to_file(port, tmp_path / "out.txt")
    skipped = check_sequence(text, n)
    assert skipped > 0, "the burst was expected to be faster than drawing"
    assert len(text.splitlines()) < 2000  # a summary, not the flood


def run_in_tmux(port: int, width: int, tmp_path: Path, *args: str) -> str:
    """``wsdebug connect`` in a tmux pane of ``width`` x 24; the pane's whole history."""
    sock = f"wsdebug-test-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", sock, "-f", os.devnull]
    done = tmp_path / f"exit-{width}"
    extra = " ".join(args)
    cmd = (
        f"env -u COLUMNS -u LINES {sys.executable} -m wsdebug connect ws://127.0.0.1:{port} {extra}; "
        f"echo $? > {done}; sleep 30"
    )
    subprocess.run([*tmux, "new-session", "-d", "-x", str(width), "-y", "24", cmd], check=True)
    try:
        subprocess.run([*tmux, "set-option", "-g", "history-limit", "50000"], check=False)
        deadline = time.monotonic() + 60
        while not done.exists():
            assert time.monotonic() < deadline, "hang guard"
            time.sleep(0.1)
        return subprocess.run(
            [*tmux, "capture-pane", "-p", "-S", "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)


needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@needs_tmux
def test_burst_in_a_tmux_pane(tmp_path: Path) -> None:
    with burst_server(50_000) as port:
        screen = run_in_tmux(port, 80, tmp_path)
    check_sequence(screen, 50_000)
    visible = screen.rstrip("\n").splitlines()[-24:]
    assert any('"done"' in line for line in visible), visible


SIXTY = '{"type":"order","id":1234567,"side":"buy","qty":5,"ok":true}'


@needs_tmux
@pytest.mark.parametrize("width", [60, 80, 120])
def test_a_message_in_a_tmux_pane_at_several_widths(width: int, tmp_path: Path) -> None:
    """At 80 columns and more a 60-character message is whole on its line; at 60 the line
    fits the pane; nothing is wider than the pane."""
    assert len(SIXTY) == 60
    with burst_server(0, first=(SIXTY,)) as port:
        screen = run_in_tmux(port, width, tmp_path)
    lines = [line for line in screen.splitlines() if "TEXT" in line or line.startswith("  ")]
    assert any(SIXTY[:20] in line for line in lines), screen
    if width >= 80:
        assert any(f'"{SIXTY}"' in line for line in lines), screen
    if width >= 120:
        full = [line for line in lines if SIXTY in line]
        assert any("unmasked" in line and "7-bit" in line for line in full), screen
    assert '"done"' in screen
