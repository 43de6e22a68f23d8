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
from dataclasses import fields
from datetime import datetime
from typing import Any

from mockserver.messages import Answer

DEFAULT_LIMIT = 16 * 1024 * 1024
# What one entry costs beyond its answer's bytes: its name, the tuple of the answer's fields, its
# size and the ordered dict's node (about 480 bytes in CPython 3.11, by tracemalloc; rounded up).
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

    Thread-safe: the file cache is read on the event loop and filled by rendering threads. Sizes
    are kept beside the values, not paired with them in tuples: a value the garbage collector need
    not track (AnswerCache's) stays that way."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: Any, size: int) -> None:
        """Keep ``value``; one larger than ``limit`` is not kept at all."""
        if size > self.limit:
            return
        with self._lock:
            self.size += size - self._sizes.get(key, 0)
            self._items[key] = value
            self._items.move_to_end(key)
            self._sizes[key] = size
            while self.size > self.limit:
                dropped, _ = self._items.popitem(last=False)
                self.size -= self._sizes.pop(dropped)


class AnswerCache:
    """Answers by their name: 16 bytes (``name`` or ``digest``) of what the answer depends on.

    An entry is a tuple of strings, bytes, numbers and instants (the answer's field values, its
    headers as pairs), which the garbage collector stops tracking the first time it sees it. The
    cache holds thousands of answers, replaced as fast as requests come; kept as objects the
    collector tracks (an answer, its dicts and lists), they were most of what every collection
    visited, and their churn held the young collections back until each had thousands to visit.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        # name (+ the clock read, when it read one) -> (valid_from, valid_until, the answer's field values)
        self._entries = BoundedLRU(limit)

    def get(self, key: bytes, clock: datetime) -> Answer | None:
        """A copy of the answer kept under ``key`` (one that holds at ``clock``, or one made at
        ``clock``), marked ``X-Mock-Cache: hit`` for a person reading the headers."""
        values = _holding(self._entries.get(key), clock)
        if values is None:  # then one kept for this clock only (its name is made only now)
            values = _holding(self._entries.get(key + _clock_name(clock)), clock)
        return None if values is None else _answer(values)

    def put(self, key: bytes, clock: datetime, answer: Answer) -> None:
        """Keep ``answer``, made at ``clock``: for that clock only when it read the clock, else for
        the clocks in [answer.valid_from, answer.valid_until), either end open when None."""
        cost = held(answer)
        if cost > self._entries.limit // 8:
            return  # one huge answer would push out many small ones (and a limit of 0 keeps none)
        slot = key + _clock_name(clock) if answer.read_clock else key
        self._entries.put(slot, (answer.valid_from, answer.valid_until, _values(answer)), cost)


def _holding(entry: tuple[Any, ...] | None, clock: datetime) -> tuple[Any, ...] | None:
    """The answer's values of ``entry`` (valid_from, valid_until, values) if it holds at ``clock``."""
    if entry is None:
        return None
    valid_from, valid_until, values = entry
    if (valid_from is None or valid_from <= clock) and (valid_until is None or clock < valid_until):
        return values
    return None


def _clock_name(clock: datetime) -> bytes:
    """What follows an answer's 16-byte name when it holds for one clock only (clocks are UTC)."""
    return clock.isoformat().encode()


# An answer's fields in the order an entry keeps their values.
_FIELDS = tuple(field.name for field in fields(Answer))


def _values(answer: Answer) -> tuple[Any, ...]:
    """``answer``'s field values (``_FIELDS``): strings, bytes, numbers and instants, its headers
    as pairs, its warnings a tuple, and no parsed query (the journal parses the query string of a
    request answered from the cache)."""
    kept = dict(answer.__dict__)
    kept.update(headers=tuple(answer.headers.items()), warnings=tuple(answer.warnings), query=None)
    return tuple(kept[name] for name in _FIELDS)


def _answer(values: tuple[Any, ...]) -> Answer:
    """An answer from ``_values``, marked as given by the cache."""
    twin = object.__new__(Answer)
    twin.__dict__.update(zip(_FIELDS, values))
    twin.headers = dict(twin.headers)
    twin.headers["X-Mock-Cache"] = "hit"
    twin.warnings = list(twin.warnings)
    twin.cached = True
    return twin
