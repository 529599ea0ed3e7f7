"""Text that Wireshark's and coreutils' tools print: ``tshark -x``, ``tshark -z follow``, ``od``.

Theory of operation
-------------------
:func:`recognise` tells the formats apart by their content, from the lines themselves:

* ``tshark -x`` (alone, with ``-V`` or ``-P``): packets as hex blocks ``0000  45 00 ...  ascii``
  whose offsets restart at 0 for each packet.  A block headed ``Frame (N bytes):`` is the packet;
  blocks headed otherwise (``Unmasked data (N bytes):``, ``Reassembled TCP ...``) are tshark's
  own derived data and are skipped; protocol-tree and summary lines are ignored.  Each packet's
  link layer (Ethernet, Linux cooked v1/v2, BSD loopback, raw IP) is told from its bytes; the
  packets are then written as an in-memory pcap and read by :mod:`wsdebug.capture.pcap`, so TCP
  reassembly per direction (order, retransmissions, gaps) is the pcap reader's.
* ``tshark -z follow,tcp,hex,N``: the ``=====``, ``Follow:``, ``Filter:`` and ``Node N:`` lines are
  read for the endpoints; data lines of node 1 are indented with a tab.  Node 0 is the side
  tshark saw first, the client when the capture holds the connection's start.
* ``tshark -z follow,tcp,raw,N``: one line of plain hex per segment; node 1's lines are indented.
* ``od -A x -t x1z`` (and ``-t x1``, ``-A d``, ``-A o``): offset, single-spaced bytes, the ``>..<``
  column; ``*`` lines are expanded from the next offset.  One stream, no direction.

Every loop walks the lines once; nothing is decoded byte by byte in Python.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .textinput import HexInputError

if TYPE_CHECKING:  # the capture format (and json) loads only when a dump is recognised
    from .format import ConnectionInfo

__all__ = [
    "ToolDump",
    "ToolDumpError",
    "decode_segments",
    "read_tool_dump",
    "recognise",
    "tool_bytes",
]

_MAX_EXPAND = 64 << 20

_TSHARK_HEX = re.compile(r"([0-9a-fA-F]{4,8})  ((?:[0-9a-fA-F]{2}(?: |$)){1,16})")
_SOURCE = re.compile(
    r"\S.*\((\d+) bytes?\):\s*$"
)  # "Frame (77 bytes):", "Unmasked data (5 bytes):"
_FOLLOW_HEAD = re.compile(r"=+\s*$|Follow: |Filter: |Node [01]: ")
_NODE = re.compile(r"Node ([01]): (.+?)\s*$")
_FOLLOW_KIND = re.compile(r"Follow: (tcp|tls|http|udp|websocket|\w+),(\w+)")
_RAW_LINE = re.compile(r"(\t?)([0-9a-fA-F]*)\s*")
_OD_LINE = re.compile(r"([0-7]{6,}|[0-9a-fA-F]{6,})((?: [0-9a-fA-F]{2}){1,32})(?:\s+>.*<)?\s*")
_OD_END = re.compile(r"([0-9a-fA-F]{6,})\s*")


class ToolDumpError(HexInputError):
    """A dump recognised as one of these formats that cannot be read; one line, with a line."""


@dataclass
class ToolDump:
    """What a tool dump held: one conversation's bytes by direction, heads included."""

    kind: str  #: "tshark -x", "tshark follow,tcp,hex", "tshark follow,tcp,raw" or "od"
    segments: list[tuple[str | None, bytes]]  #: (C2S | S2C | None, bytes) in dump order
    client: str | None = None
    server: str | None = None
    notes: list[str] = field(default_factory=list)
    infos: list[ConnectionInfo] | None = None  #: tshark -x: what the pcap reader made of it


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def recognise(text: str) -> str | None:
    """The tool that printed ``text``, or None when it is none of these formats."""
    lines = [ln for ln in _lines(text[:20000]) if ln.strip()][:400]
    if not lines:
        return None
    if any(ln.startswith("Follow: ") for ln in lines[:6]) and any(
        _FOLLOW_HEAD.match(ln) for ln in lines[:2]
    ):
        kind = _FOLLOW_KIND.match(next(ln for ln in lines if ln.startswith("Follow: ")))
        mode = kind.group(2) if kind else "hex"
        return "tshark follow,tcp,raw" if mode == "raw" else "tshark follow,tcp,hex"
    hexes = [m for ln in lines if (m := _TSHARK_HEX.match(ln))]
    if hexes and sum(1 for m in hexes if int(m.group(1), 16) == 0) >= 1:
        restarts = sum(1 for m in hexes[1:] if int(m.group(1), 16) == 0)
        noise = any(_SOURCE.match(ln) or ln.startswith("Frame ") for ln in lines)
        if (restarts or noise) and all(len(m.group(1)) == 4 for m in hexes[:1]):
            if noise or _first_block_is_a_packet(hexes):
                return "tshark -x"
            return None  # dumps of frame bytes, one after another: the hex-dump reader's
    first = lines[0]
    od_first = _OD_LINE.fullmatch(first) and not _TSHARK_HEX.match(first) and ": " not in first
    od_rest = (_OD_LINE.fullmatch(ln) or _OD_END.fullmatch(ln) or ln.strip() == "*" for ln in lines)
    if od_first and all(od_rest):
        return "od"
    return None


# -- tshark -x ------------------------------------------------------------------------------------


def _first_block_is_a_packet(hexes: list[re.Match[str]]) -> bool:
    """Whether the first block (the lines up to the next offset 0) holds a TCP/IP packet."""
    block = [hexes[0].group(2)]
    for m in hexes[1:]:
        if int(m.group(1), 16) == 0:
            break
        block.append(m.group(2))
    return _link_of(bytes.fromhex("".join(block).replace(" ", ""))) is not None


_EPOCH = re.compile(r"\s*Epoch Time: (\d{1,12}(?:\.\d{1,9})?) seconds")  # with -V


def _tshark_packets(text: str) -> tuple[list[bytes], list[float]]:
    """The packets' bytes, and their times where ``-V`` printed them."""
    packets: list[bytes] = []
    times: list[float] = []
    current: list[str] | None = None  # hex of the block being read (None: skipping a block)
    expected = 0
    header: str | None = None  # the data-source line right before a block
    keep = True
    for number, line in enumerate(_lines(text), 1):
        m = _TSHARK_HEX.match(line)
        if m is None:
            if current is not None and keep:
                packets.append(bytes.fromhex("".join(current)))
            current = None
            if line.strip():
                src = _SOURCE.match(line)
                header = line if src else None
                if (epoch := _EPOCH.match(line)) and len(times) == len(packets):
                    times.append(float(epoch.group(1)))
            continue
        offset = int(m.group(1), 16)
        if current is None:
            if offset != 0:
                raise ToolDumpError(f"packet bytes start at offset {m.group(1)}, not 0000", number)
            keep = header is None or header.startswith("Frame (")
            current, expected, header = [], 0, None
        elif offset != expected:
            raise ToolDumpError(
                f"offset {m.group(1)} should be {expected:04x}: lines lost?", number
            )
        hexes = m.group(2).replace(" ", "")
        current.append(hexes)
        expected = offset + len(hexes) // 2
    if current is not None and keep:
        packets.append(bytes.fromhex("".join(current)))
    return packets, times if len(times) == len(packets) else []


def _ip_ok(buf: bytes, at: int) -> bool:
    """Whether ``buf[at:]`` starts with an IPv4/IPv6 header carrying TCP that fits the packet."""
    if len(buf) < at + 20:
        return False
    version = buf[at] >> 4
    if version == 4:
        total = struct.unpack_from("!H", buf, at + 2)[0]
        return buf[at + 9] == 6 and (buf[at] & 15) >= 5 and at + total <= len(buf)
    if version == 6 and len(buf) >= at + 40:
        return buf[at + 6] == 6 and at + 40 + struct.unpack_from("!H", buf, at + 4)[0] <= len(buf)
    return False


_AF = (b"\x02\x00\x00\x00", b"\x18\x00\x00\x00", b"\x1c\x00\x00\x00", b"\x1e\x00\x00\x00")
_LINKS = ((1, 14), (113, 16), (276, 20), (0, 4), (101, 0))  # pcap link type, header length


def _link_of(buf: bytes) -> int | None:
    """The link type a packet's bytes fit; None when it holds no TCP over IP."""
    for linktype, at in _LINKS:
        if not _ip_ok(buf, at):
            continue
        if linktype == 1 and buf[12:14] not in (b"\x08\x00", b"\x86\xdd"):
            continue
        if linktype == 113 and buf[14:16] not in (b"\x08\x00", b"\x86\xdd"):
            continue
        if linktype == 276 and buf[0:2] not in (b"\x08\x00", b"\x86\xdd"):
            continue
        family = buf[:4] if buf[:4] in _AF else buf[3::-1]  # BSD loopback: either byte order
        if linktype == 0 and family not in _AF:
            continue
        return linktype
    return None


def _as_pcap(packets: list[bytes], times: list[float]) -> tuple[bytes, int]:
    """The packets as one pcap file (raw IP), and how many carried no TCP/IP and were left out."""
    out = io.BytesIO()
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 101))
    skipped = 0
    for number, buf in enumerate(packets):
        linktype = _link_of(buf)
        if linktype is None:
            skipped += 1
            continue
        ip = buf[dict(_LINKS)[linktype] :]
        t = times[number] if times else 0.0
        sec = int(t)
        out.write(struct.pack("<IIII", sec, round((t - sec) * 1e6) % 1000000, len(ip), len(ip)))
        out.write(ip)
    return out.getvalue(), skipped


def _tshark_x(text: str, name: str) -> ToolDump:
    from .format import CaptureError
    from .pcap import read_pcap

    packets, times = _tshark_packets(text)
    pcap, skipped = _as_pcap(packets, times)
    try:
        infos, notes, _gaps, file_notes = read_pcap(io.BytesIO(pcap), name)
    except CaptureError as exc:
        raise ToolDumpError(str(exc).removeprefix(f"{name}: ")) from None
    dump = ToolDump("tshark -x", [], infos=infos)
    dump.notes.append(
        f"read {len(packets)} packets from tshark -x hex"
        + ("" if times else "; without -V it prints no times: frames are in capture order")
    )
    if skipped:
        dump.notes.append(f"{skipped} packets carry no TCP over IP and were skipped")
    dump.notes.extend(file_notes)
    for info in infos:
        dump.notes.extend(notes.get(info.conn, []))
    first = infos[0]
    dump.client, dump.server = first.local, first.peer
    dump.segments = [(c.dir, c.data) for c in first.chunks]
    if len(infos) > 1:
        dump.notes.append(f"{len(infos)} WebSocket connections in the dump")
    return dump


# -- tshark -z follow -----------------------------------------------------------------------------


def _follow_nodes(lines: list[str]) -> tuple[dict[str, str], list[int]]:
    nodes: dict[str, str] = {}
    heads: list[int] = []
    for index, line in enumerate(lines):
        if _FOLLOW_HEAD.match(line):
            heads.append(index)
            if m := _NODE.match(line):
                nodes[m.group(1)] = m.group(2)
    return nodes, heads


def _follow(text: str, kind: str) -> ToolDump:
    from .format import C2S, S2C

    lines = _lines(text)
    nodes, heads = _follow_nodes(lines)
    dump = ToolDump(kind, [], client=nodes.get("0"), server=nodes.get("1"))
    dump.notes.append(
        "tshark's Follow Stream: node 0 taken as the client (the side tshark saw first)"
    )
    skip = set(heads)
    if kind.endswith("raw"):
        for number, line in enumerate(lines, 1):
            if number - 1 in skip or not line.strip():
                continue
            m = _RAW_LINE.fullmatch(line)
            if m is None or len(m.group(2)) % 2:
                raise ToolDumpError("not a line of hex in tshark's raw Follow output", number)
            dump.segments.append((C2S if not m.group(1) else S2C, bytes.fromhex(m.group(2))))
        return dump
    from .textinput import parse_directional

    body = "\n".join("" if i in skip else line for i, line in enumerate(lines))
    try:
        parts = parse_directional(body)
    except HexInputError as exc:
        raise ToolDumpError(exc.reason, exc.line) from None
    dump.segments = [(C2S if side != "server" else S2C, data) for side, data in parts]
    return dump


# -- od -------------------------------------------------------------------------------------------


def _od(text: str) -> ToolDump:
    lines = [(n, ln) for n, ln in enumerate(_lines(text), 1) if ln.strip()]
    offsets = [ln.split(" ", 1)[0].strip() for _, ln in lines if ln.strip() != "*"]
    base = 16  # -A x; -A o and -A d are told apart by their second offset
    if len(offsets) > 1 and len(offsets[0]) == 7:
        base = 8 if set(offsets[1]) <= set("01234567") and offsets[1].endswith("20") else 10
    out = bytearray()
    last, star = b"", False
    for number, line in lines:
        if line.strip() == "*":
            if not last:
                raise ToolDumpError("'*' line before any data line", number)
            star = True
            continue
        m = _OD_LINE.fullmatch(line)
        offset = int((m.group(1) if m else line.strip()), base)
        if star:
            gap = offset - len(out)
            if gap < 0 or gap % len(last):
                raise ToolDumpError("offset does not end whole lines repeated by '*'", number)
            if len(out) + gap > _MAX_EXPAND:
                raise ToolDumpError("'*' line expands to more than 64 MiB", number)
            out += last * (gap // len(last))
            star = False
        if offset != len(out):
            raise ToolDumpError(f"offset {offset:x} should be {len(out):x}: lines lost?", number)
        if m is not None:
            last = bytes.fromhex(m.group(2))
            out += last
    if star:
        raise ToolDumpError("'*' elides repeated lines, but no later offset says how many")
    return ToolDump("od", [(None, bytes(out))])


def read(text: str, name: str = "input") -> ToolDump | None:
    """The dump in ``text`` when a tool here printed it, else None.

    Raises:
        ToolDumpError: recognised, but unreadable (with the line).
    """
    kind = recognise(text)
    if kind is None:
        return None
    if kind == "tshark -x":
        return _tshark_x(text, name)
    if kind == "od":
        return _od(text)
    return _follow(text, kind)


def _head_end(data: bytes) -> int:
    if data.startswith((b"GET ", b"HTTP/")):
        end = data.find(b"\r\n\r\n")
        return len(data) if end < 0 else end + 4
    return 0


def decode_segments(text: str) -> list[tuple[str | None, bytes]] | None:
    """For ``decode``: ("client" | "server" | None, bytes) with each side's HTTP head left out.

    Raises:
        ToolDumpError: recognised, but unreadable.
    """
    dump = read(text)
    if dump is None:
        return None
    from .format import C2S

    starts: dict[str | None, bytes] = {}  # each side's first 64 KiB: where its HTTP head ends
    for side, data in dump.segments:
        if len(have := starts.get(side, b"")) < 65536:
            starts[side] = have + data[:65536]
    skip = {side: _head_end(data) for side, data in starts.items()}
    out: list[tuple[str | None, bytes]] = []
    for side, data in dump.segments:
        cut = min(skip.get(side, 0), len(data))
        skip[side] = skip.get(side, 0) - cut
        if data[cut:]:
            name = None if side is None else "client" if side == C2S else "server"
            out.append((name, data[cut:]))
    return out


def tool_bytes(text: str) -> bytes | None:
    """For a single stream (``decode`` of bytes, ``/raw``): the bytes of a one-sided tool dump.

    Raises:
        ToolDumpError: recognised but unreadable, or holding both directions.
    """
    segments = decode_segments(text)
    if segments is None:
        return None
    if len({side for side, _ in segments}) > 1:
        raise ToolDumpError("the dump holds both directions: decode it as two streams")
    return b"".join(data for _, data in segments)


def read_tool_dump(text: str, name: str) -> tuple[list[ConnectionInfo], list[str], str] | None:
    """For ``replay``: the conversations of a tool dump, notes, and the dump's kind; else None.

    Raises:
        CaptureError: recognised but unreadable.
    """
    from .format import C2S, CaptureError, Chunk, ConnectionInfo

    try:
        dump = read(text, name)
    except ToolDumpError as exc:
        raise CaptureError(f"{name}: {exc}") from None
    if dump is None or dump.kind == "od":
        return None
    if dump.infos is not None:
        return dump.infos, dump.notes, dump.kind
    info = ConnectionInfo("1", role="client", peer=dump.server, local=dump.client)
    info.chunks = [Chunk(0.0, "1", side or C2S, data) for side, data in dump.segments]
    notes = [*dump.notes, "a Follow Stream dump has no times: frames are numbered in dump order"]
    return [info], notes, dump.kind
