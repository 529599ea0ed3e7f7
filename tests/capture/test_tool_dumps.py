"""tshark's and od's own output, made by the real tools from a real loopback connection.

A websockets client and echo server talk on 127.0.0.1 while tcpdump captures them; tshark then
prints that pcap with ``-x``, ``-x -V``, ``-z follow,tcp,hex,0`` and ``-z follow,tcp,raw,0``.
``replay`` of each dump must show exactly the frames ``replay`` of the pcap shows, and ``decode``
must read each one as its two directions.  Skipped (with the reason) without tcpdump or tshark,
or where capturing on lo is not permitted.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import wsdebug.cli
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Opcode

from .conftest import frames_of, json_events, replay
from .livecap import MESSAGES, capture_ws, need, tshark

DUMPS = {
    "x": ["-x"],
    "xV": ["-x", "-V"],
    "follow-hex": ["-q", "-z", "follow,tcp,hex,0"],
    "follow-raw": ["-q", "-z", "follow,tcp,raw,0"],
}


@pytest.fixture(scope="module")
def pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return capture_ws(tmp_path_factory.mktemp("cap") / "ws.pcap")


@pytest.fixture(scope="module")
def dumps(pcap: Path) -> dict[str, Path]:
    out = {}
    for name, args in DUMPS.items():
        path = pcap.with_name(f"{name}.txt")
        path.write_text(tshark("-r", str(pcap), *args))
        out[name] = path
    return out


def decode(*args: str) -> Any:
    return CliRunner().invoke(wsdebug.cli.app, ["decode", *args])


def wanted() -> list[bytes]:
    out = []
    for m in MESSAGES:
        out.append(m.encode() if isinstance(m, str) else m)
    return out


@pytest.mark.parametrize("name", list(DUMPS))
def test_replay_of_a_tshark_dump_is_the_replay_of_its_pcap(
    pcap: Path, dumps: dict[str, Path], name: str
) -> None:
    base = replay(pcap, "--json")
    assert base.exit_code == 0, base.stderr
    got = replay(dumps[name], "--json")
    assert got.exit_code == 0, got.stderr
    frames = frames_of(json_events(got))
    assert len(frames) == 2 * len(MESSAGES) + 2  # each message echoed, then the close frames
    assert frames == frames_of(json_events(base))
    handshake = [e for e in json_events(got) if e["event"] == "handshake"]
    assert handshake, "the HTTP upgrade in the dump is read as the handshake"


@pytest.mark.parametrize("name", list(DUMPS))
def test_decode_reads_both_directions_of_a_tshark_dump(dumps: dict[str, Path], name: str) -> None:
    result = decode("-f", str(dumps[name]), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    frames = doc["frames"]
    by_dir: dict[str, list[str]] = {}
    for f in frames:
        by_dir.setdefault(f["direction"], []).append(f["payload_hex"])
    want = [m.hex() for m in wanted()]
    assert by_dir["c2s"][: len(want)] == want  # the client's messages, unmasked
    assert by_dir["s2c"][: len(want)] == want  # the echoes
    assert all(f["masked"] == (f["direction"] == "c2s") for f in frames)


def test_a_tshark_dump_with_a_line_lost_is_one_line_exit_2(dumps: dict[str, Path]) -> None:
    lines = dumps["x"].read_text().splitlines()
    cut = next(i for i, ln in enumerate(lines) if ln.startswith("0010") and i > 40)
    broken = dumps["x"].with_name("broken.txt")
    broken.write_text("\n".join(lines[:cut] + lines[cut + 1 :]) + "\n")
    result = replay(broken)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "0020 should be 0010" in result.stderr
    result = decode("-f", str(broken))
    assert result.exit_code == 2 and "lines lost" in result.stderr


def od(data: bytes, tmp: Path, *args: str) -> str:
    exe = need("od")
    src = tmp / "frames.bin"
    src.write_bytes(data)
    return subprocess.run(
        [exe, *args, str(src)], capture_output=True, check=True, timeout=30
    ).stdout.decode()


@pytest.mark.parametrize(
    "args", [["-A", "x", "-t", "x1z"], ["-A", "x", "-t", "x1"], ["-A", "d", "-t", "x1z"]]
)
def test_od_dumps_decode_to_the_bytes_dumped(tmp_path: Path, args: list[str]) -> None:
    frames = (
        encode_frame(Opcode.TEXT, "héllo >od< *".encode(), mask_key=b"\x37\xfa\x21\x3d")
        + encode_frame(Opcode.BINARY, bytes(200), mask_key=b"\0\0\0\0")  # od prints '*'
        + encode_frame(Opcode.CLOSE, b"\x03\xe8bye", mask_key=b"abcd")
    )
    text = od(frames, tmp_path, *args)
    assert "*" in text.split("\n")
    got = decode(text, "--json")
    assert got.exit_code == 0, got.stdout + got.stderr
    want = decode(frames.hex(), "--json")
    assert json.loads(got.stdout) == json.loads(want.stdout)
    dump = tmp_path / "od.txt"
    dump.write_text(text)
    rep = replay(dump, "--json")
    assert rep.exit_code == 0, rep.stderr
    assert len(frames_of(json_events(rep))) == 3


def test_dumps_of_frame_bytes_one_after_another_are_not_taken_for_tshark() -> None:
    text = "0000  81 85 37 fa 21 3d 7f 9f 4d 51 58\n0000  81 05 48 65 6c 6c 6f\n"
    result = decode(text, "--json")  # offsets restart as in tshark -x, but no packet inside
    assert result.exit_code == 0, result.stderr
    assert [f["text"] for f in json.loads(result.stdout)["frames"]] == ["Hello", "Hello"]
