"""The theme's style names and definitions, and which field gets which, without rich.

Plain-text output (:mod:`wsdebug.ui.bytesview`, :mod:`wsdebug.ui.diagram`) tags its pieces with
these names; only :mod:`wsdebug.ui.theme` turns them into rich styles.  Kept apart so that a
command whose output is plain text starts without importing rich.
"""

from __future__ import annotations

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


#: A run of text and the name of the style it is drawn in (None: the line's own).  Output drawn
#: without rich joins the texts; :func:`wsdebug.ui.theme.lines_text` styles them for rich.
Piece = tuple[str, str | None]
Line = list[Piece]


def line_str(line: Line) -> str:
    """The characters of ``line``."""
    return "".join(text for text, _ in line)
