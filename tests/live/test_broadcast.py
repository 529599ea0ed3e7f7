"""A script broadcast by ``listen`` waits for all its peers together, not one after the other."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from websockets.sync.client import connect as ws_connect

from .conftest import HOST
from .test_limits import ENV, GUARD, events, handshake, read_to_eof

WRITE_TIMEOUT = 6.0


def test_two_non_reading_peers_are_cut_off_at_the_same_deadline(tmp_path: Path) -> None:
    """Two peers that never read: drained in turn, the second one's --write-timeout would only
    start when the first was aborted (and the reading peer would wait for both in a row)."""
    out = tmp_path / "listen.out"
    # 8 MiB: the first line alone is more than the kernel's buffers take (tcp_wmem's 4 MiB at
    # most, and a peer that does not read keeps its receive buffer small), so both non-reading
    # peers are over the mark from the same line on
    line = "z" * (8 << 20)
    count = 4
    args = ["listen", "--port", "0", "--json", "--json-max-payload", "64"]
    args += ["--write-timeout", f"{WRITE_TIMEOUT:g}"]
    with open(out, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wsdebug", *args],
            stdin=subprocess.PIPE,
            stdout=fh,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
    try:
        port = None
        for _ in range(300):
            found = re.search(r"listening on ws://[^ ]*:(\d+)/", out.read_text(encoding="utf-8"))
            if found:
                port = int(found.group(1))
                break
            time.sleep(0.05)
        assert port is not None, out.read_text(encoding="utf-8")
        hogs = [handshake(port), handshake(port)]  # connected, never read
        with ws_connect(f"ws://{HOST}:{port}/", open_timeout=GUARD, max_size=None) as ws:
            got: list[str] = []
            reader = threading.Thread(target=lambda: got.extend(str(m) for m in ws))
            reader.start()
            assert proc.stdin is not None
            for _ in range(count):
                proc.stdin.write(line + "\n")
            proc.stdin.close()
            reader.join(60)  # hang guard
            assert not reader.is_alive()
        assert got == [line] * count
        for hog in hogs:
            assert read_to_eof(hog) != b""
            hog.close()
        assert proc.wait(30) in (0, 1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    evs = events(out)
    aborted = {e["conn"] for e in evs if e["event"] == "error" and "did not read" in e["message"]}
    assert len(aborted) == 2, out.read_text(encoding="utf-8")[-3000:]
    ends = [e["t"] for e in evs if e["event"] == "disconnect" and e["conn"] in aborted]
    assert len(ends) == 2
    # one shared wait: both are cut off together; in turn, the second a whole timeout later
    assert abs(ends[0] - ends[1]) < WRITE_TIMEOUT / 2, ends
