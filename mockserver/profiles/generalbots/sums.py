"""A bot's figures over any span of microseconds.

Whole days come from the bot's prefix sums; only the days cut by a bound, by "now" or by the end
of the open window are split, conversation by conversation (``intraday``).
"""

from __future__ import annotations

from operator import add, sub
from typing import Any

from mockserver.profiles.generalbots.bots import ACTIVE, CONV, HISTOGRAM, NEW, ZERO, Bot
from mockserver.profiles.generalbots.intraday import at, before, bot_part, column, day_histograms_at, hour_bounds
from mockserver.profiles.generalbots.micros import DAY_US, HOUR_US, day_us, micros, to_datetime
from mockserver.synth.calendar import bucket_start, next_start
from mockserver.timeutil import MAX_INSTANT


def bot_sums(bot: Bot, lo: int, hi: int, cut: int) -> list[int]:
    """Figures of the bot's conversations starting in [lo, hi); ended figures need a start before ``cut``.

    Whole days come from the prefix sums; at most the first day and the last two are split.
    """
    if hi <= lo:
        return list(ZERO)
    first_full = -(-lo // DAY_US) + 1  # ordinal of the first day starting at or after lo
    last_full = min(hi, cut) // DAY_US + 1  # days before this ordinal end by min(hi, cut)
    out = bot.history.days(first_full, last_full) if last_full > first_full else list(ZERO)
    first_day, last_day = lo // DAY_US + 1, (hi - 1) // DAY_US + 1
    for ordinal in range(first_day, min(first_full, last_day + 1)):
        add_to(out, bot_part(bot, ordinal, max(lo, day_us(ordinal)), min(hi, day_us(ordinal + 1)), cut))
    for ordinal in range(max(last_full, first_full, first_day), last_day + 1):
        add_to(out, bot_part(bot, ordinal, max(lo, day_us(ordinal)), min(hi, day_us(ordinal + 1)), cut))
    return out


def bot_histograms(bot: Bot, lo: int, hi: int, cut: int) -> list[int]:
    """Duration and score bins of the bot's conversations starting in [lo, min(hi, cut))."""
    hi = min(hi, cut)
    if hi <= lo:
        return [0] * HISTOGRAM
    first_full, last_full = -(-lo // DAY_US) + 1, hi // DAY_US + 1
    out = bot.history.histograms(first_full, last_full) if last_full > first_full else [0] * HISTOGRAM
    first_day, last_day = lo // DAY_US + 1, (hi - 1) // DAY_US + 1
    edges = [*range(first_day, min(first_full, last_day + 1)), *range(max(last_full, first_full, first_day), last_day + 1)]
    for ordinal in edges:
        start = day_us(ordinal)
        ja, jb = before(bot, ordinal, max(lo, start) - start), before(bot, ordinal, min(hi, start + DAY_US) - start)
        add_to(out, [y - x for x, y in zip(day_histograms_at(bot, ordinal, ja), day_histograms_at(bot, ordinal, jb))])
    return out


def fill_series(
    bot: Bot, lo: int, hi: int, cut: int, dimension: str, wanted: tuple[int, ...], columns: list[list[int]], locate: Any
) -> None:
    """Add the bot's figures ``wanted`` over [lo, hi) to ``columns``, bucket by bucket.

    ``locate(moment)`` is the index of the bucket holding ``moment``. Whole days come from the
    prefix sums a slice at a time; whole hours from the day's hour bounds.
    """
    if hi <= lo:
        return
    history = bot.history
    first_day, last_day = lo // DAY_US + 1, (hi - 1) // DAY_US + 1
    whole_from, whole_to = -(-lo // DAY_US) + 1, min(hi, cut) // DAY_US + 1
    a, b = max(whole_from, bot.created), min(whole_to, bot.retired)
    split = [o for o in range(first_day, last_day + 1) if not whole_from <= o < whole_to]
    if dimension == "day" and b > a:
        history.ensure(b - 1)
        i0, i1, at_index = a - bot.created, b - bot.created, locate(day_us(a))
        for k, figure in enumerate(wanted):
            cum, col = history.cum[figure], columns[k]
            col[at_index : at_index + b - a] = map(
                add, col[at_index : at_index + b - a], map(sub, cum[i0 + 1 : i1 + 1], cum[i0:i1])
            )
    elif dimension == "hour" and b > a:
        for ordinal in range(a, b):
            day = history.day(ordinal)
            if not day[CONV]:
                continue
            bounds, at_index = hour_bounds(bot, ordinal), locate(day_us(ordinal))
            for k, figure in enumerate(wanted):
                values, col = column(day, figure, bounds), columns[k]
                col[at_index : at_index + 24] = map(add, col[at_index : at_index + 24], map(sub, values[1:], values[:-1]))
    elif b > a:  # weeks, months, years: whole days a bucket at a time
        moment = bucket_start(to_datetime(day_us(a)), dimension)
        while True:
            begins = max(micros(moment), day_us(a))
            if begins >= day_us(b):
                break
            following = next_start(moment, dimension)
            ends = min(micros(following), day_us(b)) if following < MAX_INSTANT else day_us(b)
            sums = history.days(begins // DAY_US + 1, ends // DAY_US + 1)
            at_index = locate(begins)
            for k, figure in enumerate(wanted):
                columns[k][at_index] += sums[figure]
            if following >= MAX_INSTANT:
                break
            moment = following
    for ordinal in split:  # days cut by a bound, by now or by the open window
        begins = day_us(ordinal)
        step = HOUR_US if dimension == "hour" else DAY_US
        for h0 in range(begins, begins + DAY_US, step):
            part_lo, part_hi = max(lo, h0), min(hi, h0 + step)
            if part_hi <= part_lo:
                continue
            part, at_index = bot_part(bot, ordinal, part_lo, part_hi, cut), locate(part_lo)
            for k, figure in enumerate(wanted):
                columns[k][at_index] += part[figure]


def users_before(bot: Bot, moment: int) -> int:
    """Users of the bot whose first conversation started before ``moment`` (all time)."""
    ordinal = moment // DAY_US + 1
    if ordinal < bot.created:
        return 0
    if ordinal >= bot.retired:
        return bot.history.days(bot.created, bot.retired)[NEW]
    seen = bot.history.days(bot.created, ordinal)[NEW]
    return seen + at(bot.history.day(ordinal), before(bot, ordinal, moment - day_us(ordinal)))[NEW]


def busiest_day(bot: Bot, lo: int, hi: int) -> int:
    """The most active users of one UTC day (the part of it inside [lo, hi))."""
    if hi <= lo:
        return 0
    first, last = lo // DAY_US + 1, (hi - 1) // DAY_US + 1
    inner_first = first + (lo > day_us(first))
    inner_last = last - (hi < day_us(last + 1))  # last whole day
    top = 0
    for ordinal in {o for o in (first, last) if not inner_first <= o <= inner_last}:
        top = max(top, bot_part(bot, ordinal, max(lo, day_us(ordinal)), min(hi, day_us(ordinal + 1)), hi)[ACTIVE])
    a, b = max(inner_first, bot.created), min(inner_last + 1, bot.retired)
    if b > a:
        bot.history.ensure(b - 1)
        column = bot.history.cum[ACTIVE]
        offset = bot.created
        top = max(top, max(column[i + 1] - column[i] for i in range(a - offset, b - offset)))
    return top


def bot_distinct(bot: Bot, lo: int, hi: int, cut: int) -> int:
    """Distinct users active in [lo, hi): the new ones, plus those seen before who came back.

    The users seen before (p0) return with uneven rates (a gamma mixture with shape ``spread``),
    so ``returning`` visits reach p0 * (1 - (1 + returning / (spread * p0)) ** -spread) of them.
    The result never exceeds the users seen by ``hi``, never falls below the new users, nor below
    the busiest day's active users; it depends only on the activity inside [lo, hi) and before it.
    """
    if hi <= lo:
        return 0
    sums = bot_sums(bot, lo, hi, cut)
    if not sums[ACTIVE]:
        return 0
    p0 = users_before(bot, lo)
    returning = sums[ACTIVE] - sums[NEW]
    old = p0 * (1 - (1 + returning / (bot.spread * p0)) ** -bot.spread) if p0 and returning else 0.0
    return min(p0 + sums[NEW], max(busiest_day(bot, lo, hi), sums[NEW] + round(old)))


def add_to(total: list[int], part: list[int] | tuple[int, ...]) -> None:
    for i, value in enumerate(part):
        total[i] += value
