"""docs/json-schema.md against what the one serializer writes (wsdebug/capture/serialize.py).

The tables of the document are parsed; every event class the serializer knows is written for a
real exchange (a capture replayed, a frame cut by --json-max-payload, a plain HTTP request), and
the keys of each object must be exactly the keys the document lists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wsdebug.capture.importers import load
from wsdebug.capture.offline import decode_bytes
from wsdebug.capture.replay import conversation_events
from wsdebug.capture.serialize import decode_document, event_json, frame_json, message_json
from wsdebug.codec.events import (
    ErrorEvent,
    Event,
    FailEvent,
    HttpEvent,
    InfoEvent,
    NoteEvent,
    TlsEvent,
)
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import parse_request
from wsdebug.codec.rules import Problem, Rule
from wsdebug.codec.spec import Direction, Role

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "json-schema.md").read_text(encoding="utf-8")
TICKED = re.compile(r"`([a-z_0-9]+)`")


def _table(heading: str) -> list[list[str]]:
    """The rows (cells) of the first table after ``heading``."""
    section = DOC[DOC.index(heading) :]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not set(cells[0]) <= {"-", ""}:
                rows.append(cells)
        elif rows:
            break
    return rows[1:]  # without the header row


def _keys(heading: str) -> set[str]:
    return {k for row in _table(heading) for k in TICKED.findall(row[0])}


FRAME, MESSAGE, FIELD, PROBLEM = (
    _keys(f"### {n}") for n in ("FRAME", "MESSAGE", "FIELD", "PROBLEM")
)
CUT = _keys("## Payloads")  # the keys --json-max-payload adds to what it cuts
OPTIONAL = {"message", "bits"} | CUT  # present only when they apply
FRAME, MESSAGE, FIELD = FRAME | CUT, MESSAGE | CUT, FIELD | {"truncated"}


def _event_keys() -> dict[str, set[str]]:
    out = {}
    for row in _table("## Live modes"):
        name = TICKED.findall(row[0])[0]
        keys = set(TICKED.findall(row[1])) | {"event"}
        if "FRAME" in row[1]:
            keys |= FRAME
        if "MESSAGE" in row[1]:
            keys |= MESSAGE
        out[name] = keys
    return out


EVENTS = _event_keys()


def _check(obj: dict[str, object], documented: set[str]) -> None:
    keys = set(obj)
    assert keys <= documented, f"not in the document: {sorted(keys - documented)}"
    assert documented - OPTIONAL <= keys, f"documented, not written: {sorted(documented - keys)}"


def _written() -> list[Event]:
    """Events of every class the serializer writes, from real decoding."""
    conv = load(str(ROOT / "captures" / "fragmented-ping.jsonl")).conversations()[0]
    events = list(conversation_events(conv, kind="wsdebug capture"))
    request = parse_request(b"GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n")
    problem = Problem(Rule.RESERVED_OPCODE, 0, "opcode 0x3")
    events += [
        InfoEvent("listening on 127.0.0.1:9000"),
        ErrorEvent("handshake failed: no complete handshake within 10 s", conn="c2"),
        HttpEvent(request, 404, "not found", conn="c3", t=1.0),
        FailEvent(problem, 1002, conn="c4", t=1.0),
        NoteEvent("a TCP gap", Direction.S2C, [], True, conn="c5", t=1.0),
        TlsEvent(
            "TLSv1.3",
            "TLS_AES_256_GCM_SHA384",
            None,
            "CN=localhost",
            "CN=wsdebug test CA",
            ["DNS:localhost", "IP Address:127.0.0.1"],
            "Jun  1 12:00:00 2030 GMT",
            conn="c1",
            t=1.0,
        ),
    ]
    return events


@pytest.mark.parametrize("ev", _written(), ids=lambda ev: type(ev).__name__)
def test_every_event_has_the_documented_keys(ev: Event) -> None:
    obj = event_json(ev)
    assert obj["event"] in EVENTS, f"event {obj['event']!r} is not documented"
    _check(obj, EVENTS[str(obj["event"])])
    if obj["event"] == "frame":
        for f in obj["fields"]:  # type: ignore[attr-defined]
            _check(f, FIELD)
    for p in obj.get("problems") or ():  # type: ignore[attr-defined]
        _check(p, PROBLEM)


def test_every_event_class_is_documented() -> None:
    written = {event_json(ev)["event"] for ev in _written()}
    assert written == set(EVENTS)


def test_decode_document_frames_messages_and_cuts() -> None:
    data = encode_frame(1, "héllo".encode() * 40, mask_key=b"abcd") + encode_frame(0x3, b"x")
    result = decode_bytes(data, sender=Role.CLIENT)
    doc = decode_document(result.records, result.incomplete, result.problems)
    assert set(doc) == {"schema", "frames", "incomplete", "problems"}
    frames = doc["frames"]
    assert isinstance(frames, list) and len(frames) == 2
    for frame in frames:
        _check(frame, FRAME)
    _check(frames[0]["message"], MESSAGE)
    cut = frame_json(result.records[0], max_payload=4)
    _check(cut, FRAME)
    assert set(cut) >= CUT and set(message_json(result.records[0].message, max_payload=4)) >= CUT  # type: ignore[arg-type]
