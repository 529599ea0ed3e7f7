"""Many connections at once, backpressure, and a wss:// upstream verified as ``connect`` does."""

from __future__ import annotations

import asyncio

import websockets

from tests.live.conftest import Pki, pki  # noqa: F401 - the throw-away CA fixture
from wsdebug.codec.events import ConnectEvent, DisconnectEvent, HandshakeEvent
from wsdebug.codec.frames import encode_frame
from wsdebug.live.proxy_side import HIGH_WATER, READ_SIZE

from .conftest import HOST, Collect, arun, start_proxy
from .test_reverse import _exchange, echo_server, raw_client


def test_many_connections_at_once() -> None:
    async def main() -> None:
        server, port = await echo_server("deflate")
        rep = Collect()
        proxy = await start_proxy(f"ws://{HOST}:{port}/", rep)
        url = f"ws://{HOST}:{proxy.address[1]}/"

        async def one(i: int) -> None:
            async with websockets.connect(url) as ws:
                for j in range(5):
                    await ws.send(f"{i}:{j}")
                    assert await ws.recv() == f"{i}:{j}"

        await asyncio.gather(*(one(i) for i in range(30)))
        for _ in range(500):
            if len(rep.of(DisconnectEvent)) == 30:
                break
            await asyncio.sleep(0.01)
        ids = {e.conn for e in rep.of(HandshakeEvent)}
        assert ids == {f"p{i}" for i in range(1, 31)}
        for conn in ids:  # each connection's frames decoded on their own, in order
            texts = [
                e.record.message.text
                for e in rep.frames()
                if e.conn == conn and e.record.message is not None
            ]
            assert len(texts) == 10 and texts[0] == texts[1]
        server.close()
        await proxy.stop()

    arun(main())


def test_a_client_that_does_not_read_holds_the_server_back() -> None:
    flood = encode_frame(2, b"\x00" * 65000) * 16  # ~1 MiB of frames per write
    drained = 0

    async def main() -> None:
        nonlocal drained

        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            nonlocal drained
            head = await r.readuntil(b"\r\n\r\n")
            key = next(
                line.split(b":", 1)[1].strip().decode()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            from wsdebug.codec.accept import accept_key

            w.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                + f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept_key(key)}\r\n\r\n".encode()
            )
            try:
                while drained < 200 * len(flood):
                    w.write(flood)
                    await w.drain()
                    drained += len(flood)
            except (ConnectionError, OSError):
                pass

        server = await asyncio.start_server(handle, HOST, 0)
        rep = Collect()
        proxy = await start_proxy(f"ws://{HOST}:{server.sockets[0].getsockname()[1]}/", rep)
        r, w, _ = await raw_client(proxy.address[1])  # and then reads nothing
        await asyncio.sleep(1.5)
        (conn,) = proxy.connections.values()
        assert conn.server is not None
        to_client = conn.client.writer.transport.get_write_buffer_size()
        assert to_client <= HIGH_WATER + READ_SIZE, to_client
        # what the server could push is bounded by the socket buffers and the proxy's marks,
        # nowhere near the 200 MiB it tries to send
        assert drained < 40 * len(flood), drained
        w.close()
        server.close()
        await proxy.stop()

    arun(main())


def _wss_server(pki: Pki):  # noqa: F811
    async def echo(ws):
        async for m in ws:
            await ws.send(m)

    return websockets.serve(echo, HOST, 0, ssl=pki.server_context())


def test_wss_upstream_verified_by_default(pki: Pki) -> None:  # noqa: F811
    async def main() -> None:
        async with _wss_server(pki) as server:
            port = server.sockets[0].getsockname()[1]
            upstream = f"wss://localhost:{port}/"
            rep = Collect()
            untrusted = await start_proxy(upstream, rep)
            out = await _exchange(untrusted.address[1], _request())
            assert out.startswith(b"HTTP/1.1 502 Bad Gateway") and b"not trusted" in out
            await untrusted.stop()
            for kw in ({"cacert": str(pki.ca)}, {"insecure": True}):
                rep = Collect()
                proxy = await start_proxy(upstream, rep, **kw)
                async with websockets.connect(f"ws://{HOST}:{proxy.address[1]}/") as ws:
                    await ws.send("over tls")
                    assert await ws.recv() == "over tls"
                assert any(e.role is not None and e.url == upstream for e in rep.of(ConnectEvent))
                await proxy.stop()

    arun(main())


def _request() -> bytes:
    from wsdebug.codec.build import build_request

    return build_request("x", "/")[0]
