"""The events of a live connection come in the order things happened, whatever is batched.

The codec decodes what this endpoint sends (so the screen shows what really went out); sends
made one after another (a script's lines) are decoded together, and an answer written while
received frames are handled (an echo, a pong, the close reply) is decoded at once.  Either
way a frame sent before something was received is reported before it, and an echo right
after the message it answers.
"""

from __future__ import annotations

from wsdebug.codec.connection import Connection
from wsdebug.codec.events import CloseEvent, Event, FrameEvent, MessageEvent
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Opcode, Role


def shape(events: list[Event]) -> list[str]:
    out = []
    for ev in events:
        if isinstance(ev, FrameEvent):
            rec = ev.record
            out.append(f"{ev.direction.value} {Opcode(rec.frame.opcode_raw).name} {rec.text or ''}")
        elif isinstance(ev, MessageEvent):
            out.append(f"{ev.direction.value} message")
        elif isinstance(ev, CloseEvent):
            out.append(f"close {ev.code}")
    return out


def test_sends_before_a_receive_are_reported_before_it() -> None:
    conn = Connection(Role.CLIENT)
    for text in ("a", "b", "c"):
        conn.send_text(text)
    conn.receive_data(encode_frame(Opcode.TEXT, b"reply"))
    conn.send_text("d")
    assert shape(conn.events_received()) == [
        "c2s TEXT a",
        "c2s message",
        "c2s TEXT b",
        "c2s message",
        "c2s TEXT c",
        "c2s message",
        "s2c TEXT reply",
        "s2c message",
        "c2s TEXT d",
        "c2s message",
    ]
    out = conn.data_to_send()
    assert out.count(b"\x81\x81") == 4  # four masked one-byte text frames, in one write


def test_answers_come_right_after_what_they_answer() -> None:
    conn = Connection(Role.SERVER)
    conn.on_message = lambda msg: conn.send_message(msg.opcode, msg.payload)
    conn.send_text("hello")  # sent first, decoded with the next receive
    key = b"\x01\x02\x03\x04"
    wire = encode_frame(Opcode.TEXT, b"one", mask_key=key)
    wire += encode_frame(Opcode.PING, b"p", mask_key=key)
    wire += encode_frame(Opcode.TEXT, b"two", mask_key=key)
    wire += encode_frame(Opcode.CLOSE, b"\x03\xe8", mask_key=key)
    conn.receive_data(wire)
    assert shape(conn.events_received()) == [
        "s2c TEXT hello",
        "s2c message",
        "c2s TEXT one",
        "c2s message",
        "s2c TEXT one",
        "s2c message",
        "c2s PING p",
        "s2c PONG p",
        "c2s TEXT two",
        "c2s message",
        "s2c TEXT two",
        "s2c message",
        "c2s CLOSE ",
        "s2c CLOSE ",
        "close 1000",
    ]
