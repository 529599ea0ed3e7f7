"""The command line: one thin typer function per command, one module per command group.

``app`` is the typer application (:mod:`.app`); importing this package registers every
command: ``decode``/``encode``/``handshake`` (:mod:`.offline`), ``connect``/``listen``/``demo``
(:mod:`.live`), ``replay`` (:mod:`.replay`) and ``test`` (conformance).  Exit statuses and the
one-line error are in :mod:`.status`.
"""

from __future__ import annotations

# isort: off
from .app import app, main

# Each module registers its commands on ``app``, in the order --help lists them.
from . import offline  # noqa: F401
from . import live  # noqa: F401
from . import replay  # noqa: F401
from . import sniff  # noqa: F401 - `sniff`, live capture through tcpdump
from . import proxy  # noqa: F401
from . import teach  # noqa: F401
from . import conformance  # noqa: F401 - `test`, the conformance tester

# isort: on

__all__ = ["app", "main"]
