"""The replay cursor: which event is shown, which are filtered out, searching.  No terminal here.

:class:`Stepper` holds the conversations of a capture and a cursor on the events of one of
them.  Filters (direction, opcode) hide events; moving, jumping, "next problem" and search only
land on visible events.  After every command :attr:`Stepper.message` says what happened in a
few words (for the status bar), e.g. "no later problem" or "frame 9 is hidden by the filter".
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..capture.lazy import FRAME, HEAD, EventIndex
from ..capture.session import Conversation
from ..codec.events import Event, FrameEvent, HeadEvent, NoteEvent, direction_of
from ..codec.spec import Direction, Opcode, opcode_name

DETAILS = ("summary", "fields", "bytes")
DIRECTIONS: tuple[Direction | None, ...] = (
    None,
    Direction.C2S,
    Direction.S2C,
)  #: the cycle of the direction filter
OPCODES: tuple[int | None, ...] = (
    None,
    Opcode.TEXT,
    Opcode.BINARY,
    Opcode.CONT,
    Opcode.CLOSE,
    Opcode.PING,
    Opcode.PONG,
)
_SHORT: dict[int, str] = {
    Opcode.TEXT: "TXT",
    Opcode.BINARY: "BIN",
    Opcode.CONT: "CONT",
    Opcode.CLOSE: "CLOSE",
    Opcode.PING: "PING",
    Opcode.PONG: "PONG",
}


@dataclass(frozen=True)
class StripItem:
    """One cell of the one-line list of events around the cursor."""

    index: int  #: position in the conversation's events
    label: str
    direction: Direction | None
    current: bool
    problem: bool


def label(ev: Event) -> str:
    """A few characters naming an event: ``7→TXT``, ``REQ``, ``101``, ``note``."""
    if isinstance(ev, FrameEvent):
        op = ev.record.frame.opcode_raw
        return f"{ev.number}{ev.direction.arrow}{_SHORT.get(op, f'0x{op:X}')}"
    if isinstance(ev, HeadEvent):
        return "REQ" if ev.direction is Direction.C2S else str(getattr(ev.head, "status", "RESP"))
    return "note"


def searchable(ev: Event) -> str:
    """The text ``/`` searches in: payload text, close reason, hex of the payload, head text."""
    if isinstance(ev, FrameEvent):
        rec = ev.record
        parts = [rec.text or "", rec.frame.payload.hex(), rec.frame.opcode_name]
        if rec.message is not None and rec.message.text:
            parts.append(rec.message.text)
        return "\n".join(parts)
    if isinstance(ev, HeadEvent):
        return ev.head.raw.decode("latin-1")
    return ev.text if isinstance(ev, NoteEvent) else ""


def parse_opcode(name: str) -> int:
    """An opcode from ``text``, ``TEXT``, ``0x1`` or ``1``; ValueError otherwise."""
    value = name.strip().upper()
    aliases = {"CONTINUATION": "CONT", "BIN": "BINARY", "TXT": "TEXT"}
    value = aliases.get(value, value)
    for op in Opcode:
        if op.name == value:
            return int(op)
    try:
        number = int(value, 0)
    except ValueError:
        raise ValueError(
            f"unknown opcode {name!r}: use text, binary, cont, close, ping, pong or 0-15"
        ) from None
    if not 0 <= number <= 15:
        raise ValueError(f"opcode must be 0-15, not {number}")
    return number


class Stepper:
    """Cursor, filters and search over the events of a capture's conversations."""

    def __init__(
        self,
        conversations: list[Conversation],
        *,
        conv: int = 0,
        detail: str = "bytes",
        direction: str | None = None,
        opcode: int | None = None,
    ) -> None:
        if not conversations:
            raise ValueError("no conversation to step through")
        self.conversations = conversations
        self.conv_index = conv
        self.detail = detail
        self.direction = None if direction is None else Direction(direction)
        self.opcode = opcode
        self.query = ""
        self.message = ""
        self.cursor = 0
        self._indexes: dict[int, EventIndex] = {}
        self._snap(forward=True)
        if len(conversations) > 1:
            self.message = f"{len(conversations)} conversations: c switches"

    # -- state -----------------------------------------------------------------------------------

    @property
    def conversation(self) -> Conversation:
        return self.conversations[self.conv_index]

    @property
    def events(self) -> Sequence[Event]:
        """The conversation's events: a list, or capture.lazy's LazyEvents (decoded on demand:
        everything but :attr:`current` and search reads :attr:`index` instead)."""
        return self.conversation.events

    @property
    def index(self) -> EventIndex:
        """What the filters, counters and strip read: a few bytes per event."""
        conv = self.conversation
        index = self._indexes.get(id(conv))
        if index is None or len(index) != len(conv.events):
            index = self._indexes[id(conv)] = EventIndex.of(conv.events)
        return index

    @property
    def current(self) -> Event | None:
        if not self.events or not self.shown(self.cursor):
            return None
        return self.events[self.cursor]

    def visible(self, ev: Event) -> bool:
        if self.direction is not None and direction_of(ev) != self.direction:
            return False
        if self.opcode is not None:
            return isinstance(ev, FrameEvent) and ev.record.frame.opcode_raw == self.opcode
        return True

    def shown(self, i: int) -> bool:
        """:meth:`visible` for event ``i``, from the index."""
        index = self.index
        if self.direction is not None and index.dirs[i] != (
            1 if self.direction == Direction.C2S else 2
        ):
            return False
        if self.opcode is not None:
            return index.kinds[i] == FRAME and index.opcodes[i] == self.opcode
        return True

    def visible_indices(self) -> list[int]:
        if self.direction is None and self.opcode is None:
            return list(range(len(self.index)))
        return [i for i in range(len(self.index)) if self.shown(i)]

    def position(self) -> tuple[int, int]:
        """(frames shown up to and including the cursor, frames shown): the counter counts
        frames only, not the REQ/101 heads or notes around them (0 before the first frame)."""
        kinds = self.index.kinds
        frames = [i for i in self.visible_indices() if kinds[i] == FRAME]
        return bisect.bisect_right(frames, self.cursor), len(frames)

    def filters(self) -> str:
        parts = []
        if self.direction:
            parts.append("client→server" if self.direction is Direction.C2S else "server→client")
        if self.opcode is not None:
            parts.append(opcode_name(self.opcode))
        return ", ".join(parts) or "none"

    # -- moving ----------------------------------------------------------------------------------

    def _find(
        self, start: int, step: int, pred: Callable[[Event], bool] | None = None
    ) -> int | None:
        """The first event from ``start`` (going ``step``) that is shown and, when ``pred`` is
        given, satisfies it (only those events are decoded)."""
        i = start
        n = len(self.index)
        while 0 <= i < n:
            if self.shown(i) and (pred is None or pred(self.events[i])):
                return i
            i += step
        return None

    def _find_problem(self, start: int) -> int | None:
        problems = self.index.problems
        i = start
        while True:
            i = problems.find(1, i)
            if i < 0:
                return None
            if self.shown(i):
                return i
            i += 1

    def _snap(self, *, forward: bool) -> None:
        """Put the cursor on a visible event: this one, else the nearest (preferring ``forward``)."""
        if not len(self.index):
            self.cursor = 0
            return
        self.cursor = min(self.cursor, len(self.index) - 1)
        found = self._find(self.cursor, 1 if forward else -1)
        if found is None:
            found = self._find(self.cursor, -1 if forward else 1)
        if found is None:
            self.message = "the filter hides every event"
        else:
            self.cursor = found

    def next(self) -> bool:
        found = self._find(self.cursor + 1, 1)
        if found is None:
            self.message = "last event"
            return False
        self.cursor, self.message = found, ""
        return True

    def previous(self) -> bool:
        found = self._find(self.cursor - 1, -1)
        if found is None:
            self.message = "first event"
            return False
        self.cursor, self.message = found, ""
        return True

    def first(self) -> None:
        self.cursor = 0
        self._snap(forward=True)
        self.message = ""

    def last(self) -> None:
        self.cursor = max(len(self.index) - 1, 0)
        self._snap(forward=False)
        self.message = ""

    def jump(self, number: int) -> bool:
        """Go to frame ``number`` (as numbered in the views, from 1)."""
        index = self.index
        try:
            i = index.numbers.index(number) if number > 0 else -1
        except ValueError:
            i = -1
        if i >= 0 and index.kinds[i] == FRAME:
            if not self.shown(i):
                self.message = f"frame {number} is hidden by the filter ({self.filters()})"
                return False
            self.cursor, self.message = i, ""
            return True
        self.message = f"no frame {number} (frames 1-{self.conversation.frame_count})"
        return False

    def next_problem(self) -> bool:
        """The next visible event with a problem, wrapping around to the first."""
        found = self._find_problem(self.cursor + 1)
        wrapped = found is None
        if wrapped:
            found = self._find_problem(0)
        if found is None:
            self.message = "no problems" + (
                "" if self.filters() == "none" else " among the shown events"
            )
            return False
        self.message = (
            "this is the only problem"
            if found == self.cursor
            else "wrapped to the first problem"
            if wrapped
            else ""
        )
        self.cursor = found
        return True

    def search(self, query: str | None = None) -> bool:
        """The next visible event whose text contains ``query`` (case-insensitive), wrapping."""
        if query:
            self.query = query
        if not self.query:
            self.message = "nothing to search for"
            return False
        needle = self.query.lower()

        def hit(ev: Event) -> bool:
            return needle in searchable(ev).lower()

        found = self._find(self.cursor + 1, 1, hit)
        wrapped = found is None
        if wrapped:
            found = self._find(0, 1, hit)
        if found is None:
            self.message = f"{self.query!r} not found"
            return False
        self.cursor = found
        self.message = f"{self.query!r}" + (" (wrapped)" if wrapped else "")
        return True

    # -- modes -----------------------------------------------------------------------------------

    def cycle_detail(self) -> str:
        self.detail = DETAILS[(DETAILS.index(self.detail) + 1) % len(DETAILS)]
        self.message = f"detail: {self.detail}"
        return self.detail

    def cycle_direction(self) -> None:
        self.direction = DIRECTIONS[(DIRECTIONS.index(self.direction) + 1) % len(DIRECTIONS)]
        self._snap(forward=True)
        self.message = f"filter: {self.filters()}"

    def cycle_opcode(self) -> None:
        index = self.index
        present = {op for kind, op in zip(index.kinds, index.opcodes, strict=True) if kind == FRAME}
        choices = [op for op in OPCODES if op is None or op in present]
        i = choices.index(self.opcode) if self.opcode in choices else 0
        self.opcode = choices[(i + 1) % len(choices)]
        self._snap(forward=True)
        self.message = f"filter: {self.filters()}"

    def cycle_conversation(self) -> None:
        self.conv_index = (self.conv_index + 1) % len(self.conversations)
        self.cursor = 0
        self._snap(forward=True)
        self.message = self.conversation.describe()

    def _label(self, i: int) -> str:
        """:func:`label` of event ``i``, from the index."""
        index = self.index
        kind = index.kinds[i]
        if kind == FRAME:
            op = index.opcodes[i]
            arrow = Direction.C2S.arrow if index.dirs[i] == 1 else Direction.S2C.arrow
            return f"{index.numbers[i]}{arrow}{_SHORT.get(op, f'0x{op:X}')}"
        if kind == HEAD:
            return index.labels.get(i, "RESP")
        return "note"

    def strip(self, width: int) -> list[StripItem]:
        """Visible events around the cursor that fit ``width`` columns (cells + one space each)."""
        shown = self.visible_indices()
        if not shown:
            return []
        here = shown.index(self.cursor) if self.cursor in shown else 0
        index = self.index
        dirs = (None, Direction.C2S, Direction.S2C)
        items = [
            StripItem(
                i, self._label(i), dirs[index.dirs[i]], i == self.cursor, index.problems[i] == 1
            )
            for i in shown
        ]
        lo = hi = here
        used = len(items[here].label) + 3
        while True:
            grew = False
            for side in (1, -1):
                j = hi + 1 if side == 1 else lo - 1
                if 0 <= j < len(items) and used + len(items[j].label) + 3 <= width:
                    used += len(items[j].label) + 3
                    hi, lo = (j, lo) if side == 1 else (hi, j)
                    grew = True
            if not grew:
                break
        return items[lo : hi + 1]
