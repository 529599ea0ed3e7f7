"""The JSON events of one known exchange, field by field: connect sends 'Hello' (no deflate) to
listen --echo and closes."""

from __future__ import annotations

from typing import Any

import pytest

from wsdebug.codec.handshake import accept_key
from wsdebug.codec.mask import unmask
from wsdebug.live.client import ClientOptions
from wsdebug.live.run import run_connect

from .conftest import Events, Listen, arun, is_msg, script

FIELD_NAMES = [
    "FIN",
    "RSV1",
    "RSV2",
    "RSV3",
    "opcode",
    "MASK",
    "payload length",
    "masking key",
    "payload",
]
FRAME_KEYS = {
    "event",
    "conn",
    "t",
    "direction",
    "offset",
    "size",
    "fin",
    "rsv1",
    "rsv2",
    "rsv3",
    "opcode",
    "opcode_name",
    "masked",
    "mask_key",
    "length_form",
    "payload_length",
    "payload_hex",
    "inflated_hex",
    "text",
    "close_code",
    "close_reason",
    "fields",
    "problems",
}


@pytest.fixture(scope="module")
def hello() -> tuple[int, int, Events, Events]:
    async def main() -> tuple[int, int, Events, Events]:
        async with Listen(echo=True) as srv:
            ev = Events()
            status = await run_connect(
                srv.url,
                ClientOptions(deflate=False),
                ev,
                script=script(["Hello"], ev.gate(is_msg("s2c"))),
            )
            return status, await srv.result(), ev, srv.events

    return arun(main())


def fields(frame: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in frame["fields"]}


def test_statuses(hello: tuple[int, int, Events, Events]) -> None:
    assert hello[:2] == (0, 0)


def test_event_sequence(hello: tuple[int, int, Events, Events]) -> None:
    _, _, client, server = hello
    kinds = [(e["event"], e.get("direction")) for e in client.items]
    assert kinds == [
        ("connect", None),
        ("handshake", None),
        ("frame", "c2s"),
        ("message", "c2s"),  # Hello out
        ("frame", "s2c"),
        ("message", "s2c"),  # Hello echoed
        ("frame", "c2s"),  # our close
        ("frame", "s2c"),
        ("close", None),  # the server's close
        ("disconnect", None),
    ]
    assert {e["conn"] for e in client.items} == {"c1"}
    times = [e["t"] for e in client.items if "t" in e]
    assert times == sorted(times)
    assert [e["event"] for e in server.items if e["event"] == "info"] == []
    assert [(e["event"], e.get("direction")) for e in server.items][:2] == [
        ("connect", None),
        ("handshake", None),
    ]


def test_connect_and_handshake_events(hello: tuple[int, int, Events, Events]) -> None:
    _, _, client, server = hello
    connect = client.one("connect")
    assert set(connect) == {"event", "conn", "t", "peer"}
    hs = client.one("handshake")
    assert set(hs) == {
        "event",
        "conn",
        "t",
        "role",
        "request",
        "response",
        "accept_expected",
        "subprotocol",
        "extensions",
        "ok",
        "problems",
    }
    assert (hs["role"], hs["ok"], hs["problems"], hs["subprotocol"], hs["extensions"]) == (
        "client",
        True,
        [],
        None,
        None,
    )
    assert connect["peer"] == f"127.0.0.1:{hs['request']['headers'][0]['value'].split(':')[1]}"
    req, resp = hs["request"], hs["response"]
    assert (req["method"], req["target"], req["version"]) == ("GET", "/", "HTTP/1.1")
    assert (resp["version"], resp["status"], resp["reason"]) == (
        "HTTP/1.1",
        101,
        "Switching Protocols",
    )
    names = [h["name"] for h in req["headers"]]
    assert names == ["Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version"]
    first = req["headers"][0]
    assert first["offset"] == len("GET / HTTP/1.1\r\n") and first["meaning"]
    key = req["headers"][3]["value"]
    accept = {h["name"]: h["value"] for h in resp["headers"]}["Sec-WebSocket-Accept"]
    assert hs["accept_expected"] == accept == accept_key(key)
    shs = server.one("handshake")
    assert shs["role"] == "server" and shs["ok"] is True
    assert shs["request"] == req  # the same bytes, described the same way
    # the same response; only the client, which knows the key, can say the Accept value matches
    assert [(h["name"], h["value"], h["offset"]) for h in shs["response"]["headers"]] == [
        (h["name"], h["value"], h["offset"]) for h in resp["headers"]
    ]
    client_accept = [h["meaning"] for h in resp["headers"] if h["name"] == "Sec-WebSocket-Accept"][
        0
    ]
    assert client_accept.startswith("matches") and key in client_accept


def test_hello_frame_field_by_field(hello: tuple[int, int, Events, Events]) -> None:
    _, _, client, server = hello
    frame = client.of("frame", direction="c2s")[0]
    assert set(frame) == FRAME_KEYS | {"message"}
    expected = {
        "offset": 0,
        "size": 11,
        "fin": True,
        "rsv1": False,
        "rsv2": False,
        "rsv3": False,
        "opcode": 1,
        "opcode_name": "TEXT",
        "masked": True,
        "length_form": "7-bit",
        "payload_length": 5,
        "payload_hex": "48656c6c6f",
        "inflated_hex": None,
        "text": "Hello",
        "close_code": None,
        "close_reason": None,
        "problems": [],
    }
    assert {k: frame[k] for k in expected} == expected
    key = bytes.fromhex(frame["mask_key"])
    assert len(key) == 4
    f = fields(frame)
    assert [x["name"] for x in frame["fields"]] == FIELD_NAMES
    assert {
        n: (f[n]["offset"], f[n]["size"], f[n]["value"], f[n].get("bits")) for n in FIELD_NAMES
    } == {
        "FIN": (0, 1, 1, 0x80),
        "RSV1": (0, 1, 0, 0x40),
        "RSV2": (0, 1, 0, 0x20),
        "RSV3": (0, 1, 0, 0x10),
        "opcode": (0, 1, 1, 0x0F),
        "MASK": (1, 1, 1, 0x80),
        "payload length": (1, 1, 5, 0x7F),
        "masking key": (2, 4, frame["mask_key"], None),
        "payload": (6, 5, unmask(b"Hello", key).hex(), None),  # the payload as on the wire: masked
    }
    assert all(isinstance(x["meaning"], str) and x["meaning"] for x in frame["fields"])
    event = client.messages("c2s")[0]
    assert frame["message"] == {
        k: v for k, v in event.items() if k not in ("event", "conn", "t", "direction")
    }
    # what the server decoded from the same bytes is the same frame, field for field
    seen = server.of("frame", direction="c2s")[0]
    assert {k: v for k, v in seen.items() if k not in ("conn", "t")} == {
        k: v for k, v in frame.items() if k not in ("conn", "t")
    }


def test_hello_message_event(hello: tuple[int, int, Events, Events]) -> None:
    _, _, client, server = hello
    msg = client.messages("c2s")[0]
    assert msg == {
        **msg,
        "event": "message",
        "direction": "c2s",
        "opcode": 1,
        "opcode_name": "TEXT",
        "offset": 0,
        "frames": 1,
        "compressed": False,
        "size": 5,
        "text": "Hello",
        "payload_hex": None,
        "problems": [],
    }
    assert set(msg) == {
        "event",
        "conn",
        "t",
        "direction",
        "opcode",
        "opcode_name",
        "offset",
        "frames",
        "compressed",
        "size",
        "text",
        "payload_hex",
        "problems",
    }
    assert server.messages("c2s")[0] | {"conn": None, "t": None} == msg | {"conn": None, "t": None}


def test_echo_frame_from_the_server(hello: tuple[int, int, Events, Events]) -> None:
    _, _, client, _ = hello
    frame = client.of("frame", direction="s2c")[0]
    expected = {
        "offset": 0,
        "size": 7,
        "fin": True,
        "opcode": 1,
        "opcode_name": "TEXT",
        "masked": False,
        "mask_key": None,
        "length_form": "7-bit",
        "payload_length": 5,
        "payload_hex": "48656c6c6f",
        "text": "Hello",
        "problems": [],
    }
    assert {k: frame[k] for k in expected} == expected
    assert [x["name"] for x in frame["fields"]] == [
        "FIN",
        "RSV1",
        "RSV2",
        "RSV3",
        "opcode",
        "MASK",
        "payload length",
        "payload",
    ]
    assert fields(frame)["payload"]["value"] == "48656c6c6f"
    assert fields(frame)["MASK"]["value"] == 0


def test_close_frames_and_events(hello: tuple[int, int, Events, Events]) -> None:
    _, _, client, server = hello
    ours = client.of("frame", direction="c2s")[1]
    expected = {
        "offset": 11,
        "size": 8,
        "opcode": 8,
        "opcode_name": "CLOSE",
        "masked": True,
        "payload_length": 2,
        "payload_hex": "03e8",
        "close_code": 1000,
        "close_reason": "",
        "text": "",
    }
    assert {k: ours[k] for k in expected} == expected
    assert [x["name"] for x in ours["fields"]] == FIELD_NAMES[:-1] + ["close code"]
    theirs = client.of("frame", direction="s2c")[1]
    assert (theirs["offset"], theirs["close_code"], theirs["masked"]) == (7, 1000, False)
    close = client.one("close")
    assert set(close) == {"event", "conn", "t", "code", "reason", "initiator", "clean"}
    assert (close["code"], close["reason"], close["initiator"], close["clean"]) == (
        1000,
        "",
        "client",
        True,
    )
    sclose = server.one("close")
    assert (sclose["code"], sclose["initiator"], sclose["clean"]) == (1000, "client", True)
    disc = client.one("disconnect")
    assert set(disc) == {"event", "conn", "t", "reason"} and disc["reason"]
    assert server.one("disconnect")["reason"] == "closing handshake done"
