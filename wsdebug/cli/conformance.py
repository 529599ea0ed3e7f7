"""``wsdebug test URL`` and ``wsdebug test --client``: grade a server or a client, Autobahn-style.

Registered on the main typer app by importing this module (``cli.py`` does at its end); it
needs nothing else from the CLI module, so it can move with the other command modules.
Exit status: 0 no case FAILED, 1 some case FAILED (or the server could not be reached at all),
2 a usage error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import app
from .status import ExitStatus, UserError

if TYPE_CHECKING:  # the conformance modules load only when the command runs
    from rich.console import Console

    from ..live.conformance.grading import Case, Result


def _patterns(value: str | None) -> list[str]:
    if not value:
        return []
    pats = [p.strip() for p in value.split(",") if p.strip()]
    for p in pats:
        if not all(ch.isdigit() or ch in ".*?[]" for ch in p):
            raise UserError(f"case pattern {p!r}: use case ids such as 1.*, 5.1.* or 6.4.3")
    return pats


def _cases(cases: str | None, exclude: str | None, deflate_count: int) -> list[Case]:
    from ..live.conformance.cases import catalogue, select

    chosen = select(catalogue(deflate_count), _patterns(cases), _patterns(exclude))
    if not chosen:
        raise UserError(
            f"no case matches --cases {cases or '(all)'} --exclude {exclude or '(none)'}"
        )
    return chosen


def _write_reports(
    results: list[Result], json_file: Path | None, junit: Path | None, html: Path | None, agent: str
) -> None:
    from ..live.conformance import report

    try:
        if json_file is not None:
            report.write_json(results, json_file, agent=agent)
        if junit is not None:
            report.write_junit(results, junit, agent=agent)
        if html is not None:
            report.write_html(results, html, agent=agent)
    except OSError as exc:
        raise UserError(f"cannot write the report: {exc.strerror}: {exc.filename}") from None


@app.command("test")
def test_cmd(
    url: Annotated[
        str | None, typer.Argument(help="ws:// or wss:// URL of an echo server to grade.")
    ] = None,
    client: Annotated[
        bool,
        typer.Option("--client", help="Grade a client: listen as Autobahn's fuzzing server does."),
    ] = False,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="With --client: port to listen on.")
    ] = 9001,
    host: Annotated[
        str, typer.Option("--host", help="With --client: address to listen on.")
    ] = "127.0.0.1",
    cases: Annotated[
        str | None, typer.Option("--cases", help="Only these cases: 1.*,5.1.*,6.4.3 ...")
    ] = None,
    exclude: Annotated[
        str | None, typer.Option("--exclude", help="Skip these cases (same patterns).")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", min=0.1, help="Hard limit per case, in seconds (default: the case's own)."
        ),
    ] = None,
    deflate_count: Annotated[
        int,
        typer.Option(
            "--deflate-count",
            min=1,
            help="Messages per permessage-deflate case (groups 12, 13); Autobahn sends 1000.",
        ),
    ] = 20,
    parallel: Annotated[
        int, typer.Option("--parallel", "-j", min=1, max=256, help="Connections at once.")
    ] = 1,
    detail: Annotated[
        str,
        typer.Option("--detail", "-d", help="summary | fields | bytes (frames of non-OK cases)"),
    ] = "summary",
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write a JSON report to FILE.", metavar="FILE")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Write JUnit XML to FILE.", metavar="FILE")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write an HTML report into DIR.", metavar="DIR")
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", "-k", help="Do not verify the TLS certificate.")
    ] = False,
    cacert: Annotated[
        Path | None, typer.Option("--cacert", help="Trust this CA bundle (PEM) for wss://.")
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option("--agent", help="Name for the reports (default: the URL, or the client's)."),
    ] = None,
    plain: Annotated[bool, typer.Option("--plain", help="No colours and no box drawing.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the tables, no explanations.")
    ] = False,
) -> None:
    """Run the Autobahn|Testsuite's case groups against a server (or, with --client, a client).

    Grades: OK, NON-STRICT, FAILED, INFORMATIONAL, UNIMPLEMENTED, as Autobahn defines them
    (docs/conformance-testing.md).  Every case that is not OK is explained with the frames both
    ways, ending at the byte or the missing event that decided its grade.
    """
    if detail not in ("summary", "fields", "bytes"):
        raise UserError(f"--detail must be summary, fields or bytes, not {detail!r}")
    if client and url:
        raise UserError("give either a URL (grade a server) or --client (grade a client), not both")
    if not client and not url:
        raise UserError("give the ws:// URL of an echo server to grade, or --client")
    chosen = _cases(cases, exclude, deflate_count)
    from ..ui.conformance_view import print_results, progress_bar
    from ..ui.output import stdout_console

    console = stdout_console(plain=plain)
    if client:
        results, name = _serve(chosen, host, port, timeout, console, agent)
    else:
        assert url is not None
        results = _grade_server(
            chosen, url, parallel, timeout, insecure, cacert, console, progress_bar
        )
        name = agent or url
    print_results(console, results, detail=detail, plain=plain, explain_cases=not quiet)  # type: ignore[arg-type]
    _write_reports(results, json_file, junit, html, name)
    if not results:
        raise typer.Exit(int(ExitStatus.PROBLEMS))
    if all(not r.trace.opened for r in results):
        from ..capture.charsafety import terminal_safe

        raise UserError(
            f"no case could connect: {terminal_safe(results[0].trace.handshake_error or '')}",
            ExitStatus.PROBLEMS,
        )
    raise typer.Exit(int(ExitStatus.PROBLEMS if any(r.failed for r in results) else ExitStatus.OK))


def _grade_server(
    chosen: list[Case],
    url: str,
    parallel: int,
    timeout: float | None,
    insecure: bool,
    cacert: Path | None,
    console: Console,
    progress_bar: Callable[..., Any],
) -> list[Result]:
    from ..live.conformance.runner import Target, TargetError, run_cases, ssl_context

    try:
        target = Target.parse(url)
    except TargetError as exc:
        raise UserError(str(exc)) from None
    ctx = None
    if target.secure:
        try:
            ctx = ssl_context(insecure, str(cacert) if cacert else None)
        except (OSError, ValueError) as exc:
            raise UserError(f"--cacert {cacert}: {exc}") from None
    with progress_bar(console, len(chosen)) as bar:
        task = bar.add_task("cases", total=len(chosen), last="")

        def advance(result: Result) -> None:
            bar.update(task, advance=1, last=f"{result.case.id} {result.grade.value}")

        import asyncio  # loads with the command, not at start-up

        return asyncio.run(
            run_cases(chosen, target, parallel=parallel, ctx=ctx, timeout=timeout, progress=advance)
        )


def _serve(
    chosen: list[Case],
    host: str,
    port: int,
    timeout: float | None,
    console: Console,
    agent: str | None,
) -> tuple[list[Result], str]:
    from ..live.conformance.fuzzingserver import FuzzingServer

    server = FuzzingServer(chosen, host=host, port=port, timeout=timeout, agent=agent)

    async def main() -> list[Result]:
        try:
            await server.start()
        except OSError as exc:
            raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        console.print(
            f"wsdebug fuzzing server on ws://{host}:{server.port}/ - {len(chosen)} cases; "
            "waiting for a client driver (/getCaseCount, /runCase?case=N&agent=NAME, "
            "/updateReports?agent=NAME)",
            highlight=False,
            markup=False,
        )
        return await server.wait_done()

    import asyncio

    results = asyncio.run(main())
    return results, agent or server.agent or "client"
