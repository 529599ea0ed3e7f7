"""The demo on an 80x24 terminal: when Enter is asked for, the step's "Look at" sentence is
just above the prompt, not scrolled away behind the step's frames."""

from __future__ import annotations

import os
import sys

import pytest


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_look_at_is_on_screen_when_enter_is_asked_for() -> None:
    import pexpect

    env = {**os.environ, "TERM": "dumb", "NO_COLOR": "1"}
    for name in ("COLUMNS", "LINES"):
        env.pop(name, None)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "wsdebug", "demo"],
        env=env,
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=30,
    )
    try:
        for _ in range(2):  # step 1 (the handshake) and step 2 (a frame shown in bytes)
            child.expect("Enter for the next step")
            screen = child.before.replace("\r", "").rstrip("\n ⏎").splitlines()
            tail = "\n".join(screen[-6:])  # the last lines, well within 24 rows
            assert "Look at:" in tail, tail
            child.send("\r")
    finally:
        child.close(force=True)
