"""What an answer derives from the sums: ratios, outcome rates and duration statistics."""

from __future__ import annotations

import math
from typing import Any

from mockserver.profiles.generalbots.bots import ABANDONED, DURATION_BINS, ESCALATED, RESOLVED

# Each duration bin covers a band of lengths around its value (1.25x wide, as the bins are
# spaced); the last is open-ended up to three times its value, the long tail of conversations
# left open. A bin's n conversations of a range are a stratified sample of its band: the j-th
# lies at the log-position (j + 1/2) / n. So one conversation sits at its bin's value, extremes
# reach further out as a range holds more conversations (the minimum of a union is at most its
# parts', the maximum at least), and every statistic is one of the range's own conversations.
_HALF_STEP = math.sqrt(1.25)
_BANDS = tuple(
    (value / _HALF_STEP, value * 3.0 if i == len(DURATION_BINS) - 1 else value * _HALF_STEP)
    for i, value in enumerate(DURATION_BINS)
)


def _item(bin_index: int, j: int, n: int) -> float:
    """The j-th (0-based) of n conversations of a bin, in seconds."""
    low, high = _BANDS[bin_index]
    return low * (high / low) ** ((j + 0.5) / n)


def _band_sum(bin_index: int, n: int) -> float:
    """The seconds of all n conversations of a bin (a geometric series)."""
    low, high = _BANDS[bin_index]
    step = (high / low) ** (1 / n)
    return low * step**0.5 * (high / low - 1) / (step - 1)


def durations(histogram: list[int]) -> dict[str, Any]:
    bins = histogram[: len(DURATION_BINS)]
    count = sum(bins)
    if not count:
        return {"count": 0, "avg": None, "median": None, "p90": None, "min": None, "max": None}

    def rank(r: int) -> float:
        """The r-th (0-based) shortest conversation."""
        for index, n in enumerate(bins):
            if r < n:
                return _item(index, r, n)
            r -= n
        raise AssertionError("rank beyond the sample")

    def median() -> float:
        middle = (count - 1) // 2
        return rank(middle) if count % 2 else (rank(middle) + rank(middle + 1)) / 2

    return {
        "count": count,
        "avg": round(sum(_band_sum(i, n) for i, n in enumerate(bins) if n) / count, 1),
        "median": round(median(), 1),
        "p90": round(rank(math.ceil(0.9 * count) - 1), 1),
        "min": round(rank(0), 1),
        "max": round(rank(count - 1), 1),
    }


def outcome_rates(totals: list[int]) -> dict[str, float | None]:
    """Shares of ended conversations that were resolved, escalated, abandoned."""
    ended = totals[RESOLVED] + totals[ESCALATED] + totals[ABANDONED]
    return {
        f"{rate}_rate": ratio(totals[index], ended, 4)
        for rate, index in (("resolution", RESOLVED), ("escalation", ESCALATED), ("abandonment", ABANDONED))
    }


def ratio(numerator: float, denominator: float, digits: int = 2) -> float | None:
    return round(numerator / denominator, digits) if denominator else None
