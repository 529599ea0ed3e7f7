"""Drawing the guided tour: step headings, the Accept computation, then the live frames."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from ..codec.handshake import accept_steps
from ..live.demo import run_demo
from .explain import explain_accept, render, save_svg
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
    lang: str = "en",
    export_dir: Path | None = None,
) -> int:
    """The tour; ``export_dir`` gets one SVG slide per step (``step-01.svg``, ...)."""
    console = stdout_console(plain=plain, record=bool(svg or html or export_dir))
    reporter = RichReporter(console, "bytes", plain=plain)
    zh = lang == "zh"
    slides = _Slides(console, export_dir)

    current: list[Text] = []  # the step's title and "Look at" line, repeated above the Enter prompt

    def say(title: str, look: str, n: int, total: int) -> None:
        slides.next(f"{n:02d}", f"wsdebug demo {n}/{total}: {title}")
        current[:] = [
            Text(f"{n}/{total} {title}", style="bold"),
            Text("请看:" if zh else "Look at: ", style="bold").append(look, style=""),
        ]
        console.print()
        step = f" 第 {n}/{total} 步:{title} " if zh else f" Step {n}/{total}: {title} "
        console.print(Rule(Text(step, style="bold"), style="ws.title"))
        console.print(Text("请看:" if zh else "Look at: ", style="bold").append(look, style=""))

    def show_accept(key: str) -> None:
        if zh:
            render(explain_accept(accept_steps(key), None, "zh"), console, plain=plain)
        else:
            console.print(accept_table(accept_steps(key), plain=plain))

    async def pause() -> None:
        prompt = (
            "\n⏎  按回车进入下一步(Ctrl-C 退出) "
            if zh
            else "\n⏎  Enter for the next step (Ctrl-C quits) "
        )
        # A step's frames can scroll its heading away: say again what to look at, just
        # above the prompt, so it is on the screen when Enter is asked for.
        if current:
            console.print()
            console.print(Rule(style="ws.title"))
            for line in current:
                console.print(line)
        await asyncio.to_thread(input, prompt)

    def set_detail(detail: str) -> None:
        reporter.detail = as_detail(detail)

    out, inc = ("->", "<-") if plain else ("→", "←")  # the arrows the frame lines use
    if zh:
        heading = "wsdebug demo —— 在本机的回显服务器上走一遍 RFC 6455"
        arrows = f"箭头:{out} 客户端发往服务器,{inc} 服务器发往客户端。所有数据都不离开这台机器。"
    else:
        heading = "wsdebug demo — a tour of RFC 6455 on a local echo server"
        arrows = (
            f"Arrows: {out} client to server, {inc} server to client. Nothing leaves this machine."
        )
    console.print(Text(heading, style="bold"))
    console.print(Text(arrows, style="ws.dim"))
    status = asyncio.run(
        run_demo(
            reporter,
            say=say,
            show_accept=show_accept,
            pause=pause if interactive else None,
            set_detail=set_detail,
            lang=lang,
        )
    )
    reporter.close()
    console.print()
    console.print(
        Rule(Text(" 导览结束 " if zh else " Tour complete ", style="bold"), style="ws.title")
    )
    if zh:
        nxt = (
            "下一步:运行 `wsdebug listen --classroom`,在浏览器里打开它显示的 http:// 地址;"
            "或者 `wsdebug explain 81 85 37 fa 21 3d 7f 9f 4d 51 58 --lang zh`。"
        )
    else:
        nxt = (
            "Next: `wsdebug listen` and open the printed http:// address in a browser, "
            "or `wsdebug decode 81 85 37 fa 21 3d 7f 9f 4d 51 58`."
        )
    console.print(Text(nxt, style=""))
    slides.next("", "")
    export(console, svg, html, title="wsdebug demo")
    return status


class _Slides:
    """``demo --export-dir``: what was drawn for each step, saved as one SVG when the next starts."""

    def __init__(self, console: Console, folder: Path | None) -> None:
        self.console = console
        self.folder = folder
        self.name = ""
        self.title = ""

    def next(self, name: str, title: str) -> None:
        if self.folder is None:
            return
        if self.name:
            save_svg(self.console, self.folder / f"step-{self.name}.svg", self.title, clear=True)
        else:
            self.console.export_text(clear=True)  # the heading before step 1 is not a slide
        self.name, self.title = name, title
