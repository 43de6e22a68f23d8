"""Retention: one cohort per interval of the range, the users first seen in it, and the share of
them who came back in each later interval."""

from __future__ import annotations

import math
from bisect import bisect_right
from functools import lru_cache
from typing import Any

from mockserver.generation.rng import CounterStream, derive
from mockserver.profiles.generalbots.bots import ACTIVE, NEW, Bot
from mockserver.profiles.generalbots.micros import ONE_US, micros
from mockserver.profiles.generalbots.scope import Scope
from mockserver.profiles.generalbots.sums import bot_sums
from mockserver.synth.calendar import buckets, next_start
from mockserver.timeutil import iso_ms

# Largest retention table: cohorts (each holds a row of shares, so the table grows with the square).
MAX_COHORTS = 150

INTERVAL_DAYS = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.44}
# Daily visit rates of returning users: log-uniform over [1/45, 1/3], integrated on this grid.
RATE_GRID = tuple(math.exp(math.log(1 / 45) + (math.log(1 / 3) - math.log(1 / 45)) * (i + 0.5) / 16) for i in range(16))


@lru_cache(maxsize=4096)
def returning_share(bot: Bot, group_by: str, k: int, elapsed: float = 1.0) -> float:
    """Expected share of a cohort active in its k-th interval after the first (k >= 1).

    Returning users visit as a Poisson process of their own rate and stop after an exponential
    lifetime: P(a visit in [t1, t1 + d) and still around) = e^(-nu t1) lambda/(lambda+nu) (1 - e^(-(lambda+nu) d)).
    """
    width = INTERVAL_DAYS[group_by]
    t1, span, nu = (k - 0.5) * width, width * elapsed, 1 / bot.lifetime
    mean = sum(math.exp(-nu * t1) * lam / (lam + nu) * (1 - math.exp(-(lam + nu) * span)) for lam in RATE_GRID) / len(RATE_GRID)
    return (1 - bot.one_timers) * mean


def share_of(kept: int, users: int) -> float:
    """``kept / users`` to enough decimals that ``round(share x users)`` gives ``kept`` back (users
    under ten million): a share of a cohort is always a whole number of its users."""
    return round(kept / users, 8)


def cohorts(scope: Scope, group_by: str) -> list[dict[str, Any]]:
    """One cohort per interval of the range: the users first seen in it, and who came back when."""
    starts = buckets(scope.start, scope.end - ONE_US, group_by) if scope.end > scope.start else []
    bounds = [micros(s) for s in starts] + [micros(next_start(starts[-1], group_by))] if starts else []
    sizes: list[list[int]] = [[0] * len(scope.bots) for _ in starts]  # per cohort, per bot
    for b, bot in enumerate(scope.bots):
        for c in range(len(starts)):
            lo, hi = scope.span(bot, max(bounds[c], scope.start_us), min(bounds[c + 1], scope.end_us))
            if scope.user is None:
                sizes[c][b] = bot_sums(bot, lo, hi, scope.cut)[NEW] if hi > lo else 0
            else:
                sizes[c][b] = sum(f[NEW] for _, f, _ in scope.user.events(lo, hi))
    active_in: set[int] = set()
    if scope.user is not None and scope.bots:
        lo, hi = scope.span(scope.bots[0], bounds[0] if bounds else 0, bounds[-1] if bounds else 0, clip=False)
        active_in = {bisect_right(bounds, moment) - 1 for moment, f, _ in scope.user.events(lo, hi) if f[ACTIVE]}
    # Expected shares per bot and interval distance; the interval holding now counts its elapsed part.
    current = bisect_right(bounds, scope.now_us) - 1 if bounds and bounds[0] <= scope.now_us < bounds[-1] else -1
    elapsed = round((scope.now_us - bounds[current]) / (bounds[current + 1] - bounds[current]), 3) if current >= 0 else 1.0
    curves = [[0.0] + [returning_share(bot, group_by, k) for k in range(1, len(starts))] for bot in scope.bots]
    result = []
    for c, begins in enumerate(starts):
        users = sum(sizes[c])
        curve: list[float | None] = [1.0 if users else None]
        if not users:
            curve += [None] * (len(starts) - c - 1)
        elif scope.user is not None:
            curve += [1.0 if c + k in active_in and bounds[c + k] < scope.now_us else 0.0 for k in range(1, len(starts) - c)]
        else:
            streams = [
                CounterStream(derive(scope.seed, "generalbots", bot.id, "retention", group_by), bounds[c]).random
                for bot in scope.bots
            ]
            for k in range(1, len(starts) - c):
                if bounds[c + k] >= scope.now_us:
                    curve.append(0.0)
                    continue
                kept = 0  # whole users: each bot's returning users of that interval
                for b, bot in enumerate(scope.bots):
                    share = returning_share(bot, group_by, k, elapsed) if c + k == current else curves[b][k]
                    kept += round(sizes[c][b] * min(1.0, share * (0.9 + 0.2 * streams[b]())))
                curve.append(share_of(kept, users))
        result.append({"cohort_start": iso_ms(begins), "users": users, "retention": curve})
    return result
