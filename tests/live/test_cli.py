"""The ``connect`` and ``listen`` commands as a user runs them: subprocesses, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

from wsdebug.capture.format import C2S, S2C

from .conftest import HOST, closed_port, load_capture, stream

ENV = {k: v for k, v in os.environ.items() if k not in ("WSDEBUG_TRACEBACK", "FORCE_COLOR")} | {
    "NO_COLOR": "1",
    "PYTHONUNBUFFERED": "1",
    # rich hard-wraps the human view at the width (80 when piped); wide enough for any one message
    "COLUMNS": "500",
}


def wsdebug(*args: str, stdin: str = "", timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wsdebug", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
        encoding="utf-8",
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The whole output is a single line, with no traceback."""
    out = (proc.stdout + proc.stderr).strip()
    assert "Traceback" not in out and "internal error" not in out, out
    assert len(out.splitlines()) == 1, out
    return out


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    """A websockets echo server (sync API) on a background thread."""

    def handler(ws: Any) -> None:
        try:
            for message in ws:
                ws.send(message)
        except ConnectionClosed:
            pass

    server = serve(handler, HOST, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"ws://{HOST}:{server.socket.getsockname()[1]}/"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def forbidden_url() -> Iterator[str]:
    def process_request(connection: Any, request: Any) -> Any:
        return connection.respond(HTTPStatus.FORBIDDEN, "no entry without a token\n")

    server = serve(lambda ws: None, HOST, 0, process_request=process_request)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"ws://{HOST}:{server.socket.getsockname()[1]}/"
    server.shutdown()
    thread.join(5)


def test_connect_json_against_websockets(echo_url: str) -> None:
    proc = wsdebug("connect", echo_url, "--json", stdin="hi\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    events = json_lines(proc.stdout)
    kinds = [e["event"] for e in events]
    assert kinds[:2] == ["connect", "handshake"] and kinds[-1] == "disconnect"
    assert events[1]["ok"] is True and events[1]["extensions"].startswith("permessage-deflate")
    sent = [e for e in events if e["event"] == "message" and e["direction"] == "c2s"]
    assert [m["text"] for m in sent] == ["hi"]
    close = [e for e in events if e["event"] == "close"]
    assert len(close) == 1 and close[0]["code"] == 1000 and close[0]["clean"] is True


def test_connect_human_output_against_websockets(echo_url: str) -> None:
    proc = wsdebug("connect", echo_url, "--plain", "--no-deflate", stdin="hello there\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "hello there" in proc.stdout


def test_connect_binary_against_websockets(echo_url: str) -> None:
    proc = wsdebug("connect", echo_url, "--json", "--binary", "--no-deflate", stdin="0001feff\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sent = [
        e for e in json_lines(proc.stdout) if e["event"] == "message" and e["direction"] == "c2s"
    ]
    assert [(m["opcode_name"], m["payload_hex"]) for m in sent] == [("BINARY", "0001feff")]


def test_connection_refused() -> None:
    port = closed_port()
    proc = wsdebug("connect", f"ws://{HOST}:{port}/", "--plain")
    assert proc.returncode == 1
    assert "connection refused" in one_line(proc)


def test_connection_refused_json() -> None:
    proc = wsdebug("connect", f"ws://{HOST}:{closed_port()}/", "--json")
    assert proc.returncode == 1
    assert proc.stderr == ""
    [event] = json_lines(proc.stdout)
    assert event["event"] == "error" and "connection refused" in event["message"]


def test_bad_url_is_usage_error() -> None:
    proc = wsdebug("connect", "http://x")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert one_line(proc).startswith("wsdebug: ")


def test_unresolvable_host() -> None:
    proc = wsdebug("connect", "ws://no-such-host.invalid/", "--plain")
    assert proc.returncode == 1
    assert "no-such-host.invalid" in one_line(proc)


def test_refused_handshake_shows_status_and_body(forbidden_url: str) -> None:
    proc = wsdebug("connect", forbidden_url, "--json")
    assert proc.returncode == 1
    events = json_lines(proc.stdout)
    errors = [e for e in events if e["event"] == "error"]
    assert len(errors) == 1
    assert "403" in errors[0]["message"] and "no entry without a token" in errors[0]["message"]
    hs = [e for e in events if e["event"] == "handshake"]
    assert hs[0]["response"]["status"] == 403 and hs[0]["ok"] is False


def test_refused_handshake_plain_output(forbidden_url: str) -> None:
    proc = wsdebug("connect", forbidden_url, "--plain")
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    assert "403" in out and "no entry without a token" in out


def test_tls_failure_one_line(pki: Any) -> None:
    import ssl

    from websockets.sync.server import serve as tls_serve

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.cert, pki.key)
    server = tls_serve(lambda ws: None, HOST, 0, ssl=ctx)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"wss://{HOST}:{server.socket.getsockname()[1]}/"
        proc = wsdebug("connect", url, "--plain")
        assert proc.returncode == 1
        assert "certificate verification failed" in one_line(proc)
        ok = wsdebug("connect", url, "--json", "--cacert", str(pki.ca))
        assert ok.returncode == 0, ok.stdout + ok.stderr
    finally:
        server.shutdown()
        thread.join(5)


def test_listen_port_in_use_is_usage_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        s.listen()
        proc = wsdebug("listen", "--port", str(s.getsockname()[1]), "--json", "--once")
    assert proc.returncode == 2
    [event] = json_lines(proc.stdout)
    assert event["event"] == "error" and "cannot listen" in event["message"]


def start_listen(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path, str]:
    """``wsdebug listen --port 0 --json ...`` in the background; returns it, its stdout file and its URL."""
    out = tmp_path / "listen.out"
    with open(out, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wsdebug", "listen", "--port", "0", "--json", *args],
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = re.search(r"listening on (ws://\S+/)", out.read_text(encoding="utf-8"))
        if found:
            return proc, out, found.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"listen did not start: {out.read_text(encoding='utf-8')}")


def test_connect_against_listen_cli_with_recordings(tmp_path: Path) -> None:
    server_rec, client_rec = tmp_path / "server.jsonl", tmp_path / "client.jsonl"
    listen, listen_out, url = start_listen(
        tmp_path, "--echo", "--once", "--record", str(server_rec)
    )
    try:
        lines = [f"line {i}" for i in range(50)]
        proc = wsdebug(
            "connect", url, "--json", "--record", str(client_rec), stdin="\n".join(lines) + "\n"
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert listen.wait(timeout=15) == 0
    finally:
        if listen.poll() is None:
            listen.kill()
            listen.wait(5)
    client_events = json_lines(proc.stdout)
    server_events = json_lines(listen_out.read_text(encoding="utf-8"))
    assert [
        e["text"] for e in client_events if e["event"] == "message" and e["direction"] == "c2s"
    ] == lines
    assert [
        e["text"] for e in server_events if e["event"] == "message" and e["direction"] == "c2s"
    ] == lines
    [client] = load_capture(client_rec)
    [server] = load_capture(server_rec)
    assert stream(client, C2S) == stream(server, C2S)
    assert stream(client, S2C) == stream(server, S2C)
    assert stream(client, C2S).startswith(b"GET / HTTP/1.1\r\n")
    assert stream(server, S2C).startswith(b"HTTP/1.1 101 Switching Protocols\r\n")


def test_listen_cli_strict_close_code(tmp_path: Path) -> None:
    """A raw unmasked frame at the listen command: 1002 back, TCP closed, exit status 1."""
    import socket

    from wsdebug.codec.frames import FrameParser, encode_frame
    from wsdebug.codec.handshake import build_request
    from wsdebug.codec.spec import Role

    listen, listen_out, url = start_listen(tmp_path, "--once", "--echo")
    try:
        port = int(url.rsplit(":", 1)[1].rstrip("/"))
        with socket.create_connection((HOST, port), timeout=10) as sock:
            sock.sendall(build_request(f"{HOST}:{port}")[0])
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                assert chunk
                data += chunk
            head, rest = data.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 101")
            sock.sendall(encode_frame(0x1, b"unmasked"))
            while chunk := sock.recv(4096):
                rest += chunk
        parser = FrameParser(Role.SERVER)
        parser.receive_data(rest)
        [close] = parser.frames()
        assert close.opcode_raw == 8 and close.payload[:2] == (1002).to_bytes(2, "big")
        assert listen.wait(timeout=15) == 1
    finally:
        if listen.poll() is None:
            listen.kill()
            listen.wait(5)
    events = json_lines(listen_out.read_text(encoding="utf-8"))
    fails = [e for e in events if e["event"] == "fail"]
    assert len(fails) == 1 and fails[0]["code"] == 1002


def test_listen_serves_the_page_to_a_browser(tmp_path: Path) -> None:
    import urllib.request

    listen, listen_out, url = start_listen(tmp_path, "--once", "--echo")
    try:
        page_url = url.replace("ws://", "http://", 1)
        with urllib.request.urlopen(page_url, timeout=10) as resp:
            assert resp.status == 200
            body = resp.read().decode("utf-8")
        assert "new WebSocket" in body
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(page_url + "nothing-here", timeout=10)
        assert info.value.code == 404
    finally:
        listen.terminate()
        listen.wait(10)
    events = json_lines(listen_out.read_text(encoding="utf-8"))
    assert [e["status"] for e in events if e["event"] == "http"] == [200, 404]
    assert "Traceback" not in listen_out.read_text(encoding="utf-8")
