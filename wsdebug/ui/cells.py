"""Measuring, cutting and wrapping text in terminal cells, as rich does, without importing it.

Plain-text output (rows, the classroom view without colour) must break lines exactly where
rich would, so that a terminal and a pipe show the same characters.  Text that is ASCII, or
ASCII apart from wsdebug's own one-cell glyphs, is measured with ``len()``; anything else
(wide CJK characters, combining marks) goes to rich's own cell functions, imported only then.
"""

from __future__ import annotations

import re

__all__ = ["cell_len", "crop", "fit", "set_cell_size", "wrap"]

#: Our own glyphs, each one cell wide: a line that is ASCII apart from them is measured by len().
_NARROW = str.maketrans(dict.fromkeys("…→←·✗✓—–─§", "."))

_TRAILING_SPACE = re.compile(r"\s+$")


def _narrow(text: str) -> bool:
    """True when every character of ``text`` takes one cell (len() measures it): no controls."""
    return (text.isascii() or text.translate(_NARROW).isascii()) and text.isprintable()


def cell_len(text: str) -> int:
    """Cells ``text`` takes on a terminal (rich's ``cell_len``)."""
    if _narrow(text):
        return len(text)
    from rich.cells import cell_len as rich_cell_len

    return rich_cell_len(text)


def set_cell_size(text: str, width: int) -> str:
    """``text`` cut or padded with blanks to exactly ``width`` cells (rich's ``set_cell_size``)."""
    if _narrow(text):
        return text[:width].ljust(width)
    from rich.cells import set_cell_size as rich_set_cell_size

    return rich_set_cell_size(text, width)


def crop(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells, as rich's ``overflow="crop"`` draws it."""
    if _narrow(text):
        return text[:width]
    return text if cell_len(text) <= width else set_cell_size(text, width).rstrip(" ")


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with a final "…", as ``Text.truncate(overflow="ellipsis")``."""
    if _narrow(text):
        return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"


_WORD = re.compile(r"\s*\S+\s*")  # rich._wrap's words: blanks before and after included


def _divide(text: str, width: int) -> list[int]:
    """Where rich's ``divide_line(text, width, fold=True)`` breaks ``text``.

    Narrow text whose words all fit the width is broken here, the same way; anything else
    (a word to fold, wide characters) goes to rich.
    """
    if _narrow(text):
        breaks: list[int] = []
        offset = 0
        for match in _WORD.finditer(text):
            word = match.group()
            length = len(word.rstrip())
            if width - offset >= length:
                offset += len(word)
            elif length > width:
                break  # a word longer than a line: rich folds it
            elif offset and match.start():
                breaks.append(match.start())
                offset = len(word)
        else:
            return breaks
    from rich._wrap import divide_line

    return divide_line(text, width, fold=True)


def wrap(text: str, width: int) -> list[str]:
    """``text`` word-wrapped to ``width`` cells, the lines rich prints for a plain ``Text``."""
    if cell_len(text) <= width:
        return [text]
    offsets = _divide(text, width)
    bounds = [0, *offsets, len(text)]
    lines = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        line = text[start:end]
        if len(line) > width:  # rstrip_end: trailing blanks beyond the width go
            blank = _TRAILING_SPACE.search(line)
            if blank is not None:
                line = line[: len(line) - min(len(blank.group()), len(line) - width)]
        if cell_len(line) > width:
            line = set_cell_size(line, width)
        lines.append(line)
    return lines
