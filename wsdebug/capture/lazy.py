"""A conversation's events decoded on demand, for stepping back and forth through a capture.

Theory of operation
-------------------
:class:`LazyEvents` decodes its conversation once, front to back, keeping of each event only
a few bytes (:class:`EventIndex`: kind, direction, opcode, problem, frame number) and, every
:data:`SEGMENT` events or so, a checkpoint: the position in the conversation's chunks and a
copy of the decoders' state (frame parsers, message assembly, inflaters) taken before that
chunk.  Asking for event *i* finds the checkpoint before it, copies that state and decodes
the chunks from there to the next checkpoint; the last few decoded segments are cached.  So
the stepper holds the recorded chunks and the index, never every decoded frame: for small
frames that is a tenth of the memory, and a jump costs one segment's decoding.

The chunks themselves need not be in memory: for a pcap or wsdebug capture opened from a
regular file they are :class:`~wsdebug.capture.filechunks.FileChunks`, positions in the
file read again (``os.pread``) as each segment is decoded, so the stepper's memory is the
index (a few bytes an event, some 25 a chunk) whatever the file's size.
"""

from __future__ import annotations

import bisect
import copy
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import overload

from ..codec.deflate import DeflateParams
from ..codec.events import Event, FrameEvent, HeadEvent, direction_of, has_problem
from ..codec.spec import Direction
from .format import ConnectionInfo
from .session import Conversation, InflateBudget, Replayer

SEGMENT = 512  #: events between checkpoints, about
CACHED = 4  #: decoded segments kept

FRAME, HEAD, NOTE, OTHER = 0, 1, 2, 3


class EventIndex:
    """A few bytes per event: what filters, counters and the strip read without decoding."""

    def __init__(self) -> None:
        self.kinds = bytearray()  #: FRAME, HEAD, NOTE, OTHER
        self.opcodes = bytearray()  #: a frame's opcode_raw (0 for the others)
        self.dirs = bytearray()  #: 0 none, 1 c2s, 2 s2c
        self.problems = bytearray()  #: 1 when the event has a problem
        self.numbers = array("I")  #: a frame's number (0 for the others)
        self.labels: dict[int, str] = {}  #: a head's label: REQ, 101 ...

    def add(self, ev: Event) -> None:
        i = len(self.kinds)
        if type(ev) is FrameEvent:
            self.kinds.append(FRAME)
            self.opcodes.append(ev.record.frame.opcode_raw & 0x0F)
            self.numbers.append(ev.number)
        else:
            kind = HEAD if isinstance(ev, HeadEvent) else NOTE if hasattr(ev, "text") else OTHER
            self.kinds.append(kind)
            self.opcodes.append(0)
            self.numbers.append(0)
            if isinstance(ev, HeadEvent):
                self.labels[i] = (
                    "REQ"
                    if ev.direction is Direction.C2S
                    else str(getattr(ev.head, "status", "RESP"))
                )
        d = direction_of(ev)
        self.dirs.append(0 if d is None else 1 if d == Direction.C2S else 2)
        self.problems.append(1 if has_problem(ev) else 0)

    def __len__(self) -> int:
        return len(self.kinds)

    @classmethod
    def of(cls, events: Sequence[Event]) -> EventIndex:
        """The index of events already decoded (a conversation kept whole)."""
        if isinstance(events, LazyEvents):
            return events.meta
        index = cls()
        for ev in events:
            index.add(ev)
        return index


class LazyEvents(Sequence[Event]):
    """The events of one conversation, decoded on demand (see the module docstring)."""

    def __init__(
        self,
        info: ConnectionInfo,
        *,
        deflate: bool | DeflateParams | None = None,
        notes: list[str] | None = None,
        gaps: list[tuple[str, str]] | None = None,
        budget: InflateBudget | None = None,
    ) -> None:
        self.chunks = info.chunks
        self.gaps = gaps
        self.meta = EventIndex()
        self._cache: OrderedDict[int, list[Event]] = OrderedDict()
        replayer = Replayer(info, deflate=deflate, notes=notes, budget=budget)
        self.starts: list[int] = []  # the first event of each checkpoint
        self.points: list[tuple[int, Replayer]] = []  # (chunk index, state before it)
        add = self.meta.add
        count = 0
        for at, chunk in enumerate(self.chunks):
            if not self.starts or count - self.starts[-1] >= SEGMENT:
                self.starts.append(count)
                self.points.append((at, copy.deepcopy(replayer)))
            for ev in replayer.feed(chunk.dir, chunk.t, chunk.data):
                add(ev)
                count += 1
        if not self.starts:
            self.starts.append(0)
            self.points.append((len(self.chunks), copy.deepcopy(replayer)))
        for ev in replayer.finish(gaps):
            add(ev)
        self.conversation: Conversation = replayer.conv
        self.conversation.streamed = False  # its frames are counted: the title says how many
        self.conversation.events = self  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.meta)

    def _segment(self, k: int) -> list[Event]:
        got = self._cache.get(k)
        if got is not None:
            self._cache.move_to_end(k)
            return got
        at, state = self.points[k]
        replayer = copy.deepcopy(state)
        end = self.starts[k + 1] if k + 1 < len(self.starts) else len(self.meta)
        want = end - self.starts[k]
        out: list[Event] = []
        chunks = self.chunks
        while len(out) < want and at < len(chunks):
            chunk = chunks[at]
            out += replayer.feed(chunk.dir, chunk.t, chunk.data)
            at += 1
        if len(out) < want:
            out += replayer.finish(self.gaps)
        out = out[:want]
        self._cache[k] = out
        if len(self._cache) > CACHED:
            self._cache.popitem(last=False)
        return out

    @overload
    def __getitem__(self, i: int) -> Event: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Event]: ...

    def __getitem__(self, i: int | slice) -> Event | Sequence[Event]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        k = bisect.bisect_right(self.starts, i) - 1
        return self._segment(k)[i - self.starts[k]]

    def __iter__(self) -> Iterator[Event]:
        for k in range(len(self.starts)):
            yield from self._segment(k)


def lazy_conversations(
    infos: list[ConnectionInfo],
    *,
    deflate: bool | DeflateParams | None = None,
    notes: dict[str, list[str]] | None = None,
    gaps: dict[str, list[tuple[str, str]]] | None = None,
) -> list[Conversation]:
    """Every connection as a conversation whose events are :class:`LazyEvents`."""
    from .offline import no_gc

    budget = InflateBudget()
    with no_gc():
        return [
            LazyEvents(
                info,
                deflate=deflate,
                notes=(notes or {}).get(info.conn),
                gaps=(gaps or {}).get(info.conn),
                budget=budget,
            ).conversation
            for info in infos
        ]
