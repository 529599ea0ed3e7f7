"""A terminal that draws slowly makes wsdebug summarise; it never slows the sockets or the
recording (issue 10).

``wsdebug listen --echo --record F --plain`` runs as a user runs it, its standard output a pipe
shrunk to one page that the test does not read until the connection is over: the "terminal"
takes nothing while the client sends thousands of messages and waits for each echo.  Drawing
that blocks on the terminal would stop the echoes after a page of output.  Afterwards the
recording holds every message both ways, and the display, read at last, is a summary: a
"… N frames (#a–#b) not shown, all recorded" line and the newest frames, the last one
included.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from websockets.sync.client import connect as ws_connect

ENV = {k: v for k, v in os.environ.items() if k not in ("WSDEBUG_TRACEBACK", "FORCE_COLOR")} | {
    "NO_COLOR": "1",
    "COLUMNS": "100",
}
N = 2000  #: messages, each echoed before the next is sent
SKIP = re.compile(r"… ([\d,]+) frames? \(#([\d,]+)–#([\d,]+)\) not shown, all recorded")


def test_a_terminal_that_reads_nothing_slows_neither_the_echo_nor_the_recording(
    tmp_path: Path,
) -> None:
    record = tmp_path / "rec.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsdebug", "listen", "--echo", "--once", "--port", "0"]
        + ["--no-deflate", "--plain", "--record", str(record)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    try:
        assert proc.stdout is not None
        fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
        first = proc.stdout.readline().decode()  # "listening on ws://…": then nothing is read
        url = re.search(r"(ws://\S+/)", first)
        assert url, first
        with ws_connect(url.group(1), compression=None, open_timeout=10, close_timeout=5) as ws:
            for i in range(N):
                text = f"m{i:05d} " + "x" * 80  # a summary line each way: a page every ~20
                ws.send(text)
                # Blocked drawing would leave this waiting once a page is unread: the hang guard.
                assert ws.recv(timeout=10) == text
        out, err = proc.communicate(timeout=60)  # the terminal reads at last
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    skips = list(SKIP.finditer(text))
    assert skips, text[-2000:]
    assert sum(int(m.group(1).replace(",", "")) for m in skips) > N // 2  # mostly summarised
    last = text.splitlines()[-10:]  # the newest frames are drawn at the end
    assert any(f"m{N - 1:05d}" in line for line in last), last
    replay = subprocess.run(
        [sys.executable, "-m", "wsdebug", "replay", str(record), "--json"],
        capture_output=True,
        timeout=60,
        env=ENV,
    )
    events = [json.loads(line) for line in replay.stdout.decode().splitlines()]
    for direction in ("c2s", "s2c"):
        texts = [
            e["text"] for e in events if e["event"] == "message" and e["direction"] == direction
        ]
        assert texts == [f"m{i:05d} " + "x" * 80 for i in range(N)], direction
