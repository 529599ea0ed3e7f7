"""Hex dumps (xxd, ``hexdump -C``, Wireshark) read back into bytes, for :mod:`.textinput`.

:func:`parse_dump_fast` slices runs of equal lines column by column in C; :func:`dump_rows` and
:func:`parse_dump` read line by line, check every offset and expand ``*`` lines, and say exactly
where a dump is wrong.  The hex area of a line ends at the first run of 2+ blanks (bar the gap
after the 8th byte), so the ASCII column is never read.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator, Sequence

from .textbase import HexInputError, _check_hex, _error

_MAX_EXPAND = 64 << 20  #: refuse to expand the '*' lines of a dump into more than 64 MiB

_XXD_LINE = re.compile(r"([ \t]*)([0-9a-fA-F]{4,16}):[ \t]+(?=[0-9a-fA-F]{2})")
_COLUMN_LINE = re.compile(r"([ \t]*)([0-9a-fA-F]{4,16})(?:\t|  )[ \t]*(?=[0-9a-fA-F]{2}(?:\s|$))")
_STAR_LINE = re.compile(r"[ \t]*\*[ \t]*")
_OFFSET_LINE = re.compile(r"([ \t]*)([0-9a-fA-F]{4,16})[ \t]*")
_HEX_AREA = re.compile(r"[^ \t]+(?: [^ \t]+)*")  # groups split by single spaces
_SECOND_HALF = re.compile(r"(?=[0-9a-fA-F]{2}(?:[ \t]|$))[^ \t]+(?: [^ \t]+)*")
_DUMP_BAD = re.compile(r"[^0-9a-fA-F ]")
_Row = tuple[int, str, int, "re.Match[str] | None"]  # line index, kind, line start, match


def _may_be_dump(code: str, lead: int) -> bool:
    """The first line that holds anything is a dump's line (matched in place, not copied).

    :func:`_dump_rows` refuses an input whose first such line is not, after reading it whole.
    """
    start = code.rfind("\n", 0, lead) + 1
    nl = code.find("\n", lead)
    nl = len(code) if nl < 0 else nl
    return bool(
        _XXD_LINE.match(code, start, nl)
        or _COLUMN_LINE.match(code, start, nl)
        or _STAR_LINE.fullmatch(code, start, nl)
        or _OFFSET_LINE.fullmatch(code, start, nl)
    )


def _lines(code: str) -> Iterator[str]:
    """``code.split("\\n")``, one line at a time (no list of millions of lines up front)."""
    start = 0
    while (end := code.find("\n", start)) >= 0:
        yield code[start:end]
        start = end + 1
    yield code[start:]


def _dump_rows(code: str) -> list[_Row] | None:
    """Classify every non-blank line as "data", "star" or "end" (offset only), else None."""
    rows: list[_Row] = []
    start = 0
    for index, line in enumerate(_lines(code)):  # stops at the first line that is not a dump's
        if line.strip():
            if m := _XXD_LINE.match(line) or _COLUMN_LINE.match(line):
                rows.append((index, "data", start, m))
            elif _STAR_LINE.fullmatch(line):
                rows.append((index, "star", start, None))
            elif m := _OFFSET_LINE.fullmatch(line):
                rows.append((index, "end", start, m))
            else:
                return None
        start += len(line) + 1
    return rows if any(row[1] == "data" for row in rows) else None


def _hex_spans(code: str, start: int, m: re.Match[str]) -> list[tuple[int, int]]:
    """Where one dump line's hex area is: up to the first run of 2+ blanks (bar byte 8's)."""
    end = code.find("\n", start)
    end = len(code) if end < 0 else end
    area = _HEX_AREA.match(code, start + m.end(), end)
    assert area is not None  # the line patterns look ahead for a hex digit
    spans, gap = [area.span()], area.end() + 2  # hexdump -C, Wireshark: 2 spaces after byte 8
    eighth = m.re is _COLUMN_LINE and area.group().count(" ") == 7 and code[gap - 2 : gap] == "  "
    if eighth and (more := _SECOND_HALF.match(code, gap, end)):
        spans.append(more.span())
    return spans


def _dump_line_bytes(code: str, start: int, m: re.Match[str]) -> bytes:
    """The bytes of one dump line: its hex area, up to the first run of 2+ blanks."""
    spans = _hex_spans(code, start, m)
    for a, b in spans:
        _check_hex(code, a, b, _DUMP_BAD)
    return bytes.fromhex(" ".join(code[a:b] for a, b in spans))


_RUN_BLOCK = 1 << 16  #: lines sliced at a time in a run (the digits of a block are 2 MiB)


def _parse_dump_fast(code: str) -> bytes | None:
    """A dump read run by run: lines of one length are sliced column by column, in C.

    xxd, ``hexdump -C`` and Wireshark print every full line alike, so in a run of lines of the
    same length each hex digit sits in the same column: a strided slice takes that column from
    every line at once, and one ``unhexlify`` per block decodes them.  Each run is checked: its
    separators are blanks on every line, its digits hex, its first offset follows the previous
    line and its last offset follows from the line count.  Anything else (``*`` lines, indented
    Follow-stream sides, a new dump at 0, a bad digit) returns None: :func:`_parse_dump` then
    reads the input line by line and reports the exact place.
    """
    if not code.isascii():
        return None
    try:
        return _dump_runs(code)
    except (HexInputError, ValueError):
        return None


def _columns(code: str, start: int, stop: int, width: int, places: Sequence[int]) -> bytearray:
    """The characters at ``places`` of every line in ``code[start:stop]``, line after line."""
    out = bytearray((stop - start) // width * len(places))
    for j, c in enumerate(places):
        out[j :: len(places)] = code[start + c : stop : width].encode("ascii")
    return out


_HEX_DIGITS = b"0123456789abcdef"


def _offset_column(first: int, count: int, step: int, width: int) -> bytes | None:
    """The offsets (lowercase, ``width`` digits) of ``count`` lines from ``first``, built digit
    column by digit column with bytes repeats; None unless ``step`` is 16 and ``first`` aligned.

    With 16 bytes a line the last digit is fixed and digit k >= 1 steps every 16**(k-1)
    lines, so each column is runs of one character: a repeated period for the fast digits, a
    few runs for the slow ones.
    """
    if step != 16 or first % 16 or first + count * 16 > 16**width:
        return None
    line = first >> 4  # the line number the first offset stands for
    columns: list[bytes] = []
    for k in range(width - 1, -1, -1):  # leftmost (most significant) digit first
        if k == 0:
            columns.append(b"0" * count)
            continue
        run = 16 ** (k - 1)  # lines that share one value of this digit
        if run < 4096:
            period = b"".join(bytes([d]) * run for d in _HEX_DIGITS)
            phase = line % len(period)
            columns.append((period * ((phase + count) // len(period) + 1))[phase : phase + count])
            continue
        parts, at, left = [], line, count
        while left:  # at most count // run + 2 runs (a few)
            n = min(left, run - at % run)
            parts.append(_HEX_DIGITS[(at // run) % 16 :][:1] * n)
            at, left = at + n, left - n
        columns.append(b"".join(parts))
    out = bytearray(count * width)
    for j, column in enumerate(columns):
        out[j::width] = column
    return bytes(out)


def _dump_runs(code: str) -> bytes | None:
    out = bytearray()
    n, pos, expected = len(code), 0, -1
    while pos < n:
        nl = code.find("\n", pos)
        nl = n if nl < 0 else nl
        if pos == nl or (code[pos].isspace() and code[pos:nl].isspace()):  # (no copy of data)
            pos = nl + 1
            continue
        if not (_XXD_LINE.match(code, pos, nl) or _COLUMN_LINE.match(code, pos, nl)):
            m = None  # (not copied: a one-line paste can be the whole input)
        else:
            line = code[pos:nl]
            m = _XXD_LINE.match(line) or _COLUMN_LINE.match(line)
        if m is None:
            last_line = _OFFSET_LINE.fullmatch(code, pos, nl)
            if last_line is None or last_line.group(1) or int(last_line.group(2), 16) != expected:
                return None
            pos = nl + 1
            continue
        offset = int(m.group(2), 16)
        if m.group(1) or (expected >= 0 and offset != expected):
            return None
        width = nl + 1 - pos
        ends = code[pos + width - 1 :: width]  # a run: the same line length, line after line
        lines = len(ends) - len(ends.lstrip("\n"))
        if lines < 2 or code.count("\n", pos, pos + lines * width) != lines:
            data = _dump_line_bytes(code, pos, m)
            out += data
            expected, pos = offset + len(data), nl + 1
            continue
        spans = [(a - pos, b - pos) for a, b in _hex_spans(code, pos, m)]  # within a line
        digits = [c for a, b in spans for c in range(a, b) if code[pos + c] != " "]
        blanks = [c for a, b in spans for c in range(a, b) if code[pos + c] == " "]
        per_line = len(digits) // 2
        last = pos + (lines - 1) * width
        tail_line = code[last : last + width - 1]
        tail = _XXD_LINE.match(tail_line) or _COLUMN_LINE.match(tail_line)
        if (
            len(digits) % 2
            or tail is None
            or tail.span() != m.span()
            or int(tail.group(2), 16) != offset + (lines - 1) * per_line
        ):
            return None
        stop = pos + lines * width
        if any(code[pos + c : stop : width].strip(" ") for c in blanks):
            return None
        places = range(m.start(2), m.end(2))  # the offset's digits
        form = f"{{:0{len(places)}x}}".format
        for first in range(pos, stop, _RUN_BLOCK * width):
            upto = min(stop, first + _RUN_BLOCK * width)
            at = offset + (first - pos) // width * per_line
            count = (upto - first) // width
            said = _columns(code, first, upto, width, places).lower()
            want = _offset_column(at, count, per_line, len(places))
            if want is None:  # not 16 bytes a line from a multiple of 16: one format per line
                want = "".join(map(form, range(at, at + count * per_line, per_line))).encode()
            if said != want:
                return None  # a line lost or moved: the slow path says where
            out += binascii.unhexlify(_columns(code, first, upto, width, digits))  # ValueError
        expected, pos = offset + lines * per_line, stop
    return bytes(out) if out else None


def _parse_dump(code: str, rows: list[_Row]) -> bytes:
    out = bytearray()
    expected: dict[bool, int] = {}  # next offset per side (indented or not, as in Follow Stream)
    last, last_side, star = b"", False, -1  # star: start of a '*' line awaiting its end offset
    for _, kind, start, m in rows:
        if m is None:  # a '*' line
            if not last:
                raise _error(code, start, "'*' line before any data line")
            star = start
            continue
        side, offset, at = bool(m.group(1)), int(m.group(2), 16), start + m.start(2)
        if star >= 0:
            gap = offset - expected[last_side]
            if side != last_side or gap < 0 or gap % len(last):
                raise _error(code, at, "offset does not end whole lines repeated by the '*' line")
            if len(out) + gap > _MAX_EXPAND:
                raise _error(code, star, "'*' line expands to more than 64 MiB")
            out += last * (gap // len(last))
            expected[side], star = offset, -1
        want = expected.get(side, offset)
        if offset != want and (kind == "end" or offset != 0):  # a data line at 0 starts a new dump
            form = f"0{len(m.group(2))}{'X' if m.group(2).isupper() else 'x'}"
            raise _error(code, at, f"offset {m.group(2)} should be {want:{form}}: lines lost?")
        if kind == "data":
            last, last_side = _dump_line_bytes(code, start, m), side
            out += last
            expected[side] = offset + len(last)
    if star >= 0:
        raise _error(code, star, "'*' elides repeated lines, but no later offset says how many")
    return bytes(out)
