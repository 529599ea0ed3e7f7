"""pcap and pcapng records, and the IP/TCP headers inside them, read with :mod:`struct`.

Theory of operation
-------------------
:func:`records` reads the file a block (1 MiB) at a time and walks the records inside the
block by offset: nothing is copied per packet but the TCP payload, and no object is built per
layer.  Each record comes out as ``(ts, linktype, buf, start, stop)``: the block ``buf`` holds
the packet's captured bytes at ``buf[start:stop]``.  pcap (micro- and nanosecond, either byte
order) and pcapng (section headers in either byte order, several interfaces each with its own
link type and time resolution; enhanced, simple and obsolete packet blocks) are read.

:func:`tcp_segment` finds the TCP segment in one record: Ethernet (with 802.1Q/802.1ad tags),
Linux cooked v1/v2, raw IP and BSD loopback links; IPv4 and IPv6 (hop-by-hop, routing,
destination-options and AH extension headers skipped).  Its answer is a tuple, or an int
saying why there is none.

Every loop makes progress: a record's length is checked before it is used, and a length
that cannot be true is a :class:`~wsdebug.capture.format.CaptureError`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import IO, Any

from .format import CaptureError

PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_BLOCK = 1 << 20
_MAX_RECORD = 256 << 20  #: a record claiming more than this is corrupt, not a packet
RAW_LINKS = frozenset({12, 14, 101, 228, 229})  # DLT_RAW on the various platforms, IPV4/IPV6
NULL_LINKS = frozenset({0, 108})  # DLT_NULL, DLT_LOOP: 4-byte address family, then IP
ETHERNET, SLL, SLL2 = 1, 113, 276
LINKS = RAW_LINKS | NULL_LINKS | {ETHERNET, SLL, SLL2}
LINK_NAMES = "Ethernet, Linux cooked (SLL, SLL2), raw IPv4/IPv6 and BSD loopback"

Record = tuple[float, int, bytes, int, int]  #: (ts, linktype, buf, start, stop)

#: tcp_segment's answers when the record holds no usable TCP segment
NOT_TCP, UNREADABLE, FRAGMENT = 0, 1, 2
#: (src address, sport, dst address, dport, seq, flags, payload, short): one TCP segment
Segment = tuple[bytes, int, bytes, int, int, int, bytes, bool]


class _Blocks:
    """A file read in blocks; ``need(n)`` makes ``n`` bytes from ``pos`` available."""

    def __init__(self, fh: IO[bytes], head: bytes = b"", base: int = 0) -> None:
        self.fh, self.buf, self.pos, self.eof = fh, head, 0, False
        self.base = base  #: the file offset of ``buf[0]`` (for a file read from its start)

    def need(self, n: int) -> bool:
        """Whether ``n`` bytes from ``pos`` are in ``buf`` (reading more when needed)."""
        while len(self.buf) - self.pos < n and not self.eof:
            more = self.fh.read(max(_BLOCK, n - (len(self.buf) - self.pos)))
            if not more:
                self.eof = True
                break
            self.buf = self.buf[self.pos :] + more
            self.base += self.pos
            self.pos = 0
        return len(self.buf) - self.pos >= n

    @property
    def left(self) -> int:
        return len(self.buf) - self.pos


def _corrupt(name: str, order: int, why: str) -> CaptureError:
    return CaptureError(f"{name}: corrupt or truncated after packet {order} ({why})")


def records(fh: IO[bytes], name: str) -> tuple[int, int, Iterator[Record]]:
    """(first link type, snap length, the records) of a pcap or pcapng file.

    Raises:
        CaptureError: an unreadable file header (at once), a corrupt record (while iterating).
    """
    linktype, snaplen, it, _ = records_at(fh, name)
    return linktype, snaplen, it


def records_at(fh: IO[bytes], name: str) -> tuple[int, int, Iterator[Record], _Blocks]:
    """:func:`records`, and the block reader: while a record is being looked at, its ``buf``
    starts at file offset ``blocks.base`` (``fh`` read from its start)."""
    head = fh.read(24)
    if head[:4] == PCAPNG_MAGIC:
        return _pcapng(fh, head, name)
    if len(head) < 24:
        raise CaptureError(f"{name}: unreadable pcap header (file too short)")
    magic = head[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise CaptureError(f"{name}: unreadable pcap header (invalid tcpdump header)")
    divisor = 1e9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e6
    snaplen, linktype = struct.unpack_from(end + "II", head, 16)
    linktype &= 0x0FFFFFFF  # the top bits may carry an FCS length
    blocks = _Blocks(fh, b"", 24)
    return linktype, snaplen, _pcap_records(blocks, end, divisor, linktype, name), blocks


def _pcap_records(
    src: _Blocks, end: str, divisor: float, linktype: int, name: str
) -> Iterator[Record]:
    hdr = struct.Struct(end + "IIII")
    unpack = hdr.unpack_from
    order = 0
    while True:
        buf, pos = src.buf, src.pos
        left = len(buf) - pos
        # the records wholly inside the block, without a call per record
        while left >= 16:
            sec, frac, caplen, _ = unpack(buf, pos)
            if 16 + caplen > left:
                break
            start = pos + 16
            pos = start + caplen
            left -= 16 + caplen
            order += 1
            yield sec + frac / divisor, linktype, buf, start, pos
        src.pos = pos
        if not src.need(16):
            if src.left:
                raise _corrupt(name, order + 1, "a cut record header")
            return
        sec, frac, caplen, _ = unpack(src.buf, src.pos)
        if caplen > _MAX_RECORD:
            raise _corrupt(name, order + 1, f"a record of {caplen} bytes")
        if not src.need(16 + caplen):  # the file ends inside this packet: what is there stands
            start = src.pos + 16
            order += 1
            yield sec + frac / divisor, linktype, src.buf, start, len(src.buf)
            return


_SHB, _IDB, _PB, _SPB, _EPB = 0x0A0D0D0A, 1, 2, 3, 6


def _tsresol(body: bytes, end: str) -> float:
    """An interface's time unit from its ``if_tsresol`` option (default microseconds)."""
    pos = 8
    while pos + 4 <= len(body):
        code, size = struct.unpack_from(end + "HH", body, pos)
        if code == 0:
            break
        if code == 9 and size >= 1 and pos + 5 <= len(body):
            value = body[pos + 4]
            base = 2 if value & 0x80 else 10
            return float(base ** (value & 0x7F)) or 1e6
        pos += 4 + ((size + 3) & ~3)
    return 1e6


def _pcapng(fh: IO[bytes], head: bytes, name: str) -> tuple[int, int, Iterator[Record], _Blocks]:
    src = _Blocks(fh, head)
    first = _shb_order(src, name)
    if first is None:
        raise CaptureError(f"{name}: unreadable pcap header (invalid pcapng section header)")
    end = first
    ifaces: list[tuple[int, float, int]] = []  # (linktype, units per second, snaplen)
    # the first interface gives the file's link type: read ahead to it
    probe = _peek_interface(src, end)
    link0, snap0 = probe if probe is not None else (ETHERNET, 0)

    def each() -> Iterator[Record]:
        nonlocal end
        order = 0
        while True:
            if not src.need(12):
                if src.left:
                    raise _corrupt(name, order, "a cut block header")
                return
            btype, blen = struct.unpack_from(end + "II", src.buf, src.pos)
            if btype == _SHB:
                new = _shb_order(src, name)
                if new is None:
                    raise _corrupt(name, order, "an invalid section header")
                end = new
                btype, blen = struct.unpack_from(end + "II", src.buf, src.pos)
                ifaces.clear()
            if blen < 12 or blen % 4 or blen > _MAX_RECORD:
                raise _corrupt(name, order, f"a block of {blen} bytes")
            cut = not src.need(blen)
            buf, pos = src.buf, src.pos
            stop = min(pos + blen - 4, len(buf))
            src.pos = min(pos + blen, len(buf))
            if btype == _IDB and stop - pos >= 16:
                linktype, _, snaplen = struct.unpack_from(end + "HHI", buf, pos + 8)
                ifaces.append((linktype, _tsresol(buf[pos + 8 : stop], end), snaplen))
            elif btype in (_EPB, _PB) and stop - pos >= 28:
                if btype == _EPB:
                    iface, hi, lo, caplen = struct.unpack_from(end + "IIII", buf, pos + 8)
                else:
                    iface, _, hi, lo, caplen = struct.unpack_from(end + "HHIII", buf, pos + 8)
                if iface >= len(ifaces):
                    raise _corrupt(name, order, f"a packet on undeclared interface {iface}")
                linktype, units, _ = ifaces[iface]
                order += 1
                start = pos + 28
                yield ((hi << 32) | lo) / units, linktype, buf, start, min(start + caplen, stop)
            elif btype == _SPB and stop - pos >= 12:
                if not ifaces:
                    raise _corrupt(name, order, "a packet before any interface")
                (origlen,) = struct.unpack_from(end + "I", buf, pos + 8)
                order += 1
                start = pos + 12
                yield 0.0, ifaces[0][0], buf, start, min(start + origlen, stop)
            if cut:
                return

    return link0, snap0, each(), src


def _shb_order(src: _Blocks, name: str) -> str | None:
    """The byte order of the section header at ``src.pos``; None when it is not one."""
    if not src.need(12):
        return None
    magic = src.buf[src.pos + 8 : src.pos + 12]
    if magic == b"\x4d\x3c\x2b\x1a":
        return "<"
    if magic == b"\x1a\x2b\x3c\x4d":
        return ">"
    return None


def _peek_interface(src: _Blocks, end: str) -> tuple[int, int] | None:
    """The link type and snap length of the section's first interface, if the first blocks
    hold one (nothing is consumed)."""
    pos = src.pos
    for _ in range(8):
        if not src.need(pos - src.pos + 12):
            return None
        btype, blen = struct.unpack_from(end + "II", src.buf, pos)
        if blen < 12 or blen > _MAX_RECORD:
            return None
        if btype == _IDB:
            if not src.need(pos - src.pos + 16):
                return None
            linktype, _, snaplen = struct.unpack_from(end + "HHI", src.buf, pos + 8)
            return linktype, snaplen
        pos += blen
    return None


_U16 = struct.Struct("!H").unpack_from
_IP4 = struct.Struct("!BxHxxHxB").unpack_from  # ver/ihl, total length, flags/offset, protocol
_IP6 = struct.Struct("!HB").unpack_from  # payload length, next header (at offset 4)
_TCP = struct.Struct("!HHIxxxxBB").unpack_from  # ports, seq, data offset, flags
_EXT6 = frozenset({0, 43, 60, 51})


#: Ethernet, IPv4 without options, TCP: the common packet, read with one unpack (kind, ver/ihl,
#: total length, flags/offset, protocol, addresses, ports, seq, data offset, flags)
ETH_IP4_TCP = struct.Struct("!12xHBxHxxHxBxx4s4sHHIxxxxBB")


def tcp_segment(linktype: int, buf: bytes, pos: int, stop: int) -> Segment | int:
    """The TCP segment in the packet at ``buf[pos:stop]``; else NOT_TCP, UNREADABLE (a header
    cut short or impossible) or FRAGMENT (an IP fragment: not reassembled)."""
    seg = tcp_span(linktype, buf, pos, stop)
    if type(seg) is int:
        return seg
    src, sport, dst, dport, seq, flags, first, last, short = seg  # type: ignore[misc]
    return src, sport, dst, dport, seq, flags, buf[first:last], short


#: tcp_segment's tuple with, instead of the payload, where it is: buf[first:last]
Span = tuple[bytes, int, bytes, int, int, int, int, int, bool]


def tcp_span(linktype: int, buf: bytes, pos: int, stop: int) -> Span | int:
    """:func:`tcp_segment`, the payload given as its position in ``buf`` (not copied)."""
    try:
        if linktype == ETHERNET:
            kind = _U16(buf, pos + 12)[0]
            pos += 14
            while kind in (0x8100, 0x88A8, 0x9100):
                kind = _U16(buf, pos + 2)[0]
                pos += 4
            if kind not in (0x0800, 0x86DD):
                return NOT_TCP
        elif linktype == SLL:
            kind = _U16(buf, pos + 14)[0]
            pos += 16
            if kind not in (0x0800, 0x86DD):
                return NOT_TCP
        elif linktype == SLL2:
            kind = _U16(buf, pos)[0]
            pos += 20
            if kind not in (0x0800, 0x86DD):
                return NOT_TCP
        elif linktype in NULL_LINKS:
            pos += 4
        if pos >= stop:
            return UNREADABLE if linktype in (ETHERNET, SLL, SLL2) else NOT_TCP
        version = buf[pos] >> 4
        if version == 4:
            vihl, total, frag, proto = _IP4(buf, pos)
            ihl = (vihl & 0x0F) * 4
            if ihl < 20 or pos + 20 > stop:
                return UNREADABLE
            if proto != 6:
                return NOT_TCP
            if frag & 0x3FFF:
                return FRAGMENT
            src, dst = buf[pos + 12 : pos + 16], buf[pos + 16 : pos + 20]
            end = pos + total
            pos += ihl
        elif version == 6:
            if pos + 40 > stop:
                return UNREADABLE
            plen, proto = _IP6(buf, pos + 4)
            src, dst = buf[pos + 8 : pos + 24], buf[pos + 24 : pos + 40]
            end = pos + 40 + plen if plen else stop
            pos += 40
            while proto in _EXT6:
                size = (buf[pos + 1] + 2) * 4 if proto == 51 else (buf[pos + 1] + 1) * 8
                proto = buf[pos]
                pos += size
            if proto == 44:
                return FRAGMENT
            if proto != 6:
                return NOT_TCP
        else:
            return NOT_TCP if linktype in RAW_LINKS | NULL_LINKS else UNREADABLE
        if pos + 20 > stop:
            return UNREADABLE
        sport, dport, seq, off, flags = _TCP(buf, pos)
        off = (off >> 4) * 4
        if off < 20:
            return UNREADABLE
        short = end > stop
        first = pos + off
        return src, sport, dst, dport, seq, flags, first, max(first, min(end, stop)), short
    except (struct.error, IndexError):
        return UNREADABLE


def ip_layer(linktype: int, buf: bytes) -> Any:
    """The IPv4/IPv6 packet in a link-layer frame as dpkt objects (for ``capture.follow``);
    None when it carries something else.

    Raises:
        ValueError: the frame says it carries IP but dpkt cannot read it (e.g. cut short).
    """
    import dpkt  # not at import: only capture.follow reads packets with it

    if linktype in (dpkt.pcap.DLT_EN10MB, dpkt.pcap.DLT_LINUX_SLL, 276):
        cls = {
            dpkt.pcap.DLT_EN10MB: dpkt.ethernet.Ethernet,
            dpkt.pcap.DLT_LINUX_SLL: dpkt.sll.SLL,
        }.get(linktype, dpkt.sll2.SLL2)
        link = cls(buf)
        kind = (
            getattr(link, "type", None)
            if cls is dpkt.ethernet.Ethernet
            else getattr(link, "ethtype", None)
        )
        if isinstance(link.data, (dpkt.ip.IP, dpkt.ip6.IP6)):
            return link.data
        if kind in (dpkt.ethernet.ETH_TYPE_IP, dpkt.ethernet.ETH_TYPE_IP6):
            raise ValueError("unreadable IP packet")
        return None
    if linktype in NULL_LINKS:
        buf = buf[4:]
    if buf and buf[0] >> 4 == 4:
        return dpkt.ip.IP(buf)
    if buf and buf[0] >> 4 == 6:
        return dpkt.ip6.IP6(buf)
    return None
