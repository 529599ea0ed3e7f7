"""Every capture shipped in captures/ replays, and make_samples.py still writes exactly them."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from wsdebug.capture.importers import load

from .conftest import CAPTURES, json_events, replay

#: sample -> (exit status, frames, close code) it must replay to
EXPECTED = {
    "rfc6455-5.7.hex": (0, 8, 1006),
    "seed-chinese.hex": (0, 1, 1006),
    "browser-deflate.jsonl": (0, 11, 1001),
    "fragmented-ping.jsonl": (0, 8, 1000),
    "close-handshake.jsonl": (0, 4, 1001),
    "unmasked-client.jsonl": (1, 2, 1002),
    "session.pcap": (0, 8, 1000),
    "chrome-session.har": (0, 4, 1006),
    "seed-encoder-bug.hex": (1, 3, 1006),
}


def _make_samples() -> object:
    spec = importlib.util.spec_from_file_location("make_samples", CAPTURES / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_sample_is_listed_and_tested() -> None:
    shipped = {p.name for p in CAPTURES.iterdir() if p.suffix not in (".py", ".md") and p.is_file()}
    assert shipped == set(EXPECTED)
    readme = (CAPTURES / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"`{name}`" in readme, f"{name} has no line in captures/README.md"


def test_make_samples_is_deterministic_and_matches(tmp_path: Path) -> None:
    module = _make_samples()
    module.write_all(tmp_path)  # type: ignore[attr-defined]
    for name in module.SAMPLES:  # type: ignore[attr-defined]
        assert (tmp_path / name).read_bytes() == (CAPTURES / name).read_bytes(), (
            f"{name} differs: rerun make_samples.py"
        )


def _needs_inputs(name: str) -> None:
    if name.endswith(".hex"):
        pass


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("detail", ["summary", "fields", "bytes"])
def test_sample_replays(name: str, detail: str) -> None:
    status, _frames, _code = EXPECTED[name]
    result = replay(CAPTURES / name, "--all", "--detail", detail, "--plain")
    assert result.exit_code == status, (result.stdout[-2000:], result.stderr)
    assert result.stderr == ""
    assert "Traceback" not in result.stdout


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_json(name: str) -> None:
    status, frames, code = EXPECTED[name]
    result = replay(CAPTURES / name, "--json")
    assert result.exit_code == status, result.stderr
    events = json_events(result)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "connect" and kinds[-1] == "disconnect"
    assert kinds.count("frame") == frames
    assert [e for e in events if e["event"] == "close"][0]["code"] == code
    for e in events:
        if e["event"] == "frame":
            assert {
                "conn",
                "direction",
                "t",
                "opcode_name",
                "payload_hex",
                "problems",
                "fields",
            } <= set(e)
            assert e["direction"] in ("c2s", "s2c")
    problems = [p for e in events if e["event"] == "frame" for p in e["problems"]]
    assert bool(problems) == bool(status)


def test_unmasked_sample_shows_the_problem() -> None:
    problem = re.compile(
        r"offset 0x0001 \(byte 1\): client-to-server frame is not masked\W+RFC 6455 §5\.1"
    )
    for detail in ("bytes", "fields", "summary"):
        result = replay(CAPTURES / "unmasked-client.jsonl", "--all", "--plain", "-d", detail)
        assert result.exit_code == 1
        assert problem.search(result.stdout), result.stdout
    events = json_events(replay(CAPTURES / "unmasked-client.jsonl", "--json"))
    rules = [p["rule"] for e in events if e["event"] == "frame" for p in e["problems"]]
    assert rules == ["UNMASKED_CLIENT_FRAME"]


def test_browser_deflate_follows_the_handshake() -> None:
    conv = load(CAPTURES / "browser-deflate.jsonl").conversations()[0]
    assert conv.deflate is not None and conv.deflate.server_max_window_bits == 12
    texts = [ev.record.message.text for ev in conv.frames if ev.record.message is not None]
    assert texts[0] == '{"op":"subscribe","channel":"prices","symbols":["ACME","INIT"]}'
    assert "下单 ACME ×100 — 厉害了" in texts
    # two frames completed by one chunk share its time; the split frame gets the later chunk's
    t = [ev.t for ev in conv.frames]
    assert t[1] == t[2] and t[3] == t[4]
    # forcing deflate off leaves RSV1 unexplained: problems, exit status 1
    assert replay(CAPTURES / "browser-deflate.jsonl", "--json", "--no-deflate").exit_code == 1


def test_fragmented_ping_message() -> None:
    conv = load(CAPTURES / "fragmented-ping.jsonl").conversations()[0]
    ops = [ev.record.frame.opcode_name for ev in conv.frames]
    assert ops == ["TEXT", "PING", "PONG", "CONT", "CONT", "TEXT", "CLOSE", "CLOSE"]
    msg = conv.frames[4].record.message
    assert (
        msg is not None
        and msg.frames == 3
        and msg.text == "The quick brown fox jumps over the lazy dog"
    )


def test_pcap_sample_matches_its_jsonl() -> None:
    pcap = load(CAPTURES / "session.pcap").conversations()[0]
    jsonl = load(CAPTURES / "fragmented-ping.jsonl").conversations()[0]
    assert pcap.server == "192.168.1.20:8080" and pcap.client == "192.168.1.10:51000"
    assert [e.record.frame.to_bytes() for e in pcap.frames] == [
        e.record.frame.to_bytes() for e in jsonl.frames
    ]
    assert any("1 retransmitted" in n and "1 out-of-order" in n for n in pcap.notes)


def test_seed_frame() -> None:
    conv = load(CAPTURES / "seed-chinese.hex").conversations()[0]
    (ev,) = conv.frames
    assert (
        ev.direction == "c2s"
        and ev.record.text == "厉害了"
        and ev.record.frame.mask_key == bytes.fromhex("bcb82cb5")
    )


def test_rfc_examples() -> None:
    conv = load(CAPTURES / "rfc6455-5.7.hex").conversations()[0]
    got = [
        (ev.direction, ev.record.frame.opcode_name, ev.record.frame.payload_len)
        for ev in conv.frames
    ]
    assert got == [
        ("s2c", "TEXT", 5),
        ("c2s", "TEXT", 5),
        ("s2c", "TEXT", 3),
        ("s2c", "CONT", 2),
        ("s2c", "PING", 5),
        ("c2s", "PONG", 5),
        ("s2c", "BINARY", 256),
        ("s2c", "BINARY", 65536),
    ]
    assert (
        conv.frames[-1].record.frame.length_form == 64
        and conv.frames[-2].record.frame.length_form == 16
    )


@pytest.mark.parametrize("name", ["rfc6455-5.7.hex", "seed-chinese.hex"])
def test_hex_samples_decode(name: str) -> None:
    from typer.testing import CliRunner

    import wsdebug.cli

    result = CliRunner().invoke(
        wsdebug.cli.app, ["decode", "-f", str(CAPTURES / name), "--plain", "-d", "summary"]
    )
    assert result.exit_code == 0, (result.stdout[-2000:], result.stderr)
    if name.startswith("rfc"):  # two streams, each checked with its direction's masking rule
        lines = [ln for ln in result.stdout.splitlines() if ln.startswith("#")]
        assert len(lines) == 8 and "->" in lines[1] and "<-" in lines[0]


def test_listen_capture_with_a_page_request(tmp_path: Path) -> None:
    """A browser fetching the listener's test page is plain HTTP, shown but not a problem."""
    from wsdebug.capture.format import CaptureWriter

    path = tmp_path / "listen.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        w = CaptureWriter(fh, mode="listen")
        w.open("c1", role="server", peer="127.0.0.1:50000", local="127.0.0.1:9000")
        w.data("c1", "c2s", b"GET / HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nAccept: text/html\r\n\r\n")
        w.data(
            "c1", "s2c", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
        )
        w.end("c1", "no WebSocket connection")
    result = replay(path, "--all", "--plain", "-d", "summary")
    assert result.exit_code == 0, result.stdout
    assert (
        "plain HTTP exchange" in result.stdout
        and "127.0.0.1:50000 -> 127.0.0.1:9000" in result.stdout
    )
