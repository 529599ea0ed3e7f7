"""``decode``, ``encode`` and ``handshake accept|check``: offline work on pasted bytes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from .app import app, error_line, handshake_app
from .common import (
    Detail,
    ExportHtml,
    ExportSvg,
    Json,
    Plain,
    check_detail,
    check_role,
    check_size,
    max_input_option,
    parse_input,
    read_text,
)
from .status import ExitStatus, UserError
from .teach import Lang, check_lang, print_accept_steps

#: The end of the note that says which frames of a long ``-d bytes`` output are summary lines.
FRAME_HINT = "-d fields shows the header fields of every frame, --frame N one frame in full"


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
    frame: Annotated[
        int | None,
        typer.Option("--frame", min=1, help="Draw only frame N (from 1), in full with -d bytes."),
    ] = None,
) -> None:
    """Decode frames from pasted bytes: hex, 0x.., \\x.., b'..', xxd, hexdump -C, Wireshark.

    A dump whose lines carry direction markers (c: / s:, or > / <) is decoded as two streams,
    client to server and server to client, each with its own checks.
    """
    from ..capture.offline import DecodeStream

    detail = check_detail(detail)
    if frame is not None and json_out:
        raise UserError("--frame chooses a frame to draw; --json writes every frame")
    text = read_text(hex_input or [], file, check_size(max_input))
    segments, data = parse_input(text, base64=base64)  # parsed once
    del text  # the text can be several times the bytes: freed before they are decoded
    stream = DecodeStream(
        segments or [(check_role(sender), data)],
        deflate=deflate,
        no_context_takeover=no_context_takeover,
        max_message=max_size,
    )  # decoded as it is written: records are dropped once printed
    if json_out:
        from ..capture.offline import write_decode_json

        write_decode_json(stream, sys.stdout)  # one document, written piecewise
        sys.stdout.write("\n")
    else:
        from ..ui.bulk import print_stream

        print_stream(
            stream,
            detail=detail,
            plain=plain,
            svg=export_svg,
            html=export_html,
            frame=frame,
            hint=FRAME_HINT,
        )
    if base64:
        from ..capture.hints import base64_payload_hint  # a DevTools payload is not a frame

        if hint := base64_payload_hint(data, stream.outline()):
            error_line(hint)
    raise typer.Exit(int(ExitStatus.OK if stream.ok else ExitStatus.PROBLEMS))


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
    from ..capture.offline import KINDS, build, decode_bytes
    from ..codec.close import build_close_payload
    from ..codec.deflate import DeflateParams, PerMessageDeflate
    from ..codec.spec import Role

    detail = check_detail(detail)  # before anything is printed
    kind = kind.lower()
    if kind not in KINDS:
        raise UserError(f"unknown frame kind {kind!r}: use text, binary, ping, pong, close or cont")
    if hex_payload:
        from ..capture.textinput import HexInputError, parse_bytes

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
        from ..capture.serialize import decode_document, dumps

        doc = decode_document(result.records, result.incomplete, result.problems)
        doc["hex"] = frame.hex()
        sys.stdout.write(dumps(doc) + "\n")
    elif quiet:
        sys.stdout.write(frame.hex() + "\n")
    else:
        from ..ui.output import print_decoded, stdout_console

        console = stdout_console(plain=plain)
        console.print(frame.hex(" "), highlight=False, soft_wrap=True)
        print_decoded(result, detail=detail, plain=plain, console=console)


@handshake_app.command("accept")
def handshake_accept(
    key: Annotated[str, typer.Argument(help="The client's Sec-WebSocket-Key.")],
    plain: Annotated[bool, Plain] = False,
    json_out: Annotated[bool, Json] = False,
    lang: Annotated[str | None, Lang] = None,
) -> None:
    """Compute Sec-WebSocket-Accept step by step (RFC 6455 §4.2.2)."""
    from ..codec.handshake import accept_steps, key_problem

    if not json_out and (lang is not None or check_lang(None) != "en"):
        raise typer.Exit(int(print_accept_steps(key, lang, plain)))

    steps = accept_steps(key)
    problem = key_problem(key)
    if json_out:
        from ..capture.serialize import accept_json, dumps

        doc = accept_json(steps, problem)
        sys.stdout.write(dumps(doc, indent=2) + "\n")
    else:
        from ..ui.handshake import print_accept

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
    from ..capture.handshake_check import check_handshake

    text = read_text([], file if file is not None else Path("-"), check_size(max_input))
    if not text.strip():
        raise UserError(
            "no input: give a file with a handshake request or response, or pipe one in"
        )
    result = check_handshake(text, key=key)
    if json_out:
        from ..capture.serialize import dumps, handshake_check_json

        sys.stdout.write(dumps(handshake_check_json(result), indent=2) + "\n")
    else:
        from ..ui.handshake import print_check

        print_check(result, plain=plain)
    raise typer.Exit(int(ExitStatus.PROBLEMS if result.problems else ExitStatus.OK))
