"""What an answer derives from the sums: ratios, outcome rates and duration statistics."""

from __future__ import annotations

import math
from typing import Any

from mockserver.profiles.generalbots.bots import ABANDONED, DURATION_BINS, ESCALATED, RESOLVED


def durations(histogram: list[int]) -> dict[str, Any]:
    bins = histogram[: len(DURATION_BINS)]
    count = sum(bins)
    if not count:
        return {"count": 0, "avg": None, "median": None, "p90": None, "min": None, "max": None}

    def rank(fraction: float) -> float:
        needed, seen = math.ceil(fraction * count), 0
        for value, n in zip(DURATION_BINS, bins):
            seen += n
            if seen >= needed:
                return float(value)
        return float(DURATION_BINS[-1])

    filled = [v for v, n in zip(DURATION_BINS, bins) if n]
    return {
        "count": count,
        "avg": round(sum(v * n for v, n in zip(DURATION_BINS, bins)) / count, 1),
        "median": rank(0.5),
        "p90": rank(0.9),
        "min": float(filled[0]),
        "max": float(filled[-1]),
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
