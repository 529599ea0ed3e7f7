"""The rule catalogue: well-formed entries, and every rule exercised by some test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wsdebug.codec.rules import Problem, Rule

TESTS_DIR = Path(__file__).resolve().parents[1]


def test_rule_values_are_unique() -> None:
    assert len({rule.value for rule in Rule}) == len(Rule)


@pytest.mark.parametrize("rule", list(Rule), ids=lambda r: r.name)
def test_rule_fields(rule: Rule) -> None:
    assert re.fullmatch(r"RFC (6455|7692) §\d+(\.\d+)*", rule.section), rule.section
    assert rule.close_code in {1002, 1006, 1007, 1009}
    assert rule.summary and rule.summary == rule.summary.strip() and not rule.summary.endswith(".")


def test_close_codes_follow_the_kind_of_fault() -> None:
    utf8 = {Rule.INVALID_UTF8, Rule.CLOSE_REASON_UTF8, Rule.INFLATE_FAILED}
    big = {Rule.MESSAGE_TOO_BIG, Rule.HANDSHAKE_TOO_BIG}
    for rule in Rule:
        if rule in utf8:
            assert rule.close_code == 1007, rule
        elif rule in big:
            assert rule.close_code == 1009, rule
        elif rule is Rule.TRUNCATED:
            assert rule.close_code == 1006
        else:
            assert rule.close_code == 1002, rule


def test_problem() -> None:
    p = Problem(Rule.RESERVED_OPCODE, 7, "0x3")
    assert p.message == "reserved opcode: 0x3"
    assert p.rfc == "RFC 6455 §5.2"
    assert Problem(Rule.TRUNCATED, 0).message == Rule.TRUNCATED.summary
    assert p.shifted(10) == Problem(Rule.RESERVED_OPCODE, 17, "0x3")
    with pytest.raises(AttributeError):
        p.offset = 3  # type: ignore[misc]


def _test_sources() -> str:
    here = Path(__file__).resolve()
    return "\n".join(
        p.read_text(encoding="utf-8") for p in TESTS_DIR.rglob("test_*.py") if p != here
    )


def test_every_frame_and_message_rule_is_tested() -> None:
    text = _test_sources()
    missing = [
        r.name for r in Rule if not r.name.startswith("HANDSHAKE_") and f"Rule.{r.name}" not in text
    ]
    assert missing == []


def test_every_handshake_rule_is_tested() -> None:
    """Handshake rules live in test_handshake.py (another layer); some tests name them by string."""
    text = _test_sources()
    missing = [r.name for r in Rule if r.name.startswith("HANDSHAKE_") and r.name not in text]
    assert missing == []
