"""One bot's day, conversation by conversation: how many start before any moment of the day
(``before``, from the day's hour bounds) and what the day's first j of them hold (``at``)."""

from __future__ import annotations

from functools import lru_cache

from mockserver.generation.rng import CounterStream, derive
from mockserver.profiles.generalbots.bots import (
    ABANDONED,
    ACTIVE,
    BMSG,
    CONV,
    DIURNAL,
    DURATION_BINS,
    ESCALATED,
    FIGURES,
    NEW,
    RATED,
    RESOLVED,
    STARTED,
    UMSG,
    ZERO,
    Bot,
)
from mockserver.profiles.generalbots.micros import DAY_US, HOUR_US, day_us


@lru_cache(maxsize=8192)
def hour_bounds(bot: Bot, ordinal: int) -> tuple[int, ...]:
    """Conversations of a day before each hour (25 bounds, from 0 to the day's total)."""
    total = bot.history.day(ordinal)[CONV]
    rng = CounterStream(derive(bot.seed, "generalbots", bot.id, "hours"), ordinal)
    weights, running = [], 0.0
    for w in DIURNAL:
        running += w * (0.8 + 0.4 * rng.random())
        weights.append(running)
    # Rounded, not floored: floors would take half a conversation a day from the first hour and
    # give it to the last (a spike at 23:00 UTC over a month).
    return (0, *(int(total * w / running + 0.5) for w in weights[:-1]), total)


def before(bot: Bot, ordinal: int, offset: int) -> int:
    """Conversations of a day starting before ``offset`` microseconds into it.

    The conversations of an hour start evenly spread over it: the p-th of c at p/c of the hour.
    """
    if offset <= 0:
        return 0
    bounds = hour_bounds(bot, ordinal)
    if offset >= DAY_US:
        return bounds[24]
    hour, rest = divmod(offset, HOUR_US)
    low = bounds[hour]
    return low + -(-rest * (bounds[hour + 1] - low) // HOUR_US)


def at(day: tuple[int, ...], j: int) -> tuple[int, ...]:
    """Each figure of a day counted over its first ``j`` conversations (in the order they start).

    Every figure is spread evenly over the conversations with running floors, so the first j hold
    a share that never decreases with j and reaches the day's total at the last conversation.
    Users appear at their first conversation of the day; the new ones are spread over those.
    """
    c = day[CONV]
    if j >= c:
        return day
    if j <= 0:
        return ZERO
    seen = j * day[ACTIVE] // c
    resolved = j * day[RESOLVED] // c
    rest = j - resolved
    other = day[ESCALATED] + day[ABANDONED]
    escalated = rest * day[ESCALATED] // other if other else 0
    return (
        j,
        j * day[UMSG] // c,
        j * day[BMSG] // c,
        seen,
        seen * day[NEW] // day[ACTIVE] if day[ACTIVE] else 0,
        resolved,
        escalated,
        rest - escalated,
        j * day[RATED] // c,
    )


def nested(counts: list[int], total: int, j: int) -> list[int]:
    """Bins of the first ``j`` of ``total`` items whose bins are ``counts``, spread evenly."""
    out = []
    for count in counts:
        taken = j * count // total if total > 0 else 0
        out.append(taken)
        j -= taken
        total -= count
    return out


def day_histograms_at(bot: Bot, ordinal: int, j: int) -> list[int]:
    """Duration and score bins of a day's first ``j`` conversations."""
    day = bot.history.day(ordinal)
    full = bot.history.day_histograms(ordinal)
    bins = len(DURATION_BINS)
    return nested(full[:bins], day[CONV], j) + nested(full[bins:], day[RATED], at(day, j)[RATED])


def bot_part(bot: Bot, ordinal: int, lo: int, hi: int, cut: int) -> list[int]:
    """Figures of one day's conversations starting in [lo, hi) (absolute microseconds): the
    started figures of all of them, the ended figures of those that started before ``cut``."""
    day = bot.history.day(ordinal)
    if not day[CONV]:
        return list(ZERO)
    start = day_us(ordinal)
    ja, jb = before(bot, ordinal, lo - start), before(bot, ordinal, hi - start)
    jc = before(bot, ordinal, min(hi, cut) - start) if cut < hi else jb
    a, b, c = at(day, ja), at(day, jb), at(day, max(jc, ja))
    return [b[k] - a[k] for k in range(STARTED)] + [c[k] - a[k] for k in range(STARTED, len(FIGURES))]


def column(day: tuple[int, ...], figure: int, js: list[int] | tuple[int, ...]) -> list[int]:
    """``at(day, j)[figure]`` for each j of ``js`` (0 <= j <= the day's conversations), in bulk."""
    c = day[CONV]
    if figure == CONV or not c:
        return list(js) if figure == CONV else [0] * len(js)
    if figure == NEW:
        seen, fresh = day[ACTIVE], day[NEW]
        return [(j * seen // c) * fresh // seen for j in js] if seen else [0] * len(js)
    if figure in (ESCALATED, ABANDONED):
        resolved, escalated = day[RESOLVED], day[ESCALATED]
        other = escalated + day[ABANDONED]
        if not other:
            return [0] * len(js)
        rest = [j - j * resolved // c for j in js]
        up = [r * escalated // other for r in rest]
        return up if figure == ESCALATED else [r - e for r, e in zip(rest, up)]
    value = day[figure]
    return [j * value // c for j in js]
