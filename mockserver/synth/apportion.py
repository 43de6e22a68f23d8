"""Split integer totals so that the parts always add up exactly."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into non-negative integers proportional to ``weights`` (largest remainder).

    The parts add up to ``total`` exactly, which is what lets a grouped series add up to the
    ungrouped one and hours add up to their day. Ties go to the earlier index, so the split is
    deterministic.
    """
    weight_sum = float(sum(weights))
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    scale = total / weight_sum
    exact = [w * scale for w in weights]
    parts = [int(x) for x in exact]
    short = total - sum(parts)
    if short:
        remainders = [x - p for x, p in zip(exact, parts)]
        # Largest remainders first; sorted() is stable, so ties keep the earlier index first.
        for i in sorted(range(len(remainders)), key=remainders.__getitem__, reverse=True)[:short]:
            parts[i] += 1
    return parts


def percentages(values: Sequence[int], digits: int = 2) -> list[float]:
    """Shares of ``values`` in percent, rounded so that they add up to exactly 100 (or all 0)."""
    scale = 10**digits
    units = apportion(100 * scale, values) if sum(values) > 0 else [0] * len(values)
    return [u / scale for u in units]


def apportion_array(total: int, weights: np.ndarray) -> np.ndarray:
    """``apportion`` for many parts at once (int64): largest remainder, ties to the earlier index."""
    weight_sum = float(weights.sum())
    if total <= 0 or weight_sum <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights * (total / weight_sum)
    parts = np.floor(exact).astype(np.int64)
    short = total - int(parts.sum())
    if short > 0:
        # A stable sort on the negated remainders puts ties in index order.
        parts[np.argsort(parts - exact, kind="stable")[:short]] += 1
    return parts
