"""A 100 KB line pasted into a terminal WITHOUT bracketed paste is accepted quickly.

prompt-toolkit handles each key on its own (a key-binding lookup that walks the layout, about
half a millisecond), so 100,000 pasted characters used to take over a minute; the prompt now
takes a run of printable keys read at once as one paste.  A pty stands in for the terminal;
pexpect writes the characters raw (no ESC [200~ around them).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from .test_session import HOST, Terminal, echo_server  # noqa: F401 - the fixture

N = 100_000


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_a_100_kb_line_pasted_without_bracketed_paste(echo_server: int, tmp_path: Path) -> None:  # noqa: F811
    import pexpect

    env = {**os.environ, "TERM": "xterm", "XDG_DATA_HOME": str(tmp_path)}
    for name in ("NO_COLOR", "PROMPT_TOOLKIT_NO_CPR", "FORCE_COLOR", "COLUMNS", "LINES"):
        env.pop(name, None)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "wsdebug", "connect", "--no-deflate", f"ws://{HOST}:{echo_server}/"],
        env=env,
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=30,  # a hang guard: the old prompt needed about a minute for this
        maxread=1 << 16,
    )
    term = Terminal(child)
    try:
        term.expect("ws>")
        line = "x" * N
        for i in range(0, N, 4096):
            child.send(line[i : i + 4096])
        child.send("\r")
        term.expect(re.escape(f"{N:,} B"))  # the frame sent
        term.expect(r"←[^\n]*" + re.escape(f"{N:,} B"))  # and its echo
        child.send("\x04")
        term.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert (
        not (tmp_path / "wsdebug" / "history").exists()
        or "x" * 100 in (tmp_path / "wsdebug" / "history").read_text()
    )
