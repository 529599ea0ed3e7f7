"""RFC 6455 §5.3 client-to-server masking, at C speed without a C extension.

``masked[i] = plain[i] XOR key[(phase + i) % 4]``.  A per-byte Python loop runs at a few MB/s;
instead the payload and the repeated key are read as two big integers and XORed in one
operation, which CPython performs word by word in C.  Large payloads go through in chunks so
the temporaries stay small (peak memory is the output plus one chunk).
"""

from __future__ import annotations

_CHUNK = 1 << 18  # 256 KiB: a multiple of 4, so every chunk starts at the same key phase


def unmask(data: bytes | bytearray | memoryview, key: bytes, phase: int = 0) -> bytes:
    """XOR ``data`` with the 4-byte ``key`` starting at key byte ``phase``; return bytes.

    Masking and unmasking are the same operation.  ``phase`` lets a payload that arrives in
    pieces be unmasked piece by piece: the next piece starts at ``(phase + len(piece)) % 4``.
    """
    n = len(data)
    if n == 0:
        return b""
    if phase:
        phase %= 4
        key = key[phase:] + key[:phase]
    if n <= _CHUNK:
        k = (key * ((n >> 2) + 1))[:n]
        return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")
    out = bytearray(n)
    view = memoryview(data)
    kfull = int.from_bytes(key * (_CHUNK >> 2), "little")
    end = n - n % _CHUNK
    for i in range(0, end, _CHUNK):
        out[i : i + _CHUNK] = (int.from_bytes(view[i : i + _CHUNK], "little") ^ kfull).to_bytes(
            _CHUNK, "little"
        )
    if end < n:
        rest = n - end
        k = (key * ((rest >> 2) + 1))[:rest]
        out[end:] = (int.from_bytes(view[end:], "little") ^ int.from_bytes(k, "little")).to_bytes(
            rest, "little"
        )
    return bytes(out)
