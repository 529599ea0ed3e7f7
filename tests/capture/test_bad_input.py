"""Unreadable input: one line on stderr naming what is wrong and where, exit status 2, no traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dpkt
import pytest

from .conftest import CAPTURES, connection_pair_session, replay


def _one_line(result: object, *fragments: str) -> None:
    assert result.exit_code == 2, (result.stdout[:500], result.stderr)  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    assert err.startswith("wsdebug: ") and err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert "Traceback" not in err + result.stdout  # type: ignore[attr-defined]
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def test_truncated_jsonl(tmp_path: Path) -> None:
    """A last record cut short (a killed writer) is not fatal: the rest replays, exit status 1."""
    text = connection_pair_session()
    cut = tmp_path / "cut.jsonl"
    cut.write_text(text[: len(text) - 40], encoding="utf-8")  # the last record is cut short
    lines = text.count("\n")
    result = replay(cut, "--all")
    assert result.exit_code == 1, result.stderr
    assert (
        result.stderr.count("\n") == 1
        and f"(line {lines})" in result.stderr
        and "cut short" in result.stderr
    )


def test_corrupt_record(tmp_path: Path) -> None:
    lines = connection_pair_session().splitlines()
    assert '"dir":"c2s"' in lines[2]
    lines[2] = lines[2].replace('"dir":"c2s"', '"dir":"up"')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _one_line(replay(bad, "--json"), "line 3", "dir must be c2s or s2c")
    lines[2] = '{"t": 1, "conn": "c1", "event": "data", "dir": "c2s", "hex": "abc"}'
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _one_line(replay(bad, "--json"), "line 3", "bad record")


def test_newer_version(tmp_path: Path) -> None:
    lines = connection_pair_session().splitlines()
    header = json.loads(lines[0])
    header["version"] = 3
    newer = tmp_path / "newer.jsonl"
    newer.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n", encoding="utf-8")
    _one_line(replay(newer, "--all"), "version 3 is newer", "upgrade wsdebug")


def test_pcap_without_websocket(tmp_path: Path) -> None:
    path = tmp_path / "http.pcap"
    with open(path, "wb") as fh:
        w = dpkt.pcap.Writer(fh)
        for i, payload in enumerate(
            [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\nhi"]
        ):
            tcp = dpkt.tcp.TCP(
                sport=5000 if i == 0 else 80,
                dport=80 if i == 0 else 5000,
                seq=1,
                flags=0x18,
                data=payload,
            )
            ip = dpkt.ip.IP(
                src=b"\x0a\x00\x00\x01" if i == 0 else b"\x0a\x00\x00\x02",
                dst=b"\x0a\x00\x00\x02" if i == 0 else b"\x0a\x00\x00\x01",
                p=6,
                data=tcp,
            )
            w.writepkt(bytes(dpkt.ethernet.Ethernet(data=ip, type=0x0800)), ts=1.0 + i)
    _one_line(replay(path, "--all"), "no WebSocket upgrade", "1 TCP conversation")


def test_pcap_with_tls_only(tmp_path: Path) -> None:
    path = tmp_path / "tls.pcap"
    hello = bytes.fromhex("16030100c4010000c00303") + os.urandom(40)
    with open(path, "wb") as fh:
        w = dpkt.pcap.Writer(fh)
        tcp = dpkt.tcp.TCP(sport=5000, dport=443, seq=1, flags=0x18, data=hello)
        ip = dpkt.ip.IP(src=b"\x0a\x00\x00\x01", dst=b"\x0a\x00\x00\x02", p=6, data=tcp)
        w.writepkt(bytes(dpkt.ethernet.Ethernet(data=ip, type=0x0800)), ts=1.0)
    _one_line(replay(path, "--all"), "TLS", "cannot decrypt")


def test_truncated_pcap(tmp_path: Path) -> None:
    whole = (CAPTURES / "session.pcap").read_bytes()
    path = tmp_path / "cut.pcap"
    path.write_bytes(whole[:30])  # not even a whole file header plus a packet header
    result = replay(path, "--all")
    _one_line(result, str(path))


@pytest.mark.parametrize("keep", [0.4, 0.67, 0.9])
def test_pcap_cut_inside_a_packet(tmp_path: Path, keep: float) -> None:
    whole = (CAPTURES / "session.pcap").read_bytes()
    ends, pos = [], 24  # packet boundaries, so the cut can be placed inside a packet
    while pos < len(whole):
        pos += 16 + int.from_bytes(whole[pos + 8 : pos + 12], "little")
        ends.append(pos)
    cut = int(len(whole) * keep)
    cut = cut if cut not in ends else cut - 5
    path = tmp_path / "cut.pcap"
    path.write_bytes(whole[:cut])
    _one_line(replay(path, "--all"), str(path), "truncated")


def test_unsupported_link_type(tmp_path: Path) -> None:
    path = tmp_path / "usb.pcap"
    with open(path, "wb") as fh:
        dpkt.pcap.Writer(fh, linktype=dpkt.pcap.DLT_USB_LINUX).writepkt(b"\x00" * 64, ts=1.0)
    _one_line(replay(path, "--all"), "link type", "not supported")


def test_har_without_websocket_messages(tmp_path: Path) -> None:
    path = tmp_path / "page.har"
    entry = {
        "request": {"method": "GET", "url": "https://example.com/", "headers": []},
        "response": {"status": 200, "headers": []},
    }
    path.write_text(
        json.dumps({"log": {"version": "1.2", "entries": [entry, entry]}}), encoding="utf-8"
    )
    _one_line(replay(path, "--all"), "HAR with 2 entries but no WebSocket messages")


def test_json_that_is_not_har(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"hello": "world"}', encoding="utf-8")
    _one_line(replay(path, "--all"), "not a HAR")
    path.write_text('{"log": {"entries": [', encoding="utf-8")
    _one_line(replay(path, "--all"), "not valid JSON")


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(b"\x00\xff\xfe" + bytes(range(256)) * 4)
    _one_line(replay(path, "--all"), str(path), "not a capture wsdebug reads")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    _one_line(replay(path, "--all"), "empty file")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    _one_line(replay(tmp_path / "nope.jsonl"), "cannot read", "No such file")
    _one_line(replay(tmp_path), "is a directory")


def test_bad_options() -> None:
    sample = CAPTURES / "fragmented-ping.jsonl"
    _one_line(replay(sample, "--direction", "up"), "--direction must be c2s or s2c")
    _one_line(replay(sample, "--opcode", "banana"), "unknown opcode")
    _one_line(replay(sample, "--detail", "all"), "--detail")
    _one_line(replay(sample, "--conn", "9"), "no conversation '9'", "c1")
    _one_line(replay(sample, "--to", "http://x/"), "ws://")


def test_text_that_is_not_hex(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("c: 81 05 48 65 6c 6c 6f\ns: this is not hex at all\n", encoding="utf-8")
    _one_line(replay(path, "--all"), "line 2")


def test_importer_errors_are_capture_errors() -> None:
    """The library raises CaptureError (one line) for bytes it cannot read, never anything else."""
    from wsdebug.capture.format import CaptureError
    from wsdebug.capture.importers import loads

    for raw in (
        b"\xd4\xc3\xb2\xa1" + b"\x00" * 3,
        b"\x0a\x0d\x0d\x0a" + b"\x01" * 10,
        b'{"format":"wsdebug-capture"',
    ):
        with pytest.raises(CaptureError) as info:
            loads(raw, "x")
        assert "\n" not in str(info.value)


def test_hostile_capture_stays_inert(tmp_path: Path) -> None:
    """Terminal escapes in a Host header, a payload, a close reason and an end reason stay visible text."""
    from wsdebug.capture.format import CaptureWriter
    from wsdebug.codec.close import build_close_payload
    from wsdebug.codec.frames import encode_frame
    from wsdebug.codec.handshake import build_request, build_response, parse_request
    from wsdebug.ui.stepper import Stepper

    evil = "\x1b]0;pwned\x07\x1b[2J\u202e"
    path = tmp_path / "evil.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        w = CaptureWriter(fh, mode="connect")
        request = build_request("x", "/")[0].replace(b"Host: x", b"Host: x" + evil.encode())
        w.data("c1", "c2s", request)
        w.data("c1", "s2c", build_response(parse_request(request)))
        w.data("c1", "c2s", encode_frame(1, evil.encode(), mask_key=b"abcd"))
        w.data("c1", "s2c", encode_frame(8, build_close_payload(1000, evil)))
        w.end("c1", evil)
    for detail in ("summary", "fields", "bytes"):
        result = replay(path, "--all", "--plain", "-d", detail)
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout, detail
        assert "\\x1b]0;pwned" in result.stdout
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from wsdebug.capture.importers import load
    from wsdebug.ui.replay import ReplayApp

    st = Stepper(load(path).conversations())
    with create_pipe_input() as inp:
        app = ReplayApp(st, "test", input=inp, output=DummyOutput())
        for _ in range(4):
            shown = "\n".join(app._lines()) + "".join(
                t for _, t in app._status()
            )  # before ANSI parsing
            assert "\x07" not in shown and "\x1b]" not in shown and "\u202e" not in shown
            st.next()


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("url", "ws://[::1", "is not a URL"),
        ("url", "ws://h:99999/", "is not a URL"),
    ],
)
def test_har_with_a_broken_request(tmp_path: Path, field: str, value: str, fragment: str) -> None:
    doc = json.loads((CAPTURES / "chrome-session.har").read_text(encoding="utf-8"))
    doc["log"]["entries"][0]["request"][field] = value
    path = tmp_path / "broken.har"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _one_line(replay(path, "--all"), fragment)


@pytest.mark.parametrize(
    "record",
    [
        '{"t": "nan", "conn": "c1", "event": "data", "dir": "c2s", "hex": "00"}',
        '{"t": 1e400, "conn": "c1", "event": "data", "dir": "c2s", "hex": "00"}',
        '{"t": 1, "conn": "c1", "event": "end", "reason": {"a": 1}}',
        '{"t": 1, "conn": "c1", "event": "open", "role": 5}',
    ],
)
def test_capture_fields_of_the_wrong_type(tmp_path: Path, record: str) -> None:
    path = tmp_path / "typed.jsonl"
    path.write_text(
        '{"format": "wsdebug-capture", "version": 1}\n' + record + "\n", encoding="utf-8"
    )
    _one_line(replay(path, "--all"), "line 2")
