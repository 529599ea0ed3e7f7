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
from datetime import datetime
from typing import Literal

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..codec.annotate import Field, annotate
from ..codec.frames import WireFrame, encode_header
from ..codec.mask import unmask
from ..codec.rules import Problem, Rule
from ..codec.spec import Opcode, Role, close_code_meaning, opcode_name
from ..codec.stream import FrameRecord, Message
from .diagram import frame_diagram
from .hexdump import hexdump
from .safe import inert_text
from .theme import STYLES, field_style, resolve

Detail = Literal["summary", "fields", "bytes"]
_LEGEND = ("FIN", "RSV1", "opcode", "MASK", "payload length", "extended payload length",
           "masking key", "payload", "close code", "close reason")


_RSV1_RULES = frozenset({Rule.RSV_WITHOUT_EXTENSION, Rule.RSV1_ON_CONTROL, Rule.RSV1_ON_CONTINUATION})


class _Ctx:
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
        return inert_text(untrusted, self.s(style), escape_style=None if self.plain else self.s("ws.escape"))

    def title(self, title: str) -> Text:
        return Text(title, self.s("ws.title")) if not self.plain else Text(f"== {title} ==")

    def arrow(self, direction: Role | str | None) -> Text:
        out, inc, unknown = ("->", "<-", ".") if self.ascii else ("→", "←", "·")
        if direction in (Role.CLIENT, "out", "→", "->"):
            return Text(out, self.s("ws.out"))
        if direction in (Role.SERVER, "in", "←", "<-"):
            return Text(inc, self.s("ws.in"))
        if isinstance(direction, str):
            return Text(direction, self.s("ws.dim"))
        return Text(unknown, self.s("ws.dim"))


# -- small helpers -------------------------------------------------------------------------------


def _clock(ts: float) -> str:
    t = datetime.fromtimestamp(ts)
    return t.strftime("%H:%M:%S.") + f"{t.microsecond // 1000:03d}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _hex_preview(data: bytes, budget: int, ellipsis: str) -> str:
    """As many bytes of ``data`` in hex as fit ``budget`` columns."""
    if len(data) * 3 - 1 <= budget:
        return data.hex(" ")
    return data[: max(1, (budget - len(ellipsis) - 1) // 3)].hex(" ") + " " + ellipsis


def _clip(text: str, limit: int) -> tuple[str, int]:
    return (text, 0) if len(text) <= limit else (text[:limit], len(text) - limit)


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


def _bits(byte: int, mask: int) -> str:
    s = "".join(str(byte >> i & 1) if mask >> i & 1 else "." for i in range(7, -1, -1))
    return s[:4] + " " + s[4:]


def _value(f: Field) -> str:
    if isinstance(f.raw, bytes):
        shown = f.raw[:6].hex(" ") + (" …" if len(f.raw) > 6 else "")
        if f.name.startswith("extended payload length"):
            shown += f" = {int.from_bytes(f.raw, 'big'):,}"
        elif f.name == "close code":
            shown += f" = {int.from_bytes(f.raw, 'big')}"
        return shown
    if f.name == "opcode":
        return f"{f.value} = 0x{f.raw:X}"
    if f.bits is not None and bin(f.bits).count("1") > 1:
        return f"{f.value} = {f.raw}"
    return f.value


# -- problems ------------------------------------------------------------------------------------


def problem_text(problem: Problem, frame_offset: int | None = None, *, plain: bool = False,
                 console: Console | None = None) -> Text:
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

    def __init__(self, problem: Problem, frame_offset: int | None = None, *, plain: bool = False) -> None:
        self.problem, self.frame_offset, self.plain = problem, frame_offset, plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plain = self.plain or options.ascii_only
        yield problem_text(self.problem, self.frame_offset, plain=plain, console=console)


# -- one-line summaries --------------------------------------------------------------------------


def _preview(rec: FrameRecord, ctx: _Ctx, budget: int) -> Text:
    frame = rec.frame
    if budget < 4:
        return Text()
    if rec.close is not None:
        c = rec.close
        if c.code is None:
            out = Text("no status code" if not frame.payload_len else "1-byte close payload", ctx.s("ws.close"))
        else:
            out = Text(f"{c.code} {close_code_meaning(c.code)}", ctx.s("ws.close"))
            if c.reason:
                out.append(": ")
                out.append_text(ctx.text(c.reason[: budget + 1], "ws.reason"))
            elif c.reason is None:
                out.append(": reason " + c.reason_bytes.hex(" "), ctx.s("ws.reason"))
    elif rec.text is not None and (frame.payload_len or rec.inflated):
        out = Text('"')
        body = ctx.text(rec.text[:budget], "ws.text")
        body.truncate(budget - 2, overflow="ellipsis")
        out.append_text(body)
        out.append('"')
    elif frame.payload_len:
        out = Text(_hex_preview(frame.payload, budget, ctx.ellipsis), ctx.s("ws.payload"))
    else:
        out = Text("(empty)", ctx.s("ws.dim"))
    out.truncate(budget, overflow="ellipsis")
    return out


def summary_line(
    rec: FrameRecord, ctx: _Ctx, *, index: int | None = None, timestamp: float | None = None,
    conn_id: str | None = None, arrow: str | None = None,
) -> Text:
    """The one-line summary of a frame, fitted to ``ctx.width``."""
    f = rec.frame
    line = Text(no_wrap=True, overflow="ellipsis")
    if index is not None:
        line.append(f"#{index} ", ctx.s("ws.label"))
    line.append_text(ctx.arrow(arrow if arrow is not None else rec.direction))
    if timestamp is not None:
        line.append(" " + _clock(timestamp), ctx.s("ws.offset"))
    if conn_id is not None:
        line.append(" ")
        line.append_text(ctx.text(conn_id, "ws.label"))
    line.append(f" {f.opcode_name:<6}", ctx.s("ws.opcode" if f.opcode is not None else "ws.problem"))
    line.append(" FIN " if f.fin else " frag", ctx.s("ws.fin"))
    line.append(f" {f.payload_len:,} B {f.length_form}-bit", ctx.s("ws.len"))
    if f.mask_key is not None:
        line.append(f" masked {f.mask_key.hex()}", ctx.s("ws.key"))
    else:
        line.append(" unmasked", ctx.s("ws.mask"))
    rsv1 = "RSV1" if any(p.rule in _RSV1_RULES for p in rec.problems) else "RSV1 compressed"
    for on, label in ((f.rsv1, rsv1), (f.rsv2, "RSV2"), (f.rsv3, "RSV3")):
        if on:
            line.append(f" {label}", ctx.s("ws.rsv"))
    suffix = Text()
    if rec.problems:
        suffix = Text(f"  {ctx.cross} {_plural(len(rec.problems), 'problem')}", ctx.s("ws.problem"))
    budget = ctx.width - line.cell_len - suffix.cell_len - 2
    preview = _preview(rec, ctx, budget)
    if preview.plain:
        line.append("  ")
        line.append_text(preview)
    line.append_text(suffix)
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
        ctx = _Ctx(console, options, self.plain)
        m = self.message
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append_text(ctx.arrow(self.direction))
        if self.timestamp is not None:
            line.append(" " + _clock(self.timestamp), ctx.s("ws.offset"))
        if self.conn_id is not None:
            line.append(" ")
            line.append_text(ctx.text(self.conn_id, "ws.label"))
        line.append(f" message {opcode_name(m.opcode)}", ctx.s("ws.opcode"))
        line.append(f" {_plural(m.frames, 'frame')}, {_plural(len(m.payload), 'byte')}")
        if m.compressed:
            line.append(f" (compressed: {m.wire_size:,} on the wire)", ctx.s("ws.rsv"))
        suffix = Text()
        if m.problems:
            suffix = Text(f"  {ctx.cross} {_plural(len(m.problems), 'problem')}", ctx.s("ws.problem"))
        budget = ctx.width - line.cell_len - suffix.cell_len - 4
        if budget > 4 and m.payload:
            line.append("  ")
            if m.text is not None:
                body = ctx.text(m.text[:budget])
                body.truncate(budget - 2, overflow="ellipsis")
                line.append('"').append_text(body).append('"')
            else:
                line.append(_hex_preview(m.payload, budget, ctx.ellipsis), ctx.s("ws.payload"))
        line.append_text(suffix)
        yield line


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
        ctx = _Ctx(console, options, self.plain)
        rec = self.record
        yield summary_line(rec, ctx, index=self.index, timestamp=self.timestamp,
                           conn_id=self.conn_id, arrow=self.arrow)
        if self.detail == "summary":
            return
        fields = annotate(rec.frame)
        if self.detail == "fields":
            yield self._table(ctx, fields)
            yield from self._problems(ctx, heading=False)
            return
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

    def _table(self, ctx: _Ctx, fields: Iterable[Field]) -> Table:
        frame = self.record.frame
        head = encode_header(frame)[:2]
        table = Table(box=box.ASCII if ctx.ascii else box.SIMPLE_HEAD, padding=(0, 1, 0, 0),
                      header_style=ctx.s("ws.label"), show_edge=False)
        for name, kw in (("offset", {"no_wrap": True}), ("bytes", {"no_wrap": True}),
                         ("bits", {"no_wrap": True}), ("field", {"max_width": 16}), ("value", {"overflow": "fold"}),
                         ("meaning", {"ratio": 1})):
            table.add_column(name, **kw)  # type: ignore[arg-type]
        for f in fields:
            rel = f.offset - frame.offset
            span = str(rel) if f.size == 1 else f"{rel}-{rel + f.size - 1}"
            bits = _bits(head[rel], f.bits) if f.bits is not None else ""
            st = ctx.s(field_style(f.name))
            table.add_row(Text(f"0x{f.offset:04x}", ctx.s("ws.offset")), Text(span), Text(bits, st),
                          Text(f.name, st), Text(_value(f), st), Text(f.meaning))
        return table

    def _unmasking(self, ctx: _Ctx) -> RenderResult:
        frame = self.record.frame
        key = frame.mask_key
        if key is None or not 0 < frame.payload_len <= 32:
            return
        yield Text()
        yield ctx.title(f"Unmasking, RFC 6455 §5.3: plain[i] = wire[i] XOR key[i % 4], key = {key.hex(' ')}")
        yield Text("    i  wire  key  plain  char", ctx.s("ws.label"))
        wire = frame.masked_payload
        is_text = frame.opcode_raw in (Opcode.TEXT, Opcode.CONT, Opcode.CLOSE) or self.record.text is not None
        chars = _byte_chars(frame.payload, is_text, ctx.ascii)
        for i, (w, p) in enumerate(zip(wire, frame.payload)):
            line = Text(f"{i:>5}   ")
            line.append(f"{w:02x}", ctx.s("ws.payload")).append(" ^ ")
            line.append(f"{key[i % 4]:02x}", ctx.s("ws.key")).append(" = ")
            line.append(f"{p:02x}", ctx.s("ws.text")).append("     ")
            line.append_text(chars[i])
            yield line

    def _payload(self, ctx: _Ctx) -> RenderResult:
        rec, limit = self.record, self.max_payload_preview
        if rec.close is not None:
            c = rec.close
            yield Text()
            yield ctx.title("Close, RFC 6455 §5.5.1 / §7.4")
            if c.code is None:
                yield Text("no status code" if not rec.frame.payload_len else "1-byte payload: no valid code",
                           ctx.s("ws.close"))
                return
            yield Text(f"code {c.code}: {close_code_meaning(c.code)}", ctx.s("ws.close"))
            if c.reason is not None:
                line = Text(f"reason ({_plural(len(c.reason_bytes), 'byte')}): ")
                yield line.append_text(ctx.text(c.reason[:limit], "ws.reason")) if c.reason else line.append("(none)")
            else:
                yield Text(f"reason is not valid UTF-8: {c.reason_bytes[:64].hex(' ')}", ctx.s("ws.reason"))
        elif rec.inflated is not None:
            yield Text()
            wire = rec.message.wire_size if rec.message else rec.frame.payload_len
            yield ctx.title(f"Inflated, RFC 7692: {_plural(len(rec.inflated), 'byte')} from {wire:,} compressed")
            if rec.text is not None:
                yield self._long_text(ctx, rec.text)
            else:
                yield hexdump(rec.inflated, max_bytes=limit, offset_style=ctx.s("ws.offset"),
                              note_style=ctx.s("ws.dim"), ascii_only=ctx.ascii)
        elif rec.text is not None and rec.frame.payload_len:
            yield Text()
            yield ctx.title(f"Payload as text ({_plural(len(rec.text), 'character')})")
            yield self._long_text(ctx, rec.text)
        m = rec.message
        if m is not None:
            yield Text()
            what = f"{opcode_name(m.opcode)}, {_plural(m.frames, 'frame')}, {_plural(len(m.payload), 'byte')}"
            if m.compressed:
                what += f" ({m.wire_size:,} compressed)"
            yield Text(f"{ctx.check} message complete: {what}", ctx.s("ws.ok" if not m.problems else "ws.problem"))
            if m.frames > 1 and m.text is not None:
                yield self._long_text(ctx, m.text)
            elif m.frames > 1:
                yield Text(_hex_preview(m.payload, ctx.width, ctx.ellipsis), ctx.s("ws.payload"))

    def _long_text(self, ctx: _Ctx, text: str) -> Text:
        shown, more = _clip(text, self.max_payload_preview)
        out = ctx.text(shown)
        if more:
            out.append(f" {ctx.ellipsis} {_plural(more, 'more character')} not shown", ctx.s("ws.dim"))
        return out

    def _hexdump(self, ctx: _Ctx, fields: Iterable[Field]) -> RenderResult:
        frame = self.record.frame
        yield Text()
        title = (f"Hex dump of the whole frame: {_plural(frame.size, 'byte')} "
                 f"({frame.header_size} header + {frame.payload_len:,} payload)")
        yield ctx.title(title)
        # One span per field; in bytes 0 and 1 the last bit field (opcode, length) wins the colour.
        spans = [] if ctx.plain else [
            (f.offset - frame.offset, f.offset - frame.offset + f.size, ctx.s(field_style(f.name)))
            for f in fields
        ]
        if not ctx.plain:
            legend = Text("colours: ", ctx.s("ws.dim"))
            names = {f.name for f in fields}
            for name in _LEGEND:
                if name in names or (name.startswith("extended") and any(n.startswith(name) for n in names)):
                    legend.append(name, ctx.s(field_style(name))).append("  ")
            yield legend
        yield hexdump(_WireBytes(frame), base_offset=frame.offset, spans=spans,
                      max_bytes=self.max_payload_preview, offset_style=ctx.s("ws.offset"),
                      note_style=ctx.s("ws.dim"), ascii_only=ctx.ascii)

    def _problems(self, ctx: _Ctx, *, heading: bool) -> RenderResult:
        rec = self.record
        if heading:
            yield Text()
            if not rec.problems:
                yield Text(f"{ctx.check} no problems", ctx.s("ws.ok"))
                return
            yield ctx.title(f"Problems ({len(rec.problems)})")
        for p in rec.problems:
            yield problem_text(p, rec.frame.offset, plain=ctx.plain, console=ctx.console)


def _byte_chars(payload: bytes, utf8: bool, ascii_only: bool) -> list[Text]:
    """What each payload byte stands for: 'H', '\\x00', or its place in a UTF-8 sequence."""
    out: list[Text] = []
    i = 0
    while i < len(payload):
        b = payload[i]
        size = 1 if b < 0x80 else 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
        if size == 1:
            out.append(Text("'").append_text(inert_text(chr(b), escape_style=None)).append("'"))
        elif size and utf8:
            try:
                ch = payload[i : i + size].decode("utf-8")
            except UnicodeDecodeError:
                size = 0
            else:
                out.append(Text("'").append_text(inert_text(ch, escape_style=None)).append(f"' UTF-8 1/{size}"))
                out.extend(Text(f"    UTF-8 {k}/{size}") for k in range(2, size + 1))
                i += size
                continue
        if size != 1:
            out.append(Text("(not ASCII)" if not utf8 else "(invalid UTF-8)"))
        i += 1
    return out


def render_records(console: Console, records: Iterable[FrameRecord], detail: Detail = "bytes",
                   *, start: int = 1, plain: bool = False) -> None:
    """Print each record as a :class:`FrameView` numbered from ``start``."""
    for i, rec in enumerate(records, start):
        console.print(FrameView(rec, detail, index=i, plain=plain))
        if detail != "summary":
            console.print()
