"""Where live events go: a program (JSON lines) or a person (the rich view in ``ui/``).

The pump calls a :class:`Reporter` synchronously for every event; a reporter must never block
the connection.  :class:`JsonReporter` writes one JSON object per line (documented in
``docs/json-schema.md``); the rich reporter in :mod:`wsdebug.ui.live_view` draws frames and
summarises when they arrive faster than a terminal can draw.
"""

from __future__ import annotations

import sys
from typing import IO, Any

from ..codec.events import CloseEvent, Event, FailEvent, FrameEvent, MessageEvent
from ..codec.handshake import Request, Response
from ..codec.rules import Problem
from ..export import dumps, frame_json, message_json, problem_json


def direction_of(sent_by_us: bool, our_role: str) -> str:
    """'c2s' or 's2c' for an event seen by an endpoint playing ``our_role``."""
    client_sent = sent_by_us == (our_role == "client")
    return "c2s" if client_sent else "s2c"


class Reporter:
    """Receives everything a live session does.  Methods must return quickly."""

    def connected(self, conn: str, peer: str, t: float) -> None: ...
    def handshake(
        self,
        conn: str,
        t: float,
        role: str,
        request: Request | None,
        response: Response | None,
        problems: list[Problem],
        *,
        accept_expected: str | None = None,
        subprotocol: str | None = None,
        extensions: str | None = None,
    ) -> None: ...
    def event(self, conn: str, t: float, role: str, event: Event) -> None: ...
    def disconnected(self, conn: str, t: float, reason: str) -> None: ...
    def info(self, text: str) -> None: ...
    def error(self, text: str, conn: str | None = None) -> None: ...
    def http(self, conn: str, t: float, request: Request, status: int, note: str) -> None: ...
    def close(self) -> None: ...


def _head_json(msg: Request | Response | None) -> dict[str, Any] | None:
    if msg is None:
        return None
    out: dict[str, Any]
    if isinstance(msg, Request):
        out = {"method": msg.method, "target": msg.target, "version": msg.version}
    else:
        out = {"version": msg.version, "status": msg.status, "reason": msg.reason}
    out["headers"] = [{"name": h.name, "value": h.value, "offset": h.offset, "meaning": h.meaning} for h in msg.headers]
    return out


class JsonReporter(Reporter):
    """One JSON object per line per event, for programs (``--json``)."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out or sys.stdout

    def _emit(self, obj: dict[str, Any]) -> None:
        self.out.write(dumps(obj) + "\n")
        self.out.flush()

    def connected(self, conn: str, peer: str, t: float) -> None:
        self._emit({"event": "connect", "conn": conn, "t": t, "peer": peer})

    def handshake(self, conn, t, role, request, response, problems, *, accept_expected=None, subprotocol=None,
                  extensions=None) -> None:  # type: ignore[no-untyped-def]
        self._emit({
            "event": "handshake", "conn": conn, "t": t, "role": role,
            "request": _head_json(request), "response": _head_json(response),
            "accept_expected": accept_expected, "subprotocol": subprotocol, "extensions": extensions,
            "ok": not problems, "problems": [problem_json(p) for p in problems],
        })

    def event(self, conn: str, t: float, role: str, event: Event) -> None:
        base: dict[str, Any] = {"conn": conn, "t": t}
        if isinstance(event, FrameEvent):
            d = direction_of(event.direction == "out", role)
            self._emit({"event": "frame", **base, "direction": d, **frame_json(event.record)})
        elif isinstance(event, MessageEvent):
            d = direction_of(event.direction == "out", role)
            self._emit({"event": "message", **base, "direction": d, **message_json(event.message)})
        elif isinstance(event, CloseEvent):
            self._emit({"event": "close", **base, "code": event.code, "reason": event.reason,
                        "initiator": event.initiator, "clean": event.clean})
        elif isinstance(event, FailEvent):
            self._emit({"event": "fail", **base, "code": event.code, "problem": problem_json(event.problem)})

    def disconnected(self, conn: str, t: float, reason: str) -> None:
        self._emit({"event": "disconnect", "conn": conn, "t": t, "reason": reason})

    def info(self, text: str) -> None:
        self._emit({"event": "info", "message": text})

    def error(self, text: str, conn: str | None = None) -> None:
        self._emit({"event": "error", "conn": conn, "message": text})

    def http(self, conn: str, t: float, request: Request, status: int, note: str) -> None:
        self._emit({"event": "http", "conn": conn, "t": t, "request": _head_json(request), "status": status,
                    "note": note})
