"""The interactive prompt's command language, parsed without any terminal (pure, testable).

A typed line is a text message.  A line starting with ``/`` is a command; ``//text`` sends the
text ``/text``.
"""

from __future__ import annotations

from dataclasses import dataclass

HELP = [
    ("TEXT", "send TEXT as a text message"),
    ("/binary HEX", "send bytes as a binary message"),
    ("/ping [text]", "send a ping (the peer must answer with a pong)"),
    ("/pong [text]", "send an unsolicited pong"),
    ("/close [code] [reason]", "start the closing handshake (default 1000)"),
    ("/raw HEX", "write exact bytes: a crafted or malformed frame (see wsdebug encode)"),
    ("/frag N TEXT", "send TEXT as a message in N fragments"),
    ("/detail summary|fields|bytes", "how much of each frame to show"),
    ("/to ID", "listen: send to connection ID only"),
    ("/all", "listen: send to every connection"),
    ("/list", "listen: list connections"),
    ("/help", "this list"),
    ("/quit", "close cleanly and exit (also Ctrl-C, Ctrl-D)"),
    ("//text", "send a text message that starts with '/'"),
]
COMMANDS = [h[0].split()[0] for h in HELP if h[0].startswith("/") and not h[0].startswith("//")]


@dataclass(frozen=True)
class Command:
    """What a line asks for: ``action`` and its arguments."""

    action: str  #: text, binary, ping, pong, close, raw, frag, detail, to, all, list, help, quit
    args: tuple[object, ...] = ()


class CommandError(ValueError):
    """A line that is not a valid command; the message is shown under the prompt."""


def _hex(arg: str, what: str, at: int = 0) -> bytes:
    """``arg`` parsed as bytes; ``at`` is its 0-based position in the typed line, so an error
    points at the column the person sees (not a column inside the argument)."""
    from ..capture.textinput import HexInputError, parse_bytes

    if not arg.strip():
        raise CommandError(f"{what} needs hex bytes, e.g. {what} 81 05 48 65 6c 6c 6f")
    try:
        return parse_bytes(arg)
    except HexInputError as exc:
        if exc.line == 1 and exc.column is not None:
            raise CommandError(f"{what}: column {exc.column + at}: {exc.reason}") from None
        raise CommandError(f"{what}: {exc}") from None


def parse_command(line: str) -> Command:
    if not line.startswith("/"):
        return Command("text", (line,))
    if line.startswith("//"):
        return Command("text", (line[1:],))
    name, _, rest = line[1:].partition(" ")
    name = name.lower()
    at = len(line) - len(rest.lstrip())  # where the argument starts in the typed line
    rest = rest.strip()
    if name in ("binary", "bin"):
        return Command("binary", (_hex(rest, "/binary", at),))
    if name == "raw":
        return Command("raw", (_hex(rest, "/raw", at),))
    if name in ("ping", "pong"):
        data = rest.encode("utf-8")
        if len(data) > 125:
            raise CommandError(
                f"/{name}: control frame payloads are at most 125 bytes (RFC 6455 §5.5), not {len(data)}"
            )
        return Command(name, (data,))
    if name == "close":
        code_s, _, reason = rest.partition(" ")
        code = 1000
        if code_s:
            try:
                code = int(code_s)
            except ValueError:
                raise CommandError(f"/close: code must be a number, not {code_s!r}") from None
            if not 0 <= code <= 65535:
                raise CommandError("/close: code must fit two bytes (0-65535)")
        if len(reason.encode("utf-8")) > 123:
            raise CommandError("/close: the reason must be at most 123 bytes of UTF-8")
        return Command("close", (code, reason))
    if name == "frag":
        n_s, _, text = rest.partition(" ")
        try:
            n = int(n_s)
        except ValueError:
            raise CommandError("/frag needs a count and text: /frag 3 hello world") from None
        if n < 1 or n > 1000:
            raise CommandError("/frag: the count must be 1-1000")
        return Command("frag", (n, text))
    if name == "detail":
        if rest not in ("summary", "fields", "bytes"):
            raise CommandError("/detail summary|fields|bytes")
        return Command("detail", (rest,))
    if name == "to":
        if not rest:
            raise CommandError("/to needs a connection id (see /list)")
        return Command("to", (rest,))
    if name in ("all", "list", "help", "quit", "exit"):
        return Command("quit" if name == "exit" else name)
    raise CommandError(f"unknown command /{name} (type /help)")
