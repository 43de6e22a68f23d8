"""Histograms of per-item values (messages per conversation, seconds per call, ...).

A day keeps the histogram of its items rather than the items; medians and percentiles over a
range come from the merged histograms, so they are medians of the modelled values and agree
with the totals (the total is the sum of value x count).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def bell(values: Sequence[float], centre: float, spread: float) -> list[float]:
    """Weights of a log-normal-like shape over ``values`` peaking at ``centre``."""
    return [math.exp(-((math.log(max(v, 1e-9)) - math.log(centre)) ** 2) / (2 * spread**2)) for v in values]


def nth(values: Sequence[float], histogram: Sequence[int], k: int) -> float:
    """The k-th smallest item (0-based) of a histogram."""
    seen = 0
    for value, count in zip(values, histogram):
        seen += count
        if seen > k:
            return value
    return values[-1]


def median(values: Sequence[float], histogram: Sequence[int]) -> float | None:
    """The median item: the middle one, or the mean of the two middle ones; None when empty."""
    n = sum(histogram)
    if n == 0:
        return None
    if n % 2:
        return nth(values, histogram, n // 2)
    return (nth(values, histogram, n // 2 - 1) + nth(values, histogram, n // 2)) / 2


def total(values: Sequence[float], histogram: Sequence[int]) -> float:
    return sum(v * c for v, c in zip(values, histogram))
