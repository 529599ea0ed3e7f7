"""The typer application, its one-line error handling and the console-script entry point.

Commands live in the modules beside this one (:mod:`.offline`, :mod:`.live`, :mod:`.replay`)
and register themselves on :data:`app`; :mod:`wsdebug.cli` imports them all.  Known failures
are :class:`~wsdebug.cli.status.UserError` and print as one line; nothing prints a traceback
unless ``WSDEBUG_TRACEBACK=1`` is set.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from ..capture.charsafety import terminal_safe
from ..ui.errors import DisplayError
from .status import ExitStatus, UserError

app = typer.Typer(
    name="wsdebug",
    help="WebSocket protocol debugger: every byte of every frame, annotated (RFC 6455).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
handshake_app = typer.Typer(
    help="Opening handshake: Accept computation and validation.", no_args_is_help=True
)
app.add_typer(handshake_app, name="handshake")


def error_line(message: str) -> None:
    """One line on stderr, terminal-safe.

    Messages quote file names, URLs and other argv or file text: every control, bidi and
    format character becomes a visible escape (the same list as for payloads, see
    :mod:`wsdebug.capture.charsafety`).  Escaping is idempotent (it leaves backslashes alone), so a
    message that already holds a ``repr()`` is not escaped twice.
    """
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


def _plain_argument_names() -> None:
    """Arguments read ``URL`` in the usage line and the list, not ``{URL}`` and ``URL <str>``
    (typer's own placeholders; its help has no option for it, hence this small override)."""
    from typer.core import TyperArgument

    if not hasattr(TyperArgument, "_usage_display_name"):
        return

    def usage_name(self: TyperArgument) -> str:
        name = self.display_name_raw
        if name.startswith("["):  # a metavar such as "[HEX]..." says it all
            return name
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    TyperArgument._usage_display_name = usage_name  # type: ignore[method-assign]
    TyperArgument.display_type_rich = lambda self, ctx: ""  # type: ignore[method-assign]


_plain_argument_names()


def _one_line_errors(typer_app: typer.Typer) -> None:
    """Make every command of ``typer_app`` report UserError as one line plus an exit status."""
    original = typer_app.command

    def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = original(*args, **kwargs)

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(func)
            def wrapper(*a: Any, **kw: Any) -> Any:
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

            name_placeholders(func)
            register(wrapper)
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


def main() -> None:
    """Console-script entry point: typer's own handling, plus no traceback for the unexpected."""
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
