"""The live view's backlog: what waits to be drawn, and what was dropped from it.

A :class:`Run` is the frames and message views of one read of one connection (one queue
entry, however many frames); a :class:`Skip` is a run of dropped frames, drawn as one line
"… N frames (#a–#b) not shown" in their place.  The drawing and the trimming are
:class:`wsdebug.ui.live_view.RichReporter`'s.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from ..codec.events import FrameEvent


class Skip:
    """A run of frames (and message views) dropped from the display, in its place in the queue."""

    __slots__ = ("conn", "first", "frames", "last", "messages")

    def __init__(self) -> None:
        self.frames = 0
        self.messages = 0
        self.first = 0
        self.last = 0
        self.conn: str | None = ""

    def add_frames(self, conn: str | None, first: int, n: int) -> None:
        """Frames ``first`` .. ``first + n - 1`` of ``conn``."""
        if n <= 0:
            return
        last = first + n - 1
        if self.frames == 0:
            self.conn, self.first, self.last = conn, first, last
        else:
            if conn != self.conn:
                self.conn = None  # frames of several connections: no single range
            self.first = min(self.first, first)
            self.last = max(self.last, last)
        self.frames += n

    def merge(self, other: Skip) -> None:
        self.messages += other.messages
        if not other.frames:
            return
        if not self.frames:
            self.conn, self.first, self.last = other.conn, other.first, other.last
        else:
            if other.conn != self.conn:
                self.conn = None
            self.first = min(self.first, other.first)
            self.last = max(self.last, other.last)
        self.frames += other.frames

    def text(self, recording: bool) -> Text:
        parts = []
        if self.frames:
            n = self.frames
            what = f"{n:,} frame{'s' if n != 1 else ''}"
            if self.conn is not None and self.first > 0:
                what += (
                    f" (#{self.first:,})"
                    if self.first == self.last
                    else f" (#{self.first:,}–#{self.last:,})"
                )
            parts.append(what)
        if self.messages:
            m = self.messages
            parts.append(f"{m:,} message view{'s' if m != 1 else ''}")
        tail = ", all recorded" if recording else " (use --record FILE to keep them all)"
        return Text(f"… {' and '.join(parts)} not shown{tail}", style="ws.warn")


class Run:
    """Frames and message views of one connection that came in one read, in order.

    Drawn from the front, or dropped from the front when the display is behind; ``number``
    is the number of the first frame from ``pos`` on, ``frames`` and ``nbytes`` count what is
    left from ``pos``.  One queue entry per read, not per frame: a burst of small messages
    costs the display one loop over its events and nothing per frame it never draws.
    """

    __slots__ = ("conn", "frames", "items", "nbytes", "number", "pos", "t")

    def __init__(
        self, conn: str, t: float, items: list[Any], number: int, frames: int, nbytes: int
    ) -> None:
        self.conn, self.t, self.items = conn, t, items
        self.pos = 0
        self.number, self.frames, self.nbytes = number, frames, nbytes


def item_size(item: Any) -> int:
    if type(item) is FrameEvent:
        return int(item.record.frame.payload_len)
    return len(item.message.payload)


# A queue entry: (kind, item).  kind 0: always drawn (a renderable, or a callable making one);
# 1: a Run of frames and message views that may be dropped; 2: a Skip marker.
Entry = tuple[int, Any]
