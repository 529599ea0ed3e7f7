"""Which characters a terminal would act on, shared by the views and the JSON writer.

No rendering library is imported here, so :mod:`wsdebug.capture.serialize` (plain JSON) and
:mod:`wsdebug.ui.safe` (rich views) use one list.
"""

from __future__ import annotations

import re

#: Every character wsdebug escapes before text reaches a terminal.  Category Cf (format) is
#: listed as of Unicode 15; a test checks the list against the running Python's unicodedata.
UNSAFE = re.compile(
    "["
    "\x00-\x1f\x7f-\x9f"  # C0, DEL, C1 (ESC, CSI 0x9b, NEL 0x85 ...)
    "\u00ad\u034f"  # soft hyphen (Cf), combining grapheme joiner (invisible)
    "\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"  # Arabic format chars, ALM (bidi)
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers: invisible letters used for spoofing
    "\u180b-\u180f"  # Mongolian variation selectors, vowel separator
    "\u200b-\u200f"  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    "\u2028-\u202e"  # line/paragraph separators; LRE RLE PDF LRO RLO
    "\u2060-\u206f"  # word joiner, invisible operators, LRI RLI FSI PDI, deprecated format
    "\ufeff\ufff9-\ufffb"  # BOM / ZWNBSP, interlinear annotation
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"  # musical format, tag characters
    "\ud800-\udfff"  # lone surrogates (from surrogateescape / surrogatepass decoding)
    "]"
)

#: The same without C0 controls, which JSON already escapes itself (and whose newlines in
#: indented JSON are layout, not payload).
UNSAFE_IN_JSON = re.compile(UNSAFE.pattern.replace("\x00-\x1f\x7f-\x9f", "\x7f-\x9f", 1))


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_char(char: str) -> str:
    """The visible escape of one unsafe character: ``\\n``, ``\\x1b``, ``\\u202e``, ``\\U000e0001``."""
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_match(match: re.Match[str]) -> str:
    """``escape_char`` for ``re.sub``."""
    return escape_char(match.group())


def terminal_safe(text: str) -> str:
    """``text`` with every character of :data:`UNSAFE` as a visible escape (``\\x1b``, ``\\u202e``).

    The notation of :func:`wsdebug.ui.safe.inert`, for plain text that bypasses rich (error
    lines).  Backslashes are left alone, so escaping twice changes nothing.
    """
    if text.isascii() and text.isprintable():
        return text
    return UNSAFE.sub(escape_match, text)
