"""ui.safe: untrusted text made inert and visible."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from wsdebug.ui.safe import _PRINTABLE_UNSAFE, _UNSAFE, inert, inert_text, needs_escape


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),
        ("a\x00b", "a\\x00b"),
        ("tab\there\nnew\rline", "tab\\there\\nnew\\rline"),
        ("del\x7f", "del\\x7f"),
        ("csi\x9b31m nel\x85", "csi\\x9b31m nel\\x85"),
        ("\u202eevil\u202c", "\\u202eevil\\u202c"),
        ("\u2066isolate\u2069 \u200e\u200f \u061c", "\\u2066isolate\\u2069 \\u200e\\u200f \\u061c"),
        ("zero\u200bwidth\u200d\ufeff", "zero\\u200bwidth\\u200d\\ufeff"),
        ("line\u2028sep", "line\\u2028sep"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("lone\udc80surrogate", "lone\\udc80surrogate"),
        ("hangul\u3164filler", "hangul\\u3164filler"),
    ],
)
def test_escapes_dangerous_characters(raw: str, shown: str) -> None:
    assert inert(raw) == shown
    assert needs_escape(raw)


@pytest.mark.parametrize(
    "clean",
    ["Hello", "", "厉害了", "naïve café ✓ 🎉", '{"a": "b\\n"}', "[bold]x[/bold]", "a\u00a0b"],
)
def test_clean_text_is_unchanged(clean: str) -> None:
    assert inert(clean) == clean


def test_every_format_character_is_escaped() -> None:
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1))
    caught = set(_UNSAFE.findall(everything))
    for ch in everything:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            assert ch in caught, f"U+{ord(ch):04X} ({cat}) is not escaped"


def test_fast_path_agrees_with_the_pattern() -> None:
    # needs_escape() trusts str.isprintable() for everything but _PRINTABLE_UNSAFE.
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1))
    for ch in _UNSAFE.findall(everything):
        assert not ch.isprintable() or _PRINTABLE_UNSAFE.match(ch), f"U+{ord(ch):04X}"


def test_long_clean_text_is_returned_as_is() -> None:
    text = "x" * 10_000_000
    assert inert(text) is text  # no copy: the clean case costs one regex scan


def test_inert_text_is_never_markup() -> None:
    t = inert_text("[bold]x[/bold] \x1b[31m [link=http://e]y[/link]", "red")
    assert t.plain == "[bold]x[/bold] \\x1b[31m [link=http://e]y[/link]"
    assert t.style == "red"
    assert [(s.start, s.end, s.style) for s in t.spans] == [(15, 19, "ws.escape")]


def test_inert_text_without_escape_style() -> None:
    t = inert_text("a\x00b", escape_style=None)
    assert t.plain == "a\\x00b"
    assert all(s.style is None for s in t.spans)
