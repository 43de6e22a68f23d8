"""Items whose values follow a log-normal distribution, as a stratified sample.

Item ``j`` of ``n`` has the value ``exp(mu + sigma * z[j])`` where ``z[j]`` is the standard normal
quantile of ``(j + 1/2) / n``: the ``n`` items cover the distribution evenly, as ``n`` real items
would on average. Their sum, sum of squares and extremes then depend on ``n`` and ``sigma`` only
(times ``exp(mu)``), so they are computed once per count and reused: a bucket of a thousand LLM
calls costs what a bucket of one costs. Statistics of a union of buckets follow exactly from the
buckets' sums, so a day's figures are the merge of its hours'. They are plain numbers and
functions, not objects: a day's record needs a dozen of them, on the path of every request.
"""

from __future__ import annotations

import math
from array import array
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


@lru_cache(maxsize=8192)
def extremes(n: int, spreads: tuple[float, ...]) -> tuple[tuple[float, float], ...]:
    """For each ``s`` of ``spreads``, ``(e^(-|s| q), e^(|s| q))`` with ``q`` the top quantile of ``n``
    strata: the smallest and the largest of the items over their scale ``e^mu``.

    Items may come from several sets of strata (the hours of a day): their extremes are those of
    the largest set, whose outer strata reach furthest, so ``n`` is that set's size.
    """
    q = top_quantile(n)
    return tuple((math.exp(-abs(s) * q), math.exp(abs(s) * q)) for s in spreads)


def stats(n: int, total: float, squares: float, low: float, high: float, digits: int) -> dict[str, float]:
    """mean, sd (population), min and max of ``n`` items from their sum, sum of squares and
    extremes, rounded to ``digits``; all 0 when there are none.

    For ``n`` stratified items of log-normal(mu, sigma) with scale ``c = e^mu``: the sum is ``c``
    times the quantile sum for ``sigma``, the sum of squares ``c * c`` times that for ``2 sigma``,
    and the extremes ``c`` times ``extremes``. Sums of several sets of items add up.
    """
    if n <= 0:
        return {"mean": 0, "sd": 0, "min": 0, "max": 0}
    mean = total / n
    sd = math.sqrt(max(squares / n - mean * mean, 0.0))
    low, high = min(low, mean), max(high, mean)  # rounding noise never inverts the order
    return {"mean": round(mean, digits), "sd": round(sd, digits), "min": round(low, digits), "max": round(high, digits)}
