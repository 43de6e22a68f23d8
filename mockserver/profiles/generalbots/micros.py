"""Time, in integer microseconds since 0001-01-01 (the proleptic ordinal's day 1), and its labels."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from mockserver.timeutil import UTC

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
MINUTE_US = 60_000_000
OPEN_US = 15 * MINUTE_US  # a conversation stays open for its first 15 minutes
RATE_US = 5 * MINUTE_US  # real-time rates are over the trailing 5 minutes
ONE_US = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """An aware datetime as microseconds from 0001-01-01 00:00 UTC (exact integer arithmetic)."""
    m = moment.astimezone(UTC)
    return ((m.toordinal() - 1) * 86_400 + m.hour * 3600 + m.minute * 60 + m.second) * 1_000_000 + m.microsecond


def day_us(ordinal: int) -> int:
    return (ordinal - 1) * DAY_US


def to_datetime(us: int) -> datetime:
    day, rest = divmod(us, DAY_US)
    return datetime.fromordinal(day + 1).replace(tzinfo=UTC) + timedelta(microseconds=rest)


@lru_cache(maxsize=65536)
def day_label(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def hour_label(us: int) -> str:
    """A bucket start on a whole hour as ``iso_ms`` writes it (faster: series have up to 50000)."""
    day, rest = divmod(us, DAY_US)
    return f"{day_label(day + 1)}T{rest // HOUR_US:02d}:00:00.000Z"
