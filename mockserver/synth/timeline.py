"""One meaning of time for every vendor's world: instants in UTC milliseconds.

A range's bounds are parsed into instants once, at the edge; the world sees only instants, so an
answer never depends on how a bound was spelled. Activity is made of events, each at an instant:
a range counts the events whose instant lies in it, so any split of a range adds up to the whole
for every additive figure, and a range of one millisecond holds only that millisecond's events.
"Now" is an instant too: an event after it has not happened yet, and the hour holding it is
simply partial.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from mockserver.timeutil import UTC

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()


def to_ms(moment: datetime) -> int:
    """Milliseconds since 1970-01-01T00:00:00Z (negative before); sub-millisecond digits are cut."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_ms(instant: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=instant)


def day_ordinal(instant: int) -> int:
    """The proleptic Gregorian ordinal (``date.toordinal``) of the UTC day holding ``instant``."""
    return _EPOCH_ORDINAL + instant // DAY_MS


def day_start_ms(ordinal: int) -> int:
    return (ordinal - _EPOCH_ORDINAL) * DAY_MS


def day_of(ordinal: int) -> date:
    return date.fromordinal(ordinal)


@dataclass(frozen=True)
class Span:
    """The instants ``first`` to ``last`` (both included) of one range; the caller has cut it at now
    (``Call.clip``, ``Call.history_clock``)."""

    first: int
    last: int

    def days(self) -> range:
        """Ordinals of the UTC days the span touches."""
        return range(day_ordinal(self.first), day_ordinal(self.last) + 1)

    def within(self, ordinal: int) -> tuple[int, int]:
        """The part of the span inside day ``ordinal``, as offsets (ms) from the day's start."""
        start = day_start_ms(ordinal)
        return max(self.first - start, 0), min(self.last - start, DAY_MS - 1)


def in_range(instants: np.ndarray, low: int, high: int) -> slice:
    """The slice of sorted ``instants`` that lies in [low, high]."""
    return slice(int(np.searchsorted(instants, low, "left")), int(np.searchsorted(instants, high, "right")))
