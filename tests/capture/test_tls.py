"""wss:// in a pcap, decrypted with the key log Python's ssl writes (SSLContext.keylog_filename):
a websockets client and server on 127.0.0.1 over TLS 1.3 and TLS 1.2 (AES-GCM, ChaCha20-Poly1305),
captured by tcpdump on lo in the test."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import json_events, replay
from .livecap import MESSAGES, Tcpdump, free_port


def _certificate(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def _session(port: int, server: ssl.SSLContext, client: ssl.SSLContext) -> None:
    import websockets

    async def echo(ws: Any) -> None:
        async for msg in ws:
            await ws.send(msg)

    async with (
        websockets.serve(echo, "127.0.0.1", port, ssl=server, compression=None),
        websockets.connect(f"wss://127.0.0.1:{port}/tls", ssl=client, compression=None) as ws,
    ):
        for m in MESSAGES:
            await ws.send(m)
            await ws.recv()


def capture_wss(tmp: Path, version: str, ciphers: str | None) -> tuple[Path, Path]:
    cert, key = _certificate(tmp)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cert)
    keylog = tmp / f"keys-{version}.log"
    client.keylog_filename = str(keylog)
    if version == "1.2":
        client.maximum_version = ssl.TLSVersion.TLSv1_2
    if ciphers:
        client.set_ciphers(ciphers)
    pcap = tmp / f"wss-{version}.pcap"
    port = free_port()
    with Tcpdump(pcap, port):
        asyncio.run(_session(port, server, client))
    return pcap, keylog


CASES = {
    "tls1.3": ("1.3", None),
    "tls1.2-aes128gcm": ("1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"),
    "tls1.2-chacha20": ("1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"),
}


def texts(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(e["direction"], e.get("text")) for e in events if e["event"] == "message"]


@pytest.mark.parametrize("case", list(CASES))
def test_wss_in_a_pcap_decrypts_with_the_key_log(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    version, ciphers = CASES[case]
    pcap, keylog = capture_wss(tmp_path, version, ciphers)
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    locked = replay(pcap)
    assert locked.exit_code == 2 and "TLS" in locked.stderr and "--keylog" in locked.stderr
    result = replay(pcap, "--json", "--keylog", keylog)
    assert result.exit_code == 0, result.stderr
    events = json_events(result)
    frames = [e for e in events if e["event"] == "frame"]
    assert len(frames) == 2 * len(MESSAGES) + 2
    text_messages = [m for m in MESSAGES if isinstance(m, str)]
    got = [t for d, t in texts(events) if d == "c2s" and t is not None]
    assert got == text_messages
    notes = " ".join(e["message"] for e in events if e["event"] == "note")
    assert f"TLS {version}" in notes
    monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))  # the environment, as browsers use it
    assert frames == [e for e in json_events(replay(pcap, "--json")) if e["event"] == "frame"]


def test_a_session_missing_from_the_key_log_is_named(tmp_path: Path) -> None:
    pcap, _ = capture_wss(tmp_path, "1.3", None)
    other = tmp_path / "other.log"
    other.write_text("CLIENT_RANDOM " + "00" * 32 + " " + "11" * 48 + "\n")
    result = replay(pcap, "--keylog", other)
    assert result.exit_code == 2
    assert "no secrets in the key log" in result.stderr and "client random" in result.stderr
    missing = replay(pcap, "--keylog", tmp_path / "nope.log")
    assert missing.exit_code == 2 and "cannot read the key log" in missing.stderr
