"""UTC calendar buckets (hour, day, ISO week, month, year) and their boundaries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from mockserver.timeutil import UTC

DIMENSIONS = ("hour", "day", "week", "month", "year")


def bucket_start(moment: datetime, dimension: str) -> datetime:
    """The start of the bucket of ``dimension`` that contains ``moment``."""
    if dimension == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if dimension == "day":
        return day
    if dimension == "week":  # ISO weeks start on Monday
        return day - timedelta(days=day.weekday())
    if dimension == "month":
        return day.replace(day=1)
    if dimension == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown dimension {dimension!r}")


def next_start(start: datetime, dimension: str) -> datetime:
    """The start of the next bucket; for the last bucket of year 9999, the calendar's last instant."""
    try:
        if dimension == "hour":
            return start + timedelta(hours=1)
        if dimension == "day":
            return start + timedelta(days=1)
        if dimension == "week":
            return start + timedelta(days=7)
        if dimension == "month":
            return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
        if dimension == "year":
            return start.replace(year=start.year + 1)
    except (OverflowError, ValueError):
        return datetime.max.replace(tzinfo=UTC)
    raise ValueError(f"unknown dimension {dimension!r}")


def bucket_count(start: datetime, end: datetime, dimension: str) -> int:
    """How many buckets [start, end] touches, computed without listing them."""
    if end < start:
        return 0
    first, last = bucket_start(start, dimension), bucket_start(end, dimension)
    if dimension == "hour":
        return int((last - first).total_seconds() // 3600) + 1
    if dimension in ("day", "week"):
        return (last - first).days // (1 if dimension == "day" else 7) + 1
    if dimension == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return last.year - first.year + 1


def buckets(start: datetime, end: datetime, dimension: str) -> list[datetime]:
    """Starts of every bucket that [start, end] touches, in order."""
    result: list[datetime] = []
    current = bucket_start(start, dimension)
    last = datetime.max.replace(tzinfo=UTC)
    while current <= end and current != last:
        result.append(current)
        current = next_start(current, dimension)
    return result


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
