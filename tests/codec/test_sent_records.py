"""codec.connection: the records of frames this endpoint sends are what decoding their bytes gives.

A whole message sent (an echo, a script's line) gets its record from
:meth:`StreamDecoder.encoded_message`, built from the encoder's values rather than parsed
back from the bytes.  Here a connection sends messages, pings, closes and raw bytes in any
order, both roles, sizes around every length form and text that is not UTF-8, and every event
of what it sent must equal what a decoder fed the bytes it wrote makes of them, in the same
order, at the same offsets.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from wsdebug.codec.connection import Connection
from wsdebug.codec.events import FrameEvent, MessageEvent
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Direction, Opcode, Role
from wsdebug.codec.stream import FrameRecord, StreamDecoder

SIZES = [0, 1, 125, 126, 127, 65535, 65536, 70000]


@st.composite
def sends(draw: Any) -> tuple[str, bytes, int]:
    kind = draw(st.sampled_from(["text"] * 4 + ["binary"] * 3 + ["bad text", "ping", "raw"]))
    size = draw(st.sampled_from(SIZES) | st.integers(0, 300))
    body = draw(st.binary(min_size=min(size, 64), max_size=min(size, 64)))
    payload = (body * (size // max(len(body), 1) + 1))[:size] if body else bytes(size)
    fragments = draw(st.sampled_from([1, 1, 1, 2]))
    if kind == "text":
        payload = payload.decode("latin-1").encode("utf-8")[:size]
        payload = payload.decode("utf-8", "ignore").encode("utf-8")
    elif kind == "bad text":
        payload = b"ok\xff" + payload[:10]
    return kind, payload, fragments


def _send(conn: Connection, kind: str, payload: bytes, fragments: int) -> None:
    if kind in ("text", "bad text"):
        conn.send_message(Opcode.TEXT, payload, fragments=fragments)
    elif kind == "binary":
        conn.send_message(Opcode.BINARY, payload, fragments=fragments)
    elif kind == "ping":
        conn.send_ping(payload[:125])
    else:  # crafted bytes: a text frame cut short, completed by what follows
        conn.send_raw(encode_frame(Opcode.BINARY, payload[:10])[:2])
        conn.send_raw(encode_frame(Opcode.BINARY, payload[:10])[2:])


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([Role.CLIENT, Role.SERVER]),
    st.lists(sends(), min_size=1, max_size=12),
    st.booleans(),
)
def test_sent_events_are_the_decoded_bytes(
    role: Role, plan: list[tuple[str, bytes, int]], close: bool
) -> None:
    conn = Connection(role)
    wire = b""
    events: list[Any] = []
    for kind, payload, fragments in plan:
        _send(conn, kind, payload, fragments)
        wire += conn.data_to_send()
        events += conn.events_received()
    if close:
        conn.send_close(1000, "bye")
        wire += conn.data_to_send()
        events += conn.events_received()
    out = Direction.of(role, sent=True)
    got = [
        ev.record if isinstance(ev, FrameEvent) else ev.message
        for ev in events
        if isinstance(ev, FrameEvent | MessageEvent) and ev.direction is out
    ]
    expected: list[Any] = []
    for rec in StreamDecoder(role).receive_data(wire):
        expected.append(rec)
        if rec.message is not None:
            expected.append(rec.message)
    assert got == expected
    assert conn.bytes_out == len(wire)
    assert conn.frames_out == sum(isinstance(x, FrameRecord) for x in expected)


def test_an_echo_comes_right_after_its_message_and_at_its_offset() -> None:
    conn = Connection(Role.SERVER)
    conn.on_message = lambda msg: conn.send_message(msg.opcode, msg.payload)
    key = b"\x01\x02\x03\x04"
    conn.receive_data(b"".join(encode_frame(1, b"x" * n, mask_key=key) for n in (5, 200, 70000)))
    sent = [ev.record for ev in conn.events_received() if isinstance(ev, FrameEvent)]
    offsets = [r.frame.offset for r in sent if r.direction is Direction.S2C]
    assert offsets == [0, 7, 7 + 204]  # 2 + 5, then 4 + 200 header and payload bytes
    assert [r.direction for r in sent] == [Direction.C2S, Direction.S2C] * 3
    wire = conn.data_to_send()
    assert [r.frame for r in StreamDecoder(Role.SERVER).receive_data(wire)] == [
        r.frame for r in sent if r.direction is Direction.S2C
    ]
