"""permessage-deflate (RFC 7692): negotiation and per-message (de)compression, sans-I/O.

Theory of operation
-------------------
*Negotiation.*  The client lists offers in ``Sec-WebSocket-Extensions``; :func:`negotiate` (server
side) takes the first permessage-deflate offer whose parameters are all known, unique and valid
(RFC 7692 §5, §7.1) and returns the :class:`DeflateParams` to answer with;
:func:`accept_response` (client side) checks the server's answer against what was offered and
raises :class:`ExtensionError` (rule ``HANDSHAKE_EXTENSION``) with a one-line reason otherwise.

*Compression.*  Each direction is one raw DEFLATE stream (no zlib header).  A message is
compressed, then flushed with Z_SYNC_FLUSH, which ends it with an empty stored block
``00 00 ff ff``; those four bytes are stripped before sending (§7.2.1).  The receiver appends them
back and inflates (§7.2.2).  With *context takeover* (the default) the LZ77 window carries over
from message to message, so a repeated message costs a few bytes; with ``*_no_context_takeover``
the sender starts every message with an empty window, and so may the receiver.

*Windows.*  ``*_max_window_bits`` (8..15) bounds the sender's window.  zlib refuses a raw
compressor with 8 bits, so 9 is used instead; zlib's deflate never emits a distance beyond
``2**bits - 262``, so a 9-bit stream is still readable with a 256-byte window.

*Receiving safely.*  Output is capped with ``decompressobj.decompress(data, max_length)`` so a
small zip bomb cannot allocate more than ``max_size + 1`` bytes (:class:`MessageTooBig`).  A peer
may end a message with a BFINAL block (§7.2.3.4), which ends zlib's stream; to keep context
takeover working afterwards, :class:`Inflater` keeps the last ``2**bits`` bytes of output and seeds
a new inflater with them as a preset dictionary.  A copy of the decompressor taken before each
message lets it replay a message that failed, block by block, to find the offset of the first
byte zlib rejects (:class:`InflateError`).
"""

from __future__ import annotations

import collections
import zlib
from dataclasses import dataclass

from wsdebug.codec.extensions import ExtensionError as ExtensionError  # re-exported
from wsdebug.codec.extensions import parse_extensions as parse_extensions  # re-exported
from wsdebug.codec.rules import Rule

NAME = "permessage-deflate"
TAIL = b"\x00\x00\xff\xff"  # RFC 7692 §7.2.1: the empty stored block a sync flush ends with
_PARAMS = (
    "server_no_context_takeover",
    "client_no_context_takeover",
    "server_max_window_bits",
    "client_max_window_bits",
)
_BITS = {str(n): n for n in range(8, 16)}  # §7.1.2: exactly "8".."15", no leading zeros
_CHUNK = 1 << 16


class InflateError(ValueError):
    """A compressed payload that does not inflate; ``offset`` is within the compressed payload."""

    rule = Rule.INFLATE_FAILED

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class MessageTooBig(ValueError):
    """A message that inflates to more than ``max_size`` bytes."""

    rule = Rule.MESSAGE_TOO_BIG


@dataclass(frozen=True)
class DeflateParams:
    """Negotiated permessage-deflate parameters (RFC 7692 §7.1)."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int = 15

    def header_value(self) -> str:
        """The extension as a server puts it in its response: only non-default parameters."""
        parts = [NAME]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.server_max_window_bits != 15:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        if self.client_max_window_bits != 15:
            parts.append(f"client_max_window_bits={self.client_max_window_bits}")
        return "; ".join(parts)


def client_offer(*, client_max_window_bits: bool = True) -> str:
    """The offer browsers send: ``permessage-deflate; client_max_window_bits``."""
    return f"{NAME}; client_max_window_bits" if client_max_window_bits else NAME


def _check(params: list[tuple[str, str | None]], *, response: bool) -> dict[str, str | None]:
    """Known, unique, well-valued parameters (§7.1) as a dict, or ExtensionError."""
    seen: dict[str, str | None] = {}
    for name, arg in params:
        if name not in _PARAMS:
            raise ExtensionError(f"unknown {NAME} parameter {name!r}")
        if name in seen:
            raise ExtensionError(f"duplicate {NAME} parameter {name!r}")
        if name.endswith("no_context_takeover"):
            if arg is not None:
                raise ExtensionError(f"{name} takes no value, got {arg!r}")
        elif arg is None:
            if name == "server_max_window_bits" or response:
                raise ExtensionError(f"{name} needs a value 8..15")
        elif arg not in _BITS:
            raise ExtensionError(f"{name}={arg} is not a window size 8..15")
        seen[name] = arg
    return seen


def _bits(params: dict[str, str | None], name: str) -> int:
    return _BITS.get(params.get(name) or "15", 15)


def negotiate(offer_value: str, *, max_window_bits: int = 15) -> DeflateParams | None:
    """Server side: the params to answer the first acceptable offer with, None if none is.

    ``max_window_bits`` caps the server's own window and, where the offer allows it (a
    ``client_max_window_bits`` parameter), the client's: smaller windows cost less memory and
    CPU on both sides (RFC 7692 §7.1.2).
    """
    try:
        offers = parse_extensions(offer_value)
    except ExtensionError:
        return None
    for name, params in offers:
        if name != NAME:
            continue
        try:
            p = _check(params, response=False)
        except ExtensionError:
            continue  # §5: decline this offer, try the next one
        client_bits = _bits(p, "client_max_window_bits")
        if "client_max_window_bits" in p:
            client_bits = min(client_bits, max_window_bits)
        return DeflateParams(
            server_no_context_takeover="server_no_context_takeover" in p,
            client_no_context_takeover="client_no_context_takeover" in p,
            server_max_window_bits=min(_bits(p, "server_max_window_bits"), max_window_bits),
            client_max_window_bits=client_bits,
        )
    return None


def _mismatch(offer: dict[str, str | None], resp: dict[str, str | None]) -> str | None:
    """Why ``resp`` cannot be the server's acceptance of ``offer`` (§7.1.1, §7.1.2), or None."""
    if "client_max_window_bits" in resp and "client_max_window_bits" not in offer:
        return "response has client_max_window_bits but the client did not offer it"
    if "server_no_context_takeover" in offer and "server_no_context_takeover" not in resp:
        return "server_no_context_takeover was offered but the response lacks it"
    if "server_max_window_bits" in offer:
        if "server_max_window_bits" not in resp:
            return "server_max_window_bits was offered but the response lacks it"
        if _bits(resp, "server_max_window_bits") > _bits(offer, "server_max_window_bits"):
            return (
                f"server_max_window_bits={resp['server_max_window_bits']} is larger than "
                f"the offered {offer['server_max_window_bits']}"
            )
    return None


def accept_response(response_value: str, offered: str) -> DeflateParams:
    """Client side: validate the server's Sec-WebSocket-Extensions against our offer."""
    response = parse_extensions(response_value)
    offers = parse_extensions(offered)
    names = {name for name, _ in offers}
    for name, _ in response:
        if name not in names:
            raise ExtensionError(f"server accepted extension {name!r} that was not offered")
    accepted = [params for name, params in response if name == NAME]
    if len(accepted) != 1:
        raise ExtensionError(f"response has {len(accepted)} {NAME} extensions, expected one")
    resp = _check(accepted[0], response=True)
    reasons = []
    for name, params in offers:
        if name != NAME:
            continue
        try:
            offer = _check(params, response=False)
        except ExtensionError as exc:
            reasons.append(f"offer is invalid: {exc}")
            continue
        reason = _mismatch(offer, resp)
        if reason is None:
            return DeflateParams(
                server_no_context_takeover="server_no_context_takeover" in resp,
                client_no_context_takeover="client_no_context_takeover" in resp
                or "client_no_context_takeover" in offer,  # §7.1.1.2: the offer is a promise
                server_max_window_bits=_bits(resp, "server_max_window_bits"),
                client_max_window_bits=min(
                    _bits(resp, "client_max_window_bits"), _bits(offer, "client_max_window_bits")
                ),
            )
        reasons.append(reason)
    raise ExtensionError(reasons[0])


def params_in_force(response_value: str | None, offered: str | None = None) -> DeflateParams | None:
    """What a recorded response put in force, for a dissector: the validated parameters when
    the offer is known and the answer is valid, else the response read as it stands (a
    replay decodes with what the server said it does; the validator reports the fault)."""
    if not response_value or NAME not in response_value.lower():
        return None
    if offered:
        try:
            return accept_response(response_value, offered)
        except ExtensionError:
            pass
    return negotiate(response_value)


class Inflater:
    """Inflates one direction's compressed messages, in order."""

    def __init__(
        self,
        *,
        window_bits: int = 15,
        no_context_takeover: bool = False,
        max_size: int | None = None,
    ) -> None:
        if not 8 <= window_bits <= 15:
            raise ValueError(f"window_bits must be 8..15, not {window_bits}")
        self.window_bits = window_bits
        self.no_context_takeover = no_context_takeover
        self.max_size = max_size
        # The last 2**window_bits bytes inflated (the LZ77 window), kept as references to recent
        # outputs and joined only when needed (after BFINAL, or to locate an error).
        self._recent: collections.deque[bytes] = collections.deque()
        self._recent_len = 0
        self._zobj: zlib._Decompress | None = None

    @property
    def _history(self) -> bytes:
        return b"".join(self._recent)[-(1 << self.window_bits) :]

    def _forget(self) -> None:
        self._zobj = None
        self._recent.clear()
        self._recent_len = 0

    def _remember(self, out: bytes) -> None:
        window = 1 << self.window_bits
        if len(out) >= window:
            self._recent.clear()
            self._recent_len = 0
        self._recent.append(out)
        self._recent_len += len(out)
        while self._recent_len - len(self._recent[0]) >= window:
            self._recent_len -= len(self._recent.popleft())

    def _fresh(self) -> zlib._Decompress:
        history = self._history
        if history:
            return zlib.decompressobj(-self.window_bits, zdict=history)
        return zlib.decompressobj(-self.window_bits)

    def inflate(self, payload: bytes) -> bytes:
        """Inflate one whole message's compressed payload (all fragments joined)."""
        if self.no_context_takeover or self._zobj is None:
            self._zobj = self._fresh()
            start = None  # a fresh decompressor can be made again to locate an error
        else:
            start = self._zobj.copy()  # ~1 µs: the exact state, should this message fail
        data = bytes(payload) + TAIL
        limit = 0 if self.max_size is None else self.max_size + 1
        try:
            out = self._zobj.decompress(data, limit)
        except zlib.error as exc:
            offset = self._locate(data, len(payload), start)
            self._forget()  # the window is unknown now: start over
            reason = str(exc).rsplit(": ", 1)[-1]
            raise InflateError(f"inflate failed near byte {offset}: {reason}", offset) from None
        if self.max_size is not None and len(out) > self.max_size:
            self._forget()
            raise MessageTooBig(f"message inflates to more than {self.max_size} bytes")
        if self.no_context_takeover:
            self._zobj = None
        else:
            self._remember(out)
            if self._zobj.eof:  # BFINAL (§7.2.3.4): restart, seeded with the window
                self._zobj = None
        return out

    def _locate(self, data: bytes, size: int, start: zlib._Decompress | None) -> int:
        """Offset of the first byte zlib rejects, in one pass over ``data``.

        ``start`` is the decompressor as it was before the message (None: a fresh one).  The
        data is fed in blocks; the decompressor is copied before each block, and only the
        block that fails is replayed byte by byte.  The output is discarded as it comes (a
        failed message was already within ``max_size``).
        """
        zobj = self._fresh() if start is None else start
        block = 4096

        def feed(z: zlib._Decompress, piece: bytes) -> None:
            # Every turn consumes input or stops: once zlib has seen the end of a final block
            # (``eof``) it takes no more, and what is left is not its to reject.
            z.decompress(piece, _CHUNK)
            while z.unconsumed_tail and not z.eof:
                before = len(z.unconsumed_tail)
                z.decompress(z.unconsumed_tail, _CHUNK)
                if len(z.unconsumed_tail) >= before:
                    break

        for pos in range(0, len(data), block):
            saved = zobj.copy()
            try:
                feed(zobj, data[pos : pos + block])
            except zlib.error:
                for i in range(pos, min(pos + block, len(data))):  # error path only
                    try:
                        feed(saved, data[i : i + 1])
                    except zlib.error:
                        return min(i, size)
                return min(pos, size)
        return size


class PerMessageDeflate:
    """State of our direction's compressor AND the peer direction's decompressor, for one
    endpoint role: a client compresses with the client_* parameters and inflates server_*."""

    def __init__(
        self, params: DeflateParams, *, is_client: bool, max_size: int | None = None
    ) -> None:
        self.params, self.is_client = params, is_client
        c = (params.client_max_window_bits, params.client_no_context_takeover)
        s = (params.server_max_window_bits, params.server_no_context_takeover)
        (self._bits, self._no_takeover), peer = (c, s) if is_client else (s, c)
        self._inflater = Inflater(
            window_bits=peer[0], no_context_takeover=peer[1], max_size=max_size
        )
        self._zobj: zlib._Compress | None = None

    def decompress(self, payload: bytes) -> bytes:
        """Inflate a message the peer compressed (RSV1 set); InflateError, MessageTooBig."""
        return self._inflater.inflate(payload)

    def compress(self, message: bytes) -> bytes:
        """Compress one message for sending with RSV1 set (§7.2.1)."""
        if self._zobj is None or self._no_takeover:
            # zlib refuses raw windowBits 8 for deflate; 9 is what it would use anyway.
            self._zobj = zlib.compressobj(wbits=-max(self._bits, 9))
        data = self._zobj.compress(message) + self._zobj.flush(zlib.Z_SYNC_FLUSH)
        return data[:-4] if data.endswith(TAIL) else data
