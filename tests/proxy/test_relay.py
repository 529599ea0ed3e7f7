"""The relay's transport choices: TCP_NODELAY on both legs, and ``--json`` written straight
from the loop when standard output is a file and payloads are capped (the thread is kept for
pipes, terminals and uncapped payloads)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import websockets

from .conftest import HOST, Collect, arun, start_proxy
from .test_reverse import echo_server


def test_both_legs_have_tcp_nodelay() -> None:
    """A 100 B frame must not wait for an ACK (Nagle) on either leg."""

    async def main() -> list[int]:
        server, port = await echo_server(None)
        proxy = await start_proxy(f"ws://{HOST}:{port}/", Collect())
        try:
            async with websockets.connect(f"ws://{HOST}:{proxy.address[1]}/") as ws:
                await ws.send("x" * 100)
                assert await ws.recv() == "x" * 100
                (conn,) = proxy.connections.values()
                assert conn.server is not None
                socks = [s.writer.get_extra_info("socket") for s in (conn.client, conn.server)]
                return [s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in socks]
        finally:
            await proxy.stop()
            server.close()

    assert all(arun(main())), "TCP_NODELAY is off on a leg"


#: written from the loop when standard output is a file (a bounded payload per document)
LOOP_JSON = ("--json", "--json-max-payload", "256")


def _start_to_file(upstream: str, out: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    """``wsdebug proxy --json`` with standard output a regular file; the port from its first
    line (written there before any connection)."""
    fh = open(out, "wb")  # noqa: SIM115 - the child holds it; closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsdebug", "proxy", upstream, "--port", "0", *LOOP_JSON, *args],
        stdout=fh,
        stderr=subprocess.PIPE,
    )
    fh.close()
    for _ in range(400):
        m = re.search(rb"ws://127\.0\.0\.1:(\d+)/", out.read_bytes())
        if m:
            return proc, int(m[1])
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"the proxy did not start: {proc.communicate()[1]!r}")


def _events(out: Path) -> list[dict]:
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b"", "the last line is not complete"
    return [json.loads(line) for line in lines[:-1]]


def test_json_to_a_file_is_complete_in_order_and_flushed_when_interrupted(tmp_path: Path) -> None:
    """Every event of a closed connection, in order; then Ctrl-C with a second connection
    open: its events so far are in the file too, and the exit status is 130."""
    out = tmp_path / "events.jsonl"

    def disconnected() -> bool:
        return b'"event":"disconnect"' in out.read_bytes()

    async def run() -> int:
        server, sport = await echo_server(None)
        proc, port = await asyncio.to_thread(_start_to_file, f"ws://{HOST}:{sport}/", out)
        url = f"ws://{HOST}:{port}/"
        try:
            async with websockets.connect(url, compression=None) as ws:
                for i in range(200):
                    await ws.send(f"m{i}")
                    assert await ws.recv() == f"m{i}"
            for _ in range(200):  # the proxy writes the end of the connection after its close
                if disconnected():
                    break
                await asyncio.sleep(0.05)
            async with websockets.connect(url, compression=None) as ws:
                for i in range(50):
                    await ws.send(f"n{i}")
                    await ws.recv()
                os.kill(proc.pid, signal.SIGINT)
                return await asyncio.to_thread(proc.wait, 20)
        finally:
            if proc.poll() is None:
                proc.kill()
            server.close()

    assert arun(run(), 60) == 130
    events = _events(out)
    by_conn: dict[str, list[dict]] = {}
    for e in events:
        by_conn.setdefault(e.get("conn", ""), []).append(e)
    first, second = (evs for evs in by_conn.values() if any(e["event"] == "message" for e in evs))
    msgs = [(e["direction"], e["text"]) for e in first if e["event"] == "message"]
    assert msgs == [(d, f"m{i}") for i in range(200) for d in ("c2s", "s2c")]
    assert sum(e["event"] == "frame" for e in first) == 2 * 200 + 2  # and a close each way
    assert first[-1]["event"] == "disconnect"
    texts = [e["text"] for e in second if e["event"] == "message" and e["direction"] == "s2c"]
    assert texts == [f"n{i}" for i in range(50)]


def test_json_file_write_error_stops_the_output_not_the_relay(tmp_path: Path) -> None:
    """A full disk (here a file size limit) under ``--json > file``: one line on stderr, the
    relay goes on, Ctrl-C still exits 130, no traceback."""
    import resource

    out = tmp_path / "events.jsonl"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    async def run() -> tuple[int, bytes]:
        server, sport = await echo_server(None)
        with open(out, "wb") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "wsdebug", "proxy", f"ws://{HOST}:{sport}/"]
                + ["--port", "0", *LOOP_JSON],
                stdout=fh,
                stderr=subprocess.PIPE,
                preexec_fn=limit,
            )
        try:
            for _ in range(400):
                m = re.search(rb"ws://127\.0\.0\.1:(\d+)/", out.read_bytes())
                if m:
                    break
                await asyncio.sleep(0.05)
            assert m, "the proxy did not start"
            async with websockets.connect(f"ws://{HOST}:{m[1].decode()}/") as ws:
                for _ in range(100):  # a few kB of JSON: the limit is reached early
                    await ws.send("y" * 200)
                    assert await asyncio.wait_for(ws.recv(), 10) == "y" * 200
            os.kill(proc.pid, signal.SIGINT)
            _, err = await asyncio.to_thread(proc.communicate, None, 20)
            return proc.returncode, err
        finally:
            if proc.poll() is None:
                proc.kill()
            server.close()

    code, err = arun(run(), 60)
    assert code == 130, err
    assert b"Traceback" not in err, err
    assert err.count(b"--json output stopped: File too large") == 1, err
    assert out.stat().st_size <= 4096
