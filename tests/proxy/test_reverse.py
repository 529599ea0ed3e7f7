"""The reverse proxy with real peers on 127.0.0.1: websockets (and Node ``ws``) at both ends,
raw sockets for what a library will not send, byte equality checked by taps on both legs."""

from __future__ import annotations

import asyncio
import os
import random

import pytest
import websockets

from wsdebug.codec.accept import accept_key
from wsdebug.codec.build import build_request
from wsdebug.codec.events import CloseEvent, DisconnectEvent, FailEvent, HandshakeEvent
from wsdebug.codec.frames import FrameParser, encode_frame
from wsdebug.codec.handshake import HeadReader
from wsdebug.codec.rules import Rule
from wsdebug.codec.spec import Direction, Opcode, Role

from .conftest import HOST, Collect, Tap, after_head, arun, start_proxy

C2S, S2C = Direction.C2S, Direction.S2C


async def _wait_for(cond, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def echo_server(compression: str | None, seen: dict | None = None):
    async def echo(ws):
        try:
            async for m in ws:
                if m == "close-me":
                    await ws.close(4002, "server says bye")
                    break
                await ws.send(m)
        finally:
            if seen is not None:
                seen["code"], seen["reason"] = ws.close_code, ws.close_reason

    server = await websockets.serve(echo, HOST, 0, compression=compression, max_size=None)
    return server, server.sockets[0].getsockname()[1]


async def _chain(compression: str | None, seen: dict | None = None, **proxy_kw):
    """client → tap A → proxy → tap B → echo server."""
    server, port = await echo_server(compression, seen)
    tap_b = Tap((HOST, port))
    pb = await tap_b.start()
    rep = Collect()
    proxy = await start_proxy(f"ws://{HOST}:{pb}/base", rep, **proxy_kw)
    tap_a = Tap(proxy.address)
    pa = await tap_a.start()
    return server, proxy, rep, tap_a, tap_b, pa


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_websockets_pair_byte_equal(compression: str | None) -> None:
    big = random.Random(1).randbytes(1 << 20)
    sent = ["hello", b"\x00\xff" * 10, big, "é" * 1000]

    async def main() -> None:
        server, proxy, rep, tap_a, tap_b, pa = await _chain(compression)
        url = f"ws://{HOST}:{pa}/chat?room=1"
        async with websockets.connect(url, compression=compression, max_size=None) as ws:
            for m in sent:
                await ws.send(m)
                assert await ws.recv() == m
        await _wait_for(lambda: rep.of(DisconnectEvent))
        await _wait_for(lambda: bytes(tap_a.s2c) == bytes(tap_b.s2c) and tap_b.s2c)
        # what the client sent after its head is what the server received after its head
        assert after_head(tap_a.c2s) == after_head(tap_b.c2s)
        head_b = bytes(tap_b.c2s).split(b"\r\n\r\n", 1)[0].decode()
        assert head_b.startswith("GET /base/chat?room=1 HTTP/1.1\r\n")
        assert f"\r\nHost: {HOST}:{tap_b.server.sockets[0].getsockname()[1]}" in head_b  # type: ignore[union-attr]
        hs = rep.of(HandshakeEvent)[0]
        assert hs.accepted and (hs.deflate is not None) == (compression is not None)
        for direction in (C2S, S2C):
            msgs = [f.record.message for f in rep.frames(direction) if f.record.message]
            got = [m.text if m.is_text else m.payload for m in msgs]
            assert got == sent
            assert all(not f.problems for f in rep.frames(direction))
            if compression:
                assert any(m.compressed for m in msgs)
        close = rep.of(CloseEvent)[-1]
        assert (close.code, close.initiator, close.clean) == (1000, Role.CLIENT, True)
        for x in (tap_a, tap_b, server):
            x.close()
        await proxy.stop()

    arun(main())


def test_close_codes_both_ways() -> None:
    async def main() -> None:
        seen: dict = {}
        server, proxy, rep, tap_a, tap_b, pa = await _chain(None, seen)
        async with websockets.connect(f"ws://{HOST}:{pa}/") as ws:
            await ws.send("x")
            await ws.recv()
            await ws.close(4001, "client says bye")
        await _wait_for(lambda: "code" in seen)
        assert (seen["code"], seen["reason"]) == (4001, "client says bye")
        await _wait_for(lambda: rep.of(CloseEvent))
        ev = rep.of(CloseEvent)[0]
        assert (ev.code, ev.initiator, ev.clean) == (4001, Role.CLIENT, True)
        async with websockets.connect(f"ws://{HOST}:{pa}/") as ws:
            await ws.send("close-me")
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            assert (ws.close_code, ws.close_reason) == (4002, "server says bye")
        await _wait_for(lambda: len(rep.of(CloseEvent)) == 2)
        ev = rep.of(CloseEvent)[1]
        assert (ev.code, ev.initiator, ev.clean, ev.conn) == (4002, Role.SERVER, True, "p2")
        for x in (tap_a, tap_b, server):
            x.close()
        await proxy.stop()

    arun(main())


# -- raw peers ----------------------------------------------------------------------------------------


async def raw_client(
    port: int, path: str = "/"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    r, w = await asyncio.open_connection(HOST, port)
    req, _key = build_request(f"{HOST}:{port}", path)
    w.write(req)
    heads = HeadReader()
    while not heads.done:
        data = await asyncio.wait_for(r.read(65536), 10)
        assert data, "closed during the handshake"
        heads.feed(data)
    assert heads.head is not None
    return r, w, heads.head + heads.leftover


async def read_frames(r: asyncio.StreamReader, first: bytes, sender: Role, until) -> list:
    parser = FrameParser(sender)
    parser.receive_data(first)
    frames = parser.frames()
    while not until(frames):
        data = await asyncio.wait_for(r.read(65536), 10)
        if not data:
            break
        parser.receive_data(data)
        frames += parser.frames()
    return frames


def test_fragments_with_pings_between() -> None:
    async def main() -> None:
        server, proxy, rep, tap_a, tap_b, pa = await _chain(None)
        r, w, rest = await raw_client(pa)
        pieces = [
            encode_frame(Opcode.TEXT, b"ab", fin=False, mask=True),
            encode_frame(Opcode.PING, b"p1", mask=True),
            encode_frame(Opcode.CONT, b"cd", fin=False, mask=True),
            encode_frame(Opcode.PING, b"p2", mask=True),
            encode_frame(Opcode.CONT, b"ef", mask=True),
        ]
        for p in pieces:  # one write each: each may arrive on its own
            w.write(p)
            await w.drain()
        got = await read_frames(r, after_head(rest), Role.SERVER, lambda fs: len(fs) >= 3)
        kinds = sorted((f.opcode_raw, f.payload) for f in got)
        assert kinds == [(Opcode.TEXT, b"abcdef"), (Opcode.PONG, b"p1"), (Opcode.PONG, b"p2")]
        c2s = rep.frames(C2S)
        assert [f.record.frame.opcode_raw for f in c2s] == [1, 9, 0, 9, 0]
        assert c2s[-1].record.message is not None and c2s[-1].record.message.text == "abcdef"
        assert not any(f.problems for f in c2s)
        w.close()
        await _wait_for(lambda: rep.of(DisconnectEvent))
        assert after_head(tap_a.c2s) == after_head(tap_b.c2s) == b"".join(pieces)
        for x in (tap_a, tap_b, server):
            x.close()
        await proxy.stop()

    arun(main())


def test_unmasked_client_frame_flagged_and_passed_through() -> None:
    async def main() -> None:
        server, proxy, rep, tap_a, tap_b, pa = await _chain(None)
        r, w, rest = await raw_client(pa)
        bad = encode_frame(Opcode.TEXT, b"naked")
        w.write(bad)
        got = await read_frames(r, after_head(rest), Role.SERVER, lambda fs: fs)
        # websockets, the real server, saw it and failed the connection itself
        assert got[0].opcode_raw == Opcode.CLOSE and got[0].payload[:2] == (1002).to_bytes(2, "big")
        first = rep.frames(C2S)[0]
        assert [p.rule for p in first.problems] == [Rule.UNMASKED_CLIENT_FRAME]
        assert first.record.frame.payload == b"naked"
        await _wait_for(lambda: after_head(tap_b.c2s).startswith(bad))
        assert not rep.of(FailEvent)
        w.close()
        for x in (tap_a, tap_b, server):
            x.close()
        await proxy.stop()

    arun(main())


def test_strict_fails_the_client_with_1002_and_the_server_with_1001() -> None:
    async def main() -> None:
        seen: dict = {}
        server, proxy, rep, tap_a, tap_b, pa = await _chain(None, seen, strict=True)
        r, w, rest = await raw_client(pa)
        good = encode_frame(Opcode.TEXT, b"fine", mask=True)
        w.write(good + encode_frame(Opcode.TEXT, b"naked"))
        got = await read_frames(
            r, after_head(rest), Role.SERVER, lambda fs: any(f.opcode_raw == 8 for f in fs)
        )
        close = [f for f in got if f.opcode_raw == Opcode.CLOSE][0]
        assert close.payload[:2] == (1002).to_bytes(2, "big") and not close.masked
        await _wait_for(lambda: "code" in seen)
        assert seen["code"] == 1001
        await _wait_for(lambda: rep.of(DisconnectEvent))
        # the good frame went through; the bad one did not
        assert not after_head(tap_b.c2s).startswith(good + b"\x81")
        assert after_head(tap_b.c2s).startswith(good)
        assert b"naked" not in tap_b.c2s
        fail = rep.of(FailEvent)[0]
        assert (fail.code, fail.problem.rule) == (1002, Rule.UNMASKED_CLIENT_FRAME)
        w.close()
        for x in (tap_a, tap_b, server):
            x.close()
        await proxy.stop()

    arun(main())


async def raw_server(frames: bytes):
    """Accepts one handshake (101, no extensions), then sends ``frames`` and waits."""

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        heads = HeadReader()
        while not heads.done:
            data = await r.read(65536)
            if not data:
                return
            heads.feed(data)
        head = (heads.head or b"").decode("latin-1")
        key = next(
            line.split(":", 1)[1].strip()
            for line in head.split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        w.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n".encode()
            + frames
        )
        await w.drain()
        while await r.read(65536):
            pass
        w.close()

    server = await asyncio.start_server(handle, HOST, 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize("strict", [False, True])
def test_masked_server_frame_flagged_with_its_role(strict: bool) -> None:
    async def main() -> None:
        bad = encode_frame(Opcode.TEXT, b"masked!", mask=True)
        server, port = await raw_server(bad)
        rep = Collect()
        proxy = await start_proxy(f"ws://{HOST}:{port}/", rep, strict=strict)
        r, w, rest = await raw_client(proxy.address[1])
        got = await read_frames(r, after_head(rest), None, lambda fs: fs)  # type: ignore[arg-type]
        s2c = rep.frames(S2C)
        assert [p.rule for p in s2c[0].problems] == [Rule.MASKED_SERVER_FRAME]
        assert s2c[0].direction.sender is Role.SERVER
        if strict:  # the client gets 1014 from the proxy instead of the bad frame
            assert got[0].opcode_raw == Opcode.CLOSE and not got[0].masked
            assert got[0].payload[:2] == (1014).to_bytes(2, "big")
            assert rep.of(FailEvent)[0].code == 1002
        else:  # passed through as it was
            assert got[0].masked and got[0].payload == b"masked!"
        w.close()
        server.close()
        await proxy.stop()

    arun(main())


# -- bad input -----------------------------------------------------------------------------------------


async def _exchange(port: int, data: bytes) -> bytes:
    r, w = await asyncio.open_connection(HOST, port)
    w.write(data)
    out = b""
    while chunk := await asyncio.wait_for(r.read(65536), 10):
        out += chunk
    w.close()
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def test_upstream_down_is_502_with_a_reason() -> None:
    async def main() -> None:
        rep = Collect()
        dead = _free_port()
        proxy = await start_proxy(f"ws://{HOST}:{dead}/", rep)
        req, _ = build_request("x", "/")
        out = await _exchange(proxy.address[1], req)
        assert out.startswith(b"HTTP/1.1 502 Bad Gateway\r\n")
        assert f"connection refused by {HOST}:{dead}".encode() in out
        await proxy.stop()

    arun(main())


def test_upstream_refusal_reaches_the_client_as_sent() -> None:
    async def main() -> None:
        def refuse(connection, request):
            return connection.respond(403, "go away\n")

        server = await websockets.serve(lambda ws: None, HOST, 0, process_request=refuse)
        tap_b = Tap((HOST, server.sockets[0].getsockname()[1]))
        pb = await tap_b.start()
        rep = Collect()
        proxy = await start_proxy(f"ws://{HOST}:{pb}/", rep)
        req, _ = build_request("x", "/")
        out = await _exchange(proxy.address[1], req)
        assert out.startswith(b"HTTP/1.1 403 Forbidden\r\n") and out.endswith(b"go away\n")
        assert out == bytes(tap_b.s2c)
        hs = rep.of(HandshakeEvent)[0]
        assert not hs.accepted and hs.status == 403
        tap_b.close()
        server.close()
        await proxy.stop()

    arun(main())


@pytest.mark.parametrize(
    "garbage, status",
    [
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(40) + b"\r\n\r\n", b"400"),
        (b"GET /x SPDY/3\r\n\r\n", b"400"),
        (b"A" * 20000, b"431"),
    ],
)
def test_garbage_from_the_client(garbage: bytes, status: bytes) -> None:
    async def main() -> None:
        server, port = await echo_server(None)
        rep = Collect()
        proxy = await start_proxy(f"ws://{HOST}:{port}/", rep)
        out = await _exchange(proxy.address[1], garbage)
        assert out.startswith(b"HTTP/1.1 " + status), out[:80]
        assert out.count(b"\n") < 12  # one page, a one-line reason
        assert not rep.of(HandshakeEvent)  # nothing went upstream
        server.close()
        await proxy.stop()

    arun(main())
