"""Start-up: a command imports only its own module (issue 10, cold start of ``decode HEX``).

The root group (``wsdebug.cli.app.LazyGroup``) lists every command from a table of names,
modules and one-line helps, and imports a command's module when that command runs.  These tests
hold the table equal to the modules, ``--help`` equal to what the modules themselves would list,
and check in fresh interpreters which modules a command loaded (``sys.modules`` at exit): a
structural check, not a timing one.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

import wsdebug.cli
from wsdebug.cli import app
from wsdebug.cli.app import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
FRAME = "818537fa213d7f9f4d5158"  # RFC 6455 §5.7, a masked TEXT "Hello"

#: Modules a ``decode`` has no use for: other commands, TLS, terminals, the live layer.  (socket
#: is not among them: typer's pydantic imports it through email.utils, in any typer app.)
NOT_FOR_DECODE = (
    "wsdebug.cli.live",
    "wsdebug.cli.replay",
    "wsdebug.cli.sniff",
    "wsdebug.cli.proxy",
    "wsdebug.cli.conformance",
    "wsdebug.live",
    "asyncio",
    "ssl",
    "prompt_toolkit",
)

_MODULES_AT_EXIT = """\
import atexit, sys
atexit.register(lambda: sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n"))
sys.argv = ["wsdebug", *sys.argv[1:]]
{preload}
from wsdebug.cli import main
main()
"""


def _run(*args: str, preload: str = "") -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``wsdebug ARGS`` in a fresh interpreter; its output and the modules it had loaded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-c", _MODULES_AT_EXIT.format(preload=preload), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    err, _, modules = run.stderr.rpartition("\nMODULES ")
    run.stderr = err
    return run, set(modules.split())


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").split("\n\n")[0].split())


def _load_all() -> None:
    """Every module of the package, so that a command missing from the table is registered."""
    for info in pkgutil.iter_modules(wsdebug.cli.__path__):
        importlib.import_module(f"wsdebug.cli.{info.name}")


def test_table_names_every_registered_command_with_its_module_and_help() -> None:
    _load_all()
    registered: dict[str, tuple[str, str]] = {}
    for info in app.registered_commands:
        assert info.callback is not None
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        module = info.callback.__module__.rpartition(".")[2]
        help_text = info.help if info.help is not None else info.callback.__doc__
        registered[name] = (module, _first_paragraph(help_text))
    for group in app.registered_groups:
        assert group.name and group.typer_instance is not None
        sub = group.typer_instance
        modules = {
            i.callback.__module__.rpartition(".")[2] for i in sub.registered_commands if i.callback
        }
        assert len(modules) == 1, modules  # one module registers the group's commands
        help_text = group.help if isinstance(group.help, str) else sub.info.help
        registered[group.name] = (modules.pop(), _first_paragraph(str(help_text)))
    assert registered == COMMANDS


def test_help_lists_every_command_without_importing_any() -> None:
    lazy, modules = _run("--help")
    assert lazy.returncode == 0, lazy.stderr
    assert not {f"wsdebug.cli.{m}" for m, _ in COMMANDS.values()} & modules
    assert "pydantic" not in modules  # typer converts no values for --help
    preload = "; ".join(
        f"import wsdebug.cli.{m}" for m in sorted({m for m, _ in COMMANDS.values()})
    )
    eager, _ = _run("--help", preload=preload)
    assert eager.returncode == 0, eager.stderr
    assert lazy.stdout == eager.stdout  # the same list, order and cut helps at 80 columns
    listed = [line.split()[0] for line in lazy.stdout.split("Commands:\n")[1].splitlines()]
    assert listed == list(COMMANDS)


@pytest.mark.parametrize("mode", [[], ["--plain"], ["--json"], ["--plain", "-d", "summary"]])
def test_decode_imports_no_other_command(mode: list[str]) -> None:
    run, modules = _run("decode", *mode, FRAME)
    assert run.returncode == 0, run.stderr
    assert "Hello" in run.stdout
    loaded = sorted(name for name in NOT_FOR_DECODE if name in modules)
    assert not loaded, f"decode {' '.join(mode)} imported {loaded}"
    # no inflater without --deflate, no handshake code without a handshake
    found = {"wsdebug.codec.deflate", "wsdebug.codec.handshake", "wsdebug.codec.accept"} & modules
    # one run of hex digits is read as hex at once: no dump format to detect (textinput's
    # regular expressions are compiled at import)
    found |= {"wsdebug.capture.textinput"} & modules
    if "--json" not in mode:  # the capture format and the serializer (and json) only for JSON
        found |= {"wsdebug.capture.format", "wsdebug.capture.serialize", "json"} & modules
    assert not found, f"decode {' '.join(mode)} imported {sorted(found)}"


def test_every_command_runs_after_a_lazy_start(runner: CliRunner) -> None:
    for name in COMMANDS:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert _first_paragraph(COMMANDS[name][1])[:30] in " ".join(result.output.split())


def test_a_mistyped_command_is_matched_against_commands_not_loaded_yet() -> None:
    run, modules = _run("conect")
    assert run.returncode == 2
    assert "No such command 'conect'. Did you mean 'connect'?" in run.stderr
    assert "wsdebug.cli.live" not in modules


def test_handshake_group_loads_with_its_commands() -> None:
    run, modules = _run("handshake", "accept", "dGhlIHNhbXBsZSBub25jZQ==", "--plain")
    assert run.returncode == 0, run.stderr
    assert "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in run.stdout
    assert "wsdebug.cli.live" not in modules


_GC_AFTER = """\
import atexit, gc, sys
from wsdebug.cli import main
sys.argv = ["wsdebug", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("GC", gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "frozen"),
    [(["decode", "--json", FRAME], True), (["--help"], False), (["decode", "--frob"], False)],
)
def test_the_gc_paused_for_start_up_runs_again(args: list[str], frozen: bool) -> None:
    """main() pauses the cyclic GC while typer starts; a command's body (a live session that
    runs for hours) runs with it on, the start-up's objects frozen out of its collections; when
    no command runs (help, a usage error) it is on again once main() is over."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", _GC_AFTER, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.stderr.splitlines()[-1] == f"GC True {frozen}", run.stderr


def test_no_freeze_outside_main(runner: CliRunner) -> None:
    import gc

    frozen = gc.get_freeze_count()
    assert runner.invoke(app, ["decode", "--json", FRAME]).exit_code == 0
    assert gc.get_freeze_count() == frozen
