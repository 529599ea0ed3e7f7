"""``wsdebug test wss://``: certificates are verified unless -k; --cacert trusts a CA."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

from typer.testing import CliRunner

from wsdebug.cli import app

from .servers import raw_server


def _self_signed(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    return cert_file, ctx


def test_wss_is_verified_unless_told_otherwise(tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "160", "NO_COLOR": "1"})
    ca, ctx = _self_signed(tmp_path)
    with raw_server(tls=ctx) as url:
        assert url.startswith("wss://")
        refused = runner.invoke(app, ["test", url, "--cases", "1.1.1,2.1", "-q", "--plain"])
        trusted = runner.invoke(
            app, ["test", url, "--cases", "1.1.1,2.1", "-q", "--plain", "--cacert", str(ca)]
        )
        insecure = runner.invoke(app, ["test", url, "--cases", "1.1.1,2.1", "-q", "--plain", "-k"])
    assert (
        refused.exit_code == 1
        and "CERTIFICATE_VERIFY_FAILED" in refused.output.replace(" ", "_").upper()
    )
    assert trusted.exit_code == 0 and "2 cases, 0 failed" in trusted.output, trusted.output
    assert insecure.exit_code == 0
    missing = runner.invoke(
        app, ["test", url, "--cases", "1.1.1", "--cacert", str(tmp_path / "nope.pem")]
    )
    assert missing.exit_code == 2 and "Traceback" not in missing.output
