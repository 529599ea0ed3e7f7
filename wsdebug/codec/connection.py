"""A sans-I/O WebSocket endpoint after the opening handshake (RFC 6455 §5-§7).

Theory of operation
-------------------
The caller owns the socket.  It passes what it reads to :meth:`Connection.receive_data` (and
:meth:`receive_eof` at end of stream), writes whatever :meth:`data_to_send` returns, and reads
:meth:`events_received` to learn what happened, in order: frames in *and* out (the bytes this
endpoint writes are decoded by a second :class:`StreamDecoder`, so what is shown is what was
really sent), assembled messages, failures and the close.

State: [CONNECTING ->] OPEN -> CLOSING (a close frame was sent) -> CLOSED (both close frames exchanged, or the
connection was failed).  :attr:`should_close_transport` tells the caller when to end TCP: the
server ends it as soon as the closing handshake is done (§7.1.1); the client waits for the
server to do so, with a timeout of the caller's choosing.

A plain :class:`Connection` starts OPEN (the handshake was done elsewhere);
:class:`~wsdebug.codec.opening.ClientConnection` and
:class:`~wsdebug.codec.opening.ServerConnection` start CONNECTING and do the opening handshake
themselves (RFC 6455 §4) before the first frame.

Strictness is a policy, not a parser fork.  With ``lenient=False`` the first problem in a
received frame fails the connection with its rule's close code (1002, 1007, 1009): the close
frame is queued and the transport is to be closed.  With ``lenient=True`` the same problems
are reported in the frame events and the connection carries on.
"""

from __future__ import annotations

import collections
import enum
import os
from collections.abc import Callable

from .close import build_close_payload
from .deflate import DeflateParams, Inflater, PerMessageDeflate
from .events import CloseEvent, Event, FailEvent, FrameEvent, MessageEvent
from .frames import encode_frame
from .rules import Problem, Rule
from .spec import Direction, Opcode, Role, close_code_is_valid
from .stream import Message, StreamDecoder

DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024


class State(enum.Enum):
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class Connection:
    """One endpoint of an open WebSocket connection.

    Args:
        role: which end we are; frames we send are masked when we are the client.
        deflate: negotiated permessage-deflate parameters, or None.
        max_message: largest incoming message (1009 beyond it).
        lenient: annotate problems instead of failing the connection.
        auto_pong: answer pings (RFC 6455 §5.5.2); off only for crafted tests.
    """

    def __init__(
        self,
        role: Role,
        *,
        deflate: DeflateParams | None = None,
        max_message: int | None = DEFAULT_MAX_MESSAGE,
        lenient: bool = False,
        auto_pong: bool = True,
        in_offset: int = 0,
        out_offset: int = 0,
    ) -> None:
        self.role = role
        self._dir_out = Direction.sent_by(role)  #: what this endpoint sends
        self._dir_in = self._dir_out.reverse
        self.lenient = lenient
        self.auto_pong = auto_pong
        self.max_message = max_message
        self.state = State.OPEN
        self._start(deflate, in_offset, out_offset)
        self.close_sent: tuple[int | None, str] | None = None
        self.close_received: tuple[int | None, str] | None = None
        self.failure: Problem | None = None
        self.should_close_transport = False
        self.frames_in = self.frames_out = self.bytes_in = self.bytes_out = 0
        self._events: list[Event] = []
        self._out: list[bytes] = []  #: queued pieces, joined once by data_to_send()
        self._keys: list[bytes] = []  #: unused mask keys (client)
        self._undecoded: list[bytes] = []  #: written, not yet decoded for the events
        self._receiving = False  #: handling received frames: what is written is decoded at once
        #: called with each complete incoming message, in order, before the next frame is
        #: handled (an echo server answers a message before the close that follows it)
        self.on_message: Callable[[Message], None] | None = None

    def _start(
        self, deflate: DeflateParams | None, in_offset: int = 0, out_offset: int = 0
    ) -> None:
        """Set up both stream decoders for the negotiated ``deflate`` parameters."""
        role, max_message = self.role, self.max_message
        self.deflate = deflate
        self._pmd = (
            PerMessageDeflate(deflate, is_client=role is Role.CLIENT, max_size=max_message)
            if deflate
            else None
        )
        out_inflate = None
        # Messages this endpoint compressed are shown inflated from the plaintext it kept, not
        # inflated again; only bytes written with send_raw() go through a real inflater.
        self._sent_plain: collections.deque[bytes] = collections.deque()
        if deflate is not None:
            ours_fresh = (
                deflate.client_no_context_takeover
                if role is Role.CLIENT
                else deflate.server_no_context_takeover
            )
            raw_inflate = Inflater(no_context_takeover=ours_fresh).inflate

            def out_inflate(payload: bytes) -> bytes:
                return self._sent_plain.popleft() if self._sent_plain else raw_inflate(payload)

        self.incoming = StreamDecoder(
            role.peer,
            inflate=self._pmd.decompress if self._pmd else None,
            max_message=max_message,
            offset=in_offset,
            early_utf8=not self.lenient,  # strict: fail at the bad byte, not the frame's end
        )
        self.outgoing = StreamDecoder(role, inflate=out_inflate, offset=out_offset)

    # -- receiving -------------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        self.bytes_in += len(data)
        if self.state is State.CONNECTING:
            self._receive_handshake(data)
            return
        self._receive_frames(data)

    def _receive_frames(self, data: bytes) -> None:
        self._decode_written()  # what was sent before comes first in the events
        receiving, self._receiving = self._receiving, True
        try:
            self._handle_frames(data)
        finally:
            self._receiving = receiving

    def _handle_frames(self, data: bytes) -> None:
        if self.state is State.CLOSED and self.close_received is not None:
            return  # the peer's close was its last word (RFC 6455 §5.5.1)
        for rec in self.incoming.receive_data(data):
            self.frames_in += 1
            self._events.append(FrameEvent(rec, self._dir_in))
            if self.state is State.CLOSED:
                continue
            if rec.problems and not self.lenient:
                self._fail(rec.problems[0])
                continue
            if rec.message is not None:
                self._events.append(MessageEvent(rec.message, self._dir_in))
                if self.on_message is not None and self.state is State.OPEN:
                    self.on_message(rec.message)
            op = rec.frame.opcode_raw
            if op == Opcode.PING and self.auto_pong and self.close_received is None:
                # §5.5.2: answer every ping until a close is received, even after sending ours
                self._send(Opcode.PONG, rec.frame.payload)
            elif op == Opcode.CLOSE:
                self._on_close(
                    rec.close.code if rec.close else None, rec.close.reason if rec.close else ""
                )
        big = self.incoming.oversized or self.incoming.early_problem
        if big is not None and self.state is not State.CLOSED and self.failure is None:
            self._fail(big)

    def _receive_handshake(self, data: bytes) -> None:
        """Feed the opening handshake, then the frames after it (subclasses do the work)."""
        raise RuntimeError("this connection has no opening handshake to do")

    def receive_eof(self) -> None:
        self._decode_written()
        if self.state is State.CONNECTING:
            self._handshake_eof()
            return
        problems = self.incoming.receive_eof()
        if self.state is State.CLOSED:
            self.should_close_transport = True  # the peer ended TCP: nothing more can come
            return
        for p in problems:
            self._events.append(FailEvent(p, 1006))
        self.state = State.CLOSED
        self.should_close_transport = True
        code, reason = self.close_received or (1006, "the connection ended without a close frame")
        self._events.append(CloseEvent(code, reason, None, clean=False))

    def _handshake_eof(self) -> None:
        self.state = State.CLOSED
        self.should_close_transport = True
        reason = "the connection ended during the opening handshake"
        self._events.append(CloseEvent(1006, reason, None, clean=False))

    def _on_close(self, code: int | None, reason: str | None) -> None:
        self.close_received = (code if code is not None else 1005, reason or "")
        if self.state is State.OPEN:
            # Echo the status code (RFC 6455 §5.5.1); an empty close is answered with an empty one.
            # A code that must not be sent (lenient mode let it through) is answered with 1000.
            echo = code if code is None or close_code_is_valid(code) else 1000
            self._send(Opcode.CLOSE, build_close_payload(echo, ""))
            self.close_sent = (echo, "")
            initiator = self.role.peer
        else:
            initiator = self.role
        self.state = State.CLOSED
        if self.role is Role.SERVER:
            self.should_close_transport = True
        self._events.append(
            CloseEvent(self.close_received[0], self.close_received[1], initiator, clean=True)
        )

    def _fail(self, problem: Problem) -> None:
        code = problem.rule.close_code
        if code == 1006:
            code = 1002
        self.failure = problem
        self._events.append(FailEvent(problem, code))
        if self.close_sent is None:
            self._send(Opcode.CLOSE, build_close_payload(code, problem.rule.summary[:100]))
            self.close_sent = (code, problem.rule.summary)
        self.state = State.CLOSED
        self.should_close_transport = True
        self._events.append(CloseEvent(code, problem.rule.summary, self.role, clean=False))

    # -- sending ---------------------------------------------------------------------------------

    def _key(self) -> bytes | None:
        """A fresh mask key (RFC 6455 §5.3: from a strong source of entropy), read from
        ``os.urandom`` 1 KiB at a time rather than with one system call per frame."""
        if self.role is not Role.CLIENT:
            return None
        if not self._keys:
            block = os.urandom(1024)
            self._keys = [block[i : i + 4] for i in range(1020, -1, -4)]  # popped from the end
        return self._keys.pop()

    def _send(
        self, opcode: int, payload: bytes = b"", *, fin: bool = True, rsv1: bool = False
    ) -> None:
        key = self._key()
        data = encode_frame(opcode, payload, fin=fin, rsv1=rsv1, mask_key=key)
        if fin and not rsv1 and not self._undecoded and (opcode == 1 or opcode == 2):
            # A whole message (an echo, a script's line): its record is made from what was
            # encoded, not parsed back from the bytes (the same record, tests/codec/
            # test_sent_records.py; no second pass over the frame, no copy of its payload).
            # Its events come now: nothing written before it is still to be decoded.
            rec = self.outgoing.encoded_message(opcode, bytes(payload), key)
            if rec is not None:
                self._out.append(data)
                self.bytes_out += len(data)
                self.frames_out += 1
                self._events.append(FrameEvent(rec, self._dir_out))
                self._events.append(MessageEvent(rec.message, self._dir_out))  # type: ignore[arg-type]
                return
        self._write(data)

    def _write_head(self, data: bytes) -> None:
        """Queue an HTTP head (the opening handshake): not decoded as frames."""
        self._out.append(data)
        self.bytes_out += len(data)

    def _write(self, data: bytes) -> None:
        data = bytes(data)
        self._out.append(data)
        self.bytes_out += len(data)
        self._undecoded.append(data)
        if self._receiving:  # an answer (echo, pong, close): its events go between the peer's
            self._decode_written()

    def _decode_written(self) -> None:
        """Decode what was written since the last call, in one go: sends made one after the
        other outside :meth:`receive_data` (a script's lines) cost one decoder pass, and their
        events still come before anything received after them."""
        pending = self._undecoded
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        for rec in self.outgoing.receive_data(data):
            self.frames_out += 1
            self._events.append(FrameEvent(rec, self._dir_out))
            if rec.message is not None:
                self._events.append(MessageEvent(rec.message, self._dir_out))

    def _check_open(self) -> None:
        if self.state is not State.OPEN:
            raise RuntimeError(f"connection is {self.state.value}: cannot send")

    def send_message(
        self, opcode: int, data: bytes, *, fragments: int = 1, compress: bool = True
    ) -> None:
        """Send a TEXT or BINARY message, compressed when deflate was negotiated, in N fragments."""
        self._check_open()
        rsv1 = False
        if self._pmd is not None and compress:
            self._sent_plain.append(data)
            data = self._pmd.compress(data)
            rsv1 = True
        fragments = max(1, fragments)
        # Exactly N frames, sizes differing by at most one byte (empty ones are valid, §5.4).
        size, extra = divmod(len(data), fragments)
        start = 0
        for i in range(fragments):
            end = start + size + (1 if i < extra else 0)
            self._send(
                opcode if i == 0 else Opcode.CONT,
                data[start:end],
                fin=i == fragments - 1,
                rsv1=rsv1 and i == 0,
            )
            start = end

    def send_text(self, text: str, *, fragments: int = 1) -> None:
        self.send_message(Opcode.TEXT, text.encode("utf-8"), fragments=fragments)

    def send_binary(self, data: bytes, *, fragments: int = 1) -> None:
        self.send_message(Opcode.BINARY, data, fragments=fragments)

    def send_ping(self, data: bytes = b"") -> None:
        self._check_open()
        self._send(Opcode.PING, data)

    def send_pong(self, data: bytes = b"") -> None:
        self._check_open()
        self._send(Opcode.PONG, data)

    def send_close(self, code: int | None = 1000, reason: str = "") -> None:
        """Start the closing handshake (RFC 6455 §7.1.2)."""
        if self.state is not State.OPEN:
            return
        self._send(Opcode.CLOSE, build_close_payload(code, reason))
        self.close_sent = (code, reason)
        self.state = State.CLOSING

    def send_raw(self, data: bytes) -> None:
        """Write exact bytes (crafted, possibly malformed frames); shown as decoded."""
        self._write(data)

    def data_to_send(self) -> bytes:
        out = b"".join(self._out)  # one piece (a lone echo, say) is returned as it is: no copy
        self._out.clear()
        return out

    def events_received(self) -> list[Event]:
        self._decode_written()
        events = self._events
        self._events = []
        return events

    @property
    def fail_code(self) -> int | None:
        return self.close_sent[0] if self.failure is not None and self.close_sent else None


__all__ = ["Connection", "State", "DEFAULT_MAX_MESSAGE", "Rule"]
