"""Handshake views: the Accept computation step by step, and annotated header lines."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..capture.handshake_check import HandshakeCheck
from ..codec.handshake import AcceptSteps, Request, Response
from ..codec.spec import GUID
from .safe import inert_text
from .views import problem_text


def accept_table(steps: AcceptSteps, *, plain: bool = False) -> Table:
    t = Table(
        title="Sec-WebSocket-Accept = base64( SHA-1( key + GUID ) )   (RFC 6455 §4.2.2)",
        box=box.ASCII if plain else box.ROUNDED,
        show_header=True,
        title_justify="left",
    )
    t.add_column("step", style="bold")
    t.add_column("value", overflow="fold")
    t.add_row("1. key from the client", inert_text(steps.key, "ws.key"))
    t.add_row(
        "2. append the GUID", Text.assemble(inert_text(steps.key, "ws.key"), (GUID, "ws.opcode"))
    )
    t.add_row(
        "3. SHA-1 digest (20 bytes, hex)",
        Text(" ".join(steps.sha1_hex[i : i + 2] for i in range(0, 40, 2)), "ws.len"),
    )
    t.add_row("4. base64 of the digest", Text(steps.accept, "ws.ok"))
    return t


def print_accept(
    steps: AcceptSteps, problem: str | None, *, plain: bool = False, console: Console | None = None
) -> None:
    from .output import stdout_console

    console = console or stdout_console(plain=plain)
    console.print(accept_table(steps, plain=plain))
    console.print(Text.assemble("Sec-WebSocket-Accept: ", (steps.accept, "bold ws.ok")))
    if problem:
        cross, dash = ("x", "--") if plain else ("✗", "—")
        console.print(
            Text(f"{cross} the key is not valid: {problem} {dash} RFC 6455 §4.1", "ws.problem")
        )


def headers_table(msg: Request | Response, *, plain: bool = False, title: str = "") -> Table:
    t = Table(
        box=box.ASCII if plain else box.SIMPLE_HEAD,
        title=title or None,
        title_justify="left",
        show_edge=False,
        pad_edge=False,
    )
    t.add_column("offset", justify="right", style="ws.dim")
    t.add_column("header", style="bold", overflow="fold")
    t.add_column("value", overflow="fold", ratio=2)
    t.add_column("meaning", overflow="fold", ratio=2)
    if isinstance(msg, Request):
        start = Text(f"{msg.method} {msg.target} {msg.version}")
    else:
        start = Text(f"{msg.version} {msg.status} {msg.reason}")
    t.add_row(
        "0",
        inert_text(start.plain, "bold"),
        "",
        "request line" if isinstance(msg, Request) else "status line",
    )
    for h in msg.headers:
        style = "ws.problem" if h.problems else None
        t.add_row(
            str(h.offset), inert_text(h.name, style), inert_text(h.value), Text(h.meaning, "ws.dim")
        )
        for p in h.problems:
            t.add_row("", "", problem_text(p, plain=plain), "")
    return t


def handshake_view(
    msg: Request | Response, problems: list, *, plain: bool = False, title: str = ""
) -> Group:
    parts: list = [headers_table(msg, plain=plain, title=title)]
    attached = {id(p) for h in msg.headers for p in h.problems}
    parts.extend(problem_text(p, plain=plain) for p in problems if id(p) not in attached)
    return Group(*parts)


def print_check(
    result: HandshakeCheck, *, plain: bool = False, console: Console | None = None
) -> None:
    from .output import stdout_console

    console = console or stdout_console(plain=plain)
    console.print(
        handshake_view(
            result.message, result.problems, plain=plain, title=f"handshake {result.kind}"
        )
    )
    if result.expected_accept:
        console.print(
            Text.assemble("expected Sec-WebSocket-Accept: ", (result.expected_accept, "ws.ok"))
        )
    if result.note:
        console.print(Text(result.note, "ws.dim"))
    if result.problems:
        console.print(Text(f"{len(result.problems)} problem(s)", "ws.problem"))
    else:
        console.print(Text(f"valid WebSocket handshake {result.kind}", "ws.ok"))
