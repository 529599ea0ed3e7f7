"""Text hex dumps with direction markers, as people paste them into bug reports.

A line starting with ``>`` or ``c:`` (client to server) or ``<`` or ``s:`` (server to client)
starts a block; lines without a marker continue the current block; ``#`` starts a comment
line.  Each block is read by :func:`wsdebug.inputs.parse_bytes`, so every format ``decode``
accepts works inside a block (plain hex, ``0x..``, ``\\x..``, xxd, ``hexdump -C``, Wireshark).

Without any marker the whole text is one stream whose direction is guessed from the first
frame's mask bit (masked: the client sent it), and the conversation says so.  A hex dump has
no times: every chunk gets time 0, and the views show no clock.
"""

from __future__ import annotations

import re

from .format import C2S, S2C, CaptureError, Chunk, ConnectionInfo

_MARKER = re.compile(r"^[ \t]*(>|<|[cs]:|client:|server:)[ \t]?", re.IGNORECASE)
_DIRS = {">": C2S, "<": S2C, "c:": C2S, "s:": S2C, "client:": C2S, "server:": S2C}


def split_blocks(text: str) -> list[tuple[str | None, str, int]]:
    """(direction or None, block text, first line number) for each block, in order."""
    blocks: list[tuple[str | None, list[str], int]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        m = _MARKER.match(line)
        if m:
            blocks.append((_DIRS[m.group(1).lower()], [line[m.end():]], lineno))
        elif blocks:
            blocks[-1][1].append(line)
        elif line.strip():
            blocks.append((None, [line], lineno))
    return [(d, "\n".join(lines), n) for d, lines, n in blocks]


def read_hexdump(text: str, name: str) -> tuple[list[ConnectionInfo], list[str]]:
    """One conversation from a (directional) hex dump, and notes about how it was read.

    Raises:
        CaptureError: a block that is not hex, or no bytes at all.
    """
    from ..inputs import HexInputError, parse_bytes

    info = ConnectionInfo("1")
    notes = ["a hex dump has no times: frames are numbered in the order of the dump"]
    blocks = split_blocks(text)
    directions = {d for d, _, _ in blocks}
    for direction, body, lineno in blocks:
        if not body.strip():
            continue
        try:
            data = parse_bytes(body)
        except HexInputError as exc:
            raise CaptureError(f"{name}: line {lineno}: not a capture wsdebug reads (no JSONL, pcap, HAR or hex): {exc}") from None
        if direction is None:
            if directions != {None}:
                raise CaptureError(f"{name}: line {lineno}: bytes without a direction marker (>, <, c: or s:) before the first marker")
            masked = len(data) > 1 and bool(data[1] & 0x80)
            direction = C2S if masked else S2C
            notes.append("no direction markers (> < c: s:): all bytes taken as sent by the "
                         f"{'client (the first frame is masked)' if masked else 'server (the first frame is not masked)'}")
        info.chunks.append(Chunk(0.0, "1", direction, data))
    if not info.chunks:
        raise CaptureError(f"{name}: no bytes in the hex dump")
    return [info], notes
