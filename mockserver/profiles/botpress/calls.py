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
# The columns of a set of calls' summary: sums, sums of squares, then the extremes (lowest, highest)
# of the quantities whose statistics a record gives.
COLUMNS = (
    "outputTokens",
    "inputTokens",
    "latency",
    "speed",
    "cost",
    "latency2",
    "speed2",
    "cost2",
    "latencyMin",
    "speedMin",
    "costMin",
    "latencyMax",
    "speedMax",
    "costMax",
)
SUMMED = 8  # the first 8 columns add up over sets of calls
_LEVEL_WEIGHTS = np.array([LEVELS * LEVELS, LEVELS, 1])
_STEPS = np.array(float(LEVELS))  # 0-d, as days.py's constants: faster than a Python scalar operand


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


def level(uniforms: np.ndarray) -> np.ndarray:
    """One index per day for its three levels (output, input, speed), from three rows of uniforms in
    [0, 1) (a value per day)."""
    return _LEVEL_WEIGHTS @ (uniforms * _STEPS).astype(np.int64)


@lru_cache(maxsize=1)
def tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every level (LEVELS**3), the summary (COLUMNS) of the first ``n`` strata of row ``n``
    (n = 0..WIDTH), and of the extra items of a sample of ``q x WIDTH + r`` (row WIDTH, r = 0..WIDTH-1;
    no extremes); and which columns add up.

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
    shape = (LEVELS, LEVELS, LEVELS)

    def spread(table: np.ndarray) -> np.ndarray:
        return np.broadcast_to(table, (*shape, *table.shape[3:])).reshape(LEVELS**3, *table.shape[3:])

    # Squares as products: numpy may compute powers with the CPU's vector maths.
    summed = (o, i, latency, v, cost, latency * latency, v * v, cost * cost)
    ends = [(item[..., 0], item[..., rows, last]) for item in (latency, v, cost)]
    empty = (rows == 0)[:, None]  # no calls: no extremes
    whole = np.stack(
        [spread((item * first_n).sum(axis=-1)) for item in summed]
        + [spread(np.where(empty.T[0], 0.0, np.minimum(*pair))) for pair in ends]
        + [spread(np.where(empty.T[0], 0.0, np.maximum(*pair))) for pair in ends],
        axis=-1,
    )
    extras = np.zeros((LEVELS**3, width, len(COLUMNS)))
    extras[..., :SUMMED] = np.stack([spread((item[..., width, None, :] * extra).sum(axis=-1)) for item in summed], axis=-1)
    return whole, extras, np.arange(len(COLUMNS)) < SUMMED


def day_sums(levels: np.ndarray, calls: np.ndarray) -> np.ndarray:
    """The summary (days x COLUMNS) of each day's calls: a table row for up to WIDTH calls; beyond,
    ``q`` times the full row's sums plus the extra items', with the full row's extremes."""
    whole, extras, summed = tables()
    width = strata.WIDTH
    small = calls < width
    smalls = np.count_nonzero(small)
    if smalls == len(calls):  # (a range of small days or of big ones, as most are, looks up one kind of row)
        return whole[levels, calls]
    times, rest = np.divmod(calls, width)
    big = whole[levels, width] * np.where(summed, times[:, None], 1) + extras[levels, rest]
    if not smalls:
        return big
    return np.where(small[:, None], whole[levels, np.minimum(calls, width)], big)
