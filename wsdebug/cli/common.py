"""Options and input readers shared by the commands (defined once, used by every module)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..capture.inputcap import (
    DEFAULT_DECODE_MAX,
    InputTooLarge,
    one_hex_run,
    parse_size,
    read_capped,
    too_large,
)
from .status import UserError

if TYPE_CHECKING:
    from ..codec.spec import Role
    from ..ui.views import Detail as DetailLevel

Detail = typer.Option("--detail", "-d", help="summary | fields | bytes")
Plain = typer.Option("--plain", help="No colours and no box drawing.")
Json = typer.Option("--json", help="Machine-readable JSON (see docs/json-schema.md).")
ExportSvg = typer.Option("--export-svg", help="Also save what is drawn as SVG.", metavar="FILE")
ExportHtml = typer.Option("--export-html", help="Also save what is drawn as HTML.", metavar="FILE")


# -- options of the live commands (connect, listen, proxy), defined once -------------------------

Host = typer.Option("--host", help="Address to bind (loopback unless you say otherwise).")
Port = typer.Option("--port", "-p", min=0, max=65535, help="TCP port (0 picks a free one).")
Insecure = typer.Option("--insecure", "-k", help="Do not verify the server's TLS certificate.")
CaCert = typer.Option("--cacert", help="Trust this CA bundle (PEM) for wss://.")
ConnectTimeout = typer.Option(
    "--connect-timeout", min=0.001, help="Seconds to wait for the server's TCP/TLS."
)
HandshakeTimeout = typer.Option(
    "--handshake-timeout", min=0.001, help="Seconds allowed for an opening-handshake head."
)
MaxConnections = typer.Option(
    "--max-connections", min=1, help="TCP connections at once (503 past it)."
)
Lenient = typer.Option(
    "--lenient", help="Annotate protocol violations but keep the connection open."
)
MaxSize = typer.Option(
    "--max-size", min=1, help="Largest message accepted, in bytes (1009 beyond)."
)
Record = typer.Option(
    "--record", help="Write every byte in and out to FILE (JSON Lines capture).", metavar="FILE"
)
LiveDetail = typer.Option("--detail", "-d", help="summary | fields | bytes")
JsonMaxPayload = typer.Option(
    "--json-max-payload",
    min=0,
    metavar="BYTES",
    help="With --json: cut each payload to BYTES (marked truncated); default: full.",
)


#: ``ui.views.DETAILS``, spelled out so that checking an option does not load the views (and
#: rich) at start-up; a test holds the two equal.
DETAILS: tuple[DetailLevel, ...] = ("summary", "fields", "bytes")


def check_detail(value: str) -> DetailLevel:
    for level in DETAILS:
        if value == level:
            return level
    raise UserError(f"--detail must be summary, fields or bytes, not {value!r}")


def check_role(value: str | None) -> Role | None:
    from ..codec.spec import Role

    if value is None:
        return None
    try:
        return Role(value.lower())
    except ValueError:
        raise UserError(f"--from must be client or server, not {value!r}") from None


def max_input_option(what: str) -> Any:
    """``--max-input SIZE``: the most bytes a command reads from its input file or stdin."""
    return typer.Option(
        "--max-input",
        metavar="SIZE",
        help=f"Refuse input larger than SIZE bytes (K, M, G: powers of 1024); {what}.",
    )


def check_size(value: str, option: str = "--max-input") -> int:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise UserError(f"{option}: {exc}") from None


def read_input(file: Path, limit: int) -> bytes:
    """The bytes of ``file`` ('-': standard input), at most ``limit`` of them, or UserError."""
    try:
        if str(file) == "-":
            stdin = sys.stdin
            if stdin is None:
                raise UserError("no standard input to read")
            fh = getattr(stdin, "buffer", None)
            if fh is None:  # a text-only stream (some test harnesses): still capped
                text = stdin.read(limit + 1)
                if len(text) > limit:
                    raise too_large("standard input", limit)
                return text.encode("utf-8", "surrogateescape")
            return read_capped(fh, limit, "standard input")
        with open(file, "rb") as fh:
            return read_capped(fh, limit, str(file))
    except InputTooLarge as exc:
        raise UserError(str(exc)) from None
    except IsADirectoryError:
        raise UserError(f"cannot read {file}: it is a directory") from None
    except OSError as exc:
        raise UserError(f"cannot read {file}: {exc.strerror or exc}") from None


def read_text(args: list[str], file: Path | None, limit: int = DEFAULT_DECODE_MAX) -> str:
    if args and file is not None:
        raise UserError("give hex as arguments or with -f FILE, not both")
    if file is None and not args:
        if sys.stdin is None or sys.stdin.isatty():
            raise UserError(
                "no input: give hex as arguments, -f FILE, or pipe it on standard input"
            )
        file = Path("-")
    if file is not None:
        return read_input(file, limit).decode("utf-8", errors="replace")
    return " ".join(args)


def parse_input(text: str, *, base64: bool = False) -> tuple[list[tuple[Role, bytes]], bytes]:
    """Pasted text, parsed once: ``(segments, b"")`` when the dump marks directions (c:/s:,
    >/<, Follow TCP Stream), else ``([], data)`` for one stream; UserError when unreadable.
    """
    if not base64 and text.isascii():
        data = one_hex_run(text)
        if data is not None:  # ``decode 8185...``: no format to detect, nothing to import
            return [], data
    from ..capture import textinput as inputs
    from ..codec.spec import Role

    try:
        if base64:
            return [], inputs.parse_base64(text)
        try:
            segments = inputs.parse_directional(text)
        except inputs.HexInputError as exc:
            try:  # splitting at the markers broke a literal, say: read it as one stream
                return [], inputs.parse_bytes(text)
            except inputs.HexInputError:  # unreadable either way: this error's place is right
                raise UserError(f"unreadable input: {exc}") from None  # for marked dumps too
    except inputs.HexInputError as exc:
        raise UserError(f"unreadable input: {exc}") from None
    if not any(side for side, _ in segments):
        return [], b"".join(data for _, data in segments)
    if any(side is None for side, _ in segments):
        raise UserError(
            "unreadable input: some bytes come before the first direction marker (c:/s: or >/<)"
        )
    roles = [(Role.CLIENT if side == "client" else Role.SERVER, data) for side, data in segments]
    return roles, b""


def directional_segments(text: str) -> list[tuple[Role, bytes]]:
    """``[(Role, bytes)]`` when the dump marks directions (c:/s:, >/<, Follow TCP Stream)."""
    return parse_input(text)[0]
