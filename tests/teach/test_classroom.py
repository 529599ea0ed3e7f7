"""``listen --classroom``: headless Chromium opens the page, sends every kind of frame, and the
page's DOM shows the annotation (figure bits, XOR rows, close code) that ``decode --json`` gives
for the same bytes; two students at once; a broken frame from the teacher; the browser's close.

The listener runs in-process on 127.0.0.1 with a reporter that keeps every event, which plays
the teacher's terminal; the browser is driven over the DevTools protocol (tests/teach/cdp.py).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.teach import cdp
from wsdebug.cli import app
from wsdebug.codec.events import CloseEvent, Event, FrameEvent, HandshakeEvent, InfoEvent
from wsdebug.live.classroom import Classroom
from wsdebug.live.listener import Listener, ListenOptions
from wsdebug.live.reporter import Reporter

pytestmark = pytest.mark.skipif(not cdp.available(), reason="chromium is not installed")
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Teacher(Reporter):
    """The teacher's terminal: every event the listener reports."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def frames(self, conn: str) -> list[FrameEvent]:
        return [e for e in self.events if isinstance(e, FrameEvent) and e.conn == conn]


def decode_json(wire: bytes, sender: str) -> dict[str, Any]:
    r = CliRunner().invoke(app, ["decode", "--json", "--from", sender, wire.hex()])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.output)["frames"][0]


CARDS = "[...document.querySelectorAll('.card[data-kind=frame]')]"


async def dom_frames(page: cdp.Page) -> list[dict[str, Any]]:
    return await page.js(
        f"""{CARDS}.map(c => ({{
            direction: c.dataset.direction, opcode: +c.dataset.opcode,
            bits: [...c.querySelectorAll('tr.bits td')].map(td => td.textContent).join(''),
            xor: [...c.querySelectorAll('tr.xor-row')].map(r => [...r.children].map(td => td.textContent)),
            utf8: [...c.querySelectorAll('tr.utf8-row')].map(r => [...r.children].map(td => td.textContent)),
            close: (c.querySelector('.close-code') || {{}}).textContent || null,
            problems: c.querySelectorAll('.problem').length,
        }}))"""
    )


def check_against_decode(dom: dict[str, Any], ev: FrameEvent) -> None:
    """The page's figure bits, XOR rows and close code are what decode --json says."""
    wire = ev.record.frame.to_bytes()
    sender = "client" if ev.direction.value == "c2s" else "server"
    doc = decode_json(wire, sender)
    assert dom["opcode"] == doc["opcode"]
    fields = {f["name"]: f for f in doc["fields"]}
    bits = dom["bits"]
    assert len(bits) == 16
    assert int(bits[0]) == fields["FIN"]["value"] == int(doc["fin"])
    assert bits[1:4] == "".join(str(fields[n]["value"]) for n in ("RSV1", "RSV2", "RSV3"))
    assert int(bits[4:8], 2) == fields["opcode"]["value"] == doc["opcode"]
    assert int(bits[8]) == fields["MASK"]["value"] == int(doc["masked"])
    assert int(bits[9:], 2) == fields["payload length"]["value"]
    if doc["mask_key"]:
        key = bytes.fromhex(doc["mask_key"])
        payload = bytes.fromhex(doc["payload_hex"])
        expected = [
            [str(i), f"{payload[i] ^ key[i % 4]:02x}", f"{key[i % 4]:02x}", f"{payload[i]:02x}"]
            for i in range(min(16, len(payload)))
        ]
        assert dom["xor"] == expected
    else:
        assert dom["xor"] == []
    if doc["close_code"] is not None:
        assert dom["close"] == str(doc["close_code"])


OPEN = {"en": "open", "zh": "已连接"}
BROKEN = {"en": "broken frame", "zh": "损坏的帧"}
OPCODE_TEXT = {"en": "opcode 0x1: text frame", "zh": "操作码 0x1:文本帧"}


async def _lesson(tmp_path: Path, lang: str) -> None:
    teacher = Teacher()
    room = Classroom(lang)
    listener = Listener(ListenOptions(port=0, classroom=room), teacher)
    await listener.start()
    host, port = listener.address
    url = f"http://{host}:{port}/"
    try:
        async with cdp.chromium(tmp_path / "profile") as browser:
            alice = await browser.open(url)
            bob = await browser.open(url)
            for page in (alice, bob):
                await page.wait(f"document.getElementById('state').textContent === '{OPEN[lang]}'")
            # the name field: Alice reconnects under her name (the first connection had none)
            await alice.js(
                "lesson.close(1000); document.getElementById('name').value = 'Alice';"
                "new Promise(r => setTimeout(r, 200)).then(() => connect())"
            )
            await alice.wait(
                "[...document.querySelectorAll('.card[data-kind=browser-close]')].length === 1 &&"
                f"document.getElementById('state').textContent === '{OPEN[lang]}'"
            )
            infos = [e.text for e in teacher.events if isinstance(e, InfoEvent)]
            assert any("is student 'Alice'" in t for t in infos), infos
            conns = list(listener.connections)
            assert len(conns) == 2  # the annotation sockets are not lesson connections
            a_conn = next(c for c, n in room.names.items() if n == "Alice")
            b_conn = next(c for c in conns if c != a_conn)

            # the handshake card: the Accept computed from the key the browser sent
            hs = [e for e in teacher.events if isinstance(e, HandshakeEvent) and e.conn == a_conn]
            key = hs[0].request.key
            accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            shown = await alice.js(
                "[...document.querySelectorAll('.card[data-kind=handshake]')].pop()"
                ".querySelector('tr.accept-row:last-child td:last-child').textContent"
            )
            assert shown == accept
            if lang == "zh":  # header meanings in Chinese too
                assert await alice.js(
                    "document.querySelector('.card[data-kind=handshake]').textContent"
                    ".includes('必须是 13')"
                )

            base = await alice.js(f"{CARDS}.length")  # the first connection's close frames

            async def frames_shown(page: cdp.Page, n: int) -> list[dict[str, Any]]:
                await page.wait(f"{CARDS}.length >= {base + n}")
                return (await dom_frames(page))[base:]

            # text (the seed's 厉害了), binary, then the two the listener sends on request
            await alice.js("document.getElementById('send-text').click()")
            dom = await frames_shown(alice, 1)
            assert dom[0]["direction"] == "c2s" and dom[0]["opcode"] == 1
            assert [g[1] for g in dom[0]["utf8"]] == ["厉", "害", "了"]
            assert dom[0]["utf8"][0] == ["e5 8e 89", "厉", "U+5389"]
            assert await alice.wait(f"{CARDS}.pop().textContent.includes('{OPCODE_TEXT[lang]}')")
            await alice.js("document.getElementById('send-binary').click()")
            await alice.js("document.getElementById('send-ping').click()")
            dom = await frames_shown(alice, 4)  # binary, ping (s2c), pong (c2s)
            await alice.js("document.getElementById('send-frag').click()")
            dom = await frames_shown(alice, 7)
            ops = [(d["direction"], d["opcode"]) for d in dom]
            assert ops[:7] == [
                ("c2s", 1),
                ("c2s", 2),
                ("s2c", 9),
                ("c2s", 10),
                ("s2c", 1),
                ("s2c", 0),
                ("s2c", 0),
            ]
            # a code a page may not send (1002 is the browser's own): explained, nothing sent
            await alice.js(
                "document.getElementById('code').value = '1002';"
                "document.getElementById('send-close').click()"
            )
            assert await alice.js("document.getElementById('hint').textContent.includes('3000')")
            # a close with a code
            await alice.js(
                "document.getElementById('code').value = '4000';"
                "document.getElementById('send-close').click()"
            )
            dom = await frames_shown(alice, 9)
            assert (dom[7]["direction"], dom[7]["opcode"], dom[7]["close"]) == ("c2s", 8, "4000")
            await alice.wait("document.querySelectorAll('.card[data-kind=close]').length === 2")
            await alice.wait(
                "document.querySelectorAll('.card[data-kind=browser-close]').length === 2"
            )
            dom = await frames_shown(alice, 9)
            teacher_frames = teacher.frames(a_conn)
            assert len(teacher_frames) == len(dom)
            for d, ev in zip(dom, teacher_frames, strict=True):
                check_against_decode(d, ev)
            closes = [e for e in teacher.events if isinstance(e, CloseEvent) and e.conn == a_conn]
            assert closes and closes[0].code == 4000 and closes[0].clean

            # Bob saw none of Alice's frames; the teacher breaks a frame to him (/raw):
            # reserved opcode 0x3, the browser fails the connection
            assert await bob.js(f"{CARDS}.length") == 0
            listener.connections[b_conn].send("raw", b"\x83\x00")
            await bob.wait("document.querySelectorAll('.card[data-kind=browser-close]').length")
            dom = await dom_frames(bob)
            assert dom[0]["direction"] == "s2c" and dom[0]["opcode"] == 3 and dom[0]["problems"]
            check_against_decode(dom[0], teacher.frames(b_conn)[0])
            code = await bob.js(
                "document.querySelector('.card[data-kind=browser-close] .close-code').textContent"
            )
            assert code == "1006"
            explained = await bob.js(
                "document.querySelector('.card[data-kind=browser-close]').textContent"
            )
            assert BROKEN[lang] in explained
            for _ in range(200):  # the teacher's side sees the browser's end too
                if any(isinstance(e, CloseEvent) and e.conn == b_conn for e in teacher.events):
                    break
                await asyncio.sleep(0.05)
            bob_close = [
                e for e in teacher.events if isinstance(e, CloseEvent) and e.conn == b_conn
            ]
            # Chromium tells the server why (close 1002 from the client) but tells the page 1006
            assert bob_close and bob_close[0].code == 1002
            assert bob_close[0].initiator is not None and bob_close[0].initiator.value == "client"
            dom = await dom_frames(bob)
            assert ("c2s", 8, "1002") in [(d["direction"], d["opcode"], d["close"]) for d in dom]
    finally:
        await listener.stop()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_classroom_in_chromium(tmp_path: Path, lang: str) -> None:
    asyncio.run(asyncio.wait_for(_lesson(tmp_path, lang), 90))
