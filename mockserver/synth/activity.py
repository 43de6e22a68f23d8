"""How busy an entity (a bot, a channel) is on a given day, and across the hours of a day.

Volume = base x weekly cycle x slow trend x noise, each factor keyed by (seed, vendor, entity)
or (seed, vendor, entity, day) only, so a day's figures never depend on which range was asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mockserver.generation.rng import keyed_random
from mockserver.timeutil import UTC

# Share of a day's conversations starting in each UTC hour: quiet nights, a late-morning peak
# and a smaller evening one (sums to 1).
_RAW_DIURNAL = [0.4, 0.3, 0.25, 0.2, 0.25, 0.4, 0.8, 1.5, 2.6, 3.4, 3.8, 3.9,
                3.6, 3.7, 3.8, 3.6, 3.3, 2.9, 2.6, 2.5, 2.3, 1.8, 1.2, 0.7]
DIURNAL = [w / sum(_RAW_DIURNAL) for w in _RAW_DIURNAL]
# Monday..Sunday (date.weekday()): weekends are quieter for business bots.
WEEKLY = (1.08, 1.1, 1.07, 1.05, 0.98, 0.62, 0.55)
LIFETIME_START = date(2022, 1, 1)


@dataclass(frozen=True)
class Entity:
    """Static traits of one active thing (a bot or a channel), derived from its key."""

    key: tuple[object, ...]
    base: float  # mean conversations on an average weekday at creation
    trend: float  # yearly growth rate
    created: date

    @classmethod
    def of(cls, *key: object) -> Entity:
        rng = keyed_random(*key, "traits")
        base = math.exp(rng.uniform(math.log(15), math.log(900)))
        return cls(key, base, rng.uniform(-0.1, 0.6), LIFETIME_START + timedelta(days=rng.randint(0, 729)))

    def volume(self, day: date) -> float:
        """Expected conversations on ``day`` (0 before creation)."""
        if day < self.created:
            return 0.0
        years = (day - self.created).days / 365.25
        noise = keyed_random(*self.key, "noise", day.isoformat()).lognormvariate(0, 0.18)
        return self.base * WEEKLY[day.weekday()] * (1 + self.trend) ** years * noise


def day_fraction(day: date, start: datetime, end: datetime) -> float:
    """Share of ``day``'s activity that falls inside [start, end] (inclusive), by the diurnal curve."""
    day_start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    lo = max((start - day_start).total_seconds() / 3600, 0.0)
    hi = min((end - day_start).total_seconds() / 3600 + 1 / 3_600_000, 24.0)
    if hi <= lo:
        return 0.0
    total = 0.0
    for hour in range(int(lo), min(int(math.ceil(hi)), 24)):
        overlap = min(hi, hour + 1) - max(lo, hour)
        total += DIURNAL[hour] * max(overlap, 0.0)
    return min(total, 1.0)
