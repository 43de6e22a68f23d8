"""A bounded cache of finished answers, for requests whose answer is a pure function of the request.

Every answer the synthetic world gives is a function of (seed, vendor, operation, validated input,
clock): asking again must give the same bytes, so computing them again is waste. An answer that
read the clock is kept for that clock only (with ``--now`` fixed, that is every later request); one
that used it only to cut a range ending before now (``Call.clip``) is kept for every clock from
then on, so the real clock reuses it too; one that touched stored state (jobs) is never kept. Each
worker keeps its own: a miss only costs time.

An answer has two names: its call's (the validated input, so that two spellings of one range
share it) and, from the second time a request is asked, the request's own (what was sent, so a
repeat skips routing and validation too). A request asked once, as nearly all are under varied
traffic, costs one entry, not two.

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


def named(parts: list[str], tail: bytes = b"") -> bytes:
    """16 bytes naming the strings ``parts`` and then ``tail``, without ``repr`` (a request is named
    twice per miss and once per hit, and ``repr`` is most of ``digest``'s cost).

    The text hashed is the number of parts, then each part, then the tail, NUL before each: that
    reads back one way only when no part holds a NUL itself (the joined parts then hold exactly one
    fewer NUL than there are parts), so no other parts and tail give it; parts that hold a NUL are
    named by ``digest``, whose text holds no raw NUL, so never as any of the others."""
    text = "\x00".join(parts)
    if text.count("\x00") != len(parts) - 1:
        return digest(("parts", tuple(parts), tail))
    head = f"{len(parts)}\x00{text}\x00"
    return hashlib.blake2b(head.encode("utf-8", "surrogatepass") + tail, digest_size=16).digest()


def held(answer: Answer) -> int:
    """The bytes the cache holds for ``answer``: body, headers, parsed query and reason, and the entry."""
    size = len(answer.body) + ENTRY_OVERHEAD + len(answer.reason or "")
    for header, value in answer.headers.items():
        size += len(header) + len(value) + 100
    if answer.query:
        for parameter, values in answer.query.items():
            size += len(parameter) + 100 + 60 * len(values) + sum(map(len, values))
    return size


class BoundedLRU:
    """Values by key, least recently used out first, bounded by the bytes each is said to hold.

    Thread-safe: the file cache is read on the event loop and filled by rendering threads."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        """Keep ``value``; one larger than ``limit`` is not kept at all."""
        if size > self.limit:
            return
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self.size -= previous[1]
            self._items[key] = (value, size)
            self.size += size
            while self.size > self.limit:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= dropped


class AnswerCache:
    """Answers by their name: 16 bytes (``name`` or ``digest``) of what the answer depends on."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        # (name, clock read or None) -> (answer, first clock it holds for, first it does not)
        self._entries = BoundedLRU(limit)

    def get(self, key: bytes, clock: datetime) -> Answer | None:
        """A copy of the answer kept under ``key`` (one that holds at ``clock``, or one made at
        ``clock``), marked ``X-Mock-Cache: hit`` for a person reading the headers."""
        for slot in ((key, None), (key, clock)):
            found = self._entries.get(slot)
            if found is not None and (found[1] is None or found[1] <= clock) and (found[2] is None or clock < found[2]):
                answer: Answer = found[0].copy()
                answer.headers["X-Mock-Cache"] = "hit"
                answer.cached = True
                return answer
        return None

    def put(self, key: bytes, clock: datetime, answer: Answer) -> None:
        """Keep ``answer``, made at ``clock``: for that clock only when it read the clock, else for
        the clocks in [answer.valid_from, answer.valid_until), either end open when None."""
        cost = held(answer)
        if cost > self._entries.limit // 8:
            return  # one huge answer would push out many small ones (and a limit of 0 keeps none)
        slot = (key, clock if answer.read_clock else None)
        # A copy: the caller may go on changing its own.
        self._entries.put(slot, (answer.copy(), answer.valid_from, answer.valid_until), cost)
