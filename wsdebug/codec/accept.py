"""RFC 6455 §4: the Sec-WebSocket-Key nonce and the Sec-WebSocket-Accept proof."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from .spec import GUID


def _latin1(text: str) -> bytes:
    return text.encode("latin-1", errors="replace")


def accept_key(key: str) -> str:
    """RFC 6455 §4.2.2: base64(SHA-1(key + GUID))."""
    return base64.b64encode(hashlib.sha1(_latin1(key + GUID)).digest()).decode("ascii")


@dataclass(frozen=True)
class AcceptSteps:
    """Every intermediate value of :func:`accept_key`, for showing the computation."""

    key: str
    concatenated: str
    sha1_hex: str
    accept: str


def accept_steps(key: str) -> AcceptSteps:
    concatenated = key + GUID
    digest = hashlib.sha1(_latin1(concatenated)).digest()
    return AcceptSteps(key, concatenated, digest.hex(), base64.b64encode(digest).decode("ascii"))


def make_key() -> str:
    """A fresh Sec-WebSocket-Key: 16 random bytes, base64-encoded (RFC 6455 §4.1)."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def key_problem(value: str) -> str | None:
    """Why ``value`` is not a valid Sec-WebSocket-Key, or None."""
    try:
        nonce = base64.b64decode(value.encode("ascii"), validate=True)
    except ValueError:  # binascii.Error and UnicodeEncodeError are ValueErrors
        return f"{value!r} is not valid base64"
    return None if len(nonce) == 16 else f"{value!r} decodes to {len(nonce)} bytes, not 16"
