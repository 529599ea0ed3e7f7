"""A large pcap replayed in two passes over the file, in memory independent of its size.

Theory of operation
-------------------
The first pass (:func:`_survey`) reads every packet's headers and keeps, per TCP connection,
what telling it apart needs: its endpoints, first and last packet, each direction's SYN,
FIN/RST and lowest sequence number, and the first payload bytes (up to
:data:`PREFIX` per direction).  :func:`plan` then decides, as
:func:`~wsdebug.capture.pcap.read_pcap` does, which connections are WebSocket (an upgrade,
or frames that chain up in a capture begun after the handshake) and which side is the client.

The second pass (:func:`_replay_records`) reads the file again and reassembles the kept
connections' directions as :func:`~wsdebug.capture.pcap.reassemble` does, segment by segment
(the same base, the same treatment of retransmissions, reordering and gaps), handing each
chunk on as it becomes readable; a connection's last packet ends it.  The records go to the
same grouping as a JSONL capture's (:class:`~wsdebug.capture.streaming._Grouper`), so
conversations are shown one after the other and only overlapping ones hold chunks.

What a streamed conversation learns only at its end (segments retransmitted or reordered, a
gap) is said there, as notes after its frames.  TLS captures with a key log are not streamed
(decryption reads whole streams): :mod:`wsdebug.capture.pcap` reads those.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from ..codec.handshake import MAX_HANDSHAKE_SIZE
from .format import C2S, S2C, CaptureError, ConnectionInfo
from .pcap import (
    _ACK,
    _FIN,
    _RST,
    _SYN,
    Endpoint,
    _endpoint,
    _Flow,
    _is_tls,
    _is_upgrade,
    _midstream,
    _show,
    _Tcp,
    reassemble,
)
from .pcapread import (
    ETH_IP4_TCP,
    ETHERNET,
    FRAGMENT,
    LINK_NAMES,
    LINKS,
    NOT_TCP,
    UNREADABLE,
    records,
    tcp_segment,
)
from .tcpstream import TcpStream

PREFIX = 1 << 20  #: payload bytes kept per direction in the first pass (what midstream reads)

Key = tuple[bytes, int, bytes, int]
#: one TCP segment: (packet number, time, src address, sport, dst address, dport, seq, flags,
#: payload)
Seg = tuple[int, float, bytes, int, bytes, int, int, int, bytes]


@dataclass
class _Stats:
    skipped: int = 0
    short: int = 0


def _segments(fh: IO[bytes], name: str, stats: _Stats) -> Iterator[Seg]:
    """Every TCP segment of the file, in capture order (packets numbered from 0)."""
    linktype, snaplen, packets = records(fh, name)
    if linktype not in LINKS:
        raise CaptureError(
            f"{name}: pcap link type {linktype} is not supported (wsdebug reads {LINK_NAMES})"
        )
    order = cut = -1
    size = 0
    common = ETH_IP4_TCP.unpack_from
    for ts, link, buf, start, stop in packets:
        order += 1
        size = stop - start
        if link == ETHERNET and size >= 54:
            kind, vihl, total, frag, proto, src, dst, sport, dport, seq, off, flags = common(
                buf, start
            )
            if kind == 0x0800 and vihl == 0x45 and proto == 6 and not frag & 0x3FFF and off >= 80:
                end = start + 14 + total
                if end > stop:
                    stats.short += 1
                    if not snaplen or size < snaplen:
                        cut = order
                payload = buf[start + 34 + (off >> 4) * 4 : end if end < stop else stop]
                yield order, ts, src, sport, dst, dport, seq, flags, payload
                continue
        seg = tcp_segment(link, buf, start, stop) if link in LINKS else NOT_TCP
        if isinstance(seg, int):
            if seg == UNREADABLE:
                stats.skipped += 1
                if not snaplen or size < snaplen:
                    cut = order
            elif seg == FRAGMENT:
                stats.skipped += 1
            continue
        src, sport, dst, dport, seq, flags, payload, cut_short = seg
        if cut_short:
            stats.short += 1
            if not snaplen or size < snaplen:
                cut = order
        yield order, ts, src, sport, dst, dport, seq, flags, payload
    if cut >= 0 and cut == order:
        raise CaptureError(
            f"{name}: truncated: the file ends inside packet {order + 1} ({size} bytes of it)"
        )


@dataclass
class _Survey:
    """The first pass's view of one connection."""

    tcp: _Tcp
    last: int = 0  # its last packet
    low: dict[Endpoint, int] = field(default_factory=dict)  # lowest seq, signed from the first
    first: dict[Endpoint, int] = field(default_factory=dict)  # first sequence number seen
    kept: dict[Endpoint, int] = field(default_factory=dict)  # prefix payload bytes kept


class _Router:
    """Packets to connections, a new SYN after data on a pair starting a new one; both passes
    route alike, so a connection is known in the second by its first packet."""

    def __init__(self) -> None:
        self.routes: dict[Key, tuple[_Survey, Endpoint]] = {}
        self.names: dict[bytes, str] = {}
        self.done: list[_Survey] = []

    def route(self, seg: Seg) -> tuple[_Survey, Endpoint, bool]:
        """The connection of ``seg``, the sender, whether the connection is new."""
        order, _, src, sport, dst, dport, _, flags, _ = seg
        key = (src, sport, dst, dport)
        route = self.routes.get(key)
        if route is not None and flags & _SYN and not flags & _ACK and route[0].tcp.has_data:
            self.done.append(route[0])
            self.routes.pop(key, None)
            self.routes.pop((dst, dport, src, sport), None)
            route = None
        if route is not None:
            return route[0], route[1], False
        a, b = _endpoint(src, sport, self.names), _endpoint(dst, dport, self.names)
        survey = _Survey(_Tcp(order, a, b))
        survey.tcp.flow(a)
        survey.tcp.flow(b)
        self.routes[key] = (survey, a)
        self.routes[(dst, dport, src, sport)] = (survey, b)
        return survey, a, True


def _survey(fh: IO[bytes], name: str) -> tuple[list[_Survey], _Stats]:
    stats = _Stats()
    router = _Router()
    for seg in _segments(fh, name, stats):
        survey, ep, _ = router.route(seg)
        order, ts, _, _, _, _, seq, flags, payload = seg
        survey.last = order
        flow = survey.tcp.flows[ep]
        if flags & _SYN:
            flow.isn = (seq + 1) & 0xFFFFFFFF
        if flags & _FIN:
            flow.fin = True
        if flags & _RST:
            flow.rst = True
        if payload:
            first = survey.first.setdefault(ep, seq)
            rel = (((seq - first) & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
            if rel < survey.low.get(ep, 0):
                survey.low[ep] = rel
            kept = survey.kept.get(ep, 0)
            if kept < PREFIX:
                kept += len(payload)
                flow.segments.append((order, ts, seq, payload))
                if kept >= MAX_HANDSHAKE_SIZE and (
                    flow.segments[0][3][:4] in (b"GET ", b"HTTP") or _is_tls(flow.segments[0][3])
                ):
                    kept = PREFIX  # an HTTP head or TLS: what follows is not needed to tell
                survey.kept[ep] = kept
    done = router.done + [s for s, ep in router.routes.values() if ep == s.tcp.a]
    done.sort(key=lambda s: s.tcp.first)
    return done, stats


@dataclass
class Plan:
    """One connection to replay: its info, its client, where its frames start."""

    info: ConnectionInfo
    survey: _Survey
    client: Endpoint
    server: Endpoint
    skip: dict[Endpoint, int]
    notes: list[str]


def plan(
    fh: IO[bytes], name: str, *, server_port: int | None = None
) -> tuple[list[Plan], list[str]]:
    """The first pass: the WebSocket connections to replay and notes about the file.

    Raises:
        CaptureError: unreadable file, or no WebSocket conversation in it (as read_pcap).
    """
    surveys, stats = _survey(fh, name)
    plans: list[Plan] = []
    tls = 0
    for survey in surveys:
        tcp = survey.tcp
        streams = {ep: reassemble(flow) for ep, flow in tcp.flows.items()}
        client = next((ep for ep, s in streams.items() if _is_upgrade(s.head)), None)
        assumed: list[str] = []
        skip = {tcp.a: 0, tcp.b: 0}
        if client is None:
            if any(_is_tls(s.head) for s in streams.values()):
                tls += 1
                continue
            before = {ep: sum(len(c[2]) for c in s.chunks) for ep, s in streams.items()}
            found = _midstream(tcp, streams, server_port)
            if found is None:
                continue
            client, assumed = found
            for ep in skip:
                after = sum(len(c[2]) for c in streams.get(ep, TcpStream([])).chunks)
                skip[ep] = before.get(ep, 0) - after
        server = tcp.b if client == tcp.a else tcp.a
        info = ConnectionInfo(
            str(len(plans) + 1), role="client", peer=_show(server), local=_show(client)
        )
        flows = [tcp.flows.get(client, _Flow()), tcp.flows.get(server, _Flow())]
        ends = [
            f"{who} sent {'RST' if f.rst else 'FIN'}"
            for who, f in zip(("client", "server"), flows, strict=True)
            if f.rst or f.fin
        ]
        info.end_reason = ", ".join(ends) or "capture ended with the TCP connection open"
        plans.append(Plan(info, survey, client, server, skip, assumed))
    file_notes: list[str] = []
    if stats.short:
        file_notes.append(
            f"{stats.short} packets were cut short by the capture's snap length: frames may be "
            "incomplete"
        )
    if stats.skipped:
        file_notes.append(
            f"{stats.skipped} packets could not be parsed or were IP fragments, and were skipped"
        )
    if not plans:
        if tls:
            raise CaptureError(
                f"{name}: no readable WebSocket: {tls} TCP conversation{'s' if tls != 1 else ''} "
                "use TLS (wss:// or https://), which wsdebug cannot decrypt without the key log "
                "its client wrote (--keylog FILE or SSLKEYLOGFILE); or capture ws:// traffic"
            )
        n = len(surveys)
        raise CaptureError(
            f"{name}: no WebSocket upgrade (GET with Upgrade: websocket) in "
            f"{n} TCP conversation{'s' if n != 1 else ''}"
        )
    if tls:
        file_notes.append(
            f"{tls} TLS-encrypted TCP conversations skipped (no key log: --keylog FILE)"
        )
    return plans, file_notes


class _Reassembly:
    """:func:`~wsdebug.capture.pcap.reassemble` for one direction, a segment at a time."""

    __slots__ = ("base", "expected", "waiting", "retransmitted", "out_of_order", "skip")

    def __init__(self, base: int, skip: int) -> None:
        self.base, self.expected, self.skip = base, 0, skip
        self.waiting: list[tuple[int, int, bytes]] = []
        self.retransmitted = self.out_of_order = 0

    def add(self, order: int, seq: int, payload: bytes) -> bytes | None:
        """The bytes this segment makes readable (None when none)."""
        rel = (((seq - self.base) & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
        end = rel + len(payload)
        expected = self.expected
        if end <= expected:
            self.retransmitted += 1
            return None
        if rel > expected:
            self.out_of_order += 1
            heapq.heappush(self.waiting, (rel, order, payload))
            return None
        data = payload[expected - rel :] if rel < expected else payload
        expected = end
        waiting = self.waiting
        if waiting and waiting[0][0] <= expected:
            parts = [data]
            while waiting and waiting[0][0] <= expected:
                wrel, _, wpayload = heapq.heappop(waiting)
                if wrel + len(wpayload) > expected:
                    parts.append(wpayload[expected - wrel :])
                    expected = wrel + len(wpayload)
            data = b"".join(parts)
        self.expected = expected
        if self.skip:  # a capture begun mid-stream: the bytes before the first whole frame
            cut = min(self.skip, len(data))
            self.skip -= cut
            data = data[cut:]
        return data or None

    def gap(self) -> str | None:
        if not self.waiting:
            return None
        lost = self.waiting[0][0] - self.expected
        after = sum(len(p) for _, _, p in self.waiting)
        return (
            f"{lost} bytes at stream offset {self.expected} were not captured; {after} bytes "
            "after them are not decoded"
        )


@dataclass
class _Live:
    """A kept connection during the second pass."""

    plan: Plan
    dirs: dict[Endpoint, tuple[_Reassembly, str]]


def _base(survey: _Survey, ep: Endpoint) -> int:
    flow = survey.tcp.flows[ep]
    if flow.isn is not None:
        return flow.isn
    first = survey.first.get(ep, 0)
    return (first + survey.low.get(ep, 0)) & 0xFFFFFFFF


def replay_records(
    fh: IO[bytes], name: str, plans: list[Plan], tails: dict[int, list[tuple[str, str, bool]]]
) -> Iterator[tuple[ConnectionInfo, str, tuple[float, str, bytes] | None]]:
    """The second pass: each kept connection's chunks as ``(info, "data", (t, dir, bytes))``
    records, and ``(info, "end", None)`` after its last packet; what each learned only at its
    end goes into ``tails[id(info)]`` as (direction, text, is_problem) before its end record."""
    by_first = {p.survey.tcp.first: p for p in plans}
    router = _Router()
    live: dict[int, _Live | None] = {}  # by id() of the second pass's survey
    for seg in _segments(fh, name, _Stats()):
        survey, ep, new = router.route(seg)
        key = id(survey)
        if new:
            p = by_first.get(survey.tcp.first)
            live[key] = (
                _Live(
                    p,
                    {
                        p.client: (_Reassembly(_base(p.survey, p.client), p.skip[p.client]), C2S),
                        p.server: (_Reassembly(_base(p.survey, p.server), p.skip[p.server]), S2C),
                    },
                )
                if p is not None
                else None
            )
        conn = live.get(key)
        if conn is None:
            continue
        order, ts, *_, payload = seg
        if payload:
            if not survey.tcp.flows[ep].segments:
                survey.tcp.flows[ep].segments.append((0, 0.0, 0, b""))  # has_data, for routing
            reasm, direction = conn.dirs[ep]
            data = reasm.add(order, seg[6], payload)
            if data is not None:
                yield conn.plan.info, "data", (ts, direction, data)
        if order == conn.plan.survey.last:
            tails[id(conn.plan.info)] = _tail(conn)
            live[key] = None
            yield conn.plan.info, "end", None


def _tail(conn: _Live) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    gaps: list[tuple[str, str, bool]] = []
    for reasm, direction in conn.dirs.values():
        who = "client" if direction == C2S else "server"
        if reasm.retransmitted or reasm.out_of_order:
            out.append(
                (
                    direction,
                    f"TCP from the {who}: {reasm.retransmitted} retransmitted segment(s) "
                    f"dropped, {reasm.out_of_order} out-of-order segment(s) put back in "
                    "sequence order",
                    False,
                )
            )
        gap = reasm.gap()
        if gap:
            gaps.append((direction, f"TCP from the {who}: {gap}", True))
    return out + gaps
