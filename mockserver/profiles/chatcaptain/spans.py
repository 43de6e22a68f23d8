"""What a report sums over its range: a channel report aggregates one channel, the overview
aggregates all of them, so the overview is the sum of the channel reports wherever a sum means
something.

Cost: whole days contribute their cached day figures (a daily series from a local midnight
splits each day at that hour with prefix sums), only the edge days of a range are read hour by
hour, so a request costs one step per channel and day; an hourly series adds 24 slots per day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from operator import add
from typing import Any, NamedTuple

from mockserver.errors import INVALID_PARAMETER, Problem
from mockserver.profiles.base import Call
from mockserver.profiles.chatcaptain.channels import DAY, HOUR, MS, Channel
from mockserver.profiles.chatcaptain.days import channel_day, channel_detail, channel_hours
from mockserver.synth.activity import HISTORY_DAYS
from mockserver.synth.apportion import apportion
from mockserver.synth.calendar import day_start
from mockserver.synth.series import check_size
from mockserver.timeutil import iso_ms, shift
from mockserver.validation.schema import parse_date_time, shorten


class Piece(NamedTuple):
    """One channel's day inside a span: whole, or only its hours ``first``..``last``."""

    channel: int  # index into the span's channels
    day: date
    begins: datetime
    first: int
    last: int
    whole: bool


class Span:
    """The channels of one report and the figures they sum to over [start, end] (both inclusive).

    Data exists from the oldest kept day (five years before now) up to the last hour that began
    before now; each channel adds its own lifetime (creation, deactivation) through ``channel_day``.
    """

    def __init__(self, seed: int, now: datetime, channels: Sequence[Channel], start: datetime, end: datetime) -> None:
        self.seed, self.now, self.channels = seed, now, tuple(channels)
        self.start, self.end = start, end
        oldest = day_start(shift(now, -timedelta(days=HISTORY_DAYS)).date())
        self.lo, self.hi = max(start, oldest), min(end, shift(now, -MS))
        self._pieces: list[Piece] | None = None
        self._sums: dict[str, list[int]] = {}
        self._previous: Span | None = None
        self._stamps: dict[int, list[str]] = {}

    def pieces(self) -> list[Piece]:
        if self._pieces is not None:
            return self._pieces
        result: list[Piece] = []
        lo, hi = self.lo, self.hi
        for index, channel in enumerate(self.channels):
            if hi < lo:
                break
            day, last_day = max(lo.date(), channel.created.date()), hi.date()
            if channel.until is not None:
                last_day = min(last_day, channel.until.date())
            while day <= last_day:
                begins = day_start(day)
                first = 0 if lo <= begins else (lo - begins) // HOUR
                last = 23 if begins + 23 * HOUR <= hi else (hi - begins) // HOUR
                result.append(Piece(index, day, begins, first, last, first == 0 and last == 23))
                day += DAY
        self._pieces = result
        return result

    def previous(self) -> Span:
        """The equally long period that ends 1 ms before this one (for periodic trends)."""
        if self._previous is None:
            previous_to = shift(self.start, -MS)
            previous_from = shift(previous_to, -(self.end - self.start))
            self._previous = Span(self.seed, self.now, self.channels, previous_from, previous_to)
        return self._previous

    def _part(self, piece: Piece, name: str) -> int:
        """``name`` over the piece's hours."""
        if piece.whole:
            return channel_day(self.seed, self.channels[piece.channel], piece.day)[name]
        prefix = channel_hours(self.seed, self.channels[piece.channel], piece.day, name)[1]
        return prefix[piece.last + 1] - prefix[piece.first]

    def per_channel(self, name: str) -> list[int]:
        """``name`` summed over the span, per channel (in the order of ``channels``)."""
        if name not in self._sums:
            sums = [0] * len(self.channels)
            seed, channels = self.seed, self.channels
            for piece in self.pieces():
                if piece.whole:
                    sums[piece.channel] += channel_day(seed, channels[piece.channel], piece.day)[name]
                else:
                    sums[piece.channel] += self._part(piece, name)
            self._sums[name] = sums
        return self._sums[name]

    def sum(self, name: str) -> int:
        return sum(self.per_channel(name))

    def vector(self, name: str, base: str, voice_only: bool = False) -> list[int]:
        """A per-day vector (languages, intents, a histogram) summed over the span; a partial day's
        vector is rescaled to its in-range ``base`` figure, so the vector adds up like the totals."""
        parts = []
        seed, channels = self.seed, self.channels
        for piece in self.pieces():
            channel = channels[piece.channel]
            if voice_only and not channel.voice:
                continue
            figures = channel_detail(seed, channel, piece.day)
            values = figures.get(name)
            if values is None or not figures[base]:
                continue
            parts.append(values if piece.whole else apportion(self._part(piece, base), values))
        return [sum(column) for column in zip(*parts)]

    def series(self, name: str, interval: int) -> list[dict[str, Any]]:
        """One point per ``interval`` seconds from ``start`` to ``end``, zero where nothing happened;
        each hour counts in the bucket holding its start (the first bucket, if it began before)."""
        start, width = self.start, timedelta(seconds=interval)
        stamps = self.stamps(interval)
        values = [0] * len(stamps)
        seed, channels = self.seed, self.channels
        for piece in self.pieces():
            channel = channels[piece.channel]
            day_total = channel_day(seed, channel, piece.day)[name]
            if not day_total:
                continue
            begins = piece.begins
            if piece.whole and interval == 86400:
                # A whole day falls into at most two buckets: split it at the bucket boundary.
                index = (begins - start) // width
                cut = min(-((begins - start - (index + 1) * width) // HOUR), 24)
                if cut == 24:
                    values[index] += day_total
                else:
                    before = channel_hours(seed, channel, piece.day, name)[1][cut]
                    values[index] += before
                    values[index + 1] += day_total - before
            elif piece.whole and interval == 3600:
                index = (begins - start) // HOUR
                values[index : index + 24] = map(
                    add, values[index : index + 24], channel_hours(seed, channel, piece.day, name)[0]
                )
            else:
                hours = channel_hours(seed, channel, piece.day, name)[0]
                for hour in range(piece.first, piece.last + 1):
                    if hours[hour]:
                        values[(max(begins + hour * HOUR, start) - start) // width] += hours[hour]
        return [{"date": d, "value": v} for d, v in zip(stamps, values)]

    def check_size(self, interval: int) -> int:
        """The number of points of a series over the span; a 400 naming the limit when too many."""
        width = timedelta(seconds=interval)
        points = (self.end - self.start) // width + 1
        check_size(self.start, self.start + (points - 1) * width, "hour" if interval == 3600 else "day")
        return points

    def stamps(self, interval: int) -> list[str]:
        """The series' bucket starts as ISO strings (computed once for all series of a report)."""
        if interval not in self._stamps:
            points, start, width = self.check_size(interval), self.start, timedelta(seconds=interval)
            # Buckets are whole hours apart: only the date and the hour change from one to the next.
            tail = iso_ms(start)[13:]
            dates: dict[date, str] = {}
            stamps = []
            for i in range(points):
                moment = start + i * width
                day = moment.date()
                text = dates.get(day)
                if text is None:
                    text = dates[day] = iso_ms(moment)[:11]
                stamps.append(f"{text}{moment.hour:02d}{tail}")
            self._stamps[interval] = stamps
        return self._stamps[interval]


def timeframe(call: Call) -> tuple[datetime, datetime]:
    """``from`` and ``to`` as UTC instants; a 400 naming both when ``to`` is before ``from``."""
    start, end = call.instant("from"), call.instant("to")
    sent_from, sent_to = str(call.params["from"]), str(call.params["to"])
    try:  # compare as sent: clamping at the ends of the calendar must not reorder them
        reversed_ = parse_date_time(sent_to) < parse_date_time(sent_from)
    except (TypeError, ValueError, OverflowError):
        reversed_ = end < start
    if reversed_:
        raise Problem(
            INVALID_PARAMETER,
            f"Invalid timeframe: 'to' ({shorten(sent_to)}) is before 'from' "
            f"({shorten(sent_from)}); send a 'to' at or after 'from'.",
            "query",
            "to",
        )
    return start, max(start, end)
