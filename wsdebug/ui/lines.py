"""One-line renderables: frame summary lines, message lines and problem lines.

These are the building blocks of :class:`~wsdebug.ui.views.FrameView` and of the live and
replay lists.  Each line is fitted to the console width; untrusted text is escaped by
:func:`~wsdebug.ui.safe.inert_text` and truncated with an ellipsis, never wrapped.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.text import Text

from wsdebug.codec.rules import Problem
from wsdebug.codec.spec import Direction, Role, close_code_meaning, opcode_name
from wsdebug.codec.stream import FrameRecord, Message

from .linefit import (
    _RSV1_RULES,
    FIN,
    FORM,
    IN,
    INDENT,
    KEY,
    MASK,
    OUT,
    PAD,
    SIZE,
    TIME,
    clock,
    hex_preview,
    layout,
    plural,
    shows_text,
    want_cells,
    wrap_pieces,
)
from .safe import inert_text
from .theme import STYLES, resolve

__all__ = [
    "MessageView",
    "ProblemLine",
    "RenderContext",
    "problem_text",
    "summary_line",
]


class RenderContext:
    """Styles and glyphs for one render: resolved from the console, or none in plain mode."""

    def __init__(self, console: Console, options: ConsoleOptions, plain: bool) -> None:
        self.console = console
        self.plain = plain
        self.ascii = plain or options.ascii_only or options.legacy_windows
        self.width = options.max_width
        self.ellipsis = "..." if self.ascii else "…"
        self.cross = "x" if self.ascii else "✗"
        self.check = "ok" if self.ascii else "✓"

    def s(self, name: str) -> Style:
        return Style.null() if self.plain else resolve(self.console, name)

    def text(self, untrusted: str, style: str = "ws.text") -> Text:
        return inert_text(
            untrusted, self.s(style), escape_style=None if self.plain else self.s("ws.escape")
        )

    def title(self, title: str) -> Text:
        return Text(title, self.s("ws.title")) if not self.plain else Text(f"== {title} ==")

    def arrow(self, direction: Direction | Role | str | None) -> Text:
        out, inc, unknown = ("->", "<-", ".") if self.ascii else ("→", "←", "·")
        if direction in OUT:
            return Text(out, self.s("ws.out"))
        if direction in IN:
            return Text(inc, self.s("ws.in"))
        if isinstance(direction, str):
            return Text(direction, self.s("ws.dim"))
        return Text(unknown, self.s("ws.dim"))


# -- problems ------------------------------------------------------------------------------------


def problem_text(
    problem: Problem,
    frame_offset: int | None = None,
    *,
    plain: bool = False,
    console: Console | None = None,
) -> Text:
    """``✗ offset 0x0000 (byte 0): <message> — RFC 6455 §5.2`` as one red line."""
    if plain:
        style = Style.null()
    else:
        style = resolve(console, "ws.problem") if console else Style.parse(STYLES["ws.problem"])
    where = f"offset 0x{problem.offset:04x}"
    if frame_offset is not None:
        where += f" (byte {problem.offset - frame_offset})"
    dash, cross = ("--", "x") if plain else ("—", "✗")
    out = Text(f"{cross} {where}: ", style)
    out.append_text(inert_text(problem.message, style, escape_style=None))
    out.append(f" {dash} {problem.rfc}", style)
    return out


class ProblemLine:
    """One problem as a renderable line."""

    def __init__(
        self, problem: Problem, frame_offset: int | None = None, *, plain: bool = False
    ) -> None:
        self.problem, self.frame_offset, self.plain = problem, frame_offset, plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plain = self.plain or options.ascii_only
        yield problem_text(self.problem, self.frame_offset, plain=plain, console=console)


# -- one-line summaries --------------------------------------------------------------------------


def _preview(rec: FrameRecord, ctx: RenderContext, budget: int) -> Text:
    frame = rec.frame
    if budget < 4:
        return Text()
    if rec.close is not None:
        c = rec.close
        if c.code is None:
            out = Text(
                "no status code" if not frame.payload_len else "1-byte close payload",
                ctx.s("ws.close"),
            )
        else:
            out = Text(f"{c.code} {close_code_meaning(c.code)}", ctx.s("ws.close"))
            if c.reason:
                out.append(": ")
                out.append_text(ctx.text(c.reason[: budget + 1], "ws.reason"))
            elif c.reason is None:
                out.append(": reason " + c.reason_bytes.hex(" "), ctx.s("ws.reason"))
    elif rec.text is not None and shows_text(rec):
        out = Text('"')
        body = ctx.text(rec.text[:budget], "ws.text")
        body.truncate(budget - 2, overflow="ellipsis")
        out.append_text(body)
        out.append('"')
    elif frame.payload_len:
        out = Text(hex_preview(frame.payload, budget, ctx.ellipsis), ctx.s("ws.payload"))
    else:
        out = Text("(empty)", ctx.s("ws.dim"))
    out.truncate(budget, overflow="ellipsis")
    return out


def summary_line(
    rec: FrameRecord,
    ctx: RenderContext,
    *,
    index: int | None = None,
    timestamp: float | None = None,
    conn_id: str | None = None,
    arrow: str | None = None,
) -> Text:
    """The one-line summary of a frame, fitted to ``ctx.width`` (see :func:`layout`)."""
    f = rec.frame
    pieces: list[tuple[Text, int | None]] = []
    head = Text()
    if index is not None:
        head.append(f"#{index} ", ctx.s("ws.label"))
    head.append_text(ctx.arrow(arrow if arrow is not None else rec.direction))
    pieces.append((head, None))
    if timestamp is not None:
        pieces.append((Text(" " + clock(timestamp), ctx.s("ws.offset")), TIME))
    if conn_id is not None:
        pieces.append((Text(" ").append_text(ctx.text(conn_id, "ws.label")), None))
    op = ctx.s("ws.opcode" if f.opcode is not None else "ws.problem")
    pieces.append((Text(" " + f.opcode_name, op), None))
    if len(f.opcode_name) < 6:
        pieces.append((Text(" " * (6 - len(f.opcode_name)), op), PAD))
    pieces.append((Text(" FIN " if f.fin else " frag", ctx.s("ws.fin")), FIN if f.fin else None))
    pieces.append((Text(f" {f.payload_len:,} B", ctx.s("ws.len")), SIZE))
    pieces.append((Text(f" {f.length_form}-bit", ctx.s("ws.len")), FORM))
    if f.mask_key is not None:
        pieces.append((Text(" masked", ctx.s("ws.key")), MASK))
        pieces.append((Text(f" {f.mask_key.hex()}", ctx.s("ws.key")), KEY))
    else:
        pieces.append((Text(" unmasked", ctx.s("ws.mask")), MASK))
    rsv1 = "RSV1" if any(p.rule in _RSV1_RULES for p in rec.problems) else "RSV1 compressed"
    for on, label in ((f.rsv1, rsv1), (f.rsv2, "RSV2"), (f.rsv3, "RSV3")):
        if on:
            pieces.append((Text(f" {label}", ctx.s("ws.rsv")), None))
    suffix = Text()
    if rec.problems:
        suffix = Text(f"  {ctx.cross} {plural(len(rec.problems), 'problem')}", ctx.s("ws.problem"))
    cells = [t.cell_len for t, _ in pieces]
    keep, wrapped = layout(
        cells, [r for _, r in pieces], suffix.cell_len, want_cells(rec), ctx.width
    )
    kept = [t for (t, _), k in zip(pieces, keep, strict=True) if k]
    line = Text(no_wrap=True, overflow="ellipsis")
    if not wrapped:
        for t in kept:
            line.append_text(t)
        budget = ctx.width - line.cell_len - suffix.cell_len - 2
        preview = _preview(rec, ctx, budget)
        if preview.plain:
            line.append("  ")
            line.append_text(preview)
        line.append_text(suffix)
        return line
    if suffix.plain:
        kept.append(suffix)
    for n, indexes in enumerate(wrap_pieces([t.plain for t in kept], ctx.width)):
        if n:
            line.append("\n" + INDENT)
        for j, i in enumerate(indexes):
            t = kept[i]
            if n and not j:
                t = t[len(t.plain) - len(t.plain.lstrip(" ")) :]
            line.append_text(t)
    preview = _preview(rec, ctx, ctx.width - len(INDENT))
    if preview.plain:
        line.append("\n" + INDENT)
        line.append_text(preview)
    return line


class MessageView:
    """One line for an assembled message."""

    def __init__(
        self,
        message: Message,
        direction: Role | str | None = None,
        *,
        timestamp: float | None = None,
        conn_id: str | None = None,
        plain: bool = False,
    ) -> None:
        self.message, self.direction, self.plain = message, direction, plain
        self.timestamp, self.conn_id = timestamp, conn_id

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        ctx = RenderContext(console, options, self.plain)
        m = self.message
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append_text(ctx.arrow(self.direction))
        if self.timestamp is not None:
            line.append(" " + clock(self.timestamp), ctx.s("ws.offset"))
        if self.conn_id is not None:
            line.append(" ")
            line.append_text(ctx.text(self.conn_id, "ws.label"))
        line.append(f" message {opcode_name(m.opcode)}", ctx.s("ws.opcode"))
        line.append(f" {plural(m.frames, 'frame')}, {plural(len(m.payload), 'byte')}")
        if m.compressed:
            line.append(f" (compressed: {m.wire_size:,} on the wire)", ctx.s("ws.rsv"))
        suffix = Text()
        if m.problems:
            suffix = Text(
                f"  {ctx.cross} {plural(len(m.problems), 'problem')}", ctx.s("ws.problem")
            )
        budget = ctx.width - line.cell_len - suffix.cell_len - 4
        if budget > 4 and m.payload:
            line.append("  ")
            if m.text is not None:
                body = ctx.text(m.text[:budget])
                body.truncate(budget - 2, overflow="ellipsis")
                line.append('"').append_text(body).append('"')
            else:
                line.append(hex_preview(m.payload, budget, ctx.ellipsis), ctx.s("ws.payload"))
        line.append_text(suffix)
        yield line
