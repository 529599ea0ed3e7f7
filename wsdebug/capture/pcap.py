"""WebSocket conversations out of a pcap or pcapng file (unencrypted TCP only).

Theory of operation
-------------------
:mod:`wsdebug.capture.pcapread` reads the records and their link, IP and TCP headers with
struct, in one pass (Ethernet, Linux cooked v1/v2, raw IP and BSD loopback; IPv4 and IPv6).  Segments are grouped into TCP connections by their
address pair, a new SYN after data starting a new connection on a reused pair.

Each direction is then reassembled the way the receiver's TCP stack would: segments are taken
in capture order, placed by sequence number (relative to the SYN, or to the lowest sequence
number seen when the SYN was not captured); a segment wholly before the next expected byte is a
retransmission and is dropped, one beyond it waits until the gap is filled.  Each time the
in-order data grows, that growth is one chunk, timed by the segment that completed it: what an
application reading the socket would have received.  Bytes never captured leave a gap that is
reported; nothing after a gap is decoded.

A conversation is kept when one side's stream starts with an HTTP ``GET`` carrying
``Upgrade: websocket``: that side is the client, whatever the ports.  A stream starting with a
TLS record (0x16 0x03) is encrypted and cannot be read.
"""

from __future__ import annotations

import heapq
import re
import socket
from dataclasses import dataclass, field
from operator import itemgetter
from typing import IO, TYPE_CHECKING

from ..codec.spec import host_port
from .format import C2S, S2C, CaptureError, Chunk, ConnectionInfo
from .pcapread import (
    ETH_IP4_TCP,
    ETHERNET,
    FRAGMENT,
    LINK_NAMES,
    LINKS,
    NOT_TCP,
    UNREADABLE,
    Segment,
    Span,
    records_at,
    tcp_segment,
    tcp_span,
)
from .pcapread import (
    ip_layer as _ip_layer,  # noqa: F401  # capture.follow reads it from here
)
from .tcpstream import TcpStream, seq_delta

if TYPE_CHECKING:
    from .filechunks import FileSource
    from .pcaprefs import SegmentRefs
    from .tls import KeyLog

_UPGRADE = re.compile(rb"\r?\nupgrade[ \t]*:[^\r\n]*websocket", re.IGNORECASE)
Endpoint = tuple[str, int]


#: (packet number, for a stable capture order; time; sequence number; payload)
_Segment = tuple[int, float, int, bytes]


@dataclass
class _Flow:
    """One direction of a TCP connection."""

    segments: list[_Segment] = field(default_factory=list)
    isn: int | None = None  # sequence number of the first data byte, from the SYN
    fin: bool = False
    rst: bool = False
    refs: SegmentRefs | None = None  # the segments as file ranges (read_pcap's ``source``)


@dataclass
class _Tcp:
    first: int  # packet number of the first packet
    a: Endpoint  # the endpoint that sent the first packet
    b: Endpoint
    flows: dict[Endpoint, _Flow] = field(default_factory=dict)

    def flow(self, src: Endpoint) -> _Flow:
        return self.flows.setdefault(src, _Flow())

    @property
    def has_data(self) -> bool:
        return any(f.segments or f.refs for f in self.flows.values())


def _show(ep: Endpoint) -> str:
    return host_port(*ep)


_SYN, _FIN, _RST, _ACK = 0x02, 0x01, 0x04, 0x10


def _endpoint(addr: bytes, port: int, names: dict[bytes, str]) -> Endpoint:
    host = names.get(addr)
    if host is None:
        host = names[addr] = socket.inet_ntop(
            socket.AF_INET if len(addr) == 4 else socket.AF_INET6, addr
        )
    return host, port


def _read_packets(fh: IO[bytes], name: str, refs: bool = False) -> tuple[list[_Tcp], int, int]:
    """Group the TCP segments into connections; also count packets skipped and cut short.

    One pass over the records (capture.pcapread): headers are read with struct from the
    record's bytes, and a segment is a tuple holding its payload; with ``refs``, the flows'
    ``refs`` hold where each payload is in the file instead (``fh`` read from its start)."""
    linktype, snaplen, packets, blocks = records_at(fh, name)
    if refs:
        from .pcaprefs import SegmentRefs
    if linktype not in LINKS:
        raise CaptureError(
            f"{name}: pcap link type {linktype} is not supported (wsdebug reads {LINK_NAMES})"
        )
    # (src address, sport, dst address, dport) -> (connection, the sender's flow, its key)
    routes: dict[tuple[bytes, int, bytes, int], tuple[_Tcp, _Flow]] = {}
    names: dict[bytes, str] = {}
    done: list[_Tcp] = []
    skipped = short = 0
    order = cut = -1  # cut: the last packet that ended before its IP length said
    size = 0
    common = ETH_IP4_TCP.unpack_from
    for ts, link, buf, start, stop in packets:
        order += 1
        size = stop - start
        if link == ETHERNET and size >= 54:  # the common case in one unpack
            kind, vihl, total, frag, proto, src, dst, sport, dport, seq, off, flags = common(
                buf, start
            )
            if kind == 0x0800 and vihl == 0x45 and proto == 6 and not frag & 0x3FFF and off >= 80:
                end = start + 14 + total
                cut_short = end > stop
                first = start + 34 + (off >> 4) * 4
                last = end if end < stop else stop
                payload = b"" if refs else buf[first:last]
                seg: Segment | Span | int | None = None
            else:
                seg = (tcp_span if refs else tcp_segment)(link, buf, start, stop)
        else:
            seg = (
                (tcp_span if refs else tcp_segment)(link, buf, start, stop)
                if link in LINKS
                else NOT_TCP
            )
        if seg is not None:
            if type(seg) is int:
                if seg == UNREADABLE:
                    skipped += 1
                    if not snaplen or size < snaplen:
                        cut = order
                elif seg == FRAGMENT:
                    skipped += 1  # IP fragments are not reassembled
                continue
            if refs:
                src, sport, dst, dport, seq, flags, first, last, cut_short = seg  # type: ignore[misc]
            else:
                src, sport, dst, dport, seq, flags, payload, cut_short = seg  # type: ignore[misc]
        if cut_short:
            short += 1
            if not snaplen or size < snaplen:  # shorter than the snap length: not cut by it
                cut = order
        route = routes.get((src, sport, dst, dport))
        syn = flags & _SYN
        if route is not None and syn and not flags & _ACK and route[0].has_data:
            old = route[0]  # the address pair is reused by a new connection
            done.append(old)
            routes.pop((src, sport, dst, dport), None)
            routes.pop((dst, dport, src, sport), None)
            route = None
        if route is None:
            a, b = _endpoint(src, sport, names), _endpoint(dst, dport, names)
            conn = _Tcp(order, a, b)
            route = routes[(src, sport, dst, dport)] = (conn, conn.flow(a))
            routes[(dst, dport, src, sport)] = (conn, conn.flow(b))
        flow = route[1]
        if syn:
            flow.isn = (seq + 1) & 0xFFFFFFFF
        if flags & _FIN:
            flow.fin = True
        if flags & _RST:
            flow.rst = True
        if refs:
            if last > first:
                if flow.refs is None:
                    flow.refs = SegmentRefs()
                flow.refs.add(order, ts, seq, blocks.base + first, last - first)
        elif payload:
            flow.segments.append((order, ts, seq, payload))
    if cut >= 0 and cut == order:
        raise CaptureError(
            f"{name}: truncated: the file ends inside packet {order + 1} ({size} bytes of it)"
        )
    conns = {id(conn): conn for conn, _ in routes.values()}
    done.extend(conns.values())
    done.sort(key=lambda c: c.first)
    return done, skipped, short


def reassemble(flow: _Flow) -> TcpStream:
    """One direction's bytes in sequence order, as the receiving application read them."""
    segs = flow.segments
    out = TcpStream([])
    if not segs:
        return out
    base = flow.isn
    if base is None:
        first = segs[0][2]
        base = (first + min(seq_delta(s[2] - first) for s in segs)) & 0xFFFFFFFF
    expected = 0
    waiting: list[tuple[int, int, bytes]] = []  # heap of (relative seq, order, payload)
    chunks = out.chunks
    for order, t, seq, payload in segs:
        rel = ((seq - base) & 0xFFFFFFFF) ^ 0x80000000
        rel -= 0x80000000  # the signed 32-bit distance from the base
        end = rel + len(payload)
        if end <= expected:
            out.retransmitted += 1
            continue
        if rel > expected:
            out.out_of_order += 1
            heapq.heappush(waiting, (rel, order, payload))
            continue
        if not waiting:
            chunks.append((order, t, payload[expected - rel :] if rel < expected else payload))
            expected = end
            continue
        parts = [payload[expected - rel :] if rel < expected else payload]
        expected = end
        while waiting and waiting[0][0] <= expected:
            wrel, _, payload = heapq.heappop(waiting)
            if wrel + len(payload) > expected:
                parts.append(payload[expected - wrel :])
                expected = wrel + len(payload)
        chunks.append((order, t, b"".join(parts)))
    if waiting:
        lost = waiting[0][0] - expected
        after = sum(len(p) for _, _, p in waiting)
        out.gap = f"{lost} bytes at stream offset {expected} were not captured; {after} bytes after them are not decoded"
    return out


def _reassemble(flow: _Flow, source: FileSource | None) -> TcpStream:
    if flow.refs is not None and source is not None:
        from .pcaprefs import reassemble_ranges

        return reassemble_ranges(flow.refs, flow.isn, source)
    return reassemble(flow)


def _is_upgrade(head: bytes) -> bool:
    end = head.find(b"\r\n\r\n")
    return (
        head.startswith(b"GET ") and _UPGRADE.search(head[: end if end >= 0 else None]) is not None
    )


def _is_tls(head: bytes) -> bool:
    return len(head) >= 3 and head[0] == 0x16 and head[1] == 0x03


Notes = dict[str, list[str]]
Gaps = dict[str, list[tuple[str, str]]]


def _first_bytes(stream: TcpStream, size: int = 1 << 20) -> bytes:
    parts: list[bytes] = []
    have = 0
    for _, _, data in stream.chunks:
        if have >= size:
            break
        parts.append(data)
        have += len(data)
    return b"".join(parts)[:size]


def _skip(chunks: list[tuple[int, float, bytes]], n: int) -> list[tuple[int, float, bytes]]:
    """``chunks`` without their first ``n`` bytes."""
    if hasattr(chunks, "skip"):  # pcaprefs.RangeChunks
        return chunks.skip(n)  # type: ignore[no-any-return,unused-ignore]
    out = []
    for order, t, data in chunks:
        if n >= len(data):
            n -= len(data)
            continue
        out.append((order, t, data[n:]))
        n = 0
    return out


def _midstream(
    tcp: _Tcp, streams: dict[Endpoint, TcpStream], server_port: int | None
) -> tuple[Endpoint, list[str]] | None:
    """A conversation without its upgrade that carries WebSocket frames: its client, notes;
    the streams lose the bytes before their first frame (see capture.midstream)."""
    from .midstream import classify

    eps = (tcp.a, tcp.b)
    empty = TcpStream([])
    pair = (streams.get(eps[0], empty), streams.get(eps[1], empty))
    both_syn = all(tcp.flows.get(ep, _Flow()).isn is not None for ep in eps)
    decision = classify(
        (_first_bytes(pair[0]), _first_bytes(pair[1])),
        (eps[0][1], eps[1][1]),
        syn_sender=0 if both_syn else None,  # the connection's start was captured: a sent the SYN
        server_port=server_port,
    )
    if decision is None:
        return None
    for ep, stream, skip in zip(eps, pair, decision.offsets, strict=True):
        if ep in streams:
            streams[ep] = TcpStream(
                _skip(stream.chunks, skip), stream.retransmitted, stream.out_of_order, stream.gap
            )
    return eps[decision.client], decision.notes


def _tls(
    tcp: _Tcp, streams: dict[Endpoint, TcpStream], keylog: KeyLog
) -> tuple[Endpoint, dict[Endpoint, TcpStream], list[str]] | str:
    """The decrypted streams of a TLS conversation, its client and notes; else why not."""
    from .tls import decrypt, is_client_hello

    client = next((ep for ep, s in streams.items() if is_client_hello(s.head)), None)
    if client is None:
        return "a TLS conversation whose ClientHello was not captured cannot be decrypted"
    server = tcp.b if client == tcp.a else tcp.a
    empty = TcpStream([])
    out = decrypt(streams[client].chunks, streams.get(server, empty).chunks, keylog)
    if out.failure:
        return f"{_show(client)} -> {_show(server)}: {out.failure}"
    plain = {client: TcpStream(out.client), server: TcpStream(out.server)}
    for ep in (client, server):
        old = streams.get(ep, empty)
        plain[ep].retransmitted, plain[ep].out_of_order = old.retransmitted, old.out_of_order
        plain[ep].gap = old.gap
    return client, plain, out.notes


def read_pcap(
    fh: IO[bytes],
    name: str,
    *,
    server_port: int | None = None,
    keylog: KeyLog | None = None,
    source: FileSource | None = None,
) -> tuple[list[ConnectionInfo], Notes, Gaps, list[str]]:
    """The WebSocket conversations in a pcap/pcapng file.

    A TCP conversation without an upgrade is kept when its bytes hold WebSocket frames (a
    capture begun after the handshake, :mod:`wsdebug.capture.midstream`); ``server_port``
    says which side is the server there.

    Returns:
        (connections, notes per connection id, gaps per connection id as (direction, text),
        notes about the whole file).

    ``source`` (``fh``, a regular file read from its start; not with ``keylog``): the
    connections' chunks are :class:`~wsdebug.capture.filechunks.FileChunks`, positions in
    the file rather than bytes, wherever reassembly leaves a chunk one range of it.

    Raises:
        CaptureError: unreadable file, or no WebSocket conversation in it (TLS said as such).
    """
    if keylog is not None:
        source = None  # decrypted payloads are not in the file
    tcps, skipped, short = _read_packets(fh, name, refs=source is not None)
    infos: list[ConnectionInfo] = []
    notes: Notes = {}
    gaps: Gaps = {}
    tls = 0
    tls_failed: list[str] = []  # TLS conversations the key log did not open
    for tcp in tcps:
        streams = {ep: _reassemble(flow, source) for ep, flow in tcp.flows.items()}
        for flow in tcp.flows.values():
            flow.refs = None  # reassembled: the segments' positions are not needed any more
        client = next((ep for ep, s in streams.items() if _is_upgrade(s.head)), None)
        assumed: list[str] = []
        if client is None and keylog is not None and any(_is_tls(s.head) for s in streams.values()):
            decrypted = _tls(tcp, streams, keylog)
            if isinstance(decrypted, str):
                tls_failed.append(decrypted)
                continue
            tls_client, streams, assumed = decrypted
            if not _is_upgrade(streams[tls_client].head):
                tls_failed.append(
                    f"{_show(tls_client)}: decrypted, but no WebSocket upgrade inside the TLS"
                )
                continue
            client = tls_client
        if client is None:
            if any(_is_tls(s.head) for s in streams.values()):
                tls += 1
                continue
            found = _midstream(tcp, streams, server_port)
            if found is None:
                continue
            client, assumed = found
        server = tcp.b if client == tcp.a else tcp.a
        conn_id = str(len(infos) + 1)
        info = ConnectionInfo(conn_id, role="client", peer=_show(server), local=_show(client))
        merged: list[tuple[int, float, str, bytes]] = []
        lines: list[str] = list(assumed)
        for ep, direction in ((client, C2S), (server, S2C)):
            stream = streams.get(ep, TcpStream([]))
            if source is None:
                merged += [(order, t, direction, data) for order, t, data in stream.chunks]
            who = "client" if direction == C2S else "server"
            if stream.retransmitted or stream.out_of_order:
                lines.append(
                    f"TCP from the {who}: {stream.retransmitted} retransmitted segment(s) dropped, "
                    f"{stream.out_of_order} out-of-order segment(s) put back in sequence order"
                )
            if stream.gap:
                gaps.setdefault(conn_id, []).append(
                    (direction, f"TCP from the {who}: {stream.gap}")
                )
        if source is not None:
            from .pcaprefs import merge_ranges

            info.chunks = merge_ranges(  # type: ignore[assignment]  # a Sequence[Chunk]
                conn_id, source, streams.get(client), streams.get(server)
            )
        else:
            merged.sort(key=itemgetter(0))  # by packet number, stable (TLS records share one)
            info.chunks = [Chunk(t, conn_id, d, data) for _, t, d, data in merged]
        flows = [tcp.flows.get(client, _Flow()), tcp.flows.get(server, _Flow())]
        ends = [
            f"{who} sent {'RST' if f.rst else 'FIN'}"
            for who, f in zip(("client", "server"), flows, strict=True)
            if f.rst or f.fin
        ]
        info.end_reason = ", ".join(ends) or "capture ended with the TCP connection open"
        infos.append(info)
        notes[conn_id] = lines
    file_notes: list[str] = []
    if short:
        file_notes.append(
            f"{short} packets were cut short by the capture's snap length: frames may be incomplete"
        )
    if skipped:
        file_notes.append(
            f"{skipped} packets could not be parsed or were IP fragments, and were skipped"
        )
    if not infos:
        if tls_failed:
            more = f" (and {len(tls_failed) - 1} more)" if len(tls_failed) > 1 else ""
            raise CaptureError(f"{name}: no readable WebSocket: {tls_failed[0]}{more}")
        if tls:
            raise CaptureError(
                f"{name}: no readable WebSocket: {tls} TCP conversation{'s' if tls != 1 else ''} "
                "use TLS (wss:// or https://), which wsdebug cannot decrypt without the key log "
                "its client wrote (--keylog FILE or SSLKEYLOGFILE); or capture ws:// traffic"
            )
        raise CaptureError(
            f"{name}: no WebSocket upgrade (GET with Upgrade: websocket) in "
            f"{len(tcps)} TCP conversation{'s' if len(tcps) != 1 else ''}"
        )
    if tls:
        file_notes.append(
            f"{tls} TLS-encrypted TCP conversations skipped (no key log: --keylog FILE)"
        )
    file_notes.extend(f"not decrypted: {why}" for why in tls_failed)
    return infos, notes, gaps, file_notes
