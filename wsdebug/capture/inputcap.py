"""Reading input files and standard input with a size cap (``--max-input``), and the one
input that needs no format parser: a run of hex digits (:func:`one_hex_run`).

Every command that reads a whole input (``decode -f``, ``handshake check``, ``replay``) reads
it through :func:`read_capped`: at most ``limit`` bytes are ever allocated, so ``/dev/zero``
or a runaway pipe stops at the cap at once with one line saying so, not a MemoryError.
"""

from __future__ import annotations

import os
import re
import stat
from typing import IO

#: ``decode`` and ``replay`` of a hex dump or HAR hold the whole text in memory several times
#: over (text, bytes, frames, views): 256 MiB of text is already minutes of work.
DEFAULT_DECODE_MAX = 256 << 20
#: ``replay`` streams wsdebug captures and pcap files (memory grows with the frames, about half
#: the JSONL size): 1 GiB covers long recordings.
DEFAULT_REPLAY_MAX = 1 << 30
#: A handshake fits in 16 KiB on the wire; 1 MiB leaves room for anything pasted around it.
DEFAULT_HANDSHAKE_MAX = 1 << 20

_CHUNK = 1 << 20
_SIZE = re.compile(r"\s*(\d+)\s*([kmgt]?)(i?b)?\s*", re.IGNORECASE)


class InputTooLarge(ValueError):
    """More input than the cap; ``str()`` is one line naming the input and the limit."""


def format_size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n:,} bytes"


def parse_size(text: str) -> int:
    """``"64M"``, ``"1GiB"``, ``"1g"``, ``"500000"`` -> bytes (K/M/G/T are powers of 1024)."""
    m = _SIZE.fullmatch(text)
    if m is None:
        raise ValueError(f"not a size: {text!r} (use bytes, or K, M, G, e.g. 64M)")
    value = int(m.group(1)) << (10 * " kmgt".index(m.group(2).lower() or " "))
    if value < 1:
        raise ValueError("the size must be at least 1 byte")
    return value


def too_large(name: str, limit: int, got: int | None = None) -> InputTooLarge:
    size = f" ({got:,} bytes)" if got is not None else ""
    return InputTooLarge(
        f"{name}{size} is larger than the input limit of {format_size(limit)}; "
        "raise it with --max-input SIZE"
    )


def check_file_size(fh: IO[bytes], limit: int, name: str) -> None:
    """For a regular file, refuse one larger than ``limit`` before reading anything."""
    try:
        st = os.fstat(fh.fileno())
    except (OSError, AttributeError, ValueError):
        return
    if stat.S_ISREG(st.st_mode) and st.st_size > limit:
        raise too_large(name, limit, st.st_size)


def read_capped(fh: IO[bytes], limit: int, name: str, *, have: int = 0) -> bytes:
    """The rest of ``fh``, or InputTooLarge as soon as the input holds more than ``limit`` bytes.

    ``have`` bytes were already read from it.  Reads in chunks of at most 1 MiB and never asks
    for more than ``limit + 1`` bytes in all.
    """
    check_file_size(fh, limit, name)
    parts: list[bytes] = []
    total = have
    if total > limit:
        raise too_large(name, limit)
    while True:
        part = fh.read(min(_CHUNK, limit + 1 - total))
        if not part:
            return b"".join(parts)
        total += len(part)
        if total > limit:
            raise too_large(name, limit)
        parts.append(part)


#: what ``bytes.fromhex`` skips between pairs (str.isspace and re's ``\s`` take more: U+001C to
#: U+001F, U+00A0, which fromhex refuses)
FROMHEX_BLANKS = " \t\n\r\v\f"


def one_hex_run(text: str) -> bytes | None:
    """The bytes of ``text`` when it is one run of hex digits, blanks around it allowed; else
    None (a dump with offsets or spaces between bytes, and a blank text, are the format
    parsers' to read and to report).

    One ``bytes.fromhex`` pass and no copy of the text: the blanks it skipped are counted
    from the lengths, and must all be at the two ends.
    """
    try:
        data = bytes.fromhex(text)
    except ValueError:
        return None
    blanks = len(text) - 2 * len(data)
    lead = 0
    while lead < blanks and text[lead] in FROMHEX_BLANKS:
        lead += 1
    trail = 0
    while lead + trail < blanks and text[-1 - trail] in FROMHEX_BLANKS:
        trail += 1
    return data if data and lead + trail == blanks else None
