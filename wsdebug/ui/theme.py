"""The wsdebug colour theme: one style name per field kind, readable on a projector.

Colours are mid-luminance, saturated hues that keep their contrast on both dark and light
backgrounds (no yellow, no pale cyan, no grey for data).  Important data is never ``dim``;
``ws.dim`` is only for separators and hints.

Views look styles up by name through :func:`resolve`, so a console created without
:data:`WS_THEME` still gets these colours, and a console whose theme redefines a name
(``console.push_theme``) overrides them.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.errors import MissingStyle
from rich.style import Style
from rich.text import Text
from rich.theme import Theme

from .styles import FIELD_STYLES, STYLES, Line, field_style

__all__ = [
    "FIELD_STYLES",
    "STYLES",
    "THEME",
    "WS_THEME",
    "field_style",
    "lines_text",
    "make_console",
    "resolve",
]

#: The theme to pass to ``Console(theme=WS_THEME)`` or ``console.push_theme``.
WS_THEME = Theme(STYLES, inherit=True)
THEME = WS_THEME  #: alias

_PARSED: dict[str, Style] = {}


def resolve(console: Console, name: str) -> Style:
    """``name`` as the console's theme defines it, else as :data:`STYLES` does."""
    try:
        return console.get_style(name)
    except MissingStyle:  # not in the console's theme and not a style definition
        cached = _PARSED.get(name)
        if cached is None:
            cached = _PARSED[name] = Style.parse(STYLES.get(name, "none"))
        return cached


def make_console(**kwargs: object) -> Console:
    """A Console with :data:`WS_THEME` installed (keyword arguments go to Console)."""
    return Console(theme=WS_THEME, **kwargs)  # type: ignore[arg-type]


def lines_text(lines: list[Line], style: Callable[[str], Style]) -> Text:
    """``lines`` (pieces tagged with style names) as one Text, not wrapped, cropped.

    ``style`` resolves a name; a piece named ``"a b"`` gets both styles, ``b`` on top.
    """
    out = Text(no_wrap=True, overflow="crop")
    append = out.append
    cache: dict[str, Style] = {}
    for n, line in enumerate(lines):
        if n:
            append("\n")
        for text, name in line:
            if name is None:
                append(text)
                continue
            st = cache.get(name)
            if st is None:
                parts = name.split(" ")
                st = style(parts[0])
                for part in parts[1:]:
                    st = st + style(part)
                cache[name] = st
            append(text, st)
    return out
