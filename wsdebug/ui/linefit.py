"""The rules a summary line is laid out by, and small formatting helpers, without rich.

:mod:`wsdebug.ui.lines` (rich renderables) and :mod:`wsdebug.ui.rows` (plain strings) both lay
a frame's summary out with :func:`layout` and :func:`wrap_pieces`, so a terminal and a pipe
show the same characters; :mod:`wsdebug.ui.bytesview` draws the classroom view with the
helpers.  Nothing here imports rich.
"""

from __future__ import annotations

from datetime import datetime

from wsdebug.codec.rules import Rule
from wsdebug.codec.spec import Direction, Role, close_code_meaning
from wsdebug.codec.stream import FrameRecord

from .cells import cell_len
from .safe import inert

#: What points right (sent by the client, or "out" from us) and left, for the arrows.
OUT = (Direction.C2S, Role.CLIENT, "out", "→", "->")
IN = (Direction.S2C, Role.SERVER, "in", "←", "<-")

_RSV1_RULES = frozenset(
    {Rule.RSV_WITHOUT_EXTENSION, Rule.RSV1_ON_CONTROL, Rule.RSV1_ON_CONTINUATION}
)


# -- small helpers -------------------------------------------------------------------------------


def clock(ts: float) -> str:
    t = datetime.fromtimestamp(ts)
    return t.strftime("%H:%M:%S.") + f"{t.microsecond // 1000:03d}"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def hex_preview(data: bytes, budget: int, ellipsis: str) -> str:
    """As many bytes of ``data`` in hex as fit ``budget`` columns."""
    if len(data) * 3 - 1 <= budget:
        return data.hex(" ")
    return data[: max(1, (budget - len(ellipsis) - 1) // 3)].hex(" ") + " " + ellipsis


def clip(text: str, limit: int) -> tuple[str, int]:
    return (text, 0) if len(text) <= limit else (text[:limit], len(text) - limit)


# -- one-line summaries --------------------------------------------------------------------------


def shows_text(rec: FrameRecord) -> bool:
    """Whether a frame's preview is its text (else hex).  Text frames show their text, escaped;
    a ping or pong shows text only when it is printable UTF-8 (one rule for both)."""
    text = rec.text
    if text is None or not (rec.frame.payload_len or rec.inflated):
        return False
    return rec.frame.opcode_raw not in (0x9, 0xA) or text.isprintable()


# -- fitting a summary line to the width -------------------------------------------------------
#
# A summary line is metadata pieces, then the payload preview, then the problem count.  When the
# line is too wide the metadata gives way, least useful first, until the payload gets the room it
# wants (all of it, or WANT cells: a 60-character text message in full).  Below NARROW columns
# nothing is dropped: the pieces wrap onto indented lines and the payload gets a line of its own.
# rows.py builds the same pieces as strings and calls the same :func:`layout`, so bulk output
# and rich output agree character for character.

WANT = 62  #: cells the payload preview is given before metadata stops giving way
WANT_HEX = 47  #: the same for a hex preview: 16 bytes
NARROW = 60  #: below this width the line wraps instead of dropping metadata
INDENT = "  "  #: continuation lines

# Drop ranks, first dropped first; None: never dropped.
PAD, KEY, FORM, FIN, MASK, TIME, SIZE = range(7)


def want_cells(rec: FrameRecord) -> int:
    """Cells the payload preview would like (at most WANT); the same for rich and rows."""
    frame = rec.frame
    close = rec.close
    if close is not None:
        if close.code is None:
            return 14 if not frame.payload_len else 20
        n = len(f"{close.code} {close_code_meaning(close.code)}")
        if close.reason:
            n += 2 + cell_len(inert(close.reason[:WANT]))
        elif close.reason is None:
            n += 9 + len(close.reason_bytes) * 3 - 1
        return min(n, WANT)
    if rec.text is not None and shows_text(rec):
        if len(rec.text) >= WANT:
            return WANT
        return min(cell_len(inert(rec.text)) + 2, WANT)
    if frame.payload_len:
        return min(frame.payload_len * 3 - 1, WANT_HEX)
    return 7  # (empty)


def layout(
    cells: list[int], ranks: list[int | None], suffix: int, want: int, width: int
) -> tuple[list[bool], bool]:
    """Which metadata pieces stay, and whether the line wraps (narrow consoles)."""
    keep = [True] * len(cells)
    used = sum(cells)
    if width - used - suffix - 2 >= want:
        return keep, False
    if width < NARROW:
        return [r != PAD for r in ranks], True
    for rank in range(SIZE + 1):
        for i, r in enumerate(ranks):
            if r == rank and keep[i]:
                keep[i] = False
                used -= cells[i]
        if width - used - suffix - 2 >= want:
            break
    return keep, False


def wrap_pieces(pieces: list[str], width: int) -> list[list[int]]:
    """Greedy wrap of metadata pieces (each starting with its separating blank): the indexes
    on each line.  A piece that starts a continuation line loses its leading blanks."""
    lines: list[list[int]] = [[]]
    used = 0
    for i, piece in enumerate(pieces):
        n = cell_len(piece)
        if lines[-1] and used + n > width:
            lines.append([])
            used = len(INDENT)
            n = cell_len(piece.lstrip(" "))
        lines[-1].append(i)
        used += n
    return lines


# -- bytes as characters ------------------------------------------------------------------------


def _utf8_size(lead: int) -> int:
    """Length of the UTF-8 sequence a lead byte starts; 0 for a byte that cannot lead."""
    if lead < 0x80:
        return 1
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    return 4 if 0xF0 <= lead <= 0xF4 else 0
