"""``wsdebug explain`` and ``handshake accept --lang``: the numbered steps, in both languages.

Frames are the RFC 6455 §5.7 examples and the seed's 厉害了; every expected number is written
out here by hand (the way the write-up works it), not taken from the codec.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.vectors import RFC_ACCEPT, RFC_KEY, SEED_WIRE
from wsdebug.cli import app
from wsdebug.ui.i18n import pick_lang

SEED = SEED_WIRE.hex(" ")


def run(runner: CliRunner, *args: str, env: dict[str, str | None] | None = None):
    result = runner.invoke(app, list(args), env=env)
    assert "Traceback" not in result.output
    return result


def steps(output: str) -> dict[int, str]:
    """The text of each numbered step, by number."""
    parts = re.split(r"^(\d+)\. ", output, flags=re.M)
    return {int(parts[i]): " ".join(parts[i + 1].split()) for i in range(1, len(parts) - 1, 2)}


def test_seed_frame_in_english(runner: CliRunner) -> None:
    r = run(runner, "explain", "--from", "client", SEED)
    assert r.exit_code == 0, r.output
    s = steps(r.output)
    assert "Frame 1: 15 bytes, sent by the client" in r.output
    assert "Byte 0 = 0x81 = 1000 0001" in s[1]
    assert "FIN, the highest bit, is 1" in s[1] and "0001 = 0x1: text frame" in s[1]
    assert "Byte 1 = 0x89 = 1000 1001" in s[2] and "MASK, the highest bit, is 1" in s[2]
    assert "0001001 = 9" in s[2] and "9 ≤ 125: the first case" in s[2]
    assert "Bytes 2-5: the masking key" in s[3] and "bc b8 2c b5" in s[3]
    # the XOR, byte by byte: 0x59 ^ 0xbc = 0xe5, ..., 0x3a ^ 0xbc = 0x86
    assert "Bytes 6-14" in s[4]
    assert "0x59 XOR 0xbc = 01011001 ⊕ 10111100 = 11100101 = 0xe5" in s[4]
    for i, (m, k, x) in enumerate(
        [("59", "bc", "e5"), ("36", "b8", "8e"), ("a5", "2c", "89"), ("3a", "bc", "86")]
    ):
        row = 8 if i == 3 else i
        assert re.search(rf"\b{row} {m} {k} {x}\b", s[4]), s[4]
    assert "e5 8e 89 厉 U+5389" in s[5] and "e5 ae b3 害 U+5BB3" in s[5]
    assert "e4 ba 86 了 U+4E86" in s[5] and "The text: 厉害了" in s[5]
    assert "Every rule of RFC 6455 holds" in s[6]


def test_seed_frame_in_chinese(runner: CliRunner) -> None:
    r = run(runner, "explain", "--lang", "zh", "--from", "client", SEED)
    assert r.exit_code == 0, r.output
    s = steps(r.output)
    assert "第 1 帧:共 15 字节,由客户端发送" in r.output
    assert "字节 0 = 0x81 = 1000 0001" in s[1] and "FIN 是 1" in s[1]
    assert "操作码" in s[1] and "0001 = 0x1,文本帧" in s[1]
    assert "MASK 是 1" in s[2] and "掩码" in s[2] and "0001001 = 9" in s[2]
    assert "第一种情况" in s[2] and "负载长度就是 9 字节" in s[2]
    assert "字节 2-5:掩码键" in s[3] and "bc b8 2c b5" in s[3]
    assert "0x59 XOR 0xbc" in s[4] and re.search(r"\b8 3a bc 86\b", s[4])
    assert "e5 8e 89 厉 U+5389" in s[5] and "得到的文本:厉害了" in s[5]
    assert "符合 RFC 6455 的全部规则" in s[6]


def test_locale_picks_chinese(runner: CliRunner) -> None:
    r = run(runner, "explain", SEED, env={"LANG": "zh_CN.UTF-8"})
    assert "第 1 帧" in r.output and "未说明发送方" in r.output
    r = run(runner, "explain", SEED, env={"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"})
    assert "Frame 1" in r.output
    assert pick_lang(None, {}) == "en"
    assert pick_lang("ZH", {"LANG": "en_US"}) == "zh"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rfc_examples(runner: CliRunner, lang: str) -> None:
    # RFC 6455 §5.7: unmasked "Hello", masked "Hello", the fragmented "Hel" + "lo"
    r = run(runner, "explain", "--lang", lang, "81 05 48 65 6c 6c 6f")
    assert r.exit_code == 0
    assert "0000101 = 5" in r.output
    assert ("MASK, the highest bit, is 0" if lang == "en" else "MASK 是 0") in r.output
    assert "48 65 6c 6c 6f" not in steps(r.output)[4]  # nothing to XOR: no table
    assert "6c 6c" not in r.output.split("U+0048")[0].split("UTF-8")[-1]
    assert re.search(r"6f o U\+006F", " ".join(r.output.split()))
    r = run(
        runner, "explain", "--lang", lang, "--from", "client", "81 85 37 fa 21 3d 7f 9f 4d 51 58"
    )
    flat = " ".join(r.output.split())
    assert r.exit_code == 0 and "37 fa 21 3d" in flat
    assert re.search(r"\b0 7f 37 48\b", flat) and re.search(r"\b4 58 37 6f\b", flat)
    assert "0x7f XOR 0x37 = 01111111 ⊕ 00110111 = 01001000 = 0x48" in flat
    r = run(runner, "explain", "--lang", lang, "01 03 48 65 6c 80 02 6c 6f")
    flat = " ".join(r.output.split())
    assert r.exit_code == 0
    fin0 = "FIN, the highest bit, is 0" if lang == "en" else "FIN 是 0"
    assert fin0 in flat and ("0x0: continuation" if lang == "en" else "0x0,延续帧") in flat
    assert ("Frame 2" if lang == "en" else "第 2 帧") in flat


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_extended_lengths(runner: CliRunner, lang: str) -> None:
    # RFC 6455 §5.7: 256 bytes of binary data (16-bit length), 64 KiB (64-bit length)
    r = run(runner, "explain", "--lang", lang, "82 7e 01 00" + " 00" * 256)
    flat = " ".join(r.output.split())
    assert r.exit_code == 0
    assert "1111110 = 126" in flat
    assert ("126: the second case" if lang == "en" else "126,属于第二种情况") in flat
    assert "01 00" in flat and "0x100 = 256" in flat
    hexdata = "82 7f 00 00 00 00 00 01 00 00 " + "00" * 65536
    r = run(runner, "explain", "--lang", lang, hexdata)
    flat = " ".join(r.output.split())
    assert r.exit_code == 0 and "1111111 = 127" in flat
    assert "00 00 00 00 00 01 00 00" in flat and "0x10000 = 65536" in flat


def test_long_masked_payload_is_summarised(runner: CliRunner) -> None:
    r = run(runner, "explain", "--from", "client", "81 94 00 00 00 00" + " 61" * 20)
    flat = " ".join(r.output.split())
    assert re.search(r"\b7 61 00 61\b", flat) and not re.search(r"\b8 61 00 61\b", flat)
    assert "and 12 more bytes, the same way" in flat


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_close_frame(runner: CliRunner, lang: str) -> None:
    # close 1001 "bye", masked with 37 fa 21 3d
    payload = bytes.fromhex("03e9") + b"bye"
    key = bytes.fromhex("37fa213d")
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    r = run(
        runner, "explain", "--lang", lang, "--from", "client", "88 85 37 fa 21 3d " + masked.hex()
    )
    flat = " ".join(r.output.split())
    assert r.exit_code == 0
    assert ("03 e9" in flat) and (
        "1001 = going away" in flat if lang == "en" else "1001,即离开" in flat
    )
    assert "'bye'" in flat


def test_problems_are_listed(runner: CliRunner) -> None:
    # RSV2 set, reserved opcode 0x3, unmasked from a client
    r = run(runner, "explain", "--from", "client", "a3 00")
    assert r.exit_code == 1
    flat = " ".join(r.output.split())
    assert "This frame breaks" in flat and "✗ byte 0" in flat and "RFC 6455 §5" in flat
    assert "reserved for future non-control frames" in flat


def test_payload_text_stays_inert(runner: CliRunner) -> None:
    evil = "\x1b[31mred\u202e\x07".encode()
    frame = bytes([0x81, len(evil)]) + evil
    r = run(runner, "explain", frame.hex())
    assert r.exit_code == 0
    assert "\x1b" not in r.output and "\u202e" not in r.output and "\x07" not in r.output
    assert "\\x1b[31mred\\u202e\\x07" in r.output
    reason = b"\x03\xe8" + b"\x1b]0;pwn\x07"
    r = run(runner, "explain", (bytes([0x88, len(reason)]) + reason).hex())
    assert "\x1b" not in r.output and "\\x1b]0;pwn\\x07" in r.output


def test_bad_input(runner: CliRunner) -> None:
    r = run(runner, "explain", "zz")
    assert r.exit_code == 2 and "unreadable input" in r.output
    r = run(runner, "explain", "--lang", "fr", "81 00")
    assert r.exit_code == 2 and "--lang must be en or zh" in r.output
    r = run(runner, "explain", "81 85 37")
    assert r.exit_code == 1 and "8 more byte(s)" in r.output


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["16 random bytes", "Append the fixed GUID", "SHA-1", "Base64 of the 20"]),
        ("zh", ["16 个随机字节", "拼接", "SHA-1", "base64,就是答案"]),
    ],
)
def test_handshake_accept_steps(runner: CliRunner, lang: str, expected: list[str]) -> None:
    r = run(runner, "handshake", "accept", "--lang", lang, RFC_KEY)
    assert r.exit_code == 0
    s = steps(r.output)
    assert RFC_KEY in s[1] and expected[0] in s[1]
    assert RFC_KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" in s[2] and expected[1] in s[2]
    assert "b3 7a 4f 2c c0 62 4f 16 90 f6 46 06 cf 38 59 45 b2 be c4 ea" in s[3]
    assert f"Sec-WebSocket-Accept: {RFC_ACCEPT}" in s[4] and expected[3] in s[4]
    r = run(runner, "handshake", "accept", "--lang", lang, "not base64!")
    assert r.exit_code == 1 and "✗" in r.output


def test_handshake_accept_default_unchanged(runner: CliRunner) -> None:
    r = run(runner, "handshake", "accept", RFC_KEY)
    assert "1. key from the client" in r.output  # the table, as before
    r = run(runner, "handshake", "accept", RFC_KEY, env={"LANG": "zh_CN.UTF-8"})
    assert "客户端发来的 Sec-WebSocket-Key" in r.output


def _luminance(hex_colour: str) -> float:
    def lin(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def test_export_svg_is_projector_readable(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "seed.svg"
    r = runner.invoke(
        app,
        ["explain", "--from", "client", "--export-svg", str(out), SEED],
        env={"FORCE_COLOR": "1", "COLUMNS": "80", "LANG": "C.UTF-8"},
    )
    assert r.exit_code == 0, r.output
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    text = "".join(root.itertext()).replace("\xa0", " ")
    assert "厉" in text and "masking key" in text and "bc b8 2c b5" in text
    style = "".join(e.text or "" for e in root.iter() if e.tag.endswith("style"))
    background = [e.get("fill") for e in root.iter() if e.tag.endswith("rect") and e.get("fill")][0]
    assert background is not None and background.lower() == "#ffffff"
    fills = set(re.findall(r"fill:\s*#([0-9a-fA-F]{6})", style))
    assert fills, style
    for fill in fills:  # every text colour keeps 3:1 contrast against the white page
        assert (1.05) / (_luminance(fill) + 0.05) >= 3.0, fill
    size = re.search(r"font-size:\s*(\d+)px", style)
    assert size is not None and int(size.group(1)) >= 18


# "厉害了" compressed (permessage-deflate) and masked with 37 fa 21 3d, as `encode --deflate` makes it
DEFLATED = "c1 8c 37 fa 21 3d 4d 20 f6 c4 43 27 c7 1a 8c 20 21 3d"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compressed_frame(runner: CliRunner, lang: str) -> None:
    r = run(runner, "explain", "--lang", lang, "--from", "client", "--deflate", DEFLATED)
    flat = " ".join(r.output.split())
    assert r.exit_code == 0, r.output
    assert (
        "12 payload bytes are compressed" if lang == "en" else "12 个字节的负载是压缩过的"
    ) in flat
    assert "e5 8e 89 厉 U+5389" in flat and "e4 ba 86 了 U+4E86" in flat
    r = run(runner, "explain", "--lang", lang, "--from", "client", DEFLATED)
    flat = " ".join(r.output.split())
    assert r.exit_code == 1 and "--deflate" in flat
    assert "RFC 6455 RFC" not in flat and "(RFC 6455 §5.2)" in flat
    assert ("must fail the connection (1007)" if lang == "en" else "1007") not in flat.split("✗")[0]
