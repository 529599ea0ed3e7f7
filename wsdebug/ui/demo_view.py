"""Drawing the guided tour: step headings, the Accept computation, then the live frames."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.rule import Rule
from rich.text import Text

from ..codec.handshake import accept_steps
from ..live.demo import run_demo
from .handshake import accept_table
from .live_view import RichReporter
from .output import export, stdout_console
from .views import as_detail


def run(
    *,
    plain: bool = False,
    interactive: bool = False,
    svg: Path | None = None,
    html: Path | None = None,
) -> int:
    console = stdout_console(plain=plain, record=bool(svg or html))
    reporter = RichReporter(console, "bytes", plain=plain)

    def say(title: str, look: str, n: int, total: int) -> None:
        console.print()
        console.print(Rule(Text(f" Step {n}/{total}: {title} ", style="bold"), style="ws.title"))
        console.print(Text("Look at: ", style="bold").append(look, style=""))

    def show_accept(key: str) -> None:
        console.print(accept_table(accept_steps(key), plain=plain))

    async def pause() -> None:
        await asyncio.to_thread(input, "\n⏎  Enter for the next step (Ctrl-C quits) ")

    def set_detail(detail: str) -> None:
        reporter.detail = as_detail(detail)

    console.print(Text("wsdebug demo — a tour of RFC 6455 on a local echo server", style="bold"))
    out, inc = ("->", "<-") if plain else ("→", "←")  # the arrows the frame lines use
    console.print(
        Text(
            f"Arrows: {out} client to server, {inc} server to client. Nothing leaves this machine.",
            style="ws.dim",
        )
    )
    status = asyncio.run(
        run_demo(
            reporter,
            say=say,
            show_accept=show_accept,
            pause=pause if interactive else None,
            set_detail=set_detail,
        )
    )
    reporter.close()
    console.print()
    console.print(Rule(Text(" Tour complete ", style="bold"), style="ws.title"))
    console.print(
        Text(
            "Next: `wsdebug listen` and open the printed http:// address in a browser, "
            "or `wsdebug decode 81 85 37 fa 21 3d 7f 9f 4d 51 58`.",
            style="",
        )
    )
    export(console, svg, html, title="wsdebug demo")
    return status
