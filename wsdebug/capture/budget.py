"""The inflation budget of a replay: what a capture's compressed messages may inflate to.

A recorded message may be a zip bomb, and so may a capture of many: one message inflates to at
most :data:`MAX_INFLATED`, and every message of every conversation of a capture together to
:data:`MAX_INFLATED_TOTAL` (:class:`InflateBudget`, shared by the conversations).
"""

from __future__ import annotations

from collections.abc import Callable

from ..codec.deflate import MessageTooBig

#: Inflated size beyond which a recorded message counts as a zip bomb (MESSAGE_TOO_BIG).
MAX_INFLATED = 256 * 1024 * 1024
#: Inflated bytes one capture may hold in all its messages together (every conversation).
MAX_INFLATED_TOTAL = 512 * 1024 * 1024


class InflateBudget:
    """The inflated bytes a whole capture may still produce: shared by every direction of
    every conversation, so eight 250 MiB messages cannot hold 2 GB.  Once it is spent, later
    compressed messages are not inflated (MESSAGE_TOO_BIG says why)."""

    def __init__(self, total: int = MAX_INFLATED_TOTAL) -> None:
        self.total, self.left = total, total

    def wrap(self, inflate: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
        return _Within(self, inflate)

    def _spent(self) -> str:
        return (
            f"not inflated: the capture's messages already inflate to "
            f"{self.total >> 20} MiB in all (the replay's total inflation budget)"
        )


class _Within:
    """An inflater that spends a budget (an object, not a closure: a copy of a decoder's
    state, capture.lazy's checkpoints, copies the inflater and the budget with it)."""

    def __init__(self, budget: InflateBudget, inflate: Callable[[bytes], bytes]) -> None:
        self.budget, self.inflate = budget, inflate

    def __call__(self, payload: bytes) -> bytes:
        budget = self.budget
        if budget.left <= 0:
            raise MessageTooBig(budget._spent())
        out = self.inflate(payload)
        if len(out) > budget.left:
            budget.left = 0
            raise MessageTooBig(budget._spent())
        budget.left -= len(out)
        return out
