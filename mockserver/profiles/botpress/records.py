"""Botpress analytics records: one per UTC day, from a day's totals or from the events of part of a day."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mockserver.profiles.botpress import calls as calls_model
from mockserver.profiles.botpress.days import CUSTOM_EVENTS, Days
from mockserver.synth import strata

# Decimals of latency (ms), tokens per second and cost (USD).
_SCALE = np.array([10.0, 100.0, 1e8])[:, None]
# A day's row (days.FIGURES) ends with the three custom events; a record unpacks the row at once, a
# third of the cost of slicing it (this line fails at import if their number changes).
_FIRST_EVENT, _SECOND_EVENT, _THIRD_EVENT = CUSTOM_EVENTS


def whole_days(days: Days) -> list[dict[str, Any]]:
    """The ``llm`` block of each day, for all the days at once."""
    calls = days.column("calls")
    return llm_blocks(calls, days.column("errors"), calls_model.day_sums(days.levels, calls))


def some_calls(level: int, calls: int, items: np.ndarray, errors: int) -> dict[str, Any]:
    """The ``llm`` block of the calls whose strata are ``items``, of a day of ``calls`` calls at ``level``."""
    values = calls_model.values(level)
    row = min(calls, strata.WIDTH)
    out, inp, speed, latency, cost = (v[row, items] for v in values)
    summary = [out.sum(), inp.sum(), latency.sum(), speed.sum(), cost.sum()]
    summary += [(latency * latency).sum(), (speed * speed).sum(), (cost * cost).sum()]
    if len(items):
        summary += [latency.min(), speed.min(), cost.min(), latency.max(), speed.max(), cost.max()]
    else:
        summary += [0.0] * 6
    return llm_blocks(np.array([len(items)]), np.array([errors]), np.array([summary]))[0]


def llm_blocks(calls: np.ndarray, errors: np.ndarray, summary: np.ndarray) -> list[dict[str, Any]]:
    """Counts and statistics of exactly these calls, one block per row of ``summary`` (calls.COLUMNS).
    A call's cost is its tokens at the model's prices, so the cost sum is the token totals at those prices,
    and one call's min, max, mean and sum agree."""
    n = np.maximum(calls, 1)[:, None]
    mean = summary[:, 2:5] / n
    sd = np.sqrt(np.maximum(summary[:, 5:8] / n - mean * mean, 0.0))
    # Float noise in the sums never puts the mean outside the extremes. The sums ride along (only
    # the cost's is given), rounded at their quantity's scale with the rest.
    table = np.empty((len(summary), 3, 5))
    table[:, :, 0], table[:, :, 1], table[:, :, 4] = mean, sd, summary[:, 2:5]
    np.minimum(summary[:, 8:11], mean, out=table[:, :, 2])
    np.maximum(summary[:, 11:14], mean, out=table[:, :, 3])
    # (days, 3 quantities x 5 statistics): a flat row a day unpacks at once.
    rows = (np.rint(table * _SCALE) / _SCALE).reshape(len(summary), 15).tolist()
    tokens = summary[:, :2].astype(np.int64).tolist()
    # Dict displays, not dict(zip(...)): these are built for every day of every answer.
    return [
        {
            "calls": count,
            "errors": failed,
            "inputTokens": inp,
            "outputTokens": out,
            "latency": {"mean": lm, "sd": ls, "min": ll, "max": lh},
            "tokensPerSecond": {"mean": sm, "sd": ss, "min": sl, "max": sh},
            "cost": {"sum": total, "mean": cm, "sd": cs, "min": cl, "max": ch},
        }
        for count, failed, (out, inp), (lm, ls, ll, lh, _, sm, ss, sl, sh, _, cm, cs, cl, ch, total) in zip(
            calls.tolist(), errors.tolist(), tokens, rows
        )
    ]


def record(start: str, end: str, row: Sequence[int], created: int, llm: dict[str, Any]) -> dict[str, Any]:
    """A record: the figures of its span (``row``, in the order of days.FIGURES), ``created`` users
    made in it, its ``llm`` block."""
    sessions, new, returning, user_messages, bot_messages, completed, _calls, _errors, first, second, third = row
    messages = user_messages + bot_messages
    return {
        "startDateTimeUtc": start,
        "endDateTimeUtc": end,
        "returningUsers": returning,
        "newUsers": new,
        "sessions": sessions,
        "messages": user_messages,
        "userMessages": user_messages,
        "botMessages": bot_messages,
        "events": messages + sessions + created + completed + first + second + third,
        "eventTypes": {
            "message_created": messages,
            "conversation_started": sessions,
            "user_created": created,
            "workflow_completed": completed,
        },
        "customEvents": {_FIRST_EVENT: first, _SECOND_EVENT: second, _THIRD_EVENT: third},
        "llm": llm,
    }
