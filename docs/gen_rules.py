"""Write docs/rules.md from the rule catalogue: `python docs/gen_rules.py`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wsdebug.codec.rules import Rule


def render() -> str:
    lines = [
        "# Protocol rules wsdebug checks",
        "",
        "Generated from `wsdebug/codec/rules.py` by `python docs/gen_rules.py`; a test keeps it current.",
        "Each problem wsdebug reports names one of these rules, the byte offset that broke it and the",
        "RFC section. As an endpoint (`connect`, `listen`), the first problem in a received frame",
        "fails the connection with the close code below unless `--lenient` is given.",
        "",
        "| rule | RFC | close code | what it means |",
        "|---|---|---|---|",
    ]
    for rule in Rule:
        lines.append(f"| `{rule.name}` | {rule.section} | {rule.close_code} | {rule.summary} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    Path(__file__).with_name("rules.md").write_text(render(), encoding="utf-8")
