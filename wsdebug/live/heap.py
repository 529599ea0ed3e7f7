"""The heap of a long-running live process: large buffers reused, freed memory handed back.

glibc's malloc serves a buffer above its mmap threshold (128 KiB at first) with a fresh
mapping, and gives the top of the heap back to the system once more than twice that is free.
An echo of 1 MiB messages allocates and frees a few megabyte buffers per message, so either
way each one came in fresh pages: a page fault per 4 KiB, which cost more than the copies
themselves (the codec's 1 MiB echo took 1.0 ms; 0.45 ms with the settings below).
:func:`keep_large_buffers` raises both thresholds, so freed buffers are reused from the heap;
:class:`HeapKeeper` then hands freed memory back from time to time (``malloc_trim``), which
glibc would otherwise not do by itself.  Without glibc both do nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import Any

#: glibc's mallopt parameters
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: buffers up to this size come from the heap, reused, not mapped afresh each time
MMAP_THRESHOLD = 32 << 20
#: free bytes at the heap's top that free() leaves in place (HeapKeeper trims the rest)
TRIM_THRESHOLD = 64 << 20
#: free heap bytes, grown since the last trim, worth a malloc_trim
TRIM_GROWTH = 16 << 20


def _libc() -> Any:
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None)
    return None


def keep_large_buffers() -> bool:
    """Large buffers from the heap, freed ones kept for reuse; True when glibc agreed."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]  # fmt: skip


class HeapKeeper:
    """Hands freed heap memory back to the system, which glibc's malloc does not do by itself.

    Large buffers live in the heap (:func:`keep_large_buffers`, called here), and freed heap
    memory stays in the process (ten peers that each left a 15 MiB message behind kept a
    listener at ten times its idle size).  ``check()`` calls
    ``malloc_trim`` when the heap's free bytes grew by TRIM_GROWTH since the last trim; it
    runs every TRIM_EVERY seconds and soon after a connection ends.  Elsewhere: nothing to do.
    """

    def __init__(self) -> None:
        self._trim: Any = None
        self._info: Any = None
        keep_large_buffers()
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None)
            self._trim = libc.malloc_trim
            with contextlib.suppress(AttributeError):
                self._info = libc.mallinfo2  # glibc 2.33 and later
                self._info.restype = _MallInfo2
        self._floor = 0  #: the heap's free bytes just after the last trim (or since, lowest)
        self._ended = False

    @property
    def works(self) -> bool:
        return self._trim is not None

    def _free(self) -> int:
        return int(self._info().fordblks) if self._info is not None else 0

    def connection_ended(self) -> None:
        self._ended = True

    def check(self) -> None:
        if self._trim is None:
            return
        if self._info is None:  # no way to look: trim after connections end
            if self._ended:
                self._ended = False
                self._trim(0)
            return
        self._ended = False
        free = self._free()
        if free - self._floor >= TRIM_GROWTH:
            self._trim(0)
            self._floor = self._free()
        else:
            self._floor = min(self._floor, free)
