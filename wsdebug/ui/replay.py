"""Replaying a capture on screen: the whole session printed, or stepped through interactively.

:func:`event_view` turns one replay event into the same renderables the live modes draw
(:class:`~wsdebug.ui.views.FrameView`, the annotated handshake tables, problem lines).
:func:`print_session` prints every event; :class:`ReplayApp` is the prompt-toolkit stepper: a
one-line list of the frames around the current one on top, the current event rendered by rich
into ANSI text in the middle, and a status and help bar at the bottom.  Its logic lives in the
terminal-free :class:`~wsdebug.ui.stepper.Stepper`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group, RenderableType
from rich.text import Text

from ..capture.session import Conversation, Event, HeadEvent, NoteEvent, ReplayFrame
from ..codec.handshake import Request
from ..codec.spec import close_code_meaning
from .errors import DisplayError
from .handshake import handshake_view
from .rows import (
    FieldLayout,
    FieldRows,
    Glyphs,
    message_row,
    plain_sink,
    problem_rows,
    summary_row,
    wrap,
)
from .safe import inert, inert_text
from .stepper import Stepper
from .theme import THEME
from .views import FrameView, MessageView, problem_text

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples

HELP = "n/p next/prev  g jump  ! problem  d detail  f dir  o opcode  / search  c conv  e export  ↑↓ scroll  q quit"


def _style(plain: bool, name: str) -> str:
    return "" if plain else name


def conversation_header(conv: Conversation, kind: str, *, plain: bool = False) -> Group:
    """The title of a conversation and the notes about where its frames came from."""
    title = inert_text(
        conv.describe(ascii_only=plain), _style(plain, "ws.title"), escape_style=None
    )
    lines = [title.append(f"  ({kind})", "")]  # describe() holds addresses and a Host header
    if conv.deflate is not None:
        lines.append(
            Text(
                f"permessage-deflate in force: {conv.deflate.header_value()}",
                _style(plain, "ws.rsv"),
            )
        )
    lines.extend(
        inert_text(note, _style(plain, "ws.dim"), escape_style=None) for note in conv.notes
    )
    return Group(*lines)


def _timestamp(conv: Conversation, ev: Event) -> float | None:
    return ev.t if conv.t0 else None  # hex dumps carry no times


def event_view(
    conv: Conversation, ev: Event, detail: str, *, plain: bool = False
) -> RenderableType:
    """The renderable for one event at ``detail`` ("summary", "fields" or "bytes")."""
    if isinstance(ev, ReplayFrame):
        view = FrameView(
            ev.record,
            detail,  # type: ignore[arg-type]
            index=ev.number,
            timestamp=_timestamp(conv, ev),
            plain=plain,
        )
        if detail != "summary":
            return view
        shown: list[RenderableType] = [view]
        shown.extend(problem_text(p, ev.record.frame.offset, plain=plain) for p in ev.problems)
        msg = ev.record.message
        if msg is not None and (msg.frames > 1 or msg.compressed):
            shown.append(MessageView(msg, ev.record.direction, plain=plain))
        return Group(*shown)
    if isinstance(ev, HeadEvent):
        arrow = "->" if plain else "→"
        who = (
            f"request, client {arrow} server"
            if ev.direction == "c2s"
            else f"response, server {arrow} client"
        )
        if detail == "summary":
            head = ev.head
            if isinstance(head, Request):
                start = f"{head.method} {head.target}"
            else:
                start = f"{head.status} {head.reason}"
            line = Text(f"handshake {who}: ", _style(plain, "ws.label"))
            line.append_text(inert_text(start, escape_style=None))
            parts: list[RenderableType] = [line]
        else:
            parts = [handshake_view(ev.head, [], plain=plain, title=f"handshake {who}")]
        parts.extend(problem_text(p, plain=plain) for p in ev.problems)
        if not ev.problems and detail != "summary":
            parts.append(Text("✓ valid" if not plain else "ok: valid", _style(plain, "ws.ok")))
        return Group(*parts)
    assert isinstance(ev, NoteEvent)
    line = Text("note: ", _style(plain, "ws.problem" if ev.is_problem else "ws.dim"))
    line.append_text(inert_text(ev.text, escape_style=None))
    return Group(line, *(problem_text(p, plain=plain) for p in ev.problems))


def close_line(conv: Conversation, *, plain: bool = False) -> Text:
    """How the conversation ended, and how many events have problems."""
    c = conv.close_summary()
    n, bad = conv.frame_count, conv.problem_count
    text = Text(f"{n} frame{'s' if n != 1 else ''}; ", _style(plain, "ws.label"))
    initiator: object = c.initiator  # a Role (None: the transport ended first), or its name
    who = "transport" if initiator is None else str(getattr(initiator, "value", initiator))
    if who == "transport":
        text.append("no close frame before the capture ends (1006)", _style(plain, "ws.close"))
    else:
        text.append(
            f"closed by the {who} with {c.code} {close_code_meaning(c.code or 0)}",
            _style(plain, "ws.close"),
        )
        if c.reason:
            quotes = '""' if plain else "“”"
            text.append(" " + quotes[0]).append_text(
                inert_text(c.reason, escape_style=None)
            ).append(quotes[1])
        text.append(
            ", both close frames exchanged" if c.clean else ", not answered",
            _style(plain, "ws.close"),
        )
    if conv.end_reason:
        text.append("; ").append_text(inert_text(conv.end_reason, escape_style=None))
    text.append("; ")
    text.append(
        f"{bad} event{'s' if bad != 1 else ''} with problems" if bad else "no problems",
        _style(plain, "ws.problem" if bad else "ws.ok"),
    )
    return text


def print_session(
    console: Console,
    convs: Iterable[Conversation],
    kind: str,
    *,
    detail: str = "bytes",
    plain: bool = False,
    file_notes: Iterable[str] = (),
    visible: Any = None,
    hint: str = "replay on a terminal steps through them (g N shows frame N)",
) -> None:
    """Print every (visible) event of every conversation, then how each ended.

    Without colour, or for more than :data:`~wsdebug.ui.rows.COLOUR_MAX` frames, the frames
    go out as plain rows (:mod:`wsdebug.ui.rows`); at ``bytes`` a
    conversation of many frames is drawn in full at both ends and as summary lines between.
    """
    convs = list(convs)
    sink = plain_sink(console, sum(len(conv.frames) for conv in convs))
    rows = _FrameRows(console, sink, plain) if sink is not None else None
    g = Glyphs.for_console(console, plain)

    def show(renderable: RenderableType) -> None:
        if sink is not None:
            sink.flush()
        console.print(renderable)

    for note in file_notes:
        show(inert_text(note, _style(plain, "ws.dim"), escape_style=None))
    for i, conv in enumerate(convs):
        if i:
            show(Text())
        show(conversation_header(conv, kind, plain=plain))
        show(Text())
        _print_events(console, conv, detail, plain, visible, hint, sink, rows, g)
        show(close_line(conv, plain=plain))


def _print_events(
    console: Console,
    conv: Conversation,
    detail: str,
    plain: bool,
    visible: Any,
    hint: str,
    sink: Any,
    rows: _FrameRows | None,
    g: Glyphs,
) -> None:
    """One conversation's events; at ``bytes``, many frames are summary lines between the ends."""
    from .output import full_frames, summarised_note

    def show(renderable: RenderableType) -> None:
        if sink is not None:
            sink.flush()
        console.print(renderable)

    events = [ev for ev in conv.events if visible is None or visible(ev)]
    n = sum(1 for ev in events if isinstance(ev, ReplayFrame))
    a, b = full_frames(n, detail)
    pos = 0
    for ev in events:
        level = detail
        if isinstance(ev, ReplayFrame):
            pos += 1
            if pos == a and a <= b:
                note = summarised_note(a, b, hint, ascii_only=g.ascii)
                if sink is not None:
                    sink.extend(wrap(note, g.width))
                else:
                    console.print(Text(note, _style(plain, "ws.dim")))
            if a <= pos <= b:
                level = "summary"
        if rows is not None and isinstance(ev, ReplayFrame) and level != "bytes":
            rows.frame(conv, ev, level)
        else:
            show(event_view(conv, ev, level, plain=plain))
        if level != "summary" or (isinstance(ev, ReplayFrame) and pos == b and a <= b):
            if sink is not None:
                sink.add("")
            else:
                console.print()


class _FrameRows:
    """Replay frames as plain rows, as :func:`event_view` would draw them without colour."""

    def __init__(self, console: Console, sink: Any, plain: bool) -> None:
        self.sink, self.plain = sink, plain
        self.g = Glyphs.for_console(console, plain)
        self._tables: dict[int, FieldRows] = {}  # by id() of the conversation

    def _table(self, conv: Conversation, events: Iterable[Event] | None = None) -> FieldRows:
        """The field table of ``conv``, its columns fitted to its frames (to ``events``, the
        ones read ahead, for a streamed conversation: wider cells later push their row)."""
        table = self._tables.get(id(conv))
        if table is None:
            evs = conv.events if events is None else events
            frames = [f.record.frame for f in evs if type(f) is ReplayFrame]
            layout = FieldLayout.for_frames(frames, ascii_only=self.g.ascii)
            table = self._tables[id(conv)] = FieldRows(layout, self.g.ellipsis)
        return table

    def frame(self, conv: Conversation, ev: ReplayFrame, detail: str) -> None:
        g, sink, rec = self.g, self.sink, ev.record
        sink.add(summary_row(rec, g, index=ev.number, timestamp=ev.t if conv.t0 else None))
        if detail == "summary":
            for p in ev.problems:
                sink.extend(problem_rows(p, rec.frame.offset, g))
            msg = rec.message
            if msg is not None and (msg.frames > 1 or msg.compressed):
                sink.add(message_row(msg, rec.direction, g))
            return
        sink.add(self._table(conv).block(rec.frame))
        for p in rec.problems:
            sink.extend(problem_rows(p, rec.frame.offset, g))


def _offscreen(width: int, *, plain: bool, record: bool = False) -> Console:
    """A console drawing into a string, in colour unless ``plain``."""
    return Console(
        file=io.StringIO(),
        width=max(width, 20),
        theme=THEME,
        force_terminal=not plain,
        color_system=None if plain else "truecolor",
        no_color=plain,
        highlight=False,
        emoji=False,
        markup=False,
        safe_box=True,
        legacy_windows=False,
        record=record,
    )


def render_ansi(renderable: RenderableType, width: int, *, plain: bool = False) -> str:
    """``renderable`` drawn by rich as text with ANSI colour sequences (none when ``plain``)."""
    console = _offscreen(width, plain=plain)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def export_view(
    renderable: RenderableType,
    svg: Path | None,
    html: Path | None,
    *,
    width: int = 100,
    plain: bool = False,
) -> None:
    """Save one renderable as SVG and/or HTML (raises DisplayError on a write error)."""
    from .output import export

    console = _offscreen(width, plain=plain, record=True)
    console.print(renderable)
    export(console, svg, html, title="wsdebug replay")


class ReplayApp:
    """The interactive stepper.  ``input``/``output`` are for tests (pipe input, DummyOutput)."""

    def __init__(
        self,
        stepper: Stepper,
        kind: str,
        *,
        plain: bool = False,
        svg: Path | None = None,
        html: Path | None = None,
        input: Any = None,
        output: Any = None,
    ) -> None:
        from prompt_toolkit import Application
        from prompt_toolkit.buffer import Buffer
        from prompt_toolkit.filters import Condition
        from prompt_toolkit.layout import ConditionalContainer, HSplit, Layout, Window
        from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl

        self.stepper, self.kind, self.plain = stepper, kind, plain
        self.svg, self.html = svg, html
        self.scroll = 0
        self.mode: str | None = None  # "jump" or "search" while the input line is open
        self._cache: tuple[tuple[Any, ...], list[str]] | None = None
        self.input = Buffer(multiline=False, accept_handler=self._accept)
        typing = Condition(lambda: self.mode is not None)
        self.body = Window(FormattedTextControl(self._body), wrap_lines=False)
        prompt = Window(
            BufferControl(self.input), height=1, get_line_prefix=lambda *_: self._prompt_prefix()
        )
        root = HSplit(
            [
                Window(FormattedTextControl(self._strip), height=1),
                self.body,
                ConditionalContainer(prompt, filter=typing),
                Window(
                    FormattedTextControl(self._status),
                    height=2,
                    style="reverse" if not plain else "",
                ),
            ]
        )
        self.app: Application[None] = Application(
            layout=Layout(root),
            key_bindings=self._keys(typing),
            full_screen=True,
            input=input,
            output=output,
            mouse_support=False,
        )
        self._prompt = prompt

    # -- drawing ---------------------------------------------------------------------------------

    def _size(self) -> tuple[int, int]:
        size = self.app.output.get_size()
        return size.columns, max(size.rows - 4, 3)

    def _lines(self) -> list[str]:
        st = self.stepper
        width, _ = self._size()
        key = (st.conv_index, st.cursor, st.detail, width, st.current is None)
        if self._cache is None or self._cache[0] != key:
            ev = st.current
            if ev is None:
                view: RenderableType = Text(st.message or "nothing to show")
            else:
                view = event_view(st.conversation, ev, st.detail, plain=self.plain)
            self._cache = (key, render_ansi(view, width, plain=self.plain).splitlines())
        return self._cache[1]

    def _body(self) -> Any:
        from prompt_toolkit.formatted_text import ANSI

        lines = self._lines()
        _, height = self._size()
        self.scroll = max(0, min(self.scroll, len(lines) - height))
        return ANSI("\n".join(lines[self.scroll : self.scroll + height]))

    def _strip(self) -> StyleAndTextTuples:
        width, _ = self._size()
        out: StyleAndTextTuples = []
        for item in self.stepper.strip(width - 2):
            style = "reverse bold" if item.current else ""
            if item.problem and not self.plain:
                style += " fg:ansired"
            elif not self.plain:
                style += " fg:ansigreen" if item.direction == "s2c" else " fg:ansiyellow"
            out.append((style, f" {item.label}{'!' if item.problem else ''} "))
            out.append(("", " "))
        return out

    def _status(self) -> StyleAndTextTuples:
        st = self.stepper
        at, total = st.position()
        head = f" {at}/{total} | detail {st.detail} | filter {st.filters()} | "
        if st.message:
            head += f"{st.message} | "
        head += f"{st.conversation.describe()} ({self.kind})"
        return [("bold", inert(head) + "\n"), ("", " " + HELP)]  # messages quote captured text

    def _prompt_prefix(self) -> StyleAndTextTuples:
        return [("bold", "frame number: " if self.mode == "jump" else "search: ")]

    # -- input -----------------------------------------------------------------------------------

    def _open(self, mode: str) -> None:
        self.mode = mode
        self.input.reset()
        self.app.layout.focus(self._prompt)

    def _close(self) -> None:
        self.mode = None
        self.app.layout.focus(self.body)

    def _accept(self, buffer: Any) -> bool:
        text, mode = buffer.text.strip(), self.mode
        self._close()
        if mode == "jump":
            if text.isdigit():
                self.stepper.jump(int(text))
            else:
                self.stepper.message = f"not a frame number: {text!r}" if text else ""
        elif mode == "search":
            self.stepper.search(text or None)
        self.scroll = 0
        return False

    def _export(self) -> None:
        st = self.stepper
        ev = st.current
        if ev is None:
            st.message = "nothing to export"
            return
        svg, html = self.svg, self.html
        if svg is None and html is None:
            number = ev.number if isinstance(ev, ReplayFrame) else st.cursor + 1
            svg = Path(f"wsdebug-replay-{st.conversation.id}-{number}.svg")
        try:
            export_view(
                event_view(st.conversation, ev, st.detail, plain=self.plain),
                svg,
                html,
                plain=self.plain,
            )
        except DisplayError as exc:
            st.message = str(exc)
            return
        st.message = "saved " + ", ".join(str(p) for p in (svg, html) if p is not None)

    def _keys(self, typing: Any) -> Any:
        from prompt_toolkit.key_binding import KeyBindings

        kb = KeyBindings()
        st = self.stepper
        idle = ~typing

        def on(*keys: str, reset: bool = True) -> Any:
            def register(action: Any) -> Any:
                def handler(event: Any) -> None:
                    action()
                    if reset:
                        self.scroll = 0

                for key in keys:
                    kb.add(key, filter=idle)(handler)
                return action

            return register

        on("n", "right", " ")(st.next)
        on("p", "left", "backspace")(st.previous)
        on("home")(st.first)
        on("end", "G")(st.last)
        on("!")(st.next_problem)
        on("d", reset=False)(st.cycle_detail)
        on("f")(st.cycle_direction)
        on("o")(st.cycle_opcode)
        on("c")(st.cycle_conversation)
        on("e", reset=False)(self._export)
        on("g", ":")(lambda: self._open("jump"))
        on("/")(lambda: self._open("search"))
        on("up", reset=False)(lambda: self._scroll(-1))
        on("down", reset=False)(lambda: self._scroll(1))
        on("pageup", reset=False)(lambda: self._scroll(-self._size()[1]))
        on("pagedown", reset=False)(lambda: self._scroll(self._size()[1]))
        on("q", "c-c", "c-d")(lambda: self.app.exit())

        @kb.add("escape", filter=typing)
        @kb.add("c-c", filter=typing)
        def cancel(event: Any) -> None:
            self._close()

        return kb

    def _scroll(self, delta: int) -> None:
        self.scroll = max(0, self.scroll + delta)

    def run(self) -> None:
        self.app.run()
