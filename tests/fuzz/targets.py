"""Fuzz targets: one plain ``target(data: bytes) -> None`` per input parser.

Each target feeds ``data`` to a parser through its public API and asserts the invariants of
issue 8: the parser raises nothing but its documented "bad input" exception (the one the CLI
turns into exit 2), and what it returns is bounded (by the input size, or by the size limit it
was given).  The third invariant, "no hang", is the caller's: :func:`watchdog` raises
:class:`Hang` in a target that runs too long, under pytest (tests/fuzz/test_fuzz.py) and under
atheris (``python -m tests.fuzz``) alike.

Targets are pure functions of the bytes, so a saved input replays exactly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from wsdebug.capture.format import CaptureError
from wsdebug.capture.handshake_check import check_handshake
from wsdebug.capture.inputcap import one_hex_run
from wsdebug.capture.replay import open_capture
from wsdebug.capture.textinput import HexInputError, parse_base64, parse_bytes, parse_directional
from wsdebug.cli.common import UserError, parse_input
from wsdebug.codec.connection import Connection
from wsdebug.codec.deflate import (
    DeflateParams,
    ExtensionError,
    InflateError,
    Inflater,
    MessageTooBig,
    accept_response,
    client_offer,
    negotiate,
    params_in_force,
    parse_extensions,
)
from wsdebug.codec.handshake import (
    MAX_HANDSHAKE_SIZE,
    HeadReader,
    build_response,
    parse_request,
    parse_response,
    validate_request,
    validate_response,
)
from wsdebug.codec.opening import ClientConnection, ServerConnection
from wsdebug.codec.spec import Role
from wsdebug.codec.stream import StreamDecoder

#: the message size limit the targets run with (``--max-size`` in the CLI); inflated output
#: above it must be refused, never built
LIMIT = 1 << 20
#: '*' lines of a hex dump may expand up to this much (wsdebug.capture.textinput documents 64 MiB)
DUMP_EXPAND = 64 << 20
SENDERS = (None, Role.CLIENT, Role.SERVER)
KEY = "dGhlIHNhbXBsZSBub25jZQ=="  #: RFC 6455 §1.3's key


class Hang(Exception):
    """A target ran past its watchdog: the input made a parser loop (or crawl)."""


@contextlib.contextmanager
def watchdog(seconds: float, *, cpu: bool = False) -> Iterator[None]:
    """Raise :class:`Hang` in the body if it runs longer than ``seconds``.

    ``cpu=True`` counts process CPU time (``ITIMER_VIRTUAL``/SIGVTALRM) and leaves SIGALRM to
    libFuzzer's own ``-timeout``; otherwise wall time (``ITIMER_REAL``/SIGALRM).  Main thread
    only.  A loop inside one C call (a regex, zlib) is interrupted only when it returns.
    """
    timer, signum = (
        (signal.ITIMER_VIRTUAL, signal.SIGVTALRM) if cpu else (signal.ITIMER_REAL, signal.SIGALRM)
    )

    def expired(_signum: int, _frame: object) -> None:
        raise Hang(f"input still running after {seconds:g} s")

    previous = signal.signal(signum, expired)
    signal.setitimer(timer, seconds)
    try:
        yield
    finally:
        signal.setitimer(timer, 0)
        signal.signal(signum, previous)


def _chunks(data: bytes) -> Iterator[bytes]:
    """``data`` in irregular pieces (1, 2, 3 ... bytes, restarting at 64) to exercise resumption."""
    pos, size = 0, 1
    while pos < len(data):
        yield data[pos : pos + size]
        pos, size = pos + size, size % 64 + 1


# -- the stream decoder -------------------------------------------------------------------------


def _decode(data: bytes, decoder: StreamDecoder, *, chunked: bool) -> None:
    records = []
    for piece in _chunks(data) if chunked else (data,):
        records += decoder.receive_data(piece)
    decoder.receive_eof()
    decoder.stream_problems()
    wire = sum(len(r.frame.payload) for r in records)
    assert wire <= len(data), f"frames hold {wire} payload bytes from {len(data)} input bytes"
    for r in records:
        if r.message is not None:
            limit = LIMIT if r.message.compressed else len(data)
            assert len(r.message.payload) <= limit, f"message of {len(r.message.payload)} bytes"
        assert r.inflated is None or len(r.inflated) <= LIMIT


def stream(data: bytes) -> None:
    """StreamDecoder without deflate, as sent by an unknown sender, a client and a server."""
    for sender in SENDERS:
        _decode(data, StreamDecoder(sender, max_message=LIMIT), chunked=False)
    _decode(data, StreamDecoder(None, max_message=LIMIT), chunked=True)


def stream_deflate(data: bytes) -> None:
    """StreamDecoder with permessage-deflate (context takeover, and none with a 9-bit window)."""
    for sender in SENDERS:
        inflate = Inflater(max_size=LIMIT).inflate
        _decode(data, StreamDecoder(sender, inflate=inflate, max_message=LIMIT), chunked=False)
    inflate = Inflater(window_bits=9, no_context_takeover=True, max_size=LIMIT).inflate
    _decode(data, StreamDecoder(None, inflate=inflate, max_message=LIMIT), chunked=True)


def inflate(data: bytes) -> None:
    """Inflater.inflate on raw compressed messages, split at each ``ff fe``; InflateError and
    MessageTooBig are its documented refusals, and it keeps working after them."""
    inflater = Inflater(max_size=LIMIT)
    for message in data.split(b"\xff\xfe"):
        try:
            out = inflater.inflate(message)
        except (InflateError, MessageTooBig):
            continue
        assert len(out) <= LIMIT


def _connection(role: Role, data: bytes, conn: Connection | None = None, slack: int = 256) -> None:
    if conn is None:
        conn = Connection(role, deflate=DeflateParams(), max_message=LIMIT)
    sent = -len(conn.data_to_send())  # a client's request, written before anything is read
    for piece in (data[: len(data) // 2], data[len(data) // 2 :]):
        conn.receive_data(piece)
        sent += len(conn.data_to_send())
        conn.events_received()
    conn.receive_eof()
    sent += len(conn.data_to_send())
    conn.events_received()
    # what it sends is pongs (each at most 4 bytes longer than the ping) and one close frame
    assert sent <= 3 * len(data) + slack, f"sent {sent} bytes in answer to {len(data)}"


def connection_client(data: bytes) -> None:
    """A client Connection (deflate negotiated) receiving ``data`` from its server."""
    _connection(Role.CLIENT, data)


def connection_server(data: bytes) -> None:
    """A server Connection (deflate negotiated) receiving ``data`` from its client."""
    _connection(Role.SERVER, data)


def opening_client(data: bytes) -> None:
    """A ClientConnection from its opening handshake on: ``data`` is the server's response
    (to the RFC 6455 key, with chat and permessage-deflate offered) and what follows it."""
    conn = ClientConnection(
        "server.example.com", "/chat", subprotocols=["chat"], key=KEY, max_message=LIMIT
    )
    _connection(Role.CLIENT, data, conn)


def opening_server(data: bytes) -> None:
    """A ServerConnection from its opening handshake on: ``data`` is the client's request and
    what follows it (the server's response, at most a head of a few KiB, counts in the bound)."""
    conn = ServerConnection(subprotocols=["chat"], max_message=LIMIT)
    _connection(Role.SERVER, data, conn, slack=8192)


# -- handshakes ---------------------------------------------------------------------------------


def _head(data: bytes) -> bytes:
    reader = HeadReader()
    for piece in _chunks(data[: 2 * MAX_HANDSHAKE_SIZE]):
        if reader.feed(piece) is not None:
            break
    assert len(reader.buffered) <= MAX_HANDSHAKE_SIZE
    if reader.head is not None:
        assert len(reader.head) <= MAX_HANDSHAKE_SIZE and data.startswith(reader.head)
        return reader.head
    return data[:MAX_HANDSHAKE_SIZE]


def handshake_request(data: bytes) -> None:
    """HeadReader, parse_request, validate_request, and a server's answer (negotiate,
    build_response); then the same bytes through ``handshake check``'s reader."""
    req = parse_request(_head(data))
    validate_request(req)
    offer = req.extensions
    params = None
    if offer is not None:
        with contextlib.suppress(ExtensionError):
            params = negotiate(offer)
    if req.key is not None:
        try:
            build_response(
                req,
                subprotocol=req.subprotocols[0] if req.subprotocols else None,
                extensions=params.header_value() if params else None,
            )
        except ValueError as exc:  # documented: a request head whose values hold line breaks
            assert "line break" in str(exc), exc
    check_handshake(data.decode("utf-8", errors="replace"))


def handshake_response(data: bytes) -> None:
    """parse_response, validate_response (with and without what was offered), the deflate
    parameters in force; then ``handshake check`` of the bytes."""
    resp = parse_response(_head(data))
    validate_response(resp, key=None, offered_subprotocols=None, offered_extensions=None)
    validate_response(
        resp,
        key="dGhlIHNhbXBsZSBub25jZQ==",
        offered_subprotocols=["chat"],
        offered_extensions=client_offer(),
    )
    if resp.extensions is not None:
        params_in_force(resp.extensions, client_offer())
        with contextlib.suppress(ExtensionError):
            accept_response(resp.extensions, client_offer())
    check_handshake(data.decode("utf-8", errors="replace"), key="dGhlIHNhbXBsZSBub25jZQ==")


def extensions(data: bytes) -> None:
    """A Sec-WebSocket-Extensions value through parse_extensions, negotiate (as a server) and
    accept_response / params_in_force (as a client); ExtensionError is their refusal."""
    value = data.decode("latin-1")
    for call in (parse_extensions, negotiate, lambda v: accept_response(v, client_offer())):
        with contextlib.suppress(ExtensionError):
            call(value)
    params_in_force(value, client_offer())
    params_in_force(value)


# -- text input ---------------------------------------------------------------------------------


def text_input(data: bytes) -> None:
    """Every text format ``decode`` reads: parse_bytes, parse_base64, parse_directional, and
    decode's own entry (cli.common.parse_input), whose one-run-of-hex fast path must give the
    bytes the format parsers give."""
    text = data.decode("utf-8", errors="replace")  # as ``decode -f`` reads a file
    bound = DUMP_EXPAND if "*" in text else len(text)
    try:
        parse_input(text)
    except UserError as exc:
        assert "\n" not in str(exc), f"a multi-line error: {exc!r}"
    fast = one_hex_run(text)
    if fast is not None:
        assert fast == parse_bytes(text), "the fast path read other bytes than the parsers"
    for parse in (parse_bytes, parse_base64):
        try:
            out = parse(text)
        except HexInputError as exc:
            assert "\n" not in str(exc), f"a multi-line error: {exc!r}"
            continue
        assert len(out) <= bound
    try:
        segments = parse_directional(text)
    except HexInputError:
        return
    assert sum(len(seg) for _, seg in segments) <= DUMP_EXPAND


def tool_dump(data: bytes) -> None:
    """tshark -x / -z follow and od dumps (capture.tsharkdump): read, decode and replay forms;
    ToolDumpError (a HexInputError) and CaptureError are the documented refusals."""
    from wsdebug.capture import tsharkdump

    text = data.decode("utf-8", errors="replace")
    try:
        segments = tsharkdump.decode_segments(text)
    except HexInputError as exc:
        assert "\n" not in str(exc), f"a multi-line error: {exc!r}"
        return
    if segments is not None:
        assert sum(len(seg) for _, seg in segments) <= max(DUMP_EXPAND, len(text))
    try:
        tsharkdump.read_tool_dump(text, "input")
    except CaptureError as exc:
        assert "\n" not in str(exc), f"a multi-line error: {exc!r}"


def midstream(data: bytes) -> None:
    """capture.midstream: resynchronising on frame headers and telling client from server, as
    for a pcap begun after the handshake; None (not WebSocket) is the only refusal."""
    from wsdebug.capture.midstream import classify, resync

    found = resync(data)
    assert found is None or 0 <= found.offset < len(data)
    half = len(data) // 2
    decision = classify((data[:half], data[half:]), (50000, 80))
    assert decision is None or all(0 <= o <= len(data) for o in decision.offsets)


def tls(data: bytes) -> None:
    """capture.tls: TLS records of two directions (split at the first two bytes' offset)
    decrypted with a key log holding (wrong) secrets for the ClientHello's random; whatever
    fails is a note or a failure line, never an exception."""
    from wsdebug.capture.tls import KeyLog, decrypt

    cut = int.from_bytes(data[:2], "big") % (len(data) + 1) if data else 0
    client, server = data[2:cut], data[cut:]
    log = KeyLog()
    if len(client) >= 43:
        labels = (
            "CLIENT_RANDOM",
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        )
        log.secrets[client[11:43]] = {name: bytes(48) for name in labels}
    out = decrypt([(0, 0.0, client)], [(1, 0.0, server)], log)
    assert sum(len(c[2]) for c in out.client + out.server) <= len(data)
    assert all("\n" not in n for n in [*out.notes, out.failure or ""])


def follow(data: bytes) -> None:
    """capture.follow (sniff, replay --follow): a pcap/pcapng stream packet by packet;
    CaptureError (not a pcap stream) is the documented refusal."""
    import io

    from wsdebug.capture.follow import Follower, packets

    try:
        linktype, stream = packets(io.BufferedReader(io.BytesIO(data)), "input")  # type: ignore[arg-type]
    except CaptureError as exc:
        assert "\n" not in str(exc), f"a multi-line error: {exc!r}"
        return
    follower = Follower(linktype)
    for ts, buf in stream:
        follower.packet(ts, buf)
    follower.finish(0.0)


# -- captures -----------------------------------------------------------------------------------

_tmp: Path | None = None


def capture(data: bytes) -> None:
    """A file ``replay`` opens (open_capture: any format, told apart by content), then every
    conversation rebuilt; CaptureError is the documented refusal (exit 2)."""
    global _tmp
    if _tmp is None:
        _tmp = Path(tempfile.mkdtemp(prefix="wsdebug-fuzz-")) / "input"
    _tmp.write_bytes(data)
    try:
        _, convs = open_capture(os.fspath(_tmp))
    except CaptureError as exc:
        assert "\n" not in str(exc), f"a multi-line error: {exc!r}"
        return
    assert convs


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    summary: str = ""

    @property
    def doc(self) -> str:
        """``summary``, else the first clause of the target's docstring."""
        text = self.summary or " ".join((self.run.__doc__ or "").split())
        text = text.split("; ")[0].split(". ")[0].rstrip(".")
        return text if len(text) <= 90 else text[:89] + "…"


#: every target by name; the capture target has one corpus per format, all through one reader
TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("stream", stream),
        Target("stream_deflate", stream_deflate),
        Target("inflate", inflate),
        Target("connection_client", connection_client),
        Target("connection_server", connection_server),
        Target("opening_client", opening_client),
        Target("opening_server", opening_server),
        Target("handshake_request", handshake_request),
        Target("handshake_response", handshake_response),
        Target("extensions", extensions),
        Target("text_input", text_input),
        Target("tool_dump", tool_dump),
        Target("midstream", midstream),
        Target("tls", tls),
        Target("follow", follow),
        Target(
            "capture_jsonl",
            capture,
            "open_capture (what replay reads) seeded with a wsdebug JSONL recording",
        ),
        Target("capture_pcap", capture, "open_capture (what replay reads) seeded with pcap/pcapng"),
        Target("capture_har", capture, "open_capture (what replay reads) seeded with a HAR file"),
        Target(
            "capture_textdump",
            capture,
            "open_capture (what replay reads) seeded with a hex dump with direction markers",
        ),
    )
}
