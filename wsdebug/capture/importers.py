"""Open any capture wsdebug reads, recognised by its content rather than its name.

:func:`load` tells the formats apart by their first bytes: the pcap and pcapng magic numbers,
the wsdebug JSONL header, a JSON object with ``log.entries`` (HAR), else text read as a hex dump
with direction markers.  Every failure is a :class:`~wsdebug.capture.format.CaptureError` whose
message is one line naming the file and, where it helps, the line or packet.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..codec.deflate import DeflateParams
from .format import (
    CaptureError,
    ConnectionInfo,
    Cut,
    ParsedCapture,
    is_capture,
    iter_capture,
    parse_capture,
)
from .inputcap import DEFAULT_REPLAY_MAX, InputTooLarge, check_file_size, read_capped, too_large
from .session import Conversation, InflateBudget, reconstruct
from .tls import KeyLog

if TYPE_CHECKING:
    from .filechunks import FileSource

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",  # microsecond, little / big endian
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",  # nanosecond
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


@dataclass
class Capture:
    """What a file held: its kind, its connections, and notes on how they were obtained."""

    kind: str  #: "wsdebug capture", "pcap", "pcapng", "HAR", "hex dump", "tshark -x", ...
    connections: list[ConnectionInfo]
    notes: dict[str, list[str]] = field(default_factory=dict)  #: per connection id
    file_notes: list[str] = field(default_factory=list)
    gaps: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  #: bytes never captured
    cut: Cut | None = None  #: a wsdebug capture whose last line was cut short (the rest is kept)

    def conversations(self, *, deflate: bool | DeflateParams | None = None) -> list[Conversation]:
        """Reconstruct every connection (see :func:`~wsdebug.capture.session.reconstruct`),
        all of them within one total inflation budget."""
        from .offline import no_gc  # events hold no cycles: collections would only walk them

        budget = InflateBudget()
        with no_gc():
            return [
                reconstruct(
                    c,
                    deflate=deflate,
                    notes=self.notes.get(c.conn),
                    gaps=self.gaps.get(c.conn),
                    budget=budget,
                )
                for c in self.connections
            ]


def _not_text(raw: bytes, name: str, at: int) -> CaptureError:
    return CaptureError(
        f"{name}: not a capture wsdebug reads (wsdebug JSONL, pcap, pcapng, HAR or a hex dump): "
        f"binary data starting {raw[:4].hex(' ')}, invalid as text at byte {at}"
    )


def _text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_text(raw, name, exc.start) from None


def _pcap(
    fh: IO[bytes],
    name: str,
    magic: bytes,
    server_port: int | None = None,
    keylog: KeyLog | None = None,
    refs: bool = False,
) -> Capture:
    from .pcap import read_pcap

    source = _source(fh, refs and keylog is None)
    infos, notes, gaps, file_notes = read_pcap(
        fh, name, server_port=server_port, keylog=keylog, source=source
    )
    return Capture("pcapng" if magic == PCAPNG_MAGIC else "pcap", infos, notes, file_notes, gaps)


def _check_text(head: bytes, name: str) -> None:
    """Refuse at once what cannot be JSON or a hex dump: a NUL byte or bad UTF-8 up front."""
    nul = head.find(b"\x00")
    if nul >= 0:
        raise _not_text(head, name, nul)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(
            head, final=False
        )  # a cut last character is fine
    except UnicodeDecodeError as exc:
        raise _not_text(head, name, exc.start) from None


def _lines(fh: IO[bytes], head: bytes, limit: int, name: str) -> Iterator[bytes]:
    """``head`` (already read) and the rest of ``fh``, line by line, line ends kept, never
    reading past ``limit`` bytes in all."""
    total = 0
    pending = head
    while True:
        nl = pending.find(b"\n")
        if nl >= 0:
            line, pending = pending[: nl + 1], pending[nl + 1 :]
        else:
            line = pending + fh.readline(max(limit - total - len(pending) + 1, 1))
            pending = b""
        if not line:
            return
        total += len(line)
        if total > limit:
            raise CaptureError(str(too_large(name, limit)))
        yield line


def load(
    path: str | Path,
    *,
    max_input: int = DEFAULT_REPLAY_MAX,
    server_port: int | None = None,
    keylog: KeyLog | None = None,
    refs: bool = False,
) -> Capture:
    """Read ``path`` (any supported format), at most ``max_input`` bytes of it.

    wsdebug captures and pcap files are streamed; HAR and hex dumps are read whole.  With
    ``refs``, a pcap's chunks are positions in the file, read again when decoded
    (:mod:`wsdebug.capture.filechunks`: memory independent of the file's size), except in
    TLS conversations decrypted with ``keylog``.

    Raises:
        CaptureError: unreadable, unrecognised, corrupt, larger than ``max_input``, or holding
            no WebSocket conversation.
    """
    path = Path(path)
    name = str(path)
    try:
        with open(path, "rb") as fh:
            return load_file(
                fh, name, max_input=max_input, server_port=server_port, keylog=keylog, refs=refs
            )
    except IsADirectoryError:
        raise CaptureError(f"{name}: is a directory, not a capture file") from None
    except OSError as exc:
        raise CaptureError(f"cannot read {name}: {exc.strerror or exc}") from None


def load_file(
    fh: IO[bytes],
    name: str,
    *,
    max_input: int = DEFAULT_REPLAY_MAX,
    server_port: int | None = None,
    keylog: KeyLog | None = None,
    refs: bool = False,
) -> Capture:
    """Like :func:`load`, from an open binary file (standard input, a pipe).

    ``server_port`` and ``keylog`` (TLS secrets) apply to pcap files."""
    try:
        check_file_size(fh, max_input, name)
        head = fh.read(min(4096, max_input + 1))
        if head[:4] in PCAP_MAGICS or head[:4] == PCAPNG_MAGIC:
            if fh.seekable():
                fh.seek(0)
                return _pcap(fh, name, head[:4], server_port, keylog, refs)
            return _pcap(
                io.BytesIO(head + read_capped(fh, max_input, name, have=len(head))),
                name,
                head[:4],
                server_port,
                keylog,
            )
        if is_capture(head):
            return _jsonl(_lines(fh, head, max_input, name), name, _source(fh, refs))
        _check_text(head, name)
        raw = head + read_capped(fh, max_input, name, have=len(head))
    except InputTooLarge as exc:
        raise CaptureError(str(exc)) from None
    return loads(raw, name)


def _source(fh: IO[bytes], refs: bool) -> FileSource | None:
    """The file to read chunks from again later (``refs``, a regular file), else None."""
    from .filechunks import FileSource

    return FileSource(fh) if refs and FileSource.usable(fh) else None


def _jsonl(lines: Iterable[bytes], name: str, source: FileSource | None = None) -> Capture:
    if source is None:
        parsed = parse_capture(lines, name)
    else:  # the chunks are positions in the file (the stepper), read again when decoded
        from .filechunks import parse_by_reference

        parsed = parse_by_reference(iter_capture, lines, name, ParsedCapture([]), source)
    if not parsed.connections:
        raise CaptureError(f"{name}: the capture holds no connection")
    return Capture("wsdebug capture", parsed.connections, cut=parsed.cut)


def loads(raw: bytes, name: str = "capture") -> Capture:
    """Like :func:`load`, for bytes already read (not pcap: that is streamed from the file)."""
    if not raw.strip():
        raise CaptureError(f"{name}: empty file")
    if raw[:4] in PCAP_MAGICS or raw[:4] == PCAPNG_MAGIC:
        return _pcap(io.BytesIO(raw), name, raw[:4])
    if is_capture(raw[:4096]):
        return _jsonl(raw.splitlines(keepends=True), name)
    text = _text(raw, name)
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaptureError(
                f"{name}: line {exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})"
            ) from None
        except RecursionError:
            raise CaptureError(
                f"{name}: JSON nested too deeply to read (arrays or objects thousands of "
                "levels deep: not a HAR file)"
            ) from None
        from .har import read_har

        infos, notes = read_har(doc, name)
        return Capture("HAR", infos, notes)
    from .tsharkdump import read_tool_dump

    if (tool := read_tool_dump(text, name)) is not None:  # tshark -x / follow (od: a hex dump)
        tool_infos, tool_notes, kind = tool
        return Capture(kind, tool_infos, {info.conn: tool_notes for info in tool_infos})
    from .textdump import read_hexdump

    dump_infos, dump_notes = read_hexdump(text, name)
    return Capture("hex dump", dump_infos, {"1": dump_notes})
