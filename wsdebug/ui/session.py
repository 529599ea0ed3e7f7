"""The interactive prompt for ``connect`` and ``listen`` (prompt-toolkit).

Frames are drawn by the rich reporter above the input line: ``patch_stdout(raw=True)`` keeps
what the person is typing intact and lets our own colours through.  Payload text never reaches
the terminal raw: every view goes through :mod:`wsdebug.ui.safe` first, which is the only guard
(raw mode does not strip escape sequences).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from ..codec.spec import Direction
from .commands import COMMANDS, HELP, Command, CommandError, parse_command
from .live_view import RichReporter
from .safe import inert
from .views import as_detail

if TYPE_CHECKING:
    from prompt_toolkit.input import Input

    from ..live.endpoint import LiveConnection
    from ..live.listener import Listener


def history_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "wsdebug" / "history"


#: A peer's last words that ask for a secret ("Password:", "Enter token?") ...
ASKS_FOR_SECRET = re.compile(
    r"(?i)(pass(word|wd|phrase|code)?|pin|token|secret|otp|api[ _-]?key|credentials?)\W{0,3}$"
)
#: ... and typed lines that carry one: neither is written to the history.
CARRIES_SECRET = re.compile(
    r"(?i)(pass(word|wd|phrase)?|token|secret|api[_-]?key|bearer|authorization|cookie)"
)


def open_history_file(path: Path) -> Path:
    """Create the history file (and its directory) private to the user: 0600 (0700 for a new
    directory); an existing file is chmod'ed to 0600."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def _session(
    toolbar: Callable[[], str],
    *,
    history: bool = True,
    secret_asked: Callable[[], bool] = lambda: False,
):
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory

    class PrivateHistory(FileHistory):
        """A FileHistory that keeps no secret: lines typed at a password-like prompt, or that
        look like a credential, are neither written nor recalled."""

        def append_string(self, string: str) -> None:
            if secret_asked() or CARRIES_SECRET.search(string):
                return
            super().append_string(string)

    store: History
    if not history:
        store = InMemoryHistory()
    else:
        try:
            store = PrivateHistory(str(open_history_file(history_path())))
        except OSError:
            store = InMemoryHistory()
    completer = WordCompleter(COMMANDS + ["summary", "fields", "bytes"], sentence=True)
    session: PromptSession[str] = PromptSession(
        history=store, completer=completer, bottom_toolbar=toolbar, complete_while_typing=False
    )
    paste_fast(session.app.input)
    return session


PASTE_RUN = 8  #: printable keys read at once that count as pasted text


def paste_fast(inp: Input) -> None:
    """Insert a run of printable keys read at once as ONE paste, as bracketed paste would.

    prompt-toolkit handles every key on its own: each one looks up its key bindings, which walks
    the layout, about half a millisecond, so a 100 KB line pasted into a terminal without
    bracketed paste took over a minute.  A run of PASTE_RUN or more printable characters in one
    read cannot be a person typing; it becomes one ``Keys.BracketedPaste`` key whose handler
    inserts the text at once.  Enter, control keys and escape sequences stay keys of their own.
    """
    from prompt_toolkit.key_binding import KeyPress
    from prompt_toolkit.keys import Keys

    if getattr(inp, "_wsdebug_paste_fast", False):
        return

    def coalesce(keys: list[KeyPress]) -> list[KeyPress]:
        if len(keys) < PASTE_RUN:
            return keys
        out: list[KeyPress] = []
        run: list[str] = []

        def end_run() -> None:
            if len(run) >= PASTE_RUN:
                out.append(KeyPress(Keys.BracketedPaste, "".join(run)))
            else:
                out.extend(KeyPress(ch, ch) for ch in run)
            run.clear()

        for k in keys:
            key = k.key
            if not isinstance(key, Keys) and len(key) == 1 and key.isprintable():
                run.append(k.data)
            else:
                end_run()
                out.append(k)
        end_run()
        return out

    read, flush = inp.read_keys, inp.flush_keys
    inp.read_keys = lambda: coalesce(read())  # type: ignore[method-assign]
    inp.flush_keys = lambda: coalesce(flush())  # type: ignore[method-assign]
    inp._wsdebug_paste_fast = True  # type: ignore[attr-defined]


def status_line(connections: list[LiveConnection], target: str | None = None) -> str:
    parts = []
    for live in connections:
        conn = live.conn
        state = conn.state.value.upper() if conn else "HANDSHAKE"
        item = f"{live.id} {state}"
        if conn:
            item += f" · in {conn.frames_in} fr/{conn.bytes_in:,} B · out {conn.frames_out} fr/{conn.bytes_out:,} B"
        if live.extensions:  # the peer's words: made inert like every other peer text
            item += f" · {inert(live.extensions.split(';')[0])}"
        if live.subprotocol:
            item += f" · subprotocol {inert(live.subprotocol)}"
        parts.append(item)
    if not parts:
        parts.append("no connection yet")
    if target is not None:
        parts.append(f"sending to {target}")
    return "  |  ".join(parts) + "   (/help)"


def help_text() -> Text:
    out = Text("commands:\n", style="bold")
    for cmd, what in HELP:
        out.append(f"  {cmd:<30}", "ws.opcode")
        out.append(what + "\n")
    return out


def apply(cmd: Command, live: LiveConnection) -> None:
    """Perform a sending command on one connection."""
    if cmd.action == "text":
        live.send("text", cmd.args[0])
    elif cmd.action in ("binary", "ping", "pong", "raw"):
        live.send(cmd.action, cmd.args[0])
    elif cmd.action == "close":
        live.send("close", cmd.args[0], cmd.args[1])
    elif cmd.action == "frag":
        live.send("frag", cmd.args[0], cmd.args[1])


SENDING = {"text", "binary", "ping", "pong", "raw", "close", "frag"}


async def prompt_loop(
    reporter: RichReporter,
    targets: Callable[[], list[LiveConnection]],
    everyone: Callable[[], list[LiveConnection]],
    *,
    listen: bool = False,
    session=None,
    history: bool = True,
) -> str | None:
    """Read lines until /quit, Ctrl-C or Ctrl-D; then close every connection cleanly.

    Returns ``INTERRUPTED`` when left with Ctrl-C (the command then exits 130).
    """
    from prompt_toolkit.patch_stdout import patch_stdout

    from ..live.run import INTERRUPTED

    chosen: list[str | None] = [None]
    ended: str | None = None

    def pick() -> list[LiveConnection]:
        conns = everyone() if listen else targets()
        if chosen[0] is not None:
            conns = [c for c in conns if c.id == chosen[0]]
        return conns

    def secret_asked() -> bool:  # the peer's last text asks for a password, a token ...
        last = reporter.last_text.get(Direction.C2S if listen else Direction.S2C, "")
        return bool(ASKS_FOR_SECRET.search(last.rstrip()))

    session = session or _session(
        lambda: status_line(everyone(), chosen[0] if listen else None),
        history=history,
        secret_asked=secret_asked,
    )
    with patch_stdout(raw=True):
        while True:
            try:
                line = await session.prompt_async("ws> ")
            except KeyboardInterrupt:
                ended = INTERRUPTED
                break
            except EOFError:
                break
            if not line:
                continue
            try:
                cmd = parse_command(line)
            except CommandError as exc:
                reporter.error(str(exc))
                continue
            if cmd.action == "quit":
                break
            if cmd.action == "help":
                reporter.draw()  # after what is already queued, not before it
                reporter.console.print(help_text())
            elif cmd.action == "detail":
                reporter.detail = as_detail(str(cmd.args[0]))
                reporter.info(f"detail: {reporter.detail}")
            elif cmd.action == "list":
                for live in everyone():
                    reporter.info(
                        f"{live.id}  {live.peer}  {live.conn.state.value if live.conn else 'handshake'}"
                    )
            elif cmd.action == "to":
                wanted = str(cmd.args[0])
                if not any(c.id == wanted for c in everyone()):
                    reporter.error(f"no connection {wanted} (see /list)")
                else:
                    chosen[0] = wanted
                    reporter.info(f"sending to {wanted}")
            elif cmd.action == "all":
                chosen[0] = None
                reporter.info("sending to every connection")
            elif cmd.action in SENDING:
                conns = [c for c in pick() if c.open]
                if not conns:
                    reporter.error("no open connection to send to")
                for live in conns:
                    try:
                        apply(cmd, live)
                    except (RuntimeError, ValueError) as exc:
                        reporter.error(str(exc), live.id)
                # together: one peer that does not read must not hold back the others' turns
                await asyncio.gather(*(live.drain() for live in conns))
        closing = [live for live in everyone() if live.open]
        for live in closing:
            live.send("close", 1000, "")
        await asyncio.gather(*(live.drain() for live in closing))
    return ended


def interactive_connect(
    reporter: RichReporter, console: Console | None, *, history: bool = True
) -> Callable[[LiveConnection, Callable[[], Awaitable[None]]], Awaitable[str | None]]:
    async def run(live: LiveConnection, _drain: Callable[[], Awaitable[None]]) -> str | None:
        return await prompt_loop(reporter, lambda: [live], lambda: [live], history=history)

    return run


def interactive_listen(
    reporter: RichReporter, console: Console | None, *, history: bool = True
) -> Callable[[Listener], Awaitable[str | None]]:
    async def run(listener: Listener) -> str | None:
        return await prompt_loop(
            reporter,
            listener.open_connections,
            lambda: list(listener.connections.values()),
            listen=True,
            history=history,
        )

    return run
