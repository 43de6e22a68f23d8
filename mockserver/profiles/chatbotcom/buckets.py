"""The buckets of a series: the hours, days, months or years a range touches, with their labels."""

from __future__ import annotations

from datetime import date, datetime

_HOUR_TEXT = tuple(f"T{h:02d}:00:00.000Z" for h in range(24))


class Buckets:
    """The buckets of ``dimension`` that [start, end] touches, indexed from 0, with their labels."""

    def __init__(self, start: datetime, end: datetime, dimension: str) -> None:
        self.dimension = dimension
        self.first_day, self.last_day = start.date(), end.date()
        self.empty = end < start
        first, last = self.first_day, self.last_day
        if dimension == "hour":
            self.origin = first.toordinal() * 24 + start.hour
            self.count = last.toordinal() * 24 + end.hour - self.origin + 1
        elif dimension == "day":
            self.origin = first.toordinal()
            self.count = last.toordinal() - self.origin + 1
        elif dimension == "month":
            self.origin = first.year * 12 + first.month - 1
            self.count = last.year * 12 + last.month - 1 - self.origin + 1
        else:
            self.origin = first.year
            self.count = last.year - self.origin + 1
        if self.empty:
            self.count = 0

    def of_day(self, day: date) -> int:
        """Index of the bucket holding ``day`` (day, month or year dimension)."""
        if self.dimension == "day":
            return day.toordinal() - self.origin
        if self.dimension == "month":
            return day.year * 12 + day.month - 1 - self.origin
        return day.year - self.origin

    def labels(self) -> list[str]:
        """The bucket starts, as the vendor writes dates (``2019-03-17T00:00:00.000Z``)."""
        if self.count == 0:
            return []
        if self.dimension == "hour":
            labels: list[str] = []
            first_hour = self.origin % 24
            for ordinal in range(self.first_day.toordinal(), self.last_day.toordinal() + 1):
                prefix = date.fromordinal(ordinal).isoformat()
                labels.extend(prefix + suffix for suffix in _HOUR_TEXT)
            return labels[first_hour : first_hour + self.count]
        if self.dimension == "day":
            return [date.fromordinal(o).isoformat() + _HOUR_TEXT[0] for o in range(self.origin, self.origin + self.count)]
        if self.dimension == "month":
            return [f"{m // 12:04d}-{m % 12 + 1:02d}-01" + _HOUR_TEXT[0] for m in range(self.origin, self.origin + self.count)]
        return [f"{y:04d}-01-01" + _HOUR_TEXT[0] for y in range(self.origin, self.origin + self.count)]
