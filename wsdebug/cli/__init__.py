"""The command line: one thin typer function per command, one module per command group.

``app`` is the typer application (:mod:`.app`).  The commands' modules register themselves
on it: ``explain`` (:mod:`.teach`), ``decode``/``encode``/``handshake`` (:mod:`.offline`),
``connect``/``listen``/``demo`` (:mod:`.live`), ``replay`` (:mod:`.replay`), ``sniff``,
``proxy`` and ``test`` (:mod:`.conformance`).  None of them is imported here: the app's group
imports a command's module when that command runs (:data:`.app.COMMANDS`), so a command starts
with only what it uses.  Exit statuses and the one-line error are in :mod:`.status`.
"""

from __future__ import annotations

from .app import app, main

__all__ = ["app", "main"]
