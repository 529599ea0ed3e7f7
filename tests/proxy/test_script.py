"""``--script``: messages rewritten and dropped on terminated legs, deflate contexts kept per
leg, what each side really sent still reported; a bad script is a usage error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import websockets

from wsdebug.codec.events import NoteEvent
from wsdebug.codec.spec import Direction
from wsdebug.live.proxy_script import ScriptMessage

from .conftest import HOST, Collect, arun, start_proxy
from .test_reverse import echo_server


def hook(msg: ScriptMessage) -> object:
    if msg.direction == "c2s" and msg.text is not None:
        return msg.text.upper()
    if msg.direction == "s2c" and msg.text == "DROP":
        return None
    return msg


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_rewrite_and_drop(compression: str | None) -> None:
    async def main() -> None:
        server, port = await echo_server(compression)
        rep = Collect()
        proxy = await start_proxy(f"ws://{HOST}:{port}/", rep, script=hook)
        url = f"ws://{HOST}:{proxy.address[1]}/"
        async with websockets.connect(url, compression=compression) as ws:
            await ws.send("hello")
            assert await ws.recv() == "HELLO"
            await ws.send("drop")  # the server echoes DROP, the script drops it
            await ws.send(b"\x01\x02")  # binary passes unchanged
            assert await ws.recv() == b"\x01\x02"
            for i in range(20):  # the deflate contexts of both legs stay in step
                await ws.send(f"after {i} " * 20)
                assert await ws.recv() == f"AFTER {i} " * 20
            await ws.close(4005, "done")
        # the display shows what each side sent: the client's "hello", the server's "HELLO"
        c2s = [f.record.message.text for f in rep.frames(Direction.C2S) if f.record.message]
        s2c = [f.record.message.text for f in rep.frames(Direction.S2C) if f.record.message]
        assert c2s[:2] == ["hello", "drop"] and s2c[:2] == ["HELLO", "DROP"]
        notes = [e.text for e in rep.of(NoteEvent)]
        assert any("dropped" in n for n in notes) and any("changed" in n for n in notes)
        server.close()
        await proxy.stop()

    arun(main())


def test_a_failing_hook_forwards_the_message_unchanged() -> None:
    def broken(msg: ScriptMessage) -> object:
        raise RuntimeError("oops")

    async def main() -> None:
        server, port = await echo_server(None)
        rep = Collect()
        proxy = await start_proxy(f"ws://{HOST}:{port}/", rep, script=broken)
        async with websockets.connect(f"ws://{HOST}:{proxy.address[1]}/") as ws:
            await ws.send("as is")
            assert await ws.recv() == "as is"
        server.close()
        await proxy.stop()

    arun(main())


@pytest.mark.parametrize(
    "text, expect",
    [(None, "no such file"), ("x = 1\n", "no on_message"), ("def on_message(:\n", "syntax error")],
)
def test_a_bad_script_is_a_usage_error(tmp_path: Path, text: str | None, expect: str) -> None:
    path = tmp_path / "s.py"
    if text is not None:
        path.write_text(text)
    res = subprocess.run(
        [sys.executable, "-m", "wsdebug", "proxy", "ws://127.0.0.1:1/", "--script", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 2 and expect in res.stderr and "Traceback" not in res.stderr
