"""WebSocket messages out of a HAR file (Chrome / Firefox DevTools, "Save all as HAR").

A HAR holds *messages*, not wire bytes: each ``log.entries[]._webSocketMessages`` item is
``{"type": "send" | "receive", "time": seconds, "opcode": 1 | 2, "data": text or base64}``.
This module synthesizes the frames a browser would have put on the wire for them, so the same
decoder and views apply: one frame per message; client frames masked with the fixed key
:data:`SYNTH_MASK` (a browser uses a fresh random key per frame); compressed with
permessage-deflate when the recorded response negotiated it.  The opening handshake is rebuilt
from the entry's request and response headers when they include a Sec-WebSocket-Key.
Fragmentation, ping/pong and close frames are not in a HAR, and the conversation says so.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
from typing import Any
from urllib.parse import urlsplit

from ..codec.deflate import PerMessageDeflate, params_in_force
from ..codec.frames import encode_frame
from .format import C2S, S2C, CaptureError, Chunk, ConnectionInfo

#: The mask key of every synthesized client frame (the key of the RFC 6455 §5.7 examples).
SYNTH_MASK = bytes.fromhex("37fa213d")

NOTE = (
    "HAR holds messages, not wire bytes: these frames are synthesized, one per message, as a browser "
    f"would send them (client frames masked with the fixed key {SYNTH_MASK.hex(' ')}{{deflate}}); "
    "fragmentation, ping/pong and close frames are not recorded in a HAR"
)


def _headers(part: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for h in part.get("headers") or []:
        if isinstance(h, dict) and isinstance(h.get("name"), str) and not h["name"].startswith(":"):
            out.append((h["name"], str(h.get("value", ""))))
    return out


def _get(headers: list[tuple[str, str]], name: str) -> str | None:
    found = [v for n, v in headers if n.lower() == name.lower()]
    return ", ".join(found) if found else None


def _head(start: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [start, *(f"{n}: {v}" for n, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")


def _started(entry: dict[str, Any]) -> float | None:
    value = entry.get("startedDateTime")
    if not isinstance(value, str):
        return None
    try:
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _payload(msg: dict[str, Any], opcode: int) -> bytes:
    data = msg.get("data", "")
    if not isinstance(data, str):
        data = str(data)
    if opcode == 2:
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            pass  # some exporters store binary as text
    return data.encode("utf-8", errors="surrogatepass")


def _conversation(entry: dict[str, Any], conn_id: str, where: str) -> tuple[ConnectionInfo, str]:
    raw_request, raw_response = entry.get("request"), entry.get("response")
    request: dict[str, Any] = raw_request if isinstance(raw_request, dict) else {}
    response: dict[str, Any] = raw_response if isinstance(raw_response, dict) else {}
    url = str(request.get("url") or "")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise CaptureError(f"{where}: request.url {url!r} is not a URL ({exc})") from None
    req_headers, resp_headers = _headers(request), _headers(response)
    info = ConnectionInfo(conn_id, role="client", peer=parts.netloc or None, url=url or None)
    messages = entry["_webSocketMessages"]
    t0 = _started(entry)
    if t0 is None:
        t0 = next(
            (
                float(m["time"])
                for m in messages
                if isinstance(m, dict) and isinstance(m.get("time"), (int, float))
            ),
            0.0,
        )
    req_ext, resp_ext = (
        _get(req_headers, "Sec-WebSocket-Extensions"),
        _get(resp_headers, "Sec-WebSocket-Extensions"),
    )
    params = params_in_force(resp_ext, req_ext)
    if _get(req_headers, "Sec-WebSocket-Key"):
        if not _get(req_headers, "Host") and parts.netloc:
            req_headers.insert(0, ("Host", parts.netloc))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        info.chunks.append(Chunk(t0, conn_id, C2S, _head(f"GET {path} HTTP/1.1", req_headers)))
        status = response.get("status", 101)
        reason = response.get("statusText") or ("Switching Protocols" if status == 101 else "")
        info.chunks.append(
            Chunk(t0, conn_id, S2C, _head(f"HTTP/1.1 {status} {reason}".rstrip(), resp_headers))
        )
    compressors = (
        {
            C2S: PerMessageDeflate(params, is_client=True),
            S2C: PerMessageDeflate(params, is_client=False),
        }
        if params
        else {}
    )
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or msg.get("type") not in ("send", "receive"):
            raise CaptureError(
                f"{where}: _webSocketMessages[{i}] is not a {{type: send|receive, ...}} object"
            )
        direction = C2S if msg["type"] == "send" else S2C
        try:
            opcode = int(msg.get("opcode", 1))
            t = float(msg.get("time", t0))
        except (TypeError, ValueError):
            raise CaptureError(
                f"{where}: _webSocketMessages[{i}] has a bad opcode or time"
            ) from None
        if not 0 <= opcode <= 15:
            raise CaptureError(f"{where}: _webSocketMessages[{i}] has opcode {opcode}, not 0-15")
        payload = _payload(msg, opcode)
        rsv1 = False
        if compressors and opcode in (1, 2):
            payload, rsv1 = compressors[direction].compress(payload), True
        key = SYNTH_MASK if direction == C2S else None
        info.chunks.append(
            Chunk(t, conn_id, direction, encode_frame(opcode, payload, rsv1=rsv1, mask_key=key))
        )
    deflate = ", compressed with permessage-deflate as negotiated" if params else ""
    return info, NOTE.format(deflate=deflate)


def read_har(doc: Any, name: str) -> tuple[list[ConnectionInfo], dict[str, list[str]]]:
    """Conversations of the entries with WebSocket messages.

    Raises:
        CaptureError: not a HAR, or no WebSocket messages in it.
    """
    log = doc.get("log") if isinstance(doc, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise CaptureError(f"{name}: JSON without log.entries: not a HAR file")
    infos: list[ConnectionInfo] = []
    notes: dict[str, list[str]] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("_webSocketMessages"):
            continue
        if not isinstance(entry["_webSocketMessages"], list):
            raise CaptureError(f"{name}: log.entries[{i}]._webSocketMessages is not a list")
        conn_id = str(len(infos) + 1)
        info, note = _conversation(entry, conn_id, f"{name}: log.entries[{i}]")
        infos.append(info)
        notes[conn_id] = [note]
    if not infos:
        raise CaptureError(
            f"{name}: HAR with {len(entries)} entries but no WebSocket messages "
            "(no _webSocketMessages; record with DevTools open before the page connects)"
        )
    return infos, notes
