"""How busy an entity (an account, a bot, a channel) is on a given day and in each hour.

Volume = base x ramp-up x weekly cycle x slow trend x noise. The traits are keyed by (seed,
vendor, entity) and a day's draws by (seed, vendor, entity, day) only, so a day's figures never
depend on which range was asked. One keyed stream per day gives its noise, its count and the
jitter of its hours; days are cached, since every report of a range revisits them.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from statistics import NormalDist
from typing import Protocol

from mockserver.generation.rng import CounterStream, derive, keyed_random
from mockserver.synth.apportion import apportion
from mockserver.synth.calendar import day_start

# Share of a day's conversations starting in each UTC hour: quiet nights, a late-morning peak
# and a smaller evening one.
_RAW_DIURNAL = (
    0.4,
    0.3,
    0.25,
    0.2,
    0.25,
    0.4,
    0.8,
    1.5,
    2.6,
    3.4,
    3.8,
    3.9,
    3.6,
    3.7,
    3.8,
    3.6,
    3.3,
    2.9,
    2.6,
    2.5,
    2.3,
    1.8,
    1.2,
    0.7,
)
DIURNAL = tuple(w / sum(_RAW_DIURNAL) for w in _RAW_DIURNAL)
# Monday..Sunday (date.weekday()): weekends are quieter for business bots.
WEEKLY = (1.08, 1.1, 1.07, 1.05, 0.98, 0.62, 0.55)
LIFETIME_START = date(2022, 1, 1)
# A new bot or account grows into its volume over its first weeks.
RAMP_DAYS = 60
# A trend compounds for this many years, then levels off: volumes stay finite and plausible under a
# clock set centuries ahead.
TREND_YEARS = 10
# The world keeps this much history before "now"; older ranges have no data.
HISTORY_DAYS = 5 * 365 + 1


def growth(trend: float, age_days: int) -> float:
    """The factor a yearly ``trend`` has brought after ``age_days`` (constant after TREND_YEARS)."""
    return (1 + trend) ** (min(age_days, TREND_YEARS * 365.25) / 365.25)


@dataclass(frozen=True)
class Entity:
    """Static traits of one active thing, derived from its key."""

    key: tuple[object, ...]
    base: float  # mean conversations on an average weekday at creation
    trend: float  # yearly growth rate
    created: date

    @classmethod
    def of(cls, *key: object, scale: float = 1.0) -> Entity:
        return _entity(key, scale)

    def volume(self, day: date) -> float:
        """Expected conversations on ``day`` (0 before creation, growing over the first weeks)."""
        return _day(self, day.toordinal())[0]

    def typical(self, ordinal: int) -> float:
        """The volume of a day before its noise: base x ramp-up x weekly cycle x trend. A vendor that
        draws a day's noise from a stream of its own (one stream a day is cheaper than two) starts here."""
        created = self.created.toordinal()
        if ordinal < created:
            return 0.0
        age = ordinal - created
        ramp = min(1.0, 0.15 + 0.85 * age / RAMP_DAYS)
        return self.base * ramp * WEEKLY[(ordinal - 1) % 7] * growth(self.trend, age)  # day 1 is a Monday

    def conversations(self, day: date) -> int:
        """Conversations started on ``day``: the volume with Poisson-like noise."""
        return _day(self, day.toordinal())[1]

    def hours(self, day: date, total: int) -> list[int]:
        """``total`` split over the 24 UTC hours of ``day`` (adds up exactly)."""
        weights, hours = _hours(self, day.toordinal())
        return list(hours) if total == self.conversations(day) else apportion(total, weights)

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The span that has data: from creation (or the oldest kept day) to now."""
        oldest = max(self.created, (now - timedelta(days=HISTORY_DAYS)).date())
        return day_start(oldest), now

    @staticmethod
    def keeps_until(start: datetime) -> datetime:
        """The first clock whose window no longer reaches back to ``start``'s day: for any clock
        before it (and after the range's end), a range from ``start`` sees the same history."""
        try:
            return day_start(start.date()) + timedelta(days=HISTORY_DAYS + 1)
        except OverflowError:  # a start near year 9999: no clock ever leaves it behind
            return datetime.max.replace(tzinfo=timezone.utc)


@lru_cache(maxsize=16384)
def _day(entity: Entity, ordinal: int) -> tuple[float, int]:
    """(expected volume, conversations) of one day."""
    typical = entity.typical(ordinal)
    if not typical:
        return 0.0, 0
    rng = CounterStream(derive(*entity.key, "day"), ordinal)
    volume = typical * rng.lognormvariate(0, 0.18)
    return volume, count(volume, rng)


@lru_cache(maxsize=8192)
def _hours(entity: Entity, ordinal: int) -> tuple[array[float], tuple[int, ...]]:
    """(24 hourly weights, the day's conversations split over them). A stream of its own, drawn only
    for days whose hours are needed (the edges of a range, hourly buckets): whole days need none.
    The weights are an array: a tuple of 24 float objects costs four times the memory."""
    if ordinal < entity.created.toordinal():
        return array("d", DIURNAL), (0,) * 24
    rng = CounterStream(derive(*entity.key, "hours"), ordinal)
    weights = array("d", (w * rng.uniform(0.8, 1.2) for w in DIURNAL))
    return weights, tuple(apportion(_day(entity, ordinal)[1], weights))


@lru_cache(maxsize=4096)
def _entity(key: tuple[object, ...], scale: float) -> Entity:
    rng = keyed_random(*key, "traits")
    base = math.exp(rng.uniform(math.log(15), math.log(900))) * scale
    return Entity(key, base, rng.uniform(-0.1, 0.6), LIFETIME_START + timedelta(days=rng.randint(0, 729)))


# Standard normal quantiles of 1,024 equal strata: one uniform draw picks one, several times
# cheaper than a Box-Muller draw, for noise that only has to look like noise.
_NORMAL_STRATA = tuple(NormalDist().inv_cdf((i + 0.5) / 1024) for i in range(1024))


class Uniforms(Protocol):
    """Whatever draws uniforms in [0, 1): ``random.Random`` or a counter-based stream."""

    def random(self) -> float: ...


def count(expected: float, rng: Uniforms) -> int:
    """A non-negative integer near ``expected`` (normal approximation of Poisson noise)."""
    return counter(rng)(expected)


def counter(rng: Uniforms) -> Callable[[float], int]:
    """``count`` bound to ``rng``, for a generator that draws a dozen counts per day on the path of
    every request: the lookups are made once. A count of 0 or less draws nothing from ``rng``."""
    draw, strata, sqrt = rng.random, _NORMAL_STRATA, math.sqrt

    def noisy(expected: float) -> int:
        if expected <= 0:
            return 0
        n = round(expected + sqrt(expected) * strata[int(draw() * 1024)])
        return n if n > 0 else 0

    return noisy
