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

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.table import Table
from rich.text import Text

from wsdebug.codec.annotate import Field, annotate
from wsdebug.codec.frames import WireFrame, encode_header
from wsdebug.codec.mask import unmask
from wsdebug.codec.spec import Opcode, close_code_meaning, opcode_name
from wsdebug.codec.stream import FrameRecord

from .diagram import frame_diagram
from .hexdump import hexdump
from .lines import (
    IN,
    OUT,
    MessageView,
    ProblemLine,
    RenderContext,
    byte_chars,
    clip,
    hex_preview,
    plural,
    problem_text,
    shows_text,
    summary_line,
)
from .rows import bits_text, field_value
from .theme import field_style

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


_LEGEND = (
    "FIN",
    "RSV1",
    "opcode",
    "MASK",
    "payload length",
    "extended payload length",
    "masking key",
    "payload",
    "close code",
    "close reason",
)


class _WireBytes:
    """A frame's wire bytes, sliced lazily: a 64 MiB payload is never re-masked whole."""

    def __init__(self, frame: WireFrame) -> None:
        self.frame = frame
        self.header = encode_header(frame)

    def __len__(self) -> int:
        return self.frame.size

    def __getitem__(self, index: slice, /) -> bytes:
        start, stop, _ = index.indices(len(self))
        hs = len(self.header)
        out = self.header[start:stop]
        a, b = max(start - hs, 0), max(stop - hs, 0)
        if b > a:
            part = self.frame.payload[a:b]
            out += unmask(part, self.frame.mask_key, a % 4) if self.frame.mask_key else part
        return out


def _annotate(frame: WireFrame) -> tuple[Field, ...]:
    """annotate(), without re-masking a huge payload: the views show only its first bytes."""
    if frame.payload_len > 256:
        frame = frame._replace(payload=frame.payload[:256])  # payload_len (and sizes) unchanged
    return annotate(frame)


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
        fields = _annotate(rec.frame)
        if self.detail == "fields":
            yield self._table(ctx, fields)
            yield from self._problems(ctx, heading=False)
            return
        yield self._where(ctx)
        yield Text()
        yield ctx.title("Frame layout, RFC 6455 §5.2 (the bits on the wire)")
        yield frame_diagram(rec.frame, fields, style=ctx.s, ascii_only=ctx.ascii)
        yield Text()
        yield ctx.title("Fields")
        yield self._table(ctx, fields)
        yield from self._unmasking(ctx)
        yield from self._payload(ctx)
        yield from self._hexdump(ctx, fields)
        yield from self._problems(ctx, heading=True)

    # -- sections --------------------------------------------------------------------------------

    def _where(self, ctx: RenderContext) -> Text:
        """Who sent the frame, where it starts in the stream and how big it is."""
        frame = self.record.frame
        way = self.arrow if self.arrow is not None else self.record.direction
        if way in OUT:
            who = "client -> server" if ctx.ascii else "client → server"
        elif way in IN:
            who = "server -> client" if ctx.ascii else "server → client"
        else:
            who = "sender unknown"
        size = plural(frame.size, "byte")
        return Text(
            f"{who}, stream offset 0x{frame.offset:04x}, {size} on the wire", ctx.s("ws.dim")
        )

    def _table(self, ctx: RenderContext, fields: Iterable[Field]) -> Table:
        frame = self.record.frame
        head = encode_header(frame)[:2]
        table = Table(
            box=box.ASCII if ctx.ascii else box.SIMPLE_HEAD,
            padding=(0, 0, 0, 0),
            header_style=ctx.s("ws.label"),
            show_edge=False,
        )
        for name, kw in (
            ("offset", {"no_wrap": True}),
            ("bytes", {"no_wrap": True}),
            ("bits", {"no_wrap": True}),
            ("field", {"max_width": 16}),
            ("value", {"overflow": "fold"}),
            ("meaning", {"ratio": 1}),
        ):
            table.add_column(name, **kw)
        for f in fields:
            rel = f.offset - frame.offset
            span = str(rel) if f.size == 1 else f"{rel}-{rel + f.size - 1}"
            bits = bits_text(head[rel], f.bits) if f.bits is not None else ""
            st = ctx.s(field_style(f.name))
            table.add_row(
                Text(f"0x{f.offset:04x}", ctx.s("ws.offset")),
                Text(span),
                Text(bits, st),
                Text(f.name, st),
                Text(field_value(f, ctx.ellipsis, frame), st),
                Text(f.meaning),
            )
        return table

    def _unmasking(self, ctx: RenderContext) -> RenderResult:
        frame = self.record.frame
        key = frame.mask_key
        if key is None or not 0 < frame.payload_len <= 32:
            return
        yield Text()
        formula = "plain[i] = wire[i] XOR key[i % 4]"
        yield ctx.title(f"Unmasking, RFC 6455 §5.3: {formula}, key = {key.hex(' ')}")
        yield Text("    i  wire  key  plain  char", ctx.s("ws.label"))
        wire = frame.masked_payload
        textual = (Opcode.TEXT, Opcode.CONT, Opcode.CLOSE)
        is_text = frame.opcode_raw in textual or self.record.text is not None
        chars = byte_chars(frame.payload, is_text)
        for i, (w, p) in enumerate(zip(wire, frame.payload, strict=True)):
            line = Text(f"{i:>5}   ")
            line.append(f"{w:02x}", ctx.s("ws.payload")).append(" ^ ")
            line.append(f"{key[i % 4]:02x}", ctx.s("ws.key")).append(" = ")
            line.append(f"{p:02x}", ctx.s("ws.text")).append("     ")
            line.append_text(chars[i])
            yield line

    def _payload(self, ctx: RenderContext) -> RenderResult:
        rec, limit = self.record, self.max_payload_preview
        if rec.close is not None:
            c = rec.close
            yield Text()
            yield ctx.title("Close, RFC 6455 §5.5.1 / §7.4")
            if c.code is None:
                yield Text(
                    "no status code"
                    if not rec.frame.payload_len
                    else "1-byte payload: no valid code",
                    ctx.s("ws.close"),
                )
                return
            yield Text(f"code {c.code}: {close_code_meaning(c.code)}", ctx.s("ws.close"))
            if c.reason is not None:
                line = Text(f"reason ({plural(len(c.reason_bytes), 'byte')}): ")
                if c.reason:
                    yield line.append_text(ctx.text(c.reason[:limit], "ws.reason"))
                else:
                    yield line.append("(none)")
            else:
                bad = c.reason_bytes[:64].hex(" ")
                yield Text(f"reason is not valid UTF-8: {bad}", ctx.s("ws.reason"))
        elif rec.inflated is not None:
            yield Text()
            wire = rec.message.wire_size if rec.message else rec.frame.payload_len
            size = plural(len(rec.inflated), "byte")
            yield ctx.title(f"Inflated, RFC 7692: {size} from {wire:,} compressed")
            inflated_text = rec.text
            if inflated_text is None and rec.message is not None:
                inflated_text = rec.message.text  # the final fragment: the message's text
            if inflated_text is not None:
                yield self._long_text(ctx, inflated_text)
            else:
                yield hexdump(
                    rec.inflated,
                    max_bytes=limit,
                    offset_style=ctx.s("ws.offset"),
                    note_style=ctx.s("ws.dim"),
                    ascii_only=ctx.ascii,
                )
        elif rec.text is not None and rec.frame.payload_len and shows_text(rec):
            yield Text()
            chars = plural(len(rec.text), "character")
            if rec.frame.fin and rec.frame.opcode_raw != Opcode.CONT:
                yield ctx.title(f"Payload as text ({chars})")
            else:  # a fragment: the decoder hands out only the characters it completes
                yield ctx.title(f"Text completed by this fragment ({chars})")
            yield self._long_text(ctx, rec.text) if rec.text else Text("(none)", ctx.s("ws.dim"))
        m = rec.message
        if m is not None:
            yield Text()
            what = f"{opcode_name(m.opcode)}, {plural(m.frames, 'frame')}, "
            what += plural(len(m.payload), "byte")
            if m.compressed:
                what += f" ({m.wire_size:,} compressed)"
            ok = ctx.s("ws.ok" if not m.problems else "ws.problem")
            yield Text(f"{ctx.check} message complete: {what}", ok)
            if m.frames > 1 and m.text is not None:
                yield self._long_text(ctx, m.text)
            elif m.frames > 1:
                yield Text(hex_preview(m.payload, ctx.width, ctx.ellipsis), ctx.s("ws.payload"))

    def _long_text(self, ctx: RenderContext, text: str) -> Text:
        shown, more = clip(text, self.max_payload_preview)
        out = ctx.text(shown)
        if more:
            note = f" {ctx.ellipsis} {plural(more, 'more character')} not shown"
            out.append(note, ctx.s("ws.dim"))
        return out

    def _hexdump(self, ctx: RenderContext, fields: Iterable[Field]) -> RenderResult:
        frame = self.record.frame
        yield Text()
        title = (
            f"Hex dump of the whole frame: {plural(frame.size, 'byte')} "
            f"({frame.header_size} header + {frame.payload_len:,} payload)"
        )
        yield ctx.title(title)
        # One span per field; in bytes 0 and 1 the last bit field (opcode, length) wins the colour.
        spans: list[tuple[int, int, str | Style]] = (
            []
            if ctx.plain
            else [
                (
                    f.offset - frame.offset,
                    f.offset - frame.offset + f.size,
                    ctx.s(field_style(f.name)),
                )
                for f in fields
            ]
        )
        if not ctx.plain and ctx.console.color_system is not None:
            legend = Text("colours: ", ctx.s("ws.dim"))
            names = {f.name for f in fields}
            for name in _LEGEND:
                if any(n.startswith(name) for n in names):
                    legend.append(name, ctx.s(field_style(name))).append("  ")
            yield legend
        yield hexdump(
            _WireBytes(frame),
            base_offset=frame.offset,
            spans=spans,
            max_bytes=self.max_payload_preview,
            offset_style=ctx.s("ws.offset"),
            note_style=ctx.s("ws.dim"),
            ascii_only=ctx.ascii,
        )

    def _problems(self, ctx: RenderContext, *, heading: bool) -> RenderResult:
        rec = self.record
        if heading:
            yield Text()
            if not rec.problems:
                yield Text(f"{ctx.check} no problems", ctx.s("ws.ok"))
                return
            yield ctx.title(f"Problems ({len(rec.problems)})")
        for p in rec.problems:
            line = problem_text(p, rec.frame.offset, plain=ctx.plain, console=ctx.console)
            # "✗" | the offset and message, wrapped with a hanging indent | "— RFC 6455 §5.2" whole
            tail = len(p.rfc) + 3  # " — " (or " --" when plain) and the section
            head, body, _, rfc = line.divide([1, len(line) - tail, len(line) - tail + 1])
            grid = Table.grid(padding=(0, 1, 0, 0))
            grid.add_column(no_wrap=True)
            grid.add_column()
            grid.add_column(no_wrap=True)
            grid.add_row(head, body[1:], rfc)
            yield grid


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
