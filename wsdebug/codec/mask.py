"""RFC 6455 §5.3 client-to-server masking: ``masked[i] = plain[i] XOR key[(phase + i) % 4]``.

Two implementations, one result:

* ``wsdebug.codec._speedups`` (C, built at install time when a compiler is there) XORs a word
  at a time and writes straight into the result: several GB/s, peak memory = the output.
* Without it, the payload and the repeated key are read as two big integers and XORed in one
  operation, which CPython performs digit by digit in C — no per-byte Python loop.  Large
  payloads go through in chunks so the temporaries stay small.

:data:`HAVE_C` says which one is in use; ``WSDEBUG_PURE_PYTHON=1`` forces the fallback.
"""

from __future__ import annotations

import os
from collections.abc import Callable

_CHUNK = 1 << 18  # 256 KiB: a multiple of 4, so every chunk starts at the same key phase


def _unmask_py(data: bytes | bytearray | memoryview, key: bytes, phase: int = 0) -> bytes:
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


#: The C routine: (data, key, phase=0) -> unmasked bytes.
CUnmask = Callable[..., bytes]

c_unmask: CUnmask | None
try:
    if os.environ.get("WSDEBUG_PURE_PYTHON"):  # to measure or test the fallback
        raise ImportError("WSDEBUG_PURE_PYTHON is set")
    from ._speedups import unmask as _c  # type: ignore[import-not-found]  # built, no stub

    c_unmask = _c
except ImportError:  # no compiler at install time: the pure-Python path is exact, only slower
    c_unmask = None

HAVE_C = c_unmask is not None


def unmask(data: bytes | bytearray | memoryview, key: bytes, phase: int = 0) -> bytes:
    """XOR ``data`` with the 4-byte ``key`` starting at key byte ``phase``; return bytes.

    Masking and unmasking are the same operation.  ``phase`` lets a payload that arrives in
    pieces be unmasked piece by piece: the next piece starts at ``(phase + len(piece)) % 4``.
    """
    if c_unmask is not None:
        return c_unmask(data, key, phase % 4)
    return _unmask_py(data, key, phase)
