"""One direction of a WebSocket stream, decoded: frames, then messages, close and deflate.

Theory of operation
-------------------
:class:`StreamDecoder` stacks the decoders the way wsproto does::

    bytes -> FrameParser -> (close payloads) -> message assembly -> permessage-deflate -> UTF-8

Each complete frame becomes a :class:`FrameRecord` carrying the :class:`WireFrame` and every
problem found at it: header problems from the parser, close payload problems, and message
problems (a continuation with nothing to continue, invalid UTF-8 caught fail-fast at the first
bad byte even when the message is fragmented, a message over the size limit).  The record of
the frame that completes a message also carries the assembled :class:`Message`.

The decoder never raises for what a peer sent.  It is used the same way by ``decode``,
``replay`` and the live modes; a live :class:`~wsdebug.codec.connection.Connection` adds the
policy that turns problems into close codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .close import CloseInfo, parse_close
from .frames import FrameParser, NeedMore, PartialFrame, WireFrame, header_problems
from .mask import c_unmask, unmask
from .rules import Problem, Rule
from .spec import LEN_7_MAX, LEN_16_MAX, Direction, Opcode, Role
from .utf8 import Utf8Checker


@dataclass(slots=True)
class Message:
    """A data message reassembled from one or more frames."""

    opcode: int  #: TEXT or BINARY
    offset: int  #: stream offset of its first frame
    frames: int
    payload: bytes  #: the application data (inflated when compressed)
    compressed: bool = False
    wire_size: int = 0  #: payload bytes on the wire, before inflating
    text: str | None = None  #: for a valid TEXT message
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_text(self) -> bool:
        return self.opcode == Opcode.TEXT


@dataclass(slots=True)
class FrameRecord:
    """A frame plus everything the decoder learnt at it."""

    frame: WireFrame
    problems: list[Problem]
    text: str | None = None  #: text this frame contributes (valid UTF-8 only)
    close: CloseInfo | None = None
    inflated: bytes | None = None  #: the inflated message, on the frame that completes it
    message: Message | None = None  #: the message this frame completes
    direction: Direction | None = None  #: which way it went (None: sender unknown)

    @property
    def ok(self) -> bool:
        return not self.problems


class StreamDecoder:
    """Decode one direction of a stream.

    Args:
        sender: who sent these bytes (checks the mask bit), or None when unknown.
        inflate: a callable inflating one whole compressed message (permessage-deflate was
            negotiated); RSV1 is then allowed on the first frame of a message.
        max_message: largest message, in bytes after inflating, before MESSAGE_TOO_BIG.
        offset: stream offset of the first byte fed.
        early_utf8: check the payload of an uncompressed text frame as it arrives, before the
            frame's end, and set :attr:`early_problem` at the first invalid byte (a strict
            endpoint fails at once: Autobahn 6.4.3/6.4.4).  Each byte is still decoded
            once: the text decoded early is reused when the frame completes.
    """

    def __init__(
        self,
        sender: Role | None = None,
        *,
        inflate: Callable[[bytes], bytes] | None = None,
        max_message: int | None = None,
        offset: int = 0,
        early_utf8: bool = False,
    ) -> None:
        self.sender = sender
        self.direction = None if sender is None else Direction.sent_by(sender)
        self.early_utf8 = early_utf8
        #: invalid UTF-8 found in a frame still arriving (with ``early_utf8``); the frame's
        #: record reports it again when (if) the frame completes
        self.early_problem: Problem | None = None
        self._partial_at = -1  # offset of the frame being checked early
        self._partial_done = 0  # its payload bytes checked so far
        self._partial_utf8: Utf8Checker | None = None  # None: not checked (or not yet decided)
        self._partial_base = 0  # message bytes before this frame
        self._partial_skip = False
        self._partial_text: list[str] = []  # what the early checker decoded, reused at the end
        self.inflate = inflate
        self.max_message = max_message
        self.parser = FrameParser(
            sender,
            rsv_allowed=0x40 if inflate else 0,
            max_payload=max_message,
            offset=offset,
        )
        self.closed_at: int | None = None  #: offset of the close frame, once seen
        self._msg: Message | None = None
        self._parts: list[bytes] = []
        self._part_offsets: list[int] = []  # stream offset of each part's first payload byte
        self._utf8: Utf8Checker | None = None

    def receive_data(self, data: bytes) -> list[FrameRecord]:
        parser = self.parser
        if type(data) is bytes and parser._pos >= len(parser._buf) and self._batchable():
            records = self._whole_messages(data)  # the parser holds nothing: straight in
            if parser._pos < len(parser._buf):  # the parser takes the rest
                records += self._drain()
        else:
            parser.receive_data(data)
            # The frame cut at the end of the last read first, then the batch path again for
            # the run of whole messages after it (a read rarely ends at a frame's end)
            records = [self._record(f) for f in parser.frames(1)]
            if records and parser._pos < len(parser._buf) and self._batchable():
                records += self._whole_messages(parser._buf, parser._pos)
            records += self._drain()
        if self.early_utf8 and self.early_problem is None and self.parser.buffered:
            self._check_partial()
        return records

    def _batchable(self) -> bool:
        """Whether frames may be taken by the batch path (or made by :meth:`encoded_message`):
        no read kept apart in the parser, no message open, no close seen, nothing oversized."""
        return (
            not self.parser._more
            and self._msg is None
            and self.closed_at is None
            and self.parser.oversized is None
        )

    def _check_partial(self) -> None:
        """Feed the newly arrived payload bytes of an incomplete text frame to a look-ahead
        UTF-8 checker (each byte once: ``_partial_done`` remembers where it stopped)."""
        at = self.parser.offset
        if at != self._partial_at:
            self._partial_at, self._partial_done = at, 0
            self._partial_utf8, self._partial_skip = None, False
            self._partial_text = []
        if self._partial_skip:
            return
        part = self.parser.partial(self._partial_done)
        if part is None:
            return
        checker = self._partial_utf8
        if checker is None:
            checker = self._partial_utf8 = self._lookahead(part)
            if checker is None:
                self._partial_skip = True
                return
        piece = checker.feed(part.data)
        if piece:
            self._partial_text.append(piece)
        self._partial_done += len(part.data)
        bad = checker.error_at
        if bad is None:
            return
        index = bad - self._partial_base  # in this frame's payload
        if index >= part.start:
            at, byte = (
                part.payload_offset + index,
                part.data[min(index - part.start, len(part.data) - 1)],
            )
        elif index >= 0:
            at, byte = part.payload_offset + index, -1  # checked in an earlier chunk
        else:
            at, byte = _locate(self._parts, self._part_offsets, bad)
        shown = f"byte 0x{byte:02x}" if byte >= 0 else "byte"
        detail = f"{shown} at message byte {bad}, before the frame's end"
        self.early_problem = Problem(Rule.INVALID_UTF8, at, detail)

    def _early_take(self, frame: WireFrame) -> tuple[Utf8Checker, str, int] | None:
        """The early checker of ``frame`` now that it is whole, with the text it decoded and
        how many payload bytes it covered, so that the rest only is decoded (each byte once)."""
        checker = self._partial_utf8
        if frame.offset != self._partial_at or checker is None or checker.error_at is not None:
            return None
        done, text = self._partial_done, "".join(self._partial_text)
        self._partial_at, self._partial_utf8, self._partial_text = -1, None, []
        return checker, text, done

    def _lookahead(self, part: PartialFrame) -> Utf8Checker | None:
        """A checker for the partial frame's payload, or None when it is not to be checked
        early (not uncompressed text, a header problem, over the size limit, after a close)."""
        op, plen = part.b0 & 0x0F, part.payload_len
        code = part.b1 & 0x7F
        form = 7 if code < 126 else 16 if code == 126 else 64
        problems = header_problems(
            part.offset, part.b0, part.b1, form, plen, self.sender, self.parser.rsv_allowed
        )
        if problems or self.closed_at is not None:
            return None
        msg = self._msg
        if op == Opcode.TEXT and msg is None and not (part.b0 & 0x40 and self.inflate):
            self._partial_base = 0
            checker = Utf8Checker()
        elif op == Opcode.CONT and msg is not None and self._utf8 is not None and not msg.problems:
            self._partial_base = self._utf8.consumed
            checker = self._utf8.copy()
        else:
            return None
        size = (msg.wire_size if msg is not None else 0) + plen
        if self.max_message is not None and size > self.max_message:
            return None
        return checker

    def receive_eof(self) -> list[Problem]:
        """End of stream: what is left unfinished, as problems."""
        self.parser.receive_eof()
        out = []
        pending = self.parser.incomplete()
        if pending is not None and self.parser.oversized is None:
            out.append(
                Problem(
                    Rule.TRUNCATED,
                    pending.offset,
                    f"{pending.needed:,} more byte{'s' if pending.needed != 1 else ''} needed",
                )
            )
        return out

    def incomplete(self) -> NeedMore | None:
        return self.parser.incomplete()

    def stream_problems(self) -> list[Problem]:
        """Problems that belong to no frame record: an oversized frame, the rules its header
        breaks besides its size, and (after :meth:`receive_eof`) a truncated stream."""
        big = self.oversized
        if big is None:
            return []
        others = [p for p in self.parser.oversized_problems if p.rule is not Rule.LENGTH_HIGH_BIT]
        return [*others, big]

    @property
    def oversized(self) -> Problem | None:
        """The frame that stopped the parser, as a problem: it announced more than
        ``max_message`` bytes, or a 64-bit length with the most significant bit set."""
        if self.parser.oversized is None:
            return None
        offset, length = self.parser.oversized
        if length >> 63:
            return Problem(Rule.LENGTH_HIGH_BIT, offset + 2, f"frame announces {length} bytes")
        return Problem(
            Rule.MESSAGE_TOO_BIG,
            offset + 1,
            f"frame announces {length} bytes, limit {self.max_message}",
        )

    def _whole_messages(self, buf: bytes, start: int = 0) -> list[FrameRecord]:
        """Records for the run of frames at the start of ``buf`` (fed while the parser holds
        nothing) that are each a whole, valid message: FIN, no RSV bit, TEXT (valid UTF-8) or
        BINARY, the minimal 7- or 16-bit length, the mask bit the sender must set, within
        ``max_message``, complete.  The parser is left holding the rest of ``buf``.

        With ``start``, ``buf`` is the parser's own buffer and the run starts at ``start``,
        where the parser stands (the frames before it are cut already).

        The batch path of the common case: one loop cuts the frames out of ``buf`` and makes
        the records :meth:`_record` would make for them (the same frames, the same records),
        without the parser's general checks.  It stops at the first frame that is anything
        else, and :meth:`_drain` takes over from there.
        """
        parser = self.parser
        # stream offset of buf[0]: the parser's base when buf is its buffer, else where it stands
        base = parser._base if start else parser._base + parser._pos
        pos = start
        n = len(buf)
        sender = self.sender
        # the mask bit this sender must set (RFC 6455 §5.1), or -1: either
        want = -1 if sender is None else 0x80 if sender is Role.CLIENT else 0
        limit = self.max_message
        early = self._partial_at
        direction = self.direction
        out: list[FrameRecord] = []
        append = out.append
        while n - pos >= 2:
            b0 = buf[pos]
            if b0 != 0x81 and b0 != 0x82:  # FIN, no RSV bit, TEXT or BINARY
                break
            b1 = buf[pos + 1]
            masked = b1 & 0x80
            if want >= 0 and masked != want:
                break
            plen = b1 & 0x7F
            if plen < 126:
                hsize, form = 2, 7
            elif plen == 126 and n - pos >= 4:
                plen = (buf[pos + 2] << 8) | buf[pos + 3]
                if plen < 126:  # not minimal: a problem, for the general path
                    break
                hsize, form = 4, 16
            else:
                break
            if masked:
                hsize += 4
            end = pos + hsize + plen
            if end > n or (limit is not None and plen > limit) or base + pos == early:
                break
            if masked:
                mask_key = buf[end - plen - 4 : end - plen]
                payload = _unmask(  # a large payload through a view: no copy before unmasking
                    buf[end - plen : end] if plen <= 4096 else memoryview(buf)[end - plen : end],
                    mask_key,
                )
                key: bytes | None = mask_key
            else:
                key = None
                payload = buf[pos + hsize : end]
            offset = base + pos
            # WireFrame(...) without the named tuple's Python-level __new__
            frame = _new_tuple(
                WireFrame,
                (offset, True, False, False, False, b0 & 0x0F, masked > 0, form, plen, key,
                 payload, hsize, ()),
            )  # fmt: skip
            if b0 == 0x81:
                try:
                    text = payload.decode("utf-8")
                except UnicodeDecodeError:  # the general path finds the first bad byte
                    break
                msg = Message(1, offset, 1, payload, False, plen, text, [])
                append(FrameRecord(frame, [], text, None, None, msg, direction))
            else:
                msg = Message(2, offset, 1, payload, False, plen, None, [])
                append(FrameRecord(frame, [], None, None, None, msg, direction))
            pos = end
        if pos == n:  # all of it (or nothing fed): the parser holds nothing
            if n:
                parser._base, parser._buf, parser._pos, parser._need = base + n, b"", 0, 2
                parser._sized = False
        else:  # the parser adopts ``buf`` as its receive_data() would, less what was cut
            parser._base, parser._buf, parser._pos = base, buf, pos
            if pos:
                parser._need, parser._sized = 2, False
        return out

    def encoded_message(
        self, opcode: int, payload: bytes, mask_key: bytes | None
    ) -> FrameRecord | None:
        """The record :meth:`receive_data` would make of a frame its endpoint has just encoded
        as a whole message (FIN, no RSV bit, TEXT or BINARY, the minimal length form, the mask
        key its role must use), made from the encoder's values instead of parsed back from
        the bytes; the stream offset moves past the frame as if it had been fed.

        None, and nothing changes, when the frame is not such a message (TEXT that is not
        UTF-8, a mask bit this sender must not set) or the decoder is not idle (bytes held,
        a message open, a close seen): the caller then feeds the bytes.
        """
        parser = self.parser
        if (
            (opcode != 1 and opcode != 2)
            or parser._pos < len(parser._buf)
            or not self._batchable()
            or (self.max_message is not None and len(payload) > self.max_message)
            or (self.sender is not None and (mask_key is not None) != (self.sender is Role.CLIENT))
        ):
            return None
        text = None
        if opcode == 1:
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:  # the bytes' path finds the bad byte
                return None
        plen = len(payload)
        if plen <= LEN_7_MAX:
            hsize, form = 2, 7
        elif plen <= LEN_16_MAX:
            hsize, form = 4, 16
        else:
            hsize, form = 10, 64
        if mask_key is not None:
            hsize += 4
        offset = parser._base + parser._pos
        parser._base, parser._buf, parser._pos, parser._need = offset + hsize + plen, b"", 0, 2
        parser._sized = False
        frame = _new_tuple(
            WireFrame,
            (offset, True, False, False, False, opcode, mask_key is not None, form, plen,
             mask_key, payload, hsize, ()),
        )  # fmt: skip
        msg = Message(opcode, offset, 1, payload, False, plen, text, [])
        return FrameRecord(frame, [], text, None, None, msg, self.direction)

    def _drain(self) -> list[FrameRecord]:
        return [self._record(f) for f in self.parser.frames()]

    def _record(self, frame: WireFrame) -> FrameRecord:
        op = frame.opcode_raw
        if (
            (op == 1 or op == 2)
            and frame.fin
            and not frame.problems
            and self._msg is None
            and self.closed_at is None
            and (self.max_message is None or frame.payload_len <= self.max_message)
        ):
            # Fast path: a whole message in one valid frame (the common case).
            if frame.rsv1 and self.inflate:
                rec = FrameRecord(frame, [], direction=self.direction)
                msg = Message(op, frame.offset, 1, b"", True, frame.payload_len)
                self._complete(msg, rec, frame, [frame.payload], [frame.payload_offset])
                return rec
            payload = frame.payload
            if op == 2:
                msg = Message(op, frame.offset, 1, payload, False, frame.payload_len)
                return FrameRecord(frame, [], None, None, None, msg, self.direction)
            early = self._early_take(frame) if frame.offset == self._partial_at else None
            if early is not None:  # checked as it arrived: decode the rest only
                checker, head, done = early
                tail = checker.feed(payload[done:], final=True)
                text = None if tail is None else head + tail
            else:
                try:
                    text = payload.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
            if text is not None:  # else the general path below finds the exact bad byte
                msg = Message(op, frame.offset, 1, payload, False, frame.payload_len, text)
                return FrameRecord(frame, [], text, None, None, msg, self.direction)
        rec = FrameRecord(frame, list(frame.problems), direction=self.direction)
        if self.closed_at is not None and op < 0x8:  # §5.5.1: no *data* frames after a Close
            rec.problems.append(
                Problem(
                    Rule.FRAME_AFTER_CLOSE, frame.offset, f"close frame at offset {self.closed_at}"
                )
            )
        if op == Opcode.CLOSE:
            rec.close = parse_close(frame.payload, frame.payload_offset)
            rec.problems.extend(rec.close.problems)
            rec.text = rec.close.reason
            if self.closed_at is None:
                self.closed_at = frame.offset
        elif op == Opcode.PING or op == Opcode.PONG:
            rec.text = _maybe_text(frame.payload)
        elif op in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            self._data_frame(frame, rec)
        return rec

    def _data_frame(self, frame: WireFrame, rec: FrameRecord) -> None:
        op = frame.opcode_raw
        msg = self._msg
        if op == Opcode.CONT:
            if msg is None:
                rec.problems.append(Problem(Rule.CONTINUATION_WITHOUT_START, frame.offset))
                return
        else:
            if msg is not None:
                rec.problems.append(
                    Problem(
                        Rule.DATA_FRAME_INTERLEAVED,
                        frame.offset,
                        f"message started at offset {msg.offset} has no final frame",
                    )
                )
            compressed = bool(frame.rsv1 and self.inflate)
            msg = self._msg = Message(op, frame.offset, 0, b"", compressed)
            self._parts = []
            self._part_offsets = []
            self._utf8 = Utf8Checker() if op == Opcode.TEXT and not compressed else None
        msg.frames += 1
        before = msg.wire_size
        msg.wire_size += frame.payload_len
        limit = self.max_message
        over = limit is not None and msg.wire_size > limit
        if over and before <= limit:  # type: ignore[operator]
            p = Problem(
                Rule.MESSAGE_TOO_BIG, frame.offset, f"{msg.wire_size} bytes so far, limit {limit}"
            )
            msg.problems.append(p)
            rec.problems.append(p)
        if (
            not over
        ):  # past the limit nothing more is kept: lenient mode must not buffer without end
            self._parts.append(frame.payload)
            self._part_offsets.append(frame.payload_offset)
        if self._utf8 is not None and not over:
            early = self._early_take(frame) if self.early_utf8 else None
            if early is not None:  # the prefix was checked as it arrived: the rest only
                self._utf8, head, done = early
                piece = self._utf8.feed(frame.payload[done:], final=frame.fin)
                rec.text = None if piece is None else head + piece
            else:
                rec.text = self._utf8.feed(frame.payload, final=frame.fin)
            if rec.text is None and self._utf8.error_at is not None and not msg.problems:
                # The bad byte may sit in an earlier fragment (a sequence cut short at the end).
                bad = self._utf8.error_at
                at, byte = _locate(self._parts, self._part_offsets, bad)
                p = Problem(Rule.INVALID_UTF8, at, f"byte 0x{byte:02x} at message byte {bad}")
                msg.problems.append(p)
                rec.problems.append(p)
        if not frame.fin:
            return
        parts, part_offsets = self._parts, self._part_offsets
        self._parts, self._part_offsets = [], []
        self._msg = None
        self._complete(msg, rec, frame, parts, part_offsets)

    def _complete(
        self,
        msg: Message,
        rec: FrameRecord,
        frame: WireFrame,
        parts: list[bytes],
        part_offsets: list[int],
    ) -> None:
        """The final frame is in: join, inflate, check UTF-8, attach the message to ``rec``."""
        payload = b"".join(parts) if len(parts) != 1 else parts[0]
        too_big = any(p.rule is Rule.MESSAGE_TOO_BIG for p in msg.problems)
        if msg.compressed and self.inflate is not None and not too_big and parts:
            from .deflate import InflateError, MessageTooBig  # loaded only when inflating

            # Inflated even after other (lenient) problems: the LZ77 window must stay in step.
            try:
                payload = self.inflate(payload)
            except MessageTooBig as exc:
                p = Problem(Rule.MESSAGE_TOO_BIG, frame.offset, str(exc))
                msg.problems.append(p)
                rec.problems.append(p)
            except InflateError as exc:
                at = _locate(parts, part_offsets, exc.offset)[0]
                p = Problem(Rule.INFLATE_FAILED, at, str(exc))
                msg.problems.append(p)
                rec.problems.append(p)
            else:
                rec.inflated = payload
                if msg.opcode == Opcode.TEXT:
                    try:
                        inflated_text: str | None = payload.decode("utf-8")
                    except UnicodeDecodeError:
                        inflated_text = None
                    # The message's text; a frame's own text only when the frame is the
                    # whole message (a final CONT carries compressed bytes, not the message).
                    rec.text = inflated_text if msg.frames == 1 else None
                    msg.text = inflated_text
                    if inflated_text is None:  # find the first bad byte for the problem
                        checker = Utf8Checker()
                        checker.feed(payload, final=True)
                        assert checker.error_at is not None
                        p = Problem(
                            Rule.INVALID_UTF8,
                            frame.payload_offset,
                            f"inflated byte {checker.error_at} (0x{payload[checker.error_at]:02x})",
                        )
                        msg.problems.append(p)
                        rec.problems.append(p)
        msg.payload = payload
        if msg.opcode == Opcode.TEXT and not msg.problems:
            if not msg.compressed:
                msg.text = rec.text if msg.frames == 1 else payload.decode("utf-8")
        elif msg.problems:
            msg.text = None
        rec.message = msg


_unmask = c_unmask if c_unmask is not None else unmask
_new_tuple = tuple.__new__


def _locate(parts: list[bytes], offsets: list[int], index: int) -> tuple[int, int]:
    """Stream offset and value of byte ``index`` of the message's payload, split in ``parts``
    whose first bytes are at stream ``offsets``.  An index past the end means the last byte."""
    end = sum(map(len, parts))
    index = min(index, end - 1)
    for part, offset in zip(reversed(parts), reversed(offsets), strict=True):
        end -= len(part)
        if part and index >= end:
            return offset + index - end, part[index - end]
    return offsets[-1], 0  # no payload at all


def _maybe_text(payload: bytes) -> str | None:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
