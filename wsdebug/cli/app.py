"""The typer application, its one-line error handling and the console-script entry point.

Commands live in the modules beside this one (:mod:`.offline`, :mod:`.live`, :mod:`.replay`, ...)
and register themselves on :data:`app`.  Nothing imports them all: :class:`LazyGroup` knows every
command's name, module and one-line help (:data:`COMMANDS`) and imports a module when one of its
commands is run, so ``decode`` starts without the live, proxy or conformance code.  Known
failures are :class:`~wsdebug.cli.status.UserError` and print as one line; nothing prints a
traceback unless ``WSDEBUG_TRACEBACK=1`` is set.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from ..ui.errors import DisplayError
from .status import ExitStatus, UserError

#: Every command, in the order --help lists them: name -> (module of :mod:`wsdebug.cli` that
#: registers it, the first paragraph of its help).  --help reads the help from here, so listing
#: the commands imports none of them; tests/cli/test_startup.py holds this table equal to the
#: modules' own commands and docstrings.
COMMANDS: dict[str, tuple[str, str]] = {
    "explain": (
        "teach",
        "Walk through frames step by step: FIN and opcode, MASK and length, key, XOR, UTF-8.",
    ),
    "decode": (
        "offline",
        "Decode frames from pasted bytes: hex, 0x.., \\x.., b'..', xxd, hexdump -C, Wireshark.",
    ),
    "encode": (
        "offline",
        "Build a frame (valid or deliberately broken) and print its hex and annotated view.",
    ),
    "connect": (
        "live",
        "Connect to a WebSocket server and show the handshake and every frame in and out.",
    ),
    "listen": (
        "live",
        "Accept WebSocket connections and show every frame; a browser pointed here gets a test page.",
    ),
    "demo": ("live", "A guided tour of the protocol on a local echo server: nothing to set up."),
    "replay": (
        "replay",
        "Replay a recorded session frame by frame, through the same views as the live modes.",
    ),
    "sniff": (
        "sniff",
        "Show WebSocket connections on an interface as they happen, through the live views.",
    ),
    "proxy": (
        "proxy",
        "Relay an app's WebSocket connections to UPSTREAM_URL byte for byte, and show every frame"
        " of both directions, checked against the rules for its sender's role.",
    ),
    "test": (
        "conformance",
        "Run the Autobahn|Testsuite's case groups against a server (or, with --client, a client).",
    ),
    "handshake": ("offline", "Opening handshake: Accept computation and validation."),
}


class _Pending(TyperCommand):
    """A command whose module is not imported yet: its name and help, for --help's list."""


class LazyGroup(TyperGroup):
    """The root group: a command's module is imported when that command is looked up.

    Every command of :data:`COMMANDS` starts as a :class:`_Pending` entry (so the list, the
    order and "Did you mean ...?" see them all) until :meth:`get_command` imports its module
    and builds the real command with :func:`_build`.  What typer built from the commands
    registered when the app started is dropped (their placeholders are named in ``_build``),
    except a command missing from the table, kept as typer built it (a test fails on it).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        extra = {name: cmd for name, cmd in self.commands.items() if name not in COMMANDS}
        self.commands = {
            name: _Pending(name=name, help=help) for name, (_, help) in COMMANDS.items()
        }
        self.commands.update(extra)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = self.commands.get(cmd_name)
        if isinstance(cmd, _Pending):
            importlib.import_module(f"{__package__}.{COMMANDS[cmd_name][0]}")
            cmd = self.commands[cmd_name] = _build(cmd_name)
        return cmd

    def invoke(self, ctx: Any) -> Any:
        """The command, and a reader of our output that went away (``| head``): quietly 141.

        Without this, click exits 1 ("problems found") on EPIPE.  Standard output is pointed
        at /dev/null first, so the interpreter's last flush finds nowhere to fail.
        """
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            with contextlib.suppress(OSError, ValueError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(int(ExitStatus.BROKEN_PIPE)) from None

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """TyperGroup's list, from the entries as they are: --help imports no command module."""
        rows = [(name, cmd) for name, cmd in self.commands.items() if not cmd.hidden]
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])


def _build(name: str) -> Any:
    """The click command typer makes of command (or group) ``name`` registered on :data:`app`.

    Only the command that runs is built (building one costs about as much as importing it), and
    its help's placeholders are named then (:func:`name_placeholders`), not at import.
    """
    options: dict[str, Any] = {
        "pretty_exceptions_short": app.pretty_exceptions_short,
        "rich_markup_mode": app.rich_markup_mode,
    }
    for info in app.registered_commands:
        assert info.callback is not None
        if (info.name or typer.main.get_command_name(info.callback.__name__)) == name:
            _name_once(info.callback)
            return typer.main.get_command_from_info(info, **options)
    for group in app.registered_groups:
        if group.name == name:
            assert group.typer_instance is not None
            for sub in group.typer_instance.registered_commands:
                _name_once(sub.callback)
            return typer.main.get_group_from_info(
                group, suggest_commands=app.suggest_commands, **options
            )
    raise LookupError(f"{name!r} is in COMMANDS but its module does not register it")


app = typer.Typer(
    name="wsdebug",
    help="WebSocket protocol debugger: every byte of every frame, annotated (RFC 6455).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=LazyGroup,
)
handshake_app = typer.Typer(help=COMMANDS["handshake"][1], no_args_is_help=True)
app.add_typer(handshake_app, name="handshake")


def error_line(message: str) -> None:
    """One line on stderr, terminal-safe.

    Messages quote file names, URLs and other argv or file text: every control, bidi and
    format character becomes a visible escape (the same list as for payloads, see
    :mod:`wsdebug.capture.charsafety`).  Escaping is idempotent (it leaves backslashes alone), so a
    message that already holds a ``repr()`` is not escaped twice.
    """
    from ..capture.charsafety import terminal_safe

    sys.stderr.write(f"wsdebug: {terminal_safe(message)}\n")
    sys.stderr.flush()


#: Placeholders by parameter name; others: the name in capitals (--header HEADER).
_METAVARS = {
    "url": "URL",
    "upstream": "URL",
    "hex_parts": "HEX",
    "detail": "LEVEL",
    "mask_key": "HEX",
}


def name_placeholders(func: Callable[..., Any]) -> None:
    """Give every option and argument of ``func`` a word in its help (``URL``, ``HEADER``,
    ``N``, ``SECONDS``, ``FILE``) instead of typer's type placeholders (``<list[str]>``)."""
    import typing
    from pathlib import Path

    hints = typing.get_type_hints(func, include_extras=True)
    for name, hint in hints.items():
        if typing.get_origin(hint) is not typing.Annotated:
            continue
        base, *extras = typing.get_args(hint)
        for info in extras:
            if not isinstance(info, typer.models.ParameterInfo) or info.metavar is not None:
                continue
            kinds = {base, *typing.get_args(base)}
            for arg in list(kinds):
                kinds.update(typing.get_args(arg))
            if bool in kinds:
                continue
            if name in _METAVARS:
                info.metavar = _METAVARS[name]
            elif Path in kinds:
                info.metavar = "FILE"
            elif float in kinds:
                info.metavar = "SECONDS"
            elif int in kinds:
                info.metavar = "PORT" if "port" in name else "N"
            else:
                info.metavar = name.upper()
    # typer reads the annotations again (evaluating the strings anew): hand it these objects
    func.__annotations__ = {**hints}


_named: set[Callable[..., Any]] = set()


def _name_once(callback: Callable[..., Any] | None) -> None:
    """:func:`name_placeholders` on the function a registered command wraps, once."""
    func = getattr(callback, "__wrapped__", None)
    if func is not None and func not in _named:
        name_placeholders(func)
        _named.add(func)


def _plain_argument_names() -> None:
    """Arguments read ``URL`` in the usage line and the list, not ``{URL}`` and ``URL <str>``
    (typer's own placeholders; its help has no option for it, hence this small override)."""
    from typer.core import TyperArgument

    def usage_name(self: TyperArgument) -> str:
        name = self.metavar if self.metavar is not None else (self.name or "").upper()
        if name.startswith("["):  # a metavar such as "[HEX]..." says it all
            return name
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    # setattr: the attributes differ between typer versions, and so do their type stubs
    if hasattr(TyperArgument, "_usage_display_name"):  # typer 0.29 and later
        setattr(TyperArgument, "_usage_display_name", usage_name)  # noqa: B010
        setattr(TyperArgument, "display_type_rich", lambda self, ctx: "")  # noqa: B010
    else:  # typer 0.28 and earlier build the usage line from get_usage_pieces
        setattr(TyperArgument, "get_usage_pieces", lambda self, ctx: [usage_name(self)])  # noqa: B010


_plain_argument_names()


def _one_line_errors(typer_app: typer.Typer) -> None:
    """Make every command of ``typer_app`` report UserError as one line plus an exit status."""
    original = typer_app.command

    def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = original(*args, **kwargs)

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(func)
            def wrapper(*a: Any, **kw: Any) -> Any:
                _resume_gc()
                try:
                    return func(*a, **kw)
                except UserError as exc:
                    error_line(exc.message)
                    raise typer.Exit(int(exc.status)) from None
                except DisplayError as exc:
                    error_line(str(exc))
                    raise typer.Exit(int(ExitStatus.BAD_INPUT)) from None
                except RecursionError:  # a reader missed a deeply nested input: still one line
                    error_line("the input is nested too deeply to read")
                    raise typer.Exit(int(ExitStatus.BAD_INPUT)) from None
                except MemoryError:
                    error_line(
                        "out of memory: the input is too large to process (--max-input caps what is read)"
                    )
                    raise typer.Exit(int(ExitStatus.BAD_INPUT)) from None

            register(wrapper)  # its placeholders are named when it is built (_build)
            return func

        return decorate

    typer_app.command = command  # type: ignore[method-assign, assignment]


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"wsdebug {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    pass


_one_line_errors(app)
_one_line_errors(handshake_app)


#: True while :func:`main` holds the cyclic GC paused for the start-up.
_gc_paused = False


def _resume_gc() -> None:
    """Start-up is over (a command's body runs): freeze what it built, then collect as usual.

    Start-up (typer's option parsing, its pydantic adapters, the command's modules and
    annotations) makes tens of thousands of objects that live as long as the process and no
    garbage worth a collection; a full collection walking them again and again cost about a
    tenth of a ``decode``'s start.  Frozen (:func:`gc.freeze`), later collections skip them.
    """
    global _gc_paused
    if _gc_paused:
        _gc_paused = False
        gc.freeze()
        gc.enable()


def main() -> None:
    """Console-script entry point: typer's own handling, plus no traceback for the unexpected.

    The cyclic GC is paused until the command's own code runs (:func:`_resume_gc`), and
    resumed on the way out if no command ran (``--help``, a usage error).
    """
    global _gc_paused
    if gc.isenabled():
        gc.disable()
        _gc_paused = True
    try:
        _run_app()
    finally:
        if _gc_paused:
            _gc_paused = False
            gc.enable()


def _run_app() -> None:
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(int(ExitStatus.INTERRUPTED))
    except Exception as exc:
        if os.environ.get("WSDEBUG_TRACEBACK"):
            raise
        error_line(f"internal error: {type(exc).__name__}: {exc} (WSDEBUG_TRACEBACK=1 shows more)")
        sys.exit(int(ExitStatus.PROBLEMS))
