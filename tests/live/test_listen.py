"""``listen`` (run_listen) with a websockets client, and ``connect`` against ``listen``."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from wsdebug.live.client import ClientOptions
from wsdebug.live.run import run_connect

from .conftest import STEP, Events, Listen, arun, is_msg, script


async def recv(ws: Any) -> Any:
    return await asyncio.wait_for(ws.recv(), STEP)


def data_frames(ev: Events, direction: str) -> list[dict[str, Any]]:
    return [e for e in ev.of("frame", direction=direction) if e["opcode"] in (0, 1, 2)]


# -- a websockets client against listen --echo --------------------------------------------------------


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_websockets_client_echo(compression: str | None) -> None:
    big = os.urandom(100_000)

    async def main() -> tuple[int, Events, Any]:
        async with Listen(echo=True) as srv:
            async with connect(
                srv.url, compression=compression, open_timeout=STEP, close_timeout=STEP
            ) as ws:
                await ws.send("hello")
                assert await recv(ws) == "hello"
                await ws.send(b"\x00\x01\xfe\xff")
                assert await recv(ws) == b"\x00\x01\xfe\xff"
                await ws.send(["frag", "mented ", "téxt"])  # one message, three frames
                assert await recv(ws) == "fragmented téxt"
                await ws.send([b"\x01", b"\x02\x03"])
                assert await recv(ws) == b"\x01\x02\x03"
                await ws.send(big)
                assert await recv(ws) == big
                await ws.send("x" * 70_000)
                assert await recv(ws) == "x" * 70_000
                pong = await ws.ping(b"ping!")
                await asyncio.wait_for(pong, STEP)
                response = ws.response
            return await srv.result(), srv.events, response

    status, ev, response = arun(main())
    assert status == 0, ev.dump()
    received = ev.messages("c2s")
    assert [(m["opcode_name"], m["frames"], m["size"]) for m in received] == [
        ("TEXT", 1, 5),
        ("BINARY", 1, 4),
        ("TEXT", 4, 16),
        ("BINARY", 3, 3),
        ("BINARY", 1, 100_000),
        ("TEXT", 1, 70_000),
    ]
    assert received[2]["text"] == "fragmented téxt"
    echoed = ev.messages("s2c")
    assert [m["size"] for m in echoed] == [m["size"] for m in received]
    assert all(m["frames"] == 1 for m in echoed)
    incoming = data_frames(ev, "c2s")
    assert all(f["masked"] for f in incoming) and not any(
        f["masked"] for f in data_frames(ev, "s2c")
    )
    # the fragments as they crossed the wire: websockets ends an iterable with an empty final frame
    frag = incoming[2:6]
    assert [(f["opcode_name"], f["fin"]) for f in frag] == [
        ("TEXT", False),
        ("CONT", False),
        ("CONT", False),
        ("CONT", True),
    ]
    if not compression:
        assert [bytes.fromhex(f["payload_hex"]) for f in frag] == [
            b"frag",
            b"mented ",
            "téxt".encode(),
            b"",
        ]
        assert [f["text"] for f in frag] == ["frag", "mented ", "téxt", ""]
    hs = ev.one("handshake")
    negotiated = response.headers.get("Sec-WebSocket-Extensions")
    if compression:
        assert negotiated and negotiated.startswith("permessage-deflate")
        assert hs["extensions"] == negotiated
        assert incoming[0]["rsv1"] and frag[0]["rsv1"] and not frag[1]["rsv1"]
        assert all(m["compressed"] for m in echoed)
        assert all(f["rsv1"] for f in data_frames(ev, "s2c"))
    else:
        assert negotiated is None and hs["extensions"] is None
        assert not any(f["rsv1"] for f in ev.of("frame"))
    ping = [f for f in ev.of("frame", direction="c2s") if f["opcode"] == 9]
    pong = [f for f in ev.of("frame", direction="s2c") if f["opcode"] == 10]
    assert (
        len(ping) == len(pong) == 1
        and ping[0]["payload_hex"] == pong[0]["payload_hex"] == b"ping!".hex()
    )
    close = ev.one("close")
    assert (close["code"], close["initiator"], close["clean"]) == (1000, "client", True)
    assert ev.of("fail") == []


def test_listen_no_deflate_refuses_the_offer() -> None:
    async def main() -> tuple[int, Events, Any]:
        async with Listen(echo=True, deflate=False) as srv:
            async with connect(srv.url, open_timeout=STEP) as ws:  # offers permessage-deflate
                await ws.send("abc" * 100)
                assert await recv(ws) == "abc" * 100
                response = ws.response
            return await srv.result(), srv.events, response

    status, ev, response = arun(main())
    assert status == 0
    assert response.headers.get("Sec-WebSocket-Extensions") is None
    offered = {h["name"]: h["value"] for h in ev.one("handshake")["request"]["headers"]}
    assert offered["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
    assert ev.one("handshake")["extensions"] is None
    assert not any(f["rsv1"] for f in ev.of("frame"))


@pytest.mark.parametrize(
    ("ours", "offered", "chosen"),
    [
        (["chat"], ["superchat", "chat"], "chat"),
        (["a", "b"], ["b", "a"], "b"),  # the client's order of preference
        (["chat"], ["other"], None),
        ([], ["chat"], None),
    ],
)
def test_subprotocol_negotiation(ours: list[str], offered: list[str], chosen: str | None) -> None:
    async def main() -> tuple[int, Events, str | None]:
        async with Listen(echo=True, subprotocols=ours) as srv:
            try:
                async with connect(srv.url, subprotocols=offered, open_timeout=STEP) as ws:
                    await ws.send("x")
                    await recv(ws)
                    got = ws.subprotocol
            except InvalidStatus:  # pragma: no cover - a refusal would be a failure below
                got = "refused"
            return await srv.result(), srv.events, got

    status, ev, got = arun(main())
    assert got == chosen
    assert status == 0
    assert ev.one("handshake")["subprotocol"] == chosen


def test_client_close_code_and_reason_reach_listen() -> None:
    async def main() -> tuple[int, Events, Any]:
        async with Listen(echo=True) as srv:
            ws = await connect(srv.url, open_timeout=STEP)
            await ws.send("hi")
            await recv(ws)
            await asyncio.wait_for(ws.close(4000, "app says bye"), STEP)
            return await srv.result(), srv.events, ws

    status, ev, ws = arun(main())
    close = ev.one("close")
    assert (close["code"], close["reason"], close["initiator"], close["clean"]) == (
        4000,
        "app says bye",
        "client",
        True,
    )
    # the listener echoes the code (RFC 6455 §5.5.1)
    assert ws.close_code == 4000
    assert status == 0  # a clean closing handshake with any code that may be sent


def test_client_drops_tcp_is_1006() -> None:
    async def main() -> tuple[int, Events]:
        async with Listen(echo=True) as srv:
            ws = await connect(srv.url, open_timeout=STEP)
            await ws.send("hi")
            await recv(ws)
            ws.transport.abort()
            return await srv.result(), srv.events

    status, ev = arun(main())
    assert status == 1
    close = ev.one("close")
    assert (close["code"], close["clean"]) == (1006, False)
    assert ev.one("disconnect")["reason"]


def test_many_clients_at_once() -> None:
    async def one(url: str, i: int) -> str:
        async with connect(url, open_timeout=STEP) as ws:
            await ws.send(f"client {i}")
            return await recv(ws)

    async def main() -> tuple[list[str], Events]:
        async with Listen(echo=True, once=False) as srv:
            got = await asyncio.gather(*(one(srv.url, i) for i in range(10)))
            for _ in range(100):  # let the listener see every close before the block ends
                if len(srv.events.of("disconnect")) == 10:
                    break
                await asyncio.sleep(0.02)
            return list(got), srv.events

    got, ev = arun(main())
    assert got == [f"client {i}" for i in range(10)]
    assert len({e["conn"] for e in ev.of("handshake")}) == 10
    assert sorted(m["text"] for m in ev.messages("s2c")) == sorted(got)


def test_listen_stop_sends_going_away() -> None:
    async def main() -> tuple[Any, Events]:
        srv = Listen(echo=True, once=False)
        async with srv:
            ws = await connect(srv.url, open_timeout=STEP)
            await ws.send("hi")
            await recv(ws)
            assert srv.listener is not None
            await asyncio.wait_for(srv.listener.stop(), STEP)
            with pytest.raises(ConnectionClosed):
                await recv(ws)
            return ws, srv.events

    ws, ev = arun(main())
    assert ws.close_code == 1001 and ws.close_reason == "listener shutting down"
    assert ev.one("close")["code"] == 1001


# -- connect against listen ----------------------------------------------------------------------------


async def connect_listen(
    lines: list[str], *, listen: dict[str, Any] | None = None, **client: Any
) -> tuple[int, int, Events, Events]:
    async with Listen(echo=True, **(listen or {})) as srv:
        ev = Events()
        gate = ev.gate(is_msg("s2c"), len(lines))
        status = await run_connect(srv.url, ClientOptions(**client), ev, script=script(lines, gate))
        return status, await srv.result(), ev, srv.events


def same_frames(a: Events, b: Events) -> None:
    """What one side saw of every frame equals what the other side saw, field for field."""
    drop = ("conn", "t")
    fa = [{k: v for k, v in e.items() if k not in drop} for e in a.of("frame")]
    fb = [{k: v for k, v in e.items() if k not in drop} for e in b.of("frame")]
    for d in ("c2s", "s2c"):
        assert [f for f in fa if f["direction"] == d] == [f for f in fb if f["direction"] == d]


@pytest.mark.parametrize("deflate", [True, False])
def test_connect_against_listen(deflate: bool) -> None:
    lines = ["hello", "wörld", "", "z" * 5000]
    status, lstatus, client, server = arun(connect_listen(lines, deflate=deflate))
    assert (status, lstatus) == (0, 0), client.dump() + "\n--\n" + server.dump()
    assert client.texts("c2s") == client.texts("s2c") == lines
    assert server.texts("c2s") == server.texts("s2c") == lines
    ext = client.one("handshake")["extensions"]
    assert (ext is not None and ext.startswith("permessage-deflate")) if deflate else ext is None
    assert server.one("handshake")["extensions"] == ext
    assert all(
        f["rsv1"] == deflate for f in data_frames(client, "c2s") + data_frames(client, "s2c")
    )
    same_frames(client, server)
    assert client.one("close")["initiator"] == server.one("close")["initiator"] == "client"


def test_connect_against_listen_subprotocol() -> None:
    status, lstatus, client, server = arun(
        connect_listen(
            ["x"], listen={"subprotocols": ["v2.proto"]}, subprotocols=["v1.proto", "v2.proto"]
        )
    )
    assert (status, lstatus) == (0, 0)
    assert (
        client.one("handshake")["subprotocol"]
        == server.one("handshake")["subprotocol"]
        == "v2.proto"
    )


def test_connect_wss_against_listen_tls(pki: Any) -> None:
    lines = ["over TLS"]
    status, lstatus, client, server = arun(
        connect_listen(
            lines, listen={"certfile": str(pki.cert), "keyfile": str(pki.key)}, cacert=str(pki.ca)
        )
    )
    assert (status, lstatus) == (0, 0), client.dump()
    assert client.texts("s2c") == lines


def test_connect_max_size_against_listen() -> None:
    """The client is strict too: an echo over its --max-size fails the connection with 1009."""

    async def main() -> tuple[int, Events]:
        async with Listen(echo=True) as srv:
            ev = Events()
            gate = ev.gate(lambda e: e["event"] == "disconnect")
            status = await run_connect(
                srv.url,
                ClientOptions(max_message=100, deflate=False),
                ev,
                script=script(["y" * 101], gate),
            )
            await srv.result()
            return status, ev

    status, ev = arun(main())
    assert status == 1
    fail = ev.one("fail")
    assert fail["code"] == 1009 and fail["problem"]["rule"] == "MESSAGE_TOO_BIG"
    sent_close = [f for f in ev.of("frame", direction="c2s") if f["opcode"] == 8]
    assert [f["close_code"] for f in sent_close] == [1009]
