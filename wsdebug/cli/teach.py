"""``explain``: a frame walked through in numbered steps, in English or Simplified Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .app import app
from .common import ExportSvg, Plain, check_role, check_size, max_input_option, read_text
from .status import ExitStatus, UserError

Lang = typer.Option(
    "--lang",
    metavar="en|zh",
    help="Language of the teaching texts (default: the locale, zh* is Chinese, else English).",
)


def check_lang(value: str | None) -> str:
    """``--lang`` checked (en or zh), or the locale's language; UserError (exit 2) otherwise."""
    from ..ui.i18n import pick_lang

    try:
        return pick_lang(value)
    except ValueError as exc:
        raise UserError(f"--{exc}") from None


def check_export_dir(folder: Path, other: Path | None) -> None:
    """``demo --export-dir DIR``: DIR is created if missing; not with --export-svg/html."""
    if other is not None:
        raise UserError(
            "--export-dir saves one SVG per step: use it without --export-svg/--export-html"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--export-dir: cannot create {folder}: {exc.strerror or exc}") from None


@app.command()
def explain(
    hex_input: Annotated[
        list[str] | None,
        typer.Argument(metavar="[HEX]...", help="Bytes as hex (any format decode reads)."),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read input from FILE ('-' for stdin).")
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option("--from", help="Who sent the bytes: client | server (checks masking)."),
    ] = None,
    deflate: Annotated[
        bool, typer.Option("--deflate", help="Inflate permessage-deflate messages (RSV1).")
    ] = False,
    lang: Annotated[str | None, Lang] = None,
    plain: Annotated[bool, Plain] = False,
    export_svg: Annotated[Path | None, ExportSvg] = None,
    max_input: Annotated[str, max_input_option("explanations are for a few frames")] = "1M",
) -> None:
    """Walk through frames step by step: FIN and opcode, MASK and length, key, XOR, UTF-8.

    The way one decodes a frame by hand, with the frame's real bits and numbers.
    """
    from ..capture import textinput as inputs
    from ..capture.offline import decode_bytes
    from ..ui.explain import explain_frame, print_explanations
    from ..ui.i18n import tr

    language = check_lang(lang)
    role = check_role(sender)
    text = read_text(hex_input or [], file, check_size(max_input))
    try:
        data = inputs.parse_bytes(text)
    except inputs.HexInputError as exc:
        raise UserError(f"unreadable input: {exc}") from None
    result = decode_bytes(data, sender=role, deflate=deflate, max_message=64 << 20)
    explanations = [
        explain_frame(rec, n, language, role) for n, rec in enumerate(result.records, 1)
    ]
    notes: list[str] = []
    if result.incomplete is not None:
        notes.append(tr(language, "incomplete", need=result.incomplete.needed))
    elif not explanations:
        notes.append(tr(language, "nothing"))
    print_explanations(explanations, plain=plain, svg=export_svg, notes=notes)
    raise typer.Exit(int(ExitStatus.OK if result.ok and explanations else ExitStatus.PROBLEMS))


def print_accept_steps(key: str, lang: str | None, plain: bool) -> Any:
    """``handshake accept --lang``: the Accept computation as numbered steps."""
    from ..codec.handshake import accept_steps, key_problem
    from ..ui.explain import explain_accept, print_explanations

    language = check_lang(lang)
    problem = key_problem(key)
    print_explanations([explain_accept(accept_steps(key), problem, language)], plain=plain)
    return ExitStatus.PROBLEMS if problem else ExitStatus.OK
