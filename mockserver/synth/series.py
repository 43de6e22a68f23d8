"""Turn per-day and per-hour figures into bucketed series.

Days fully inside the range contribute their day totals; only the (at most two) edge days are
split into hours. So a series costs one step per day covered, whatever its dimension, and every
bucket of every dimension is a sum of the same hours: granularities agree by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

from mockserver.errors import INVALID_PARAMETER, Problem
from mockserver.synth.calendar import bucket_count, bucket_start, buckets, day_start

K = TypeVar("K", bound=Hashable)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
LAST_MS = timedelta(milliseconds=1)
# Enough for hourly points over the whole history the world keeps (see HISTORY_DAYS).
MAX_POINTS = 50_000


def check_size(
    start: datetime,
    end: datetime,
    dimension: str,
    groups: int = 1,
    limit: int = MAX_POINTS,
    hint: str = "Narrow the range or choose a coarser bucket.",
    items: str = "points",
) -> None:
    """Refuse, with a 400 that says how to narrow it (``hint``: the endpoint's own parameters), an
    answer of ``items`` that would be unreasonably large."""
    points = bucket_count(start, end, dimension) * max(groups, 1)
    if points > limit:
        raise Problem(
            INVALID_PARAMETER,
            f"The answer would hold {points} {items} ({dimension} buckets from {start.date()} to {end.date()}"
            f"{f' for {groups} groups' if groups > 1 else ''}); the limit is {limit}. {hint}",
            "query",
        )


def accumulate(
    start: datetime,
    end: datetime,
    dimension: str,
    day_values: Callable[[date], Mapping[K, int]],
    hour_values: Callable[[date], Mapping[K, Sequence[int]]],
) -> dict[datetime, dict[K, int]]:
    """Sum each key's activity over the hours that overlap [start, end], by bucket of ``dimension``.

    ``hour_values(day)[key]`` must be 24 numbers adding up to ``day_values(day)[key]``.
    """
    sums: dict[datetime, dict[K, int]] = {}
    if end < start:
        return sums
    day = start.date()
    while day <= end.date():
        first = day_start(day)
        if dimension != "hour" and start <= first and first + DAY - LAST_MS <= end:
            target = sums.setdefault(bucket_start(first, dimension), {})
            for key, value in day_values(day).items():
                target[key] = target.get(key, 0) + value
        else:
            hours = hour_values(day)
            for hour in range(24):
                begins = first + hour * HOUR
                if begins + HOUR - LAST_MS < start or begins > end:
                    continue
                target = sums.setdefault(bucket_start(begins, dimension), {})
                for key, values in hours.items():
                    target[key] = target.get(key, 0) + values[hour]
        day += DAY
    return sums


def zero_filled(
    start: datetime, end: datetime, dimension: str, sums: Mapping[datetime, Mapping[K, int]], keys: Sequence[K]
) -> list[tuple[datetime, K, int]]:
    """Every bucket of [start, end] for every key, 0 where nothing happened, ordered by bucket then key."""
    return [(b, key, sums.get(b, {}).get(key, 0)) for b in buckets(start, end, dimension) for key in keys]
