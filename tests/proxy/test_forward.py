"""``--forward``: websockets clients through the HTTP proxy (CONNECT) to ws:// and wss://
servers, TLS terminated with the generated CA (key 0600), a client that does not trust it,
a CONNECT the client abandons, hosts not intercepted tunnelled blind."""

from __future__ import annotations

import asyncio
import ssl
import stat
from pathlib import Path

import websockets

from tests.live.conftest import Pki, pki  # noqa: F401 - the throw-away CA fixture
from wsdebug.codec.events import DisconnectEvent, ErrorEvent, HandshakeEvent, InfoEvent
from wsdebug.codec.spec import Direction
from wsdebug.live.proxy_server import Proxy, ProxyOptions

from .conftest import HOST, Collect, arun
from .test_reverse import echo_server


async def _forward(tmp_path: Path, rep: Collect, **kw: object) -> Proxy:
    opts = ProxyOptions("", port=0, forward=True, ca_dir=str(tmp_path / "ca"), **kw)  # type: ignore[arg-type]
    proxy = Proxy(opts, rep)
    await proxy.start()
    return proxy


async def _wait(cond) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not in time")


def test_wss_through_connect_with_the_generated_ca(tmp_path: Path, pki: Pki) -> None:  # noqa: F811
    async def main() -> None:
        async def echo(ws):  # type: ignore[no-untyped-def]
            async for m in ws:
                await ws.send(m)

        async with websockets.serve(echo, HOST, 0, ssl=pki.server_context()) as server:
            port = server.sockets[0].getsockname()[1]
            rep = Collect()
            proxy = await _forward(tmp_path, rep, cacert=str(pki.ca))
            ca = tmp_path / "ca" / "ca.pem"
            assert stat.S_IMODE((tmp_path / "ca" / "ca.key").stat().st_mode) == 0o600
            trusting = ssl.create_default_context(cafile=str(ca))
            url = f"wss://localhost:{port}/tls"
            proxy_url = f"http://{HOST}:{proxy.address[1]}"
            async with websockets.connect(url, ssl=trusting, proxy=proxy_url) as ws:
                await ws.send("through the tunnel")
                assert await ws.recv() == "through the tunnel"
            await _wait(lambda: rep.of(DisconnectEvent))
            hs = rep.of(HandshakeEvent)[0]
            assert hs.accepted and hs.request is not None and hs.request.target == "/tls"
            texts = [f.record.message.text for f in rep.frames(Direction.S2C) if f.record.message]
            assert texts == ["through the tunnel"]
            assert any("TLS terminated" in e.text for e in rep.of(InfoEvent))

            # a client that does not trust wsdebug's CA: one event says so
            rep2 = Collect()
            proxy2 = await _forward(tmp_path, rep2, cacert=str(pki.ca))
            try:
                async with websockets.connect(
                    url,
                    ssl=ssl.create_default_context(),
                    proxy=f"http://{HOST}:{proxy2.address[1]}",
                ):
                    raise AssertionError("the client should not have trusted the proxy")
            except (ssl.SSLError, OSError):
                pass
            await _wait(lambda: rep2.of(ErrorEvent))
            assert "did not trust wsdebug's CA" in rep2.of(ErrorEvent)[0].text
            await proxy.stop()
            await proxy2.stop()

    arun(main())


def test_plain_ws_through_connect_and_a_blind_tunnel(tmp_path: Path) -> None:
    async def main() -> None:
        server, port = await echo_server(None)
        rep = Collect()
        proxy = await _forward(tmp_path, rep)
        proxy_url = f"http://{HOST}:{proxy.address[1]}"
        async with websockets.connect(f"ws://{HOST}:{port}/p", proxy=proxy_url) as ws:
            await ws.send("plain")
            assert await ws.recv() == "plain"
        await _wait(lambda: rep.of(DisconnectEvent))
        assert [f.record.message.text for f in rep.frames(Direction.C2S) if f.record.message] == [
            "plain"
        ]
        await proxy.stop()
        rep = Collect()
        proxy = await _forward(tmp_path, rep, intercept_host="*.example.com")
        async with websockets.connect(
            f"ws://{HOST}:{port}/p", proxy=f"http://{HOST}:{proxy.address[1]}"
        ) as ws:
            await ws.send("blind")
            assert await ws.recv() == "blind"
        await _wait(lambda: rep.of(DisconnectEvent))
        assert not rep.frames() and any("tunnelled blind" in e.text for e in rep.of(InfoEvent))
        server.close()
        await proxy.stop()

    arun(main())


def test_a_connect_the_client_abandons(tmp_path: Path) -> None:
    async def main() -> None:
        rep = Collect()
        proxy = await _forward(tmp_path, rep)
        r, w = await asyncio.open_connection(HOST, proxy.address[1])
        w.write(b"CONNECT example.invalid:443 HTTP/1.1\r\nHost: example.invalid:443\r\n\r\n")
        assert (await asyncio.wait_for(r.read(100), 10)).startswith(b"HTTP/1.1 200")
        w.close()
        await _wait(lambda: rep.of(DisconnectEvent))
        assert "left after CONNECT" in rep.of(DisconnectEvent)[0].reason
        await proxy.stop()

    arun(main())
