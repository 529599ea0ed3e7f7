"""Consoles and the printing of offline results (decode, encode)."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console
from rich.text import Text

from ..offline import Decoded
from .theme import THEME


def stdout_console(*, plain: bool = False, record: bool = False, file=None) -> Console:  # noqa: ANN001
    """The console everything is drawn on; NO_COLOR is honoured by rich itself."""
    return Console(
        file=file,  # None: whatever sys.stdout is when printing (patch_stdout needs that)
        theme=THEME,
        no_color=plain or None,
        color_system=None if plain else "auto",
        highlight=False,
        emoji=False,
        markup=False,
        record=record,
        safe_box=True,
        force_terminal=None if os.environ.get("FORCE_COLOR") is None else True,
    )


def export(console: Console, svg: Path | None, html: Path | None, title: str = "wsdebug") -> None:
    from ..status import UserError

    try:
        if svg is not None:
            console.save_svg(str(svg), title=title, clear=False)
        if html is not None:
            console.save_html(str(html), clear=False)
    except OSError as exc:
        raise UserError(f"cannot write export: {exc.strerror}: {exc.filename}") from None


def print_decoded(
    result: Decoded,
    *,
    detail: str = "bytes",
    plain: bool = False,
    console: Console | None = None,
    svg: Path | None = None,
    html: Path | None = None,
) -> None:
    from .views import FrameView, problem_text

    console = console or stdout_console(plain=plain, record=bool(svg or html))
    for i, rec in enumerate(result.records, 1):
        console.print(FrameView(rec, detail, index=i, plain=plain))
        if detail == "summary":
            for p in rec.problems:
                console.print(Text("    ").append_text(problem_text(p, rec.frame.offset, plain=plain)))
        if detail == "bytes" and i < len(result.records):
            console.print()
    for p in result.problems:
        console.print(problem_text(p, plain=plain))
    n = len(result.records)
    bad = sum(1 for r in result.records if r.problems) + len(result.problems)
    summary = Text(f"{n} frame{'s' if n != 1 else ''}", style="bold")
    if result.incomplete is not None:
        summary.append(
            f", then an incomplete frame at offset {result.incomplete.offset}"
            f" that needs {result.incomplete.needed:,} more byte{'s' if result.incomplete.needed != 1 else ''}",
            style="ws.problem",
        )
    summary.append(
        ", " + (f"{bad} with problems" if bad else "all valid"),
        style="ws.problem" if bad else "ws.ok",
    )
    console.print(summary)
    export(console, svg, html)
