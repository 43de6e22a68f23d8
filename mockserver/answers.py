"""A bounded cache of finished answers, for requests whose answer is a pure function of the request.

Every answer the synthetic world gives is a function of (seed, vendor, operation, validated input,
clock): asking again must give the same bytes, so computing them again is waste. An answer that
read the clock is kept for that clock only (with ``--now`` fixed, that is every later request); one
that used it only to cut a range ending before now (``Call.clip``) is kept for every clock from
then on, so the real clock reuses it too; one that touched stored state (jobs) is never kept. Each worker keeps its own: a miss only costs time.

The bound (``--cache-bytes``) counts what an entry really holds. A key is kept as a 16-byte digest
of what the answer depends on, never the request itself: a request's headers and body may be
megabytes, and a client sending a new one each time must not fill the server's memory.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.messages import Answer

DEFAULT_LIMIT = 16 * 1024 * 1024
# What one entry costs beyond its answer's bytes: the digest, the clock, the answer's record and
# the ordered dict's node (about 600 bytes in CPython 3.11; rounded up).
ENTRY_OVERHEAD = 768


def digest(key: Hashable) -> bytes:
    """16 bytes naming ``key`` (tuples of str, bytes, numbers, None and datetimes, nested)."""
    return hashlib.blake2b(repr(key).encode("utf-8", "backslashreplace"), digest_size=16).digest()


def held(answer: Answer) -> int:
    """The bytes the cache holds for ``answer``: body, headers, parsed query and reason, and the entry."""
    size = len(answer.body) + ENTRY_OVERHEAD
    size += sum(len(name) + len(value) + 100 for name, value in answer.headers.items())
    if answer.query:
        size += sum(len(name) + sum(len(v) + 60 for v in values) + 100 for name, values in answer.query.items())
    return size + len(answer.reason or "")


class AnswerCache:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self.size = 0
        # (digest, clock read or None) -> (answer, bytes held, first clock it holds for, first it does not)
        self._answers: OrderedDict[tuple[bytes, datetime | None], tuple[Answer, int, datetime | None, datetime | None]] = (
            OrderedDict()
        )

    def get(self, key: Hashable, clock: datetime) -> Answer | None:
        """The answer kept for ``key`` (one that did not read the clock, or one made at ``clock``).
        It is shared: copy it before changing it."""
        if not self._answers:
            return None
        name = digest(key)
        for slot in ((name, None), (name, clock)):
            found = self._answers.get(slot)
            if found is not None and (found[2] is None or found[2] <= clock) and (found[3] is None or clock < found[3]):
                self._answers.move_to_end(slot)
                return found[0]
        return None

    def put(
        self,
        key: Hashable,
        clock: datetime | None,
        answer: Answer,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> None:
        """Keep ``answer``; ``clock`` is the time it read, None when it read none (then it holds for
        the clocks in [valid_from, valid_until), either end open when None)."""
        cost = held(answer)
        if cost > self.limit // 8:
            return  # one huge answer would push out many small ones (and a limit of 0 keeps none)
        slot = (digest(key), clock)
        previous = self._answers.pop(slot, None)
        if previous is not None:
            self.size -= previous[1]
        self._answers[slot] = (answer.copy(), cost, valid_from, valid_until)  # the caller may go on changing its own
        self.size += cost
        while self.size > self.limit:
            _, (_, dropped, _, _) = self._answers.popitem(last=False)
            self.size -= dropped


class FileCache:
    """Rendered download files, least recently used out first, bounded by their bytes.

    Read on the event loop and filled by rendering threads, hence its lock.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._files: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._files.get(key)
            if found is None:
                return None
            self._files.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        if size > self.limit:
            return
        with self._lock:
            previous = self._files.pop(key, None)
            if previous is not None:
                self.size -= previous[1]
            self._files[key] = (value, size)
            self.size += size
            while self.size > self.limit:
                _, (_, dropped) = self._files.popitem(last=False)
                self.size -= dropped
