"""Fail-fast UTF-8 validation (RFC 3629, as RFC 6455 §8.1 requires) with the offending byte.

CPython's decoder is C code; it reports the *maximal invalid subpart* of a bad sequence.  For
"invalid continuation byte" that subpart is the valid-looking prefix, so the byte that actually
broke the rule is the one right after it (``exc.end``); for "invalid start byte" it is the first
byte of the subpart.  :class:`Utf8Checker` feeds fragments one by one, so a message split over
many frames is rejected at the first impossible byte, not at the end of the message.
"""

from __future__ import annotations

import codecs


def utf8_error_index(exc: UnicodeDecodeError) -> int:
    """Index in ``exc.object`` of the byte that made the input invalid."""
    if exc.reason == "invalid continuation byte":
        return exc.end
    return exc.start


class Utf8Checker:
    """Incremental decoder that remembers how many bytes it has consumed."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.consumed = 0  #: bytes fed so far
        self.error_at: int | None = None  #: index in the whole message of the first bad byte

    def copy(self) -> Utf8Checker:
        """An independent checker in the same state (to look ahead without committing)."""
        twin = Utf8Checker()
        twin._decoder.setstate(self._decoder.getstate())
        twin.consumed, twin.error_at = self.consumed, self.error_at
        return twin

    def feed(self, data: bytes, final: bool = False) -> str | None:
        """Decode ``data``; return the text it completes, or None once the message is invalid."""
        if self.error_at is not None:
            return None
        pending = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            index = utf8_error_index(exc)
            self.error_at = self.consumed - pending + min(index, len(exc.object) - 1)
            return None
        finally:
            self.consumed += len(data)
        held = self._decoder.getstate()[0]
        if len(held) >= 2 and held[0] == 0xED and held[1] >= 0xA0:
            # CPython holds "ED A0".."ED BF" back as incomplete; it can only become a UTF-16
            # surrogate, which UTF-8 forbids (RFC 3629 §4): fail now, at the second byte.
            self.error_at = self.consumed - len(held) + 1
            return None
        return text
