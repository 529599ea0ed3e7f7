"""Reports of a conformance run: JSON, JUnit XML, and an HTML directory.

The JSON report holds, per case: id, description, expectation, grade, close grade, reason,
duration, what decided the grade, and the frames both ways (wire bytes as hex, clipped at
:data:`HEX_LIMIT` bytes, with their annotated fields and problems).  The JUnit XML has one
testsuite per group and one testcase per case (FAILED as ``<failure>``, UNIMPLEMENTED as
``<skipped>``).  The HTML directory has ``index.html`` with per-group counts and one page per
case with the annotated exchange; it is plain HTML built with :func:`html.escape`, no scripts.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wsdebug.capture.serialize import frame_json
from wsdebug.codec.annotate import annotate
from wsdebug.codec.spec import Direction, Role

from .cases import GROUP_NAMES
from .grading import Grade, Result

SCHEMA = "wsdebug.conformance/1"
HEX_LIMIT = 4096  #: wire bytes of one frame kept in the reports
GRADES = (Grade.OK, Grade.NON_STRICT, Grade.FAILED, Grade.INFORMATIONAL, Grade.UNIMPLEMENTED)


def _frame_json(t: float, direction: Direction, rec: Any) -> dict[str, Any]:
    """A FRAME of docs/json-schema.md (the one serializer, payloads cut at HEX_LIMIT bytes),
    with when it was seen and ``hex``: the frame's wire bytes, as far as they were kept."""
    f = rec.frame
    wire = f.to_bytes() if f.size <= HEX_LIMIT else f.to_bytes()[:HEX_LIMIT]
    out = frame_json(rec, fields=False, max_payload=HEX_LIMIT)
    out.update(t=round(t, 6), direction=direction.value, hex=wire.hex())
    out.pop("message", None)  # the case's messages are in "events"
    return out


def case_json(r: Result) -> dict[str, Any]:
    t = r.trace
    d = r.decisive
    return {
        "id": r.case.id,
        "group": r.case.group,
        "description": r.case.description,
        "expectation": r.case.expectation,
        "grade": r.grade.value,
        "close_grade": r.close_grade.value,
        "reason": r.reason,
        "close_reason": r.close_reason,
        "duration": round(t.duration, 6),
        "decided_by": None if d is None else {"text": d.text, "frame": d.frame, "offset": d.offset},
        "remote_close_code": t.remote_close_code,
        "closed_by_me": t.closed_by_me,
        "was_clean": t.was_clean,
        "dropped_by_me": t.dropped_by_me,
        "deflate": t.deflate,
        "compression_ratio": {"in": t.ratio_in, "out": t.ratio_out} if t.deflate else None,
        "events": [_event_json(e) for e in t.received],
        "log": [{"t": round(when, 6), "text": what} for when, what in t.log],
        "role": t.role.value,
        "frames": [_frame_json(when, direction, rec) for when, direction, rec in t.frames],
        "frames_not_kept": t.frames_skipped,
    }


def _event_json(event: tuple[Any, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": event[0]}
    if isinstance(event[1], bytes):
        out["hex"] = event[1][:HEX_LIMIT].hex()
        out["size"] = len(event[1])
    else:
        out["value"] = event[1]
    if event[0] == "message":
        out["binary"] = event[2]
    return out


def to_json(results: Sequence[Result], agent: str) -> dict[str, Any]:
    ordered = sorted(results, key=lambda r: r.case.sort_key)
    totals = Counter(r.grade.value for r in ordered)
    return {
        "schema": SCHEMA,
        "agent": agent,
        "totals": dict(totals),
        "failed": sum(r.failed for r in ordered),
        "cases": [case_json(r) for r in ordered],
    }


def write_json(results: Sequence[Result], path: Path, *, agent: str) -> None:
    path.write_text(json.dumps(to_json(results, agent), indent=1) + "\n", encoding="utf-8")


# -- JUnit XML ---------------------------------------------------------------------------------


def junit_tree(results: Sequence[Result], agent: str) -> ET.ElementTree:
    root = ET.Element("testsuites", name=f"wsdebug test {agent}")
    groups: dict[str, list[Result]] = {}
    for r in sorted(results, key=lambda r: r.case.sort_key):
        groups.setdefault(r.case.group, []).append(r)
    for group, rs in groups.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{group} {GROUP_NAMES.get(group, '')}".strip(),
            tests=str(len(rs)),
            failures=str(sum(r.failed for r in rs)),
            errors="0",
            skipped=str(sum(r.grade is Grade.UNIMPLEMENTED for r in rs)),
            time=f"{sum(r.trace.duration for r in rs):.3f}",
        )
        for r in rs:
            tc = ET.SubElement(
                suite,
                "testcase",
                classname=f"autobahn.group{group}",
                name=f"{r.case.id} {r.case.description[:120]}",
                time=f"{r.trace.duration:.3f}",
            )
            detail = (
                f"grade {r.grade.value}, close {r.close_grade.value}: {r.reason}; {r.close_reason}"
            )
            if r.decisive is not None:
                detail += f"\ndecided by: {r.decisive.text}"
                if r.decisive.offset is not None:
                    detail += f" (stream byte {r.decisive.offset})"
            if r.failed:
                ET.SubElement(
                    tc,
                    "failure",
                    message=f"{r.grade.value}/{r.close_grade.value}: {r.reason}",
                    type=r.grade.value,
                ).text = _xml_safe(detail)
            elif r.grade is Grade.UNIMPLEMENTED:
                ET.SubElement(tc, "skipped", message=_xml_safe(r.reason))
            else:
                ET.SubElement(tc, "system-out").text = _xml_safe(detail)
    return ET.ElementTree(root)


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters, even escaped."""
    return "".join(ch if ch in "\t\n\r" or ord(ch) >= 0x20 else f"\\x{ord(ch):02x}" for ch in text)


def write_junit(results: Sequence[Result], path: Path, *, agent: str) -> None:
    tree = junit_tree(results, agent)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


# -- HTML ----------------------------------------------------------------------------------------

_CSS = """body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
.OK{background:#cfc}.NON-STRICT{background:#ffc}.FAILED{background:#fbb}.INFORMATIONAL{background:#cdf}
.UNIMPLEMENTED{background:#ecf}pre{background:#f6f6f6;padding:4px;white-space:pre-wrap;word-break:break-all}
.out{color:#036}.in{color:#630}.problem{color:#b00;font-weight:bold}.log{color:#666}"""


def page_name(case_id: str) -> str:
    return f"case-{case_id}.html"


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def index_html(results: Sequence[Result], agent: str) -> str:
    e = html.escape
    ordered = sorted(results, key=lambda r: r.case.sort_key)
    per_group: dict[str, Counter[Grade]] = {}
    for r in ordered:
        per_group.setdefault(r.case.group, Counter())[r.grade] += 1
    rows = "".join(
        f"<tr><td>{e(g)} {e(GROUP_NAMES.get(g, ''))}</td>"
        + "".join(f'<td class="{x.value}" data-grade="{x.value}">{c[x]}</td>' for x in GRADES)
        + "</tr>"
        for g, c in per_group.items()
    )
    head = "".join(f"<th>{x.value}</th>" for x in GRADES)
    cases = "".join(
        f'<tr id="c{e(r.case.id)}"><td><a href="{e(page_name(r.case.id))}">{e(r.case.id)}</a></td>'
        f'<td class="{r.grade.value}">{r.grade.value}</td><td>{e(r.close_grade.value)}</td>'
        f"<td>{r.trace.duration * 1000:.0f} ms</td><td>{e(r.reason)}</td></tr>"
        for r in ordered
    )
    body = (
        f"<h1>wsdebug test: {e(agent)}</h1><p>{len(ordered)} cases, {sum(r.failed for r in ordered)} failed."
        f'</p><h2>Per group</h2><table id="groups"><tr><th>group</th>{head}</tr>{rows}</table>'
        f'<h2>Cases</h2><table id="cases"><tr><th>case</th><th>grade</th><th>close</th><th>time</th>'
        f"<th>reason</th></tr>{cases}</table>"
    )
    return _page(f"wsdebug test: {agent}", body)


def _frame_html(
    i: int, t: float, direction: Direction, rec: Any, decisive: bool, role: Role
) -> str:
    e = html.escape
    f = rec.frame
    arrow = "&rarr; sent" if direction.sender is role else "&larr; received"
    flags = f"FIN={int(f.fin)} RSV={int(f.rsv1)}{int(f.rsv2)}{int(f.rsv3)} MASK={int(f.masked)}"
    mark = ' <strong class="problem">(decided the grade)</strong>' if decisive else ""
    fields = "".join(
        f"<tr><td>{fld.offset}</td><td>{e(fld.name)}</td><td>{e(fld.value)}</td><td>{e(fld.meaning)}</td></tr>"
        for fld in annotate(f)
    )
    wire = f.to_bytes()[:256]
    more = f" &hellip; ({f.size} bytes)" if f.size > 256 else ""
    problems = "".join(
        f'<li class="problem">byte {p.offset}: {e(p.message)} ({e(p.rule.section)})</li>'
        for p in rec.problems
    )
    text = f"<p>text: <code>{e(rec.text[:200])}</code></p>" if rec.text else ""
    return (
        f'<div class="frame {direction}" id="f{i + 1}"><h3 class="{direction}">#{i + 1} {t * 1000:.1f} ms '
        f"{arrow} {e(f.opcode_name)} {flags} length {f.payload_len}{mark}</h3>"
        f'<table class="fields"><tr><th>offset</th><th>field</th><th>value</th><th>meaning</th></tr>'
        f"{fields}</table>{text}<pre>{e(wire.hex(' '))}{more}</pre><ul>{problems}</ul></div>"
    )


def case_html(r: Result, agent: str) -> str:
    e = html.escape
    t = r.trace
    items: list[tuple[float, int, str]] = [
        (when, 1, f'<p class="log">{when * 1000:.1f} ms &middot; {e(what)}</p>')
        for when, what in t.log
    ]
    dframe = r.decisive.frame if r.decisive else None
    items += [
        (when, 0, _frame_html(i, when, d, rec, i == dframe, r.trace.role))
        for i, (when, d, rec) in enumerate(t.frames)
    ]
    items.sort(key=lambda x: (x[0], x[1]))
    decided = ""
    if r.decisive is not None:
        where = f" (frame #{r.decisive.frame + 1})" if r.decisive.frame is not None else ""
        where += f" at stream byte {r.decisive.offset}" if r.decisive.offset is not None else ""
        decided = f'<p id="decided"><strong>Decided by</strong>{e(where)}: {e(r.decisive.text)}</p>'
    skipped = f"<p>{t.frames_skipped} more frames were not kept.</p>" if t.frames_skipped else ""
    body = (
        f'<p><a href="index.html">index</a></p><h1>Case {e(r.case.id)}: <span class="{r.grade.value}" '
        f'id="grade">{r.grade.value}</span></h1><p>{e(r.case.description)}</p><p><em>Expected:</em> '
        f"{e(r.case.expectation)}</p><table><tr><th>grade</th><td>{e(r.grade.value)}: {e(r.reason)}</td></tr>"
        f"<tr><th>close</th><td>{e(r.close_grade.value)}: {e(r.close_reason)}</td></tr>"
        f"<tr><th>peer close code</th><td>{t.remote_close_code}</td></tr>"
        f"<tr><th>duration</th><td>{t.duration * 1000:.1f} ms</td></tr></table>{decided}"
        f"<h2>Exchange</h2>{''.join(x[2] for x in items)}{skipped}"
    )
    return _page(f"Case {r.case.id} - {agent}", body)


def write_html(results: Sequence[Result], directory: Path, *, agent: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "index.html").write_text(index_html(results, agent), encoding="utf-8")
    for r in results:
        (directory / page_name(r.case.id)).write_text(case_html(r, agent), encoding="utf-8")
