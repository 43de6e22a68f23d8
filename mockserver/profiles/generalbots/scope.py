"""What one request counts: its bots, user, range and clock (``Scope``), and its range by the
spec's precedence (``resolve_range``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from mockserver.profiles.base import Call
from mockserver.profiles.generalbots.bots import ACTIVE, HISTOGRAM, STARTED, ZERO, Bot, instance
from mockserver.profiles.generalbots.micros import DAY_US, HOUR_US, ONE_US, OPEN_US, micros, to_datetime
from mockserver.profiles.generalbots.sums import add_to, bot_distinct, bot_histograms, bot_sums, fill_series, users_before
from mockserver.profiles.generalbots.users import user_of
from mockserver.synth.calendar import bucket_start, buckets
from mockserver.synth.series import MAX_POINTS as SERIES_LIMIT
from mockserver.synth.series import check_size
from mockserver.timeutil import MAX_INSTANT, UTC, iso_ms, parse_instant, shift
from mockserver.world import NOTHING, Declared

# How long a conversation stays open: a range that ended longer ago than this has final figures.
OPEN = timedelta(microseconds=OPEN_US)
# Largest answer: points of a series (the project's limit).
MAX_POINTS = SERIES_LIMIT


class Scope:
    """The bots, user, range and clock of one request, with the sums over them.

    Activity counts from the later of the range's start and the oldest day kept, up to the
    earlier of the range's end and now: the future part of a range counts zero.
    """

    def __init__(
        self,
        seed: int,
        now: datetime,
        start: datetime,
        end: datetime,
        bot_id: str | None = None,
        user_id: str | None = None,
        world: Declared = NOTHING,
    ) -> None:
        self.seed, self.now, self.start, self.end = seed, now.astimezone(UTC), start, end
        self.now_us = micros(self.now)
        self.cut = self.now_us - OPEN_US
        self.start_us, self.end_us = micros(start), micros(end)
        self.instance = instance(seed, world)
        wanted = _canonical(bot_id)
        self.bots = [b for b in self.instance if wanted is None or b.id == wanted]
        self.user = user_of(seed, str(_canonical(user_id)), self.now_us // DAY_US + 1, self.instance) if user_id else None
        if self.user is not None:
            self.bots = [b for b in self.bots if b is self.user.bot]

    @classmethod
    def of(cls, call: Call, window: tuple[datetime, datetime] | None = None, settled: bool = True) -> Scope:
        """The request's scope. With ``settled``, an answer whose range ended more than a
        conversation's open time before now is the same for every later clock until the kept
        history stops reaching its start: the answer cache reuses it under the real clock."""
        start, end = window or resolve_range(call)
        clock = call.history_clock(start, end, OPEN) if settled else call.now
        return cls(call.seed, clock, start, end, call.params.get("bot_id"), call.params.get("user_id"), call.world)

    def span(self, bot: Bot, lo: int | None = None, hi: int | None = None, clip: bool = True) -> tuple[int, int]:
        """What counts of [lo, hi) (default: the range) for ``bot``: inside the range (unless not
        ``clip``), inside the bot's window, before now."""
        first, last = bot.window(self.now_us)
        lo = self.start_us if lo is None else max(lo, self.start_us) if clip else lo
        hi = self.end_us if hi is None else min(hi, self.end_us) if clip else hi
        return max(lo, first), min(hi, last, self.now_us)

    def period(self) -> dict[str, str]:
        return {"period_start": iso_ms(self.start), "period_end": iso_ms(self.end)}

    def totals(self, lo: int | None = None, hi: int | None = None) -> list[int]:
        out = list(ZERO)
        for bot in self.bots:
            a, b = self.span(bot, lo, hi)
            if self.user is not None:
                for moment, figures, _ in self.user.events(a, b):
                    add_to(out, figures if moment < self.cut else figures[:STARTED])
            else:
                add_to(out, bot_sums(bot, a, b, self.cut))
        return out

    def histograms(self) -> list[int]:
        out = [0] * HISTOGRAM
        for bot in self.bots:
            a, b = self.span(bot)
            if self.user is not None:
                for moment, _, bins in self.user.events(a, min(b, self.cut)):
                    add_to(out, bins)
            else:
                add_to(out, bot_histograms(bot, a, b, self.cut))
        return out

    def distinct(self, lo: int | None = None, hi: int | None = None) -> int:
        """Distinct active users (users are each of one bot, so the bots' counts add up)."""
        count = 0
        for bot in self.bots:
            a, b = self.span(bot, lo, hi)
            if self.user is not None:
                count += any(figures[ACTIVE] for _, figures, _ in self.user.events(a, b))
            else:
                count += bot_distinct(bot, a, b, self.cut)
        return count

    def total_users(self) -> int:
        """Users whose first conversation ever started before the range's end (and before now)."""
        end = min(self.end_us, self.now_us)
        if self.user is not None:
            first = self.user.first_moment()
            return int(bool(self.bots) and first is not None and first < end)
        return sum(users_before(bot, end) for bot in self.bots)

    def check(self, dimension: str, limit: int = MAX_POINTS, *, hint: str, items: str = "points") -> None:
        """A 400 naming the limit when the answer would hold more than ``limit`` buckets, with the
        endpoint's own way to narrow the request (``hint``) and name for its items."""
        if self.end > self.start:
            check_size(self.start, self.end - ONE_US, dimension, limit=limit, hint=hint, items=items)

    def series(self, dimension: str, wanted: tuple[int, ...]) -> tuple[list[int], list[list[int]]]:
        """Every bucket of the range (its start in microseconds), oldest first, and for each
        figure ``wanted`` its value per bucket, zeros included (check the size first)."""
        if self.end <= self.start:
            return [], [[] for _ in wanted]
        if dimension in ("hour", "day"):
            step = HOUR_US if dimension == "hour" else DAY_US
            first = micros(bucket_start(self.start, dimension))
            moments = list(range(first, micros(bucket_start(self.end - ONE_US, dimension)) + 1, step))

            def locate(moment: int) -> int:
                return (moment - first) // step
        else:
            moments = [micros(m) for m in buckets(self.start, self.end - ONE_US, dimension)]
            index = {m: i for i, m in enumerate(moments)}

            def locate(moment: int) -> int:
                return index[micros(bucket_start(to_datetime(moment), dimension))]

        columns = [[0] * len(moments) for _ in wanted]
        for bot in self.bots:
            a, b = self.span(bot)
            if self.user is None:
                fill_series(bot, a, b, self.cut, dimension, wanted, columns, locate)
                continue
            for moment, figures, _ in self.user.events(a, b):
                at_index = locate(moment)
                for k, figure in enumerate(wanted):
                    if figure < STARTED or moment < self.cut:
                        columns[k][at_index] += figures[figure]
        return moments, columns

    def days_with_data(self) -> int:
        """UTC days touched by the range's part between the instance's oldest kept day and now."""
        first = min((b.window(self.now_us)[0] for b in self.instance), default=self.now_us)
        lo, hi = max(self.start_us, first), min(self.end_us, self.now_us)
        return (hi - 1) // DAY_US - lo // DAY_US + 1 if hi > lo else 0


def _canonical(value: str | None) -> str | None:
    """A UUID in its canonical lower-case form (the spec lets only UUIDs through)."""
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value.lower()


def resolve_range(call: Call) -> tuple[datetime, datetime]:
    """(start inclusive, end exclusive) by the spec's precedence: dates, then days, then period."""
    supplied = call.supplied
    if "start_date" in supplied or "end_date" in supplied:
        raw_start, raw_end = call.params.get("start_date"), call.params.get("end_date")
        if raw_start and raw_end and parse_instant(raw_start) > parse_instant(raw_end):
            raw_start, raw_end = raw_end, raw_start  # the spec swaps reversed bounds
        end = call.now.astimezone(UTC) if raw_end is None else end_of(raw_end)  # both dates: no clock read
        start = parse_instant(raw_start) if raw_start else shift(end, -timedelta(days=30))
        return (start, end) if start <= end else (end, start)
    now = call.now.astimezone(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if "days" in supplied:
        return shift(today, -timedelta(days=call.params["days"] - 1)), now
    period = call.params.get("period") if "period" in supplied else None
    if period == "today":
        return today, now
    if period == "week":
        return today - timedelta(days=today.weekday()), now
    if period == "month":
        return today.replace(day=1), now
    if period == "year":
        return today.replace(month=1, day=1), now
    return shift(today, -timedelta(days=29)), now


def end_of(raw: str) -> datetime:
    """A range's exclusive end: a date includes its whole UTC day."""
    if len(raw) == 10:
        last_ms = parse_instant(raw, end_of_day=True)
        return last_ms + timedelta(milliseconds=1) if last_ms < MAX_INSTANT else MAX_INSTANT
    return parse_instant(raw)
