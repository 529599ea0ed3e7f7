"""``wsdebug proxy --intercept``: matching messages are held until the person decides.

The :class:`Interceptor` sits where ``--script``'s hook sits (terminated legs, see
:mod:`wsdebug.live.proxy_script`), but asynchronously: a matching message is put on
:attr:`Interceptor.held` with a future, and the leg it travels on waits for the future (later
messages in that direction wait behind it, so the order is kept).  The prompt
(:mod:`wsdebug.ui.proxy_view`) resolves the future with the message to forward (as it was or
edited) or None to drop it.  Non-matching messages pass without waiting.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from dataclasses import dataclass, field

from ..codec.events import InfoEvent
from ..codec.spec import Direction, Opcode
from .proxy_script import ScriptMessage
from .reporter import Reporter

Decision = tuple[int, bytes] | None  #: (opcode, data) to forward, None to drop


@dataclass
class Held:
    number: int
    conn: str
    direction: Direction
    message: ScriptMessage
    decided: asyncio.Future[Decision] = field(repr=False)


class Interceptor:
    """Holds the messages that match all the filters given (none: every message)."""

    def __init__(
        self,
        reporter: Reporter,
        *,
        direction: Direction | None = None,
        opcode: int | None = None,
        pattern: str | None = None,
    ) -> None:
        self.reporter = reporter
        self.direction, self.opcode = direction, opcode
        self.pattern = re.compile(pattern) if pattern else None  # re.error for a bad one
        self.held: deque[Held] = deque()
        self._count = 0

    def matches(self, direction: Direction, msg: ScriptMessage) -> bool:
        if self.direction is not None and direction is not self.direction:
            return False
        if self.opcode is not None and msg.opcode != self.opcode:
            return False
        if self.pattern is not None:
            text = msg.text if msg.text is not None else msg.data.decode("latin-1")
            return self.pattern.search(text) is not None
        return True

    async def decide(self, conn: str, direction: Direction, msg: ScriptMessage) -> Decision:
        if not self.matches(direction, msg):
            return msg.opcode, msg.data
        self._count += 1
        fut: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        held = Held(self._count, conn, direction, msg, fut)
        self.held.append(held)
        kind = "TEXT" if msg.opcode == Opcode.TEXT else "BINARY"
        shown = msg.text if msg.text is not None else msg.data[:64].hex(" ")
        if len(shown) > 200:
            shown = shown[:200] + "…"
        self.reporter.emit(
            InfoEvent(
                f"held #{held.number}: {conn} {direction.arrow} {kind} {len(msg.data)} B  {shown!r}"
                "   (f forward · d drop · e TEXT · x HEX)"
            )
        )
        try:
            return await fut
        finally:
            if held in self.held:
                self.held.remove(held)

    def resolve(self, decision: Decision) -> Held | None:
        """Decide the oldest held message; None when nothing is held."""
        while self.held:
            held = self.held.popleft()
            if not held.decided.done():
                held.decided.set_result(decision)
                return held
        return None
