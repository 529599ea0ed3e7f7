"""What the readers of pasted text share: the one-line error with its place, hex checks."""

from __future__ import annotations

import re

__all__ = ["HexInputError"]

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
