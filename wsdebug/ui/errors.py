"""The display's one error, importable without loading rich (the CLI catches it at start-up)."""

from __future__ import annotations


class DisplayError(Exception):
    """What was asked of the display cannot be done (an export that cannot be written, a
    frame that does not exist); ``str()`` is one line.  The CLI reports it as bad input."""
