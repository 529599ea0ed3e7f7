"""Write a recorded conversation as a pcap file of TCP segments (for samples and tests).

Each connection becomes a TCP connection with a proper three-way handshake, its chunks cut
into segments of at most ``mss`` bytes with correct sequence numbers, and FIN segments at the
end.  To exercise the importer's reassembly, ``reorder`` swaps data segment *n* with the one
after it (out of order on the wire) and ``retransmit`` sends data segment *n* once more after
the segment that follows it; packet times stay increasing either way.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import IO

import dpkt

from wsdebug.capture.format import C2S, S2C, ConnectionInfo

_MAC_C, _MAC_S = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"
_DEFAULTS = (("10.0.0.1", 50000), ("10.0.0.2", 80))


def _endpoint(text: str | None, default: tuple[str, int]) -> tuple[str, int]:
    if not text:
        return default
    host, _, port = text.rpartition(":")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host.strip("[]"), int(port)
    except ValueError:
        return default


def _packet(
    src: tuple[str, int],
    dst: tuple[str, int],
    seq: int,
    ack: int,
    flags: int,
    data: bytes,
    linktype: int,
    from_client: bool,
) -> bytes:
    tcp = dpkt.tcp.TCP(
        sport=src[1],
        dport=dst[1],
        seq=seq & 0xFFFFFFFF,
        ack=ack & 0xFFFFFFFF,
        flags=flags,
        win=65535,
        data=data,
    )
    ip: dpkt.Packet
    if ":" in src[0]:
        ip = dpkt.ip6.IP6(
            src=socket.inet_pton(socket.AF_INET6, src[0]),
            dst=socket.inet_pton(socket.AF_INET6, dst[0]),
            nxt=dpkt.ip.IP_PROTO_TCP,
            hlim=64,
            plen=len(tcp),
            data=tcp,
        )
        tcp.sum = 0
        tcp.sum = dpkt.in_cksum(
            ip.src + ip.dst + len(tcp).to_bytes(4, "big") + b"\x00\x00\x00\x06" + bytes(tcp)
        )
        ethertype = dpkt.ethernet.ETH_TYPE_IP6
    else:
        ip = dpkt.ip.IP(
            src=socket.inet_aton(src[0]),
            dst=socket.inet_aton(dst[0]),
            p=dpkt.ip.IP_PROTO_TCP,
            ttl=64,
            data=tcp,
        )
        ethertype = dpkt.ethernet.ETH_TYPE_IP
    if linktype == dpkt.pcap.DLT_EN10MB:
        macs = (_MAC_C, _MAC_S) if from_client else (_MAC_S, _MAC_C)
        return bytes(dpkt.ethernet.Ethernet(src=macs[0], dst=macs[1], type=ethertype, data=ip))
    return bytes(ip)  # LINKTYPE_RAW


def write_pcap(
    fh: IO[bytes],
    conns: Iterable[ConnectionInfo],
    *,
    mss: int = 1460,
    reorder: Iterable[int] = (),
    retransmit: Iterable[int] = (),
    linktype: int = dpkt.pcap.DLT_EN10MB,
    isn: tuple[int, int] = (1000, 5000),
) -> int:
    """Write ``conns`` to ``fh``; returns the number of packets written.

    Args:
        reorder / retransmit: numbers (from 0, over all data segments in order) of the data
            segments to swap with the next segment in the same direction / to send again
            after that next segment.
        linktype: ``dpkt.pcap.DLT_EN10MB`` (Ethernet) or 101 (raw IP).
        isn: the client's and the server's first data sequence numbers (wrap modulo 2**32).
    """
    packets: list[tuple[float, bytes]] = []
    data_positions: list[int] = []  # packet index of every data segment
    directions: list[str] = []
    for info in conns:
        client = _endpoint(info.local if info.role != "server" else info.peer, _DEFAULTS[0])
        server = _endpoint(info.peer if info.role != "server" else info.local, _DEFAULTS[1])
        seq = {C2S: isn[0], S2C: isn[1]}
        t0 = info.chunks[0].t - 0.003 if info.chunks else 0.0
        peers = {C2S: (client, server), S2C: (server, client)}
        syn, ack = dpkt.tcp.TH_SYN, dpkt.tcp.TH_ACK
        packets.append((t0, _packet(client, server, seq[C2S] - 1, 0, syn, b"", linktype, True)))
        packets.append(
            (
                t0 + 0.001,
                _packet(server, client, seq[S2C] - 1, seq[C2S], syn | ack, b"", linktype, False),
            )
        )
        packets.append(
            (t0 + 0.002, _packet(client, server, seq[C2S], seq[S2C], ack, b"", linktype, True))
        )
        t = t0 + 0.002
        for chunk in info.chunks:
            src, dst = peers[chunk.dir]
            back = S2C if chunk.dir == C2S else C2S
            for i in range(0, len(chunk.data), mss):
                part = chunk.data[i : i + mss]
                t = max(chunk.t, t)
                data_positions.append(len(packets))
                directions.append(chunk.dir)
                flags = dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH
                packets.append(
                    (
                        t,
                        _packet(
                            src,
                            dst,
                            seq[chunk.dir],
                            seq[back],
                            flags,
                            part,
                            linktype,
                            chunk.dir == C2S,
                        ),
                    )
                )
                seq[chunk.dir] += len(part)
        fin = dpkt.tcp.TH_FIN | dpkt.tcp.TH_ACK
        packets.append(
            (t + 0.001, _packet(client, server, seq[C2S], seq[S2C], fin, b"", linktype, True))
        )
        packets.append(
            (t + 0.002, _packet(server, client, seq[S2C], seq[C2S] + 1, fin, b"", linktype, False))
        )
    frames = [p for _, p in packets]
    times = [t for t, _ in packets]

    def successor(n: int) -> int:
        """Packet index of the next data segment in the same direction (or of segment n)."""
        later = [
            p
            for p, d in zip(data_positions[n + 1 :], directions[n + 1 :], strict=False)
            if d == directions[n]
        ]
        return later[0] if later else data_positions[n]

    for n in sorted(set(reorder)):
        a, b = data_positions[n], successor(n)
        frames[a], frames[b] = frames[b], frames[a]
    for n in sorted(set(retransmit), reverse=True):
        copy, after = frames[data_positions[n]], successor(n) + 1
        frames.insert(after, copy)
        times.insert(after, times[after - 1])
    writer = dpkt.pcap.Writer(fh, linktype=linktype, snaplen=65535)
    for ts, frame in zip(times, frames, strict=False):
        writer.writepkt(frame, ts=ts)
    return len(frames)
