"""The sans-I/O endpoint: two Connections wired back to back (RFC 6455 §5.5, §7; RFC 7692)."""

from __future__ import annotations

import pytest

from tests.helpers import pump
from wsdebug.codec.close import build_close_payload, parse_close
from wsdebug.codec.connection import Connection, State
from wsdebug.codec.deflate import DeflateParams
from wsdebug.codec.events import CloseEvent, Event, FailEvent, FrameEvent, MessageEvent
from wsdebug.codec.frames import FrameParser, WireFrame, encode_frame
from wsdebug.codec.rules import Rule
from wsdebug.codec.spec import Direction, Opcode, Role
from wsdebug.codec.utf8 import Utf8Checker

KEY = b"\x11\x22\x33\x44"


def pair(**kwargs: object) -> tuple[Connection, Connection]:
    return Connection(Role.CLIENT, **kwargs), Connection(Role.SERVER, **kwargs)  # type: ignore[arg-type]


def state_of(conn: Connection) -> State:
    """The state, read through a call so that type checkers do not narrow it across sends."""
    return conn.state


def frames_of(data: bytes) -> list[WireFrame]:
    parser = FrameParser()
    parser.receive_data(data)
    frames = parser.frames()
    assert parser.incomplete() is None
    return frames


def of_type(events: list[Event], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def frame_events(events: list[Event], direction: Direction) -> list[FrameEvent]:
    return [e for e in events if isinstance(e, FrameEvent) and e.direction == direction]


def client_bytes(*frames: tuple[int, bytes, bool]) -> bytes:
    """Masked frames, as a client sends them: (opcode, payload, fin)."""
    return b"".join(encode_frame(op, data, fin=fin, mask_key=KEY) for op, data, fin in frames)


def close_sent(data: bytes) -> tuple[int | None, str | None]:
    (frame,) = [f for f in frames_of(data) if f.opcode_raw == Opcode.CLOSE]
    info = parse_close(frame.payload)
    return info.code, info.reason


# -- data, ping/pong, masking ------------------------------------------------------------------


def test_text_and_binary_messages_both_ways() -> None:
    client, server = pair()
    client.send_text("héllo ✓")
    client.send_binary(b"\x00\xff")
    server.send_text("from server")
    pump(client, server)
    got = [
        (e.message.opcode, e.message.payload)
        for e in of_type(server.events_received(), MessageEvent)
        if e.direction == Direction.C2S
    ]
    assert got == [(Opcode.TEXT, "héllo ✓".encode()), (Opcode.BINARY, b"\x00\xff")]
    msgs = [
        e.message
        for e in of_type(client.events_received(), MessageEvent)
        if e.direction == Direction.S2C
    ]
    assert [m.text for m in msgs] == ["from server"]
    assert client.state is server.state is State.OPEN
    assert client.failure is None and server.failure is None


def test_client_frames_are_masked_server_frames_are_not() -> None:
    client, server = pair()
    client.send_text("abc")
    client.send_ping(b"p")
    server.send_text("xyz")
    server.send_ping(b"q")
    c_wire, s_wire = client.data_to_send(), server.data_to_send()
    assert all(f.masked and f.mask_key is not None for f in frames_of(c_wire))
    assert not any(f.masked for f in frames_of(s_wire))
    server.receive_data(c_wire)
    client.receive_data(s_wire)
    for conn in (client, server):
        assert all(not e.record.problems for e in of_type(conn.events_received(), FrameEvent))


def test_fresh_mask_key_per_frame() -> None:
    client, _ = pair()
    for _ in range(8):
        client.send_binary(b"data")
    keys = {f.mask_key for f in frames_of(client.data_to_send())}
    assert len(keys) > 1


@pytest.mark.parametrize("payload", [b"", b"Hello", bytes(range(125))])
def test_ping_is_answered_with_the_same_payload(payload: bytes) -> None:
    client, server = pair()
    client.send_ping(payload)
    server.receive_data(client.data_to_send())
    (pong,) = frames_of(server.data_to_send())
    assert (pong.opcode_raw, pong.payload, pong.masked) == (Opcode.PONG, payload, False)
    events = server.events_received()
    assert [(type(e).__name__, e.direction, e.record.frame.opcode_raw) for e in events] == [  # type: ignore[union-attr]
        ("FrameEvent", Direction.C2S, Opcode.PING),
        ("FrameEvent", Direction.S2C, Opcode.PONG),
    ]


def test_client_answers_server_ping_with_a_masked_pong() -> None:
    client, server = pair()
    server.send_ping(b"are you there")
    client.receive_data(server.data_to_send())
    (pong,) = frames_of(client.data_to_send())
    assert pong.opcode_raw == Opcode.PONG and pong.masked and pong.payload == b"are you there"


def test_auto_pong_off() -> None:
    server = Connection(Role.SERVER, auto_pong=False)
    server.receive_data(client_bytes((Opcode.PING, b"x", True)))
    assert server.data_to_send() == b""


def test_ping_between_fragments_is_answered_and_message_completes() -> None:
    server = Connection(Role.SERVER)
    server.receive_data(client_bytes((1, b"Hel", False), (9, b"!", True), (0, b"lo", True)))
    (pong,) = frames_of(server.data_to_send())
    assert pong.opcode_raw == Opcode.PONG and pong.payload == b"!"
    events = server.events_received()
    assert [e.message.text for e in of_type(events, MessageEvent)] == ["Hello"]
    assert server.failure is None


def test_send_text_in_three_fragments() -> None:
    client, server = pair()
    client.send_text("abcdefghi", fragments=3)
    wire = client.data_to_send()
    frames = frames_of(wire)
    assert [(f.opcode_raw, f.fin, f.payload) for f in frames] == [
        (Opcode.TEXT, False, b"abc"),
        (Opcode.CONT, False, b"def"),
        (Opcode.CONT, True, b"ghi"),
    ]
    server.receive_data(wire)
    (msg,) = of_type(server.events_received(), MessageEvent)
    assert msg.message.text == "abcdefghi" and msg.message.frames == 3


def test_events_include_out_frames_and_messages() -> None:
    client = Connection(Role.CLIENT)
    client.send_text("hi", fragments=2)
    client.send_ping(b"p")
    events = client.events_received()
    assert [(type(e).__name__, e.direction) for e in events] == [  # type: ignore[union-attr]
        ("FrameEvent", Direction.C2S),
        ("FrameEvent", Direction.C2S),
        ("MessageEvent", Direction.C2S),
        ("FrameEvent", Direction.C2S),
    ]
    assert events[2].message.text == "hi"  # type: ignore[union-attr]
    assert all(e.record.direction is Direction.C2S for e in of_type(events, FrameEvent))
    assert client.events_received() == []  # drained


def test_counters_and_offsets() -> None:
    client = Connection(Role.CLIENT, out_offset=100)
    client.send_binary(b"12345")
    (event,) = frame_events(client.events_received(), Direction.C2S)
    assert event.record.frame.offset == 100
    assert (client.frames_out, client.bytes_out) == (1, 11)
    server = Connection(Role.SERVER, in_offset=500)
    server.receive_data(client.data_to_send())
    (event,) = frame_events(server.events_received(), Direction.C2S)
    assert event.record.frame.offset == 500
    assert (server.frames_in, server.bytes_in) == (1, 11)


def test_send_raw_is_decoded_as_sent() -> None:
    client = Connection(Role.CLIENT)
    client.send_raw(encode_frame(0x3, b"odd"))  # reserved opcode, unmasked: both shown
    (event,) = frame_events(client.events_received(), Direction.C2S)
    assert [p.rule for p in event.record.problems] == [
        Rule.RESERVED_OPCODE,
        Rule.UNMASKED_CLIENT_FRAME,
    ]
    assert client.data_to_send() == encode_frame(0x3, b"odd")


# -- closing handshake (RFC 6455 §7.1) ---------------------------------------------------------


def test_client_initiated_close() -> None:
    client, server = pair()
    client.send_close(1000, "done")
    assert client.state is State.CLOSING
    assert client.close_sent == (1000, "done")
    with pytest.raises(RuntimeError, match="closing"):
        client.send_text("too late")
    server.receive_data(client.data_to_send())
    # The server echoes the code, is done, and closes the transport first (§7.1.1).
    assert server.state is State.CLOSED
    assert server.should_close_transport
    echo = server.data_to_send()
    assert close_sent(echo) == (1000, "")
    (s_close,) = of_type(server.events_received(), CloseEvent)
    assert (s_close.code, s_close.reason, s_close.initiator, s_close.clean) == (
        1000,
        "done",
        Role.CLIENT,
        True,
    )
    client.receive_data(echo)
    assert state_of(client) is State.CLOSED
    assert not client.should_close_transport  # the client waits for the server's TCP close
    (c_close,) = of_type(client.events_received(), CloseEvent)
    assert (c_close.code, c_close.initiator, c_close.clean) == (1000, Role.CLIENT, True)
    assert client.close_received == (1000, "")
    client.receive_eof()  # the server closed TCP: nothing more to report
    assert client.events_received() == []


def test_server_initiated_close() -> None:
    client, server = pair()
    server.send_close(1001, "restart")
    assert server.state is State.CLOSING and not server.should_close_transport
    client.receive_data(server.data_to_send())
    assert client.state is State.CLOSED
    echo = client.data_to_send()
    (frame,) = frames_of(echo)
    assert frame.masked and parse_close(frame.payload).code == 1001
    server.receive_data(echo)
    assert state_of(server) is State.CLOSED and server.should_close_transport
    (event,) = of_type(server.events_received(), CloseEvent)
    assert (event.code, event.initiator, event.clean) == (1001, Role.SERVER, True)


def test_empty_close_is_answered_with_an_empty_close() -> None:
    client, server = pair()
    client.send_close(None)
    server.receive_data(client.data_to_send())
    (frame,) = frames_of(server.data_to_send())
    assert frame.opcode_raw == Opcode.CLOSE and frame.payload == b""
    (event,) = of_type(server.events_received(), CloseEvent)
    assert event.code == 1005
    assert server.close_received == (1005, "")


def test_simultaneous_close() -> None:
    client, server = pair()
    client.send_close(1000)
    server.send_close(1000)
    pump(client, server)
    assert client.state is server.state is State.CLOSED
    for conn in (client, server):
        (event,) = of_type(conn.events_received(), CloseEvent)
        assert event.clean and event.initiator is conn.role


def test_send_close_twice_is_a_no_op() -> None:
    client, _ = pair()
    client.send_close(1000)
    client.data_to_send()
    client.send_close(1001)
    assert client.data_to_send() == b""
    assert client.close_sent == (1000, "")


def test_nothing_is_processed_after_the_peers_close() -> None:
    server = Connection(Role.SERVER)
    server.receive_data(client_bytes((8, build_close_payload(1000), True)))
    server.data_to_send()
    server.events_received()
    server.receive_data(client_bytes((9, b"late ping", True)))
    assert server.data_to_send() == b""
    assert server.events_received() == []


def test_transport_ends_without_close() -> None:
    client, server = pair()
    server.receive_eof()
    assert server.state is State.CLOSED and server.should_close_transport
    (event,) = server.events_received()
    assert isinstance(event, CloseEvent)
    assert (event.code, event.initiator, event.clean) == (1006, None, False)


def test_transport_ends_inside_a_frame() -> None:
    server = Connection(Role.SERVER)
    server.receive_data(client_bytes((2, b"abcdef", True))[:-2])
    server.receive_eof()
    fail, close = server.events_received()
    assert isinstance(fail, FailEvent) and isinstance(close, CloseEvent)
    assert fail.problem.rule is Rule.TRUNCATED and fail.problem.offset == 0 and fail.code == 1006
    assert close.code == 1006 and not close.clean


def test_transport_ends_while_closing() -> None:
    client = Connection(Role.CLIENT)
    client.send_close(1000)
    client.receive_eof()
    (event,) = of_type(client.events_received(), CloseEvent)
    assert (event.code, event.initiator, event.clean) == (1006, None, False)


# -- failing the connection (RFC 6455 §7.1.7) ---------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "rule"),
    [
        pytest.param(client_bytes((0x3, b"", True)), Rule.RESERVED_OPCODE, id="reserved-opcode"),
        pytest.param(encode_frame(1, b"plain"), Rule.UNMASKED_CLIENT_FRAME, id="unmasked"),
        pytest.param(
            client_bytes((0, b"x", True)), Rule.CONTINUATION_WITHOUT_START, id="orphan-continuation"
        ),
        pytest.param(client_bytes((9, b"", False)), Rule.CONTROL_FRAGMENTED, id="fragmented-ping"),
        pytest.param(
            client_bytes((8, b"\x03", True)), Rule.CLOSE_PAYLOAD_ONE_BYTE, id="close-1-byte"
        ),
        pytest.param(
            client_bytes((8, b"\x03\xed", True)), Rule.CLOSE_CODE_INVALID, id="close-1005"
        ),
        pytest.param(
            encode_frame(1, b"x", rsv2=True, mask_key=KEY), Rule.RSV_WITHOUT_EXTENSION, id="rsv2"
        ),
        pytest.param(
            b"\x82\xff" + (1 << 63).to_bytes(8, "big") + KEY,
            Rule.LENGTH_HIGH_BIT,
            id="length-high-bit",
        ),
    ],
)
def test_strict_fails_with_1002(wire: bytes, rule: Rule) -> None:
    server = Connection(Role.SERVER)
    server.receive_data(wire)
    assert server.state is State.CLOSED and server.should_close_transport
    assert server.failure is not None and server.failure.rule is rule
    assert server.fail_code == 1002
    code, reason = close_sent(server.data_to_send())
    assert code == 1002 and reason == rule.summary
    fails = of_type(server.events_received(), FailEvent)
    assert [(f.problem.rule, f.code) for f in fails] == [(rule, 1002)]


def test_strict_fails_fast_with_1007_on_invalid_utf8() -> None:
    server = Connection(Role.SERVER)
    server.receive_data(client_bytes((1, b"ok ", False)))
    assert server.data_to_send() == b""
    server.receive_data(client_bytes((0, b"\xe2\x28", False)))  # bad before the message ends
    assert server.state is State.CLOSED
    assert close_sent(server.data_to_send())[0] == 1007
    events = server.events_received()
    (fail,) = of_type(events, FailEvent)
    assert fail.code == 1007 and fail.problem.rule is Rule.INVALID_UTF8
    assert fail.problem.offset == 9 + 6 + 1  # second frame, after its masked header, 2nd byte
    assert of_type(events, MessageEvent) == []
    server.receive_data(client_bytes((0, b"end", True)))  # the rest is shown but not acted on
    assert server.data_to_send() == b""
    assert of_type(server.events_received(), MessageEvent) == []


def test_strict_fails_with_1007_on_close_reason() -> None:
    server = Connection(Role.SERVER)
    server.receive_data(client_bytes((8, b"\x03\xe8\xff", True)))
    assert server.fail_code == 1007
    assert close_sent(server.data_to_send())[0] == 1007


def test_strict_fails_with_1009_on_a_big_frame() -> None:
    server = Connection(Role.SERVER, max_message=100)
    server.receive_data(client_bytes((2, b"x" * 101, True)))
    assert server.fail_code == 1009
    assert server.failure is not None and server.failure.rule is Rule.MESSAGE_TOO_BIG
    assert close_sent(server.data_to_send())[0] == 1009


def test_strict_fails_with_1009_on_many_fragments() -> None:
    server = Connection(Role.SERVER, max_message=100)
    server.receive_data(client_bytes((2, b"x" * 60, False)))
    assert server.failure is None
    server.receive_data(client_bytes((0, b"x" * 60, False)))
    assert server.fail_code == 1009
    assert close_sent(server.data_to_send())[0] == 1009


def test_strict_fails_on_masked_server_frame() -> None:
    client = Connection(Role.CLIENT)
    client.receive_data(encode_frame(1, b"masked", mask_key=KEY))
    assert client.failure is not None and client.failure.rule is Rule.MASKED_SERVER_FRAME
    (frame,) = frames_of(client.data_to_send())
    assert frame.masked and parse_close(frame.payload).code == 1002


def test_failure_after_our_close_does_not_send_a_second_close() -> None:
    server = Connection(Role.SERVER)
    server.send_close(1000)
    server.data_to_send()
    server.receive_data(client_bytes((0x4, b"", True)))
    assert server.state is State.CLOSED and server.failure is not None
    assert server.data_to_send() == b""
    (fail,) = of_type(server.events_received(), FailEvent)
    assert fail.code == 1002 and fail.problem.rule is Rule.RESERVED_OPCODE


def test_lenient_keeps_the_connection_open_and_reports() -> None:
    server = Connection(Role.SERVER, lenient=True)
    server.receive_data(
        client_bytes((0x3, b"", True), (1, b"\xff", True))
        + encode_frame(9, b"unmasked ping")
        + client_bytes((1, b"fine", True))
    )
    assert server.state is State.OPEN and server.failure is None
    events = server.events_received()
    assert of_type(events, FailEvent) == []
    problems = [[p.rule for p in e.record.problems] for e in frame_events(events, Direction.C2S)]
    assert problems == [
        [Rule.RESERVED_OPCODE],
        [Rule.INVALID_UTF8],
        [Rule.UNMASKED_CLIENT_FRAME],
        [],
    ]
    msgs = [e.message for e in of_type(events, MessageEvent)]
    assert [m.payload for m in msgs] == [b"\xff", b"fine"]
    assert msgs[0].problems and msgs[0].text is None
    (pong,) = frames_of(server.data_to_send())
    assert pong.opcode_raw == Opcode.PONG and pong.payload == b"unmasked ping"


def test_lenient_still_stops_at_an_oversized_frame() -> None:
    """The parser cannot find the next frame after one it refused to buffer."""
    server = Connection(Role.SERVER, lenient=True, max_message=10)
    server.receive_data(client_bytes((2, b"x" * 11, True)))
    assert server.fail_code == 1009


@pytest.mark.parametrize("code", [1005, 1006, 1015, 0])
def test_lenient_never_sends_a_forbidden_close_code(code: int) -> None:
    """RFC 6455 §7.4.1: 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close
    control frame"; 0 is not a code at all (§7.4.2)."""
    server = Connection(Role.SERVER, lenient=True)
    server.receive_data(client_bytes((8, code.to_bytes(2, "big"), True)))
    (out,) = frame_events(server.events_received(), Direction.S2C)
    assert out.record.problems == []


def test_ping_answered_while_closing() -> None:
    """RFC 6455 §5.5.2: a Ping MUST be answered "unless it already received a Close frame"."""
    server = Connection(Role.SERVER)
    server.send_close(1000)
    server.data_to_send()
    server.receive_data(client_bytes((9, b"still there?", True)))
    frames = frames_of(server.data_to_send())
    assert [(f.opcode_raw, f.payload) for f in frames] == [(Opcode.PONG, b"still there?")]


# -- permessage-deflate (RFC 7692) --------------------------------------------------------------

DEFLATE_PARAMS = [
    pytest.param(DeflateParams(), id="defaults"),
    pytest.param(
        DeflateParams(client_no_context_takeover=True, server_no_context_takeover=True),
        id="no-takeover",
    ),
    pytest.param(
        DeflateParams(client_max_window_bits=9, server_max_window_bits=10), id="small-windows"
    ),
]


@pytest.mark.parametrize("params", DEFLATE_PARAMS)
@pytest.mark.parametrize("fragments", [1, 3])
def test_deflate_round_trip_both_ways(params: DeflateParams, fragments: int) -> None:
    client, server = pair(deflate=params)
    texts = ["Hello", "Hello", "Hello, Hello, Hello, Hello!", "☃" * 300, ""]
    for text in texts:
        client.send_text(text, fragments=fragments)
        c_wire = client.data_to_send()
        frames = frames_of(c_wire)
        assert frames[0].rsv1 and not any(f.rsv1 for f in frames[1:])
        assert all(f.masked for f in frames)
        server.receive_data(c_wire)
        server.send_binary(text.encode()[::-1], fragments=fragments)
        s_wire = server.data_to_send()
        frames = frames_of(s_wire)
        assert frames[0].rsv1 and not any(f.rsv1 or f.masked for f in frames[1:])
        client.receive_data(s_wire)
    s_events, c_events = server.events_received(), client.events_received()
    got = [e.message for e in of_type(s_events, MessageEvent) if e.direction == Direction.C2S]
    assert [m.text for m in got] == texts
    assert all(m.compressed and not m.problems for m in got)
    got = [e.message for e in of_type(c_events, MessageEvent) if e.direction == Direction.S2C]
    assert [m.payload for m in got] == [t.encode()[::-1] for t in texts]
    # What we sent is shown inflated too.
    sent = [e.message for e in of_type(c_events, MessageEvent) if e.direction == Direction.C2S]
    assert [m.text for m in sent] == texts
    for events in (s_events, c_events):
        assert all(not e.record.problems for e in of_type(events, FrameEvent))
    assert client.failure is None and server.failure is None


def test_deflate_actually_compresses() -> None:
    client, _ = pair(deflate=DeflateParams())
    client.send_text("a" * 10000)
    assert len(client.data_to_send()) < 200


def test_deflate_uncompressed_message() -> None:
    client, server = pair(deflate=DeflateParams())
    client.send_message(Opcode.TEXT, b"raw", compress=False)
    wire = client.data_to_send()
    assert not frames_of(wire)[0].rsv1
    server.receive_data(wire)
    (event,) = of_type(server.events_received(), MessageEvent)
    assert event.message.text == "raw" and not event.message.compressed


def test_deflate_rsv1_on_continuation_fails_with_1002() -> None:
    server = Connection(Role.SERVER, deflate=DeflateParams())
    server.receive_data(
        encode_frame(1, bytes.fromhex("f2 48 cd"), fin=False, rsv1=True, mask_key=KEY)
    )
    assert server.failure is None
    server.receive_data(encode_frame(0, bytes.fromhex("c9 c9 07 00"), rsv1=True, mask_key=KEY))
    assert server.failure is not None and server.failure.rule is Rule.RSV1_ON_CONTINUATION
    assert server.fail_code == 1002


def test_deflate_inflate_failure_fails_with_1007() -> None:
    server = Connection(Role.SERVER, deflate=DeflateParams())
    server.receive_data(encode_frame(2, b"\xff\xff", rsv1=True, mask_key=KEY))
    assert server.failure is not None and server.failure.rule is Rule.INFLATE_FAILED
    assert server.fail_code == 1007


def test_deflate_bomb_fails_with_1009() -> None:
    client = Connection(Role.CLIENT, deflate=DeflateParams())
    server = Connection(Role.SERVER, deflate=DeflateParams(), max_message=1000)
    client.send_binary(bytes(100_000))
    wire = client.data_to_send()
    assert len(wire) < 1000
    server.receive_data(wire)
    assert server.failure is not None and server.failure.rule is Rule.MESSAGE_TOO_BIG
    assert server.fail_code == 1009


def test_rsv1_without_deflate_fails() -> None:
    client, server = Connection(Role.CLIENT, deflate=DeflateParams()), Connection(Role.SERVER)
    client.send_text("compressed")
    server.receive_data(client.data_to_send())
    assert server.failure is not None and server.failure.rule is Rule.RSV_WITHOUT_EXTENSION


# -- UTF-8 fail-fast inside one frame (Autobahn 6.4.3, 6.4.4) -------------------------------------

KOSME = "κόσμε".encode()
BAD = b"\xf4\x90\x80\x80"  # F4 90: beyond U+10FFFF; 0x90 is the byte that breaks the rule
EDITED = b"edited"


def _fed(conn: Connection, *chunks: bytes) -> list[bytes]:
    """Feed chunks one by one; what the connection wanted to send after each."""
    out = []
    for chunk in chunks:
        conn.receive_data(chunk)
        out.append(conn.data_to_send())
    return out


@pytest.mark.parametrize(
    "split",
    [
        pytest.param([len(KOSME), len(KOSME) + 4], id="6.4.3-bad-sequence-in-the-middle-chunk"),
        pytest.param([len(KOSME), len(KOSME) + 1, len(KOSME) + 2], id="6.4.4-byte-by-byte"),
    ],
)
def test_strict_fails_1007_at_the_bad_byte_before_the_frame_ends(split: list[int]) -> None:
    payload = KOSME + BAD + EDITED
    frame = encode_frame(Opcode.TEXT, payload, mask_key=KEY)
    cuts = [0, *(6 + s for s in split), len(frame)]
    chunks = [frame[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    server = Connection(Role.SERVER)
    out = _fed(server, *chunks[:-1])  # the rest of the frame is still "in flight"
    assert out[:-1] == [b""] * (len(out) - 1)  # nothing before the bad byte arrived
    (close,) = frames_of(out[-1])
    assert parse_close(close.payload).code == 1007
    assert server.should_close_transport and state_of(server) is State.CLOSED
    (fail,) = [e for e in server.events_received() if isinstance(e, FailEvent)]
    assert fail.code == 1007 and fail.problem.rule is Rule.INVALID_UTF8
    assert fail.problem.offset == 6 + len(KOSME) + 1  # the 0x90, as a stream offset


def test_fail_fast_in_a_continuation_frame_still_arriving() -> None:
    first = encode_frame(Opcode.TEXT, KOSME[:3], fin=False, mask_key=KEY)  # ends mid-character
    cont = encode_frame(Opcode.CONT, KOSME[3:] + b"\xc0" + b"x" * 50, mask_key=KEY)
    server = Connection(Role.SERVER)
    bad_index = 6 + len(KOSME) - 3  # header + the rest of KOSME
    out = _fed(server, first, cont[: bad_index + 1])
    assert out[0] == b""
    assert parse_close(frames_of(out[1])[0].payload).code == 1007
    (fail,) = [e for e in server.events_received() if isinstance(e, FailEvent)]
    assert fail.problem.offset == len(first) + bad_index


def test_fail_fast_checks_each_byte_once_and_valid_text_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked = [0]
    feed = Utf8Checker.feed

    def counting(self: Utf8Checker, data: bytes, final: bool = False) -> str | None:
        checked[0] += len(data)
        return feed(self, data, final)

    monkeypatch.setattr(Utf8Checker, "feed", counting)
    text = ("ünïcødé " * 400).encode()
    frame = encode_frame(Opcode.TEXT, text, mask_key=KEY)
    server = Connection(Role.SERVER)
    for i in range(0, len(frame), 7):  # characters split across chunks everywhere
        server.receive_data(frame[i : i + 7])
    assert server.data_to_send() == b""
    # each byte once, as it arrives; the text decoded early is reused at the frame's end
    assert checked[0] == len(text)
    msgs = [e for e in server.events_received() if isinstance(e, MessageEvent)]
    assert msgs[0].message.text == text.decode()


def test_lenient_and_compressed_frames_wait_for_the_frame_end() -> None:
    payload = KOSME + BAD + EDITED
    frame = encode_frame(Opcode.TEXT, payload, mask_key=KEY)
    lenient = Connection(Role.SERVER, lenient=True)
    assert _fed(lenient, frame[:-3]) == [b""]
    lenient.receive_data(frame[-3:])
    rec = [e for e in lenient.events_received() if isinstance(e, FrameEvent)][0].record
    assert rec.problems[0].rule is Rule.INVALID_UTF8  # reported, once the frame is whole
    # RSV1 with deflate: the bytes on the wire are not the text, nothing is judged early
    deflated = Connection(Role.SERVER, deflate=DeflateParams())
    rsv1 = encode_frame(Opcode.TEXT, b"\xff" * 40, rsv1=True, mask_key=KEY)
    assert _fed(deflated, rsv1[:-5]) == [b""]
