"""Headless Chromium through ``--forward`` (``--proxy-server``) to a wss:// server: the proxy
terminates TLS with its CA (Chromium trusts it by SPKI) and decodes both directions.

Runs only where Debian's chromium is installed (it is not a project dependency)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import shutil
import urllib.parse
from pathlib import Path

import pytest
import websockets
from cryptography.hazmat.primitives import serialization

from wsdebug.codec.events import DisconnectEvent, HandshakeEvent
from wsdebug.codec.spec import Direction
from wsdebug.live.proxy_ca import LocalCA
from wsdebug.live.proxy_server import Proxy, ProxyOptions

from .conftest import HOST, Collect, arun

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _spki(ca: LocalCA) -> str:
    der = ca.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def test_chromium_through_the_forward_proxy_to_wss(tmp_path: Path) -> None:
    server_ca = LocalCA(tmp_path / "server-ca")  # the "real" server's CA, trusted by the proxy

    async def main() -> tuple[str, Collect]:
        async def echo(ws):  # type: ignore[no-untyped-def]
            async for m in ws:
                await ws.send(f"echo: {m}")

        async with websockets.serve(echo, HOST, 0, ssl=server_ca.context_for("localhost")) as srv:
            port = srv.sockets[0].getsockname()[1]
            rep = Collect()
            proxy = Proxy(
                ProxyOptions(
                    "",
                    port=0,
                    forward=True,
                    ca_dir=str(tmp_path / "ca"),
                    cacert=str(server_ca.cert_path),
                ),  # fmt: skip
                rep,
            )
            await proxy.start()
            assert proxy.ca is not None

            # The page's load event waits for this image, which is answered once the echo went
            # through the proxy: --dump-dom then shows what the page's WebSocket received.
            async def slow(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                await r.readuntil(b"\r\n\r\n")
                for _ in range(1500):
                    if any(f.record.message for f in rep.frames(Direction.S2C)):
                        break
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.3)
                w.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                await w.drain()
                w.close()

            hold = await asyncio.start_server(slow, HOST, 0)
            hold_port = hold.sockets[0].getsockname()[1]
            script = (
                f"<body>wait</body><script>const ws = new WebSocket('wss://localhost:{port}/chrome');"
                "ws.onopen = () => ws.send('from chromium');"
                "ws.onmessage = (e) => { document.body.textContent = 'got ' + e.data; ws.close(1000); };"
                "ws.onerror = () => { document.body.textContent = 'error'; };</script>"
                f"<img src='http://{HOST}:{hold_port}/wait.png'>"
            )
            chrome = await asyncio.create_subprocess_exec(
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
                f"--proxy-server=http://{HOST}:{proxy.address[1]}", "--proxy-bypass-list=<-loopback>",
                f"--ignore-certificate-errors-spki-list={_spki(proxy.ca)}",
                "--dump-dom",
                "data:text/html," + urllib.parse.quote(script),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, _ = await asyncio.wait_for(chrome.communicate(), 90)
            for _ in range(300):
                if rep.of(DisconnectEvent):
                    break
                await asyncio.sleep(0.01)
            await proxy.stop()
            hold.close()
            return out.decode(), rep

    dom, rep = arun(main(), timeout=120)
    assert "got echo: from chromium" in dom, dom[-300:]
    hs = next(h for h in rep.of(HandshakeEvent) if h.accepted)
    assert hs.request is not None and hs.request.target == "/chrome"
    assert "Chrome" in (hs.request.get("User-Agent") or "")
    c2s = rep.frames(Direction.C2S)
    assert c2s and all(f.record.frame.masked and not f.problems for f in c2s)
    texts = [f.record.message.text for f in rep.frames(Direction.S2C) if f.record.message]
    assert texts == ["echo: from chromium"]
