"""What went wrong with one echo in the bulk cases (groups 9, 12 and 13): the checks, not the I/O.

:class:`~.session.CaseSession` sends each message and waits for it to come back; these pure
functions say whether the echo matches and, when it does not, in words a server author can act on:
the wrong kind of message, the wrong length, or the first byte that differs.
"""

from __future__ import annotations

from typing import NamedTuple


class Mismatch(NamedTuple):
    """Why echo ``number`` does not match: ``reason`` in words, ``at`` the message byte that
    differs first (``None`` when the kind or the length is already wrong)."""

    reason: str
    at: int | None


def first_difference(a: bytes, b: bytes) -> int:
    """Index of the first byte where ``a`` and ``b`` (same length, not equal) differ."""
    lo, hi = 0, len(a)
    while hi - lo > 64:  # bisect on slice comparisons: no per-byte Python loop on big messages
        mid = (lo + hi) // 2
        if a[lo:mid] != b[lo:mid]:
            hi = mid
        else:
            lo = mid
    return next(i for i in range(lo, hi) if a[i] != b[i])


def mismatch(
    number: int, got: bytes, got_binary: bool, sent: bytes, sent_binary: bool
) -> Mismatch | None:
    """``None`` when echo ``number`` (counted from 1) is exactly what was sent, else why not."""
    if got_binary != sent_binary:
        kind = "binary" if sent_binary else "text"
        return Mismatch(
            f"echo {number}: got a {'binary' if got_binary else 'text'} message, sent {kind}", None
        )
    if got == sent:
        return None
    if len(got) != len(sent):
        return Mismatch(f"echo {number}: {len(got)} bytes came back, {len(sent)} were sent", None)
    at = first_difference(got, sent)
    return Mismatch(
        f"echo {number}: message byte {at} is 0x{got[at]:02x}, sent 0x{sent[at]:02x}", at
    )
