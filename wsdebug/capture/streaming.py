"""A capture replayed as it is read: each conversation's events handed out and forgotten.

Theory of operation
-------------------
:func:`stream_capture` opens a capture as :func:`~wsdebug.capture.importers.load` does and
returns a :class:`Streamed`: the file's kind and notes, and an iterator of conversations in
order of first appearance, each ``(conversation, events)``.  ``events`` is itself an iterator:
a :class:`~wsdebug.capture.session.Replayer` decodes the conversation a chunk at a time, so a
caller that shows each event and drops it holds one chunk and the decoders' state, never the
conversation.  Each conversation's events must be used up before the next is asked for.

A wsdebug JSONL capture is read one line at a time.  Records of the conversation being shown
are decoded at once; records of a conversation whose turn has not come are held (as chunks of
bytes, not decoded) until it comes, which is when every conversation before it has ended.
Conversations recorded one after the other (a client's reconnections, a listener's visitors)
therefore never hold more than a chunk; only conversations that overlap in time hold what
overlaps.  A pcap is read in one pass, its TCP streams reassembled, then each conversation is
decoded as it is shown (its chunks released as they are fed); HAR and hex dumps are read
whole, as :func:`~wsdebug.capture.importers.load` reads them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, cast

from ..codec.deflate import DeflateParams
from ..codec.events import Event
from .format import CaptureError, ConnectionInfo, Cut, ParsedCapture, is_capture, iter_capture
from .importers import PCAP_MAGICS, PCAPNG_MAGIC, Capture, load_file
from .inputcap import DEFAULT_REPLAY_MAX, InputTooLarge, check_file_size, too_large
from .session import Conversation, InflateBudget, Replayer
from .tls import KeyLog

Pair = tuple[Conversation, Iterator[Event]]


@dataclass
class Streamed:
    """A capture being replayed: what is known before its conversations are decoded."""

    kind: str
    conversations: Iterator[Pair]
    file_notes: list[str] = field(default_factory=list)
    parsed: ParsedCapture | None = None  #: a JSONL capture: ``cut`` is known at its end
    end_notes: list[str] = field(default_factory=list)  #: known once every conversation is read
    closer: ExitStack = field(default_factory=ExitStack)

    @property
    def cut(self) -> Cut | None:
        return self.parsed.cut if self.parsed is not None else None

    def close(self) -> None:
        self.closer.close()


def stream_capture(
    path: str,
    *,
    deflate: bool | DeflateParams | None = None,
    max_input: int = DEFAULT_REPLAY_MAX,
    server_port: int | None = None,
    keylog: KeyLog | None = None,
) -> Streamed:
    """Open ``path`` ("-": standard input) for a streamed replay; CaptureError when unreadable
    (a corrupt JSONL line further on raises while iterating)."""
    stack = ExitStack()
    name = "standard input" if path == "-" else path
    try:
        if path == "-":
            fh: IO[bytes] = sys.stdin.buffer
        else:
            fh = stack.enter_context(open(path, "rb"))  # noqa: SIM115 (closed by Streamed.close)
        check_file_size(fh, max_input, name)
        head = fh.read(min(4096, max_input + 1))
    except InputTooLarge as exc:
        stack.close()
        raise CaptureError(str(exc)) from None
    except IsADirectoryError:
        stack.close()
        raise CaptureError(f"{name}: is a directory, not a capture file") from None
    except OSError as exc:
        stack.close()
        raise CaptureError(f"cannot read {name}: {exc.strerror or exc}") from None
    budget = InflateBudget()
    if (
        head[:4] in PCAP_MAGICS | {PCAPNG_MAGIC}
        and keylog is None
        and path != "-"
        and _size(fh) > STREAM_PCAP_OVER
    ):
        return _pcap_stream(fh, name, stack, deflate, budget, server_port)
    if is_capture(head):
        parsed = ParsedCapture([])
        records = iter_capture(_block_lines(fh, head, max_input, name), name, parsed)
        end_notes: list[str] = []
        convs = _Grouper(records, deflate, budget, end_notes).conversations()
        return Streamed("wsdebug capture", convs, parsed=parsed, closer=stack, end_notes=end_notes)
    try:
        with stack:
            capture = load_file(
                cast("IO[bytes]", _Rewound(fh, head)),
                name,
                max_input=max_input,
                server_port=server_port,
                keylog=keylog,
            )
    except OSError as exc:
        raise CaptureError(f"cannot read {name}: {exc.strerror or exc}") from None
    return Streamed(
        capture.kind, _whole(capture, deflate, budget), capture.file_notes, closer=ExitStack()
    )


_BLOCK = 1 << 20


def _block_lines(fh: IO[bytes], head: bytes, limit: int, name: str) -> Iterator[bytes]:
    """``head`` (already read) and the rest of ``fh`` as lines, line ends kept, read a block
    at a time; more than ``limit`` bytes in all is a CaptureError.  A line longer than a block
    is gathered as a list of pieces, joined once."""
    pieces = [head]
    total = len(head)
    if total > limit:
        raise CaptureError(str(too_large(name, limit)))
    while True:
        block = fh.read(_BLOCK)
        if not block:
            lines = b"".join(pieces).split(b"\n")
            cut = lines.pop()  # after the last line end: a line cut short, or nothing
            yield from [line + b"\n" for line in lines]
            if cut:
                yield cut
            return
        total += len(block)
        if total > limit:
            raise CaptureError(str(too_large(name, limit)))
        last = block.rfind(b"\n")
        if last < 0:
            pieces.append(block)
            continue
        pieces.append(block[: last + 1])
        text = b"".join(pieces)
        pieces = [block[last + 1 :]]
        if b"\r" not in text:  # bytes split only at \n, \r\n and \r: here at \n alone
            yield from text.splitlines(keepends=True)
            continue
        lines = text.split(b"\n")
        lines.pop()  # text ends with a line end: the piece after it is empty
        yield from [line + b"\n" for line in lines]


#: A pcap larger than this is streamed in two passes (capture.pcapstream); a smaller one is
#: read whole in one pass, faster, its memory no concern.  $WSDEBUG_STREAM_PCAP_OVER overrides.
STREAM_PCAP_OVER = int(os.environ.get("WSDEBUG_STREAM_PCAP_OVER", 64 << 20))


def _size(fh: IO[bytes]) -> int:
    try:
        return os.fstat(fh.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        return 0


def _pcap_stream(
    fh: IO[bytes],
    name: str,
    stack: ExitStack,
    deflate: bool | DeflateParams | None,
    budget: InflateBudget,
    server_port: int | None,
) -> Streamed:
    from .pcapstream import plan, replay_records

    try:
        fh.seek(0)
        plans, file_notes = plan(fh, name, server_port=server_port)
        fh.seek(0)
    except BaseException:
        stack.close()
        raise
    kind = "pcapng" if fh.read(4) == PCAPNG_MAGIC else "pcap"
    fh.seek(0)
    tails: dict[int, list[tuple[str, str, bool]]] = {}
    notes = {id(p.info): p.notes for p in plans}
    records = replay_records(fh, name, plans, tails)
    end_notes: list[str] = []
    convs = _Grouper(records, deflate, budget, end_notes, notes, tails).conversations()
    return Streamed(kind, convs, file_notes, closer=stack, end_notes=end_notes)


class _Rewound:
    """``fh`` with ``head`` (already read from it) put back in front; seekable when ``fh`` is."""

    def __init__(self, fh: IO[bytes], head: bytes) -> None:
        self.fh, self.head = fh, head
        self.seekable_ = fh.seekable() if hasattr(fh, "seekable") else False

    def seekable(self) -> bool:
        return self.seekable_

    def seek(self, pos: int, whence: int = 0) -> int:
        self.head = b""
        return self.fh.seek(pos, whence)

    def tell(self) -> int:
        return self.fh.tell() - len(self.head)

    def fileno(self) -> int:
        return self.fh.fileno()

    def read(self, n: int = -1) -> bytes:
        if not self.head:
            return self.fh.read(n)
        if n is None or n < 0:
            out, self.head = self.head + self.fh.read(), b""
            return out
        out, self.head = self.head[:n], self.head[n:]
        if len(out) < n:
            out += self.fh.read(n - len(out))
        return out


def _whole(
    capture: Capture, deflate: bool | DeflateParams | None, budget: InflateBudget
) -> Iterator[Pair]:
    """The conversations of a capture read whole (pcap, HAR, dumps), each decoded as shown."""
    infos = capture.connections
    while infos:
        info = infos.pop(0)  # released once shown
        replayer = Replayer(
            info, deflate=deflate, notes=capture.notes.get(info.conn), budget=budget
        )
        yield replayer.conv, _feed_all(replayer, info, capture.gaps.get(info.conn))


def _feed_all(
    replayer: Replayer, info: ConnectionInfo, gaps: list[tuple[str, str]] | None
) -> Iterator[Event]:
    chunks, info.chunks = info.chunks, []
    chunks.reverse()
    feed = replayer.feed
    pop = chunks.pop
    while chunks:
        chunk = pop()
        events = feed(chunk.dir, chunk.t, chunk.data)
        if events:
            yield from events
    yield from replayer.finish(gaps)


class _Grouper:
    """JSONL records, one pass, grouped into conversations (see the module docstring)."""

    def __init__(
        self,
        records: Iterator[tuple[ConnectionInfo, str, tuple[float, str, bytes] | None]],
        deflate: bool | DeflateParams | None,
        budget: InflateBudget,
        end_notes: list[str],
        notes: dict[int, list[str]] | None = None,
        tails: dict[int, list[tuple[str, str, bool]]] | None = None,
    ) -> None:
        self.records, self.deflate, self.budget = records, deflate, budget
        self.notes = notes or {}  #: by id() of the info: lines about the source
        self.tails = tails if tails is not None else {}  #: filled by the source at an end
        self.order: list[ConnectionInfo] = []  # conversations not yet shown, in order
        self.held: dict[int, list[tuple[float, str, bytes]]] = {}  # by id() of the info
        self.ended: set[int] = set()
        self.shown: set[int] = set()
        self.late = 0  # data records of a conversation already shown to its end
        self.end_notes = end_notes

    def _pull(self) -> bool:
        """Read one record (held for its conversation); False at the end of the capture."""
        item = next(self.records, None)
        if item is None:
            return False
        self._hold(item)
        return True

    def _hold(self, item: tuple[ConnectionInfo, str, tuple[float, str, bytes] | None]) -> None:
        """Keep a record of a conversation whose turn has not come (or count a late one)."""
        info, kind, chunk = item
        key = id(info)
        if key in self.shown:
            self.late += chunk is not None
            return
        held = self.held.get(key)
        if held is None:
            held = self.held[key] = []
            self.order.append(info)
        if chunk is not None:
            held.append(chunk)
        elif kind == "end":
            self.ended.add(key)

    def conversations(self) -> Iterator[Pair]:
        while True:
            while not self.order:
                if not self._pull():
                    if self.late:
                        self.end_notes.append(
                            f"{self.late} data records of conversations that had already "
                            "ended were not replayed"
                        )
                    return
            info = self.order.pop(0)
            key = id(info)
            self.shown.add(key)
            replayer = Replayer(
                info, deflate=self.deflate, notes=self.notes.get(key), budget=self.budget
            )
            yield replayer.conv, self._events(replayer, info, self.held.pop(key))

    def _events(
        self, replayer: Replayer, info: ConnectionInfo, held: list[tuple[float, str, bytes]]
    ) -> Iterator[Event]:
        key = id(info)
        feed = replayer.feed
        held.reverse()  # read while an earlier conversation was shown: fed first, in order
        while held:
            t, direction, data = held.pop()
            yield from feed(direction, t, data)
        if key not in self.ended:
            # the hot loop: this conversation's records, fed at once
            for owner, kind, chunk in self.records:
                if owner is info:
                    if chunk is not None:
                        t, direction, data = chunk
                        events = feed(direction, t, data)
                        if events:
                            yield from events
                    elif kind == "end":
                        break
                else:
                    self._hold((owner, kind, chunk))
        conv = replayer.conv
        conv.end_reason = info.end_reason
        conv.client, conv.server = _ends(info)
        conv.url = conv.url or info.url
        yield from replayer.finish(tail=self.tails.pop(key, ()))


def _ends(info: ConnectionInfo) -> tuple[str | None, str | None]:
    if info.role == "server":
        return info.peer, info.local
    return info.local, info.peer
