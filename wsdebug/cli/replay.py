"""``wsdebug replay FILE``: step through a capture (wsdebug JSONL, pcap/pcapng, HAR, hex dump).

Registered on the main typer app by importing this module (``cli.py`` does at its end).
Exit status: 0 no problems, 1 problems in the capture (or in the server's answers with
``--to``) or a capture whose last line was cut short (everything before it is replayed, and
one line on stderr says where the cut is), 2 an unreadable file or bad options.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from .app import app, error_line
from .common import (
    Detail,
    ExportHtml,
    ExportSvg,
    Json,
    Plain,
    check_detail,
    check_size,
    max_input_option,
)
from .status import ExitStatus, UserError

if TYPE_CHECKING:
    from ..capture.session import Conversation
    from ..capture.tls import KeyLog
    from ..codec.deflate import DeflateParams
    from ..live.reporter import Reporter


def _direction(value: str | None) -> str | None:
    if value is None:
        return None
    aliases = {"c2s": "c2s", "client": "c2s", ">": "c2s", "s2c": "s2c", "server": "s2c", "<": "s2c"}
    if value.lower() not in aliases:
        raise UserError(f"--direction must be c2s or s2c, not {value!r}")
    return aliases[value.lower()]


def _opcode(value: str | None) -> int | None:
    from ..ui.stepper import parse_opcode

    if value is None:
        return None
    try:
        return parse_opcode(value)
    except ValueError as exc:
        raise UserError(f"--opcode: {exc}") from None


class _ReplayCommand(TyperCommand):
    """``replay``'s click command: ``--deflate=PARAMS`` is read as ``--deflate-params PARAMS``
    (so ``--deflate`` alone stays a flag, and ``--deflate FILE`` does not swallow FILE)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        out: list[str] = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                out.append(arg)
                out.extend(rest)
                break
            if arg.startswith("--deflate="):
                out += ["--deflate-params", arg.removeprefix("--deflate=")]
            else:
                out.append(arg)
        return super().parse_args(ctx, out)


@app.command(cls=_ReplayCommand)
def replay(
    file: Annotated[
        Path,
        typer.Argument(
            help="wsdebug capture (.jsonl), pcap/pcapng, HAR, or a hex dump with > < / c: s: markers ('-': stdin)."
        ),
    ],
    show_all: Annotated[
        bool,
        typer.Option(
            "--all", help="Print every frame instead of stepping (the default when piped)."
        ),
    ] = False,
    conn: Annotated[
        str | None, typer.Option("--conn", help="Only this conversation (its id or number).")
    ] = None,
    direction: Annotated[
        str | None, typer.Option("--direction", help="Only frames sent c2s or s2c.")
    ] = None,
    opcode: Annotated[
        str | None,
        typer.Option(
            "--opcode", help="Only frames with this opcode (text, binary, close, 0x3 ...)."
        ),
    ] = None,
    deflate: Annotated[
        bool | None,
        typer.Option(
            "--deflate/--no-deflate",
            help="--deflate[=PARAMS]: inflate permessage-deflate whatever the recorded handshake "
            "says, with these parameters when given (as in Sec-WebSocket-Extensions: "
            "--deflate='server_no_context_takeover; client_max_window_bits=10'), for captures "
            "begun after the handshake; --no-deflate never inflates (default: as the handshake "
            "says).",
        ),
    ] = None,
    deflate_params: Annotated[
        str | None,
        typer.Option(
            "--deflate-params",
            metavar="PARAMS",
            help="The same as --deflate=PARAMS.",
        ),
    ] = None,
    keylog: Annotated[
        Path | None,
        typer.Option(
            "--keylog",
            metavar="FILE",
            help="TLS key log (SSLKEYLOGFILE format) to decrypt wss:// in a pcap; "
            "default: $SSLKEYLOGFILE when set.",
        ),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="FILE is a growing pcap/pcapng ('-': tcpdump -U -w - | wsdebug replay --follow -):"
            " show each event as its packets arrive.",
        ),
    ] = False,
    server_port: Annotated[
        int | None,
        typer.Option(
            "--server-port",
            min=1,
            max=65535,
            help="In a pcap begun after the handshake: the server is the side on port N.",
            metavar="N",
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Re-send the client side to this ws:// URL and show the server's answers.",
            metavar="URL",
        ),
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="With --to: no pauses between frames.")
    ] = False,
    detail: Annotated[str, Detail] = "bytes",
    json_out: Annotated[bool, Json] = False,
    plain: Annotated[bool, Plain] = False,
    export_svg: Annotated[Path | None, ExportSvg] = None,
    export_html: Annotated[Path | None, ExportHtml] = None,
    max_input: Annotated[
        str, max_input_option("captures and pcaps are streamed, HAR and hex dumps held in memory")
    ] = "1G",
) -> None:
    """Replay a recorded session frame by frame, through the same views as the live modes.

    On a terminal: n/p next/previous, g N jump, ! next problem, f/o filters, d detail,
    / search, e export, q quit.
    """
    from ..capture.format import CaptureError
    from ..capture.replay import make_filter, open_capture, select, status

    detail = check_detail(detail)
    dir_filter, op_filter = _direction(direction), _opcode(opcode)
    limit = check_size(max_input)
    if follow:
        raise typer.Exit(_follow(file, json_out=json_out, detail=detail, plain=plain))
    override = _deflate_override(deflate, deflate_params)
    interactive = (
        not show_all and sys.stdout.isatty() and sys.stdin is not None and sys.stdin.isatty()
    )
    if to is None and (json_out or not interactive):
        from .replay_stream import streamed_replay

        raise typer.Exit(
            streamed_replay(
                str(file),
                json_out=json_out,
                detail=detail,
                plain=plain,
                conn=conn,
                visible=make_filter(dir_filter, op_filter),
                deflate=override,
                max_input=limit,
                server_port=server_port,
                keylog=_keylog(keylog),
                svg=export_svg,
                html=export_html,
            )
        )
    try:
        capture, convs = open_capture(
            str(file),
            deflate=override,
            max_input=limit,
            server_port=server_port,
            keylog=_keylog(keylog),
            lazy=to is None,  # the stepper: events decoded on demand, not all kept
        )
        convs = select(convs, conn, str(file))
    except CaptureError as exc:
        raise UserError(str(exc)) from None
    cut = (
        capture.cut.describe("standard input" if str(file) == "-" else str(file))
        if capture.cut
        else None
    )
    if to is not None:
        if cut is not None:
            error_line(f"warning: {cut}")
        raise typer.Exit(
            _resend(
                to,
                convs,
                fast=fast,
                detail=detail,
                json_out=json_out,
                plain=plain,
                svg=export_svg,
                html=export_html,
            )
        )
    from ..ui.replay import ReplayApp
    from ..ui.stepper import Stepper

    stepper = Stepper(convs, detail=detail, direction=dir_filter, opcode=op_filter)
    ReplayApp(stepper, capture.kind, plain=plain, svg=export_svg, html=export_html).run()
    _exit(status(convs), cut)


def _follow(file: Path, *, json_out: bool, detail: str, plain: bool) -> int:
    """replay --follow: events as the pcap grows (the sniff pipeline over a file or stdin)."""
    from ..capture.format import CaptureError
    from ..live.sniff import follow

    reporter: Reporter
    if json_out:
        from ..live.reporter import JsonReporter

        reporter = JsonReporter(sys.stdout)
    else:
        from ..ui.live_view import RichReporter
        from ..ui.output import stdout_console

        reporter = RichReporter(stdout_console(plain=plain), check_detail(detail), plain=plain)
    try:
        if str(file) == "-":
            follow(sys.stdin.buffer, "standard input", reporter)
        else:
            with open(file, "rb") as fh:
                follow(fh, str(file), reporter)
    except CaptureError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot read {file}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        return int(ExitStatus.INTERRUPTED)
    finally:
        reporter.close()
    return 0


def _keylog(path: Path | None) -> KeyLog | None:
    """--keylog FILE, else $SSLKEYLOGFILE when set; an unreadable file is a usage error."""
    import os

    from ..capture.charsafety import terminal_safe
    from ..capture.tls import read_keylog

    name = str(path) if path is not None else os.environ.get("SSLKEYLOGFILE") or None
    if name is None:
        return None
    try:
        return read_keylog(name)
    except OSError as exc:
        raise UserError(
            f"cannot read the key log {terminal_safe(name)}: {exc.strerror or exc}"
        ) from None


def _deflate_override(on: bool | None, value: str | None) -> bool | DeflateParams | None:
    """--deflate / --no-deflate / --deflate-params: None follows the handshake."""
    if value is None:
        return on
    if on is False:
        raise UserError("--deflate=PARAMS and --no-deflate contradict each other")
    from ..codec.deflate import negotiate

    text = value.strip()
    if not text.lower().startswith("permessage-deflate"):
        text = f"permessage-deflate; {text}" if text else "permessage-deflate"
    params = negotiate(text)
    if params is None:
        raise UserError(f"--deflate: not valid permessage-deflate parameters: {value!r}")
    return params


def _exit(code: int, cut: str | None) -> None:
    """Exit with ``code``; a capture cut short is one line on stderr and at least status 1."""
    if cut is not None:
        sys.stdout.flush()
        error_line(f"warning: {cut}")
        code = max(code, 1)
    raise typer.Exit(code)


def _resend(
    url: str,
    convs: list[Conversation],
    *,
    fast: bool,
    detail: str,
    json_out: bool,
    plain: bool,
    svg: Path | None,
    html: Path | None,
) -> int:
    """``--to URL``: one conversation's client side against a live server."""
    from ..live.client import ConnectError, Target
    from ..live.resend import resend
    from .live import live_reporter, run_live

    if len(convs) != 1:
        ids = ", ".join(c.id for c in convs)
        raise UserError(f"--to sends one conversation: choose it with --conn ({ids})")
    try:
        Target.parse(url)
    except ConnectError as exc:
        raise UserError(str(exc)) from None
    reporter, console = live_reporter(json_out, detail, plain, None, bool(svg or html))
    return run_live(
        lambda: resend(url, convs[0], reporter, fast=fast), reporter, console, None, svg, html
    )
