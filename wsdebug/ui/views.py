"""Renderables for frames, messages and problems: a summary line, a field table, the classroom view.

:class:`FrameView` renders one :class:`~wsdebug.codec.stream.FrameRecord` at one of three detail
levels: ``"summary"`` (one line), ``"fields"`` (the line, the header field table, the problems)
and ``"bytes"`` (the classroom view: the RFC 6455 §5.2 figure with this frame's bits, the field
table, the unmasking step by step, the payload, a coloured hex dump of the whole frame and the
problems).  Everything is computed from :func:`~wsdebug.codec.annotate.annotate` at render time.

Every string that came from the network (payloads, close reasons) reaches rich only as a
:class:`~rich.text.Text` built by :func:`~wsdebug.ui.safe.inert_text`; nothing here builds
markup.  Styles are theme names resolved through :func:`~wsdebug.ui.theme.resolve`, so views
are coloured on any console; ``plain=True`` drops all styles and keeps to ASCII.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from rich.console import Console, ConsoleOptions, RenderResult

from wsdebug.codec.stream import FrameRecord

from .bytesview import field_table, frame_body, problem_section, short_fields
from .lines import MessageView, ProblemLine, RenderContext, problem_text, summary_line
from .surface import Glyphs
from .theme import lines_text

__all__ = [
    "Detail",
    "FrameView",
    "MessageView",
    "ProblemLine",
    "problem_text",
    "render_records",
    "summary_line",
]

Detail = Literal["summary", "fields", "bytes"]
DETAILS: tuple[Detail, ...] = ("summary", "fields", "bytes")


def as_detail(value: str) -> Detail:
    """``value`` as a detail level; ValueError names the three."""
    for level in DETAILS:
        if value == level:
            return level
    raise ValueError(f"detail must be summary, fields or bytes, not {value!r}")


# -- the frame view ------------------------------------------------------------------------------


class FrameView:
    """One frame at a detail level: ``"summary"``, ``"fields"`` or ``"bytes"`` (classroom).

    Args:
        record: the decoded frame.
        index: frame number to show (``#3``).
        timestamp: seconds since the epoch, shown as local HH:MM:SS.mmm.
        conn_id: connection label.
        arrow: override the direction arrow ("out"/"in", or any glyph).
        max_payload_preview: characters of text, and bytes of hex dump, shown before eliding.
        plain: no styles, ASCII boxes and glyphs.
    """

    def __init__(
        self,
        record: FrameRecord,
        detail: Detail = "bytes",
        *,
        index: int | None = None,
        timestamp: float | None = None,
        conn_id: str | None = None,
        arrow: str | None = None,
        max_payload_preview: int = 4096,
        plain: bool = False,
    ) -> None:
        if detail not in ("summary", "fields", "bytes"):
            raise ValueError(f"detail must be summary, fields or bytes, not {detail!r}")
        self.record = record
        self.detail = detail
        self.index = index
        self.timestamp = timestamp
        self.conn_id = conn_id
        self.arrow = arrow
        self.max_payload_preview = max_payload_preview
        self.plain = plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        ctx = RenderContext(console, options, self.plain)
        rec = self.record
        yield summary_line(
            rec,
            ctx,
            index=self.index,
            timestamp=self.timestamp,
            conn_id=self.conn_id,
            arrow=self.arrow,
        )
        if self.detail == "summary":
            return
        look = Glyphs(
            ctx.width,
            ctx.ascii,
            ctx.plain,
            colour=not ctx.plain and console.color_system is not None,
        )
        fields = short_fields(rec.frame)
        if self.detail == "fields":
            lines = field_table(rec.frame, fields, look)
            lines += problem_section(rec, look, heading=False)
        else:
            lines = frame_body(
                rec, look, arrow=self.arrow, limit=self.max_payload_preview, fields=fields
            )
        yield lines_text(lines, ctx.s)


def render_records(
    console: Console,
    records: Iterable[FrameRecord],
    detail: Detail = "bytes",
    *,
    start: int = 1,
    plain: bool = False,
) -> None:
    """Print each record as a :class:`FrameView` numbered from ``start``."""
    for i, rec in enumerate(records, start):
        console.print(FrameView(rec, detail, index=i, plain=plain))
        if detail != "summary":
            console.print()
