"""The terminal side of ``wsdebug test``: a progress bar, a grade table, and the explanations.

Every non-OK case is explained: its description and expectation, the exchange (what wsdebug
sent, what came back, and the timers that fired, in time order) drawn with
:class:`~wsdebug.ui.views.FrameView`, and last the byte or the missing event that decided the
grade.  Everything that came from the peer reaches rich through :func:`~wsdebug.ui.safe.inert`
or the frame views, never as markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from wsdebug.live.conformance.cases import GROUP_NAMES
from wsdebug.live.conformance.grading import CloseGrade, Grade, Result

from .safe import inert
from .views import Detail, FrameView

GRADE_STYLE = {
    Grade.OK: "green",
    Grade.NON_STRICT: "yellow",
    Grade.FAILED: "bold red",
    Grade.INFORMATIONAL: "cyan",
    Grade.UNIMPLEMENTED: "magenta",
}
COLUMNS = (Grade.OK, Grade.NON_STRICT, Grade.FAILED, Grade.INFORMATIONAL, Grade.UNIMPLEMENTED)
SHORT = {Grade.INFORMATIONAL: "INFO", Grade.UNIMPLEMENTED: "UNIMPL"}
MAX_SHOWN = 30  #: frames drawn per explained case (the deciding frame is always drawn)


def progress_bar(console: Console, total: int) -> Progress:
    """A transient progress bar (drawn only on a terminal)."""
    return Progress(
        TextColumn("testing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _style(plain: bool, name: str) -> str:
    return "" if plain else name


def counts(results: Sequence[Result]) -> dict[str, Counter[Grade]]:
    """Grade counts per group, in group order."""
    out: dict[str, Counter[Grade]] = {}
    for r in sorted(results, key=lambda r: r.case.sort_key):
        out.setdefault(r.case.group, Counter())[r.grade] += 1
    return out


def summary_table(results: Sequence[Result], *, plain: bool = False) -> Table:
    """One row per group: how many cases got each grade, and a total row."""
    table = Table(
        title="Conformance (Autobahn|Testsuite numbering)",
        box=box.ASCII if plain else box.SIMPLE_HEAD,
        title_justify="left",
    )
    table.add_column("group")
    for g in COLUMNS:
        table.add_column(
            SHORT.get(g, g.value), justify="right", style=_style(plain, GRADE_STYLE[g])
        )
    table.add_column("close!", justify="right")
    total: Counter[Grade] = Counter()
    closes = 0
    per_group = counts(results)
    bad_close = Counter(
        r.case.group
        for r in results
        if r.close_grade not in (CloseGrade.OK, CloseGrade.INFORMATIONAL)
    )
    for group, c in per_group.items():
        total.update(c)
        closes += bad_close[group]
        table.add_row(
            f"{group} {GROUP_NAMES.get(group, '')}",
            *(str(c[g]) for g in COLUMNS),
            str(bad_close[group]),
        )
    table.add_row(
        "total", *(str(total[g]) for g in COLUMNS), str(closes), style=_style(plain, "bold")
    )
    return table


def not_ok_table(results: Sequence[Result], *, plain: bool = False) -> Table | None:
    """One row per case that is not a plain OK (grade or close)."""
    rows = [r for r in results if r.grade is not Grade.OK or r.close_grade is not CloseGrade.OK]
    if not rows:
        return None
    table = Table(
        box=box.ASCII if plain else box.SIMPLE_HEAD, title="Cases not OK", title_justify="left"
    )
    for name in ("case", "grade", "close", "reason"):
        table.add_column(name, overflow="fold")
    for r in sorted(rows, key=lambda r: r.case.sort_key):
        table.add_row(
            r.case.id,
            Text(r.grade.value, _style(plain, GRADE_STYLE[r.grade])),
            r.close_grade.value,
            Text(inert(r.reason)),
        )
    return table


def _timeline(result: Result) -> list[tuple[float, int, Any]]:
    """Frames and log lines of a case, in time order (frames by index)."""
    items: list[tuple[float, int, Any]] = [(t, 1, what) for t, what in result.trace.log]
    items += [(t, 0, i) for i, (t, _d, _r) in enumerate(result.trace.frames)]
    items.sort(key=lambda x: (x[0], x[1]))
    return items


def explain(result: Result, detail: Detail = "summary", *, plain: bool = False) -> RenderableType:
    """The explanation of one case: what was sent, what came back, what decided the grade."""
    case, trace = result.case, result.trace
    parts: list[RenderableType] = []
    head = Text()
    head.append(f"Case {case.id} ", _style(plain, "bold"))
    head.append(result.grade.value, _style(plain, GRADE_STYLE[result.grade]))
    head.append(f"  (close: {result.close_grade.value}, {trace.duration * 1000:.0f} ms)")
    parts.append(head)
    parts.append(Text(f"  {case.description}"))
    parts.append(Text(f"  expected: {case.expectation}", _style(plain, "dim")))
    if trace.deflate:
        parts.append(
            Text(f"  permessage-deflate accepted: {inert(trace.deflate)}", _style(plain, "dim"))
        )
    decisive_frame = result.decisive.frame if result.decisive else None
    shown = 0
    for t, kind, item in _timeline(result):
        if kind == 1:
            parts.append(Text(f"  {t * 1000:8.1f} ms  · {inert(str(item))}", _style(plain, "dim")))
            continue
        if shown >= MAX_SHOWN and item != decisive_frame:
            continue
        shown += 1
        _t, direction, rec = trace.frames[item]
        level: Detail = detail if item == decisive_frame or detail != "summary" else "summary"
        if item == decisive_frame and detail == "summary":
            level = "fields"
        parts.append(
            FrameView(
                rec, level, index=item + 1, arrow=direction, plain=plain, max_payload_preview=256
            )
        )
    hidden = len(trace.frames) - shown
    if hidden > 0 or trace.frames_skipped:
        parts.append(
            Text(
                f"  ... {hidden + trace.frames_skipped} more frames not shown", _style(plain, "dim")
            )
        )
    parts.append(Text(f"  events received: {len(trace.received)}; reason: {inert(result.reason)}"))
    if result.close_grade is not CloseGrade.OK:
        parts.append(Text(f"  close: {inert(result.close_reason)}"))
    if result.decisive is not None:
        d = result.decisive
        where = ""
        if d.frame is not None:
            where = f" frame #{d.frame + 1}"
        if d.offset is not None and d.frame is not None:
            who = "wsdebug's" if trace.frames[d.frame][1].sender is trace.role else "the peer's"
            where += f", byte {d.offset} of {who} stream"
        line = Text("  decided by")
        missing = d.text.startswith("missing") or "never" in d.text
        line.append(
            where or (" a missing event" if missing else " the timeline"), _style(plain, "bold")
        )
        line.append(f": {inert(d.text)}")
        parts.append(line)
    return Group(*parts)


def print_results(
    console: Console,
    results: Sequence[Result],
    *,
    detail: Detail = "summary",
    plain: bool = False,
    explain_cases: bool = True,
) -> None:
    """The end of a run: explanations of every non-OK case, then the tables."""
    if explain_cases:
        for r in sorted(results, key=lambda r: r.case.sort_key):
            if r.grade is Grade.OK and r.close_grade is CloseGrade.OK:
                continue
            if r.grade is Grade.INFORMATIONAL:
                continue
            console.print(explain(r, detail, plain=plain))
            console.print()
    table = not_ok_table(results, plain=plain)
    if table is not None:
        console.print(table)
    console.print(summary_table(results, plain=plain))
    failed = sum(r.failed for r in results)
    console.print(
        Text(
            f"{len(results)} cases, {failed} failed",
            _style(plain, "bold red" if failed else "bold green"),
        )
    )
