"""The live commands: ``connect``, ``listen`` and ``demo`` (thin: options in, one library call)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import (
    CaCert,
    ConnectTimeout,
    ExportHtml,
    ExportSvg,
    HandshakeTimeout,
    Host,
    Insecure,
    Json,
    JsonMaxPayload,
    Lenient,
    LiveDetail,
    MaxConnections,
    MaxSize,
    Plain,
    Port,
    Record,
    check_detail,
)
from .status import UserError


def _headers(values: list[str]) -> list[tuple[str, str]]:
    out = []
    for v in values:
        name, sep, value = v.partition(":")
        if not sep or not name.strip():
            raise UserError(f"-H expects 'Name: value', not {v!r}")
        out.append((name.strip(), value.strip()))
    return out


def live_reporter(
    json_out: bool,
    detail: str,
    plain: bool,
    record: Path | None,
    export: bool,
    json_max_payload: int | None = None,
):
    if json_out:
        from ..live.reporter import JsonReporter

        return JsonReporter(max_payload=json_max_payload, threaded=True), None
    from ..ui.live_view import RichReporter
    from ..ui.output import stdout_console

    console = stdout_console(plain=plain, record=export)
    return RichReporter(
        console, check_detail(detail), plain=plain, recording=record is not None
    ), console


def open_recording(record: Path | None, mode: str):
    if record is None:
        return None
    from .. import __version__
    from ..capture.format import CaptureWriter

    try:
        fh = open(record, "w", encoding="utf-8")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise UserError(f"cannot write --record {record}: {exc.strerror}") from None
    return CaptureWriter(fh, mode=mode, tool=f"wsdebug {__version__}")


def _input_mode(json_out: bool, *, scripted: bool):
    """(prompt?, script stream): a terminal gets the prompt, a pipe is a script."""
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        return False, None
    if stdin.isatty():
        return not json_out, None
    return False, stdin if scripted else None


def run_live(coro_factory, reporter, console, recorder, svg, html) -> int:
    import asyncio

    async def main() -> int:
        drawer = asyncio.create_task(reporter.run()) if hasattr(reporter, "run") else None
        try:
            return await coro_factory()
        finally:
            if drawer is not None:
                drawer.cancel()
                await asyncio.gather(drawer, return_exceptions=True)

    try:
        status = asyncio.run(main())
    finally:
        reporter.close()
        if recorder is not None:
            recorder.close()
    if console is not None:
        from ..ui.output import export

        export(console, svg, html)
    return status


Binary = typer.Option("--binary", help="Script input lines are hex, sent as binary messages.")
NoHistory = typer.Option(
    "--no-history", help="Keep no history file of the lines typed at the prompt."
)


@app.command()
def connect(
    url: Annotated[str, typer.Argument(help="ws:// or wss:// URL.")],
    header: Annotated[
        list[str] | None,
        typer.Option("--header", "-H", help="Extra header 'Name: value' (repeatable)."),
    ] = None,
    subprotocol: Annotated[
        list[str] | None,
        typer.Option("--subprotocol", "-s", help="Offer a subprotocol (repeatable)."),
    ] = None,
    origin: Annotated[str | None, typer.Option("--origin", "-o", help="Origin header.")] = None,
    no_deflate: Annotated[
        bool, typer.Option("--no-deflate", help="Do not offer permessage-deflate.")
    ] = False,
    insecure: Annotated[bool, Insecure] = False,
    cacert: Annotated[Path | None, CaCert] = None,
    connect_timeout: Annotated[float, ConnectTimeout] = 10.0,
    wait: Annotated[
        float | None,
        typer.Option(
            "--wait",
            "-w",
            min=0,
            metavar="SECONDS",
            help="After the input ends, keep reading SECONDS, then close (default 1).",
        ),
    ] = None,
    no_close: Annotated[
        bool,
        typer.Option(
            "--no-close",
            "-n",
            help="Do not close at the end of input; stop on Ctrl-C or when the peer closes.",
        ),
    ] = False,
    execute: Annotated[
        list[str] | None,
        typer.Option(
            "--execute",
            "-x",
            metavar="TEXT",
            help="Send TEXT once connected (repeatable, in order) instead of reading standard input.",
        ),
    ] = None,
    one_message: Annotated[
        bool, typer.Option("--one-message", "-1", help="Close after the first message received.")
    ] = False,
    ping_interval: Annotated[
        float | None,
        typer.Option(
            "--ping-interval",
            min=0.01,
            metavar="SECONDS",
            help="Send a ping every SECONDS; each pong's round trip is shown.",
        ),
    ] = None,
    proxy: Annotated[
        str | None,
        typer.Option(
            "--proxy",
            metavar="URL",
            help="Connect through this proxy: http:// (CONNECT), socks5://, socks5h://, socks4://.",
        ),
    ] = None,
    no_proxy: Annotated[
        bool, typer.Option("--no-proxy", help="Ignore HTTPS_PROXY / HTTP_PROXY / ALL_PROXY.")
    ] = False,
    certfile: Annotated[
        Path | None,
        typer.Option("--cert", metavar="FILE", help="Client certificate (PEM) for mutual TLS."),
    ] = None,
    keyfile: Annotated[
        Path | None,
        typer.Option(
            "--key", metavar="FILE", help="Private key for --cert (PEM; default: in --cert)."
        ),
    ] = None,
    unix: Annotated[
        Path | None,
        typer.Option(
            "--unix",
            metavar="PATH",
            help="Connect to this Unix socket (the URL still gives Host and path).",
        ),
    ] = None,
    auth: Annotated[
        str | None,
        typer.Option(
            "--auth", metavar="USER:PASS", help="HTTP Basic authentication (shown as 'Basic ****')."
        ),
    ] = None,
    location: Annotated[
        bool,
        typer.Option(
            "--location",
            "-L",
            help="Follow redirects (301/302/303/307/308) during the handshake, at most 5.",
        ),
    ] = False,
    reconnect: Annotated[
        bool,
        typer.Option(
            "--reconnect",
            help="When the server goes away, connect again (backoff 0.5 s doubling to 30 s; gives up after 10 failures in a row).",
        ),
    ] = False,
    lenient: Annotated[bool, Lenient] = False,
    max_size: Annotated[int, MaxSize] = 16 * 1024 * 1024,
    binary: Annotated[bool, Binary] = False,
    record: Annotated[Path | None, Record] = None,
    detail: Annotated[str, LiveDetail] = "summary",
    json_out: Annotated[bool, Json] = False,
    json_max_payload: Annotated[int | None, JsonMaxPayload] = None,
    plain: Annotated[bool, Plain] = False,
    export_svg: Annotated[Path | None, ExportSvg] = None,
    export_html: Annotated[Path | None, ExportHtml] = None,
    no_history: Annotated[bool, NoHistory] = False,
) -> None:
    """Connect to a WebSocket server and show the handshake and every frame in and out.

    Lines on standard input (when it is not a terminal) are sent as text messages; at the end
    of input wsdebug keeps reading for --wait seconds (1 by default), then closes cleanly.
    """
    from ..live.client import ClientOptions, ConnectError, Target, check_options
    from ..live.run import run_connect

    opts = ClientOptions(
        lenient=lenient,
        deflate=not no_deflate,
        subprotocols=list(subprotocol or []),
        max_message=max_size,
        headers=_headers(header or []),
        origin=origin,
        insecure=insecure,
        cacert=str(cacert) if cacert else None,
        connect_timeout=connect_timeout,
        # -1 without -w waits for that first message however long it takes
        wait=1.0 if wait is None else wait,
        no_close=no_close or (one_message and wait is None),
        execute=list(execute or []),
        one_message=one_message,
        ping_interval=ping_interval,
        proxy=proxy,
        no_proxy=no_proxy,
        certfile=str(certfile) if certfile else None,
        keyfile=str(keyfile) if keyfile else None,
        unix=str(unix) if unix else None,
        auth=auth,
        follow=location,
    )
    try:
        Target.parse(url)
        check_options(opts)
    except ConnectError as exc:
        raise UserError(str(exc)) from None
    reporter, console = live_reporter(
        json_out, detail, plain, record, bool(export_svg or export_html), json_max_payload
    )
    recorder = open_recording(record, "connect")
    interactive = None
    if no_close and wait is not None:
        raise UserError("--no-close and --wait cannot be used together")
    prompt, script = _input_mode(json_out, scripted=True)
    if execute:  # the script is on the command line: standard input is not read
        prompt, script = False, None
    if prompt:
        from ..ui.session import interactive_connect

        interactive = interactive_connect(reporter, console, history=not no_history)
    elif hasattr(reporter, "write_behind"):
        reporter.write_behind()  # no prompt shares the terminal: a slow one never stalls us
    if reconnect:
        from ..live.reconnect import run_connect_reconnecting as run_connect
    status = run_live(
        lambda: run_connect(
            url, opts, reporter, recorder, script=script, binary=binary, interactive=interactive
        ),
        reporter,
        console,
        recorder,
        export_svg,
        export_html,
    )
    raise typer.Exit(status)


@app.command()
def listen(
    host: Annotated[str, Host] = "127.0.0.1",
    port: Annotated[int, Port] = 9000,
    echo: Annotated[bool, typer.Option("--echo", help="Echo every message back.")] = False,
    subprotocol: Annotated[
        list[str] | None,
        typer.Option("--subprotocol", "-s", help="Subprotocol to accept (repeatable)."),
    ] = None,
    no_deflate: Annotated[
        bool, typer.Option("--no-deflate", help="Refuse permessage-deflate.")
    ] = False,
    window_bits: Annotated[
        int,
        typer.Option(
            "--deflate-window-bits",
            min=8,
            max=15,
            help="Largest deflate window to agree to (2**N bytes).",
        ),
    ] = 12,
    certfile: Annotated[
        Path | None, typer.Option("--cert", help="Serve wss:// with this certificate (PEM).")
    ] = None,
    keyfile: Annotated[
        Path | None, typer.Option("--key", help="Private key for --cert (PEM).")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Exit after the first WebSocket connection ends.")
    ] = False,
    handshake_timeout: Annotated[float, HandshakeTimeout] = 10.0,
    max_connections: Annotated[int, MaxConnections] = 1024,
    idle_timeout: Annotated[
        float | None,
        typer.Option(
            "--idle-timeout", min=0.001, help="Close (1001) a peer silent this many seconds."
        ),
    ] = None,
    write_timeout: Annotated[
        float,
        typer.Option(
            "--write-timeout",
            min=0.001,
            help="Seconds a peer may leave 64 KiB unread (1008, abort).",
        ),
    ] = 10.0,
    lenient: Annotated[bool, Lenient] = False,
    max_size: Annotated[int, MaxSize] = 16 * 1024 * 1024,
    binary: Annotated[bool, Binary] = False,
    record: Annotated[Path | None, Record] = None,
    detail: Annotated[str, LiveDetail] = "summary",
    json_out: Annotated[bool, Json] = False,
    json_max_payload: Annotated[int | None, JsonMaxPayload] = None,
    plain: Annotated[bool, Plain] = False,
    export_svg: Annotated[Path | None, ExportSvg] = None,
    export_html: Annotated[Path | None, ExportHtml] = None,
    no_history: Annotated[bool, NoHistory] = False,
    classroom: Annotated[
        bool,
        typer.Option(
            "--classroom",
            help="Serve the classroom page: students see their frames annotated (docs/classroom.md).",
        ),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="en|zh",
            help="Language of the classroom page (default: each browser's).",
        ),
    ] = None,
) -> None:
    """Accept WebSocket connections and show every frame; a browser pointed here gets a test page.

    Strict by default: a protocol violation is answered with the RFC close code (1002, 1007,
    1009).  Lines on standard input (not a terminal, without --echo) are sent to every client.
    """
    from ..live.listener import ListenOptions
    from ..live.run import run_listen

    opts = ListenOptions(
        lenient=lenient,
        deflate=not no_deflate,
        subprotocols=list(subprotocol or []),
        max_message=max_size,
        echo=echo,
        host=host,
        port=port,
        certfile=str(certfile) if certfile else None,
        keyfile=str(keyfile) if keyfile else None,
        once=once,
        handshake_timeout=handshake_timeout,
        deflate_window_bits=window_bits,
        max_connections=max_connections,
        idle_timeout=idle_timeout,
        write_timeout=write_timeout,
    )
    if classroom or lang is not None:
        from ..live.classroom import Classroom
        from .teach import check_lang

        opts.classroom = Classroom(check_lang(lang) if lang is not None else None)
    if certfile is None and keyfile is not None:
        raise UserError("--key needs --cert")
    reporter, console = live_reporter(
        json_out, detail, plain, record, bool(export_svg or export_html), json_max_payload
    )
    recorder = open_recording(record, "listen")

    def ready(listener) -> None:
        url = listener.url
        page = url.replace("ws", "http", 1)
        reporter.info(f"listening on {url}  (a browser at {page} gets a test page; Ctrl-C stops)")

    interactive = None
    prompt, script = _input_mode(json_out, scripted=not echo)
    if prompt:
        from ..ui.session import interactive_listen

        interactive = interactive_listen(reporter, console, history=not no_history)
    elif hasattr(reporter, "write_behind"):
        reporter.write_behind()  # no prompt shares the terminal: a slow one never stalls us
    status = run_live(
        lambda: run_listen(
            opts,
            reporter,
            recorder,
            script=script,
            binary=binary,
            ready=ready,
            interactive=interactive,
        ),
        reporter,
        console,
        recorder,
        export_svg,
        export_html,
    )
    raise typer.Exit(status)


@app.command()
def demo(
    no_pause: Annotated[
        bool, typer.Option("--no-pause", help="Run straight through even on a terminal.")
    ] = False,
    plain: Annotated[bool, Plain] = False,
    export_svg: Annotated[Path | None, ExportSvg] = None,
    export_html: Annotated[Path | None, ExportHtml] = None,
    export_dir: Annotated[
        Path | None,
        typer.Option(
            "--export-dir",
            metavar="DIR",
            help="Save each step as an SVG slide in DIR (step-01.svg, ...).",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="en|zh",
            help="Language of the tour (default: the locale, zh* is Chinese).",
        ),
    ] = None,
) -> None:
    """A guided tour of the protocol on a local echo server: nothing to set up."""
    from ..ui.demo_view import run
    from .teach import check_export_dir, check_lang

    language = check_lang(lang)
    if export_dir is not None:
        check_export_dir(export_dir, export_svg or export_html)
    interactive = (
        not no_pause and sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty()
    )
    raise typer.Exit(
        run(
            plain=plain,
            interactive=interactive,
            svg=export_svg,
            html=export_html,
            lang=language,
            export_dir=export_dir,
        )
    )
