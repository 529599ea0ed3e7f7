"""The wsdebug capture format: JSON Lines, versioned, everything that crossed the socket.

Line 1 is a header::

    {"format": "wsdebug-capture", "version": 1, "created": "2026-12-01T10:00:00Z",
     "tool": "wsdebug 0.1.0", "mode": "connect" | "listen"}

Every other line is one record with a time ``t`` (seconds since the epoch, float), a connection
id ``conn`` and an ``event``:

``open``       ``peer``, ``local`` ("host:port"), ``role`` (our role: "client"/"server"), ``url``
``data``       ``dir`` ("c2s" client to server, "s2c" server to client) and ``hex``: one chunk
               exactly as read from or written to the socket, handshake bytes included
``handshake``  ``subprotocol``, ``extensions`` (the negotiated header values, or null)
``end``        the TCP connection ended (``reason`` in words)

Readers must skip events they do not know and refuse a newer ``version``.  See
``docs/capture-format.md``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

FORMAT = "wsdebug-capture"
VERSION = 1
C2S = "c2s"
S2C = "s2c"


class CaptureError(ValueError):
    """An unreadable capture; ``str()`` is one line naming the file position."""


@dataclass
class Chunk:
    t: float
    conn: str
    dir: str
    data: bytes


@dataclass
class ConnectionInfo:
    conn: str
    role: str | None = None
    peer: str | None = None
    local: str | None = None
    url: str | None = None
    subprotocol: str | None = None
    extensions: str | None = None
    chunks: list[Chunk] = field(default_factory=list)
    end_reason: str | None = None


class CaptureWriter:
    """Appends records to an open text file, flushed as they are written (nothing is lost if the
    process dies), except outgoing data chunks, which the next record flushes."""

    def __init__(self, fh: IO[str], *, mode: str, tool: str = "wsdebug", created: str | None = None) -> None:
        self._fh = fh
        if created is None:
            created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._write({"format": FORMAT, "version": VERSION, "created": created, "tool": tool, "mode": mode})

    def _write(self, obj: dict[str, Any]) -> None:
        self._fh.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n")
        self._fh.flush()

    def open(self, conn: str, *, role: str, peer: str, local: str, url: str | None = None,
             t: float | None = None) -> None:
        self._write({"t": time.time() if t is None else t, "conn": conn, "event": "open", "role": role, "peer": peer,
                     "local": local, "url": url})

    def data(self, conn: str, direction: str, data: bytes, t: float | None = None, *, flush: bool = True) -> None:
        """One chunk as it crossed the socket.  Built by hand: this is the hot path, and hex
        never needs JSON escaping.  ``flush=False`` leaves it to the next flushed record."""
        if direction not in (C2S, S2C):
            raise ValueError(f"direction must be {C2S!r} or {S2C!r}")
        stamp = time.time() if t is None else t
        self._fh.write(
            f'{{"t":{stamp!r},"conn":{json.dumps(conn)},"event":"data","dir":"{direction}","hex":"{data.hex()}"}}\n'
        )
        if flush:
            self._fh.flush()

    def handshake(self, conn: str, *, subprotocol: str | None, extensions: str | None,
                  t: float | None = None) -> None:
        self._write({"t": time.time() if t is None else t, "conn": conn, "event": "handshake", "subprotocol": subprotocol,
                     "extensions": extensions})

    def end(self, conn: str, reason: str, t: float | None = None) -> None:
        self._write({"t": time.time() if t is None else t, "conn": conn, "event": "end", "reason": reason})

    def close(self) -> None:
        self._fh.close()


def is_capture(head: bytes) -> bool:
    return head.lstrip().startswith(b"{") and FORMAT.encode() in head[:400]


def _time(rec: dict[str, Any], where: str) -> float:
    t = rec["t"]
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        raise CaptureError(f"{where}: t must be a finite number of seconds, not {t!r}")
    return float(t)


def _text(rec: dict[str, Any], key: str, where: str) -> str | None:
    value = rec.get(key)
    if value is not None and not isinstance(value, str):
        raise CaptureError(f"{where}: {key} must be a string or null, not {type(value).__name__}")
    return value


def read_capture(lines: Iterator[str], name: str = "capture") -> list[ConnectionInfo]:
    """Parse a capture into its connections, in order of first appearance."""
    conns: dict[str, ConnectionInfo] = {}
    header_seen = False
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CaptureError(f"{name}: line {lineno}: not JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(rec, dict):
            raise CaptureError(f"{name}: line {lineno}: expected a JSON object")
        if not header_seen:
            if rec.get("format") != FORMAT:
                raise CaptureError(f"{name}: line {lineno}: not a wsdebug capture (no format header)")
            version = rec.get("version")
            if not isinstance(version, int) or version > VERSION:
                raise CaptureError(
                    f"{name}: capture format version {version!r} is newer than this wsdebug reads ({VERSION}); upgrade wsdebug"
                )
            header_seen = True
            continue
        try:
            conn_id = str(rec["conn"])
            event = rec["event"]
            info = conns.setdefault(conn_id, ConnectionInfo(conn_id))
            where = f"{name}: line {lineno}"
            if event == "data":
                direction = rec["dir"]
                if direction not in (C2S, S2C):
                    raise CaptureError(f"{where}: dir must be c2s or s2c, not {direction!r}")
                info.chunks.append(Chunk(_time(rec, where), conn_id, direction, bytes.fromhex(rec["hex"])))
            elif event == "open":
                info.role, info.peer, info.local, info.url = (_text(rec, k, where) for k in ("role", "peer", "local", "url"))
            elif event == "handshake":
                info.subprotocol, info.extensions = _text(rec, "subprotocol", where), _text(rec, "extensions", where)
            elif event == "end":
                info.end_reason = _text(rec, "reason", where)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, CaptureError):
                raise
            raise CaptureError(f"{name}: line {lineno}: bad record ({type(exc).__name__}: {exc})") from None
    if not header_seen:
        raise CaptureError(f"{name}: empty capture")
    return list(conns.values())
