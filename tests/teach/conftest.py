"""Fixtures for the teaching commands: a CliRunner with a fixed, English locale."""

from __future__ import annotations

import functools

import pytest
import typer
import typer.testing
from typer.testing import CliRunner

_command = functools.cache(typer.main.get_command)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A wide, colourless CliRunner whose locale is English unless a test says otherwise."""
    monkeypatch.setattr(typer.testing, "_get_command", _command)
    return CliRunner(
        env={
            "COLUMNS": "200",
            "NO_COLOR": None,
            "FORCE_COLOR": None,
            "WSDEBUG_TRACEBACK": None,
            "LANG": "C.UTF-8",
            "LC_ALL": None,
            "LC_MESSAGES": None,
        }
    )
