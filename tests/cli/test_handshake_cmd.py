"""``wsdebug handshake accept`` and ``wsdebug handshake check``: the seed's handshakes, exit codes.

Accept values are recomputed here with hashlib, independently of the codec.  The seed write-up
pairs the key mzrsVOiYogmzB8fYcyMBpw== with the Accept 0Cu1dAA7U6tFsJS4EVkIDLcvKDU=, but that key
truly gives DgVhR+pXLoBnNSxpwJh3UN0A76k=: the check must report the mismatch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wsdebug.cli import app
from wsdebug.codec.rules import Rule

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
from tests.vectors import (  # noqa: E402
    RFC_ACCEPT,
    RFC_KEY,
    SEED_ACCEPT,
    SEED_KEY,
    SEED_KEY_ACCEPT,
    SEED_PAGE_REQUEST,
    SEED_RESPONSE,
    SEED_WS_REQUEST,
)

RFC_RESPONSE = (
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    f"Sec-WebSocket-Accept: {RFC_ACCEPT}\r\n"
    "\r\n"
)


def accept_of(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def invoke(runner: CliRunner, *args: str, input: str | None = None):
    result = runner.invoke(app, ["handshake", *args], input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.stderr
    return result


def check_json(runner: CliRunner, text: str, *args: str, code: int) -> dict[str, Any]:
    result = invoke(runner, "check", "--json", *args, input=text)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stderr == ""
    return json.loads(result.stdout)


def flat(text: str) -> str:
    return " ".join(text.split())


def lf_only(text: str) -> str:
    """As pasted from a browser's dev tools or an e-mail: no CRs and no final empty line."""
    return text.replace("\r\n", "\n").rstrip("\n") + "\n"


def test_constants() -> None:
    assert accept_of(RFC_KEY) == RFC_ACCEPT
    assert accept_of(SEED_KEY) == SEED_KEY_ACCEPT != SEED_ACCEPT


# -- handshake accept ------------------------------------------------------------------------------


def test_accept_rfc_vector_step_by_step(runner: CliRunner) -> None:
    result = invoke(runner, "accept", RFC_KEY)
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    sha1 = hashlib.sha1((RFC_KEY + GUID).encode()).hexdigest()
    assert sha1 == "b37a4f2cc0624f1690f64606cf385945b2bec4ea"
    steps = [RFC_KEY + GUID, " ".join(sha1[i : i + 2] for i in range(0, 40, 2)), RFC_ACCEPT]
    positions = [out.find(s) for s in steps]
    assert -1 not in positions and positions == sorted(positions), positions  # in order
    assert "RFC 6455 §4.2.2" in out
    assert out.splitlines()[-1] == f"Sec-WebSocket-Accept: {RFC_ACCEPT}"


def test_accept_json(runner: CliRunner) -> None:
    result = invoke(runner, "accept", "--json", RFC_KEY)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "key": RFC_KEY,
        "concatenated": RFC_KEY + GUID,
        "sha1_hex": "b37a4f2cc0624f1690f64606cf385945b2bec4ea",
        "accept": RFC_ACCEPT,
        "key_problem": None,
    }


def test_accept_of_the_seed_key(runner: CliRunner) -> None:
    doc = json.loads(invoke(runner, "accept", "--json", SEED_KEY).stdout)
    assert doc["accept"] == SEED_KEY_ACCEPT  # not the write-up's 0Cu1...
    result = invoke(runner, "accept", "--plain", SEED_KEY)
    assert (
        result.exit_code == 0
        and SEED_KEY_ACCEPT in result.stdout
        and SEED_ACCEPT not in result.stdout
    )


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("abc", "'abc' is not valid base64"),
        ("dGhlIHNhbXBsZQ==", "decodes to 10 bytes, not 16"),
        (base64.b64encode(b"x" * 19).decode(), "decodes to 19 bytes, not 16"),
        ("dGhlIHNhbXBsZSBub25jZQ", "is not valid base64"),  # padding dropped
    ],
)
def test_accept_invalid_key(runner: CliRunner, key: str, why: str) -> None:
    result = invoke(runner, "accept", key)
    assert result.exit_code == 1
    assert accept_of(key) in result.stdout  # still computed: it shows what a server would answer
    assert re.search(rf"✗ the key is not valid: .*{re.escape(why)} — RFC 6455 §4\.1", result.stdout)
    doc = json.loads(invoke(runner, "accept", "--json", key).stdout)
    assert why in doc["key_problem"] and doc["accept"] == accept_of(key)
    plain = invoke(runner, "accept", "--plain", key)
    assert (
        plain.exit_code == 1
        and "x the key is not valid" in plain.stdout
        and "-- RFC 6455 §4.1" in plain.stdout
    )
    assert set(re.sub(r"[\x20-\x7e\n]", "", plain.stdout)) <= {"§"}  # ASCII boxes, no ✗ or —


def test_accept_needs_a_key(runner: CliRunner) -> None:
    result = invoke(runner, "accept")
    assert result.exit_code == 2 and result.stdout == ""


# -- handshake check: requests --------------------------------------------------------------------------


def test_seed_websocket_request_is_valid(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "request.txt"
    path.write_bytes(SEED_WS_REQUEST.encode("latin-1"))
    result = invoke(runner, "check", str(path))
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    assert "handshake request" in out and "valid WebSocket handshake request" in out
    assert f"expected Sec-WebSocket-Accept: {accept_of('vNtQ8bVSNRPL5p+xo1X5CA==')}" in out
    for name in (
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Extensions",
        "Upgrade",
        "Origin",
    ):
        assert name in out
    doc = check_json(runner, SEED_WS_REQUEST, code=0)
    assert (doc["kind"], doc["method"], doc["target"], doc["is_websocket"]) == (
        "request",
        "GET",
        "/",
        True,
    )
    assert (
        doc["key"] == "vNtQ8bVSNRPL5p+xo1X5CA==" and doc["problems"] == [] and doc["note"] is None
    )
    assert doc["expected_accept"] == accept_of("vNtQ8bVSNRPL5p+xo1X5CA==")
    head = SEED_WS_REQUEST.encode("latin-1")
    for h in doc["headers"]:  # offsets and sizes cover each header line with its CRLF
        assert head[
            h["offset"] : h["offset"] + h["size"]
        ] == f"{h['name']}: {h['value']}\r\n".encode("latin-1")


def test_seed_address_bar_request_is_plain_http(runner: CliRunner) -> None:
    result = invoke(runner, "check", "-", input=SEED_PAGE_REQUEST)
    assert result.exit_code == 1
    out = flat(result.stdout)
    assert "plain HTTP request without Upgrade: websocket" in out and "RFC 6455 §4.2.1" in out
    assert "address bar" in out
    assert (
        "Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key and Sec-WebSocket-Version: 13"
        in out
    )
    doc = check_json(runner, SEED_PAGE_REQUEST, code=1)
    assert doc["is_websocket"] is False and doc["key"] is None and doc["expected_accept"] is None
    assert [(p["rule"], p["offset"], p["rfc"]) for p in doc["problems"]] == [
        ("HANDSHAKE_NOT_WEBSOCKET", 0, "RFC 6455 §4.2.1")
    ]
    assert "address bar" in doc["note"]


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (("GET / HTTP/1.1", "POST / HTTP/1.1"), "HANDSHAKE_METHOD"),
        (("GET / HTTP/1.1", "GET / HTTP/1.0"), "HANDSHAKE_VERSION"),
        (("Host: 127.0.0.1:9000\r\n", ""), "HANDSHAKE_HOST"),
        (("Connection: Upgrade", "Connection: keep-alive"), "HANDSHAKE_CONNECTION"),
        (("Upgrade: websocket", "Upgrade: h2c"), "HANDSHAKE_UPGRADE"),
        (("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"), "HANDSHAKE_WS_VERSION"),
        (("vNtQ8bVSNRPL5p+xo1X5CA==", "not-a-key"), "HANDSHAKE_KEY"),
        (("Origin:", "Host: example.org\r\nOrigin:"), "HANDSHAKE_DUPLICATE"),
    ],
)
def test_request_problems(runner: CliRunner, change: tuple[str, str], rule: str) -> None:
    text = SEED_WS_REQUEST.replace(*change)
    doc = check_json(runner, text, code=1)
    assert rule in [p["rule"] for p in doc["problems"]]
    result = invoke(runner, "check", input=text)
    assert result.exit_code == 1 and "problem(s)" in result.stdout
    assert Rule[rule].summary in flat(result.stdout) and Rule[rule].section in flat(result.stdout)


# -- handshake check: responses ---------------------------------------------------------------------------


def test_seed_response_with_the_seed_key_is_a_mismatch(runner: CliRunner) -> None:
    result = invoke(runner, "check", "--key", SEED_KEY, input=SEED_RESPONSE)
    assert result.exit_code == 1
    out = flat(result.stdout)
    assert "Sec-WebSocket-Accept does not match the key" in out and "RFC 6455 §4.1" in out
    assert f"expected {SEED_KEY_ACCEPT}, got {SEED_ACCEPT}" in out
    assert f"expected Sec-WebSocket-Accept: {SEED_KEY_ACCEPT}" in out
    doc = check_json(runner, SEED_RESPONSE, "--key", SEED_KEY, code=1)
    assert (doc["kind"], doc["status"], doc["expected_accept"]) == (
        "response",
        101,
        SEED_KEY_ACCEPT,
    )
    assert [(p["rule"], p["rfc"]) for p in doc["problems"]] == [
        ("HANDSHAKE_ACCEPT", "RFC 6455 §4.1")
    ]
    accept = next(h for h in doc["headers"] if h["name"] == "Sec-WebSocket-Accept")
    assert (
        accept["offset"]
        == doc["problems"][0]["offset"]
        == SEED_RESPONSE.index("Sec-WebSocket-Accept")
    )
    assert "does NOT match" in accept["meaning"] and accept["problems"] == doc["problems"]


def test_seed_response_with_the_right_accept_is_valid(runner: CliRunner) -> None:
    fixed = SEED_RESPONSE.replace(SEED_ACCEPT, SEED_KEY_ACCEPT)
    result = invoke(runner, "check", "--key", SEED_KEY, input=fixed)
    assert result.exit_code == 0 and "valid WebSocket handshake response" in result.stdout
    assert "matches" in result.stdout
    doc = check_json(runner, RFC_RESPONSE, "--key", RFC_KEY, code=0)
    assert doc["problems"] == [] and doc["expected_accept"] == RFC_ACCEPT


def test_response_without_key_does_not_check_accept(runner: CliRunner) -> None:
    result = invoke(runner, "check", input=SEED_RESPONSE)
    assert result.exit_code == 0
    out = flat(result.stdout)
    assert "no --key given: the Accept value was not checked" in out
    assert "valid WebSocket handshake response" in out
    assert "does NOT match" not in out and "does not match" not in out and "✗" not in out
    doc = check_json(runner, SEED_RESPONSE, code=0)
    assert doc["problems"] == [] and doc["expected_accept"] is None and "not checked" in doc["note"]
    assert all(h["problems"] == [] for h in doc["headers"])
    accept = next(h for h in doc["headers"] if h["name"] == "Sec-WebSocket-Accept")
    assert "NOT" not in accept["meaning"]


def test_response_problems(runner: CliRunner) -> None:
    refused = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    doc = check_json(runner, refused, "--key", RFC_KEY, code=1)
    assert [p["rule"] for p in doc["problems"]] == ["HANDSHAKE_STATUS"]
    no_upgrade = RFC_RESPONSE.replace("Upgrade: websocket\r\n", "")
    doc = check_json(runner, no_upgrade, "--key", RFC_KEY, code=1)
    assert [p["rule"] for p in doc["problems"]] == ["HANDSHAKE_UPGRADE"]
    doc = check_json(runner, no_upgrade, code=1)  # found without --key too
    assert [p["rule"] for p in doc["problems"]] == ["HANDSHAKE_UPGRADE"]


# -- pasted text, files and standard input -----------------------------------------------------------------


STATUS = {SEED_WS_REQUEST: 0, SEED_PAGE_REQUEST: 1, SEED_RESPONSE: 1, RFC_RESPONSE: 0}


@pytest.mark.parametrize(
    ("text", "args"),
    [
        (SEED_WS_REQUEST, []),
        (SEED_PAGE_REQUEST, []),
        (SEED_RESPONSE, ["--key", SEED_KEY]),
        (RFC_RESPONSE, []),
    ],
    ids=["ws request", "page request", "seed response", "rfc response"],
)
def test_crlf_less_paste_reads_the_same(runner: CliRunner, text: str, args: list[str]) -> None:
    with_crlf = check_json(runner, text, *args, code=STATUS[text])
    for pasted in (lf_only(text), lf_only(text).rstrip("\n"), "\n" + lf_only(text) + "\n\n"):
        assert check_json(runner, pasted, *args, code=STATUS[text]) == with_crlf


def test_file_dash_and_stdin_agree(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "response.txt"
    path.write_text(lf_only(SEED_RESPONSE), encoding="latin-1")
    by_file = invoke(runner, "check", "--json", "--key", SEED_KEY, str(path))
    by_dash = invoke(runner, "check", "--json", "--key", SEED_KEY, "-", input=SEED_RESPONSE)
    by_stdin = invoke(runner, "check", "--json", "--key", SEED_KEY, input=SEED_RESPONSE)
    assert by_file.exit_code == by_dash.exit_code == by_stdin.exit_code == 1
    assert json.loads(by_file.stdout) == json.loads(by_dash.stdout) == json.loads(by_stdin.stdout)


def test_unreadable_or_empty_input(runner: CliRunner, tmp_path: Path) -> None:
    for result in (
        invoke(runner, "check", str(tmp_path / "missing.txt")),
        invoke(runner, "check", str(tmp_path)),
    ):
        assert result.exit_code == 2 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(
            "wsdebug: cannot read "
        )
    for text in ("", "\n\n", "  \r\n"):
        result = invoke(runner, "check", input=text)
        assert result.exit_code == 2 and result.stdout == ""
        assert (
            result.stderr.startswith("wsdebug: no input") and len(result.stderr.splitlines()) == 1
        )


def test_garbage_is_a_malformed_request(runner: CliRunner) -> None:
    doc = check_json(runner, "hello there\n", code=1)
    assert "HANDSHAKE_MALFORMED" in [p["rule"] for p in doc["problems"]]


def test_plain_check_is_ascii(runner: CliRunner) -> None:
    for text, args in ((SEED_RESPONSE, ["--key", SEED_KEY]), (SEED_PAGE_REQUEST, [])):
        result = invoke(runner, "check", "--plain", *args, input=text)
        assert result.exit_code == 1 and "\x1b" not in result.stdout
        assert set(re.sub(r"[\x20-\x7e\n]", "", result.stdout)) <= {"§"}, result.stdout
        assert re.search(
            r"x offset 0x[0-9a-f]{4}: .* -- RFC 6455 §4", flat(result.stdout.replace("|", " "))
        )


def test_subprocess_pipe_and_exit_statuses() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "WSDEBUG_TRACEBACK")
    }
    env.update(COLUMNS="120", PYTHONIOENCODING="utf-8", NO_COLOR="1")

    def run(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wsdebug", "handshake", *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=30,
            check=False,
        )

    ok = run("check", stdin=lf_only(SEED_WS_REQUEST))
    assert (ok.returncode, ok.stderr) == (0, "") and "\x1b" not in ok.stdout
    bad = run("check", "--key", SEED_KEY, "-", stdin=SEED_RESPONSE)
    assert bad.returncode == 1 and SEED_KEY_ACCEPT in bad.stdout and bad.stderr == ""
    empty = run("check", stdin="")
    assert empty.returncode == 2 and empty.stdout == "" and empty.stderr.count("\n") == 1
