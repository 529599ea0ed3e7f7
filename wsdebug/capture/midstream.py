"""WebSocket streams in captures that began after the opening handshake.

Theory of operation
-------------------
Without the upgrade there is no ``GET`` to say which side is the client, where the frames
begin or which extensions were agreed.  :func:`resync` finds the first offset in a stream's
first 64 KiB from which frame headers parse into a consistent sequence: each header is a
plausible RFC 6455 header (RSV2/RSV3 clear, a defined opcode, control frames final and at most
125 bytes, the shortest length form), every frame has the same mask bit, and the next header
starts where the previous frame ends, :data:`NEED` times over (or up to the exact end of the
stream).  Candidate offsets are found with one regular-expression scan for plausible first
bytes; each candidate walks at most :data:`NEED` headers, so the work is bounded by the window.

:func:`classify` then decides the roles: ``--server-port`` when given; else the direction whose
frames are masked is the client (RFC 6455 §5.3: a client masks every frame); else the side that
sent the SYN, else the higher (ephemeral) port.  Every assumption is returned as a note.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

WINDOW = 1 << 16  #: bytes of a stream searched for the first frame header
NEED = 6  #: consecutive frames that must chain up for a resynchronisation to count
_FIRST = re.compile(rb"[\x00-\x02\x08-\x0a\x40-\x42\x80-\x82\x88-\x8a\xc0-\xc2]")
_CONTROL = (8, 9, 10)


@dataclass(frozen=True)
class Resync:
    offset: int  #: where the first whole frame starts
    masked: bool  #: the frames' mask bit: the client's stream when True
    frames: int  #: how many frames chained up from there (at most NEED)


def _frame_end(data: bytes, pos: int, masked: bool | None) -> tuple[int, bool] | None:
    """Where the frame at ``pos`` ends and its mask bit, when its header is plausible."""
    if pos + 2 > len(data):
        return None
    b0, b1 = data[pos], data[pos + 1]
    op, mask, n = b0 & 15, bool(b1 & 0x80), b1 & 0x7F
    if b0 & 0x30 or op not in (0, 1, 2, 8, 9, 10) or (masked is not None and mask != masked):
        return None
    if op in _CONTROL and (not b0 & 0x80 or n > 125 or b0 & 0x40):
        return None
    head = 2
    if n == 126:
        if pos + 4 > len(data):
            return None
        n, head = struct.unpack_from("!H", data, pos + 2)[0], 4
        if n < 126:
            return None
    elif n == 127:
        if pos + 10 > len(data):
            return None
        n, head = struct.unpack_from("!Q", data, pos + 2)[0], 10
        if n < 1 << 16 or n >> 63:
            return None
    return pos + head + (4 if mask else 0) + n, mask


def resync(data: bytes, *, window: int = WINDOW, need: int = NEED) -> Resync | None:
    """The first offset in ``data[:window]`` where ``need`` frames chain up (see the module)."""
    for m in _FIRST.finditer(data, 0, min(len(data), window)):
        start = pos = m.start()
        masked: bool | None = None
        count, open_end = 0, False
        while count < need and pos < len(data):
            step = _frame_end(data, pos, masked)
            if step is None:
                break
            end, masked = step
            if end > len(data):  # runs past what was given: plausible, not verified
                open_end = True
                break
            count, pos = count + 1, end
        whole = pos == len(data) and count >= (1 if start == 0 else 2)
        if count >= need or whole or (open_end and count >= need // 2):
            assert masked is not None
            return Resync(start, masked, count)
    return None


@dataclass
class Decision:
    client: int  #: index (0 or 1) of the client's stream
    offsets: tuple[int, int]  #: bytes skipped at the start of stream 0 and stream 1
    notes: list[str]


def classify(
    heads: tuple[bytes, bytes],
    ports: tuple[int, int],
    *,
    syn_sender: int | None = None,
    server_port: int | None = None,
) -> Decision | None:
    """Which of two streams (their first bytes) is the client's, and where their frames start.

    Returns None when neither stream holds frames that chain up (not WebSocket, as far as can
    be told).
    """
    found = [resync(h) if h else None for h in heads]
    if not any(found):
        return None
    notes = ["capture began after the opening handshake: no HTTP upgrade was captured"]
    masked = [r is not None and r.masked for r in found]
    unmasked = [r is not None and not r.masked for r in found]
    if server_port is not None and server_port in ports:
        client = 1 if ports[0] == server_port else 0
        notes.append(f"the server is the side on port {server_port} (--server-port)")
    elif any(masked) and not all(masked):
        client = masked.index(True)
        notes.append("the client is the side whose frames are masked (RFC 6455 §5.3)")
    elif any(unmasked) and not all(unmasked):
        client = 1 - unmasked.index(True)
        notes.append("the client is the side whose frames are not the unmasked ones")
    elif syn_sender is not None:
        client = syn_sender
        notes.append("the client is the side that sent the TCP SYN (the frames do not tell)")
    else:
        client = 0 if ports[0] > ports[1] else 1
        notes.append("the client is taken as the side on the higher (ephemeral) port")
    offsets = (found[0].offset if found[0] else 0, found[1].offset if found[1] else 0)
    for index, (r, o) in enumerate(zip(found, offsets, strict=True)):
        who = "client" if index == client else "server"
        if r is not None and o:
            notes.append(
                f"the {who}'s first {o} bytes are the end of a frame begun before the capture: "
                "skipped; frames start where their headers chain up"
            )
    notes.append(
        "extensions unknown: permessage-deflate is off unless --deflate or --deflate=PARAMS says so"
    )
    return Decision(client, offsets, notes)
