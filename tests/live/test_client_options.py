"""connect's everyday options against real peers on 127.0.0.1: --ping-interval, -L, --auth,
--cert/--key (mutual TLS), --unix, --proxy (HTTP CONNECT and SOCKS5 proxies written here), the
environment's proxies (never for loopback), and the TLS session shown as a ``tls`` event."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import os
import ssl
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import serve, unix_serve

from wsdebug.live.client import ClientOptions
from wsdebug.live.run import run_connect
from wsdebug.live.transport import proxy_for

from .conftest import HOST, Events, Pki, arun, ws_port

ENV = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    ENV.pop(_name, None)


async def echo(ws: Any) -> None:
    async for msg in ws:
        await ws.send(msg)


async def client(url: str, **opts: Any) -> tuple[int, Events]:
    events = Events()
    opts.setdefault("execute", ["hi"])
    opts.setdefault("wait", 2.0)
    opts.setdefault("one_message", True)
    status = await run_connect(url, ClientOptions(**opts), events)
    return status, events


def infos(ev: Events) -> list[str]:
    return [e["message"] for e in ev.of("info")]


def errors(ev: Events) -> list[str]:
    return [e["message"] for e in ev.of("error")]


# -- --ping-interval -------------------------------------------------------------------------------


def test_ping_interval_sends_pings_and_shows_each_round_trip() -> None:
    async def main() -> tuple[int, Events]:
        async with serve(echo, HOST, 0) as server:
            # no -1: wait 1 s after "hi", pinging every 50 ms meanwhile
            return await client(
                f"ws://{HOST}:{ws_port(server)}/", ping_interval=0.05, wait=1.0, one_message=False
            )

    status, ev = arun(main())
    assert status == 0, ev.dump()
    pings = [f for f in ev.of("frame", direction="c2s") if f["opcode"] == 0x9]
    pongs = [f for f in ev.of("frame", direction="s2c") if f["opcode"] == 0xA]
    assert len(pings) >= 3 and len(pongs) >= 3, ev.dump()
    trips = [m for m in infos(ev) if "round trip" in m]
    assert trips and trips[0].startswith("c1 pong 'wsdebug 1': round trip "), trips
    assert trips[0].endswith(" ms")


# -- -L --------------------------------------------------------------------------------------------


async def redirector(location: str, status: int = 302) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            f"HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, HOST, 0)


def test_location_follows_a_302_and_shows_the_hop() -> None:
    paths: list[str] = []

    def seen(conn: Any, request: Any) -> None:
        paths.append(request.path)

    async def main(follow: bool) -> tuple[int, Events]:
        async with serve(echo, HOST, 0, process_request=seen) as real:
            hop = await redirector(f"http://{HOST}:{ws_port(real)}/real?x=1")
            async with hop:
                return await client(
                    f"ws://{HOST}:{hop.sockets[0].getsockname()[1]}/old", follow=follow
                )

    status, ev = arun(main(True))
    assert status == 0, ev.dump()
    assert paths == ["/real?x=1"]
    assert [h["response"]["status"] for h in ev.of("handshake")] == [302, 101]
    assert [h["ok"] for h in ev.of("handshake")] == [True, True]  # -L asked for the redirect
    assert any(m.startswith(f"redirect 1 of at most 5: 302 → ws://{HOST}:") for m in infos(ev)), (
        ev.dump()
    )
    assert ev.texts("s2c") == ["hi"]

    status, ev = arun(main(False))  # without -L: refused, with a hint
    assert status == 1 and paths == ["/real?x=1"]
    assert "302" in errors(ev)[0] and "-L follows redirects" in errors(ev)[0]
    assert [h["ok"] for h in ev.of("handshake")] == [False]


def test_location_gives_up_after_five_hops() -> None:
    async def main() -> tuple[int, Events]:
        loop = await redirector("/again")  # a relative Location: the same server, forever
        async with loop:
            return await client(f"ws://{HOST}:{loop.sockets[0].getsockname()[1]}/", follow=True)

    status, ev = arun(main())
    assert status == 1
    assert len(ev.of("handshake")) == 6
    assert errors(ev) == ["handshake failed: more than 5 redirects"]


# -- --auth ----------------------------------------------------------------------------------------


def test_auth_sends_basic_and_shows_it_masked() -> None:
    got: list[str | None] = []

    def seen(conn: Any, request: Any) -> None:
        got.append(request.headers.get("Authorization"))

    async def main() -> tuple[int, Events]:
        async with serve(echo, HOST, 0, process_request=seen) as server:
            return await client(f"ws://{HOST}:{ws_port(server)}/", auth="user:pa:ss")

    status, ev = arun(main())
    assert status == 0, ev.dump()
    secret = base64.b64encode(b"user:pa:ss").decode()
    assert got == [f"Basic {secret}"]
    request = ev.one("handshake")["request"]
    auth = [h for h in request["headers"] if h["name"] == "Authorization"]
    assert [h["value"] for h in auth] == ["Basic ****"]
    assert secret not in ev.dump() and "pa:ss" not in ev.dump()


def test_auth_on_the_terminal_is_masked(tmp_path: Path) -> None:
    got: list[str | None] = []

    def seen(conn: Any, request: Any) -> None:
        got.append(request.headers.get("Authorization"))

    async def main() -> subprocess.CompletedProcess[str]:
        async with serve(echo, HOST, 0, process_request=seen) as server:
            argv = [
                sys.executable,
                "-m",
                "wsdebug",
                "connect",
                f"ws://{HOST}:{ws_port(server)}/",
                "--auth",
                "alice:s3cret",
                "-x",
                "hi",
                "-1",
                "--plain",
                "-d",
                "fields",
            ]
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                env=ENV,
            )
            out, err = await proc.communicate()
            return subprocess.CompletedProcess(
                argv, proc.returncode or 0, out.decode(), err.decode()
            )

    proc = arun(main())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    secret = base64.b64encode(b"alice:s3cret").decode()
    assert got == [f"Basic {secret}"]
    assert "Basic ****" in proc.stdout
    assert secret not in proc.stdout + proc.stderr and "s3cret" not in proc.stdout + proc.stderr


# -- --unix ----------------------------------------------------------------------------------------


def test_unix_socket_with_host_and_path_from_the_url(tmp_path: Path) -> None:
    seen: list[tuple[str, str | None]] = []

    def check(conn: Any, request: Any) -> None:
        seen.append((request.path, request.headers.get("Host")))

    path = str(tmp_path / "ws.sock")

    async def main() -> tuple[int, Events]:
        async with unix_serve(echo, path, process_request=check):
            return await client("ws://api.example/chat?room=1", unix=path)

    status, ev = arun(main())
    assert status == 0, ev.dump()
    assert seen == [("/chat?room=1", "api.example")]
    assert ev.texts("s2c") == ["hi"]


# -- TLS: the tls event, mutual TLS, a failed verification -------------------------------------------


def _ca_and_certs(d: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mtls test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    out = {"ca": d / "ca.pem"}
    out["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for who, usage, sans in (
        (
            "server",
            ExtendedKeyUsageOID.SERVER_AUTH,
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))],
        ),
        ("client", ExtendedKeyUsageOID.CLIENT_AUTH, [x509.DNSName("client.test")]),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{who}.test")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        out[who] = d / f"{who}.pem"
        out[who].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        out[f"{who}_key"] = d / f"{who}.key"
        out[f"{who}_key"].write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return out


def test_wss_shows_the_tls_session_and_certificate(pki: Pki) -> None:
    async def main(**opts: Any) -> tuple[int, Events]:
        async with serve(echo, HOST, 0, ssl=pki.server_context()) as server:
            return await client(f"wss://localhost:{ws_port(server)}/", **opts)

    status, ev = arun(main(cacert=str(pki.ca)))
    assert status == 0, ev.dump()
    tls = ev.one("tls")
    assert tls["version"].startswith("TLSv1."), tls
    assert tls["cipher"] and tls["alpn"] is None and tls["verified"] is True
    assert tls["subject"] == "CN=localhost" and tls["issuer"] == "CN=wsdebug test CA"
    assert tls["sans"] == ["DNS:localhost", f"IP Address:{HOST}"]
    assert tls["not_after"].endswith(" GMT")
    kinds = [e["event"] for e in ev.items]
    assert kinds.index("connect") < kinds.index("tls") < kinds.index("handshake")

    status, ev = arun(main(insecure=True))
    assert status == 0
    tls = ev.one("tls")
    assert tls["verified"] is False and tls["subject"] == "" and tls["sans"] == []

    status, ev = arun(main())  # not trusted: one line saying why, for which host
    assert status == 1 and not ev.of("tls")
    (line,) = errors(ev)
    assert (
        "certificate verify failed: " in line
        and "for host localhost" in line
        and "--cacert" in line
    )


def test_client_certificate_for_mutual_tls(tmp_path: Path) -> None:
    certs = _ca_and_certs(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs["server"], certs["server_key"])
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(certs["ca"])
    peers: list[Any] = []

    async def who(ws: Any) -> None:
        peers.append(ws.transport.get_extra_info("peercert"))
        await echo(ws)

    async def main(**opts: Any) -> tuple[int, Events]:
        async with serve(who, HOST, 0, ssl=ctx) as server:
            return await client(f"wss://{HOST}:{ws_port(server)}/", cacert=str(certs["ca"]), **opts)

    status, ev = arun(main(certfile=str(certs["client"]), keyfile=str(certs["client_key"])))
    assert status == 0, ev.dump()
    assert ev.texts("s2c") == ["hi"]
    assert dict(x[0] for x in peers[0]["subject"])["commonName"] == "client.test"
    assert ev.one("tls")["subject"] == "CN=server.test"

    status, ev = arun(main())  # no client certificate: the server refuses
    assert status == 1 and errors(ev), ev.dump()
    assert "--cert FILE --key FILE" in errors(ev)[0]


def test_cert_that_cannot_be_loaded_is_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "nope.pem"
    bad.write_text("not a certificate\n")
    proc = subprocess.run(
        [sys.executable, "-m", "wsdebug", "connect", "wss://127.0.0.1:1/", "--cert", str(bad)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    out = (proc.stdout + proc.stderr).strip()
    assert "Traceback" not in out and len(out.splitlines()) == 1 and "--cert" in out


# -- proxies -----------------------------------------------------------------------------------------


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def _splice(r1: asyncio.StreamReader, w1: asyncio.StreamWriter, host: str, port: int) -> None:
    r2, w2 = await asyncio.open_connection(host, port)
    await asyncio.gather(_pipe(r1, w2), _pipe(r2, w1))


async def connect_proxy(tunnels: list[str]) -> asyncio.Server:
    """A small HTTP CONNECT proxy on 127.0.0.1 (RFC 9110 §9.3.6)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        method, authority, _ = head.split("\r\n", 1)[0].split(" ")
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            writer.close()
            return
        tunnels.append(authority)
        host, port = authority.rsplit(":", 1)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await _splice(reader, writer, host, int(port))

    return await asyncio.start_server(handle, HOST, 0)


async def socks5_proxy(tunnels: list[str]) -> asyncio.Server:
    """A small SOCKS5 proxy on 127.0.0.1 (RFC 1928: no authentication, CONNECT only)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ver, n = await reader.readexactly(2)
        await reader.readexactly(n)
        writer.write(b"\x05\x00")
        ver, cmd, _, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = str(ipaddress.ip_address(await reader.readexactly(4)))
        elif atyp == 3:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            host = str(ipaddress.ip_address(await reader.readexactly(16)))
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        tunnels.append(f"{host}:{port}")
        writer.write(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
        await writer.drain()
        await _splice(reader, writer, host, port)

    return await asyncio.start_server(handle, HOST, 0)


@pytest.mark.parametrize(
    ("kind", "scheme"), [("connect", "http"), ("socks5", "socks5"), ("socks5", "socks5h")]
)
def test_proxy_carries_the_connection(kind: str, scheme: str) -> None:
    tunnels: list[str] = []

    async def main() -> tuple[int, Events, int]:
        proxy = await (connect_proxy if kind == "connect" else socks5_proxy)(tunnels)
        async with proxy, serve(echo, HOST, 0) as server:
            port = ws_port(server)
            url = f"{scheme}://{HOST}:{proxy.sockets[0].getsockname()[1]}"
            status, ev = await client(f"ws://{HOST}:{port}/", proxy=url)
            return status, ev, port

    status, ev, port = arun(main())
    assert status == 0, ev.dump()
    assert tunnels == [f"{HOST}:{port}"]
    assert ev.texts("s2c") == ["hi"]


def test_proxy_that_refuses_is_one_error() -> None:
    async def main() -> tuple[int, Events]:
        async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            writer.close()

        proxy = await asyncio.start_server(refuse, HOST, 0)
        async with proxy:
            return await client(
                "ws://127.0.0.1:9/", proxy=f"http://{HOST}:{proxy.sockets[0].getsockname()[1]}"
            )

    status, ev = arun(main())
    assert status == 1
    (line,) = errors(ev)
    assert "refused the tunnel to 127.0.0.1:9" in line and "403" in line


def test_environment_proxy_is_never_used_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    tunnels: list[str] = []

    async def main(host: str) -> tuple[int, Events]:
        proxy = await connect_proxy(tunnels)
        async with proxy, serve(echo, HOST, 0) as server:
            monkeypatch.setenv("HTTP_PROXY", f"http://{HOST}:{proxy.sockets[0].getsockname()[1]}")
            monkeypatch.setenv("ALL_PROXY", f"http://{HOST}:{proxy.sockets[0].getsockname()[1]}")
            return await client(f"ws://{host}:{ws_port(server)}/")

    for host in (HOST, "localhost"):
        status, ev = arun(main(host))
        assert status == 0, ev.dump()
    assert tunnels == []


def test_which_proxy_the_environment_gives() -> None:
    env = {
        "HTTPS_PROXY": "http://p:1",
        "HTTP_PROXY": "socks5://q:2",
        "NO_PROXY": "internal.test,.corp",
    }
    assert proxy_for("example.org", True, None, env=env) == "http://p:1"
    assert proxy_for("example.org", False, None, env=env) == "socks5://q:2"
    assert proxy_for("a.internal.test", True, None, env=env) is None
    assert proxy_for("x.corp", True, None, env=env) is None
    assert proxy_for("example.org", True, None, use_env=False, env=env) is None  # --no-proxy
    assert proxy_for("localhost", True, None, env=env) is None
    assert proxy_for("127.0.0.5", True, None, env=env) is None
    assert proxy_for("::1", True, None, env=env) is None
    assert (
        proxy_for("example.org", True, None, env={"all_proxy": "socks5h://r:3"}) == "socks5h://r:3"
    )
    assert proxy_for("127.0.0.1", True, "http://explicit:1", env=env) == "http://explicit:1"
    assert proxy_for("example.org", True, None, env={**env, "NO_PROXY": "*"}) is None


def test_bad_proxy_url_is_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wsdebug", "connect", "ws://127.0.0.1:1/", "--proxy", "ftp://x:1"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    out = (proc.stdout + proc.stderr).strip()
    assert len(out.splitlines()) == 1 and "scheme" in out and "Traceback" not in out


# -- --reconnect -------------------------------------------------------------------------------------


def test_reconnect_after_the_server_drops_the_first_connection() -> None:
    from wsdebug.live.reconnect import run_connect_reconnecting

    seen = [0]

    async def flaky(ws: Any) -> None:
        seen[0] += 1
        if seen[0] == 1:
            ws.transport.abort()  # no closing handshake: 1006
            return
        await echo(ws)

    async def main() -> tuple[int, Events]:
        events = Events()
        async with serve(flaky, HOST, 0) as server:
            opts = ClientOptions(execute=["hi"], wait=2.0, one_message=True)
            status = await run_connect_reconnecting(
                f"ws://{HOST}:{ws_port(server)}/", opts, events, first_delay=0.05
            )
        return status, events

    status, ev = arun(main())
    assert status == 0, ev.dump()  # the second connection ended because we closed it: no third
    assert seen[0] == 2
    assert [e["conn"] for e in ev.of("connect")] == ["c1", "c2"]
    assert [e["conn"] for e in ev.of("close")] == ["c1", "c2"]
    assert ev.of("close")[0]["code"] == 1006 and ev.of("close")[1]["initiator"] == "client"
    assert infos(ev) == ["reconnecting in 0.05 s (attempt 1 of 10)"]
    assert [m["conn"] for m in ev.messages("s2c")] == ["c2"]


def test_reconnect_backs_off_and_gives_up() -> None:
    from wsdebug.live.reconnect import backoff, run_connect_reconnecting

    from .conftest import closed_port

    async def main() -> tuple[int, Events]:
        events = Events()
        opts = ClientOptions(execute=["hi"], connect_timeout=2.0)
        status = await run_connect_reconnecting(
            f"ws://{HOST}:{closed_port()}/", opts, events, attempts=4, first_delay=0.01
        )
        return status, events

    status, ev = arun(main())
    assert status == 1
    assert len(errors(ev)) == 4 and all("connection refused" in e for e in errors(ev))
    assert infos(ev) == [
        "reconnecting in 0.01 s (attempt 2 of 4)",
        "reconnecting in 0.02 s (attempt 3 of 4)",
        "reconnecting in 0.04 s (attempt 4 of 4)",
        "giving up after 4 failed attempts in a row",
    ]
    assert [backoff(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


def test_reconnect_from_the_command_line() -> None:
    seen = [0]

    async def flaky(ws: Any) -> None:
        seen[0] += 1
        if seen[0] == 1:
            await ws.close(1001, "restarting")  # a clean close by the server: still reconnect
            return
        await echo(ws)

    async def main() -> subprocess.CompletedProcess[str]:
        async with serve(flaky, HOST, 0) as server:
            argv = [
                sys.executable,
                "-m",
                "wsdebug",
                "connect",
                f"ws://{HOST}:{ws_port(server)}/",
                "--reconnect",
                "-x",
                "hi",
                "-1",
                "--json",
            ]
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                env=ENV,
            )
            out, err = await proc.communicate()
            return subprocess.CompletedProcess(
                argv, proc.returncode or 0, out.decode(), err.decode()
            )

    proc = arun(main())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    import json

    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [e["conn"] for e in events if e["event"] == "connect"] == ["c1", "c2"]
    assert {"event": "info", "message": "reconnecting in 0.5 s (attempt 1 of 10)"} in events
    assert [e["text"] for e in events if e["event"] == "message" and e["direction"] == "s2c"] == [
        "hi"
    ]


def test_location_keeps_credentials_on_the_same_host_only() -> None:
    got: list[tuple[str | None, str | None]] = []

    def seen(conn: Any, request: Any) -> None:
        got.append((request.headers.get("Authorization"), request.headers.get("Cookie")))

    async def main(host: str) -> tuple[int, Events]:
        async with serve(echo, HOST, 0, process_request=seen) as real:
            hop = await redirector(f"ws://{host}:{ws_port(real)}/next", status=307)
            async with hop:
                return await client(
                    f"ws://{HOST}:{hop.sockets[0].getsockname()[1]}/",
                    follow=True,
                    auth="u:p",
                    headers=[("Cookie", "session=1"), ("X-Other", "kept")],
                )

    status, ev = arun(main(HOST))  # another port is another origin: nothing sent
    assert status == 0, ev.dump()
    assert got == [(None, None)]
    assert any("credentials are not sent to another host" in m for m in infos(ev)), ev.dump()
    assert "X-Other" in [h["name"] for h in ev.of("handshake")[-1]["request"]["headers"]]


def test_wss_through_an_http_connect_proxy(pki: Pki) -> None:
    tunnels: list[str] = []

    async def main() -> tuple[int, Events, int]:
        proxy = await connect_proxy(tunnels)
        async with proxy, serve(echo, HOST, 0, ssl=pki.server_context()) as server:
            port = ws_port(server)
            url = f"http://{HOST}:{proxy.sockets[0].getsockname()[1]}"
            status, ev = await client(f"wss://localhost:{port}/", proxy=url, cacert=str(pki.ca))
            return status, ev, port

    status, ev, port = arun(main())
    assert status == 0, ev.dump()
    assert tunnels == [f"localhost:{port}"]  # the name goes to the proxy; TLS is end to end
    assert ev.one("tls")["subject"] == "CN=localhost"


def test_location_on_the_same_host_keeps_credentials() -> None:
    got: list[tuple[str, str | None]] = []

    def moved(conn: Any, request: Any) -> Any:
        got.append((request.path, request.headers.get("Authorization")))
        if request.path == "/":
            response = conn.respond(303, "see /next\n")
            response.headers["Location"] = "/next"
            return response
        return None

    async def main() -> tuple[int, Events]:
        async with serve(echo, HOST, 0, process_request=moved) as server:
            return await client(f"ws://{HOST}:{ws_port(server)}/", follow=True, auth="u:p")

    status, ev = arun(main())
    assert status == 0, ev.dump()
    basic = "Basic " + base64.b64encode(b"u:p").decode()
    assert got == [("/", basic), ("/next", basic)]
    assert [e["conn"] for e in ev.of("connect")] == ["c1", "c2"]
