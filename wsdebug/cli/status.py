"""Exit statuses shared by every command, and the one-line error they are reported with."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    OK = 0  #: everything valid; a live session ended with a clean close
    PROBLEMS = 1  #: protocol problems found; handshake refused; connection failed
    BAD_INPUT = 2  #: unreadable input or a usage error
    INTERRUPTED = 130  #: Ctrl-C
    BROKEN_PIPE = 141  #: the reader of standard output went away (``| head``): 128 + SIGPIPE


class UserError(Exception):
    """A known failure: printed as one line on stderr, with an exit status, never a traceback."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.BAD_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
