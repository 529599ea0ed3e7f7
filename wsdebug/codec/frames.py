"""Frames as they were on the wire: an incremental parser and an encoder (RFC 6455 §5.2).

Theory of operation
-------------------
Bytes arrive in any chunking through :meth:`FrameParser.receive_data`.  They are appended to one
buffer whose first byte has a known absolute *stream offset*, so every frame, field and problem
can name the exact byte it is about, however the input was split.

A frame header is 2 + {0, 2, 8} + {0, 4} bytes and its size is known once the first two bytes
are in.  The parser reads those two bytes, works out the header size and the payload length,
and either cuts the whole frame out of the buffer or reports, as :class:`NeedMore`, how many
more bytes the frame needs.  There is no generator per frame and no partial state to resume
beyond "the buffer": the parse is a pure function of the buffered bytes, so feeding one byte at
a time gives exactly the same frames as feeding everything at once.

Nothing here raises on bad input.  A frame that breaks a rule is still parsed as far as its
bytes allow, and each broken rule becomes a :class:`~wsdebug.codec.rules.Problem` attached to
the frame.  Deciding what is fatal is the connection's business, not the parser's.

The encoder is deliberately able to write invalid frames (reserved opcodes, RSV bits, forced
non-minimal length forms, FIN=0 on a control frame, a wrong mask bit) so that users can craft
test input for the servers they debug.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from .mask import c_unmask, unmask
from .rules import Problem, Rule
from .spec import CONTROL_MAX, LEN_7_MAX, LEN_16_MAX, Opcode, Role, opcode_name

_DEFINED_OPCODES = frozenset(int(op) for op in Opcode)
_TWO = 1 << 16
_HIGH_BIT = 1 << 63
#: the longest frame header: 2 bytes, a 64-bit length and a mask key
MAX_HEADER = 14


class WireFrame(NamedTuple):
    """One frame exactly as it crossed the wire, plus the rules its header breaks.

    A named tuple rather than a frozen dataclass: building one is the parser's inner loop, and
    a tuple is built in C several times faster.
    """

    offset: int  #: stream offset of the first header byte
    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    opcode_raw: int  #: the 4-bit opcode, reserved values included
    masked: bool
    length_form: int  #: 7, 16 or 64: which payload length encoding the sender used
    payload_len: int
    mask_key: bytes | None
    payload: bytes  #: the payload, unmasked
    header_size: int
    problems: tuple[Problem, ...] = ()

    @property
    def size(self) -> int:
        return self.header_size + self.payload_len

    @property
    def end(self) -> int:
        return self.offset + self.header_size + self.payload_len

    @property
    def payload_offset(self) -> int:
        return self.offset + self.header_size

    @property
    def opcode(self) -> Opcode | None:
        return Opcode(self.opcode_raw) if self.opcode_raw in _DEFINED_OPCODES else None

    @property
    def opcode_name(self) -> str:
        return opcode_name(self.opcode_raw)

    @property
    def is_control(self) -> bool:
        return self.opcode_raw >= 0x8

    @property
    def masked_payload(self) -> bytes:
        """The payload as it was on the wire (masked when a mask key was present)."""
        return unmask(self.payload, self.mask_key) if self.mask_key else self.payload

    def to_bytes(self) -> bytes:
        """The exact wire bytes of the frame."""
        return encode_header(self) + self.masked_payload


class PartialFrame(NamedTuple):
    """A frame whose header is in but whose payload is still arriving (see
    :meth:`FrameParser.partial`)."""

    offset: int  #: stream offset of the first header byte
    b0: int  #: FIN, RSV1-3 and the opcode, as on the wire
    b1: int  #: MASK and the 7-bit length
    header_size: int
    payload_len: int  #: as announced
    start: int  #: index in the payload of ``data[0]``
    data: bytes  #: unmasked payload bytes from ``start`` to what has arrived

    @property
    def payload_offset(self) -> int:
        return self.offset + self.header_size


class NeedMore(NamedTuple):
    """The frame starting at stream ``offset`` needs ``needed`` more bytes."""

    offset: int
    needed: int


def header_problems(
    offset: int,
    b0: int,
    b1: int,
    length_form: int,
    payload_len: int,
    sender: Role | None,
    rsv_allowed: int,
) -> list[Problem]:
    """Every rule the header breaks (RFC 6455 §5.1, §5.2, §5.5; RFC 7692 §6.1)."""
    out: list[Problem] = []
    opcode = b0 & 0x0F
    rsv = b0 & 0x70
    if rsv & ~rsv_allowed:
        names = [
            f"RSV{i}" for i, bit in ((1, 0x40), (2, 0x20), (3, 0x10)) if rsv & ~rsv_allowed & bit
        ]
        out.append(Problem(Rule.RSV_WITHOUT_EXTENSION, offset, " and ".join(names) + " set"))
    if rsv & rsv_allowed & 0x40:  # RSV1 is permessage-deflate's, but only on a first data frame
        if opcode >= 0x8:
            out.append(Problem(Rule.RSV1_ON_CONTROL, offset, opcode_name(opcode)))
        elif opcode == 0:
            out.append(Problem(Rule.RSV1_ON_CONTINUATION, offset))
    if opcode not in _DEFINED_OPCODES:
        out.append(Problem(Rule.RESERVED_OPCODE, offset, f"0x{opcode:X}"))
    if opcode >= 0x8:
        if not b0 & 0x80:
            out.append(Problem(Rule.CONTROL_FRAGMENTED, offset, opcode_name(opcode)))
        if payload_len > CONTROL_MAX:
            out.append(Problem(Rule.CONTROL_TOO_LONG, offset + 1, f"{payload_len} bytes"))
    if length_form == 16 and payload_len <= LEN_7_MAX:
        out.append(
            Problem(
                Rule.NON_MINIMAL_LENGTH, offset + 2, f"16-bit form for {payload_len} (fits 7 bits)"
            )
        )
    elif length_form == 64:
        if payload_len & _HIGH_BIT:
            out.append(Problem(Rule.LENGTH_HIGH_BIT, offset + 2))
        elif payload_len <= LEN_16_MAX:
            form = "7" if payload_len <= LEN_7_MAX else "16"
            out.append(
                Problem(
                    Rule.NON_MINIMAL_LENGTH,
                    offset + 2,
                    f"64-bit form for {payload_len} (fits the {form}-bit form)",
                )
            )
    if sender is Role.CLIENT and not b1 & 0x80:
        out.append(Problem(Rule.UNMASKED_CLIENT_FRAME, offset + 1))
    elif sender is Role.SERVER and b1 & 0x80:
        out.append(Problem(Rule.MASKED_SERVER_FRAME, offset + 1))
    return out


class FrameParser:
    """Incremental frame parser for one direction of a connection.

    Args:
        sender: who sent the bytes, to check the mask bit (RFC 6455 §5.1); None skips the check.
        rsv_allowed: RSV bits (as bits of byte 0: 0x40 = RSV1) that a negotiated extension
            defines; others are reported.
        max_payload: frames announcing more are not buffered: :attr:`oversized` is set to the
            frame's offset and parsing stops.  None means no limit.  A 64-bit length with the
            most significant bit set (RFC 6455 §5.2) is treated the same way, whatever the limit.
        offset: stream offset of the first byte that will be fed.
    """

    def __init__(
        self,
        sender: Role | None = None,
        *,
        rsv_allowed: int = 0,
        max_payload: int | None = None,
        offset: int = 0,
    ) -> None:
        self.sender = sender
        self.rsv_allowed = rsv_allowed
        self.max_payload = max_payload
        self.oversized: tuple[int, int] | None = None  #: (frame offset, announced length)
        #: the other rules the oversized frame's header breaks (it is never parsed further)
        self.oversized_problems: list[Problem] = []
        self.eof = False
        self._buf: bytes = b""
        self._pos = 0  # read position inside _buf
        self._base = offset  # stream offset of _buf[0]
        self._need = 2  # bytes from _pos needed before the next attempt can succeed
        #: bytes received after _buf while they cannot complete a frame: kept as they came, and
        #: joined once with _buf's rest when they can (a frame over many reads is copied once)
        self._more: list[bytes] = []
        self._more_size = 0
        self._sized = False  # _need is the whole frame's size (its header has been read)

    @property
    def offset(self) -> int:
        """Stream offset of the next unparsed byte."""
        return self._base + self._pos

    @property
    def buffered(self) -> int:
        return len(self._buf) - self._pos + self._more_size

    def receive_data(self, data: bytes | bytearray) -> None:
        if not data:
            return
        if type(data) is not bytes:
            data = bytes(data)  # a bytearray the caller may reuse; a memoryview
        buf = self._buf
        if self._pos >= len(buf) and not self._more:
            # Nothing pending: adopt the caller's bytes without copying.
            self._base += len(buf)
            self._buf = data
            self._pos = 0
            return
        self._more.append(data)
        self._more_size += len(data)
        if self.oversized is not None:
            return  # never parsed further: kept, not joined again and again
        if not self._sized or len(buf) - self._pos + self._more_size >= self._need:
            self._join()

    def _join(self) -> None:
        """Make what is pending one buffer again: ``_buf``'s rest and the pieces after it."""
        buf, pos = self._buf, self._pos
        with memoryview(buf) as whole:
            self._buf = b"".join([whole[pos:], *self._more])
        self._base += pos
        self._pos = 0
        self._more.clear()
        self._more_size = 0

    def receive_eof(self) -> None:
        self.eof = True

    def incomplete(self) -> NeedMore | None:
        """What the frame at the end of the buffer still needs, or None if nothing is pending."""
        avail = self.buffered
        if avail == 0:
            return None
        return NeedMore(self.offset, max(self._need - avail, 1))

    def partial(self, start: int = 0) -> PartialFrame | None:
        """The frame still arriving at the end of the buffer, once its header is complete:
        its header bits and the unmasked payload bytes from ``start`` to what has arrived.

        Lets a strict endpoint check a payload prefix (UTF-8) before the frame's end; passing
        the count already checked as ``start`` keeps that O(bytes).  None when no header is
        complete, the frame is oversized, or :meth:`frames` has not cut the complete frames.
        """
        if self.oversized is not None:
            return None
        if self._more and len(self._buf) - self._pos < MAX_HEADER:
            self._join()  # the header may reach into the pieces: a few bytes, once a frame
        buf, pos = self._buf, self._pos
        avail = self.buffered
        if avail < 2:
            return None
        b0, b1 = buf[pos], buf[pos + 1]
        plen = b1 & 0x7F
        hsize = 2 if plen < 126 else 4 if plen == 126 else 10
        ext = hsize
        if b1 & 0x80:
            hsize += 4
        if avail < hsize:
            return None
        if plen == 126:
            plen = (buf[pos + 2] << 8) | buf[pos + 3]
        elif plen == 127:
            plen = int.from_bytes(buf[pos + 2 : pos + 10], "big")
        got = min(avail - hsize, plen)
        if got >= plen:
            return None  # complete: frames() cuts it
        start = min(start, got)
        raw = self._span(pos + hsize + start, pos + hsize + got)
        key = bytes(buf[pos + ext : pos + hsize]) if b1 & 0x80 else None
        data = unmask(raw, key, start) if key is not None else bytes(raw)
        return PartialFrame(self._base + pos, b0, b1, hsize, plen, start, data)

    def _span(self, lo: int, hi: int) -> bytes | memoryview:
        """Bytes ``lo:hi`` of ``_buf`` followed by the pieces (indexes into ``_buf``): a view
        when they are all in ``_buf``."""
        buf = self._buf
        if hi <= len(buf):
            return memoryview(buf)[lo:hi]
        parts = [buf[lo:]] if lo < len(buf) else []
        at = len(buf)
        for piece in self._more:
            end = at + len(piece)
            if end > lo:
                parts.append(piece[max(lo - at, 0) : hi - at])
            if end >= hi:
                break
            at = end
        return b"".join(parts)

    def remaining(self) -> bytes:
        """The unparsed bytes (an incomplete frame)."""
        if self._more:
            self._join()
        return self._buf[self._pos :]

    def frames(self, most: int = -1) -> list[WireFrame]:
        """Cut every complete frame out of the buffer (``most`` > 0: at most that many)."""
        out: list[WireFrame] = []
        if self._more:  # kept apart because they cannot complete the frame: nothing to cut
            return out
        buf = self._buf
        pos = self._pos
        n = len(buf)
        base = self._base
        sender = self.sender
        rsv_allowed = self.rsv_allowed
        max_payload = self.max_payload
        append = out.append
        while n - pos >= 2 and self.oversized is None:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            plen = b1 & 0x7F
            if plen < 126:
                hsize = 2
                form = 7
            elif plen == 126:
                hsize = 4
                form = 16
            else:
                hsize = 10
                form = 64
            masked = b1 & 0x80
            if masked:
                hsize += 4
            ext = hsize - 4 if masked else hsize  # header bytes up to the mask key
            if n - pos < ext:
                self._need = hsize + plen if form == 7 else hsize
                self._sized = form == 7
                break
            if form == 16:
                plen = (buf[pos + 2] << 8) | buf[pos + 3]
            elif form == 64:
                plen = int.from_bytes(buf[pos + 2 : pos + 10], "big")
            if plen & _HIGH_BIT or (max_payload is not None and plen > max_payload):
                # Known before the mask key arrives.  A length of 2**63 or more is a protocol
                # error and can never complete; a frame over the limit is not buffered.
                self.oversized = (base + pos, plen)
                self.oversized_problems = header_problems(
                    base + pos, b0, b1, form, plen, sender, rsv_allowed
                )
                self._need = hsize + plen
                break
            if n - pos < hsize:  # only the mask key is missing: the total is known exactly
                self._need = hsize + plen
                self._sized = True
                break
            end = pos + hsize + plen
            if end > n:
                self._need = hsize + plen
                self._sized = True
                break
            if masked:
                key = bytes(buf[end - plen - 4 : end - plen])
                if c_unmask is not None:
                    payload = c_unmask(
                        buf[end - plen : end]
                        if plen <= 4096
                        else memoryview(buf)[end - plen : end],
                        key,
                    )
                elif plen <= 4096:  # inline the small case of unmask(): no call, no view
                    payload = (
                        int.from_bytes(buf[end - plen : end], "little")
                        ^ int.from_bytes((key * ((plen >> 2) + 1))[:plen], "little")
                    ).to_bytes(plen, "little")
                else:
                    payload = unmask(memoryview(buf)[end - plen : end], key)
            else:
                key = None
                payload = bytes(buf[pos + hsize : end])
            # Fast path: the common valid header pays for one comparison chain.
            opcode = b0 & 0x0F
            if (
                (b0 & 0x70 & ~rsv_allowed) == 0
                and not (b0 & 0x40 and (opcode == 0 or opcode >= 8))
                and opcode in _DEFINED_OPCODES
                and (opcode < 8 or (b0 & 0x80 and plen <= CONTROL_MAX))
                and (form == 7 or plen > (LEN_7_MAX if form == 16 else LEN_16_MAX))  # minimal
                and (sender is None or bool(masked) == (sender is Role.CLIENT))
            ):
                problems: tuple[Problem, ...] = ()
            else:
                problems = tuple(
                    header_problems(base + pos, b0, b1, form, plen, sender, rsv_allowed)
                )
            append(
                WireFrame(
                    base + pos,
                    bool(b0 & 0x80),
                    bool(b0 & 0x40),
                    bool(b0 & 0x20),
                    bool(b0 & 0x10),
                    opcode,
                    bool(masked),
                    form,
                    plen,
                    key,
                    payload,
                    hsize,
                    problems,
                )
            )
            pos = end
            self._need = 2
            self._sized = False
            if len(out) == most:
                break
        self._pos = pos
        if pos and pos == n:
            self._base += n
            self._buf = b""
            self._pos = 0
        return out


# -- encoding ------------------------------------------------------------------------------------


def _length_bytes(length: int, form: int | None) -> tuple[int, bytes]:
    if form is None:
        form = 7 if length <= LEN_7_MAX else 16 if length <= LEN_16_MAX else 64
    if form == 7:
        if length > 127:
            raise ValueError(f"{length} does not fit the 7-bit length form")
        return length, b""
    if form == 16:
        if length > LEN_16_MAX:
            raise ValueError(f"{length} does not fit the 16-bit length form")
        return 126, length.to_bytes(2, "big")
    if form == 64:
        return 127, length.to_bytes(8, "big")
    raise ValueError(f"length form must be 7, 16 or 64, not {form}")


def encode_header(frame: WireFrame) -> bytes:
    b0 = (
        (0x80 if frame.fin else 0)
        | (0x40 if frame.rsv1 else 0)
        | (0x20 if frame.rsv2 else 0)
        | (0x10 if frame.rsv3 else 0)
        | frame.opcode_raw
    )
    b1, ext = _length_bytes(frame.payload_len, frame.length_form)
    if frame.mask_key is not None:
        b1 |= 0x80
    return bytes((b0, b1)) + ext + (frame.mask_key or b"")


def encode_frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask: bool = False,
    mask_key: bytes | None = None,
    length_form: int | None = None,
    length: int | None = None,
) -> bytes:
    """Encode one frame, valid or not.

    Args:
        opcode: any 4-bit value, reserved ones included.
        mask: mask the payload with ``mask_key`` or a fresh random key (RFC 6455 §5.3).
        mask_key: a 4-byte key; implies ``mask``.
        length_form: force 7, 16 or 64; default is the minimal form.  A 7-bit form with a
            value of 126/127 writes that marker without the extended length (broken on purpose).
        length: announce this length instead of ``len(payload)`` (for truncated-frame tests).
    """
    if not 0 <= opcode <= 0xF:
        raise ValueError(f"opcode must be 0x0-0xF, not {opcode:#x}")
    if mask_key is not None:
        if len(mask_key) != 4:
            raise ValueError("the mask key must be 4 bytes")
        mask = True
    elif mask:
        mask_key = os.urandom(4)
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0)
    b0 |= (0x10 if rsv3 else 0) | opcode
    b1, ext = _length_bytes(len(payload) if length is None else length, length_form)
    if mask_key is not None:
        return bytes((b0, b1 | 0x80)) + ext + mask_key + unmask(payload, mask_key)
    return bytes((b0, b1)) + ext + payload
