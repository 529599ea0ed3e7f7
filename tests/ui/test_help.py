"""`--version`, and help that names its values (URL, HEADER, N, SECONDS, FILE) instead of
typer's type placeholders ({url}, <list[str]>, <int range>)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from wsdebug import __version__

PLACEHOLDER = re.compile(r"<[a-z][a-z_ \[\]]*>|\{[a-z_]+\}|\{[A-Z_]+\}")


def wsdebug(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "wsdebug", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_version() -> None:
    done = wsdebug("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"wsdebug {__version__}"


@pytest.mark.parametrize(
    "command",
    [
        ["connect"],
        ["listen"],
        ["decode"],
        ["encode"],
        ["replay"],
        ["demo"],
        ["handshake", "check"],
        ["handshake", "accept"],
    ],
)
def test_help_has_no_type_placeholders(command: list[str]) -> None:
    done = wsdebug(*command, "--help")
    assert done.returncode == 0, done.stderr
    assert not PLACEHOLDER.findall(done.stdout), PLACEHOLDER.findall(done.stdout)


def test_connect_help_names_its_values() -> None:
    out = wsdebug("connect", "--help").stdout
    assert "connect [OPTIONS] URL" in out
    assert "--header HEADER" in out and "--connect-timeout SECONDS" in out
    assert "--max-size N" in out and "--cacert FILE" in out
