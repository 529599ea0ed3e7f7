"""The prompt's history file: private (0600), optional (--no-history), and without secrets."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Direction, Opcode
from wsdebug.ui import session as session_mod
from wsdebug.ui.session import prompt_loop

from .test_session import (
    CTRL_D,
    STEP,
    RawServer,
    arun,
    connected,
    console,
    keyboard,
    reporter_for,
    typed,
    until,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_history_file_is_created_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr("os.umask", lambda *_: 0o022)  # whatever the umask, the file is 0600
    session_mod._session(lambda: "")
    path = tmp_path / "xdg" / "wsdebug" / "history"
    assert path.exists() and mode(path) == 0o600


def test_an_existing_history_file_is_made_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    path = tmp_path / "wsdebug" / "history"
    path.parent.mkdir()
    path.write_text("\n# old\n+old line\n")
    path.chmod(0o644)
    session_mod._session(lambda: "")
    assert mode(path) == 0o600 and "+old line" in path.read_text()


def test_no_history_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    session = session_mod._session(lambda: "", history=False)
    assert type(session.history).__name__ == "InMemoryHistory"
    assert not (tmp_path / "wsdebug").exists()


def run_prompt(lines_and_server_texts: list[tuple[str | None, str | None]]) -> None:
    """Type lines into the real prompt loop; before each, the server may send a text."""

    async def main() -> None:
        con, out = console()
        reporter = reporter_for(con)
        async with RawServer() as server, connected(server, reporter) as live:
            with keyboard() as keys:
                loop = asyncio.create_task(prompt_loop(reporter, lambda: [live], lambda: [live]))
                for before, line in lines_and_server_texts:
                    if before is not None:
                        server.send(encode_frame(Opcode.TEXT, before.encode()))
                        await until(
                            lambda b=before: reporter.last_text.get(Direction.S2C) == b,
                            "the server's text",
                        )
                    if line is not None:
                        count = len(server.frames)
                        typed(keys, line)
                        await until(
                            lambda c=count: len(server.frames) > c, f"{line!r}: {out.getvalue()}"
                        )
                keys.send_text(CTRL_D)
                await asyncio.wait_for(loop, STEP)

    arun(main())


def test_nothing_typed_at_a_password_prompt_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    run_prompt(
        [
            (None, "hello"),
            ("Password:", "hunter2"),
            ("welcome", "after the login"),
            ("Enter your API token?", "tok-123"),
            (None, "Authorization: Bearer abc.def"),
        ]
    )
    history = (tmp_path / "wsdebug" / "history").read_text(encoding="utf-8")
    assert "+hello" in history and "+after the login" in history
    for secret in ("hunter2", "tok-123", "Bearer"):
        assert secret not in history
    assert mode(tmp_path / "wsdebug" / "history") == 0o600
