"""The opening handshake inside the sans-I/O endpoints: ClientConnection and ServerConnection,
against each other and against websockets' sansio ClientProtocol/ServerProtocol."""

from __future__ import annotations

import pytest
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame
from websockets.frames import Opcode as WsOpcode
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response as WsResponse
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from wsdebug.codec import (
    ClientConnection,
    Connection,
    FrameEvent,
    HandshakeEvent,
    MessageEvent,
    Role,
    Rule,
    ServerConnection,
    State,
)
from wsdebug.codec.accept import accept_key
from wsdebug.codec.frames import encode_frame

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def _handshakes(events: list[object]) -> list[HandshakeEvent]:
    return [e for e in events if isinstance(e, HandshakeEvent)]


def _messages(events: list[object]) -> list[MessageEvent]:
    return [e for e in events if isinstance(e, MessageEvent)]


def response(*lines: str, status: str = "101 Switching Protocols") -> bytes:
    head = [f"HTTP/1.1 {status}", "Upgrade: websocket", "Connection: Upgrade", *lines]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


# -- client and server codecs against each other --------------------------------------------------


def test_client_and_server_codecs_talk() -> None:
    client = ClientConnection("example.test", "/chat?x=1", subprotocols=["v2", "chat"])
    server = ServerConnection(subprotocols=["chat"], deflate_window_bits=12)
    assert client.state is State.CONNECTING and server.state is State.CONNECTING
    request = client.data_to_send()
    assert request.startswith(b"GET /chat?x=1 HTTP/1.1\r\nHost: example.test\r\n")
    server.receive_data(request)
    (ev,) = server.events_received()
    assert isinstance(ev, HandshakeEvent) and ev.accepted and ev.subprotocol == "chat"
    assert ev.deflate is not None and ev.deflate.server_max_window_bits == 12
    assert server.state is State.OPEN
    client.receive_data(server.data_to_send())
    (cev,) = client.events_received()
    assert cev.accepted and cev.problems == [] and cev.status == 101
    assert client.state is State.OPEN and client.subprotocol == "chat"
    assert client.deflate == server.deflate
    client.send_text("Hello")
    wire = client.data_to_send()
    assert wire[0] & 0x40  # compressed
    server.receive_data(wire)
    (msg,) = _messages(server.events_received())
    assert msg.message.text == "Hello"


def test_client_random_key_and_fixed_key() -> None:
    a, b = ClientConnection("h"), ClientConnection("h")
    assert a.key != b.key
    fixed = ClientConnection("h", key=KEY, origin="http://o.test", headers=[("X-A", "1")])
    raw = fixed.data_to_send()
    assert f"Sec-WebSocket-Key: {KEY}\r\n".encode() in raw
    assert b"Origin: http://o.test\r\n" in raw and b"X-A: 1\r\n" in raw
    no_deflate = ClientConnection("h", deflate=False).data_to_send()
    assert b"Sec-WebSocket-Extensions" not in no_deflate


def test_bytes_after_the_response_head_are_frames() -> None:
    client = ClientConnection("h", key=KEY, deflate=False)
    client.data_to_send()
    tail = encode_frame(0x1, b"early") + encode_frame(0x1, b"la")
    data = response(f"Sec-WebSocket-Accept: {ACCEPT}") + tail + b"\x81"  # and half a frame
    client.receive_data(data)
    events = client.events_received()
    assert isinstance(events[0], HandshakeEvent) and events[0].accepted
    assert [m.message.text for m in _messages(events)] == ["early", "la"]
    frames = [e for e in events if isinstance(e, FrameEvent)]
    assert frames[0].record.frame.offset == 0  # frame offsets count from the end of the head
    client.receive_data(b"\x02te")
    (msg,) = _messages(client.events_received())
    assert msg.message.text == "te"


def test_response_fed_byte_by_byte() -> None:
    client = ClientConnection("h", key=KEY, deflate=False)
    data = response(f"Sec-WebSocket-Accept: {ACCEPT}") + encode_frame(0x1, b"ok")
    events: list[object] = []
    for i in range(len(data)):
        client.receive_data(data[i : i + 1])
        events += client.events_received()
    assert _handshakes(events)[0].accepted
    assert [m.message.text for m in _messages(events)] == ["ok"]


def test_server_holds_frames_sent_with_the_request() -> None:
    client = ClientConnection("h", deflate=False)
    server = ServerConnection()
    server.receive_data(client.data_to_send() + encode_frame(0x1, b"hi", mask_key=b"abcd"))
    events = server.events_received()
    assert events[0].accepted  # type: ignore[union-attr]
    assert [m.message.text for m in _messages(events)] == ["hi"]


# -- bad responses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "status", "rule"),
    [
        (
            ["Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA="],
            "101 Switching Protocols",
            Rule.HANDSHAKE_ACCEPT,
        ),
        (
            [f"Sec-WebSocket-Accept: {ACCEPT}", "Sec-WebSocket-Protocol: evil"],
            "101 Switching Protocols",
            Rule.HANDSHAKE_SUBPROTOCOL,
        ),
        (
            [f"Sec-WebSocket-Accept: {ACCEPT}", "Sec-WebSocket-Extensions: x-webkit-deflate"],
            "101 Switching Protocols",
            Rule.HANDSHAKE_EXTENSION,
        ),
        (
            [
                f"Sec-WebSocket-Accept: {ACCEPT}",
                "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99",
            ],
            "101 Switching Protocols",
            Rule.HANDSHAKE_EXTENSION,
        ),
        (["Content-Length: 4"], "400 Bad Request", Rule.HANDSHAKE_STATUS),
    ],
)
def test_bad_responses_reject(lines: list[str], status: str, rule: Rule) -> None:
    client = ClientConnection("h", key=KEY, subprotocols=["chat"])
    client.data_to_send()
    client.receive_data(response(*lines, status=status) + b"nope")
    (ev,) = client.events_received()
    assert isinstance(ev, HandshakeEvent) and not ev.accepted
    assert ev.problems[0].rule is rule
    assert ev.status == int(status[:3])
    assert client.state is State.CLOSED and client.should_close_transport
    assert client.data_to_send() == b""  # no close frame before the handshake (§4.1)
    if ev.status == 400:
        assert ev.body == b"nope"
    with pytest.raises(RuntimeError):
        client.send_text("x")


def test_extension_without_an_offer_rejects() -> None:
    client = ClientConnection("h", key=KEY, deflate=False)
    client.receive_data(
        response(f"Sec-WebSocket-Accept: {ACCEPT}", "Sec-WebSocket-Extensions: permessage-deflate")
    )
    (ev,) = client.events_received()
    assert not ev.accepted and ev.problems[0].rule is Rule.HANDSHAKE_EXTENSION


def test_oversized_response_head() -> None:
    client = ClientConnection("h", key=KEY, max_handshake=256)
    client.receive_data(b"HTTP/1.1 101 Switching Protocols\r\n" + b"X: " + b"a" * 300)
    (ev,) = client.events_received()
    assert not ev.accepted and ev.status is None and ev.response is None
    assert ev.problems[0].rule is Rule.HANDSHAKE_TOO_BIG
    assert client.should_close_transport


def test_eof_during_the_handshake() -> None:
    client = ClientConnection("h")
    client.receive_data(b"HTTP/1.1 101")
    client.receive_eof()
    (close,) = client.events_received()
    assert close.code == 1006 and client.state is State.CLOSED  # type: ignore[union-attr]


# -- the server side -----------------------------------------------------------------------------


def _request(*lines: str, first: str = "GET / HTTP/1.1") -> bytes:
    return ("\r\n".join([first, "Host: h", *lines]) + "\r\n\r\n").encode()


WS = [
    "Upgrade: websocket",
    "Connection: Upgrade",
    f"Sec-WebSocket-Key: {KEY}",
    "Sec-WebSocket-Version: 13",
]


def test_server_answers_101_with_the_accept() -> None:
    server = ServerConnection(deflate=False)
    server.receive_data(_request(*WS, "Sec-WebSocket-Extensions: permessage-deflate"))
    out = server.data_to_send()
    assert out.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert f"Sec-WebSocket-Accept: {ACCEPT}\r\n".encode() in out
    assert b"Sec-WebSocket-Extensions" not in out  # deflate off: declined


def test_server_plain_get_is_the_callers_to_answer() -> None:
    server = ServerConnection()
    server.receive_data(_request("Accept: text/html"))
    (ev,) = server.events_received()
    assert ev.pending and ev.problems[0].rule is Rule.HANDSHAKE_NOT_WEBSOCKET  # type: ignore[union-attr]
    assert server.state is State.CONNECTING and server.data_to_send() == b""
    assert server.pending
    with pytest.raises(RuntimeError):
        server.accept()
    server.reject(200, "OK", "<h1>page</h1>", content_type="text/html; charset=utf-8")
    out = server.data_to_send()
    assert out.startswith(b"HTTP/1.1 200 OK\r\n") and out.endswith(b"<h1>page</h1>")
    (final,) = server.events_received()
    assert final.status == 200 and not final.pending  # type: ignore[union-attr]
    assert server.should_close_transport


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        ([*WS[:3], "Sec-WebSocket-Version: 8"], 426),
        (WS[:2] + ["Sec-WebSocket-Version: 13"], 400),  # no key
    ],
)
def test_server_refuses_bad_requests(lines: list[str], status: int) -> None:
    server = ServerConnection()
    server.receive_data(_request(*lines))
    out = server.data_to_send()
    assert out.startswith(f"HTTP/1.1 {status} ".encode())
    if status == 426:
        assert b"Sec-WebSocket-Version: 13\r\n" in out
    (ev,) = server.events_received()
    assert not ev.accepted and ev.status == status and ev.problems  # type: ignore[union-attr]
    assert server.should_close_transport


def test_server_oversized_head_gets_431() -> None:
    server = ServerConnection(max_handshake=512)
    server.receive_data(b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 600)
    assert server.data_to_send().startswith(b"HTTP/1.1 431 ")
    (ev,) = server.events_received()
    assert ev.problems[0].rule is Rule.HANDSHAKE_TOO_BIG  # type: ignore[union-attr]


def test_server_without_auto_accept_waits_and_keeps_frames() -> None:
    server = ServerConnection(auto_accept=False)
    frame = encode_frame(0x1, b"queued", mask_key=b"abcd")
    server.receive_data(_request(*WS) + frame[:3])
    (ev,) = server.events_received()
    assert ev.pending and server.data_to_send() == b""  # type: ignore[union-attr]
    server.receive_data(frame[3:])
    server.accept(headers=[("X-Server", "wsdebug")])
    assert b"X-Server: wsdebug\r\n" in server.data_to_send()
    events = server.events_received()
    assert events[0].accepted  # type: ignore[union-attr]
    assert [m.message.text for m in _messages(events)] == ["queued"]


# -- against websockets' sansio protocols (a real peer) ------------------------------------------


def test_our_client_against_websockets_server() -> None:
    ws = ServerProtocol(subprotocols=["chat"], extensions=[ServerPerMessageDeflateFactory()])
    client = ClientConnection("localhost", "/", subprotocols=["chat"])
    ws.receive_data(client.data_to_send())
    (req,) = ws.events_received()
    assert isinstance(req, WsRequest)
    ws.send_response(ws.accept(req))
    ws.send_frame(Frame(WsOpcode.TEXT, "héllo".encode()))
    client.receive_data(b"".join(ws.data_to_send()))
    events = client.events_received()
    hs = _handshakes(events)[0]
    assert hs.accepted and hs.subprotocol == "chat" and hs.deflate is not None
    assert [m.message.text for m in _messages(events)] == ["héllo"]
    assert _messages(events)[0].message.compressed
    client.send_text("back")
    ws.receive_data(client.data_to_send())
    (frame,) = ws.events_received()
    assert frame.data == b"back"


def test_our_client_rejected_by_websockets_server() -> None:
    ws = ServerProtocol()
    client = ClientConnection("localhost", deflate=False)
    ws.receive_data(client.data_to_send())
    ws.events_received()
    ws.send_response(ws.reject(403, "go away\n"))
    client.receive_data(b"".join(ws.data_to_send()))
    (ev,) = client.events_received()
    assert not ev.accepted and ev.status == 403 and ev.body == b"go away\n"


def test_websockets_client_against_our_server() -> None:
    ws = ClientProtocol(
        parse_uri("ws://localhost/x"),
        subprotocols=["b", "a"],
        extensions=[ClientPerMessageDeflateFactory()],
    )
    ws.send_request(ws.connect())
    server = ServerConnection(subprotocols=["a", "b"], deflate_window_bits=12)
    server.receive_data(b"".join(ws.data_to_send()))
    hs = _handshakes(server.events_received())[0]
    assert hs.accepted and hs.subprotocol == "b"  # the client's preference
    ws.receive_data(server.data_to_send())
    (resp,) = ws.events_received()
    assert isinstance(resp, WsResponse) and ws.handshake_exc is None
    assert ws.subprotocol == "b" and ws.extensions  # websockets agreed to our parameters
    ws.send_text(b"x" * 1000)
    server.receive_data(b"".join(ws.data_to_send()))
    (msg,) = _messages(server.events_received())
    assert msg.message.payload == b"x" * 1000 and msg.message.compressed
    server.send_text("pong")
    ws.receive_data(server.data_to_send())
    (frame,) = ws.events_received()
    assert frame.data == b"pong"


def test_websockets_client_refuses_nothing_we_send_on_plain_reject() -> None:
    ws = ClientProtocol(parse_uri("ws://localhost/"))
    ws.send_request(ws.connect())
    server = ServerConnection(auto_accept=False)
    server.receive_data(b"".join(ws.data_to_send()))
    server.reject(403, "Forbidden", "no\n")
    ws.receive_data(server.data_to_send())
    (resp,) = ws.events_received()
    assert resp.status_code == 403 and ws.handshake_exc is not None


def test_accept_value_is_the_rfc_computation() -> None:
    assert accept_key(KEY) == ACCEPT


def test_plain_connection_still_starts_open() -> None:
    conn = Connection(Role.CLIENT)
    assert conn.state is State.OPEN
    with pytest.raises(RuntimeError):
        conn._receive_handshake(b"")


def test_any_split_of_head_and_frames_gives_the_same_events() -> None:
    import random

    data = response(f"Sec-WebSocket-Accept: {ACCEPT}") + b"".join(
        encode_frame(0x1, f"m{i}".encode() + "é".encode() * i) for i in range(20)
    )
    rng = random.Random(7)

    def run(cuts: list[int]) -> tuple[list[str], list[str | None]]:
        client = ClientConnection("h", key=KEY, deflate=False)
        events: list[object] = []
        for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
            client.receive_data(data[a:b])
            events += client.events_received()
        kinds = [type(e).__name__ for e in events]
        return kinds, [m.message.text for m in _messages(events)]

    whole = run([])
    assert whole[0][0] == "HandshakeEvent" and len(whole[1]) == 20
    for _ in range(30):
        cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, 12)))
        assert run(cuts) == whole


@pytest.mark.parametrize("bits", [7, 16])
def test_server_window_bits_out_of_range_is_caller_misuse(bits: int) -> None:
    with pytest.raises(ValueError, match="8..15"):
        ServerConnection(deflate_window_bits=bits)
