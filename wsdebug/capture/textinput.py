r"""Recover the exact bytes from text pasted out of logs, reprs, hex dumps and Wireshark.

:func:`parse_bytes` reads the whole input (``\r\n`` -> ``\n``; lines starting with ``#`` are
comments) and takes the first format that fits, in this order:

1. String literals: ``b'\x81...'``, ``b"..."``, ``rb'...'``, several of them, in ``bytearray(...)``
   or parentheses; also C strings ``"\x81..."`` (a quoted string without backslashes is hex).
2. Hex dumps, when every line is an offset line of xxd, ``hexdump -C``, Wireshark "Copy as Hex
   Dump" or "Follow TCP Stream" (any indentation), a ``*`` line or a final offset.  The hex area
   ends at the first run of 2+ blanks (bar the gap after the 8th byte), so the ASCII column is
   never read; offsets are checked and ``*`` lines expanded from them.
3. Unquoted escape strings: ``\x81\x85\x37``.
4. ``0x81 0x85``, ``0x81, 0x85``, C arrays ``{0x81,0x85}`` (also ``xxd -i`` and Wireshark's).
5. Plain hex, optionally separated by whitespace, ``:``, ``-`` or ``,`` (also ``xxd -p``).
"""

from __future__ import annotations

import base64
import binascii
import re
import sys
import warnings
from _codecs import escape_decode  # the C decoder of bytes literals (what the compiler uses)

from .hexdumps import _dump_rows, _may_be_dump, _parse_dump, _parse_dump_fast
from .inputcap import FROMHEX_BLANKS
from .textbase import (
    _CHUNK,
    _LEAD,
    HexInputError,
    _char_error,
    _check_hex,
    _content_end,
    _error,
    _escapes_only,
    _quotes_escaped,
    _strided,
)

__all__ = ["HexInputError", "parse_base64", "parse_bytes", "parse_directional"]


def _normalize(text: str) -> str:  # one kind of line break, and no byte-order mark
    if "\r" in text:  # (a scan, not two copies, when there is none)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return " " + text[1:] if text[:1] == "\ufeff" else text


def _some(data: bytes) -> bytes:
    if not data:
        raise HexInputError("no bytes in input")
    return data


#: Possessive repeats (Python 3.11+) where a whole input is matched: the grammars below never
#: need to give back a repeat, and a backtracking repeat keeps state per iteration (hundreds
#: of MB for a 16 MiB paste).
_P = "+" if sys.version_info >= (3, 11) else ""
_COMMENT_LINE = re.compile(r"\n[ \t]*#[^\n]*")  # a literal first: SRE searches for it fast
_FIRST_COMMENT = re.compile(r"[ \t]*#[^\n]*")


def _uncomment(text: str) -> str:
    """``text`` with every comment line (``#`` first, after blanks) blanked, line breaks kept."""
    if "#" not in text:
        return text
    text = _COMMENT_LINE.sub("\n", text)  # the same object when nothing matched
    first = _FIRST_COMMENT.match(text)
    return text[first.end() :] if first else text


_NON_HEX = re.compile(r"[^0-9a-fA-F]")


def parse_bytes(text: str) -> bytes:
    """Decode bytes written in any supported format (see the module docstring)."""
    return _parse_bytes(text)


def _parse_bytes(text: str, *, uncommented: bool = False) -> bytes:
    """:func:`parse_bytes`; ``uncommented``: the caller has blanked the comment lines (a
    second scan of a large dump would find none)."""
    text = _normalize(text)
    from .tsharkdump import tool_bytes  # tshark -x / follow, od: recognised by their content

    if (tool := tool_bytes(text)) is not None:
        return _some(tool)
    lead = _LEAD.match(text).end()  # type: ignore[union-attr]  # (no copy of a large text)
    if text.startswith(_ONE_LITERAL, lead) and (one := _one_literal(text)) is not None:
        return _some(one)  # a repr: no comment can precede it, nothing to uncomment
    code = text if uncommented else _uncomment(text)
    lead = _LEAD.match(code).end()  # type: ignore[union-attr]
    if not _may_be_dump(code, lead):  # hex and blanks only: what _parse_plain would return
        try:
            return _some(bytes.fromhex(code))
        except ValueError:
            pass  # anything else (quotes, 0x, \x, separators) makes fromhex refuse
    if code[lead : lead + 1] in ("'", '"') and "\\" not in code:  # quoted hex
        code = code.replace("'", " ").replace('"', " ")
    if _LITERAL_START.match(code, lead):
        data = _parse_literal(text)
    elif (fast := _parse_dump_fast(code)) is not None:
        data = fast
    elif _may_be_dump(code, lead) and (rows := _dump_rows(code)) is not None:
        data = _parse_dump(code, rows)
    elif "\\x" in code and _ESCAPE_HINT.search(code):  # ('in' first: a fast scan)
        data = _parse_escapes(code)
    elif ("x" in code or "X" in code) and _OX_HINT.search(code):
        data = _parse_ox(code)
    else:
        data = _parse_plain(code)
    return _some(data)


# -- plain hex ------------------------------------------------------------------------------------

_PLAIN_SEPARATORS = str.maketrans(":-,", "   ")
_PLAIN_BAD = re.compile(r"[^0-9a-fA-F\s:,\-]")


def _parse_plain(code: str) -> bytes:
    if code.isascii():
        try:  # fast path: fromhex skips ASCII whitespace between (never inside) pairs
            if ":" in code or "-" in code or "," in code:
                code = code.translate(_PLAIN_SEPARATORS)
            return bytes.fromhex(code)
        except ValueError:
            pass
    _check_hex(code, 0, len(code), _PLAIN_BAD)
    return bytes.fromhex(" ".join(re.findall(r"[0-9a-fA-F]+", code)))  # non-ASCII separators


# -- string literals and escape strings -----------------------------------------------------------

_PREFIX = r"(?:[bB][rR]?|[rR][bB])"
# no two adjacent repeats of one class (``[(\s]*[(\s]*``): a run of '(' would backtrack O(n²)
_LITERAL_START = re.compile(rf"[(\s]*(?:(?:bytearray|bytes)\s*\([(\s]*)?{_PREFIX}?['\"]")
_LITERAL_TOKEN = re.compile(
    r"(?P<skip>(?:\s|\\\n|#[^\n]*|[+;])+)|(?P<open>(?:bytearray|bytes)?\s*\()|(?P<close>\))"
    rf"|(?P<prefix>{_PREFIX}?)"
    rf"(?:'(?P<sq>[^\\\n']*{_P}(?:\\[\s\S][^\\\n']*{_P})*{_P})'"
    rf"|\"(?P<dq>[^\\\n\"]*{_P}(?:\\[\s\S][^\\\n\"]*{_P})*{_P})\")"
)
_QUOTE_AHEAD = re.compile(rf"{_PREFIX}?['\"]")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{0,2}|[0-7]{1,3}|[\s\S]?)")
_SIMPLE_ESCAPES = {**dict(zip("\\'\"abfnrtv", "\\'\"\a\b\f\n\r\t\v", strict=True)), "\n": ""}
_ESCAPE_HINT = re.compile(r"\\x[0-9a-fA-F]")
_BLANK = f"[{re.escape(FROMHEX_BLANKS)}]"  # (not \s: it takes blanks fromhex refuses)
_ESCAPES_ONLY = re.compile(rf"(?:{_BLANK}*{_P}\\x[0-9a-fA-F]{{2}})+{_P}{_BLANK}*{_P}")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# bodies that the C decoder reads exactly as a bytes literal, without warnings: ASCII but NUL,
# CR and backslash, and the escapes Python knows
_PLAIN_ESCAPES = re.compile(
    rf"[\x01-\x0c\x0e-\x5b\x5d-\x7f]*{_P}(?:\\(?:x[0-9a-fA-F]{{2}}|[0-3][0-7]{{2}}"
    rf"|[0-7]{{1,2}}(?![0-7])|[\\'\"abfnrtv\n])[\x01-\x0c\x0e-\x5b\x5d-\x7f]*{_P})*{_P}"
)
_LINE = re.compile(r"[^\n]+")


def _unescape(text: str, start: int, end: int, raw: bool = False) -> bytes:
    """Decode ``text[start:end]`` by bytes-literal rules; errors point into ``text``."""
    body = text[start:end]
    bad = _NON_ASCII.search(body)
    if bad:
        raise _error(text, start + bad.start(), f"{bad.group()!r} is not ASCII; use \\x escapes")
    if raw:
        return body.encode("ascii")

    def one(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[:1] == "x" and len(esc) == 3:
            return chr(int(esc[1:], 16))
        if esc[:1] == "x":
            raise _error(text, start + m.start(), "\\x must be followed by two hex digits")
        if esc and esc[0] in "01234567":
            if int(esc, 8) > 0xFF:
                raise _error(text, start + m.start(), f"octal escape \\{esc} is above \\377")
            return chr(int(esc, 8))
        if not esc:
            raise _error(text, start + m.start(), "lone backslash at the end")
        return _SIMPLE_ESCAPES.get(esc, "\\" + esc)  # unknown escapes keep their backslash

    return _ESCAPE.sub(one, body).encode("latin-1")


def _decode_plain(text: str, start: int, end: int) -> bytes:
    """``text[start:end]``, a literal body that ``_PLAIN_ESCAPES`` accepted, decoded in C.

    Decoded about 1 MiB at a time, so no copy of a large literal is made: each piece ends at
    the start of a run of backslashes (a backslash after a non-backslash starts an escape) or,
    when the piece holds no backslash, anywhere.
    """
    out: list[bytes] = []
    while end - start > _CHUNK:
        cut = text.rfind("\\", start, start + _CHUNK)
        if cut < 0:
            cut = start + _CHUNK
        else:
            while cut > start and text[cut - 1] == "\\":
                cut -= 1
            if cut == start:  # one run of backslashes fills the piece: decode the rest whole
                break
        out.append(escape_decode(text[start:cut].encode("ascii"))[0])
        start = cut
    out.append(escape_decode(text[start:end].encode("ascii"))[0])
    return b"".join(out)


def _decode_literal(text: str, start: int, end: int, raw: bool) -> bytes:
    """A literal's body in C when Python reads it without complaint, else :func:`_unescape`.

    On Python 3.11+ the C decoder warns of every escape Python would not accept (``\\q``,
    ``\\777``): the warning, a short ``\\x``, a lone backslash or a non-ASCII character sends
    the body to the careful reader, which says where it is wrong or keeps the backslash.
    Before 3.11 a regex checks the body first (the octal warning is new in 3.11).
    """
    if not raw and (_P or _PLAIN_ESCAPES.fullmatch(text, start, end)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", DeprecationWarning)
                return _decode_plain(text, start, end)
        except (ValueError, DeprecationWarning):  # UnicodeEncodeError is a ValueError
            pass
    return _unescape(text, start, end, raw)


_ONE_LITERAL = ("b'", 'b"', "B'", 'B"')


def _one_literal(text: str) -> bytes | None:
    """``text`` as one bytes literal, as ``repr`` prints one, found with a few scans, or None.

    The token regex below walks a literal escape by escape (seconds for a 100 MB repr).  A
    literal ``b'...'`` that is the whole text, with no line break and every quote of its
    kind escaped (:func:`_quotes_escaped`), ends at the text's last quote: its body goes
    straight to :func:`_decode_literal`.  Anything else is None, for the reader that takes
    every form, so the bytes and errors are the same.
    """
    start = _LEAD.match(text).end()  # type: ignore[union-attr]
    end = _content_end(text)
    if end - start < 3 or text[start] not in "bB":
        return None
    quote = text[start + 1]
    if quote not in "'\"" or text[end - 1] != quote:
        return None
    body, body_end = start + 2, end - 1
    if text.find("\n", body, body_end) >= 0 or not _quotes_escaped(text, body, body_end, quote):
        return None
    return _decode_literal(text, body, body_end, raw=False)


def _parse_literal(text: str) -> bytes:
    out: list[bytes] = []
    opened: list[int] = []
    pos = 0
    while pos < len(text):
        m = _LITERAL_TOKEN.match(text, pos)
        if m is None:
            if _QUOTE_AHEAD.match(text, pos):
                raise _error(text, pos, "string literal is not closed on this line")
            raise _error(text, pos, f"unexpected {text[pos]!r} between string literals")
        if m.group("open") is not None:
            opened.append(m.end() - 1)
        elif m.group("close") is not None:
            if not opened:
                raise _error(text, pos, "unmatched ')'")
            opened.pop()
        elif m.group("skip") is None:
            body = "sq" if m.group("sq") is not None else "dq"
            (start, end), raw = m.span(body), "r" in m.group("prefix").lower()
            out.append(_decode_literal(text, start, end, raw))
        pos = m.end()
    if opened:
        raise _error(text, opened[-1], "'(' is never closed")
    return b"".join(out)


def _parse_escapes(code: str) -> bytes:
    if (fast := _strided(code, "\\x", " \t\n\v\f")) is not None:
        return fast
    only = _escapes_only(code)  # (counts in C; the pattern when the text is not ASCII)
    if only or only is None and _ESCAPES_ONLY.fullmatch(code):  # nothing but \xNN, blanks
        if only:  # every backslash and x is a prefix: both go, one translate
            return bytes.fromhex(code.encode("ascii").translate(None, b"\\x").decode("ascii"))
        return bytes.fromhex(code.replace("\\x", ""))  # fromhex skips the whitespace
    # escapes mixed with characters that stand for themselves: all count except line breaks
    start, end = len(code) - len(code.lstrip()), len(code.rstrip())
    return b"".join(_unescape(code, *m.span()) for m in _LINE.finditer(code, start, end))


# -- 0x lists and C arrays ------------------------------------------------------------------------

_OX_HINT = re.compile(r"(?<![0-9A-Za-z_])0[xX][0-9a-fA-F]")
_C_NOISE = re.compile(
    r"/\*[\s\S]*?(?:\*/|\Z)|//[^\n]*"  # comments, declarations ("char a[] =", "n = 11;")
    r"|[A-Za-z_](?<!\w.)[\w \t*]{0,80}(?:\[[^\]\n]{0,20}\])?[ \t]*=(?:[ \t]*\d+[ \t]*;)?"
    r"|b(?<!\w.)(?:ytearray|ytes)(?=\s*\()"  # each branch starts with a literal or set: fast
)
_OX_TOKEN = re.compile(r"[^\s,;{}\[\]()]+")
_OX_BYTES, _OX_SEP = rf"0[xX](?:[0-9a-fA-F]{{2}})+{_P}", r"[\s,;{}\[\]()]"
# the trailing separators sit inside the optional group: ``SEP*(...)?SEP*`` is O(n²) on a miss
_OX_SEPARATORS = str.maketrans(",;{}[]()", "        ")
_OX_RUN = rf"0[xX][0-9a-fA-F]+{_P}"  # whole bytes or not: an odd run fails in fromhex
_OX_FAST = re.compile(
    rf"{_OX_SEP}*{_P}(?:{_OX_RUN}(?:{_OX_SEP}+{_P}{_OX_RUN})*{_P}{_OX_SEP}*{_P})?{_P}"
)


def _blank(m: re.Match[str]) -> str:
    if m.group().startswith("/*") and (len(m.group()) < 4 or not m.group().endswith("*/")):
        raise _error(m.string, m.start(), "comment is never closed")
    return re.sub(r"[^\n]", " ", m.group())  # keep the line breaks, so positions stay true


def _parse_ox(code: str) -> bytes:
    if (fast := _strided(code, "0x", " \t\n\v\f,;")) is not None:
        return fast
    if "/" in code or "=" in code or "byte" in code:  # every _C_NOISE match holds one of them
        code = _C_NOISE.sub(_blank, code)
    if _OX_FAST.fullmatch(code):  # 0x tokens between separators: odd ones fail in fromhex
        try:
            bare = code.replace("0x", "").replace("0X", "")  # x is only ever in a prefix
            return bytes.fromhex(bare.translate(_OX_SEPARATORS))
        except ValueError:
            pass
    digits: list[str] = []
    for m in _OX_TOKEN.finditer(code):
        token, pos = m.group(), m.start()
        if token[:2] not in ("0x", "0X") or len(token) == 2:
            raise _error(code, pos, f"expected a 0x-prefixed byte, found {token[:20]!r}")
        if len(token) > 3 or _NON_HEX.match(token, 2):  # 0x8 is one byte, 0x8185 two, 0x818 bad
            _check_hex(code, pos + 2, m.end(), _NON_HEX)
        digits.append(token[2:].zfill(2))
    return bytes.fromhex("".join(digits))


# -- base64 and direction-marked input ------------------------------------------------------------

_B64_BAD = re.compile(r"[^A-Za-z0-9+/=\-_\s]")
_B64_NOT_PAD = re.compile(r"[^=\s]")


_B64_BLANKS = b" \t\n\r\v\f"


def _base64_strict(text: str) -> bytes | None:
    """Padded standard base64 (``base64`` and most tools print it), decoded in C, else None.

    The text is stripped of whitespace and decoded 1 MiB at a time (no list of lines, no copy
    of the whole); ``strict_mode`` (Python 3.11+) refuses any other character and misplaced
    padding, and the careful reader below then says what is wrong or reads URL-safe and
    unpadded input.
    """
    if sys.version_info < (3, 11) or not text.isascii():
        return None
    out, carry = bytearray(), b""
    for i in range(0, len(text), _CHUNK):
        piece = carry + text[i : i + _CHUNK].encode("ascii").translate(None, _B64_BLANKS)
        final = i + _CHUNK >= len(text)
        cut = len(piece) if final else len(piece) - len(piece) % 4
        if not final and b"=" in piece:  # padding is only ever at the very end
            return None
        try:
            out += binascii.a2b_base64(piece[:cut], strict_mode=True)
        except binascii.Error:
            return None
        carry = piece[cut:]
    return bytes(out)


def parse_base64(text: str) -> bytes:
    """Decode standard or URL-safe base64; whitespace is ignored, missing padding tolerated."""
    text = _normalize(text)
    if (fast := _base64_strict(text)) is not None:
        return _some(fast)
    bad = _B64_BAD.search(text)
    if bad:
        raise _char_error(text, bad.start(), "a base64 character")
    first_pad = text.find("=")  # one scan from the first '=' (a lookahead at each '=' is O(n²))
    if first_pad >= 0 and _B64_NOT_PAD.search(text, first_pad):
        raise _error(text, first_pad, "'=' padding before the end")
    if extra := re.search(r"=\s*=\s*(=)", text):
        raise _error(text, extra.start(1), "too much '=' padding")
    data = "".join(text.split()).rstrip("=")
    if len(data) % 4 == 1 and (last := re.search(r"[^=\s][=\s]*$", text)):
        raise _error(text, last.start(), f"{len(data)} base64 digits: truncated or one too many")
    data = data.translate(str.maketrans("-_", "+/")) + "=" * (-len(data) % 4)
    return _some(base64.b64decode(data, validate=True))


_MARKER = re.compile(r"[ \t]*(?:([<>])|([cCsS]):)")
# a superset of the indented data lines of _XXD_LINE and _COLUMN_LINE (Follow TCP Stream sides)
_INDENTED_FIRST = re.compile(r"[ \t]+[0-9a-fA-F]{4,16}[: \t]")
_SPLIT_AHEAD = re.compile(r"\n[ \t]*(?:[<>]|[cCsS]:|(?<=[ \t])[0-9a-fA-F]{4,16}[: \t])")
_ONLY_BREAKS = re.compile(rf"\n*{_P}\Z")
_BLANK_FIRST = re.compile(r"[ \t\f\v]+(?=\n|\Z)")
_BLANK_AHEAD = re.compile(r"\n[ \t\f\v]+(?=\n|\Z)")


def _one_line(text: str) -> bool:
    """Nothing but line breaks after the first line break (found without counting them all)."""
    nl = text.find("\n")
    return nl < 0 or _ONLY_BREAKS.match(text, nl) is not None


def _one_stream(text: str) -> bool:
    """No line could split ``text`` into directions (one scan of a many-line text)."""
    if _MARKER.match(text) or _INDENTED_FIRST.match(text):
        return False
    if _one_line(text):
        return True
    return not _SPLIT_AHEAD.search(text, text.find("\n"))


def _parse_one_stream(text: str) -> bytes:
    """:func:`parse_bytes` of ``text`` as :func:`parse_directional` sees one segment.

    Comment lines and blank lines count as empty lines, and an error without a line is placed
    on the first line that holds anything, exactly as for a marked segment.
    """
    body = _uncomment(text)
    if not _one_line(body):
        body = _BLANK_AHEAD.sub("\n", body)  # (the same object when no line is blank)
    if first := _BLANK_FIRST.match(body):
        body = body[first.end() :]
    lead = _LEAD.match(body).end()  # type: ignore[union-attr]
    if lead == len(body):
        raise HexInputError("no bytes in input")
    try:
        return _parse_bytes(body, uncommented=True)
    except HexInputError as exc:
        if exc.line is not None:
            raise
        raise HexInputError(exc.reason, body.count("\n", 0, lead) + 1, exc.column) from None


def parse_directional(text: str) -> list[tuple[str | None, bytes]]:
    """Split a capture into ``(direction, bytes)`` segments; direction 'client', 'server' or None.

    Lines starting with ``>`` or ``c:`` are client->server, ``<`` or ``s:`` server->client, others
    continue the segment; without markers, Wireshark "Follow TCP Stream" dumps are split by their
    indentation (server lines are indented).  Each segment is parsed with :func:`parse_bytes`.
    """
    text = _normalize(text)
    from .tsharkdump import decode_segments  # tshark -x / follow, od: recognised by content

    if (tool := decode_segments(text)) is not None:
        return tool
    if _one_stream(text):  # no marker, no indented dump line: one parse of the whole text
        return [(None, _parse_one_stream(text))]
    lines = text.split("\n")
    rows = None if any(map(_MARKER.match, lines)) else _dump_rows(_uncomment(text))
    data_rows = [(i, m) for i, kind, _, m in rows or () if m and kind == "data"]
    follow = {i: "server" if m.group(1) else "client" for i, m in data_rows}
    if len(set(follow.values())) < 2:
        follow = {}  # every line indented alike: the direction cannot be told
    segments: list[tuple[str | None, int, list[str]]] = []  # direction, first line index, lines
    direction: str | None = None
    for index, line in enumerate(lines):
        if marker := _MARKER.match(line):
            client = marker.group(1) == ">" or marker.group(2) in ("c", "C")
            direction = "client" if client else "server"
            line = " " * marker.end() + line[marker.end() :]  # keep the columns
        direction = follow.get(index, direction)
        blank = not line.strip() or line.lstrip().startswith("#")
        if not blank and (not segments or segments[-1][0] != direction):
            segments.append((direction, index, []))
        if segments:
            segments[-1][2].append("" if blank else line)
    result: list[tuple[str | None, bytes]] = []
    for side, first, seg_lines in segments:
        try:
            result.append((side, parse_bytes("\n".join(seg_lines))))
        except HexInputError as exc:  # report the line within the whole text
            raise HexInputError(exc.reason, first + (exc.line or 1), exc.column) from None
    if not result:
        raise HexInputError("no bytes in input")
    return result
