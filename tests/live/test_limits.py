"""Bounded resources per listener: ``wsdebug listen`` as a subprocess, raw sockets as attackers.

--max-connections (503 past it, counted from accept), --idle-timeout (1001), --write-timeout
(a peer that does not read is cut off while others are still served), the handshake timeout
against a slowloris, and the process's memory after non-reading peers are gone.
"""

from __future__ import annotations

import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from websockets.sync.client import connect as ws_connect

from wsdebug.codec.frames import FrameParser, encode_frame
from wsdebug.codec.handshake import build_request
from wsdebug.codec.spec import Role

from .conftest import HOST

ENV = {k: v for k, v in os.environ.items() if k not in ("WSDEBUG_TRACEBACK", "FORCE_COLOR")} | {
    "NO_COLOR": "1",
    "PYTHONUNBUFFERED": "1",
    "COLUMNS": "500",
}
GUARD = 20.0  #: hang guard for any single socket wait (never an assertion on time)


@contextmanager
def listening(
    tmp_path: Path, *args: str, json_out: bool = True
) -> Iterator[tuple[subprocess.Popen[str], Path, int]]:
    """``wsdebug listen --port 0 ...`` in the background: (process, its output file, port)."""
    out = tmp_path / "listen.out"
    extra = ["--json"] if json_out else []
    with open(out, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wsdebug", "listen", "--port", "0", *extra, *args],
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
    try:
        deadline = time.monotonic() + 15
        port = None
        while port is None and time.monotonic() < deadline and proc.poll() is None:
            found = re.search(r"listening on ws://[^ ]*:(\d+)/", out.read_text(encoding="utf-8"))
            port = int(found.group(1)) if found else None
            time.sleep(0.05)
        assert port is not None, f"listen did not start: {out.read_text(encoding='utf-8')}"
        yield proc, out, port
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def events(out: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in out.read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]


def handshake(port: int) -> socket.socket:
    """A raw client that completed the opening handshake (101), with a hang-guard timeout."""
    sock = socket.create_connection((HOST, port), timeout=GUARD)
    sock.sendall(build_request(f"{HOST}:{port}")[0])
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk
    assert data.startswith(b"HTTP/1.1 101"), data
    return sock


def read_to_eof(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def flood_without_reading(port: int, message: bytes, limit: int) -> str:
    """Send ``message`` again and again, never reading; how it ended: 'reset', 'blocked' or 'limit'."""
    sock = handshake(port)
    sock.settimeout(3.0)  # no progress for 3 s: the listener stopped reading us
    sent = 0
    try:
        while sent < limit:
            sock.sendall(message)
            sent += len(message)
        return "limit"
    except TimeoutError:
        return "blocked"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    finally:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # an abort (RST), as a crashed or hostile client would


# -- --max-connections --------------------------------------------------------------------------


def test_connections_past_the_limit_get_503(tmp_path: Path) -> None:
    """Two served (one only half-open, no byte sent: counted from accept), the third gets a 503."""
    with listening(tmp_path, "--echo", "--max-connections", "2") as (proc, out, port):
        half_open = socket.create_connection((HOST, port), timeout=GUARD)
        ws = handshake(port)
        with socket.create_connection((HOST, port), timeout=GUARD) as extra:
            extra.sendall(build_request(f"{HOST}:{port}")[0])
            reply = read_to_eof(extra)
        head, _, body = reply.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"HTTP/1.1 503 Service Unavailable", reply
        assert b"Connection: close" in lines and b"Retry-After: 1" in lines
        assert body.count(b"\n") == 1 and b"2 connections" in body
        # the served ones still work, and once one ends there is room again
        ws.sendall(encode_frame(0x1, b"still here", mask=True))
        parser = FrameParser(Role.CLIENT)
        while not (frames := parser.frames()):
            chunk = ws.recv(65536)
            assert chunk
            parser.receive_data(chunk)
        assert frames[0].payload == b"still here"
        half_open.close()
        for _ in range(200):  # the listener sees the close soon; bounded retries, not a clock
            with socket.create_connection((HOST, port), timeout=GUARD) as again:
                again.sendall(build_request(f"{HOST}:{port}")[0])
                if again.recv(12) == b"HTTP/1.1 101":
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("no room after a connection ended")
        ws.close()
    refused = [e for e in events(out) if e["event"] == "error" and "503" in e["message"]]
    assert len(refused) == 1 and "--max-connections" in refused[0]["message"]


def test_a_flood_of_refusals_is_a_few_lines(tmp_path: Path) -> None:
    """300 refused connections in a burst: a handful of report lines that still count them all."""
    with listening(tmp_path, "--max-connections", "1") as (proc, out, port):
        keep = socket.create_connection((HOST, port), timeout=GUARD)
        for _ in range(300):
            with socket.create_connection((HOST, port), timeout=GUARD) as s:
                assert s.recv(12) == b"HTTP/1.1 503"
        for _ in range(100):  # the last batch is reported within a second (bounded wait)
            if "300 refused in all" in out.read_text(encoding="utf-8"):
                break
            time.sleep(0.05)
        keep.close()
    refused = [e for e in events(out) if e["event"] == "error" and "503" in e["message"]]
    assert 1 <= len(refused) < 100, refused
    assert "300 refused in all" in refused[-1]["message"], refused[-1]


# -- --idle-timeout -----------------------------------------------------------------------------


def test_idle_connection_is_closed_with_1001(tmp_path: Path) -> None:
    with listening(tmp_path, "--echo", "--idle-timeout", "0.5") as (proc, out, port):
        sock = handshake(port)
        parser = FrameParser(Role.CLIENT)
        while not (frames := parser.frames()):
            chunk = sock.recv(65536)  # GUARD is the hang guard: no close frame ever would fail here
            assert chunk, "the TCP connection ended without a close frame"
            parser.receive_data(chunk)
        close = frames[0]
        assert close.opcode_raw == 0x8 and close.payload[:2] == (1001).to_bytes(2, "big"), close
        sock.sendall(encode_frame(0x8, close.payload[:2], mask=True))  # complete the handshake
        assert read_to_eof(sock) == b""
        sock.close()
    closes = [e for e in events(out) if e["event"] == "close"]
    assert closes and closes[0]["code"] == 1001 and closes[0]["clean"]


def test_no_idle_timeout_by_default(tmp_path: Path) -> None:
    """Without the option a silent peer stays: a ping a while later is still answered."""
    with listening(tmp_path) as (proc, out, port):
        sock = handshake(port)
        sock.settimeout(1.0)
        got = None
        with suppress(TimeoutError):
            got = sock.recv(1)
        assert got is None, f"the listener closed or wrote to a silent peer: {got!r}"
        sock.settimeout(GUARD)
        sock.sendall(encode_frame(0x9, b"hi", mask=True))
        parser = FrameParser(Role.CLIENT)
        while not (frames := parser.frames()):
            parser.receive_data(sock.recv(65536))
        assert frames[0].opcode_raw == 0xA
        sock.close()


# -- write buffer bound -------------------------------------------------------------------------


def test_a_peer_that_does_not_read_is_cut_off_while_others_echo(tmp_path: Path) -> None:
    message = encode_frame(0x2, os.urandom(1 << 20), mask=True)
    with listening(tmp_path, "--echo", "--write-timeout", "1") as (proc, out, port):
        ended: list[str] = []
        hog = threading.Thread(
            target=lambda: ended.append(flood_without_reading(port, message, 1 << 31))
        )
        hog.start()
        with ws_connect(f"ws://{HOST}:{port}/", open_timeout=GUARD, close_timeout=GUARD) as ws:
            rounds = 0
            while (
                hog.is_alive() and rounds < 2000
            ):  # echo keeps working the whole time the hog is stuck
                ws.send(f"ping {rounds}")
                assert ws.recv(timeout=GUARD) == f"ping {rounds}"
                rounds += 1
                time.sleep(0.02)
        hog.join(GUARD)
        assert not hog.is_alive()
    assert ended == ["reset"], ended  # aborted by the listener, not left blocked
    errors = [e for e in events(out) if e["event"] == "error" and "did not read" in e["message"]]
    assert len(errors) == 1 and "1008" in errors[0]["message"], errors
    hog_id = errors[0]["conn"]
    other = [e for e in events(out) if e["event"] == "close" and e["conn"] != hog_id]
    assert [(e["code"], e["clean"]) for e in other] == [(1000, True)]
    assert rounds > 1


def test_broadcast_to_a_peer_that_does_not_read(tmp_path: Path) -> None:
    """Lines on stdin go to every client: a non-reading one is cut off, the other gets them all."""
    out = tmp_path / "listen.out"
    line = "y" * (64 << 10)
    count = 400  # 25 MiB to each peer: far more than socket buffers hold
    with open(out, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wsdebug", "listen", "--port", "0", "--write-timeout", "1"],
            stdin=subprocess.PIPE,
            stdout=fh,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
    try:
        port = None
        for _ in range(300):
            found = re.search(r"listening on ws://[^ ]*:(\d+)/", out.read_text(encoding="utf-8"))
            if found:
                port = int(found.group(1))
                break
            time.sleep(0.05)
        assert port is not None, out.read_text(encoding="utf-8")
        hog = handshake(port)  # connected, never reads
        with ws_connect(f"ws://{HOST}:{port}/", open_timeout=GUARD, max_size=None) as ws:
            got: list[str] = []
            reader = threading.Thread(target=lambda: got.extend(str(m) for m in ws))
            reader.start()
            assert proc.stdin is not None
            for _ in range(count):
                proc.stdin.write(line + "\n")
            proc.stdin.close()  # end of the script: the listener closes every connection
            reader.join(60)
            assert not reader.is_alive()
        assert got == [line] * count
        assert read_to_eof(hog) != b""  # it was sent something, then aborted: recv ends
        hog.close()
        assert proc.wait(30) in (0, 1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    text = out.read_text(encoding="utf-8")
    assert text.count("bytes still waiting after 1 s") == 1, text[-3000:]


def test_memory_returns_after_non_reading_peers_abort(tmp_path: Path) -> None:
    """Ten peers each leave 15 MiB messages unread, then abort: RSS comes back near idle."""
    message = encode_frame(0x2, os.urandom(15 << 20), mask=True)
    with listening(tmp_path, "--echo", json_out=False) as (proc, out, port):
        time.sleep(0.5)
        idle = rss_mb(proc.pid)
        threads = [
            threading.Thread(target=flood_without_reading, args=(port, message, 40 << 20))
            for _ in range(10)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        peak = rss_mb(proc.pid)
        after = peak
        for _ in range(100):  # memory, not time, is asserted: poll until it settles (bounded)
            time.sleep(0.1)
            after = rss_mb(proc.pid)
            if after < idle + 50:
                break
        print(
            f"RSS idle {idle:.0f} MB, with 10 non-reading peers {peak:.0f} MB, after {after:.0f} MB"
        )
        assert after < idle + 50, (idle, peak, after)


# -- handshake limits ---------------------------------------------------------------------------


def test_slowloris_is_cut_off_at_the_handshake_timeout(tmp_path: Path) -> None:
    request = build_request(f"{HOST}:1")[0]
    with listening(tmp_path, "--handshake-timeout", "1") as (proc, out, port):
        sock = socket.create_connection((HOST, port), timeout=GUARD)
        sent = 0
        try:
            for byte in request:  # one byte every 0.25 s: the whole request would take ~40 s
                sock.sendall(bytes([byte]))
                sent += 1
                time.sleep(0.25)
        except (ConnectionResetError, BrokenPipeError):
            pass
        sock.close()
    assert sent < len(request), "the whole handshake went through; it should have been cut off"
    errors = [e for e in events(out) if e["event"] == "error" and "handshake" in e["message"]]
    assert errors and "within 1 s" in errors[0]["message"]
