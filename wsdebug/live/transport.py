"""How ``connect`` reaches the server: TCP, a Unix socket, or a proxy; then TLS, described.

Proxies: ``--proxy URL`` (``http://`` for HTTP CONNECT, ``socks5://``, ``socks5h://`` (the proxy
resolves the name), ``socks4://``) is used for every connection, loopback included.  Without it
the environment is read the way curl reads it: ``HTTPS_PROXY`` for ``wss://``, ``HTTP_PROXY``
for ``ws://``, else ``ALL_PROXY`` (lower-case names too), except for hosts that ``NO_PROXY``
lists (``*``, names and their subdomains, ``.suffix``) and, always, for ``localhost`` and
loopback addresses: a proxy from the environment never sees local traffic.  ``--no-proxy``
ignores the environment.  The proxy client is the ``python-socks`` package (asyncio backend).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..codec.events import TlsEvent

PROXY_SCHEMES = ("http", "socks5", "socks5h", "socks4")


class ProxyChoiceError(ValueError):
    """A proxy URL that cannot be used (bad scheme, no host)."""


def is_loopback(host: str) -> bool:
    """``localhost`` (and its subdomains, RFC 6761) or a loopback address."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _no_proxy_matches(host: str, no_proxy: str) -> bool:
    name = host.strip("[]").rstrip(".").lower()
    for entry in no_proxy.split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.split(":")[0] if entry.count(":") == 1 else entry  # host:port
        entry = entry.lstrip(".").lstrip("*").lstrip(".")
        if name == entry or name.endswith("." + entry):
            return True
    return False


def proxy_for(
    host: str,
    secure: bool,
    explicit: str | None,
    use_env: bool = True,
    env: Mapping[str, str] | None = None,
) -> str | None:
    """The proxy URL to use for ``host``, or None for a direct connection."""
    if explicit:
        return explicit
    if not use_env:
        return None
    env = os.environ if env is None else env

    def get(name: str) -> str:
        return env.get(name) or env.get(name.lower()) or ""

    url = get("HTTPS_PROXY" if secure else "HTTP_PROXY") or get("ALL_PROXY")
    if not url or is_loopback(host) or _no_proxy_matches(host, get("NO_PROXY")):
        return None
    return url


def check_proxy_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a proxy URL; raises ProxyChoiceError."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        port = parts.port
    except ValueError as exc:
        raise ProxyChoiceError(f"bad proxy URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES:
        raise ProxyChoiceError(
            f"proxy URL {url!r}: the scheme must be one of {', '.join(PROXY_SCHEMES)}"
        )
    if not parts.hostname:
        raise ProxyChoiceError(f"no host in proxy URL {url!r}")
    return scheme, parts.hostname, port or (1080 if scheme.startswith("socks") else 8080)


async def proxy_socket(url: str, host: str, port: int, timeout: float) -> socket.socket:
    """A socket connected to ``host:port`` through the proxy at ``url`` (python-socks).

    Raises:
        OSError: the proxy could not be reached or refused the tunnel (the message says which).
    """
    from python_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError
    from python_socks.async_.asyncio import Proxy

    scheme, _, _ = check_proxy_url(url)
    full = url if "://" in url else f"http://{url}"
    rdns = scheme == "socks5h"
    if rdns:
        full = "socks5" + full[len("socks5h") :]
    try:
        proxy = Proxy.from_url(full, rdns=rdns)
        return await proxy.connect(dest_host=host, dest_port=port, timeout=timeout)
    except ProxyTimeoutError:
        raise OSError(f"proxy {_shown(url)} timed out after {timeout:g} s") from None
    except ProxyConnectionError as exc:
        raise OSError(f"cannot reach proxy {_shown(url)}: {exc}") from None
    except ProxyError as exc:
        raise OSError(f"proxy {_shown(url)} refused the tunnel to {host}:{port}: {exc}") from None


def _shown(url: str) -> str:
    """A proxy URL without its password."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return f"{parts.scheme}://{parts.username}:****@{netloc}"


def _name(rdns: object) -> str:
    """``((("commonName", "x"),), ...)`` as ``CN=x, O=...``."""
    short = {
        "commonName": "CN",
        "organizationName": "O",
        "organizationalUnitName": "OU",
        "countryName": "C",
        "localityName": "L",
        "stateOrProvinceName": "ST",
    }
    parts = []
    for rdn in rdns or ():  # type: ignore[attr-defined]
        for key, value in rdn:
            parts.append(f"{short.get(key, key)}={value}")
    return ", ".join(parts)


def tls_event(obj: ssl.SSLObject | ssl.SSLSocket | None, verified: bool) -> TlsEvent | None:
    """What the TLS session is: version, cipher, ALPN, the peer certificate (when verified)."""
    if obj is None:
        return None
    cipher = obj.cipher()
    cert: dict[str, Any] = dict(obj.getpeercert() or {}) if verified else {}
    sans = [f"{kind}:{value}" for kind, value in cert.get("subjectAltName", ())]
    return TlsEvent(
        obj.version() or "",
        cipher[0] if cipher else "",
        obj.selected_alpn_protocol(),
        _name(cert.get("subject")),
        _name(cert.get("issuer")),
        sans,
        str(cert.get("notAfter", "")),
        verified,
    )
