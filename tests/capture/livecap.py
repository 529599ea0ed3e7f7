"""Real captures for the capture tests: tcpdump on loopback around a websockets connection.

:func:`capture_ws` starts ``tcpdump -i lo -U -w FILE`` on a free port, runs a ``websockets``
client against a ``websockets`` echo server on 127.0.0.1 (permessage-deflate off unless asked),
and stops tcpdump once the connection has closed.  Tests skip with the reason when tcpdump is
missing or capturing is not permitted.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (Debian: apt-get install {tool})")
    return path


class Tcpdump:
    """``tcpdump -i lo -U -w FILE tcp port PORT`` while the ``with`` block runs."""

    def __init__(self, out: Path, port: int) -> None:
        self.out, self.port = out, port

    def __enter__(self) -> Tcpdump:
        exe = need("tcpdump")
        self.proc = subprocess.Popen(
            [
                exe,
                "-i",
                "lo",
                "--immediate-mode",
                "-B",
                "16384",
                "-U",
                "-n",
                "-s",
                "0",
                "-w",
                str(self.out),
                f"tcp port {self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline().decode(errors="replace")  # "listening on lo, ..."
        if "listening" not in line:
            self.proc.wait(10)
            pytest.skip(f"tcpdump cannot capture on lo here: {line.strip()[:200]}")
        time.sleep(0.5)  # the filter is attached a moment after the line
        return self

    def __exit__(self, *exc: object) -> None:
        # loopback packets may reach tcpdump a moment late: stop once the file stops growing
        size, still, deadline = -1, 0, time.monotonic() + 10
        while still < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.out.stat().st_size if self.out.exists() else 0
            still, size = (still + 1 if now == size else 0), now
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


MESSAGES: list[str | bytes] = ["hello", "second message, 厉害了", b"\x00\x01\x02binary", "x" * 300]


async def _session(port: int, messages: list[str | bytes], deflate: bool, pause: float) -> None:
    import websockets

    async def echo(ws: object) -> None:
        async for msg in ws:  # type: ignore[attr-defined]
            await ws.send(msg)  # type: ignore[attr-defined]

    comp = "deflate" if deflate else None
    url = f"ws://127.0.0.1:{port}/t"
    async with (
        websockets.serve(echo, "127.0.0.1", port, compression=comp),
        websockets.connect(url, compression=comp) as ws,
    ):
        if pause:
            await asyncio.sleep(pause)
        for m in messages:
            await ws.send(m)
            await ws.recv()


def websocket_session(
    port: int, messages: list[str | bytes] = MESSAGES, *, deflate: bool = False, pause: float = 0
) -> None:
    asyncio.run(_session(port, messages, deflate, pause))


def capture_ws(out: Path, *, deflate: bool = False, messages: list[str | bytes] = MESSAGES) -> Path:
    """A pcap of one websockets connection on 127.0.0.1, handshake to close, written to ``out``."""
    port = free_port()
    with Tcpdump(out, port):
        websocket_session(port, messages, deflate=deflate)
    return out


def tshark(*args: str) -> str:
    exe = need("tshark")
    done = subprocess.run(
        [exe, *args], capture_output=True, timeout=60, check=False, env={"HOME": "/tmp"}
    )
    if done.returncode:
        pytest.skip(f"tshark failed: {done.stderr.decode(errors='replace').strip()[:200]}")
    return done.stdout.decode()


async def _midstream(
    out: Path, port: int, before: list[str], after: list[str], no_takeover: bool | None
) -> None:
    import websockets
    from websockets.extensions.permessage_deflate import (
        ClientPerMessageDeflateFactory,
        ServerPerMessageDeflateFactory,
    )

    async def echo(ws: object) -> None:
        async for msg in ws:  # type: ignore[attr-defined]
            await ws.send(msg)  # type: ignore[attr-defined]

    server_ext: dict[str, object] = {"compression": None}
    client_ext: dict[str, object] = {"compression": None}
    if no_takeover is not None:
        opts = {
            "server_no_context_takeover": no_takeover,
            "client_no_context_takeover": no_takeover,
        }
        server_ext = {"extensions": [ServerPerMessageDeflateFactory(**opts)], "compression": None}
        client_ext = {"extensions": [ClientPerMessageDeflateFactory(**opts)], "compression": None}
    url = f"ws://127.0.0.1:{port}/mid"
    async with (
        websockets.serve(echo, "127.0.0.1", port, **server_ext),  # type: ignore[arg-type]
        websockets.connect(url, **client_ext) as ws,  # type: ignore[arg-type]
    ):
        for m in before:
            await ws.send(m)
            await ws.recv()
        with Tcpdump(out, port):  # started once the handshake and the first messages are done
            for m in after:
                await ws.send(m)
                await ws.recv()
            await ws.close()


def capture_midstream(
    out: Path,
    before: list[str],
    after: list[str],
    *,
    no_takeover: bool | None = None,
    port: int | None = None,
) -> int:
    """A pcap begun after the handshake (and after ``before``); the server's port.
    ``no_takeover``: None no deflate, else permessage-deflate with/without context takeover."""
    port = port or free_port()
    asyncio.run(_midstream(out, port, before, after, no_takeover))
    return port
