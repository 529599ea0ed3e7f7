"""Every ```python block of docs/codec.md runs as written.

Blocks run in order in one namespace, as a reader pasting them into one session would.  A block
preceded by ``<!-- test: background -->`` (a server that blocks in ``accept()``) runs in a
thread with a namespace of its own, as if in a second terminal; the next block starts once it
has defined ``port``, which is all the two share.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "codec.md"
_BLOCK = re.compile(r"(<!-- test: background -->\s*)?```python\n(.*?)```", re.S)
HANG_GUARD = 30.0


def blocks() -> list[tuple[bool, str]]:
    return [(bool(m[1]), m[2]) for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_the_doc_has_client_and_server_examples() -> None:
    found = blocks()
    assert len(found) >= 3
    assert any(bg and "ServerConnection(" in code for bg, code in found)
    assert any(not bg and "ClientConnection(" in code for bg, code in found)


def test_every_python_block_runs(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    threads: list[tuple[threading.Thread, list[BaseException]]] = []
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(HANG_GUARD)  # a broken example fails instead of hanging
    try:
        for index, (background, code) in enumerate(blocks()):
            compiled = compile(code, f"{DOC.name} block {index + 1}", "exec")
            if not background:
                exec(compiled, namespace)
                continue
            errors: list[BaseException] = []
            own: dict[str, Any] = {"__name__": "__docs_server__"}

            def run(
                compiled: Any = compiled,
                errors: list[BaseException] = errors,
                own: dict[str, Any] = own,
            ) -> None:
                try:
                    exec(compiled, own)
                except BaseException as exc:  # re-raised in the test thread below
                    errors.append(exc)

            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            threads.append((thread, errors))
            deadline = time.monotonic() + HANG_GUARD
            while "port" not in own and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            if errors:
                raise errors[0]
            namespace["port"] = own["port"]
        for thread, errors in threads:
            thread.join(HANG_GUARD)
            assert not thread.is_alive(), "a background example did not finish"
            if errors:
                raise errors[0]
    finally:
        socket.setdefaulttimeout(old_timeout)
    out = capsys.readouterr().out
    assert "echo: Hello" in out
    assert "closed: 1000 clean" in out
    assert "server: HandshakeEvent" in out and "server: CloseEvent" in out
