"""The ``proxy`` command as a user runs it (a subprocess), and Node ``ws`` peers through it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import websockets

from .conftest import HOST, arun
from .test_reverse import _free_port, echo_server

NODE_WS = Path(os.environ.get("WSDEBUG_NODE_WS", "/tmp/nodews")) / "node_modules" / "ws"


def _wsdebug(*args: str) -> list[str]:
    return [sys.executable, "-m", "wsdebug", *args]


async def _start(*args: str, env: dict | None = None) -> tuple[asyncio.subprocess.Process, int]:
    """Start ``wsdebug proxy ... --port 0 --json``; the port from its first (info) line."""
    proc = await asyncio.create_subprocess_exec(
        *_wsdebug("proxy", *args, "--port", "0", "--json"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    m = re.search(rb"ws://127\.0\.0\.1:(\d+)/", line)
    assert m, line
    return proc, int(m[1])


def test_record_then_replay_shows_both_sides(tmp_path: Path) -> None:
    cap = tmp_path / "p.jsonl"

    async def main() -> list[dict]:
        server, port = await echo_server("deflate")
        proc, pport = await _start(f"ws://{HOST}:{port}/", "--once", "--record", str(cap))
        async with websockets.connect(f"ws://{HOST}:{pport}/x") as ws:
            await ws.send("ping from the client")
            assert await ws.recv() == "ping from the client"
        assert proc.stdout is not None
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0
        server.close()
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    events = arun(main())
    frames = [e for e in events if e.get("event") == "frame"]
    assert {f["direction"] for f in frames} == {"c2s", "s2c"}, frames
    res = subprocess.run(
        _wsdebug("replay", str(cap), "--all", "--plain", "--json"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    replayed = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    texts = {(e["direction"], e.get("text")) for e in replayed if e.get("event") == "message"}
    assert ("c2s", "ping from the client") in texts and ("s2c", "ping from the client") in texts


def test_cli_bad_url_and_unreachable_upstream() -> None:
    res = subprocess.run(_wsdebug("proxy", "http://x/"), capture_output=True, text=True, timeout=30)
    assert res.returncode == 2 and "ws://" in res.stderr and "Traceback" not in res.stderr

    async def main() -> bytes:
        proc, pport = await _start(f"ws://{HOST}:{_free_port()}/", "--once")
        r, w = await asyncio.open_connection(HOST, pport)
        w.write(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n")
        out = await asyncio.wait_for(r.read(4096), 10)
        w.close()
        await asyncio.wait_for(proc.communicate(), 20)
        return out

    out = arun(main())
    assert out.startswith(b"HTTP/1.1 502 Bad Gateway")


NODE_SCRIPT = r"""
const WebSocket = require(process.argv[2]);
const mode = process.argv[3];
if (mode === "server") {
  const wss = new WebSocket.Server({ host: "127.0.0.1", port: 0, perMessageDeflate: true });
  wss.on("listening", () => console.log(wss.address().port));
  wss.on("connection", (ws) => ws.on("message", (m, isBinary) => ws.send(m, { binary: isBinary })));
} else {
  const ws = new WebSocket(process.argv[4], { perMessageDeflate: true });
  const big = Buffer.alloc(300000, 7);
  let got = [];
  ws.on("open", () => { ws.send("node hello"); ws.send(big); });
  ws.on("message", (m, isBinary) => {
    got.push(isBinary ? "bin:" + m.length : m.toString());
    if (got.length === 2) { console.log(JSON.stringify(got)); ws.close(4003, "node bye"); }
  });
  ws.on("close", (code) => { console.log("closed " + code); process.exit(0); });
}
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(
    not NODE_WS.is_dir(),
    reason=f"Node ws is not installed at {NODE_WS} (npm install ws --prefix /tmp/nodews, or set WSDEBUG_NODE_WS)",
)
def test_node_ws_client_and_server_through_the_proxy(tmp_path: Path) -> None:
    script = tmp_path / "peer.js"
    script.write_text(NODE_SCRIPT)

    async def main() -> tuple[str, list[dict]]:
        srv = await asyncio.create_subprocess_exec(
            "node", str(script), str(NODE_WS), "server", stdout=asyncio.subprocess.PIPE
        )
        assert srv.stdout is not None
        port = int(await asyncio.wait_for(srv.stdout.readline(), 20))
        proc, pport = await _start(f"ws://{HOST}:{port}/", "--once")
        cli = await asyncio.create_subprocess_exec(
            "node",
            str(script),
            str(NODE_WS),
            "client",
            f"ws://{HOST}:{pport}/n",
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(cli.communicate(), 20)
        pout, _ = await asyncio.wait_for(proc.communicate(), 20)
        srv.kill()
        await srv.wait()
        return out.decode(), [json.loads(x) for x in pout.splitlines() if x.strip()]

    out, events = arun(main())
    assert '["node hello","bin:300000"]' in out and "closed 4003" in out
    hs = next(e for e in events if e["event"] == "handshake")
    assert hs["ok"] and "permessage-deflate" in (hs["extensions"] or "")
    frames = [e for e in events if e["event"] == "frame"]
    assert frames and not any(f["problems"] for f in frames)
    close = next(e for e in events if e["event"] == "close")
    assert close["code"] == 4003 and close["initiator"] == "client"


def test_ctrl_c_stops_the_proxy_with_130() -> None:
    async def main() -> int | None:
        server, port = await echo_server(None)
        proc, pport = await _start(f"ws://{HOST}:{port}/")
        async with websockets.connect(f"ws://{HOST}:{pport}/") as ws:
            await ws.send("hi")
            assert await ws.recv() == "hi"
            proc.send_signal(signal.SIGINT)
            await asyncio.wait_for(proc.communicate(), 20)
        server.close()
        return proc.returncode

    assert arun(main()) == 130
