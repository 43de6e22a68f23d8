"""A bounded cache of finished answers, for requests whose answer is a pure function of the request.

Every answer the synthetic world gives is a function of (seed, vendor, operation, validated input,
clock): asking again must give the same bytes, so computing them again is waste. An answer that
read the clock is kept for that clock only (with ``--now`` fixed, that is every later request);
one that touched stored state (jobs) is never kept. The cache holds at most ``limit`` bytes of
bodies and drops the least recently used first. Each worker keeps its own: a miss only costs time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockserver.messages import Answer

DEFAULT_LIMIT = 16 * 1024 * 1024


class AnswerCache:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self.size = 0
        self._answers: OrderedDict[tuple[Hashable, datetime | None], Answer] = OrderedDict()

    def get(self, key: Hashable, clock: datetime) -> Answer | None:
        """The answer kept for ``key`` (one that did not read the clock, or one made at ``clock``).
        It is shared: copy it before changing it."""
        for slot in ((key, None), (key, clock)):
            found = self._answers.get(slot)
            if found is not None:
                self._answers.move_to_end(slot)
                return found
        return None

    def put(self, key: Hashable, clock: datetime | None, answer: Answer) -> None:
        """Keep ``answer``; ``clock`` is the time it read, None when it read none."""
        cost = len(answer.body) + 200  # the body, and roughly what the key and record cost
        if cost > self.limit // 8:
            return  # one huge answer would push out many small ones
        slot = (key, clock)
        previous = self._answers.pop(slot, None)
        if previous is not None:
            self.size -= len(previous.body) + 200
        self._answers[slot] = answer.copy()  # the caller may go on changing its own
        self.size += cost
        while self.size > self.limit:
            _, dropped = self._answers.popitem(last=False)
            self.size -= len(dropped.body) + 200
