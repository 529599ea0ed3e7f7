"""What the readers of pasted text share: the one-line error with its place, hex checks, and
the column readers of large uniform pastes (:func:`_strided`, :func:`_quotes_escaped`)."""

from __future__ import annotations

import binascii
import re

from .inputcap import FROMHEX_BLANKS

__all__ = ["HexInputError"]

_LEAD = re.compile(r"\s*")
_CHUNK = 1 << 20  #: characters of a large literal read or decoded at a time (bounded memory)
_ODD_RUN = re.compile(r"(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2})*[0-9a-fA-F](?![0-9a-fA-F])")


class HexInputError(ValueError):
    """Unreadable input; ``line``/``column`` are 1-based (or None), ``reason`` says what is wrong.

    ``str(err)`` is one line, such as ``"line 3, column 7: 'g' is not a hex digit"``.
    """

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        self.reason, self.line, self.column = reason, line, column
        named = (("line", line), ("column", column))
        place = ", ".join(f"{name} {value}" for name, value in named if value is not None)
        super().__init__(f"{place}: {reason}" if place else reason)


def _error(text: str, pos: int, reason: str) -> HexInputError:
    return HexInputError(reason, text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos))


def _char_error(text: str, pos: int, what: str = "a hex digit") -> HexInputError:
    return _error(text, pos, f"{text[pos]!r} is not {what}")


def _check_hex(text: str, start: int, end: int, bad: re.Pattern[str]) -> None:
    """Raise at the first character matching ``bad``, else at the first odd run of hex digits."""
    found = bad.search(text, start, end)
    if found:
        raise _char_error(text, found.start())
    odd = _ODD_RUN.search(text, start, end)
    if odd:
        raise _error(text, odd.end() - 1, f"odd number of hex digits ({odd.end() - odd.start()})")


# -- fast paths for large pastes (each None or False when the layout is not its own) ----------


def _content_end(text: str) -> int:
    """Where ``text`` ends without its trailing whitespace (no copy of a large text)."""
    tail = text[-64:]
    kept = len(tail.rstrip())
    if kept or len(tail) == len(text):
        return len(text) - len(tail) + kept
    return len(text.rstrip())  # 64 blanks or more at the end: one copy


def _strided(code: str, prefix: str, separators: str) -> bytes | None:
    """Bytes written ``prefix`` + two hex digits + one separator, alike every time, or None.

    ``\\x81\\x85\\x37`` and ``0x81, 0x85, 0x37`` as a script prints them: every character sits
    in one column of a fixed stride, so each column is one strided slice, checked by one
    ``count`` and the digits joined by two slice assignments, all in C (a regex over a
    100 MB paste takes seconds).  The separator is what lies between the first two bytes,
    made only of ``separators``; anything else (a wrapped line, a byte of one digit) is None,
    for the reader that takes every layout.  The bytes are those that reader returns.
    """
    start = _LEAD.match(code).end()  # type: ignore[union-attr]
    end = _content_end(code)
    p = len(prefix)
    if not code.startswith(prefix, start) or end - start < p + 2:
        return None
    nxt = code.find(prefix, start + p + 2, start + p + 8)
    sep = code[start + p + 2 : nxt] if nxt >= 0 else code[start + p + 2 : end]
    if sep.strip(separators) or (nxt < 0 and sep) or (not sep and prefix == "0x"):
        return None  # (one byte has no separator; 0x81 0x85 needs one)
    stride = p + 2 + len(sep)
    n, extra = divmod(end - start + len(sep), stride)
    if extra or not code.isascii():
        return None
    checks = [(j, char, n) for j, char in enumerate(prefix)]  # every byte's prefix,
    checks += [(p + 2 + j, char, n - 1) for j, char in enumerate(sep)]  # separators between
    for column, char, count in checks:
        if code[start + column : end : stride].count(char) != count:
            return None
    digits = bytearray(2 * n)
    digits[0::2] = code[start + p : end : stride].encode("ascii")
    digits[1::2] = code[start + p + 1 : end : stride].encode("ascii")
    try:
        return binascii.unhexlify(digits)
    except binascii.Error:  # not a hex digit: the careful reader says where
        return None


_LONG_RUN = 4096  #: a run of backslashes this long is left to the token reader


def _quotes_escaped(text: str, start: int, end: int, quote: str) -> bool:
    """Every ``quote`` in ``text[start:end]`` is escaped, and no backslash is left unpaired
    at the end (it would escape the closing quote).

    Escapes pair off from the left: a quote is escaped when an odd run of backslashes comes
    before it.  Two counts say that each quote follows a backslash; the few that follow two
    or more have their run measured.  Read 1 MiB at a time, never splitting a run.
    """
    pos = start
    while pos < end:
        cut = min(pos + _CHUNK, end)
        stop = min(cut + _LONG_RUN, end)
        while cut < stop and text[cut - 1] == "\\":  # the run and the character it escapes
            cut += 1
        if cut == stop < end:
            return False
        quotes = text.count(quote, pos, cut)
        if quotes and quotes != text.count("\\" + quote, pos, cut):  # one after no backslash
            return False
        at = text.find(pairs := "\\\\" + quote, pos, cut) if quotes else -1
        while at >= 0:  # after two backslashes or more (rare): the run must be odd
            run = 2
            while run < _LONG_RUN and at - run + 2 > pos and text[at - run + 1] == "\\":
                run += 1
            if run % 2 == 0 or run == _LONG_RUN:
                return False
            at = text.find(pairs, at + 2, cut)
        pos = cut
    run = 0  # the backslashes before the closing quote: an even run (pairs) leaves it closing
    while run < _LONG_RUN and end - run > start and text[end - run - 1] == "\\":
        run += 1
    return run % 2 == 0 and run < _LONG_RUN


#: ``\\x`` strings mapped to five letters: blanks (FROMHEX_BLANKS) to " ", backslash to b,
#: x, hex digits to h, every other byte to z
_ESC_CLASSES = bytes(
    ord(
        " "
        if chr(c) in FROMHEX_BLANKS
        else "b"
        if c == 0x5C
        else "x"
        if c == 0x78
        else "h"
        if chr(c) in "0123456789abcdefABCDEF"
        else "z"
    )
    if c < 128
    else ord("z")
    for c in range(256)
)


def _escapes_only(code: str) -> bool | None:
    """Whether ``code`` is one or more ``\\xHH`` with only blanks (FROMHEX_BLANKS) around
    them (what textinput's ``_ESCAPES_ONLY`` matches); None when it is not ASCII.  Counts
    after one ``bytes.translate``: each backslash starts ``\\x``, each ``\\x`` is followed
    by two digits, and there are no other digits."""
    if not code.isascii():
        return None
    t = code.encode("ascii").translate(_ESC_CLASSES)
    if b"z" in t:
        return False
    units = t.count(b"bx")
    return (
        units > 0
        and t.count(b"b") == units
        and t.count(b"x") == units
        and t.count(b"bxhh") == units
        and t.count(b"h") == 2 * units
    )
