"""``connect`` (run_connect) against real peers: a websockets server, and raw servers that misbehave."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from wsdebug.codec.handshake import accept_key, parse_request
from wsdebug.live.client import ClientOptions
from wsdebug.live.run import run_connect

from .conftest import HOST, Events, arun, closed_port, is_msg, require_hex_input, script, ws_port


async def echo(ws: Any) -> None:
    try:
        async for msg in ws:
            await ws.send(msg)
    except ConnectionClosed:
        pass


async def connect_echo(
    lines: list[str],
    *,
    expect: int | None = None,
    binary: bool = False,
    compression: str | None = "deflate",
    **opts: Any,
) -> tuple[int, Events]:
    """run_connect against a websockets echo server; the script waits for ``expect`` echoes."""
    async with serve(echo, HOST, 0, compression=compression) as server:
        ev = Events()
        gate = ev.gate(is_msg("s2c"), len(lines) if expect is None else expect)
        status = await run_connect(
            f"ws://{HOST}:{ws_port(server)}/",
            ClientOptions(**opts),
            ev,
            script=script(lines, gate),
            binary=binary,
        )
    return status, ev


def frames(ev: Events, direction: str, opcode: int | None = None) -> list[dict[str, Any]]:
    return [
        e for e in ev.of("frame", direction=direction) if opcode is None or e["opcode"] == opcode
    ]


# -- against a websockets echo server ---------------------------------------------------------------


def test_text_echo_deflate_negotiated_by_default() -> None:
    status, ev = arun(connect_echo(["hello", "wörld ✓", ""]))
    assert status == 0, ev.dump()
    assert ev.texts("c2s") == ["hello", "wörld ✓", ""]
    assert ev.texts("s2c") == ["hello", "wörld ✓", ""]
    hs = ev.one("handshake")
    assert hs["ok"] is True and hs["role"] == "client" and hs["response"]["status"] == 101
    assert hs["extensions"].startswith("permessage-deflate")
    offered = {h["name"]: h["value"] for h in hs["request"]["headers"]}["Sec-WebSocket-Extensions"]
    assert offered.startswith("permessage-deflate")
    # every data frame we sent is compressed, and so is every one the server sent
    sent = frames(ev, "c2s", 1)
    assert len(sent) == 3 and all(f["rsv1"] and f["masked"] for f in sent)
    assert [bytes.fromhex(f["inflated_hex"]).decode() for f in sent] == ["hello", "wörld ✓", ""]
    got = frames(ev, "s2c", 1)
    assert len(got) == 3 and all(f["rsv1"] and not f["masked"] for f in got)
    assert all(m["compressed"] for m in ev.messages("s2c"))
    close = ev.one("close")
    assert close == {**close, "code": 1000, "initiator": "client", "clean": True}
    assert ev.of("fail") == [] and ev.of("error") == []
    assert [e["event"] for e in ev.items][:2] == ["connect", "handshake"]
    assert ev.items[-1]["event"] == "disconnect"


def test_no_deflate_not_offered_not_used() -> None:
    status, ev = arun(connect_echo(["hello", "x" * 300], deflate=False))
    assert status == 0, ev.dump()
    hs = ev.one("handshake")
    assert "Sec-WebSocket-Extensions" not in {h["name"] for h in hs["request"]["headers"]}
    assert "Sec-WebSocket-Extensions" not in {h["name"] for h in hs["response"]["headers"]}
    assert hs["extensions"] is None
    data = frames(ev, "c2s", 1) + frames(ev, "s2c", 1)
    assert len(data) == 4 and not any(f["rsv1"] for f in data)
    assert all(f["inflated_hex"] is None for f in data)
    assert ev.texts("s2c") == ["hello", "x" * 300]
    assert frames(ev, "c2s", 1)[1]["length_form"] == "16-bit"


def test_deflate_offered_but_server_declines() -> None:
    status, ev = arun(connect_echo(["plain"], compression=None))
    assert status == 0, ev.dump()
    assert ev.one("handshake")["extensions"] is None
    assert not any(f["rsv1"] for f in ev.of("frame"))
    assert ev.texts("s2c") == ["plain"]


def test_binary_script_lines_are_hex() -> None:
    require_hex_input()
    status, ev = arun(connect_echo(["00ff10", "de ad be ef"], binary=True))
    assert status == 0, ev.dump()
    sent = ev.messages("c2s")
    assert [(m["opcode_name"], m["payload_hex"]) for m in sent] == [
        ("BINARY", "00ff10"),
        ("BINARY", "deadbeef"),
    ]
    got = ev.messages("s2c")
    assert [(m["opcode"], m["payload_hex"], m["text"]) for m in got] == [
        (2, "00ff10", None),
        (2, "deadbeef", None),
    ]


def test_binary_script_skips_a_bad_hex_line() -> None:
    require_hex_input()
    status, ev = arun(connect_echo(["zz-not-hex", "0102"], binary=True, expect=1))
    assert status == 0, ev.dump()
    assert [m["payload_hex"] for m in ev.messages("s2c")] == ["0102"]
    errors = ev.of("error")
    assert len(errors) == 1 and "\n" not in errors[0]["message"]


def test_subprotocol_offered_and_chosen() -> None:
    async def main() -> tuple[int, Events, str | None]:
        chosen: list[str | None] = []

        async def handler(ws: Any) -> None:
            chosen.append(ws.subprotocol)
            await echo(ws)

        async with serve(handler, HOST, 0, subprotocols=["chat.v2"]) as server:
            ev = Events()
            gate = ev.gate(is_msg("s2c"))
            status = await run_connect(
                f"ws://{HOST}:{ws_port(server)}/",
                ClientOptions(subprotocols=["chat.v1", "chat.v2"]),
                ev,
                script=script(["hi"], gate),
            )
        return status, ev, chosen[0]

    status, ev, chosen = arun(main())
    assert status == 0 and chosen == "chat.v2"
    hs = ev.one("handshake")
    assert hs["subprotocol"] == "chat.v2"
    assert {h["name"]: h["value"] for h in hs["request"]["headers"]}[
        "Sec-WebSocket-Protocol"
    ] == "chat.v1, chat.v2"


def test_extra_headers_and_path_reach_the_server() -> None:
    async def main() -> tuple[int, Any]:
        seen: list[Any] = []

        async def handler(ws: Any) -> None:
            seen.append(ws.request)
            await echo(ws)

        async with serve(handler, HOST, 0) as server:
            ev = Events()
            status = await run_connect(
                f"ws://{HOST}:{ws_port(server)}/chat?room=1",
                ClientOptions(headers=[("Authorization", "Bearer t0k")], origin="http://o.test"),
                ev,
                script=script(["x"], ev.gate(is_msg("s2c"))),
            )
        return status, seen[0]

    status, request = arun(main())
    assert status == 0
    assert request.path == "/chat?room=1"
    assert request.headers["Authorization"] == "Bearer t0k"
    assert request.headers["Origin"] == "http://o.test"


def test_large_messages_both_ways() -> None:
    big = "0123456789abcdef" * 8192  # 128 KiB: many TCP reads, 64-bit length form uncompressed
    status, ev = arun(connect_echo([big, "small"], deflate=False))
    assert status == 0, ev.dump()
    assert ev.texts("s2c") == [big, "small"]
    assert [f["length_form"] for f in frames(ev, "c2s", 1)] == ["64-bit", "7-bit"]
    assert frames(ev, "s2c", 1)[0]["payload_length"] == len(big)


def test_server_speaks_first() -> None:
    """A greeting sent right behind the 101 may arrive in the same read as the handshake."""

    async def main() -> tuple[int, Events]:
        async def handler(ws: Any) -> None:
            await ws.send("welcome")
            await echo(ws)

        async with serve(handler, HOST, 0) as server:
            ev = Events()
            status = await run_connect(
                f"ws://{HOST}:{ws_port(server)}/",
                ClientOptions(),
                ev,
                script=script(["thanks"], ev.gate(is_msg("s2c"), 2)),
            )
        return status, ev

    status, ev = arun(main())
    assert status == 0, ev.dump()
    assert ev.texts("s2c") == ["welcome", "thanks"]


# -- close codes --------------------------------------------------------------------------------------


async def server_closes(code: int, reason: str) -> tuple[int, Events]:
    async def handler(ws: Any) -> None:
        await ws.recv()
        await ws.close(code, reason)

    async with serve(handler, HOST, 0) as server:
        ev = Events()
        gate = ev.gate(lambda e: e["event"] == "disconnect")
        status = await run_connect(
            f"ws://{HOST}:{ws_port(server)}/", ClientOptions(), ev, script=script(["bye?"], gate)
        )
    return status, ev


def test_server_closes_going_away() -> None:
    status, ev = arun(server_closes(1001, "going away"))
    assert status == 0, ev.dump()
    close = ev.one("close")
    assert (close["code"], close["reason"], close["initiator"], close["clean"]) == (
        1001,
        "going away",
        "server",
        True,
    )
    got = frames(ev, "s2c", 8)
    assert len(got) == 1 and got[0]["close_code"] == 1001 and got[0]["close_reason"] == "going away"
    echoed = frames(ev, "c2s", 8)
    assert (
        len(echoed) == 1 and echoed[0]["close_code"] == 1001
    )  # the status code is echoed (§5.5.1)


@pytest.mark.parametrize("code", [1011, 1003, 4000, 3000])
def test_server_closes_cleanly_with_a_sendable_code_is_status_0(code: int) -> None:
    """Any code a close frame may carry (RFC 6455 §7.4) ends a clean closing handshake: 0."""
    status, ev = arun(server_closes(code, "done"))
    assert status == 0, ev.dump()
    close = ev.one("close")
    assert (close["code"], close["initiator"], close["clean"]) == (code, "server", True)


def test_client_closes_normally_is_status_0() -> None:
    status, ev = arun(connect_echo(["one"]))
    assert status == 0
    assert frames(ev, "c2s", 8)[0]["close_code"] == 1000
    assert frames(ev, "s2c", 8)[0]["close_code"] == 1000
    assert ev.one("close")["initiator"] == "client"


def test_empty_script_still_closes_cleanly() -> None:
    status, ev = arun(connect_echo([], expect=0))
    assert status == 0, ev.dump()
    assert ev.one("close")["code"] == 1000


def test_server_pings_are_answered() -> None:
    async def main() -> tuple[int, Events, float]:
        latency: list[float] = []

        async def handler(ws: Any) -> None:
            await ws.recv()
            waiter = await ws.ping(b"are you there")
            latency.append(await asyncio.wait_for(waiter, 5))
            await ws.send("done")
            await echo(ws)

        async with serve(handler, HOST, 0) as server:
            ev = Events()
            status = await run_connect(
                f"ws://{HOST}:{ws_port(server)}/",
                ClientOptions(),
                ev,
                script=script(["go"], ev.gate(is_msg("s2c"))),
            )
        return status, ev, latency[0]

    status, ev, latency = arun(main())
    assert status == 0 and latency >= 0
    ping = frames(ev, "s2c", 9)
    pong = frames(ev, "c2s", 10)
    assert len(ping) == 1 and len(pong) == 1
    assert ping[0]["payload_hex"] == pong[0]["payload_hex"] == b"are you there".hex()
    assert pong[0]["masked"] is True


# -- misbehaving servers -------------------------------------------------------------------------------


async def raw_server(
    answer: Callable[[bytes], bytes | None], *, then_close: bool = True
) -> asyncio.Server:
    """A TCP server that reads one request head and writes ``answer(head)`` (None: say nothing)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            out = answer(head)
            if out is not None:
                writer.write(out)
                await writer.drain()
            if not then_close or out is None:
                await asyncio.wait_for(reader.read(), 5)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, HOST, 0)


def key_of(head: bytes) -> str:
    key = parse_request(head).key
    assert key is not None
    return key


def good_101(head: bytes) -> bytes:
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(key_of(head)).encode() + b"\r\n\r\n"
    )


async def connect_raw(answer: Callable[[bytes], bytes | None], **opts: Any) -> tuple[int, Events]:
    server = await raw_server(answer)
    async with server:
        ev = Events()
        status = await run_connect(
            f"ws://{HOST}:{server.sockets[0].getsockname()[1]}/",
            ClientOptions(**opts),
            ev,
            script=script([]),
        )
    return status, ev


def one_error(ev: Events) -> str:
    errors = ev.of("error")
    assert len(errors) == 1, ev.dump()
    message = errors[0]["message"]
    assert "\n" not in message and "Traceback" not in message
    return message


def test_refused_handshake_403_reports_status_and_body() -> None:
    body = b"no entry: token missing\n"
    status, ev = arun(
        connect_raw(
            lambda head: (
                b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
        )
    )
    assert status == 1
    message = one_error(ev)
    assert "403" in message and "Forbidden" in message and "no entry: token missing" in message
    hs = ev.one("handshake")
    assert hs["ok"] is False and hs["response"]["status"] == 403
    assert ev.of("frame") == []


def test_refused_handshake_from_websockets_process_request() -> None:
    async def main() -> tuple[int, Events]:
        def process_request(connection: Any, request: Any) -> Any:
            return connection.respond(HTTPStatus.FORBIDDEN, "origin not allowed\n")

        async with serve(echo, HOST, 0, process_request=process_request) as server:
            ev = Events()
            status = await run_connect(
                f"ws://{HOST}:{ws_port(server)}/", ClientOptions(), ev, script=script([])
            )
        return status, ev

    status, ev = arun(main())
    assert status == 1
    message = one_error(ev)
    assert "403" in message and "origin not allowed" in message


def test_wrong_accept_is_refused() -> None:
    status, ev = arun(
        connect_raw(
            lambda head: good_101(head).replace(
                accept_key(key_of(head)).encode(), accept_key("x" * 24).encode()
            )
        )
    )
    assert status == 1
    message = one_error(ev)
    assert "101" in message and "Accept" in message
    assert [p["rule"] for p in ev.one("handshake")["problems"]] == ["HANDSHAKE_ACCEPT"]


def test_missing_upgrade_header_is_refused() -> None:
    status, ev = arun(
        connect_raw(lambda head: good_101(head).replace(b"Upgrade: websocket\r\n", b""))
    )
    assert status == 1
    one_error(ev)
    assert "HANDSHAKE_UPGRADE" in [p["rule"] for p in ev.one("handshake")["problems"]]


def test_not_http_at_all_is_refused() -> None:
    status, ev = arun(connect_raw(lambda head: b"SSH-2.0-OpenSSH_9.6\r\n\r\n"))
    assert status == 1
    assert "handshake refused" in one_error(ev)


def test_oversized_response_head_is_one_line() -> None:
    """A 101 whose head passes --max-handshake is refused by the codec's size cap, not read on."""
    big = b"X-Filler: " + b"f" * 2000 + b"\r\n"
    status, ev = arun(
        connect_raw(
            lambda head: good_101(head).replace(b"\r\n\r\n", b"\r\n" + big * 4 + b"\r\n"),
            max_handshake=4096,
        )
    )
    assert status == 1
    assert "response head is larger than 4096 bytes" in one_error(ev)
    assert ev.of("frame") == []


def test_server_closes_during_handshake() -> None:
    status, ev = arun(connect_raw(lambda head: b""))
    assert status == 1
    assert "closed the connection during the handshake" in one_error(ev)


def test_server_silent_during_handshake_times_out() -> None:
    status, ev = arun(connect_raw(lambda head: None, handshake_timeout=0.5))
    assert status == 1
    assert "no complete handshake within 0.5 s" in one_error(ev)


def test_server_drops_tcp_after_handshake_is_1006() -> None:
    status, ev = arun(connect_raw(good_101))
    assert status == 1
    close = ev.one("close")
    assert (close["code"], close["clean"], close["initiator"]) == (1006, False, "transport")


def test_connection_refused_one_line() -> None:
    ev = Events()
    status = arun(
        run_connect(f"ws://{HOST}:{closed_port()}/", ClientOptions(), ev, script=script([]))
    )
    assert status == 1
    assert "connection refused" in one_error(ev)
    assert [e["event"] for e in ev.items] == ["error"]


def test_unresolvable_host_one_line() -> None:
    ev = Events()
    status = arun(run_connect("ws://no-such-host.invalid/", ClientOptions(), ev, script=script([])))
    assert status == 1
    assert "no-such-host.invalid" in one_error(ev)


@pytest.mark.parametrize("url", ["http://x/", "ws://", "ws://h:99999/", "ws://u:p@h/"])
def test_bad_url_is_status_2(url: str) -> None:
    ev = Events()
    status = arun(run_connect(url, ClientOptions(), ev, script=script([])))
    assert status == 2
    one_error(ev)


# -- wss ---------------------------------------------------------------------------------------------


async def wss_echo(pki: Any, host: str, **opts: Any) -> tuple[int, Events]:
    async with serve(echo, HOST, 0, ssl=pki.server_context()) as server:
        ev = Events()
        gate = ev.gate(is_msg("s2c"))
        status = await run_connect(
            f"wss://{host}:{ws_port(server)}/",
            ClientOptions(**opts),
            ev,
            script=script(["secret"], gate),
        )
    return status, ev


@pytest.mark.parametrize("host", [HOST, "localhost"])
def test_wss_with_cacert(pki: Any, host: str) -> None:
    status, ev = arun(wss_echo(pki, host, cacert=str(pki.ca)))
    assert status == 0, ev.dump()
    assert ev.texts("s2c") == ["secret"]


def test_wss_without_cacert_fails_verification(pki: Any) -> None:
    status, ev = arun(wss_echo(pki, HOST))
    assert status == 1
    message = one_error(ev)
    assert "certificate verification failed" in message and "--cacert" in message
    assert ev.of("handshake") == [] and ev.of("frame") == []


def test_wss_insecure_skips_verification(pki: Any) -> None:
    status, ev = arun(wss_echo(pki, HOST, insecure=True))
    assert status == 0, ev.dump()
    assert ev.texts("s2c") == ["secret"]


def test_wss_unreadable_cacert_is_usage_error(tmp_path: Any) -> None:
    ev = Events()
    status = arun(
        run_connect(
            f"wss://{HOST}:{closed_port()}/",
            ClientOptions(cacert=str(tmp_path / "none.pem")),
            ev,
            script=script([]),
        )
    )
    assert status == 2
    assert "--cacert" in one_error(ev)


def test_wss_against_plain_tcp_server_fails_one_line() -> None:
    async def main() -> tuple[int, Events]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, HOST, 0)
        async with server:
            ev = Events()
            status = await run_connect(
                f"wss://{HOST}:{server.sockets[0].getsockname()[1]}/",
                ClientOptions(connect_timeout=5),
                ev,
                script=script([]),
            )
        return status, ev

    status, ev = arun(main())
    assert status == 1
    assert "TLS" in one_error(ev)
