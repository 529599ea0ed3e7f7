"""wss:// in a pcap, decrypted with the key log headless Chromium writes to ``SSLKEYLOGFILE``.

A page served over http://127.0.0.1 (a data: URL is a public origin, and Chromium's local
network access checks refuse its WebSocket to 127.0.0.1) opens ``wss://127.0.0.1:PORT`` to a
``websockets`` echo server that writes no key log; Chromium trusts the server's generated
certificate through ``--ignore-certificate-errors-spki-list``.  The page sends a text, a small
binary and a 40 KB random binary message (several TLS records; Chromium offers
permessage-deflate and the server accepts it), each after the echo of the one before, then
closes with 1000 "done"; then it does the same on a second connection, which resumes the TLS
session (a PSK handshake without the certificate in TLS 1.3, a session ticket in TLS 1.2).
tcpdump on lo captures the wss port only.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.server
import json
import os
import random
import shutil
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .conftest import json_events, replay
from .livecap import Tcpdump, free_port
from .test_keylog_node import messages
from .test_tls import _certificate

TEXT = "hello from Chromium, 厉害了"
MESSAGES: list[str | bytes] = [TEXT, bytes(range(256)), random.Random(13).randbytes(40_000)]

# case: (max TLS version, TLS 1.2 cipher, key share group (else a HelloRetryRequest), suite)
CASES = {
    "tls1.3": (None, None, None, "TLS_AES_256_GCM_SHA384"),
    "tls1.3-hello-retry-aes128": (None, None, "prime256v1", "TLS_AES_128_GCM_SHA256"),
    "tls1.2-chacha20": (
        ssl.TLSVersion.TLSv1_2,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        None,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    "tls1.2-aes128gcm": (
        ssl.TLSVersion.TLSv1_2,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        None,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ),
}

PAGE = """<!doctype html><script>
const msgs = %s;
let conn = 0;
const open = () => {
  conn += 1;
  const ws = new WebSocket(`wss://127.0.0.1:%d/chromium${conn}`);
  ws.binaryType = "arraybuffer";
  let i = 0;
  const next = () => {
    if (i === msgs.length) return ws.close(1000, "done");
    const m = msgs[i];
    ws.send(m.text !== undefined ? m.text
      : new Uint8Array(m.hex.match(/../g).map((h) => parseInt(h, 16))));
  };
  ws.onopen = next;
  ws.onmessage = () => { i += 1; next(); };
  ws.onclose = () => { if (conn < %d) open(); };  // the next one resumes the TLS session
};
open();
</script>"""
CONNECTIONS = 2


def _chromium() -> str:
    for name in (os.environ.get("WSDEBUG_CHROMIUM"), "chromium", "chromium-browser"):
        path = name and shutil.which(name)
        if path:
            return path
    pytest.skip("chromium is not installed (Debian: apt-get install chromium; or WSDEBUG_CHROMIUM)")


def _spki_hash(cert: Path) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)), what --ignore-certificate-errors-spki-list takes."""
    public = x509.load_pem_x509_certificate(cert.read_bytes()).public_key()
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class _Page:
    """The page on http://127.0.0.1 (another port than the captured one), in a thread."""

    def __init__(self, html: str) -> None:
        body = html.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> _Page:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class _Served:
    """One WebSocket connection as the server saw it."""

    got: list[str | bytes]
    version: str
    cipher: str
    resumed: bool


async def _session(
    tmp: Path, port: int, server: ssl.SSLContext, spki: str, keylog: Path
) -> list[_Served]:
    """Chromium against an echo server: each connection in the order they ended."""
    import websockets

    served: list[_Served] = []
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def echo(ws: Any) -> None:
        tls = ws.transport.get_extra_info("ssl_object")
        got: list[str | bytes] = []
        async for m in ws:
            got.append(m)
            await ws.send(m)
        served.append(_Served(got, tls.version(), tls.cipher()[0], tls.session_reused))
        if len(served) == CONNECTIONS and not done.done():
            done.set_result(None)

    wire = [{"hex": m.hex()} if isinstance(m, bytes) else {"text": m} for m in MESSAGES]
    log = tmp / "chromium.log"
    with _Page(PAGE % (json.dumps(wire), port, CONNECTIONS)) as page, log.open("wb") as err:
        async with websockets.serve(echo, "127.0.0.1", port, ssl=server):
            proc = await asyncio.create_subprocess_exec(
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
                f"--ignore-certificate-errors-spki-list={spki}",
                f"--user-data-dir={tmp / 'profile'}",
                page.url,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=err,
                env={**os.environ, "SSLKEYLOGFILE": str(keylog), "HOME": str(tmp)},
            )
            try:
                await asyncio.wait_for(done, 30)
            except TimeoutError:
                tail = log.read_text(errors="replace")[-1500:]
                pytest.fail(f"Chromium did not finish the sessions; its stderr ends:\n{tail}")
            finally:
                proc.terminate()  # lets Chromium flush the key log
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
    return served


def capture_chromium(tmp: Path, case: str) -> tuple[Path, Path, str]:
    """A pcap of Chromium's wss:// sessions (the second resumed), the key log it wrote, the
    TLS version the server saw."""
    max_version, ciphers, group, _ = CASES[case]
    cert, key = _certificate(tmp)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    if max_version:
        server.maximum_version = max_version
    if ciphers:
        server.set_ciphers(ciphers)
    if group:  # Chromium sends X25519MLKEM768 and X25519 shares: the server asks for another
        server.set_ecdh_curve(group)
        server.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE  # and Chromium's order picks AES-128
    keylog, pcap, port = tmp / "chromium-keys.log", tmp / "chromium-wss.pcap", free_port()
    with Tcpdump(pcap, port):
        served = asyncio.run(_session(tmp, port, server, _spki_hash(cert), keylog))
    assert [s.got for s in served] == [MESSAGES] * CONNECTIONS  # the sessions themselves worked
    assert [s.resumed for s in served] == [False, True]
    assert len({(s.version, s.cipher) for s in served}) == 1
    version = served[0].version
    assert keylog.is_file(), "Chromium wrote no key log (SSLKEYLOGFILE)"
    return pcap, keylog, version


@pytest.mark.parametrize("case", list(CASES))
def test_chromium_wss_decrypts_with_the_key_log_chromium_wrote(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pcap, keylog, version = capture_chromium(tmp_path, case)
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)

    locked = replay(pcap, "--json")  # no key log: named as TLS that needs one, not garbage
    assert locked.exit_code == 2
    assert "TLS" in locked.stderr and "--keylog" in locked.stderr
    assert locked.stdout == ""

    result = replay(pcap, "--json", "--keylog", keylog)
    assert result.exit_code == 0, result.stderr
    events = json_events(result)
    suite = CASES[case][3]
    conns = list(dict.fromkeys(e["conn"] for e in events if e.get("conn")))
    assert len(conns) == CONNECTIONS  # the full handshake, then the resumed one
    for conn in conns:
        mine = [e for e in events if e.get("conn") == conn]
        assert messages(mine, "c2s") == MESSAGES
        assert messages(mine, "s2c") == MESSAGES
        assert all(e["compressed"] for e in mine if e["event"] == "message")  # deflate, inflated
        [handshake] = [e for e in mine if e["event"] == "handshake"]
        assert "HeadlessChrome" in json.dumps(handshake["request"])
        [close] = [e for e in mine if e["event"] == "close"]
        assert (close["code"], close["reason"], close["initiator"]) == (1000, "done", "client")
        assert close["clean"]
        notes = " ".join(e["message"] for e in mine if e["event"] == "note")
        assert f"{version.replace('TLSv', 'TLS ')}, cipher suite {suite} (0x" in notes, notes
        assert "failed authentication" not in notes

    monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))  # the variable Chromium wrote it from
    assert json_events(replay(pcap, "--json")) == events
