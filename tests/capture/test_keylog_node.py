"""wss:// in a pcap, decrypted with the key log Node writes: a Node ``ws`` client and server on
127.0.0.1 (tests/capture/node_wss_echo.js), the client's keys written through its https.Agent's
'keylog' event or by ``node --tls-keylog=FILE``, captured by tcpdump on lo in the test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import json_events, replay
from .livecap import Tcpdump, free_port
from .test_tls import _certificate

NODE_WS = Path(os.environ.get("WSDEBUG_NODE_WS", "/tmp/nodews"))
SCRIPT = Path(__file__).with_name("node_wss_echo.js")
TEXT, BINARY = "hello from Node, 厉害了", bytes(range(256)) + b"\x00\xff" * 700
MESSAGES: list[str | bytes] = [TEXT, BINARY, "x" * 2000]

# case: (--tls-keylog rather than the 'keylog' event, maxVersion, ciphers, permessage-deflate)
CASES = {
    "tls1.3-event": (False, "TLSv1.3", None, False),
    "tls1.3-chacha20-flag-deflate": (True, "TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256", True),
    "tls1.2-aes256gcm-event": (False, "TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384", False),
    "tls1.2-chacha20-flag": (True, "TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305", False),
}


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian: apt-get install nodejs)")
    if not (NODE_WS / "node_modules" / "ws").is_dir():
        pytest.skip(
            f"Node ws is not installed at {NODE_WS / 'node_modules' / 'ws'} "
            "(npm install ws --prefix /tmp/nodews, or set WSDEBUG_NODE_WS; .ci/run does this)"
        )
    return node


def _wire(m: str | bytes) -> dict[str, str]:
    return {"binary": m.hex()} if isinstance(m, bytes) else {"text": m}


def capture_node(tmp: Path, case: str) -> tuple[Path, Path, dict[str, Any]]:
    """A pcap of one Node wss:// session, its key log and what the Node client reported."""
    node = _node()
    flag, max_version, ciphers, deflate = CASES[case]
    cert, key = _certificate(tmp)
    keylog, pcap, port = tmp / "node-keys.log", tmp / "node-wss.pcap", free_port()
    config = tmp / "config.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "cert": str(cert),
                "key": str(key),
                "keylog": None if flag else str(keylog),
                "maxVersion": max_version,
                "ciphers": ciphers,
                "deflate": deflate,
                "messages": [_wire(m) for m in MESSAGES],
            }
        )
    )
    args = [node, *([f"--tls-keylog={keylog}"] if flag else []), str(SCRIPT), str(config)]
    env = {**os.environ, "WSDEBUG_NODE_WS": str(NODE_WS)}
    env.pop("SSLKEYLOGFILE", None)
    with Tcpdump(pcap, port):
        done = subprocess.run(args, capture_output=True, timeout=30, env=env, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["echoed"] == [_wire(m) for m in MESSAGES]  # the session itself worked
    return pcap, keylog, report


def messages(events: list[dict[str, Any]], direction: str) -> list[str | bytes]:
    out: list[str | bytes] = []
    for e in events:
        if e["event"] == "message" and e["direction"] == direction:
            out.append(e["text"] if e["opcode_name"] == "TEXT" else bytes.fromhex(e["payload_hex"]))
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_node_wss_decrypts_with_the_key_log_node_wrote(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pcap, keylog, report = capture_node(tmp_path, case)
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)

    locked = replay(pcap, "--json")  # no key log: named as TLS that needs one, not garbage
    assert locked.exit_code == 2
    assert "TLS" in locked.stderr and "--keylog" in locked.stderr
    assert locked.stdout == ""

    result = replay(pcap, "--json", "--keylog", keylog)
    assert result.exit_code == 0, result.stderr
    events = json_events(result)
    assert messages(events, "c2s") == MESSAGES
    assert messages(events, "s2c") == MESSAGES
    closes = [e for e in events if e["event"] == "close"]
    assert closes and closes[0]["code"] == 1000 and closes[0]["reason"] == "done"
    notes = " ".join(e["message"] for e in events if e["event"] == "note")
    version = report["version"].replace("TLSv", "TLS ")  # what Node says it negotiated
    assert f"{version}, cipher suite {report['cipher']} (0x" in notes, notes
    assert "failed authentication" not in notes
    assert ("CHACHA20" in report["cipher"]) == ("chacha20" in case), report
