"""The LLM calls of a Botpress bot-day, as a stratified sample (synth/strata.py) of known values.

A call's output and input tokens are whole numbers, log-normal around a day's scales; its speed
(output tokens per second) falls a little as its output grows; its latency is its output over its
speed; its cost is its tokens at the model's prices. A day's scales sit at one of ``LEVELS``
steps around the typical call, so every call value a day can hold is in tables worked out once,
and so are the sums and extremes of any day's sample: the statistics of all the days of a range
are a few table lookups, and the calls of part of a day (events.py) read the same values.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from mockserver.synth import strata

# USD per token, a mid-range hosted model (GPT-4o-mini's published price).
PRICE_IN, PRICE_OUT = 0.15 / 1_000_000, 0.60 / 1_000_000
# Log-scale spread of a call's output tokens, input tokens and output speed. Longer answers stream
# a little slower: speed falls as output grows (the same stratum z, opposite sign).
SIGMA_OUT, SIGMA_IN, SIGMA_SPEED = 0.6, 0.5, 0.3
# A typical call: 160 output and 900 input tokens (a support bot's retrieval-sized prompt) at
# 60 output tokens per second; a day's scales drift within these bounds, in LEVELS steps.
LOG_OUT, LOG_IN, LOG_SPEED = math.log(160), math.log(900), math.log(60)
DRIFT_OUT, DRIFT_IN, DRIFT_SPEED = 0.15, 0.2, 0.2
LEVELS = 8
# Quantities summed over a day's calls, in this order.
SUMS = ("outputTokens", "inputTokens", "latency", "latency2", "speed", "speed2", "cost2")
# Quantities whose extremes the statistics need, in this order.
EXTREMES = ("latency", "speed", "cost")


class Values(NamedTuple):
    """Every call value for one day's scales: rows of ``strata.WIDTH`` per sample size (65 x 64)."""

    output_tokens: np.ndarray
    input_tokens: np.ndarray
    speed: np.ndarray
    latency: np.ndarray
    cost: np.ndarray


def _levels(log_typical: float, drift: float) -> list[float]:
    # math.exp, not np.exp: the same bits on every CPU.
    return [math.exp(log_typical - drift + 2 * drift * (j + 0.5) / LEVELS) for j in range(LEVELS)]


@lru_cache(maxsize=1)
def _bases() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Output tokens, input tokens and speed for each level: (LEVELS, 65, 64)."""
    out = np.stack([np.maximum(np.rint(c * strata.factors(SIGMA_OUT)), 1) for c in _levels(LOG_OUT, DRIFT_OUT)])
    inp = np.stack([np.maximum(np.rint(c * strata.factors(SIGMA_IN)), 1) for c in _levels(LOG_IN, DRIFT_IN)])
    speed = np.stack([c * strata.factors(-SIGMA_SPEED) for c in _levels(LOG_SPEED, DRIFT_SPEED)])
    return out, inp, speed


def values(level: int) -> Values:
    """The call values of a day whose scales are at ``level`` (see ``level``)."""
    out, inp, speed = _bases()
    o, i, v = out[level // LEVELS**2 % LEVELS], inp[level // LEVELS % LEVELS], speed[level % LEVELS]
    return Values(o, i, v, 1000 * o / v, PRICE_IN * i + PRICE_OUT * o)


def level(out: np.ndarray, inp: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """One index for a day's three levels (uniforms in [0, 1) pick each)."""
    pick = (np.stack((out, inp, speed)) * LEVELS).astype(np.int64)
    return (pick[0] * LEVELS + pick[1]) * LEVELS + pick[2]


@lru_cache(maxsize=1)
def tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For every level (LEVELS**3): the SUMS over the first ``n`` strata of row ``n`` (n <= WIDTH);
    the SUMS over the extra items of a sample of ``q x WIDTH + r`` (row WIDTH, r = 0..WIDTH-1);
    and the EXTREMES of the first and of the last item of each row.

    Worked out once for the levels of each quantity alone (output, input, speed) or in pairs
    (latency, cost), then spread over all the levels; sums are plain reductions (no BLAS, whose
    order of additions may differ between machines)."""
    width = strata.WIDTH
    k = np.arange(width)
    first_n = (k[None, :] < np.arange(width + 1)[:, None]).astype(float)  # (65, 64)
    r = np.arange(width)[:, None]
    extra = (((k + 1) * r) // width - (k * r) // width).astype(float)  # (64, 64)
    rows, last = np.arange(width + 1), np.maximum(np.arange(width + 1) - 1, 0)
    out, inp, speed = _bases()
    o, i, v = out[:, None, None], inp[None, :, None], speed[None, None, :]  # axes: output, input, speed levels
    latency = 1000 * o / v
    cost = PRICE_IN * i + PRICE_OUT * o
    # Squares as products: numpy may compute powers with the CPU's vector maths.
    items = (o, i, latency, latency * latency, v, v * v, cost * cost)
    shape = (LEVELS, LEVELS, LEVELS)

    def spread(table: np.ndarray) -> np.ndarray:
        return np.broadcast_to(table, (*shape, *table.shape[3:])).reshape(LEVELS**3, *table.shape[3:])

    whole = np.stack([spread((item * first_n).sum(axis=-1)) for item in items], axis=-1)
    extras = np.stack([spread((item[..., width, None, :] * extra).sum(axis=-1)) for item in items], axis=-1)
    ends = [(item[..., 0], item[..., rows, last]) for item in (latency, v, cost)]
    lows = np.stack([spread(np.minimum(*pair)) for pair in ends], axis=-1)
    highs = np.stack([spread(np.maximum(*pair)) for pair in ends], axis=-1)
    return whole, extras, lows, highs


def day_sums(levels: np.ndarray, calls: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The SUMS (days, 7) and the extremes (days, 3) each of the days' calls."""
    whole, extras, lows, highs = tables()
    width = strata.WIDTH
    row = np.minimum(calls, width)
    big = (calls // width)[:, None] * whole[levels, width] + extras[levels, calls % width]
    sums = np.where((calls < width)[:, None], whole[levels, row], big)
    return sums, lows[levels, row], highs[levels, row]
