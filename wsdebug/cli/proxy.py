"""``wsdebug proxy UPSTREAM_URL``: sit between an app and its server, decode both directions."""

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
    LiveDetail,
    MaxConnections,
    MaxSize,
    Plain,
    Port,
    Record,
    check_detail,
)
from .live import open_recording, run_live
from .status import UserError


@app.command()
def proxy(
    upstream: Annotated[
        str | None, typer.Argument(help="The server's ws:// or wss:// URL (none with --forward).")
    ] = None,
    host: Annotated[str, Host] = "127.0.0.1",
    port: Annotated[int, Port] = 9000,
    keep_path: Annotated[
        bool,
        typer.Option(
            "--keep-path", help="Send the upstream URL's path as is, ignoring the client's."
        ),
    ] = False,
    insecure: Annotated[bool, Insecure] = False,
    cacert: Annotated[Path | None, CaCert] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Fail the side that breaks the protocol (RFC close code) instead of passing it through.",
        ),
    ] = False,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Exit after the first proxied connection ends (1 if it showed a problem).",
        ),
    ] = False,
    connect_timeout: Annotated[float, ConnectTimeout] = 10.0,
    handshake_timeout: Annotated[float, HandshakeTimeout] = 10.0,
    max_connections: Annotated[int, MaxConnections] = 1024,
    script: Annotated[
        Path | None,
        typer.Option(
            "--script",
            metavar="FILE.py",
            help="Rewrite or drop messages with FILE.py's on_message(msg) (terminated legs: the proxy re-frames; see docs/proxy.md).",
        ),
    ] = None,
    intercept: Annotated[
        bool,
        typer.Option(
            "--intercept",
            help="Hold matching messages at a prompt: forward, edit or drop each (terminated legs).",
        ),
    ] = False,
    intercept_dir: Annotated[
        str | None,
        typer.Option(
            "--intercept-dir", metavar="c2s|s2c", help="With --intercept: only this direction."
        ),
    ] = None,
    intercept_opcode: Annotated[
        str | None,
        typer.Option(
            "--intercept-opcode", metavar="text|binary", help="With --intercept: only this kind."
        ),
    ] = None,
    intercept_match: Annotated[
        str | None,
        typer.Option(
            "--intercept-match",
            metavar="REGEX",
            help="With --intercept: only messages matching REGEX.",
        ),
    ] = None,
    forward: Annotated[
        bool,
        typer.Option(
            "--forward",
            help="Be an HTTP proxy (HTTPS_PROXY, --proxy-server): CONNECT and absolute ws:// URLs; wss:// decoded with a local CA.",
        ),
    ] = False,
    intercept_host: Annotated[
        str | None,
        typer.Option(
            "--intercept-host",
            metavar="PATTERN",
            help="With --forward: decode only hosts matching this glob; tunnel the rest blind.",
        ),
    ] = None,
    ca_dir: Annotated[
        Path | None,
        typer.Option(
            "--ca-dir",
            metavar="DIR",
            help="With --forward: where the local CA lives (default: the user's data directory).",
        ),
    ] = None,
    max_size: Annotated[int, MaxSize] = 16 * 1024 * 1024,
    record: Annotated[Path | None, Record] = None,
    detail: Annotated[str, LiveDetail] = "summary",
    json_out: Annotated[bool, Json] = False,
    json_max_payload: Annotated[int | None, JsonMaxPayload] = None,
    plain: Annotated[bool, Plain] = False,
    export_svg: Annotated[Path | None, ExportSvg] = None,
    export_html: Annotated[Path | None, ExportHtml] = None,
) -> None:
    """Relay an app's WebSocket connections to UPSTREAM_URL byte for byte, and show every frame
    of both directions, checked against the rules for its sender's role.

    Point the app at ws://HOST:PORT/PATH: the request goes to UPSTREAM_URL with PATH appended.
    Violations are shown and passed through unless --strict.
    """
    from ..live.client import ConnectError
    from ..live.proxy_script import ScriptError, load_script
    from ..live.proxy_server import Proxy, ProxyOptions, check_options, run_proxy

    hook = None
    if script is not None:
        try:
            hook = load_script(str(script))
        except ScriptError as exc:
            raise UserError(str(exc)) from None
    if intercept and (script is not None or json_out):
        raise UserError("--intercept cannot be combined with --script or --json")
    if not intercept and (intercept_dir or intercept_opcode or intercept_match):
        raise UserError(
            "--intercept-dir, --intercept-opcode and --intercept-match need --intercept"
        )
    if intercept and not (sys.stdin is not None and sys.stdin.isatty()):
        raise UserError("--intercept needs a terminal on standard input (use --script in a pipe)")
    if forward and upstream is not None:
        raise UserError("--forward takes no UPSTREAM_URL: the clients say where they go")
    if not forward and upstream is None:
        raise UserError("give the server's ws:// or wss:// URL (or --forward)")
    if not forward and (intercept_host or ca_dir):
        raise UserError("--intercept-host and --ca-dir need --forward")
    opts = ProxyOptions(
        upstream or "",
        host=host,
        port=port,
        keep_path=keep_path,
        forward=forward,
        intercept_host=intercept_host,
        ca_dir=str(ca_dir) if ca_dir else None,
        insecure=insecure,
        cacert=str(cacert) if cacert else None,
        strict=strict,
        script=hook,
        once=once,
        connect_timeout=connect_timeout,
        handshake_timeout=handshake_timeout,
        max_connections=max_connections,
        max_message=max_size,
    )
    try:
        check_options(opts)
    except ConnectError as exc:
        raise UserError(str(exc)) from None
    level = check_detail(detail)
    if json_out:
        reporter, console = _json_reporter(json_max_payload), None
    else:
        from ..ui.output import stdout_console
        from ..ui.proxy_view import ProxyReporter

        console = stdout_console(plain=plain, record=bool(export_svg or export_html))
        reporter = ProxyReporter(console, level, plain=plain, recording=record is not None)
    recorder = open_recording(record, "proxy")

    def ready(p: Proxy) -> None:
        if p.ca is not None:
            reporter.info(f"forward proxy on {p.url}  (HTTPS_PROXY={p.url}; Ctrl-C stops)")
            reporter.info(p.ca.instructions())
        else:
            reporter.info(f"proxying {p.url} → {upstream}  (Ctrl-C stops)")
        if hook is not None:
            reporter.info(
                f"--script {script}: each leg is terminated (the proxy re-frames what it forwards);"
                " frames shown and recorded are what each side sent"
            )

    interactive = None
    if intercept:
        from ..ui.proxy_view import intercept_prompt

        opts.intercept = _interceptor(reporter, intercept_dir, intercept_opcode, intercept_match)
        interactive = intercept_prompt(reporter)
    status = run_live(
        lambda: run_proxy(opts, reporter, recorder, ready=ready, interactive=interactive),
        reporter,
        console,
        recorder,
        export_svg,
        export_html,
    )
    raise typer.Exit(status)


def _interceptor(reporter, direction: str | None, opcode: str | None, pattern: str | None):
    import re

    from ..codec.spec import Direction, Opcode
    from ..live.proxy_intercept import Interceptor

    try:
        d = None if direction is None else Direction(direction.lower())
    except ValueError:
        raise UserError(f"--intercept-dir must be c2s or s2c, not {direction!r}") from None
    kinds = {"text": Opcode.TEXT, "binary": Opcode.BINARY}
    if opcode is not None and opcode.lower() not in kinds:
        raise UserError(f"--intercept-opcode must be text or binary, not {opcode!r}")
    try:
        return Interceptor(
            reporter,
            direction=d,
            opcode=None if opcode is None else kinds[opcode.lower()],
            pattern=pattern,
        )
    except re.error as exc:
        raise UserError(f"--intercept-match: {exc}") from None


#: the largest ``--json-max-payload`` with which the JSON is written from the event loop
LOOP_JSON_MAX_PAYLOAD = 64 * 1024


def _json_reporter(max_payload: int | None):
    """``--json``: written on the event loop, after each chunk was forwarded, when standard
    output is a regular file or /dev/null (a write there does not wait for a reader) and
    ``--json-max-payload`` bounds every document (at most :data:`LOOP_JSON_MAX_PAYLOAD`);
    through the reporter's writer thread otherwise: a pipe or a terminal can stall, and
    without a cap one message can be megabytes of hex, which the thread writes in pieces
    while the relay goes on.

    For small documents the thread costs the relay more than the writing does: its hand-offs
    of the interpreter lock come while a reply is waiting to be forwarded
    (benchmarks/bench_proxy.py: about 0.15 ms at the median of a 100 B round trip, and more at
    p99).  For 1 MiB messages without a cap the thread is the faster one (15 against 71 ms a
    round trip).
    """
    import os
    import stat

    from ..codec.events import Event
    from ..live.reporter import JsonReporter

    threaded = True
    if max_payload is not None and max_payload <= LOOP_JSON_MAX_PAYLOAD:
        try:
            st = os.fstat(sys.stdout.fileno())
            null = os.stat(os.devnull)
            is_null = stat.S_ISCHR(st.st_mode) and st.st_rdev == null.st_rdev
            threaded = not (stat.S_ISREG(st.st_mode) or is_null)
        except (AttributeError, OSError, ValueError):  # not a real file (tests)
            pass
    if threaded:
        return JsonReporter(max_payload=max_payload, threaded=True)

    class FileJsonReporter(JsonReporter):
        """A write error (a full disk, a file size limit) stops the output with one line on
        standard error; the proxy goes on relaying, as it does when the thread's reader goes."""

        def emit(self, event: Event) -> None:
            if self.error_seen is not None:
                return
            try:
                super().emit(event)
            except OSError as exc:
                self.error_seen = exc
                why = exc.strerror or str(exc)
                print(f"wsdebug proxy: --json output stopped: {why}", file=sys.stderr, flush=True)

    return FileJsonReporter(max_payload=max_payload)
