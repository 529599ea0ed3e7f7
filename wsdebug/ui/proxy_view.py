"""The terminal view of ``wsdebug proxy``: the live view, plus who broke a rule.

A proxied connection reports the same events as ``connect`` and ``listen`` (two legs, each
frame with its real direction), so :class:`~wsdebug.ui.live_view.RichReporter` draws them.  In
transparent mode a violation is passed through rather than answered with a close, so no
"failing the connection" line follows it: this reporter adds one line per problem under the
frame, naming the side that sent it, and draws the notes the proxy emits (a stream cut inside a
frame, a message too big to decode).
"""

from __future__ import annotations

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
