"""Shared fixtures for the CLI tests."""

from __future__ import annotations

import functools

import pytest
import typer
import typer.testing
from typer.testing import CliRunner

#: Building the click command from the typer app costs more than a decode: build it once.
_command = functools.cache(typer.main.get_command)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner with a wide, colourless, traceback-free environment."""
    monkeypatch.setattr(typer.testing, "_get_command", _command)
    return CliRunner(
        env={"COLUMNS": "200", "NO_COLOR": None, "FORCE_COLOR": None, "WSDEBUG_TRACEBACK": None}
    )
