"""Open any capture wsdebug reads, recognised by its content rather than its name.

:func:`load` tells the formats apart by their first bytes: the pcap and pcapng magic numbers,
the wsdebug JSONL header, a JSON object with ``log.entries`` (HAR), else text read as a hex dump
with direction markers.  Every failure is a :class:`~wsdebug.capture.format.CaptureError` whose
message is one line naming the file and, where it helps, the line or packet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .format import CaptureError, ConnectionInfo, is_capture, read_capture
from .session import Conversation, reconstruct

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4",  # microsecond, little / big endian
    b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d",  # nanosecond
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


@dataclass
class Capture:
    """What a file held: its kind, its connections, and notes on how they were obtained."""

    kind: str  #: "wsdebug capture", "pcap", "pcapng", "HAR" or "hex dump"
    connections: list[ConnectionInfo]
    notes: dict[str, list[str]] = field(default_factory=dict)  #: per connection id
    file_notes: list[str] = field(default_factory=list)
    gaps: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  #: bytes never captured

    def conversations(self, *, deflate: bool | None = None) -> list[Conversation]:
        """Reconstruct every connection (see :func:`~wsdebug.capture.session.reconstruct`)."""
        return [reconstruct(c, deflate=deflate, notes=self.notes.get(c.conn), gaps=self.gaps.get(c.conn))
                for c in self.connections]


def _text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaptureError(f"{name}: not a capture wsdebug reads (wsdebug JSONL, pcap, pcapng, HAR or a hex dump): "
                           f"binary data starting {raw[:4].hex(' ')}, invalid as text at byte {exc.start}") from None


def _pcap(fh: IO[bytes], name: str, magic: bytes) -> Capture:
    from .pcap import read_pcap

    infos, notes, gaps, file_notes = read_pcap(fh, name)
    return Capture("pcapng" if magic == PCAPNG_MAGIC else "pcap", infos, notes, file_notes, gaps)


def load(path: str | Path) -> Capture:
    """Read ``path`` (any supported format).

    Raises:
        CaptureError: unreadable, unrecognised, corrupt, or holding no WebSocket conversation.
    """
    path = Path(path)
    name = str(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
            if magic in PCAP_MAGICS or magic == PCAPNG_MAGIC:
                fh.seek(0)
                return _pcap(fh, name, magic)
            raw = magic + fh.read()
    except IsADirectoryError:
        raise CaptureError(f"{name}: is a directory, not a capture file") from None
    except OSError as exc:
        raise CaptureError(f"cannot read {name}: {exc.strerror or exc}") from None
    return loads(raw, name)


def loads(raw: bytes, name: str = "capture") -> Capture:
    """Like :func:`load`, for bytes already read (not pcap: that is streamed from the file)."""
    if not raw.strip():
        raise CaptureError(f"{name}: empty file")
    if raw[:4] in PCAP_MAGICS or raw[:4] == PCAPNG_MAGIC:
        import io

        return _pcap(io.BytesIO(raw), name, raw[:4])
    if is_capture(raw[:4096]):
        text = _text(raw, name)
        infos = read_capture(iter(text.splitlines()), name)
        if not infos:
            raise CaptureError(f"{name}: the capture holds no connection")
        return Capture("wsdebug capture", infos)
    text = _text(raw, name)
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaptureError(f"{name}: line {exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        from .har import read_har

        infos, notes = read_har(doc, name)
        return Capture("HAR", infos, notes)
    from .textdump import read_hexdump

    infos, notes = read_hexdump(text, name)
    return Capture("hex dump", infos, {"1": notes})
