"""Stratified samples: ``n`` items of a log-normal quantity that cover its distribution evenly.

Item ``j`` of ``n`` sits at the standard normal quantile ``z`` of ``(j + 1/2) / n``. Up to
``WIDTH`` items each have a stratum of their own; beyond, the ``WIDTH`` strata of a sample of
``WIDTH`` are shared out as evenly as integers allow, so every sample is at most ``WIDTH`` distinct
values with their multiplicities. The statistics of a day's items are then a weighted sum over a
row of ``WIDTH`` values, for all the days of a range in one array operation, and the statistics
of any subset of the items (the calls of half a day) are those of exactly those items.

The tables are computed once with the standard library (``math.exp``, ``NormalDist``), and the
arrays only multiply, add and round them: numbers no CPU's vector maths can change.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

import numpy as np

WIDTH = 64


@lru_cache(maxsize=1)
def quantiles() -> np.ndarray:
    """Row ``n`` (0..WIDTH): the ``z`` of each of the ``min(n, WIDTH)`` strata, padded with the last."""
    normal = NormalDist()
    table = np.zeros((WIDTH + 1, WIDTH))
    for n in range(1, WIDTH + 1):
        row = [normal.inv_cdf((j + 0.5) / n) for j in range(n)]
        table[n] = row + [row[-1]] * (WIDTH - n)
    return table


@lru_cache(maxsize=16)
def factors(spread: float) -> np.ndarray:
    """``exp(spread x z)`` over the quantile table: a log-normal item over its scale ``e^mu``."""
    return np.array([[math.exp(spread * z) for z in row] for row in quantiles().tolist()])


def multiplicities(n: np.ndarray) -> np.ndarray:
    """How many items sit in each stratum, one row per sample size: 1 for each of the first ``n``
    strata when ``n <= WIDTH``, else ``n`` shared evenly (they add up to ``n`` exactly)."""
    k = np.arange(WIDTH + 1, dtype=np.int64)
    big = np.maximum(n, WIDTH)[:, None]
    shared = (k[1:] * big) // WIDTH - (k[:-1] * big) // WIDTH
    small = (k[:-1][None, :] < n[:, None]).astype(np.int64)
    return np.where((n <= WIDTH)[:, None], small, shared)
