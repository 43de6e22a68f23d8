"""Dates and times as the vendors' APIs use them: UTC, ISO 8601, millisecond precision."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from mockserver.errors import ConfigError
from mockserver.validation.schema import FORMAT_CHECKER, parse_date_time

UTC = timezone.utc
MIN_INSTANT = datetime(1, 1, 2, tzinfo=UTC)
MAX_INSTANT = datetime(9999, 12, 30, 23, 59, 59, 999000, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)


def parse_instant(value: str, *, end_of_day: bool = False) -> datetime:
    """An aware UTC datetime from an RFC 3339 date or date-time; ``ValueError`` for anything else.

    A bare date means midnight UTC, or the last millisecond of that day when ``end_of_day`` (for
    inclusive range ends). Offsets that would move a date past year 1 or 9999 are clamped.
    """
    if len(value) == 10:
        day = date.fromisoformat(value)
        if end_of_day:  # the day's last millisecond (built directly: the day after 9999-12-31 does not exist)
            return datetime.combine(day, time(23, 59, 59, 999000), tzinfo=UTC)
        return datetime.combine(day, time.min, tzinfo=UTC)
    parsed = parse_date_time(value)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return MIN_INSTANT if parsed.year < 5000 else MAX_INSTANT


def shift(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, clamped to the representable years 1..9999 instead of overflowing."""
    try:
        return min(max(moment + delta, MIN_INSTANT), MAX_INSTANT)
    except OverflowError:
        return MIN_INSTANT if delta < timedelta(0) else MAX_INSTANT


def iso_ms(moment: datetime) -> str:
    """``2025-01-31T00:00:00.000Z``: the form the vendors' JavaScript backends emit."""
    m = moment.astimezone(UTC)
    # strftime does not zero-pad years below 1000 on every platform; RFC 3339 needs four digits.
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond // 1000:03d}Z"


def day_span_ms(day: date) -> tuple[str, str]:
    """``iso_ms`` of the first and the last millisecond of UTC ``day``, built from the date alone: a
    daily series writes one pair per day on the path of every request, where iso_ms costs more."""
    text = day.isoformat()  # four-digit year, as iso_ms writes it
    return f"{text}T00:00:00.000Z", f"{text}T23:59:59.999Z"


def days_between(start: datetime, end: datetime) -> list[date]:
    """The UTC calendar days that [start, end] touches, in order."""
    first, last = start.date(), end.date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)] if first <= last else []


# The years a fixed clock may be written in, so ranges around it stay inside the calendar (the
# control spec states the same with a pattern).
CLOCK_YEARS = (1970, 9000)


def clock(value: str, name: str) -> datetime:
    """A fixed "now" (``--now``, a session's or the config's), from 1970 to 9000; ConfigError otherwise."""
    if not FORMAT_CHECKER.conforms(value, "date-time"):
        raise ConfigError(f"{name} must be an RFC 3339 date-time like 2025-06-01T12:00:00Z, got {value!r}")
    moment = parse_date_time(value)
    # The date as written decides (so a schema pattern on the year can state the rule): with its
    # offset, the instant is at most a day outside these years, which the calendar handles.
    if not CLOCK_YEARS[0] <= moment.year <= CLOCK_YEARS[1]:
        raise ConfigError(f"{name} must be between {CLOCK_YEARS[0]}-01-01 and {CLOCK_YEARS[1]}-12-31, got {value!r}")
    return moment.astimezone(UTC)
