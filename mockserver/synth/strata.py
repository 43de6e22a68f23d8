"""Items whose values follow a log-normal distribution, as a stratified sample.

Item ``j`` of ``n`` has the value ``exp(mu + sigma * z[j])`` where ``z[j]`` is the standard normal
quantile of ``(j + 1/2) / n``: the ``n`` items cover the distribution evenly, as ``n`` real items
would on average. Their sum, sum of squares and extremes then depend on ``n`` and ``sigma`` only
(times ``exp(mu)``), so they are computed once per count and reused: a bucket of a thousand LLM
calls costs what a bucket of one costs. Statistics of a union of buckets follow exactly from the
buckets' sums, so a day's figures are the merge of its hours'.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

_NORMAL = NormalDist()
# Beyond this count the per-item mean of exp(s z) has converged (to well under 1 %): scale the
# sum for this many items instead of keeping thousands of quantiles.
_EXACT_UP_TO = 256


@lru_cache(maxsize=_EXACT_UP_TO)
def _quantiles(n: int) -> array[float]:
    return array("d", (_NORMAL.inv_cdf((j + 0.5) / n) for j in range(n)))


@lru_cache(maxsize=4096)
def quantile_sums(n: int, spreads: tuple[float, ...]) -> tuple[float, ...]:
    """For each ``s`` of ``spreads``, the sum over the ``n`` strata of ``exp(s * z[j])``.

    One lookup gives every sum a bucket of ``n`` items needs (values, squares, products).
    """
    if n <= 0:
        return (0.0,) * len(spreads)
    if n > _EXACT_UP_TO:
        return tuple(v * n / _EXACT_UP_TO for v in quantile_sums(_EXACT_UP_TO, spreads))
    zs = _quantiles(n)
    return tuple(math.fsum(math.exp(s * z) for z in zs) for s in spreads)


@lru_cache(maxsize=65536)
def top_quantile(n: int) -> float:
    """``z[n-1]``, the largest quantile (the smallest is its negative)."""
    return _NORMAL.inv_cdf(1 - 0.5 / n) if n > 1 else 0.0


@dataclass(frozen=True)
class Moments:
    """What statistics of a bucket of items need: count, sum, sum of squares, min and max."""

    n: int
    total: float
    squares: float
    low: float
    high: float

    def __add__(self, other: Moments) -> Moments:
        if not other.n:
            return self
        if not self.n:
            return other
        return Moments(self.n + other.n, self.total + other.total, self.squares + other.squares,
                       min(self.low, other.low), max(self.high, other.high))

    def stats(self, digits: int) -> dict[str, float]:
        """mean, sd (population), min, max, rounded; all 0 for an empty bucket."""
        if not self.n:
            return {"mean": 0, "sd": 0, "min": 0, "max": 0}
        mean = self.total / self.n
        sd = math.sqrt(max(self.squares / self.n - mean * mean, 0.0))
        low, high = min(self.low, mean), max(self.high, mean)  # rounding noise never inverts the order
        return {"mean": round(mean, digits), "sd": round(sd, digits), "min": round(low, digits), "max": round(high, digits)}


EMPTY = Moments(0, 0.0, 0.0, math.inf, -math.inf)


def lognormal(n: int, mu: float, sigma: float, sums: float, squares: float, q: float) -> Moments:
    """The moments of ``n`` stratified items of log-normal(mu, sigma), given the quantile sums for
    ``sigma`` and ``2 sigma`` over those items and the top quantile ``q`` of the largest stratum set.

    Items may come from several sets of strata (the hours of a day): sums add up, and the extremes
    are those of the largest set, whose outer strata reach furthest.
    """
    if n <= 0:
        return EMPTY
    scale = math.exp(mu)
    return Moments(n, scale * sums, scale * scale * squares, scale * math.exp(-abs(sigma) * q), scale * math.exp(abs(sigma) * q))
