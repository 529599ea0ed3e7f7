"""TLS in a pcap, decrypted with a key log (``SSLKEYLOGFILE``), so the WebSocket inside can be read.

Theory of operation
-------------------
Browsers, Node, curl and Python (``SSLContext.keylog_filename``) write the NSS key log format:
``CLIENT_RANDOM <client random> <master secret>`` for TLS 1.2 and the ``*_TRAFFIC_SECRET``
lines for TLS 1.3, each keyed by the ClientHello's random.  :func:`decrypt` reads the records of
both directions of one TCP connection, takes the client random from the ClientHello and the
version and cipher suite from the ServerHello, derives the record keys and decrypts:

* TLS 1.3 (RFC 8446 §7): handshake traffic secrets until each side's Finished, then the
  application traffic secrets; key and IV by HKDF-Expand-Label; the nonce is the IV XOR the
  record's sequence number; the inner content type is the last non-zero byte.  The handshake
  messages are followed across records (one may span several), and a KeyUpdate moves that
  direction on to the next application traffic secret (RFC 8446 §7.2), which no key log holds.
* TLS 1.2 (RFC 5246 §6.3, RFC 5288, RFC 7905): the key block from the master secret by the
  TLS PRF; AES-GCM records carry an 8-byte explicit nonce after the 4-byte implicit salt,
  ChaCha20-Poly1305 nonces are the IV XOR the sequence number; encryption starts after each
  side's ChangeCipherSpec.

AES-GCM (128 and 256) and ChaCha20-Poly1305 suites are supported, decrypted by the
``cryptography`` package.  The application data of each direction comes out as chunks timed
by the TCP chunk that completed its record.  Whatever cannot be decrypted (no secrets for this
client random, an unsupported suite, a record that fails authentication) is said in one line.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

#: a TLS record's largest ciphertext (2^14 + 256, RFC 8446 §5.2); larger is not TLS
_MAX_RECORD = (1 << 14) + 2048
Chunk = tuple[int, float, bytes]  # (packet order, time, bytes), as the pcap reader keeps them

# suite: (aead, key length, hash, IANA name)
_SUITES: dict[int, tuple[str, int, str, str]] = {
    0x1301: ("gcm", 16, "sha256", "TLS_AES_128_GCM_SHA256"),
    0x1302: ("gcm", 32, "sha384", "TLS_AES_256_GCM_SHA384"),
    0x1303: ("chacha", 32, "sha256", "TLS_CHACHA20_POLY1305_SHA256"),
    0x009C: ("gcm", 16, "sha256", "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    0x009D: ("gcm", 32, "sha384", "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    0x009E: ("gcm", 16, "sha256", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    0x009F: ("gcm", 32, "sha384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
    0xC02B: ("gcm", 16, "sha256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    0xC02C: ("gcm", 32, "sha384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    0xC02F: ("gcm", 16, "sha256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    0xC030: ("gcm", 32, "sha384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    0xCCA8: ("chacha", 32, "sha256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    0xCCA9: ("chacha", 32, "sha256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    0xCCAA: ("chacha", 32, "sha256", "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
}


class KeyLog:
    """The secrets of an NSS key log, by client random."""

    def __init__(self) -> None:
        self.secrets: dict[bytes, dict[str, bytes]] = {}

    @classmethod
    def parse(cls, text: str) -> KeyLog:
        log = cls()
        for line in text.splitlines():
            parts = line.split()
            if len(parts) != 3 or line.startswith("#"):
                continue
            try:
                random, secret = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            except ValueError:
                continue
            log.secrets.setdefault(random, {})[parts[0]] = secret
        return log

    def __len__(self) -> int:
        return len(self.secrets)


#: how much of a key log is read: its end, where a long-lived SSLKEYLOGFILE has its newest sessions
KEYLOG_TAIL = 64 << 20


def read_keylog(path: str) -> KeyLog:
    """Read a key log file, its last :data:`KEYLOG_TAIL` bytes when it is longer (every session
    adds its lines at the end); OSError when it cannot be read."""
    with open(path, "rb") as fh:
        start = 0
        if fh.seekable():
            start = max(0, fh.seek(0, os.SEEK_END) - KEYLOG_TAIL)
            fh.seek(start)
        data = fh.read(KEYLOG_TAIL)
    if start:
        data = data[data.find(b"\n") + 1 :]  # without the line the cut began inside
    return KeyLog.parse(data.decode("ascii", errors="replace"))


@dataclass
class Decrypted:
    client: list[Chunk] = field(default_factory=list)
    server: list[Chunk] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure: str | None = None  #: why nothing could be decrypted


# -- key derivation ---------------------------------------------------------------------------


def _hkdf_expand_label(secret: bytes, label: str, length: int, digest: str) -> bytes:
    full = b"tls13 " + label.encode()
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([counter]), digest).digest()
        out += block
        counter += 1
    return out[:length]


def _prf(secret: bytes, label: bytes, seed: bytes, length: int, digest: str) -> bytes:
    """The TLS 1.2 PRF (RFC 5246 §5), P_hash with ``digest``."""
    seed = label + seed
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, digest).digest()
        out += hmac.new(secret, a + seed, digest).digest()
    return out[:length]


class _Cipher:
    """One direction's record protection: AEAD, key, IV and the sequence number."""

    def __init__(self, aead: str, key: bytes, iv: bytes, *, tls13: bool) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

        self.aead: AESGCM | ChaCha20Poly1305 = (
            AESGCM(key) if aead == "gcm" else ChaCha20Poly1305(key)
        )
        self.kind, self.iv, self.tls13, self.seq = aead, iv, tls13, 0

    def _xor_nonce(self) -> bytes:  # the IV XOR the (already counted) sequence number
        return (int.from_bytes(self.iv, "big") ^ (self.seq - 1)).to_bytes(12, "big")

    def open(self, rtype: int, version: bytes, body: bytes) -> bytes:
        """Decrypt one record's body; cryptography's InvalidTag when it does not authenticate."""
        seq = struct.pack("!Q", self.seq)
        self.seq += 1
        if len(body) < (24 if self.kind == "gcm" and not self.tls13 else 16):
            from cryptography.exceptions import InvalidTag

            raise InvalidTag  # too short for the tag (and explicit nonce): not authentic
        if self.tls13:
            nonce = self._xor_nonce()
            header = struct.pack("!B2sH", rtype, version, len(body))
            return self.aead.decrypt(nonce, body, header)
        if self.kind == "gcm":
            nonce, body = self.iv + body[:8], body[8:]
        else:
            nonce = self._xor_nonce()
        aad = seq + struct.pack("!B2sH", rtype, version, len(body) - 16)
        return self.aead.decrypt(nonce, body, aad)


# -- records ----------------------------------------------------------------------------------


@dataclass
class _Record:
    type: int
    version: bytes
    body: bytes
    order: int
    t: float


def _records(chunks: list[Chunk]) -> tuple[list[_Record], str | None]:
    """The TLS records of one direction, each timed by the chunk that completed it."""
    data = b"".join(c[2] for c in chunks)
    ends, at = [], 0
    for c in chunks:
        at += len(c[2])
        ends.append(at)
    out: list[_Record] = []
    pos = 0
    while pos + 5 <= len(data):
        rtype, version, length = struct.unpack_from("!B2sH", data, pos)
        if rtype not in (20, 21, 22, 23) or version[0] != 3 or length > _MAX_RECORD:
            return out, f"not a TLS record at stream offset {pos}"
        end = pos + 5 + length
        if end > len(data):
            return out, f"the stream ends inside a TLS record at offset {pos}"
        order, t, _ = chunks[min(bisect.bisect_left(ends, end), len(chunks) - 1)]
        out.append(_Record(rtype, version, data[pos + 5 : end], order, t))
        pos = end
    return out, None


def _handshakes(records: Iterable[_Record]) -> list[tuple[int, bytes]]:
    """The plaintext handshake messages (type, body) of records of type 22."""
    data = b"".join(r.body for r in records if r.type == 22)
    out, pos = [], 0
    while pos + 4 <= len(data):
        mtype = data[pos]
        length = int.from_bytes(data[pos + 1 : pos + 4], "big")
        out.append((mtype, data[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return out


def _server_hello(body: bytes) -> tuple[bytes, int, bool] | None:
    """(server random, cipher suite, TLS 1.3?) of a ServerHello body."""
    if len(body) < 38:
        return None
    random, sid = body[2:34], body[34]
    pos = 35 + sid
    if pos + 3 > len(body):
        return None
    suite = struct.unpack_from("!H", body, pos)[0]
    pos += 3
    tls13 = False
    if pos + 2 <= len(body):
        ext_end = pos + 2 + struct.unpack_from("!H", body, pos)[0]
        pos += 2
        while pos + 4 <= min(ext_end, len(body)):
            etype, elen = struct.unpack_from("!HH", body, pos)
            if etype == 0x002B and body[pos + 4 : pos + 6] == b"\x03\x04":
                tls13 = True
            pos += 4 + elen
    return random, suite, tls13


def is_client_hello(data: bytes) -> bool:
    return len(data) >= 6 and data[0] == 22 and data[1] == 3 and data[5] == 1


def decrypt(client: list[Chunk], server: list[Chunk], keylog: KeyLog) -> Decrypted:
    """Both directions' application data, decrypted (see the module docstring)."""
    out = Decrypted()
    crecs, cerr = _records(client)
    srecs, serr = _records(server)
    hello = _handshakes(crecs[:4])
    shello = _handshakes(srecs[:2])
    if not hello or hello[0][0] != 1 or len(hello[0][1]) < 34:
        out.failure = "no TLS ClientHello at the start of the client's stream"
        return out
    client_random = hello[0][1][2:34]
    parsed = _server_hello(shello[0][1]) if shello and shello[0][0] == 2 else None
    if parsed is None:
        out.failure = "no TLS ServerHello was captured: the session cannot be decrypted"
        return out
    server_random, suite, tls13 = parsed
    if suite not in _SUITES:
        out.failure = (
            f"TLS cipher suite 0x{suite:04X} is not supported for decryption "
            "(AES-GCM and ChaCha20-Poly1305 are)"
        )
        return out
    aead, key_len, digest, suite_name = _SUITES[suite]
    secrets = keylog.secrets.get(client_random)
    short = client_random.hex()[:16]
    if not secrets:
        out.failure = (
            f"TLS session (client random {short}…) has no secrets in the key log: "
            "it was written by another run, or this client does not log keys"
        )
        return out
    version = "TLS 1.3" if tls13 else "TLS 1.2"
    out.notes.append(
        f"{version}, cipher suite {suite_name} (0x{suite:04X}), decrypted with the key log"
    )
    try:
        if tls13:
            _decrypt13(out, crecs, srecs, secrets, aead, key_len, digest)
        else:
            _decrypt12(
                out, crecs, srecs, secrets, client_random, server_random, aead, key_len, digest
            )
    except _NoSecret as exc:
        out.failure = f"TLS session (client random {short}…): the key log lacks {exc}"
    for who, err in (("client", cerr), ("server", serr)):
        if err:
            out.notes.append(f"TLS from the {who}: {err}")
    return out


class _NoSecret(Exception):
    pass


def _need(secrets: dict[str, bytes], label: str) -> bytes:
    if label not in secrets:
        raise _NoSecret(label)
    return secrets[label]


def _decrypt13(
    out: Decrypted,
    crecs: list[_Record],
    srecs: list[_Record],
    secrets: dict[str, bytes],
    aead: str,
    key_len: int,
    digest: str,
) -> None:
    from cryptography.exceptions import InvalidTag

    def cipher(secret: bytes) -> _Cipher:
        key = _hkdf_expand_label(secret, "key", key_len, digest)
        return _Cipher(aead, key, _hkdf_expand_label(secret, "iv", 12, digest), tls13=True)

    for who, recs, sink in (("CLIENT", crecs, out.client), ("SERVER", srecs, out.server)):
        secret = _need(secrets, f"{who}_HANDSHAKE_TRAFFIC_SECRET")
        current, in_handshake = cipher(secret), True
        pending = bytearray()  # handshake bytes short of a whole message (one may span records)
        for rec in recs:
            if rec.type != 23:
                continue
            try:
                plain = current.open(rec.type, rec.version, rec.body)
            except InvalidTag:
                out.notes.append(
                    f"TLS from the {who.lower()}: a record failed authentication; the rest of "
                    "this direction is not decrypted"
                )
                break
            inner = plain.rstrip(b"\x00")
            content, ctype = inner[:-1], inner[-1:] or b"\x00"
            if ctype == b"\x17" and not in_handshake:
                sink.append((rec.order, rec.t, content))
            elif ctype == b"\x16":
                pending += content
                types = _message_types(pending)
                if in_handshake and 20 in types:  # Finished: the application traffic secret
                    secret = _need(secrets, f"{who}_TRAFFIC_SECRET_0")
                    current, in_handshake = cipher(secret), False
                    pending.clear()
                elif not in_handshake and 24 in types:  # KeyUpdate (RFC 8446 §4.6.3, §7.2)
                    size = hashlib.new(digest).digest_size
                    secret = _hkdf_expand_label(secret, "traffic upd", size, digest)
                    current = cipher(secret)


def _message_types(pending: bytearray) -> list[int]:
    """The types of the whole handshake messages at the start of ``pending``, which keeps
    only the bytes of a message still incomplete."""
    types, pos = [], 0
    while pos + 4 <= len(pending):
        end = pos + 4 + int.from_bytes(pending[pos + 1 : pos + 4], "big")
        if end > len(pending):
            break
        types.append(pending[pos])
        pos = end
    del pending[:pos]
    return types


def _decrypt12(
    out: Decrypted,
    crecs: list[_Record],
    srecs: list[_Record],
    secrets: dict[str, bytes],
    client_random: bytes,
    server_random: bytes,
    aead: str,
    key_len: int,
    digest: str,
) -> None:
    from cryptography.exceptions import InvalidTag

    master = _need(secrets, "CLIENT_RANDOM")
    iv_len = 4 if aead == "gcm" else 12
    block = _prf(
        master, b"key expansion", server_random + client_random, 2 * (key_len + iv_len), digest
    )
    ckey, skey = block[:key_len], block[key_len : 2 * key_len]
    civ, siv = block[2 * key_len : 2 * key_len + iv_len], block[2 * key_len + iv_len :]
    for who, recs, sink, key, iv in (
        ("client", crecs, out.client, ckey, civ),
        ("server", srecs, out.server, skey, siv),
    ):
        current: _Cipher | None = None
        for rec in recs:
            if rec.type == 20:
                current = _Cipher(aead, key, iv, tls13=False)
                continue
            if current is None:
                continue
            try:
                plain = current.open(rec.type, rec.version, rec.body)
            except InvalidTag:
                out.notes.append(
                    f"TLS from the {who}: a record failed authentication; the rest of this "
                    "direction is not decrypted"
                )
                break
            if rec.type == 23:
                sink.append((rec.order, rec.t, plain))
