"""The size limit every bucketed series shares (``check_size``).

Each profile sums its own days into buckets the same way: days fully inside the range contribute
their day totals and only the (at most two) edge days are split into hours, so a series costs one
step per day covered and every bucket of every dimension is a sum of the same hours.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import TypeVar

from mockserver.errors import INVALID_PARAMETER, Problem
from mockserver.synth.calendar import bucket_count

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
