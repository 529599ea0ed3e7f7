"""``wsdebug explain``: a frame, and the Accept computation, walked through in numbered steps.

The steps follow the way the seed write-up decodes a frame by hand: byte 0 (FIN, RSV,
opcode), byte 1 (MASK and the 7-bit length, and which of the three length cases applies), the
extended length, the masking key, the XOR byte by byte, the UTF-8 decoding with its byte
groups, the close code.  Every number comes from the codec's annotation
(:func:`wsdebug.codec.annotate.annotate`) and the decoded record; untrusted text (payload
text, close reasons, keys) goes through :func:`~wsdebug.ui.safe.inert` before it is put in a
step, and steps are drawn as :class:`~rich.text.Text`, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.terminal_theme import TerminalTheme
from rich.text import Text

from ..codec.accept import AcceptSteps
from ..codec.annotate import Field, annotate
from ..codec.frames import encode_header
from ..codec.spec import GUID, Role
from ..codec.stream import FrameRecord
from .i18n import close_code_text, opcode_text, tr
from .safe import inert

#: Rows of the XOR table shown in full up to this many payload bytes; beyond, the first
#: :data:`XOR_HEAD` rows and a count.
XOR_FULL = 16
XOR_HEAD = 8
#: Characters of the UTF-8 table shown in full up to this many; beyond, the first ones.
UTF8_FULL = 24
HEX_PREVIEW = 32


@dataclass(frozen=True)
class Step:
    """One numbered step: a title, prose lines, and an optional table (first row: header)."""

    title: str
    lines: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()
    after: tuple[str, ...] = ()  #: prose lines drawn after the table


@dataclass
class Explanation:
    title: str
    steps: list[Step] = field(default_factory=list)


def _bits(byte: int) -> str:
    b = format(byte, "08b")
    return f"{b[:4]} {b[4:]}"


def _hex(data: bytes, limit: int = HEX_PREVIEW) -> str:
    if len(data) <= limit:
        return data.hex(" ")
    return data[:limit].hex(" ") + f" … (+{len(data) - limit})"


def _field(fields: tuple[Field, ...], name: str) -> Field | None:
    return next((f for f in fields if f.name == name), None)


def explain_frame(rec: FrameRecord, n: int, lang: str, sender: Role | None) -> Explanation:
    """The steps for one decoded frame (``n`` counts frames from 1)."""
    f = rec.frame
    fields = annotate(f)
    head = encode_header(f)
    who = {Role.CLIENT: "who.client", Role.SERVER: "who.server"}.get(sender, "who.unknown")  # type: ignore[arg-type]
    out = Explanation(tr(lang, "frame.title", n=n, size=f.size, who=tr(lang, who)))
    add = out.steps.append
    b0, b1 = head[0], head[1]
    rsv = f"{int(f.rsv1)} {int(f.rsv2)} {int(f.rsv3)}"
    rsv_key = "b0.rsv0" if not (f.rsv1 or f.rsv2 or f.rsv3) else "b0.rsv1" if f.rsv1 else "b0.rsvx"
    add(
        Step(
            tr(lang, "b0.title", byte=b0, bits=_bits(b0)),
            (
                tr(lang, "b0.fin1" if f.fin else "b0.fin0"),
                tr(lang, rsv_key, rsv=rsv),
                tr(
                    lang,
                    "b0.op",
                    opbits=format(f.opcode_raw, "04b"),
                    op=f.opcode_raw,
                    meaning=opcode_text(lang, f.opcode_raw),
                ),
            ),
        )
    )
    len7 = b1 & 0x7F
    case = "b1.case7" if len7 <= 125 else "b1.case16" if len7 == 126 else "b1.case64"
    add(
        Step(
            tr(lang, "b1.title", byte=b1, bits=_bits(b1)),
            (
                tr(lang, "b1.mask1" if f.masked else "b1.mask0"),
                tr(lang, "b1.len", byte=b1, lenbits=format(len7, "07b"), len7=len7),
                tr(lang, "b1.cases"),
                tr(lang, case, len7=len7, n=f.payload_len),
            ),
        )
    )
    ext = next((x for x in fields if x.name.startswith("extended payload length")), None)
    if ext is not None:
        a = ext.offset - f.offset
        raw = ext.raw if isinstance(ext.raw, bytes) else b""
        add(
            Step(
                tr(lang, "ext.title", a=a, b=a + ext.size - 1),
                (tr(lang, "ext.body", hex=raw.hex(" "), value=f.payload_len),),
            )
        )
    start = f.header_size
    end = f.header_size + f.payload_len - 1
    if f.mask_key is not None:
        a = f.header_size - 4
        add(
            Step(
                tr(lang, "key.title", a=a, b=a + 3),
                (tr(lang, "key.body", hex=f.mask_key.hex(" ")),),
            )
        )
    else:
        add(Step(tr(lang, "nokey.title"), (tr(lang, "nokey.body", a=start),)))
    if f.payload_len == 0:
        add(Step(tr(lang, "empty.title"), (tr(lang, "empty.body"),)))
    elif f.mask_key is not None:
        add(_xor_step(f.masked_payload, f.payload, f.mask_key, start, end, lang))
    else:
        add(Step(tr(lang, "plain.title", a=start, b=end), (tr(lang, "plain.body"),)))
    payload_step = _payload_step(rec, lang)
    if payload_step is not None:
        add(payload_step)
    problems = list(rec.problems)
    if problems:
        lines = [tr(lang, "checks.bad", n=len(problems))]
        lines += [
            tr(lang, "checks.item", offset=p.offset, message=inert(p.message), rfc=p.rfc)
            for p in problems
        ]
        add(Step(tr(lang, "checks.title"), tuple(lines)))
    else:
        add(Step(tr(lang, "checks.title"), (tr(lang, "checks.ok"),)))
    return out


def _xor_step(masked: bytes, plain: bytes, key: bytes, a: int, b: int, lang: str) -> Step:
    shown = len(masked) if len(masked) <= XOR_FULL else XOR_HEAD
    rows: list[tuple[str, ...]] = [tuple(tr(lang, "xor.head").split("|"))]
    rows += [
        (str(i), f"{masked[i]:02x}", f"{key[i % 4]:02x}", f"{plain[i]:02x}") for i in range(shown)
    ]
    m, k, r = masked[0], key[0], plain[0]
    lines = [
        tr(
            lang,
            "xor.example",
            m=m,
            k=k,
            r=r,
            mb=format(m, "08b"),
            kb=format(k, "08b"),
            rb=format(r, "08b"),
        )
    ]
    if shown < len(masked):
        lines.append(tr(lang, "xor.more", rest=len(masked) - shown))
    return Step(tr(lang, "xor.title", a=a, b=b), tuple(lines), tuple(rows))


def utf8_groups(data: bytes, limit: int = UTF8_FULL) -> tuple[list[tuple[bytes, str]], int]:
    """The first ``limit`` characters of valid UTF-8 ``data`` with their bytes, and the count left."""
    text = data.decode("utf-8")
    groups = []
    pos = 0
    for ch in text[:limit]:
        size = len(ch.encode("utf-8"))
        groups.append((data[pos : pos + size], ch))
        pos += size
    return groups, max(0, len(text) - limit)


def _payload_step(rec: FrameRecord, lang: str) -> Step | None:
    f = rec.frame
    op = f.opcode_raw
    if op == 0x8:
        if f.payload_len == 0:
            return Step(tr(lang, "close.title"), (tr(lang, "close.empty"),))
        if f.payload_len < 2:
            return Step(
                tr(lang, "close.title"), (tr(lang, "control.body", n=1, hex=_hex(f.payload)),)
            )
        code = int.from_bytes(f.payload[:2], "big")
        lines = [
            tr(
                lang,
                "close.code",
                hex=f.payload[:2].hex(" "),
                code=code,
                meaning=close_code_text(lang, code),
            )
        ]
        reason = f.payload[2:]
        if reason:
            text = reason.decode("utf-8", "backslashreplace")
            lines.append(tr(lang, "close.reason", reason=f"'{inert(text)}'"))
        else:
            lines.append(tr(lang, "close.noreason"))
        return Step(tr(lang, "close.title"), tuple(lines))
    if f.payload_len == 0:
        return None
    if op in (0x9, 0xA):
        return Step(
            tr(lang, "control.title"),
            (tr(lang, "control.body", n=f.payload_len, hex=_hex(f.payload)),),
        )
    data = f.payload
    first: list[str] = []
    if f.rsv1 and op in (0x0, 0x1, 0x2):
        if rec.inflated is None:
            return Step(tr(lang, "deflate.title"), (tr(lang, "deflate.none"),))
        data = rec.inflated  # the message the frame completes, inflated (RFC 7692)
        first.append(tr(lang, "deflate.body", n=f.payload_len, m=len(data)))
        if op == 0x2:
            return Step(
                tr(lang, "deflate.title"), (*first, tr(lang, "binary.body", op=op, hex=_hex(data)))
            )
    if op == 0x1 or (op == 0x0 and (rec.text is not None or first)):
        try:
            groups, rest = utf8_groups(data)
        except UnicodeDecodeError:
            key = "utf8.partial" if (not f.fin or op == 0x0) and rec.ok else "utf8.bad"
            return Step(tr(lang, "utf8.title"), (tr(lang, "utf8.rule"), tr(lang, key)))
        rows: list[tuple[str, ...]] = [tuple(tr(lang, "utf8.head").split("|"))]
        rows += [(raw.hex(" "), inert(ch), f"U+{ord(ch):04X}") for raw, ch in groups]
        lines = [*first, tr(lang, "utf8.rule")]
        if rest:
            lines.append(tr(lang, "utf8.more", rest=rest))
        text = data.decode("utf-8")
        shown = text if len(text) <= 200 else text[:200] + "…"
        after = (tr(lang, "utf8.text", text=inert(shown)),)
        return Step(tr(lang, "utf8.title"), tuple(lines), tuple(rows), after)
    return Step(tr(lang, "binary.title"), (tr(lang, "binary.body", op=op, hex=_hex(f.payload)),))


def explain_accept(steps: AcceptSteps, problem: str | None, lang: str) -> Explanation:
    """The Sec-WebSocket-Accept computation as numbered steps."""
    sha = " ".join(steps.sha1_hex[i : i + 2] for i in range(0, len(steps.sha1_hex), 2))
    out = Explanation(tr(lang, "accept.title"))
    key_lines = [inert(steps.key)]
    if problem:
        key_lines.append(tr(lang, "accept.bad", problem=inert(problem)))
    out.steps += [
        Step(tr(lang, "accept.s1"), tuple(key_lines)),
        Step(tr(lang, "accept.s2"), (f"+ {GUID}", inert(steps.concatenated))),
        Step(tr(lang, "accept.s3"), (sha,)),
        Step(tr(lang, "accept.s4"), (f"Sec-WebSocket-Accept: {steps.accept}",)),
        Step(tr(lang, "accept.s5")),
    ]
    return out


# -- drawing ---------------------------------------------------------------------------------

#: The export theme: black on white, so nothing drawn in the terminal's default colours
#: vanishes on a projector's white screen (the theme's own colours keep 4.5:1 on white).
LIGHT_THEME = TerminalTheme(
    (255, 255, 255),
    (0, 0, 0),
    [
        (0, 0, 0),
        (170, 0, 0),
        (0, 120, 0),
        (120, 80, 0),
        (0, 0, 170),
        (140, 0, 140),
        (0, 110, 120),
        (60, 60, 60),
    ],
    [
        (40, 40, 40),
        (200, 0, 0),
        (0, 130, 0),
        (140, 90, 0),
        (0, 0, 200),
        (160, 0, 160),
        (0, 120, 130),
        (0, 0, 0),
    ],
)


def render(ex: Explanation, console: Console, *, plain: bool = False) -> None:
    console.print(Text(ex.title, style="bold ws.title"))
    for i, step in enumerate(ex.steps, 1):
        console.print()
        console.print(Text(f"{i}. {step.title}", style="bold"))
        for line in step.lines:
            console.print(Padding(Text(line), (0, 0, 0, 3), expand=False))
        if step.table:
            t = Table(box=box.ASCII if plain else box.SIMPLE_HEAD, padding=(0, 1), pad_edge=True)
            for name in step.table[0]:
                t.add_column(Text(name, style="bold"), justify="right")
            for row in step.table[1:]:
                t.add_row(*(Text(c) for c in row))
            console.print(Padding(t, (0, 0, 0, 1), expand=False))
        for line in step.after:
            console.print(Padding(Text(line), (0, 0, 0, 3), expand=False))


def print_explanations(
    explanations: list[Explanation],
    *,
    plain: bool = False,
    svg: Path | None = None,
    notes: list[str] | None = None,
) -> None:
    from .output import stdout_console

    console = stdout_console(plain=plain, record=svg is not None)
    for i, ex in enumerate(explanations):
        if i:
            console.print()
        render(ex, console, plain=plain)
    for note in notes or []:
        console.print()
        console.print(Text(note, style="ws.problem"))
    if svg is not None:
        save_svg(console, svg, explanations[0].title if explanations else "wsdebug")


_NOT_DIM = Style(dim=False)


def undim(console: Console) -> None:
    """Drop ``dim`` from what ``console`` recorded, before a slide is exported.

    rich draws dim text by blending its colour with the background: on the white slide a dim
    #0073e7 becomes #66abf0 (2.4:1, unreadable on a projector).  Slides are for the back row.
    """
    with console._record_buffer_lock:
        buf = console._record_buffer
        buf[:] = [
            Segment(seg.text, seg.style + _NOT_DIM, seg.control)
            if seg.style is not None and seg.style.dim
            else seg
            for seg in buf
        ]


def save_svg(console: Console, path: Path, title: str, *, clear: bool = False) -> None:
    """Save what ``console`` recorded as a slide: black on white, nothing dim."""
    from .errors import DisplayError

    undim(console)
    try:
        console.save_svg(str(path), title=title, theme=LIGHT_THEME, clear=clear)
    except OSError as exc:
        raise DisplayError(f"cannot write export: {exc.strerror}: {exc.filename}") from None
