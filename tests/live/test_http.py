"""Plain HTTP at ``listen``: the browser test page, 404, and refused handshakes (426, 400, 431)."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect

from wsdebug.codec.handshake import build_request

from .conftest import STEP, Events, Listen, RawClient, arun

BROWSER_GET = (
    "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en\r\n"
    "Connection: keep-alive\r\nUpgrade-Insecure-Requests: 1\r\n\r\n"
)


async def http(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    raw = await RawClient.connect(port)
    raw.send(request)
    try:
        return await raw.read_http()  # read to EOF: the listener closes the connection
    finally:
        await raw.close()


def test_browser_get_serves_the_page_then_its_websocket_works() -> None:
    async def main() -> tuple[tuple[int, dict[str, str], bytes], str, int, Events]:
        async with Listen(echo=True) as srv:
            page = await http(srv.port, BROWSER_GET.format(path="/", port=srv.port).encode())
            # the page then opens a WebSocket back to where it came from
            async with connect(
                srv.url, origin=f"http://127.0.0.1:{srv.port}", open_timeout=STEP
            ) as ws:
                await ws.send("from the page")
                echo = await asyncio.wait_for(ws.recv(), STEP)
            return page, echo, await srv.result(), srv.events

    (status, headers, body), echo, lstatus, ev = arun(main())
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert int(headers["content-length"]) == len(body)
    assert b"new WebSocket" in body and b"<html" in body
    assert echo == "from the page" and lstatus == 0
    served = ev.one("http")
    assert (
        served["status"] == 200
        and served["request"]["method"] == "GET"
        and served["request"]["target"] == "/"
    )
    assert ev.of("handshake", conn=served["conn"]) == []
    assert ev.one("disconnect", conn=served["conn"])["reason"] == "no WebSocket connection"


@pytest.mark.parametrize("path", ["/index.html", "/?debug=1"])
def test_page_aliases(path: str) -> None:
    async def main() -> tuple[int, dict[str, str], bytes]:
        async with Listen() as srv:
            return await http(srv.port, BROWSER_GET.format(path=path, port=srv.port).encode())

    status, _, body = arun(main())
    assert status == 200 and b"new WebSocket" in body


@pytest.mark.parametrize(
    "request_line", ["GET /other HTTP/1.1", "GET /favicon.ico HTTP/1.1", "POST / HTTP/1.1"]
)
def test_other_plain_requests_get_404(request_line: str) -> None:
    async def main() -> tuple[tuple[int, dict[str, str], bytes], Events]:
        async with Listen() as srv:
            req = f"{request_line}\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Length: 0\r\n\r\n"
            return await http(srv.port, req.encode()), srv.events

    (status, headers, body), ev = arun(main())
    assert status == 404
    assert int(headers["content-length"]) == len(body) and body
    assert ev.one("http")["status"] == 404


def ws_request(port: int) -> bytes:
    return build_request(f"127.0.0.1:{port}")[0]


def test_bad_websocket_version_gets_426() -> None:
    async def main() -> tuple[tuple[int, dict[str, str], bytes], Events]:
        async with Listen() as srv:
            req = ws_request(srv.port).replace(
                b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8"
            )
            return await http(srv.port, req), srv.events

    (status, headers, body), ev = arun(main())
    assert status == 426
    assert headers["sec-websocket-version"] == "13"
    assert b"Sec-WebSocket-Version" in body
    hs = ev.one("handshake")
    assert hs["ok"] is False and hs["response"]["status"] == 426
    assert [p["rule"] for p in hs["problems"]] == ["HANDSHAKE_WS_VERSION"]


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ((b"Sec-WebSocket-Key: ", b"X-Nothing: "), "HANDSHAKE_KEY"),
        ((b"Connection: Upgrade", b"Connection: keep-alive"), "HANDSHAKE_CONNECTION"),
        ((b"GET / HTTP/1.1", b"GET / HTTP/1.0"), "HANDSHAKE_VERSION"),
    ],
)
def test_bad_handshake_gets_400(change: tuple[bytes, bytes], rule: str) -> None:
    async def main() -> tuple[tuple[int, dict[str, str], bytes], Events]:
        async with Listen() as srv:
            return await http(srv.port, ws_request(srv.port).replace(*change)), srv.events

    (status, _, body), ev = arun(main())
    assert status == 400
    assert body
    assert rule in [p["rule"] for p in ev.one("handshake")["problems"]]


def test_oversized_handshake_gets_431() -> None:
    async def main() -> tuple[int, dict[str, str], bytes]:
        async with Listen(max_handshake=1024) as srv:
            req = ws_request(srv.port).replace(
                b"\r\n\r\n", b"\r\nX-Padding: " + b"p" * 2000 + b"\r\n\r\n"
            )
            return await http(srv.port, req)

    status, _, _ = arun(main())
    assert status == 431
