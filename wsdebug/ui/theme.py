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
    # header fields (RFC 6455 §5.2), one hue each
    "ws.fin": "bold #af00af",  # magenta
    "ws.rsv": "bold #d75f00",  # orange
    "ws.opcode": "bold #0087d7",  # blue
    "ws.mask": "bold #008700",  # green
    "ws.len": "bold #008787",  # teal
    "ws.extlen": "bold #008787 underline",
    "ws.key": "bold #8700d7",  # violet
    "ws.payload": "#005fd7",  # plain blue, not bold: payloads are long
    "ws.close": "bold #af5f00",  # brown/orange
    "ws.reason": "#af5f00",
    # meaning
    "ws.problem": "bold #d70000",  # red
    "ws.ok": "bold #008700",
    "ws.in": "bold #008700",  # ← received from the server
    "ws.out": "bold #d75f00",  # → sent by the client
    "ws.text": "bold",  # payload text
    "ws.escape": "italic #d7005f",  # \x1b and friends: visibly not literal text
    "ws.offset": "#0087af",
    "ws.title": "bold underline",
    "ws.label": "bold",
    "ws.dim": "dim",  # separators and hints only
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
