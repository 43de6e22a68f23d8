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

import numpy as np

from mockserver.errors import INVALID_PARAMETER, Problem
from mockserver.profiles.base import Call
from mockserver.profiles.chatcaptain.channels import DAY, HOUR, MS, Channel
from mockserver.profiles.chatcaptain.days import channel_day, channel_detail, channel_hours, day_events
from mockserver.synth import timeline
from mockserver.synth.activity import HISTORY_DAYS
from mockserver.synth.apportion import apportion
from mockserver.synth.calendar import day_start
from mockserver.synth.series import check_size
from mockserver.synth.timeline import DAY_MS, HOUR_MS, in_range, to_ms
from mockserver.timeutil import iso_ms, shift
from mockserver.validation.schema import parse_date_time, shorten

# Histograms that are a sample of the conversations (DayEvents.samples), by the vector's name.
SAMPLED = {"hist_messages": "messages", "hist_calls": "calls", "hist_inputs": "inputs"}


class Piece(NamedTuple):
    """One channel's day inside a span: whole, or only its milliseconds ``low``..``high``."""

    channel: int  # index into the span's channels
    day: date
    begins: datetime
    low: int  # ms into the day, included
    high: int  # ms into the day, included
    whole: bool

    @property
    def first(self) -> int:
        return self.low // HOUR_MS

    @property
    def last(self) -> int:
        return self.high // HOUR_MS


class Span:
    """The channels of one report and the figures they sum to over [start, end] (both inclusive).

    Data exists from the oldest kept day (five years before now) up to the instant now (the hour
    holding it is partial); each channel adds its own lifetime (creation, deactivation) through
    ``channel_day``. A day the span cuts counts the conversations that start inside it (events.py).
    """

    def __init__(self, seed: int, now: datetime, channels: Sequence[Channel], start: datetime, end: datetime) -> None:
        self.seed, self.now, self.channels = seed, now, tuple(channels)
        self.start, self.end = start, end
        oldest = day_start(shift(now, -timedelta(days=HISTORY_DAYS)).date())
        self.lo, self.hi = max(start, oldest), min(end, now)
        self._pieces: list[Piece] | None = None
        self._sums: dict[str, list[int]] = {}
        self._previous: Span | None = None
        self._stamps: dict[int, list[str]] = {}

    def pieces(self) -> list[Piece]:
        if self._pieces is not None:
            return self._pieces
        result: list[Piece] = []
        lo, hi = to_ms(self.lo), to_ms(self.hi)
        window = timeline.Span(lo, hi)
        for index, channel in enumerate(self.channels):
            if hi < lo:
                break
            day, last_day = max(self.lo.date(), channel.created.date()), self.hi.date()
            if channel.until is not None:
                last_day = min(last_day, channel.until.date())
            while day <= last_day:
                low, high = window.within(day.toordinal())
                result.append(Piece(index, day, day_start(day), low, high, low == 0 and high == DAY_MS - 1))
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
        """``name`` over the piece."""
        if piece.whole:
            return channel_day(self.seed, self.channels[piece.channel], piece.day)[name]
        return day_events(self.seed, self.channels[piece.channel], piece.day).sums(piece.low, piece.high)[name]

    def handovers(self) -> dict[str, np.ndarray]:
        """The conversations handed to the inbox that start in the span, with their timelines
        (events.Handovers; ``instants`` in ms since 1970)."""
        parts: dict[str, list[np.ndarray]] = {}
        for piece in self.pieces():
            handed = day_events(self.seed, self.channels[piece.channel], piece.day).handovers
            inside = in_range(handed.instants, piece.low, piece.high)
            for name, values in vars(handed).items():
                chosen = values[inside]
                parts.setdefault(name, []).append(chosen + to_ms(piece.begins) if name == "instants" else chosen)
        empty = {name: np.zeros(0) for name in ("instants", "first_reply", "closed_after", "waiting", "agent", "sent")}
        return {name: np.concatenate(values) for name, values in parts.items()} if parts else empty

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
            if piece.whole:
                parts.append(values)
            elif name in SAMPLED:  # the conversations of the part: their own sample
                events = day_events(seed, channel, piece.day)
                parts.append(events.histogram(SAMPLED[name], piece.low, piece.high, len(values)))
            elif name == "by_intent":  # the part's own greetings, then its other hits along the day's mix
                part = day_events(seed, channel, piece.day).sums(piece.low, piece.high)
                parts.append([part["greetings"], *apportion(part["intent_hits"] - part["greetings"], values[1:])])
            else:
                parts.append(apportion(self._part(piece, base), values))
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
                    value = hours[hour]
                    low, high = max(piece.low, hour * HOUR_MS), min(piece.high, (hour + 1) * HOUR_MS - 1)
                    if value and (low, high) != (hour * HOUR_MS, (hour + 1) * HOUR_MS - 1):
                        value = day_events(seed, channel, piece.day).sums(low, high)[name]
                    if value:
                        values[(max(begins + hour * HOUR, start) - start) // width] += value
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


def report_clock(call: Call, start: datetime, end: datetime, settled: timedelta = timedelta(0)) -> datetime:
    """The clock a report of [start, end] reads (``Call.history_clock``): its history reaches back
    to the equally long period before ``start``, a trend's."""
    return call.history_clock(shift(start, -(end - start) - MS), end, settled)
