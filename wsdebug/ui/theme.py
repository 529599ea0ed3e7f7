"""The wsdebug colour theme: one style name per field kind, readable on a projector.

Colours are mid-luminance, saturated hues that keep their contrast on both dark and light
backgrounds (no yellow, no pale cyan, no grey for data).  Important data is never ``dim``;
``ws.dim`` is only for separators and hints.

Views look styles up by name through :func:`resolve`, so a console created without
:data:`WS_THEME` still gets these colours, and a console whose theme redefines a name
(``console.push_theme``) overrides them.
"""

from __future__ import annotations

from rich.console import Console
from rich.errors import MissingStyle
from rich.style import Style
from rich.theme import Theme

#: Style definitions by name (rich style syntax).
STYLES: dict[str, str] = {
    # Header fields (RFC 6455 §5.2), one hue each.  Every colour has a relative luminance of
    # about 0.18, which gives a contrast of 4.5:1 or more on BOTH black and white backgrounds.
    "ws.fin": "bold #d100d1",  # magenta
    "ws.rsv": "bold #c55300",  # orange
    "ws.opcode": "bold #0073e7",  # blue
    "ws.mask": "bold #008a00",  # green
    "ws.len": "bold #008671",  # teal
    "ws.extlen": "bold underline #008671",
    "ws.key": "bold #9e40fe",  # violet
    "ws.payload": "none",  # the terminal's own foreground: the most readable for bulk data
    "ws.close": "bold #b06214",  # brown
    "ws.reason": "#b06214",
    # meaning
    "ws.problem": "bold #ed0000",  # red
    "ws.warn": "bold #c55300",  # dropped frames, lenient-mode notes
    "ws.info": "#0080a7",
    "ws.ok": "bold #008a00",
    "ws.in": "bold #008a00",  # ← received from the server
    "ws.out": "bold #c55300",  # → sent by the client
    "ws.text": "bold",  # payload text
    "ws.escape": "italic #e60073",  # \\x1b and friends: visibly not literal text
    "ws.offset": "#0080a7",
    "ws.title": "bold underline",
    "ws.label": "bold",
    "ws.dim": "dim",  # separators and hints only, never data
}

#: The theme to pass to ``Console(theme=WS_THEME)`` or ``console.push_theme``.
WS_THEME = Theme(STYLES, inherit=True)
THEME = WS_THEME  #: alias

_PARSED: dict[str, Style] = {}

#: Field name (from :func:`wsdebug.codec.annotate.annotate`) to style name.
FIELD_STYLES: dict[str, str] = {
    "FIN": "ws.fin",
    "RSV1": "ws.rsv",
    "RSV2": "ws.rsv",
    "RSV3": "ws.rsv",
    "opcode": "ws.opcode",
    "MASK": "ws.mask",
    "payload length": "ws.len",
    "masking key": "ws.key",
    "payload": "ws.payload",
    "close code": "ws.close",
    "close reason": "ws.reason",
}


def field_style(name: str) -> str:
    """The style name for a field called ``name``."""
    if name.startswith("extended payload length"):
        return "ws.extlen"
    return FIELD_STYLES.get(name, "ws.payload")


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
