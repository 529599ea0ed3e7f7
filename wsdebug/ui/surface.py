"""Where plain output goes and what it is drawn with, decided without rich.

:class:`Glyphs` is a drawing's width and glyph set, for rows (:mod:`wsdebug.ui.rows`) and the
classroom view's lines (:mod:`wsdebug.ui.bytesview`) alike.  :func:`text_out` decides, as
rich's ``Console`` would, whether standard output gets colour; when it does not, a
:class:`TextOut` takes plain lines and rich is never imported.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["Glyphs", "TextOut", "text_out"]


@dataclass(frozen=True)
class Glyphs:
    """What a row is drawn with: the width, and ASCII or Unicode glyphs.

    ``ascii`` follows :class:`~wsdebug.ui.lines.RenderContext` (``--plain``, or a console that
    cannot draw Unicode); ``plain`` is the ``--plain`` flag itself, which chooses the problem
    lines' glyphs as :func:`~wsdebug.ui.lines.problem_text` does.
    """

    width: int
    ascii: bool
    plain: bool
    colour: bool = False  #: drawn in colour (the classroom view adds its colour legend)

    @property
    def ellipsis(self) -> str:
        return "..." if self.ascii else "…"

    @property
    def cross(self) -> str:
        return "x" if self.ascii else "✗"

    @property
    def check(self) -> str:
        return "ok" if self.ascii else "✓"

    @staticmethod
    def for_console(console: Console | TextOut, plain: bool) -> Glyphs:
        if isinstance(console, TextOut):
            return Glyphs(console.width, plain or console.ascii, plain)
        options = console.options
        ascii_only = plain or options.ascii_only or options.legacy_windows
        return Glyphs(options.max_width, ascii_only, plain)


@dataclass(frozen=True)
class TextOut:
    """Where output goes when rich would draw it without colour: plain lines, rich not loaded.

    :func:`text_out` decides as rich's ``Console`` would (a terminal, ``FORCE_COLOR``,
    ``TTY_COMPATIBLE``, ``COLUMNS``), so a pipe gets the characters a terminal would.
    """

    file: IO[str]
    width: int
    ascii: bool
    record: bool = False
    is_jupyter: bool = False
    color_system: None = None


def text_out(*, plain: bool, file: IO[str] | None = None) -> TextOut | None:
    """A :class:`TextOut` on ``file`` (stdout) when rich would not colour it, else None."""
    out = file if file is not None else sys.stdout
    env = os.environ
    if not plain and _is_terminal(out, env):
        return None
    width = None
    for fd in (0, 1, 2):  # rich asks stdin, stdout and stderr for the terminal's size
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    if _is_terminal(out, env) and env.get("TERM", "").lower() in ("dumb", "unknown"):
        width = 80
    encoding = (getattr(out, "encoding", "utf-8") or "utf-8").lower()
    return TextOut(out, width or 80, not encoding.startswith("utf"))


def _is_terminal(out: IO[str], env: os._Environ[str]) -> bool:
    """Whether rich's Console would treat ``out`` as a terminal (its ``is_terminal``)."""
    tty = env.get("TTY_COMPATIBLE", "")
    if tty in ("0", "1"):
        return tty == "1"
    force = env.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
