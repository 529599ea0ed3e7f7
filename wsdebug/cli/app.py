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
from typing import Any

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

            register(wrapper)
            return func

        return decorate

    typer_app.command = command  # type: ignore[method-assign, assignment]


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
