"""wss:// in a pcap, decrypted with the key log Node writes: a Node ``ws`` client and server on
127.0.0.1 (tests/capture/node_wss_echo.js), the client's keys written through its https.Agent's
'keylog' event or by ``node --tls-keylog=FILE``, captured by tcpdump on lo in the test.  And a
TLS 1.3 session whose keys are updated: ``openssl s_client`` (its ``K``/``k`` commands send a
KeyUpdate) against the Node server, whose ``--tls-keylog`` holds only the first secrets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from wsdebug.capture.tls import KEYLOG_TAIL

from .conftest import json_events, replay
from .livecap import Tcpdump, free_port, need
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


def capture_node(
    tmp: Path, case: str, *, certificate: tuple[Path, Path] | None = None, **extra: Any
) -> tuple[Path, Path, dict[str, Any]]:
    """A pcap of one Node wss:// session, its key log and what the Node client reported;
    ``extra`` goes into the script's configuration."""
    node = _node()
    flag, max_version, ciphers, deflate = CASES[case]
    cert, key = certificate or _certificate(tmp)
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
                **extra,
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
    compressed = {e["compressed"] for e in events if e["event"] == "message"}
    assert compressed == {"deflate" in case}  # permessage-deflate inflated, when agreed


def test_a_long_lived_key_log_is_read_from_its_end(tmp_path: Path) -> None:
    """SSLKEYLOGFILE kept for weeks holds more than wsdebug reads; the newest sessions (this
    one) are at its end."""
    pcap, keylog, _ = capture_node(tmp_path, "tls1.3-event")
    old = b"CLIENT_RANDOM " + b"ab" * 32 + b" " + b"cd" * 48 + b"\n"  # other sessions
    grown = tmp_path / "grown.log"
    with grown.open("wb") as fh:
        fh.write(old * (KEYLOG_TAIL // len(old) + 1000))
        fh.write(keylog.read_bytes())
    result = replay(pcap, "--json", "--keylog", grown)
    assert result.exit_code == 0, result.stderr
    events = json_events(result)
    assert messages(events, "c2s") == MESSAGES
    assert messages(events, "s2c") == MESSAGES


def _padded_certificate(tmp: Path) -> tuple[Path, Path]:
    """A certificate with 3000 bytes of 0x14 (a Finished message's type) in an extension."""
    cert, key = _certificate(tmp)
    original = x509.load_pem_x509_certificate(cert.read_bytes())
    private = serialization.load_pem_private_key(key.read_bytes(), None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(original.subject)
        .issuer_name(original.issuer)
        .public_key(original.public_key())
        .serial_number(original.serial_number)
        .not_valid_before(original.not_valid_before_utc)
        .not_valid_after(original.not_valid_after_utc)
    )
    for ext in original.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    padding = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x14" * 3000
    )
    padded = builder.add_extension(padding, critical=False).sign(private, hashes.SHA256())
    cert.write_bytes(padded.public_bytes(serialization.Encoding.PEM))
    return cert, key


def test_handshake_messages_spanning_records_are_followed(tmp_path: Path) -> None:
    """The server's Certificate in 512-byte records: the records after the first begin inside
    it, with bytes that read as a Finished message if taken for the start of one."""
    pcap, keylog, report = capture_node(
        tmp_path, "tls1.3-event", certificate=_padded_certificate(tmp_path), maxSendFragment=512
    )
    result = replay(pcap, "--json", "--keylog", keylog)
    assert result.exit_code == 0, result.stderr
    events = json_events(result)
    notes = " ".join(e["message"] for e in events if e["event"] == "note")
    assert "failed authentication" not in notes, notes
    assert messages(events, "c2s") == MESSAGES
    assert messages(events, "s2c") == MESSAGES


class _Output:
    """A pipe read in a thread, so the test can wait for what a peer has printed."""

    def __init__(self, pipe: Any) -> None:
        self.data = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe: Any) -> None:
        for chunk in iter(lambda: pipe.read1(65536), b""):
            with self.lock:
                self.data += chunk

    def wait(self, marker: bytes, after: int = 0, timeout: float = 10) -> int:
        """Where ``marker`` ends, once it has been printed at or after ``after``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                at = self.data.find(marker, after)
            if at >= 0:
                return at + len(marker)
            time.sleep(0.02)
        raise AssertionError(f"{marker!r} was not printed; got {bytes(self.data[-500:])!r}")


UPDATED: list[str | bytes] = ["before the key update", b"\x00\x01after K\xff", "after k"]


def test_a_key_update_moves_on_to_the_next_traffic_secret(tmp_path: Path) -> None:
    from websockets.frames import Frame, Opcode

    node, openssl = _node(), need("openssl")
    cert, key = _certificate(tmp_path)
    keylog, pcap, port = tmp_path / "node-keys.log", tmp_path / "keyupdate.pcap", free_port()
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {"port": port, "cert": str(cert), "key": str(key), "keylog": None}
            | {"maxVersion": "TLSv1.3", "ciphers": None, "deflate": False, "serverOnly": True}
        )
    )
    env = {**os.environ, "WSDEBUG_NODE_WS": str(NODE_WS)}
    request = (
        f"GET /keyupdate HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    with Tcpdump(pcap, port):
        server = subprocess.Popen(
            [node, f"--tls-keylog={keylog}", str(SCRIPT), str(config)],
            stdout=subprocess.PIPE,
            env=env,
        )
        client = None
        try:
            assert server.stdout is not None and server.stdout.readline() == b"listening\n"
            client = subprocess.Popen(
                [openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_3"]
                + ["-CAfile", str(cert), "-no_ign_eof"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            assert client.stdin is not None
            out, err = _Output(client.stdout), _Output(client.stderr)
            at = out.wait(b"---\n", out.wait(b"Verify return code: 0 (ok)"))
            client.stdin.write(request)
            client.stdin.flush()
            at = out.wait(b"\r\n\r\n", out.wait(b"101 Switching Protocols", at))
            updates = 0
            for m, command in zip(UPDATED, [b"", b"K\n", b"k\n"], strict=True):
                if command:  # K: update and ask the server to update too; k: only the client
                    client.stdin.write(command)
                    client.stdin.flush()
                    updates = err.wait(b"KEYUPDATE", updates)
                op, data = (Opcode.BINARY, m) if isinstance(m, bytes) else (Opcode.TEXT, m.encode())
                client.stdin.write(Frame(op, data).serialize(mask=True))
                client.stdin.flush()
                at = out.wait(data, at)  # the echo
            client.stdin.write(Frame(Opcode.CLOSE, b"\x03\xe8done").serialize(mask=True))
            client.stdin.flush()
            out.wait(b"\x03\xe8done", at)
            client.stdin.close()
            client.wait(10)
            server.wait(10)
        finally:
            for proc in (client, server):
                if proc is not None and proc.poll() is None:
                    proc.kill()
                    proc.wait()

    result = replay(pcap, "--json", "--keylog", keylog)
    assert result.exit_code == 0, result.stderr
    events = json_events(result)
    notes = " ".join(e["message"] for e in events if e["event"] == "note")
    assert "failed authentication" not in notes, notes
    assert messages(events, "c2s") == UPDATED
    assert messages(events, "s2c") == UPDATED
    closes = [e for e in events if e["event"] == "close"]
    assert closes and closes[0]["code"] == 1000 and closes[0]["clean"]
