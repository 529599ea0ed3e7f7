"""WebSocket events out of a pcap as it grows: ``sniff`` (tcpdump's output) and ``replay --follow``.

Theory of operation
-------------------
:class:`Follower` takes packets one at a time (:meth:`Follower.packet`) and returns the events
they complete, as a live session reports them: ``connect`` when a TCP connection shows its
WebSocket upgrade, the ``handshake`` once both heads are in, each ``frame`` (and the
``message`` it completes), notes, and ``close``/``disconnect`` when the TCP connection ends.
Each direction is reassembled in sequence order as it arrives (a retransmission is dropped, a
segment from beyond a hole waits, bounded, for the hole to fill); a connection is decoded by
the same per-direction state machines as ``replay`` (:mod:`wsdebug.capture.session`), fed each
chunk as it becomes readable.  Decoded events are handed out and forgotten, so memory does not
grow with the capture's length; connections that are not WebSocket are dropped once their
first 16 KiB show no upgrade.  :func:`packets` reads pcap/pcapng records from a file object
(a pipe, standard input) without reading ahead.
"""

from __future__ import annotations

import heapq
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import dpkt

from ..codec.events import (
    CloseEvent,
    ConnectEvent,
    DisconnectEvent,
    Event,
    FrameEvent,
    HeadEvent,
    MessageEvent,
)
from ..codec.handshake import MAX_HANDSHAKE_SIZE
from ..codec.spec import Opcode, Role, host_port
from .format import C2S, S2C, CaptureError
from .pcap import _ip_layer, _is_upgrade
from .session import Conversation, InflateBudget, _Builder
from .tcpstream import seq_delta

_WAIT_LIMIT = 4 << 20  #: bytes held per direction beyond a hole before the hole is given up
Endpoint = tuple[str, int]


@dataclass
class _Dir:
    expected: int | None = None  # next sequence number wanted
    waiting: list[tuple[int, bytes]] = field(default_factory=list)  # heap (seq, payload)
    held: int = 0
    fin: bool = False


@dataclass
class _Conn:
    a: Endpoint
    b: Endpoint
    dirs: dict[Endpoint, _Dir] = field(default_factory=dict)
    head: dict[Endpoint, bytearray] = field(default_factory=dict)  # first bytes, until known
    pending: list[tuple[Endpoint, float, bytes]] = field(default_factory=list)
    client: Endpoint | None = None
    conv: Conversation | None = None
    builder: _Builder | None = None
    heads: list[HeadEvent] = field(default_factory=list)
    close_frames: list[FrameEvent] = field(default_factory=list)
    dropped: bool = False
    closed: bool = False


class Follower:
    """Packets in, events out (see the module docstring)."""

    def __init__(self, linktype: int, *, record: Any = None) -> None:
        self.linktype = linktype
        self.conns: dict[frozenset[Endpoint], _Conn] = {}
        self.count = 0
        self.record = record  #: a CaptureWriter the WebSocket connections' bytes are written to

    # -- packets ---------------------------------------------------------------------------------

    def packet(self, ts: float, buf: bytes) -> list[Event]:
        try:
            ip = _ip_layer(self.linktype, buf)
        except (dpkt.Error, ValueError, IndexError):
            return []
        tcp = getattr(ip, "data", None)
        if not isinstance(tcp, dpkt.tcp.TCP):
            return []
        family = socket.AF_INET6 if isinstance(ip, dpkt.ip6.IP6) else socket.AF_INET
        src = (socket.inet_ntop(family, ip.src), tcp.sport)
        dst = (socket.inet_ntop(family, ip.dst), tcp.dport)
        key = frozenset((src, dst))
        conn = self.conns.get(key)
        syn = bool(tcp.flags & dpkt.tcp.TH_SYN)
        if conn is not None and syn and not tcp.flags & dpkt.tcp.TH_ACK and conn.dirs:
            events = self._end(conn, ts, "the address pair was reused by a new connection")
            del self.conns[key]
            conn = None
        else:
            events = []
        if conn is None:
            conn = self.conns[key] = _Conn(src, dst)
        if conn.dropped:
            if tcp.flags & (dpkt.tcp.TH_FIN | dpkt.tcp.TH_RST):
                self.conns.pop(key, None)
            return events
        d = conn.dirs.setdefault(src, _Dir())
        seq = (tcp.seq + 1) & 0xFFFFFFFF if syn else tcp.seq
        if d.expected is None:
            d.expected = seq
        for data in self._reassemble(d, seq, bytes(tcp.data)):
            events += self._data(conn, src, float(ts), data)
        if tcp.flags & dpkt.tcp.TH_RST:
            events += self._end(conn, float(ts), f"{self._who(conn, src)} sent RST")
            self.conns.pop(key, None)
        elif tcp.flags & dpkt.tcp.TH_FIN:
            d.fin = True
            if all(x.fin for x in conn.dirs.values()) and len(conn.dirs) == 2:
                events += self._end(conn, float(ts), "both sides sent FIN")
                self.conns.pop(key, None)
        return events

    @staticmethod
    def _reassemble(d: _Dir, seq: int, payload: bytes) -> list[bytes]:
        out: list[bytes] = []
        if not payload or d.expected is None:
            return out
        rel = seq_delta(seq - d.expected)
        if rel + len(payload) <= 0:
            return out  # retransmitted
        if rel > 0:
            if d.held + len(payload) <= _WAIT_LIMIT:
                heapq.heappush(d.waiting, (seq, payload))
                d.held += len(payload)
            return out
        out.append(payload[-rel:] if rel < 0 else payload)
        d.expected = (seq + len(payload)) & 0xFFFFFFFF
        while d.waiting:
            wseq, wpay = d.waiting[0]
            wrel = seq_delta(wseq - d.expected)
            if wrel > 0:
                break
            heapq.heappop(d.waiting)
            d.held -= len(wpay)
            if wrel + len(wpay) > 0:
                out.append(wpay[-wrel:] if wrel < 0 else wpay)
                d.expected = (wseq + len(wpay)) & 0xFFFFFFFF
        return out

    # -- connections -----------------------------------------------------------------------------

    def _who(self, conn: _Conn, ep: Endpoint) -> str:
        return "client" if ep == conn.client else "server"

    def _data(self, conn: _Conn, src: Endpoint, t: float, data: bytes) -> list[Event]:
        if conn.builder is None:
            head = conn.head.setdefault(src, bytearray())
            head += data[: MAX_HANDSHAKE_SIZE - len(head)]
            conn.pending.append((src, t, data))
            if _is_upgrade(bytes(head)) and b"\r\n\r\n" in head:
                return self._start(conn, src, t)
            if all(len(h) >= MAX_HANDSHAKE_SIZE for h in conn.head.values()) or (
                len(head) >= 4
                and not bytes(head).startswith(b"GET ")
                and src in conn.head
                and not any(bytes(h).startswith(b"GET ") for h in conn.head.values())
            ):
                conn.dropped, conn.pending, conn.head = True, [], {}
            return []
        return self._feed(conn, src, t, data)

    def _start(self, conn: _Conn, client: Endpoint, t: float) -> list[Event]:
        self.count += 1
        conn.client = client
        server = conn.b if client == conn.a else conn.a
        conv_id = str(self.count)
        conv = Conversation(conv_id, host_port(*client), host_port(*server), t0=t)
        # events are handed out and forgotten: no capture-wide inflation total to keep
        conn.conv, conn.builder = conv, _Builder(conv, None, InflateBudget(1 << 62))
        if self.record is not None:
            self.record.open(conv_id, role="client", peer=conv.server, local=conv.client, t=t)
        events: list[Event] = [
            ConnectEvent(conv.server or "", conv.client or "", Role.CLIENT, None, conn=conv_id, t=t)
        ]
        pending, conn.pending, conn.head = conn.pending, [], {}
        for src, pt, data in pending:
            events += self._feed(conn, src, pt, data)
        return events

    def _feed(self, conn: _Conn, src: Endpoint, t: float, data: bytes) -> list[Event]:
        assert conn.builder is not None and conn.conv is not None
        direction = C2S if src == conn.client else S2C
        if self.record is not None:
            self.record.data(conn.conv.id, direction, data, t=t)
        conn.builder.feed(direction, t, data)
        return self._drain(conn)

    def _drain(self, conn: _Conn) -> list[Event]:
        from .replay import _handshake

        assert conn.conv is not None
        conv = conn.conv
        out: list[Event] = []
        for ev in conv.events:
            if isinstance(ev, HeadEvent):
                conn.heads.append(ev)
                if ev.direction == S2C or len(conn.heads) == 2:
                    out.append(_handshake(conv, conn.heads))
                continue
            out.append(ev)
            if isinstance(ev, FrameEvent) and ev.record.message is not None:
                out.append(MessageEvent(ev.record.message, ev.direction, conn=conv.id, t=ev.t))
            if isinstance(ev, FrameEvent) and ev.record.frame.opcode_raw == Opcode.CLOSE:
                conn.close_frames.append(ev)  # what close_summary() reads at the end
        conv.events.clear()  # handed out: memory stays bounded
        return out

    def _end(self, conn: _Conn, t: float, reason: str) -> list[Event]:
        if conn.builder is None or conn.conv is None or conn.closed:
            return []
        conn.closed = True
        conn.builder.finish(t)
        out = self._drain(conn)
        conv = conn.conv
        conv.events.extend(conn.close_frames)
        close: CloseEvent = conv.close_summary()
        conv.events.clear()
        close.t = t
        if self.record is not None:
            self.record.end(conv.id, reason, t=t)
        return [*out, close, DisconnectEvent(reason, conn=conv.id, t=t)]

    def finish(self, t: float, reason: str = "capture ended") -> list[Event]:
        """The end of the capture: every open WebSocket connection ends here."""
        out: list[Event] = []
        for conn in list(self.conns.values()):
            out += self._end(conn, t, reason)
        self.conns.clear()
        return out


def packets(fh: IO[bytes], name: str) -> tuple[int, Iterator[tuple[float, bytes]]]:
    """The link type and the packets of a pcap/pcapng stream, read as they arrive.

    Raises:
        CaptureError: not a pcap/pcapng stream (on the first read).
    """
    try:
        magic = fh.peek(4)[:4] if hasattr(fh, "peek") else b""
        reader: Any = (
            dpkt.pcapng.Reader(fh) if magic == b"\x0a\x0d\x0d\x0a" else dpkt.pcap.Reader(fh)
        )
    except (ValueError, dpkt.Error, EOFError, OSError) as exc:
        raise CaptureError(f"{name}: not a pcap stream ({exc or type(exc).__name__})") from None

    def each() -> Iterator[tuple[float, bytes]]:
        it = iter(reader)
        while True:
            try:
                ts, buf = next(it)
            except StopIteration:
                return
            except (ValueError, dpkt.Error, EOFError, OSError, struct.error):
                return  # a capture cut inside a packet: what came before stands
            yield float(ts), bytes(buf)

    return reader.datalink(), each()
