"""The classroom view (``--detail bytes``) and the field table as lines, drawn with or without rich.

One frame's view is a list of lines, each a list of pieces tagged with theme style names
(:data:`~wsdebug.ui.styles.Line`): who sent it and where it starts, the RFC 6455 §5.2 figure
with its bits, the field table, the unmasking step by step, the payload, the hex dump of the
whole frame and its problems.  :class:`~wsdebug.ui.views.FrameView` styles the pieces for a
terminal (:func:`~wsdebug.ui.theme.lines_text`); output without colour joins their texts, so
a pipe gets the same characters as a terminal and never imports rich.

Every line is fitted to the width here (words wrapped as rich wraps them, the figure and the
dump cropped), so rich has nothing left to lay out.  Untrusted text (payloads, close reasons)
reaches a piece only through :func:`~wsdebug.ui.safe.inert_pieces`.
"""

from __future__ import annotations

from collections.abc import Sequence

from wsdebug.codec.annotate import Field, annotate
from wsdebug.codec.frames import WireFrame, encode_header
from wsdebug.codec.mask import unmask
from wsdebug.codec.rules import Problem
from wsdebug.codec.spec import Opcode, close_code_meaning, opcode_name
from wsdebug.codec.stream import FrameRecord

from .cells import _divide, cell_len, crop, set_cell_size
from .diagram import diagram_lines
from .fieldrows import bits_text, field_value
from .hexdump import hexdump_pieces
from .linefit import IN, OUT, _utf8_size, clip, hex_preview, plural, shows_text
from .safe import inert, inert_pieces
from .styles import Line, field_style, line_str
from .surface import Glyphs

__all__ = ["byte_char_strs", "frame_body", "field_table", "problem_block", "wrap_line"]

#: Field kinds named in the hex dump's colour legend, in the order of the header.
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

#: The hex dump shows 16 bytes a line from this width (its lines are 78 cells), else 8.
HEX16_MIN = 78


def _title(look: Glyphs, text: str) -> list[Line]:
    """A section title: bold and underlined, or ``== title ==`` with ``--plain``."""
    if look.plain:
        return wrap_line([(f"== {text} ==", None)], look.width)
    return wrap_line([(text, "ws.title")], look.width)


# -- fitting lines of pieces ---------------------------------------------------------------------


def _slice(line: Line, start: int, end: int) -> Line:
    """The pieces of ``line`` between character ``start`` and ``end``."""
    out: Line = []
    pos = 0
    for text, style in line:
        a, b = max(start - pos, 0), min(end - pos, len(text))
        if a < b:
            out.append((text[a:b], style))
        pos += len(text)
        if pos >= end:
            break
    return out


def wrap_line(line: Line, width: int) -> list[Line]:
    """``line`` word-wrapped to ``width`` cells where rich would break it, styles kept."""
    text = line_str(line)
    if cell_len(text) <= width:
        return [line]
    bounds = [0, *_divide(text, width), len(text)]
    out = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        seg = text[start:end]
        if len(seg) > width:  # trailing blanks beyond the width go, as rich's rstrip_end
            trail = len(seg) - len(seg.rstrip())
            end -= min(trail, len(seg) - width)
            seg = text[start:end]
        if cell_len(seg) > width:  # only wide characters get here
            end = start + len(set_cell_size(seg, width).rstrip(" "))
        out.append(_slice(line, start, end))
    return out


def _crop(line: Line, width: int) -> Line:
    text = line_str(line)
    return line if cell_len(text) <= width else _slice(line, 0, len(crop(text, width)))


# -- the field table -----------------------------------------------------------------------------

_HEADS = ("offset", "bytes", "bits", "field", "value", "meaning")
_FIELD_MAX = 16  #: the field column wraps longer names ("extended payload length (64-bit)")
_MEANING_MIN = 20  #: the field and value columns wrap before the meaning gets narrower


def _widest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=1)


def field_table(frame: WireFrame, fields: Sequence[Field], look: Glyphs) -> list[Line]:
    """The header fields of ``frame`` as a table fitted to the width, the meaning column last.

    The offset, bytes and bits columns are never wrapped; the field, value and meaning
    columns wrap at words, and give up width, widest first, until the table fits.
    """
    head = encode_header(frame)[:2]
    rows: list[tuple[str, ...]] = []
    names: list[str] = []
    for f in fields:
        rel = f.offset - frame.offset
        span = str(rel) if f.size == 1 else f"{rel}-{rel + f.size - 1}"
        bits = bits_text(head[rel], f.bits) if f.bits is not None else ""
        value = field_value(f, look.ellipsis, frame)
        rows.append((f"0x{f.offset:04x}", span, bits, f.name, value, f.meaning))
        names.append(f.name)
    widths = [max(len(h), *(cell_len(r[i]) for r in rows)) for i, h in enumerate(_HEADS)]
    widths[3] = min(widths[3], _FIELD_MAX)
    least = [
        widths[0],
        widths[1],
        widths[2],
        max(_widest_word(r[3]) for r in rows) if rows else 5,
        min(max(_widest_word(r[4]) for r in rows), 8) if rows else 5,
        _MEANING_MIN,
    ]
    room = look.width - len(_HEADS) + 1 - sum(widths[:5])
    while room < least[5]:  # too narrow: the widest of field and value gives a column
        give = max((3, 4), key=lambda i: widths[i] - least[i])
        if widths[give] <= least[give]:
            break
        widths[give] -= 1
        room += 1
    widths[5] = max(room, 4)  # below 4 the table is cropped at the width: nothing else fits
    sep = "|" if look.ascii else " "
    out: list[Line] = []
    cells = [
        h.ljust(w) if i < 5 else h for i, (h, w) in enumerate(zip(_HEADS, widths, strict=True))
    ]
    out.append([(sep.join(cells), "ws.label")])
    if look.ascii:
        out.append([("+".join("-" * w for w in widths), None)])
    else:
        out.append([("─" * (sum(widths) + len(_HEADS) - 1), None)])
    for row, name in zip(rows, names, strict=True):
        st = field_style(name)
        styles = ("ws.offset", None, st, st, st, None)
        wrapped = [
            [row[i]] if i < 3 else [line_str(x) for x in wrap_line([(row[i], None)], widths[i])]
            for i in range(6)
        ]
        for k in range(max(len(w) for w in wrapped)):
            line: Line = []
            for i in range(6):
                cell = wrapped[i][k] if k < len(wrapped[i]) else ""
                if i < 5:
                    cell = cell + " " * (widths[i] - cell_len(cell))
                if i:
                    line.append((sep, None))
                if cell:
                    line.append((cell, styles[i] if cell.strip() else None))
            out.append(_rstrip(line))
    return [_crop(line, look.width) for line in out]


def _rstrip(line: Line) -> Line:
    while line and not line[-1][0].strip(" "):
        line = line[:-1]
    if line:
        text, style = line[-1]
        line = [*line[:-1], (text.rstrip(" "), style)]
    return line


# -- problems ------------------------------------------------------------------------------------


def problem_block(problem: Problem, frame_offset: int | None, look: Glyphs) -> list[Line]:
    """``✗ offset 0x0006 (byte 6): <message> — RFC 6455 §5.5``, the message wrapped with a
    hanging indent and the section kept whole at the end of the first line."""
    where = f"offset 0x{problem.offset:04x}"
    if frame_offset is not None:
        where += f" (byte {problem.offset - frame_offset})"
    dash = "--" if look.plain else "—"
    cross = "x" if look.plain else "✗"
    body = f"{where}: {inert(problem.message)}"
    rfc = f"{dash} {problem.rfc}"
    room = max(look.width - 2 - len(rfc) - 2, 8)
    parts = [line_str(x) for x in wrap_line([(body, None)], room)]
    width = max(cell_len(p) for p in parts)
    out: list[Line] = []
    for k, part in enumerate(parts):
        if not k:
            pad = " " * (width - cell_len(part))
            out.append([(f"{cross} {part}{pad} {rfc}", "ws.problem")])
        else:
            out.append([(f"  {part}", "ws.problem")])
    return [_crop(line, look.width) for line in out]


# -- bytes as characters -------------------------------------------------------------------------


def byte_char_strs(payload: bytes, utf8: bool) -> list[str]:
    """What each payload byte stands for: 'H', '\\x00', or its place in a UTF-8 sequence."""
    out: list[str] = []
    i = 0
    while i < len(payload):
        b = payload[i]
        size = _utf8_size(b)
        if size == 1:
            out.append(f"'{inert(chr(b))}'")
        elif size and utf8 and i + size > len(payload):  # cut by the end of the fragment
            have = len(payload) - i
            out.append(f"UTF-8 byte 1 of {size} (continues in the next frame)")
            out.extend(f"UTF-8 byte {k} of {size}" for k in range(2, have + 1))
            i += have
            continue
        elif size and utf8:
            try:
                ch = payload[i : i + size].decode("utf-8")
            except UnicodeDecodeError:
                size = 0
            else:
                glyph = f"'{inert(ch)}'"
                pad = " " * cell_len(glyph)
                out.append(f"{glyph} UTF-8 byte 1 of {size}")
                out.extend(f"{pad} UTF-8 byte {k} of {size}" for k in range(2, size + 1))
                i += size
                continue
        if size != 1:
            if not utf8:
                out.append("(not ASCII)")
            elif 0x80 <= b <= 0xBF:  # e.g. the rest of a character split across fragments
                out.append("UTF-8 continuation byte")
            else:
                out.append("(not valid UTF-8 here)")
        i += 1
    return out


# -- the classroom view --------------------------------------------------------------------------


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


def short_fields(frame: WireFrame) -> tuple[Field, ...]:
    """annotate(), without re-masking a huge payload: the views show only its first bytes."""
    if frame.payload_len > 256:
        frame = frame._replace(payload=frame.payload[:256])  # payload_len (and sizes) unchanged
    return annotate(frame)


def frame_body(
    rec: FrameRecord,
    look: Glyphs,
    *,
    arrow: str | None = None,
    limit: int = 4096,
    fields: Sequence[Field] | None = None,
) -> list[Line]:
    """Everything of the classroom view after the frame's summary line, drawn with ``look``.

    Args:
        arrow: the direction to name instead of the record's ("out"/"in" or an arrow).
        limit: characters of text, and bytes of hex dump, shown before eliding.
    """
    frame = rec.frame
    fields = short_fields(frame) if fields is None else fields
    out: list[Line] = []
    way = arrow if arrow is not None else rec.direction
    if way in OUT:
        who = "client -> server" if look.ascii else "client → server"
    elif way in IN:
        who = "server -> client" if look.ascii else "server → client"
    else:
        who = "sender unknown"
    where = f"{who}, stream offset 0x{frame.offset:04x}, {plural(frame.size, 'byte')} on the wire"
    out += wrap_line([(where, "ws.dim")], look.width)
    out.append([])
    out += _title(look, "Frame layout, RFC 6455 §5.2 (the bits on the wire)")
    out += [_crop(x, look.width) for x in diagram_lines(frame, fields, ascii_only=look.ascii)]
    out.append([])
    out += _title(look, "Fields")
    out += field_table(frame, fields, look)
    out += _unmasking(rec, look)
    out += _payload(rec, look, limit)
    out += _hexdump(rec, look, fields, limit)
    out += problem_section(rec, look)
    return [_crop(line, look.width) for line in out]


def problem_section(rec: FrameRecord, look: Glyphs, *, heading: bool = True) -> list[Line]:
    """The frame's problems, under a heading (or "✓ no problems") when ``heading``."""
    out: list[Line] = []
    if heading:
        out.append([])
        if not rec.problems:
            return [*out, [(f"{look.check} no problems", "ws.ok")]]
        out += _title(look, f"Problems ({len(rec.problems)})")
    for p in rec.problems:
        out += problem_block(p, rec.frame.offset, look)
    return out


def _unmasking(rec: FrameRecord, look: Glyphs) -> list[Line]:
    frame = rec.frame
    key = frame.mask_key
    if key is None or not 0 < frame.payload_len <= 32:
        return []
    out: list[Line] = [[]]
    formula = "plain[i] = wire[i] XOR key[i % 4]"
    out += _title(look, f"Unmasking, RFC 6455 §5.3: {formula}, key = {key.hex(' ')}")
    out.append([("    i  wire  key  plain  char", "ws.label")])
    textual = (Opcode.TEXT, Opcode.CONT, Opcode.CLOSE)
    is_text = frame.opcode_raw in textual or rec.text is not None
    chars = byte_char_strs(frame.payload, is_text)
    for i, (w, p) in enumerate(zip(frame.masked_payload, frame.payload, strict=True)):
        line: Line = [
            (f"{i:>5}   ", None),
            (f"{w:02x}", "ws.payload"),
            (" ^ ", None),
            (f"{key[i % 4]:02x}", "ws.key"),
            (" = ", None),
            (f"{p:02x}", "ws.text"),
            (f"     {chars[i]}", None),
        ]
        out += wrap_line(line, look.width)
    return out


def _long_text(text: str, look: Glyphs, limit: int) -> list[Line]:
    shown, more = clip(text, limit)
    line = inert_pieces(shown, "ws.text", None if look.plain else "ws.escape")
    if more:
        line.append((f" {look.ellipsis} {plural(more, 'more character')} not shown", "ws.dim"))
    return wrap_line(line, look.width)


def _payload(rec: FrameRecord, look: Glyphs, limit: int) -> list[Line]:
    out: list[Line] = []
    w = look.width
    if rec.close is not None:
        c = rec.close
        out.append([])
        out += _title(look, "Close, RFC 6455 §5.5.1 / §7.4")
        if c.code is None:
            what = (
                "no status code" if not rec.frame.payload_len else "1-byte payload: no valid code"
            )
            return [*out, *wrap_line([(what, "ws.close")], w)]
        out += wrap_line([(f"code {c.code}: {close_code_meaning(c.code)}", "ws.close")], w)
        if c.reason is not None:
            line: Line = [(f"reason ({plural(len(c.reason_bytes), 'byte')}): ", None)]
            if c.reason:
                escape = None if look.plain else "ws.escape"
                line += inert_pieces(c.reason[:limit], "ws.reason", escape)
            else:
                line.append(("(none)", None))
            out += wrap_line(line, w)
        else:
            bad = c.reason_bytes[:64].hex(" ")
            out += wrap_line([(f"reason is not valid UTF-8: {bad}", "ws.reason")], w)
    elif rec.inflated is not None:
        out.append([])
        wire = rec.message.wire_size if rec.message else rec.frame.payload_len
        size = plural(len(rec.inflated), "byte")
        out += _title(look, f"Inflated, RFC 7692: {size} from {wire:,} compressed")
        inflated_text = rec.text
        if inflated_text is None and rec.message is not None:
            inflated_text = rec.message.text  # the final fragment: the message's text
        if inflated_text is not None:
            out += _long_text(inflated_text, look, limit)
        else:
            out += _dump(rec.inflated, look, limit)
    elif rec.text is not None and rec.frame.payload_len and shows_text(rec):
        out.append([])
        chars = plural(len(rec.text), "character")
        if rec.frame.fin and rec.frame.opcode_raw != Opcode.CONT:
            out += _title(look, f"Payload as text ({chars})")
        else:  # a fragment: the decoder hands out only the characters it completes
            out += _title(look, f"Text completed by this fragment ({chars})")
        out += _long_text(rec.text, look, limit) if rec.text else [[("(none)", "ws.dim")]]
    m = rec.message
    if m is not None:
        out.append([])
        what = f"{opcode_name(m.opcode)}, {plural(m.frames, 'frame')}, "
        what += plural(len(m.payload), "byte")
        if m.compressed:
            what += f" ({m.wire_size:,} compressed)"
        ok = "ws.ok" if not m.problems else "ws.problem"
        out += wrap_line([(f"{look.check} message complete: {what}", ok)], w)
        if m.frames > 1 and m.text is not None:
            out += _long_text(m.text, look, limit)
        elif m.frames > 1:
            out.append([(hex_preview(m.payload, w, look.ellipsis), "ws.payload")])
    return out


def _dump(
    data: bytes | _WireBytes,
    look: Glyphs,
    limit: int,
    *,
    base: int = 0,
    spans: Sequence[tuple[int, int, str]] = (),
) -> list[Line]:
    per_line = 16 if look.width >= HEX16_MIN else 8
    lines = hexdump_pieces(
        data,
        base_offset=base,
        spans=spans,
        width=per_line,
        max_bytes=limit,
        ascii_only=look.ascii,
    )
    return [_crop(x, look.width) for x in lines]


def _hexdump(rec: FrameRecord, look: Glyphs, fields: Sequence[Field], limit: int) -> list[Line]:
    frame = rec.frame
    out: list[Line] = [[]]
    title = (
        f"Hex dump of the whole frame: {plural(frame.size, 'byte')} "
        f"({frame.header_size} header + {frame.payload_len:,} payload)"
    )
    out += _title(look, title)
    # One span per field; in bytes 0 and 1 the last bit field (opcode, length) wins the colour.
    spans = [
        (f.offset - frame.offset, f.offset - frame.offset + f.size, field_style(f.name))
        for f in fields
    ]
    if look.colour:
        legend: Line = [("colours: ", "ws.dim")]
        names = {f.name for f in fields}
        for name in _LEGEND:
            if any(n.startswith(name) for n in names):
                legend += [(name, field_style(name)), ("  ", None)]
        out += wrap_line(_rstrip(legend), look.width)
    out += _dump(_WireBytes(frame), look, limit, base=frame.offset, spans=spans)
    return out
