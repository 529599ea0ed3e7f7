"""The command line: one thin typer function per command.

Each command parses its options, makes one library call and returns an :class:`ExitStatus`.
Known failures are :class:`UserError` and print as one line; nothing prints a traceback unless
``WSDEBUG_TRACEBACK=1`` is set.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .charsafety import terminal_safe
from .inputcap import DEFAULT_DECODE_MAX, InputTooLarge, parse_size, read_capped, too_large
from .status import ExitStatus, UserError

if TYPE_CHECKING:
    from .codec.spec import Role

app = typer.Typer(
    name="wsdebug",
    help="WebSocket protocol debugger: every byte of every frame, annotated (RFC 6455).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
handshake_app = typer.Typer(
    help="Opening handshake: Accept computation and validation.", no_args_is_help=True
)
app.add_typer(handshake_app, name="handshake")


def _error(message: str) -> None:
    """One line on stderr, terminal-safe.

    Messages quote file names, URLs and other argv or file text: every control, bidi and
    format character becomes a visible escape (the same list as for payloads, see
    :mod:`wsdebug.charsafety`).  Escaping is idempotent (it leaves backslashes alone), so a
    message that already holds a ``repr()`` is not escaped twice.
    """
    sys.stderr.write(f"wsdebug: {terminal_safe(message)}\n")
    sys.stderr.flush()


def _one_line_errors(typer_app: typer.Typer) -> None:
    """Make every command of ``typer_app`` report UserError as one line plus an exit status."""
    original = typer_app.command

    def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = original(*args, **kwargs)

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(func)
            def wrapper(*a: Any, **kw: Any) -> Any:
                try:
                    return func(*a, **kw)
                except UserError as exc:
                    _error(exc.message)
                    raise typer.Exit(int(exc.status)) from None
                except RecursionError:  # a reader missed a deeply nested input: still one line
                    _error("the input is nested too deeply to read")
                    raise typer.Exit(int(ExitStatus.BAD_INPUT)) from None
                except MemoryError:
                    _error(
                        "out of memory: the input is too large to process (--max-input caps what is read)"
                    )
                    raise typer.Exit(int(ExitStatus.BAD_INPUT)) from None

            register(wrapper)
            return func

        return decorate

    typer_app.command = command  # type: ignore[method-assign, assignment]


_one_line_errors(app)
_one_line_errors(handshake_app)

Detail = typer.Option("--detail", "-d", help="summary | fields | bytes")
Plain = typer.Option("--plain", help="No colours and no box drawing.")
Json = typer.Option("--json", help="Machine-readable JSON (see docs/json-schema.md).")
ExportSvg = typer.Option("--export-svg", help="Also save what is drawn as SVG.", metavar="FILE")
ExportHtml = typer.Option("--export-html", help="Also save what is drawn as HTML.", metavar="FILE")


def _detail(value: str) -> str:
    if value not in ("summary", "fields", "bytes"):
        raise UserError(f"--detail must be summary, fields or bytes, not {value!r}")
    return value


def _role(value: str | None) -> Role | None:
    from .codec.spec import Role

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


def _size(value: str, option: str = "--max-input") -> int:
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


def _read_text(args: list[str], file: Path | None, limit: int = DEFAULT_DECODE_MAX) -> str:
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


def _directional(text: str) -> list[tuple[Role, bytes]]:
    """``[(Role, bytes)]`` when the dump marks directions (c:/s:, >/<, Follow TCP Stream)."""
    from . import inputs
    from .codec.spec import Role

    try:
        segments = inputs.parse_directional(text)
    except inputs.HexInputError as exc:
        try:
            inputs.parse_bytes(text)
        except inputs.HexInputError:  # unreadable either way: this error's place is right for
            raise UserError(f"unreadable input: {exc}") from None  # marked dumps too
        return []
    if not any(side for side, _ in segments):
        return []
    if any(side is None for side, _ in segments):
        raise UserError(
            "unreadable input: some bytes come before the first direction marker (c:/s: or >/<)"
        )
    return [(Role.CLIENT if side == "client" else Role.SERVER, data) for side, data in segments]


@app.command()
def decode(
    hex_input: Annotated[
        list[str] | None,
        typer.Argument(metavar="[HEX]...", help="Bytes as hex (any common format)."),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read input from FILE ('-' for stdin).")
    ] = None,
    base64: Annotated[bool, typer.Option("--base64", help="Input is base64, not hex.")] = False,
    sender: Annotated[
        str | None,
        typer.Option("--from", help="Who sent the bytes: client | server (checks masking)."),
    ] = None,
    deflate: Annotated[
        bool, typer.Option("--deflate", help="Inflate permessage-deflate messages (RSV1).")
    ] = False,
    no_context_takeover: Annotated[
        bool,
        typer.Option("--no-context-takeover", help="With --deflate: reset the window per message."),
    ] = False,
    max_size: Annotated[
        int,
        typer.Option(
            "--max-size",
            min=1,
            help="Largest message, in bytes after inflating (a zip bomb stops here).",
        ),
    ] = 64 << 20,
    detail: Annotated[str, Detail] = "bytes",
    json_out: Annotated[bool, Json] = False,
    plain: Annotated[bool, Plain] = False,
    export_svg: Annotated[Path | None, ExportSvg] = None,
    export_html: Annotated[Path | None, ExportHtml] = None,
    max_input: Annotated[str, max_input_option("the text is held in memory")] = "256M",
) -> None:
    """Decode frames from pasted bytes: hex, 0x.., \\x.., b'..', xxd, hexdump -C, Wireshark.

    A dump whose lines carry direction markers (c: / s:, or > / <) is decoded as two streams,
    client to server and server to client, each with its own checks.
    """
    from . import inputs
    from .offline import decode_bytes, decode_segments

    detail = _detail(detail)
    text = _read_text(hex_input or [], file, _size(max_input))
    segments = [] if base64 else _directional(text)
    try:
        data = (
            inputs.parse_base64(text) if base64 else b"" if segments else inputs.parse_bytes(text)
        )
    except inputs.HexInputError as exc:
        raise UserError(f"unreadable input: {exc}") from None
    if segments:
        result = decode_segments(
            segments, deflate=deflate, no_context_takeover=no_context_takeover, max_message=max_size
        )
    else:
        result = decode_bytes(
            data,
            sender=_role(sender),
            deflate=deflate,
            no_context_takeover=no_context_takeover,
            max_message=max_size,
        )
    if json_out:
        from .export import decode_document, dumps

        doc = decode_document(result.records, result.incomplete, result.problems)
        sys.stdout.write(dumps(doc, indent=2) + "\n")
    else:
        from .ui.output import print_decoded

        print_decoded(result, detail=detail, plain=plain, svg=export_svg, html=export_html)
    raise typer.Exit(int(result.status))


@app.command()
def encode(
    kind: Annotated[str, typer.Argument(help="text | binary | ping | pong | close | cont")],
    data: Annotated[str, typer.Argument(help="Payload: text, or hex with --hex.")] = "",
    hex_payload: Annotated[bool, typer.Option("--hex", help="DATA is hex bytes.")] = False,
    mask_key: Annotated[
        str | None, typer.Option("--mask-key", help="4-byte mask key as hex (e.g. 37fa213d).")
    ] = None,
    no_mask: Annotated[
        bool, typer.Option("--no-mask", help="Do not mask (as a server sends).")
    ] = False,
    fin: Annotated[bool, typer.Option("--fin/--no-fin", help="FIN bit.")] = True,
    rsv1: Annotated[bool, typer.Option("--rsv1", help="Set RSV1.")] = False,
    rsv2: Annotated[bool, typer.Option("--rsv2", help="Set RSV2.")] = False,
    rsv3: Annotated[bool, typer.Option("--rsv3", help="Set RSV3.")] = False,
    opcode: Annotated[
        str | None, typer.Option("--opcode", help="Raw opcode 0-15 (e.g. 0x3), overrides KIND.")
    ] = None,
    length_form: Annotated[
        int | None, typer.Option("--length-form", help="Force 7, 16 or 64.")
    ] = None,
    code: Annotated[int | None, typer.Option("--code", help="Close code (close frames).")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Close reason (close frames).")] = "",
    compress: Annotated[
        bool,
        typer.Option("--deflate", help="Compress the payload (permessage-deflate) and set RSV1."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the hex.")] = False,
    detail: Annotated[str, Detail] = "bytes",
    json_out: Annotated[bool, Json] = False,
    plain: Annotated[bool, Plain] = False,
) -> None:
    """Build a frame (valid or deliberately broken) and print its hex and annotated view.

    Frames are masked with a random key unless --mask-key or --no-mask is given.
    """
    from .codec.close import build_close_payload
    from .codec.deflate import DeflateParams, PerMessageDeflate
    from .codec.spec import Role
    from .offline import KINDS, build, decode_bytes

    detail = _detail(detail)  # before anything is printed
    kind = kind.lower()
    if kind not in KINDS:
        raise UserError(f"unknown frame kind {kind!r}: use text, binary, ping, pong, close or cont")
    if hex_payload:
        from .inputs import HexInputError, parse_bytes

        try:
            payload = parse_bytes(data) if data.strip() else b""
        except HexInputError as exc:
            raise UserError(f"unreadable DATA: {exc}") from None
    else:
        payload = data.encode(
            "utf-8", "surrogateescape"
        )  # argv bytes that are not UTF-8 stay as they were
    if kind == "close" and (code is not None or reason):
        try:
            close_payload = build_close_payload(
                1000 if code is None else code, reason.encode("utf-8", "surrogateescape")
            )
        except ValueError as exc:  # a code outside 0-65535
            raise UserError(f"--code: {exc}") from None
        payload = close_payload + (payload if hex_payload else b"")
    if compress:
        payload = PerMessageDeflate(DeflateParams(), is_client=not no_mask).compress(payload)
        rsv1 = True
    key = None
    if mask_key is not None:
        try:
            key = bytes.fromhex(mask_key.replace(" ", "").replace(":", ""))
        except ValueError:
            raise UserError(f"--mask-key must be 4 bytes of hex, not {mask_key!r}") from None
        if len(key) != 4:
            raise UserError(f"--mask-key must be 4 bytes of hex, not {len(key)} bytes")
        if no_mask:
            raise UserError("--mask-key and --no-mask contradict each other")
    elif not no_mask:
        key = os.urandom(4)
    op = None
    if opcode is not None:
        try:
            op = int(opcode, 0)
        except ValueError:
            raise UserError(f"--opcode must be a number 0-15, not {opcode!r}") from None
        if not 0 <= op <= 15:
            raise UserError(f"--opcode must be 0-15, not {op}")
    if length_form not in (None, 7, 16, 64):
        raise UserError(f"--length-form must be 7, 16 or 64, not {length_form}")
    try:
        frame = build(
            kind,
            payload,
            opcode=op,
            fin=fin,
            rsv=(rsv1, rsv2, rsv3),
            mask_key=key,
            length_form=length_form,
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    sender = Role.SERVER if no_mask else Role.CLIENT
    result = decode_bytes(frame, sender=sender, deflate=compress)
    if json_out:
        from .export import decode_document, dumps

        doc = decode_document(result.records, result.incomplete, result.problems)
        doc["hex"] = frame.hex()
        sys.stdout.write(dumps(doc, indent=2) + "\n")
    elif quiet:
        sys.stdout.write(frame.hex() + "\n")
    else:
        from .ui.output import print_decoded, stdout_console

        console = stdout_console(plain=plain)
        console.print(frame.hex(" "), highlight=False, soft_wrap=True)
        print_decoded(result, detail=detail, plain=plain, console=console)


@handshake_app.command("accept")
def handshake_accept(
    key: Annotated[str, typer.Argument(help="The client's Sec-WebSocket-Key.")],
    plain: Annotated[bool, Plain] = False,
    json_out: Annotated[bool, Json] = False,
) -> None:
    """Compute Sec-WebSocket-Accept step by step (RFC 6455 §4.2.2)."""
    from .codec.handshake import accept_steps, key_problem

    steps = accept_steps(key)
    problem = key_problem(key)
    if json_out:
        from .export import dumps

        doc = {
            "key": steps.key,
            "concatenated": steps.concatenated,
            "sha1_hex": steps.sha1_hex,
            "accept": steps.accept,
            "key_problem": problem,
        }
        sys.stdout.write(dumps(doc, indent=2) + "\n")
    else:
        from .ui.handshake import print_accept

        print_accept(steps, problem, plain=plain)
    raise typer.Exit(int(ExitStatus.PROBLEMS if problem else ExitStatus.OK))


@handshake_app.command("check")
def handshake_check(
    file: Annotated[
        Path | None, typer.Argument(help="File with a request or response ('-' or none: stdin).")
    ] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="For a response: the key the client sent.")
    ] = None,
    plain: Annotated[bool, Plain] = False,
    json_out: Annotated[bool, Json] = False,
    max_input: Annotated[str, max_input_option("a handshake fits in 16 KiB")] = "1M",
) -> None:
    """Validate a pasted handshake request or response, header by header."""
    from .handshake_check import check_handshake

    text = _read_text([], file if file is not None else Path("-"), _size(max_input))
    if not text.strip():
        raise UserError(
            "no input: give a file with a handshake request or response, or pipe one in"
        )
    result = check_handshake(text, key=key)
    if json_out:
        from .export import dumps

        sys.stdout.write(dumps(result.to_json(), indent=2) + "\n")
    else:
        from .ui.handshake import print_check

        print_check(result, plain=plain)
    raise typer.Exit(int(ExitStatus.PROBLEMS if result.problems else ExitStatus.OK))


def main() -> None:
    """Console-script entry point: typer's own handling, plus no traceback for the unexpected."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(int(ExitStatus.INTERRUPTED))
    except Exception as exc:
        if os.environ.get("WSDEBUG_TRACEBACK"):
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (WSDEBUG_TRACEBACK=1 shows more)")
        sys.exit(int(ExitStatus.PROBLEMS))


from . import (  # noqa: E402,F401 - register connect/listen/demo and replay
    cli_live,
    cli_replay,
    cli_test,
)
