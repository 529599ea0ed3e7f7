"""Make untrusted text (payloads, close reasons, header values) harmless and visible.

A terminal obeys the control characters it is sent: ESC starts a sequence that can recolour,
move the cursor, retitle the window or worse; bidi overrides reorder what the reader sees;
zero-width and other format characters hide content.  Rich strips only five control codes and
passes ESC, and prompt-toolkit's ``patch_stdout(raw=True)`` passes everything, so this module is
the only guard: every string from the network goes through :func:`inert` or :func:`inert_text`
before it reaches a renderable.

Each dangerous character becomes a visible escape in Python notation (``\\x1b``, ``\\n``,
``\\u202e``, ``\\U000e0041``).  Backslashes themselves are left alone, so JSON stays
readable; :func:`inert_text` styles the escapes (``ws.escape``) so they stand out from literal
text, and the text is never parsed as markup (``[bold]`` shows as typed).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..capture.charsafety import UNSAFE, escape_char, escape_match

if TYPE_CHECKING:
    from rich.style import Style
    from rich.text import Text

_UNSAFE = UNSAFE

#: The characters of :data:`_UNSAFE` that ``str.isprintable()`` accepts (letters and marks
#: that render as nothing).  Every other unsafe character is non-printable, so a printable
#: ASCII string, the common case, is cleared by one C-speed ``isprintable()`` call.
_PRINTABLE_UNSAFE = re.compile("[\u034f\u115f\u1160\u180b-\u180d\u180f\u3164\uffa0]")


def inert(text: str) -> str:
    """``text`` with every control, bidi, format and lone-surrogate character escaped.

    >>> inert("a\\x1b[31mb\\u202e")
    'a\\\\x1b[31mb\\\\u202e'
    """
    if not needs_escape(text):  # the common clean case: C-speed scans, no substitution
        return text
    return _UNSAFE.sub(escape_match, text)


def needs_escape(text: str) -> bool:
    """True if :func:`inert` would change ``text``."""
    if text.isprintable():
        return not text.isascii() and _PRINTABLE_UNSAFE.search(text) is not None
    return True


def inert_text(
    text: str,
    style: str | Style | None = None,
    *,
    escape_style: str | Style | None = "ws.escape",
) -> Text:
    """A :class:`~rich.text.Text` of ``text`` made inert, built directly (never via markup).

    Args:
        style: style of the whole text.
        escape_style: extra style for the escapes, so ``\\x1b`` from an escaped ESC looks
            different from a literal backslash-x-1-b; None for no extra style.
    """
    from rich.text import Text  # here: plain-text output never imports rich

    out = Text(style=style or "")
    if not needs_escape(text):
        out.plain = text
        return out
    pos = 0
    append = out.append
    for match in _UNSAFE.finditer(text):
        start = match.start()
        if start > pos:
            append(text[pos:start])
        append(escape_char(match.group()), escape_style)
        pos = match.end()
    if pos < len(text):
        append(text[pos:])
    return out


def inert_pieces(
    text: str, style: str | None = None, escape_style: str | None = "ws.escape"
) -> list[tuple[str, str | None]]:
    """:func:`inert_text` as ``(text, style name)`` pieces, for output drawn without rich.

    Joined, the pieces are :func:`inert` of ``text``; the escapes get ``escape_style`` on top
    of ``style`` (both names, a blank between them).
    """
    if not needs_escape(text):
        return [(text, style)]
    if escape_style and style:
        escape_style = f"{style} {escape_style}"
    out: list[tuple[str, str | None]] = []
    pos = 0
    for match in _UNSAFE.finditer(text):
        start = match.start()
        if start > pos:
            out.append((text[pos:start], style))
        out.append((escape_char(match.group()), escape_style or style))
        pos = match.end()
    if pos < len(text):
        out.append((text[pos:], style))
    return out
