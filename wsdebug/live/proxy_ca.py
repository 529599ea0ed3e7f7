"""The local CA of ``wsdebug proxy --forward``: made on first use, then a certificate per host.

The CA (``ca.pem``, and ``ca.key`` written 0600 in a 0700 directory) lives in the user's data
directory (``$XDG_DATA_HOME/wsdebug/ca``, by default ``~/.local/share/wsdebug/ca``) unless a
directory is given.  A client trusts wsdebug's interception only after it trusts ``ca.pem``.
Host certificates are made in memory when a CONNECT first names the host (EC P-256, one day
of validity, the host as a DNS name or an IP address), written only to a private temporary file
for ``ssl`` to load, and cached for the session.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def default_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "wsdebug" / "ca"


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)


class LocalCA:
    def __init__(self, directory: Path | None = None) -> None:
        self.dir = directory or default_dir()
        self.cert_path = self.dir / "ca.pem"
        self.key_path = self.dir / "ca.key"
        self.created = False
        if self.cert_path.exists() and self.key_path.exists():
            self.cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            self.key = key
        else:
            self._create()
        self._contexts: dict[str, ssl.SSLContext] = {}

    def _create(self) -> None:
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wsdebug proxy local CA")])
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=825))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),  # fmt: skip
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        _write_private(self.key_path, _pem_key(self.key))
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.created = True

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server context presenting a certificate for ``host`` (ALPN: http/1.1 only)."""
        ctx = self._contexts.get(host)
        if ctx is not None:
            return ctx
        key = ec.generate_private_key(ec.SECP256R1())
        try:
            san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            san = x509.DNSName(host)
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.set_alpn_protocols(["http/1.1"])
        pem = cert.public_bytes(serialization.Encoding.PEM) + self.cert.public_bytes(
            serialization.Encoding.PEM
        )
        with tempfile.TemporaryDirectory(prefix="wsdebug-") as tmp:  # 0700, removed at once
            path = Path(tmp) / "host.pem"
            _write_private(path, pem + _pem_key(key))
            ctx.load_cert_chain(path)
        self._contexts[host] = ctx
        return ctx

    def instructions(self) -> str:
        made = "made" if self.created else "using"
        return (
            f"{made} wsdebug's local CA {self.cert_path} (key 0600): trust it in the client to "
            "let wsdebug decode wss:// (curl --cacert, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE for "
            "Python, or the browser's certificate settings)"
        )
