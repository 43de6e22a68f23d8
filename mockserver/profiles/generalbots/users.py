"""Users of the instance: any UUID names one, and their bot, first day and visits follow from it.

A user's conversations are some of their bot's conversations, so a user's figures are made of
the same items as the bot's.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from functools import lru_cache
from typing import Any

from mockserver.generation.rng import keyed_random
from mockserver.profiles.generalbots.bots import ACTIVE, CONV, NEW, Bot
from mockserver.profiles.generalbots.intraday import at, day_histograms_at, hour_bounds
from mockserver.profiles.generalbots.micros import DAY_US, HOUR_US, day_us

FIRST_SEEN_DAYS = 4 * 365  # users' first conversations spread over the bot's first four years
RETURN_DAYS = 3 * 365  # a returning user keeps coming back for at most three years


class User:
    """A user of the instance, named by any UUID: their bot, first day and visits follow from it.

    A visit is a day with one to three conversations, all with the user's bot, each one of the
    bot's conversations of that day; the first of the day is where the user counts as active,
    and on the user's first day, as new.
    """

    def __init__(self, seed: int, user_id: str, horizon: int, bots: tuple[Bot, ...]) -> None:
        self.id = user_id
        rng = keyed_random(seed, "generalbots", "user", user_id)
        pick, self.bot = rng.random() * sum(b.base for b in bots), bots[-1]
        for bot in bots:
            pick -= bot.base
            if pick < 0:
                self.bot = bot
                break
        bot = self.bot
        first_try = bot.created + int(rng.random() * FIRST_SEEN_DAYS)
        returning = rng.random() >= bot.one_timers
        rate = math.exp(rng.uniform(math.log(1 / 45), math.log(1 / 3)))  # chance of a visit per day
        stays = min(int(rng.expovariate(1 / bot.lifetime)), RETURN_DAYS) if returning else 0
        self.first: tuple[int, int] | None = None  # (ordinal, index) of the first conversation ever
        self.visits: list[tuple[int, tuple[int, ...]]] = []  # (ordinal, conversation indices), in order
        last = min(horizon, bot.retired - 1)
        ordinal = first_try
        while ordinal <= last:
            day = bot.history.day(ordinal)
            if day[NEW]:
                self._visit(rng, ordinal, day, new=True)
                break
            ordinal += 1
        if self.first is None:
            return
        until = min(self.first[0] + stays, last)
        while True:
            ordinal += 1 + int(rng.expovariate(rate))
            if ordinal > until:
                break
            day = bot.history.day(ordinal)
            if day[ACTIVE] > day[NEW]:
                self._visit(rng, ordinal, day, new=False)

    def _visit(self, rng: Any, ordinal: int, day: tuple[int, ...], new: bool) -> None:
        conversations, users, fresh = day[CONV], day[ACTIVE], day[NEW]
        draw = rng.random()
        wanted = 1 if draw < 0.85 else 2 if draw < 0.97 else 3
        if new:  # the r-th new user of the day
            r = rng.randrange(fresh)
            slot = -(-(r + 1) * users // fresh) - 1
        else:  # the r-th returning user of the day
            r = rng.randrange(users - fresh)
            slot = _nth_untaken(0, users - 1, fresh, users, r + 1)
        first = -(-(slot + 1) * conversations // users) - 1  # the conversation where that user appears
        indices = [first]
        # Further conversations that day: ones where no new user of the day appears, after the first.
        repeats = conversations - users
        done = (first + 1) - (first + 1) * users // conversations
        if wanted > 1 and repeats > done:
            for q in sorted(rng.sample(range(done, repeats), min(wanted - 1, repeats - done))):
                indices.append(_nth_untaken(first + 1, conversations - 1, users, conversations, q + 1))
        if new:
            self.first = (ordinal, first)
        self.visits.append((ordinal, tuple(indices)))

    def first_moment(self) -> int | None:
        """When the user's first conversation started, or None if not by the horizon."""
        return None if self.first is None else conversation(self.bot, *self.first)[0]

    def events(self, lo: int, hi: int) -> list[tuple[int, tuple[int, ...], list[int]]]:
        """The user's conversations starting in [lo, hi): (moment, figures, histogram bins)."""
        if hi <= lo or not self.visits:
            return []
        days = [v[0] for v in self.visits]
        found = []
        for ordinal, indices in self.visits[bisect_left(days, lo // DAY_US + 1) : bisect_right(days, (hi - 1) // DAY_US + 1)]:
            for index in indices:
                moment, figures, bins = conversation(self.bot, ordinal, index)
                if lo <= moment < hi:
                    found.append((moment, figures, bins))
        return found


def _nth_untaken(lo: int, hi: int, taken: int, places: int, count: int) -> int:
    """The smallest m in [lo, hi] such that, of ``places`` slots of which ``taken`` are spread
    evenly, the first m + 1 hold at least ``count`` untaken ones (a binary search)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if (mid + 1) - (mid + 1) * taken // places >= count:
            hi = mid
        else:
            lo = mid + 1
    return lo


@lru_cache(maxsize=4096)
def user_of(seed: int, user_id: str, horizon: int, bots: tuple[Bot, ...]) -> User:
    """User ``user_id`` of the instance made of ``bots`` (``bots.instance``)."""
    return User(seed, user_id, horizon, bots)


@lru_cache(maxsize=16384)
def conversation(bot: Bot, ordinal: int, index: int) -> tuple[int, tuple[int, ...], list[int]]:
    """One conversation of a bot's day: when it starts, its figures, its duration and score bins."""
    day = bot.history.day(ordinal)
    bounds = hour_bounds(bot, ordinal)
    hour = bisect_right(bounds, index) - 1  # the hour whose conversations include this one
    moment = day_us(ordinal) + hour * HOUR_US + (index - bounds[hour]) * HOUR_US // (bounds[hour + 1] - bounds[hour])
    a, b = at(day, index), at(day, index + 1)
    bins = [y - x for x, y in zip(day_histograms_at(bot, ordinal, index), day_histograms_at(bot, ordinal, index + 1))]
    return moment, tuple(y - x for x, y in zip(a, b)), bins
