"""The wsdebug capture format: JSON Lines, versioned, everything that crossed the socket.

Line 1 is a header::

    {"format": "wsdebug-capture", "version": 1, "created": "2026-12-01T10:00:00Z",
     "tool": "wsdebug 0.1.0", "mode": "connect" | "listen"}

Every other line is one record with a time ``t`` (seconds since the epoch, float), a connection
id ``conn`` and an ``event``:

``open``       ``peer``, ``local`` ("host:port"), ``role`` (our role: "client"/"server"), ``url``
``data``       ``dir`` ("c2s" client to server, "s2c" server to client) and ``len``: one chunk
               exactly as read from or written to the socket, handshake bytes included, as
               ``len`` raw bytes after the record's line and a final ``\n`` (version 2), or
               as ``hex`` inside the record (version 1, still read)
``handshake``  ``subprotocol``, ``extensions`` (the negotiated header values, or null)
``end``        the TCP connection ended (``reason`` in words)

Readers must skip events they do not know and refuse a newer ``version``.  See
``docs/capture-format.md``.
"""

from __future__ import annotations

import binascii
import datetime as _dt
import json
import math
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from ..codec.spec import Direction

FORMAT = "wsdebug-capture"
VERSION = 2  #: the newest version read, and the one written (raw data blocks)
HEX_VERSION = 1  #: data as hex inside the record: written where no raw bytes can go
C2S = Direction.C2S  #: a ``dir`` value (the codec's one direction type is a str)
S2C = Direction.S2C


class CaptureError(ValueError):
    """An unreadable capture; ``str()`` is one line naming the file position."""


@dataclass(slots=True)
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
    """Appends records to an open text file; every record, data chunks included, is handed to
    the operating system (written and flushed, not fsync'd) before the call returns.

    What that promises: when the process is killed (``kill -9``, a crash), every chunk that was
    read from or written to the socket before the kill is in the file, because each chunk is
    recorded before it is processed or sent.  At worst the last line is cut short, when the
    kill lands during that line's own write; :func:`parse_capture` reports it and keeps the
    rest.  A power failure or an OS crash may still lose what the OS had not yet written to
    disk: there is no fsync, which would cost a disk round trip per chunk.
    """

    def __init__(
        self,
        fh: IO[str],
        *,
        mode: str,
        tool: str = "wsdebug",
        created: str | None = None,
        hex_data: bool = False,
    ) -> None:
        from .serialize import data_record_line, record_line  # not at import: readers need neither

        self._record_line, self._data_line = record_line, data_record_line
        self._fh = fh
        self._fd = self._raw_fd(fh)  #: written with os.writev: no Python buffer to flush
        import os

        self._writev = os.writev
        self._conn_json: dict[str, str] = {}
        #: per (conn, dir): the data record's head after ``"t"``'s value, up to ``"len":``
        self._heads: dict[tuple[str, str], bytes] = {}
        if created is None:
            created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        #: data records as raw blocks (version 2), or as hex lines (version 1): asked for
        #: (``hex_data``, a file people read, such as the samples in captures/), or a file
        #: object with no descriptor (a StringIO), which takes text
        self._raw = self._fd is not None and not hex_data
        self.version = VERSION if self._raw else HEX_VERSION
        self._write(
            {
                "format": FORMAT,
                "version": self.version,
                "created": created,
                "tool": tool,
                "mode": mode,
            }
        )

    def _write(self, obj: dict[str, Any]) -> None:
        self._line(self._record_line(obj))

    def _line(self, line: str) -> None:
        """One whole line handed to the OS: one ``write()`` per record (a file object that has
        no descriptor, such as a StringIO, is written and flushed instead)."""
        if self._fd is not None:
            self._write_all(self._fd, [line.encode("utf-8", "surrogatepass")])
            return
        self._fh.write(line)
        self._fh.flush()

    def open(
        self,
        conn: str,
        *,
        role: str,
        peer: str,
        local: str,
        url: str | None = None,
        t: float | None = None,
    ) -> None:
        self._write(
            {
                "t": time.time() if t is None else t,
                "conn": conn,
                "event": "open",
                "role": role,
                "peer": peer,
                "local": local,
                "url": url,
            }
        )

    def data(self, conn: str, direction: str, data: bytes, t: float | None = None) -> None:
        """One chunk as it crossed the socket, handed to the OS before this returns.

        With a descriptor the record is its line, ``{"t":…,"conn":…,"event":"data","dir":…,
        "len":N}``, then the N bytes as they are and a ``\n``, all in one ``writev``: a
        megabyte chunk is neither encoded nor copied in Python.  Without one (a StringIO),
        or with ``hex_data``, the line :func:`~wsdebug.capture.serialize.data_record_line`
        builds, with hex.
        """
        if direction not in (C2S, S2C):
            raise ValueError(f"direction must be {C2S!r} or {S2C!r}")
        stamp = time.time() if t is None else t
        fd = self._fd
        if not self._raw or fd is None:
            quoted = self._conn_json.get(conn)
            if quoted is None:
                quoted = self._conn_json[conn] = json.dumps(conn)
            self._line(self._data_line(stamp, quoted, direction, data))
            return
        mid = self._heads.get((conn, direction))
        if mid is None:
            quoted = json.dumps(conn)  # ASCII: json escapes the rest
            mid = f',"conn":{quoted},"event":"data","dir":"{direction}","len":'.encode()
            self._heads[conn, direction] = mid
        self._write_all(
            fd, [b'{"t":', repr(stamp).encode(), mid, b"%d}\n" % len(data), data, b"\n"]
        )

    def handshake(
        self, conn: str, *, subprotocol: str | None, extensions: str | None, t: float | None = None
    ) -> None:
        self._write(
            {
                "t": time.time() if t is None else t,
                "conn": conn,
                "event": "handshake",
                "subprotocol": subprotocol,
                "extensions": extensions,
            }
        )

    def end(self, conn: str, reason: str, t: float | None = None) -> None:
        self._write(
            {"t": time.time() if t is None else t, "conn": conn, "event": "end", "reason": reason}
        )
        self._conn_json.pop(conn, None)
        self._heads.pop((conn, C2S), None)
        self._heads.pop((conn, S2C), None)

    def close(self) -> None:
        self._fh.close()

    @staticmethod
    def _raw_fd(fh: IO[str]) -> int | None:
        """The descriptor under ``fh`` (its buffer flushed first), or None when it has none."""
        try:
            fh.flush()
            return fh.fileno()
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
            return None

    def _write_all(self, fd: int, pieces: list[bytes]) -> None:
        """``os.writev`` until every piece is out (a short write resumes where it stopped)."""
        total = sum(map(len, pieces))
        done = self._writev(fd, pieces)
        while done < total:
            rest = b"".join(pieces)[done:]
            total, pieces = len(rest), [rest]
            done = self._writev(fd, pieces)


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


@dataclass(frozen=True)
class Cut:
    """The last line of a capture was cut short (the writer was killed while writing it)."""

    line: int  #: its line number, from 1
    offset: int  #: where it starts, in bytes from the start of the file
    size: int  #: the bytes of that incomplete line, not replayed

    def describe(self, name: str) -> str:
        return (
            f"{name}: the capture is cut short at byte {self.offset:,} (line {self.line}): "
            f"the last {self.size:,} bytes, an incomplete record, were not replayed"
        )


@dataclass
class ParsedCapture:
    connections: list[ConnectionInfo]
    cut: Cut | None = None  #: set when the last line was cut short
    #: where the bytes of the data record :func:`iter_capture` handed out last start in the
    #: file, when they were a raw block (version 2); None for hex inside the record
    raw_at: int | None = None


def _size(line: str | bytes) -> int:
    if isinstance(line, bytes) or line.isascii():
        return len(line)
    return len(line.encode("utf-8", "surrogatepass"))


def _unended(line: str | bytes) -> bool:
    """No line end: the last line of the input (what a killed writer leaves, if not JSON)."""
    return not (line.endswith(b"\n") if isinstance(line, bytes) else line.endswith("\n"))


def parse_capture(lines: Iterable[str | bytes], name: str = "capture") -> ParsedCapture:
    """Parse a capture into its connections, in order of first appearance.

    ``lines`` may keep their line ends (a file object, text or binary) or not (``splitlines()``).
    A last line that is not JSON (and has no line end) is the cut a killed writer leaves:
    reported in :attr:`ParsedCapture.cut`, everything before it kept.  Any other unreadable
    line is a CaptureError naming it.  (:func:`~wsdebug.capture.filechunks.parse_by_reference`
    does the same keeping each data record's position in the file instead of its bytes.)
    """
    parsed = ParsedCapture([])
    seen: set[int] = set()
    for info, _kind, chunk in iter_capture(lines, name, parsed):
        if id(info) not in seen:
            seen.add(id(info))
            parsed.connections.append(info)
        if chunk is not None:
            info.chunks.append(Chunk(chunk[0], info.conn, chunk[1], chunk[2]))
    return parsed


#: a data record as CaptureWriter writes it (serialize.data_record_line), up to its hex: the
#: rest of the line is the hex digits and ``"}``, read without json
_DATA = re.compile(
    rb'\{"t":(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?),'
    rb'"conn":"([^"\\\x00-\x1f\x7f-\xff]*)","event":"data","dir":"(c2s|s2c)","hex":"'
)
#: the line of a raw data record as CaptureWriter writes it (version 2), its bytes after it
_RAW = re.compile(
    rb'\{"t":(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?),'
    rb'"conn":"([^"\\\x00-\x1f\x7f-\xff]*)","event":"data","dir":"(c2s|s2c)","len":([0-9]{1,18})\}\r?\n'
)
_DIRS = {b"c2s": C2S, b"s2c": S2C}


def iter_capture(
    lines: Iterable[str | bytes], name: str, parsed: ParsedCapture
) -> Iterator[tuple[ConnectionInfo, str, tuple[float, str, bytes] | None]]:
    """The records of a capture as they are read: ``(connection, event, chunk)``, the
    connection's ConnectionInfo updated by ``open``/``handshake``/``end`` records, ``chunk``
    the ``(t, dir, bytes)`` of a ``data`` record (None for the others).  A cut last record
    sets ``parsed.cut``; ``parsed.raw_at`` says where a raw block's bytes were.  Raises
    CaptureError as :func:`parse_capture` does."""
    conns: dict[str, ConnectionInfo] = {}
    header_seen = False
    offset = 0
    it = iter(lines)
    match = _DATA.match
    raw_match = _RAW.match
    unhex = binascii.unhexlify
    by_raw: dict[bytes, ConnectionInfo] = {}  # the fast path's connections, by their id's bytes
    finite = math.isfinite
    lineno = 0

    def conn_of(raw_id: bytes) -> ConnectionInfo:
        info = by_raw.get(raw_id)
        if info is None:
            conn_id = raw_id.decode()
            info = conns.get(conn_id)
            if info is None:
                info = conns[conn_id] = ConnectionInfo(conn_id)
            by_raw[raw_id] = info
        return info

    def block(n: int, start: int, size: int) -> bytes | None:
        """The ``n`` raw bytes after a record line (at ``start``, ``size`` bytes), gathered
        from the lines that follow it: a block is ``n`` bytes and a ``\n``, so it ends where
        a line ends.  None, and ``parsed.cut`` set, when the input ends inside it."""
        nonlocal lineno, offset
        where = f"{name}: line {lineno}"
        pieces: list[bytes] = []
        have = 0
        for line in it:
            if not isinstance(line, bytes):
                raise CaptureError(f"{where}: raw data (capture version 2) must be read as bytes")
            pieces.append(line)
            have += len(line)
            if have > n:
                break
        if have <= n:  # the input ended inside the block: what a killed writer leaves
            parsed.cut = Cut(lineno, start, size + have)
            return None
        data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        if have > n + 1 or data[-1:] != b"\n":
            raise CaptureError(f"{where}: a data block of {n:,} bytes does not end its record")
        lineno += len(pieces)
        parsed.raw_at = offset
        offset += have
        return data[:-1]

    for line in it:
        lineno += 1
        fast = isinstance(line, bytes)
        size = len(line) if fast else _size(line)
        start, offset = offset, offset + size
        if isinstance(line, bytes) and header_seen:
            if (
                (m := raw_match(line)) is not None
                and m.end() == len(line)
                and finite(t := float(m[1]))
            ):
                data = block(int(m[4]), start, size)
                if data is None:
                    break
                yield conn_of(m[2]), "data", (t, _DIRS[m[3]], data)
                continue
            if (m := match(line)) is not None:
                # the digits end 3 bytes before a line end, 2 before the end of the file
                stop = -3 if line[-1:] == b"\n" else -2
                if line[-2:] == b"\r\n":
                    stop = -4
                t = float(m[1])
                if line[stop : stop + 2 or None] == b'"}' and finite(t):
                    try:
                        data = unhex(line[m.end() : stop])  # hex digits only, an even number
                    except ValueError:  # binascii.Error: left to the careful reader below
                        data = None
                    if data is not None:
                        parsed.raw_at = None
                        yield conn_of(m[2]), "data", (t, _DIRS[m[3]], data)
                        continue
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except RecursionError:
            raise CaptureError(f"{name}: line {lineno}: JSON nested too deeply to read") from None
        except ValueError as exc:  # JSONDecodeError, or UnicodeDecodeError for bytes
            if _unended(line) and not any(rest.strip() for rest in it):  # a cut last line
                parsed.cut = Cut(lineno, start, size)
                if not header_seen:
                    raise CaptureError(
                        f"{name}: the capture is cut short inside its header line"
                    ) from None
                break
            msg = (
                f"{exc.msg}, column {exc.colno}"
                if isinstance(exc, json.JSONDecodeError)
                else "not UTF-8"
            )
            raise CaptureError(f"{name}: line {lineno}: not JSON ({msg})") from None
        if not isinstance(rec, dict):
            raise CaptureError(f"{name}: line {lineno}: expected a JSON object")
        if not header_seen:
            if rec.get("format") != FORMAT:
                raise CaptureError(
                    f"{name}: line {lineno}: not a wsdebug capture (no format header)"
                )
            version = rec.get("version")
            if not isinstance(version, int) or version > VERSION:
                raise CaptureError(
                    f"{name}: capture format version {version!r} is newer than this wsdebug reads ({VERSION}); upgrade wsdebug"
                )
            header_seen = True
            continue
        where = f"{name}: line {lineno}"
        got = _record(rec, conns, where)
        if got[1] == "data" and got[2] is None:  # "len": its bytes follow the line
            n = rec["len"]
            data = block(n, start, size)
            if data is None:
                break
            t, direction = _time(rec, where), rec["dir"]
            yield got[0], "data", (t, direction, data)
            continue
        if got[1] == "data":
            parsed.raw_at = None
        yield got
    if not header_seen:
        raise CaptureError(f"{name}: empty capture")


def read_capture(lines: Iterable[str | bytes], name: str = "capture") -> list[ConnectionInfo]:
    """Like :func:`parse_capture`, strict: a cut last line is a CaptureError too."""
    parsed = parse_capture(lines, name)
    if parsed.cut is not None:
        raise CaptureError(parsed.cut.describe(name))
    return parsed.connections


def _record(
    rec: dict[str, Any], conns: dict[str, ConnectionInfo], where: str
) -> tuple[ConnectionInfo, str, tuple[float, str, bytes] | None]:
    try:
        conn_id = str(rec["conn"])
        event = rec["event"]
        info = conns.get(conn_id)
        if info is None:
            info = conns[conn_id] = ConnectionInfo(conn_id)
        if event == "data":
            direction = rec["dir"]
            if direction not in (C2S, S2C):
                raise CaptureError(f"{where}: dir must be c2s or s2c, not {direction!r}")
            if "hex" not in rec:  # version 2: the bytes follow the line (iter_capture reads them)
                n = rec["len"]
                if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                    raise CaptureError(f"{where}: len must be a byte count, not {n!r}")
                _time(rec, where)  # (checked here: iter_capture takes it once the bytes are in)
                return info, "data", None
            return info, "data", (_time(rec, where), direction, bytes.fromhex(rec["hex"]))
        if event == "open":
            info.role, info.peer, info.local, info.url = (
                _text(rec, k, where) for k in ("role", "peer", "local", "url")
            )
        elif event == "handshake":
            info.subprotocol, info.extensions = (
                _text(rec, "subprotocol", where),
                _text(rec, "extensions", where),
            )
        elif event == "end":
            info.end_reason = _text(rec, "reason", where)
        else:
            event = "other"
        return info, event, None
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, CaptureError):
            raise
        raise CaptureError(f"{where}: bad record ({type(exc).__name__}: {exc})") from None
