"""Terminal output that never makes the event loop wait: text is queued, a thread writes it.

A terminal (or a pipe, or a file on a slow disk) may take its time reading what is drawn; a
``write()`` to it then blocks.  Drawn on the event loop, that would stall every socket and the
recording with it.  :class:`BehindWriter` is the console's file instead: ``write()`` encodes
the text and queues it, a daemon thread writes the queue to the descriptor with ``os.write``
(which lets go of the GIL), and :attr:`BehindWriter.pending` tells the live view how far the
terminal is behind, so that it skips a drawing round (and summarises the frames it did not
draw) rather than queueing more.  Nothing written is dropped; :meth:`close` waits until the
terminal has taken it all.
"""

from __future__ import annotations

import collections
import os
import threading
from typing import IO


class BehindWriter:
    """A file-like for rich's Console, in front of ``stream``'s descriptor."""

    def __init__(self, stream: IO[str]) -> None:
        stream.flush()
        self._stream = stream
        self._fd = stream.fileno()  # raises for a stream without one (a StringIO)
        self._tty = stream.isatty()  #: asked once: rich asks before every print
        self.encoding: str = getattr(stream, "encoding", None) or "utf-8"
        self.errors: str = getattr(stream, "errors", None) or "strict"
        self._chunks: collections.deque[bytes] = collections.deque()
        self._cond = threading.Condition()
        self._closing = False
        self.pending = 0  #: bytes written to this object that the descriptor has not taken yet
        self.error: OSError | None = None  #: the write error that stopped the output (EPIPE)
        self._thread = threading.Thread(target=self._run, name="wsdebug-display", daemon=True)
        self._thread.start()

    # -- the file interface rich uses ---------------------------------------------------------

    def write(self, text: str) -> int:
        data = text.encode(self.encoding, self.errors)
        with self._cond:
            if self.error is None and data:
                self._chunks.append(data)
                self.pending += len(data)
                self._cond.notify_all()
        return len(text)

    def flush(self) -> None:
        """Nothing to do: the thread writes as fast as the descriptor takes it."""

    def isatty(self) -> bool:
        return self._tty

    def fileno(self) -> int:
        return self._fd

    # -- the writer -----------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._chunks and not self._closing:
                    self._cond.wait()
                if not self._chunks:
                    return
                data = b"".join(self._chunks)
                self._chunks.clear()
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError as exc:
                with self._cond:
                    self.error = exc  # the reader went away: the session goes on without output
                    self._chunks.clear()
                    self.pending = 0
                    self._cond.notify_all()
                return
            with self._cond:
                self.pending -= len(data)
                self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until everything written so far is out (at most ``timeout`` seconds)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self.pending == 0 or not self._thread.is_alive(), timeout
            )

    def close(self, timeout: float | None = None) -> None:
        """Write what is queued, then stop the thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
