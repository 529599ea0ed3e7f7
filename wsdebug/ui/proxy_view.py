"""The terminal view of ``wsdebug proxy``: the live view, plus who broke a rule.

A proxied connection reports the same events as ``connect`` and ``listen`` (two legs, each
frame with its real direction), so :class:`~wsdebug.ui.live_view.RichReporter` draws them.  In
transparent mode a violation is passed through rather than answered with a close, so no
"failing the connection" line follows it: this reporter adds one line per problem under the
frame, naming the side that sent it, and draws the notes the proxy emits (a stream cut inside a
frame, a message too big to decode).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from ..codec.events import Event, FrameEvent, NoteEvent
from .lines import problem_text
from .live_view import RichReporter, clock
from .safe import inert_text


class ProxyReporter(RichReporter):
    def emit(self, event: Event) -> None:
        super().emit(event)
        if isinstance(event, FrameEvent) and event.problems and self.detail == "summary":
            who = event.direction.sender.value
            for p in event.problems:
                line = Text.assemble(
                    (f"  {event.conn} ", "bold"), (f"sent by the {who}: ", "ws.problem")
                )
                line.append_text(problem_text(p, event.record.frame.offset, plain=self.plain))
                self._put(line)
        elif isinstance(event, NoteEvent):
            line = Text.assemble((f"{clock(event.t)} ", "ws.dim"), (event.conn, "bold"), " ")
            if event.direction is not None:
                line.append(f"{event.direction.arrow} ")
            line.append_text(
                inert_text(event.text, "ws.problem" if event.is_problem else "ws.warn")
            )
            self._put(line)


INTERCEPT_HELP = (
    ("f", "forward the oldest held message as it is"),
    ("d", "drop it"),
    ("e TEXT", "forward TEXT (a text message) instead"),
    ("x HEX", "forward these bytes (a binary message) instead"),
    ("/held", "list the held messages"),
    ("/inject c2s|s2c TEXT", "send a new text message to the server (c2s) or the client (s2c)"),
    (
        "/close c2s|s2c [CODE [REASON]]",
        "send a close frame to the server (c2s) or the client (s2c)",
    ),
    ("/conn ID", "which connection /inject and /close go to (default: the newest)"),
    ("/help", "this list"),
    ("/quit", "stop the proxy (Ctrl-D too)"),
)


def intercept_prompt(reporter: RichReporter) -> Any:
    """The ``--intercept`` prompt, as ``run_proxy``'s ``interactive`` coroutine factory."""

    async def run(proxy: Any) -> str | None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.patch_stdout import patch_stdout

        icpt = proxy.opts.intercept
        session: PromptSession[str] = PromptSession()
        chosen: list[str] = []
        reporter.info(
            "--intercept: matching messages are held; f d e x decide, /help lists the rest"
        )
        with patch_stdout(raw=True):
            while True:
                reporter.draw()
                try:
                    line = (await session.prompt_async("proxy> ")).strip()
                except KeyboardInterrupt:
                    return "interrupted"
                except EOFError:
                    return None
                try:
                    if _command(line, icpt, proxy, chosen, reporter):
                        return None
                except ValueError as exc:
                    reporter.error(str(exc))

    return run


def _command(line: str, icpt: Any, proxy: Any, chosen: list[str], reporter: RichReporter) -> bool:
    """Run one line; True to quit.  ValueError for a line that cannot be done (one line)."""
    from ..capture.textinput import HexInputError, parse_bytes
    from ..codec.close import build_close_payload
    from ..codec.spec import Direction, Opcode

    word, _, rest = line.partition(" ")
    if not line:
        return False
    if word in ("f", "d", "e", "x"):
        decision: tuple[int, bytes] | None
        if word in ("f", "d"):
            decision = None
        elif word == "e":
            decision = (Opcode.TEXT, rest.encode("utf-8"))
        else:
            try:
                decision = (Opcode.BINARY, parse_bytes(rest))
            except HexInputError as exc:
                raise ValueError(f"not hex: {exc}") from None
        if not icpt.held:
            raise ValueError("nothing is held")
        if word == "f":
            first = icpt.held[0].message
            decision = (first.opcode, first.data)
        held = icpt.resolve(decision)
        verbs = {"f": "forwarded", "d": "dropped", "e": "forwarded edited", "x": "forwarded edited"}
        if held is not None:
            reporter.info(f"#{held.number} {verbs[word]}")
        return False
    if word == "/held":
        if not icpt.held:
            reporter.info("nothing is held")
        for h in icpt.held:
            reporter.info(f"held #{h.number}: {h.conn} {h.direction.arrow} {len(h.message.data)} B")
        return False
    if word in ("/help", "/?"):
        for cmd, what in INTERCEPT_HELP:
            reporter.info(f"  {cmd:<32}{what}")
        return False
    if word in ("/quit", "/exit"):
        return True
    if word == "/conn":
        if rest not in proxy.connections:
            raise ValueError(
                f"no connection {rest!r} (open: {', '.join(proxy.connections) or 'none'})"
            )
        chosen[:] = [rest]
        return False
    if word in ("/inject", "/close"):
        where, _, arg = rest.partition(" ")
        try:
            direction = Direction(where.lower())
        except ValueError:
            raise ValueError(f"{word} needs c2s or s2c first, not {where!r}") from None
        conn = _pick(proxy, chosen)
        if word == "/inject":
            ok = conn.inject(direction, Opcode.TEXT, arg.encode("utf-8"))
        else:
            code_s, _, reason = arg.partition(" ")
            try:
                code = int(code_s) if code_s else 1000
            except ValueError:
                raise ValueError(f"close code must be a number, not {code_s!r}") from None
            ok = conn.inject(direction, Opcode.CLOSE, build_close_payload(code, reason))
        if not ok:
            raise ValueError(f"{conn.id} is not an open WebSocket connection")
        to = "server" if direction is Direction.C2S else "client"
        reporter.info(f"{conn.id}: {word[1:]} sent to the {to} (a frame made by the proxy)")
        return False
    raise ValueError(f"unknown command {word!r} (/help lists them)")


def _pick(proxy: Any, chosen: list[str]) -> Any:
    if chosen and chosen[0] in proxy.connections:
        return proxy.connections[chosen[0]]
    if not proxy.connections:
        raise ValueError("no connection is open")
    return list(proxy.connections.values())[-1]
