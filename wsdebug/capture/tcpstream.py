"""One direction of a TCP connection as the receiving application read it, and sequence
arithmetic: shared by the pcap readers (capture.pcap, pcaprefs, pcapstream) and the
growing-capture follower (capture.follow)."""

from __future__ import annotations

from dataclasses import dataclass

from ..codec.handshake import MAX_HANDSHAKE_SIZE


def seq_delta(delta: int) -> int:
    """A difference of two TCP sequence numbers, modulo 2**32, as a signed number."""
    delta &= 0xFFFFFFFF
    return delta - (1 << 32) if delta >= 1 << 31 else delta


@dataclass
class TcpStream:
    """One direction of a TCP connection, reassembled: its chunks in sequence order and what
    reassembly met on the way (retransmissions, segments put back in order, a gap)."""

    chunks: list[tuple[int, float, bytes]]  # (order, t, data)
    retransmitted: int = 0
    out_of_order: int = 0
    gap: str | None = None

    @property
    def head(self) -> bytes:
        """The stream's first bytes: up to the end of the HTTP head (or 16 KiB), however many
        segments it came in (a client may write its handshake a line, or a byte, at a time)."""
        parts: list[bytes] = []
        size, tail = 0, b""
        for _, _, data in self.chunks:
            parts.append(data)
            size += len(data)
            if size >= MAX_HANDSHAKE_SIZE or b"\r\n\r\n" in tail + data[:3] or b"\r\n\r\n" in data:
                break
            tail = (tail + data)[-3:]
        return b"".join(parts)[:MAX_HANDSHAKE_SIZE]
