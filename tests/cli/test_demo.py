"""``wsdebug demo``: runs to the end without a terminal and shows every step of the tour.

The CLI runs as a real subprocess (stdin from /dev/null, so nothing pauses); run_demo is also
driven in-process with a JSON reporter to check what crossed the wire at each step.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from wsdebug.live.demo import SEED_TEXT, STEPS, run_demo
from wsdebug.live.reporter import JsonReporter

TITLES = ["The opening handshake", *(s.title for s in STEPS)]
SGR = re.compile(r"\x1b\[[0-9;]*m")
TIMEOUT = 60


def run_cli(*args: str, tmp: Path, color: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    env.update(COLUMNS="120", XDG_DATA_HOME=str(tmp), PYTHONIOENCODING="utf-8")
    if color:
        env.update(FORCE_COLOR="1", COLORTERM="truecolor")
    return subprocess.run(
        [sys.executable, "-m", "wsdebug", "demo", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="module")
def coloured(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """``wsdebug demo --export-svg FILE`` with colours forced on: (output without SGR, svg path)."""
    tmp = tmp_path_factory.mktemp("demo")
    svg = tmp / "tour.svg"
    proc = run_cli("--export-svg", str(svg), tmp=tmp, color=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "\x1b[" in proc.stdout, "FORCE_COLOR should have turned colours on"
    return SGR.sub("", proc.stdout), svg


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``wsdebug demo --plain`` (colours forced on in the environment, and still none)."""
    proc = run_cli("--plain", tmp=tmp_path_factory.mktemp("plain"), color=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stderr == ""
    return proc.stdout


def sections(out: str) -> dict[str, str]:
    """The output of each step, by title (from its heading to the next one)."""
    heads = list(re.finditer(r"Step (\d+)/(\d+): (.+?)\s+─", out))
    assert [int(m.group(1)) for m in heads] == list(range(1, len(TITLES) + 1)), (
        "steps missing or out of order"
    )
    assert {int(m.group(2)) for m in heads} == {len(TITLES)}
    ends = [m.start() for m in heads[1:]] + [len(out)]
    return {m.group(3): out[m.start() : end] for m, end in zip(heads, ends, strict=False)}


@pytest.mark.parametrize("which", ["coloured", "plain"])
def test_every_step_is_shown_in_order(which: str, request: pytest.FixtureRequest) -> None:
    out = request.getfixturevalue(which)
    out = out[0] if isinstance(out, tuple) else out
    steps = sections(out)
    assert list(steps) == TITLES
    for step in STEPS:
        assert step.look.split()[0] in steps[step.title]  # its "Look at:" sentence
    sent, got = ("->", "<-") if which == "plain" else ("→", "←")
    assert (
        f"Arrows: {sent} client to server, {got} server to client" in out
    )  # the legend matches the lines
    for title in TITLES[
        1:
    ]:  # every step after the handshake sends something and gets the echo back
        assert re.search(rf"^{sent} \d\d:\d\d:\d\d\.\d+ c1 ", steps[title], re.M), title
        assert re.search(rf"^{got} \d\d:\d\d:\d\d\.\d+ c1 ", steps[title], re.M), title
    assert "Tour complete" in out
    assert "Enter for the next step" not in out  # stdin is not a terminal: no pauses


@pytest.mark.parametrize("which", ["coloured", "plain"])
def test_key_facts(which: str, request: pytest.FixtureRequest) -> None:
    out = request.getfixturevalue(which)
    out = out[0] if isinstance(out, tuple) else out
    steps = sections(out)

    hs = steps["The opening handshake"]
    assert "101 Switching Protocols" in hs and "Sec-WebSocket-Accept" in hs
    assert "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" in hs and re.search(r"✓\s+matches", hs)

    assert '"Hello"' in steps["A short text frame"]
    assert SEED_TEXT == "厉害了" and '"厉害了"' in steps["Chinese text from the seed write-up"]
    sixteen = steps["A 16-bit length"]
    assert (
        "126: a 16-bit length follows" in sixteen
        and "01 2c" in sixteen
        and "payload is 300 bytes" in sixteen
    )

    frag = steps["One message in three fragments, with a ping in between"]
    assert "PING" in frag and "PONG" in frag and "CONT" in frag
    assert '"fragmented!"' in frag and "3 frames" in frag

    assert "BINARY" in steps["A binary frame"]
    comp = steps["A compressed message (permessage-deflate)"]
    assert "RSV1" in comp and "compressed" in comp

    close = steps["The closing handshake"]
    assert "CLOSE" in close and "1000" in close
    assert re.search(r"closed 1000 normal closure — the client started it, clean", close)


def test_export_svg(coloured: tuple[str, Path]) -> None:
    _, svg = coloured
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<svg") and text.rstrip().endswith("</svg>")
    flat = text.replace("&#160;", " ")
    for word in ("Tour", "complete", "Sec-WebSocket-Accept", "Hello", "PING", "PONG", "BINARY"):
        assert word in flat, word


def test_plain_has_no_escape_bytes(plain: str) -> None:
    assert "\x1b" not in plain
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", plain)


def test_run_demo_wire(tmp_path: Path) -> None:
    """In-process: every step's frames, as a program would read them (JSON events)."""
    out = io.StringIO()
    said: list[tuple[str, int, int]] = []
    accepted: list[str] = []
    details: list[str] = []

    async def main() -> int:
        return await asyncio.wait_for(
            run_demo(
                JsonReporter(out),
                say=lambda title, look, n, total: said.append((title, n, total)),
                show_accept=accepted.append,
                set_detail=details.append,
            ),
            TIMEOUT,
        )

    assert asyncio.run(main()) == 0
    total = len(TITLES)
    assert said == [(t, n, total) for n, t in enumerate(TITLES, 1)]
    assert len(accepted) == 1 and len(accepted[0]) == 24  # the base64 Sec-WebSocket-Key
    assert details == ["fields", *(s.detail for s in STEPS)]

    events = [json.loads(line) for line in out.getvalue().splitlines()]
    hs = [e for e in events if e["event"] == "handshake"]
    assert len(hs) == 1 and hs[0]["ok"] and "permessage-deflate" in (hs[0]["extensions"] or "")
    frames = [e for e in events if e["event"] == "frame"]
    sent = [(f["opcode_name"], f["fin"]) for f in frames if f["direction"] == "c2s"]
    got = [(f["opcode_name"], f["fin"]) for f in frames if f["direction"] == "s2c"]
    assert sent == [
        ("TEXT", True),
        ("TEXT", True),
        ("TEXT", True),
        ("TEXT", False),
        ("PING", True),
        ("CONT", False),
        ("CONT", True),
        ("BINARY", True),
        ("TEXT", True),
        ("CLOSE", True),
    ]
    assert got == [
        ("TEXT", True),
        ("TEXT", True),
        ("TEXT", True),
        ("PONG", True),
        ("TEXT", True),
        ("BINARY", True),
        ("TEXT", True),
        ("CLOSE", True),
    ]
    c2s = [f for f in frames if f["direction"] == "c2s"]
    assert all(f["masked"] for f in c2s)
    assert c2s[2]["length_form"] == "16-bit" and c2s[2]["payload_length"] == 300
    assert c2s[-2]["rsv1"]  # the compressed message
    texts = [m.get("text") for m in events if m["event"] == "message" and m["direction"] == "s2c"]
    assert texts[:3] == ["Hello", SEED_TEXT, "WebSocket " * 30] and "fragmented!" in texts
    close = [e for e in events if e["event"] == "close"]
    assert (
        len(close) == 1
        and close[0]["code"] == 1000
        and close[0]["clean"]
        and close[0]["initiator"] == "client"
    )
    assert not [e for e in events if e["event"] in ("fail", "error")]
