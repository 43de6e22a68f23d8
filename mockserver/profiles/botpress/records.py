"""Botpress analytics records: one per UTC day, from a day's totals or from the events of part of a day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mockserver.profiles.botpress import calls as calls_model
from mockserver.profiles.botpress.calls import PRICE_IN, PRICE_OUT
from mockserver.profiles.botpress.days import CUSTOM_EVENTS, Days
from mockserver.synth import strata

# Decimals of latency (ms), tokens per second and cost (USD).
_SCALE = np.array([10.0, 100.0, 1e8])
_STATS = ("mean", "sd", "min", "max")


def whole_days(days: Days) -> list[dict[str, Any]]:
    """The ``llm`` block of each day, for all the days at once."""
    calls = days.counts["calls"]
    return llm_blocks(calls, days.counts["errors"], *calls_model.day_sums(days.levels, calls))


def some_calls(level: int, calls: int, items: np.ndarray, errors: int) -> dict[str, Any]:
    """The ``llm`` block of the calls whose strata are ``items``, of a day of ``calls`` calls at ``level``."""
    values = calls_model.values(level)
    row = min(calls, strata.WIDTH)
    picked = [v[row, items] for v in values]
    out, inp, speed, latency, cost = picked
    sums = np.array(
        [
            [
                out.sum(),
                inp.sum(),
                latency.sum(),
                (latency * latency).sum(),
                speed.sum(),
                (speed * speed).sum(),
                (cost * cost).sum(),
            ]
        ]
    )
    if len(items):
        lows = np.array([[latency.min(), speed.min(), cost.min()]])
        highs = np.array([[latency.max(), speed.max(), cost.max()]])
    else:
        lows = highs = np.zeros((1, 3))
    return llm_blocks(np.array([len(items)]), np.array([errors]), sums, lows, highs)[0]


def llm_blocks(
    calls: np.ndarray, errors: np.ndarray, sums: np.ndarray, lows: np.ndarray, highs: np.ndarray
) -> list[dict[str, Any]]:
    """Counts and statistics of exactly these calls, one block per row. A call's cost is its tokens
    at the model's prices, so the cost sum is that of the token totals, and one call's min, max,
    mean and sum agree."""
    n = np.maximum(calls, 1)[:, None]
    cost = PRICE_IN * sums[:, 1] + PRICE_OUT * sums[:, 0]
    totals = np.column_stack((sums[:, 2], sums[:, 4], cost))
    squares = sums[:, [3, 5, 6]]
    mean = totals / n
    sd = np.sqrt(np.maximum(squares / n - mean * mean, 0.0))
    # Float noise in the sums never puts the mean outside the extremes.
    table = np.stack((mean, sd, np.minimum(lows, mean), np.maximum(highs, mean)), axis=2)  # (days, 3, 4)
    table = np.where((calls > 0)[:, None, None], np.rint(table * _SCALE[None, :, None]) / _SCALE[None, :, None], 0.0)
    rounded_cost = (np.rint(cost * 1e8) / 1e8).tolist()
    blocks = []
    for count, failed, out, inp, total, (latency, speed, spent) in zip(
        calls.tolist(),
        errors.tolist(),
        sums[:, 0].astype(np.int64).tolist(),
        sums[:, 1].astype(np.int64).tolist(),
        rounded_cost,
        table.tolist(),
    ):
        blocks.append(
            {
                "calls": count,
                "errors": failed,
                "inputTokens": inp,
                "outputTokens": out,
                "latency": dict(zip(_STATS, latency)),
                "tokensPerSecond": dict(zip(_STATS, speed)),
                "cost": {"sum": total, **dict(zip(_STATS, spent))},
            }
        )
    return blocks


def record(start: str, end: str, figures: Mapping[str, int], created: int, llm: dict[str, Any]) -> dict[str, Any]:
    """A record: the figures of its span, ``created`` users made in it, its ``llm`` block."""
    custom = {name: figures[name] for name in CUSTOM_EVENTS}
    messages = figures["userMessages"] + figures["botMessages"]
    return {
        "startDateTimeUtc": start,
        "endDateTimeUtc": end,
        "returningUsers": figures["returningUsers"],
        "newUsers": figures["newUsers"],
        "sessions": figures["sessions"],
        "messages": figures["userMessages"],
        "userMessages": figures["userMessages"],
        "botMessages": figures["botMessages"],
        "events": messages + figures["sessions"] + created + figures["workflow_completed"] + sum(custom.values()),
        "eventTypes": {
            "message_created": messages,
            "conversation_started": figures["sessions"],
            "user_created": created,
            "workflow_completed": figures["workflow_completed"],
        },
        "customEvents": custom,
        "llm": llm,
    }


def rows(counts: Mapping[str, Sequence[int]], index: int) -> dict[str, int]:
    return {name: values[index] for name, values in counts.items()}
