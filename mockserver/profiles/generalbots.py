"""General Bots (botserver) Analytics API: one instance with a few bots and their users.

Every figure is an aggregation of the same conversations. A bot's days are generated in order
from its creation (a day's returning users can only come from the users seen before it) and kept
as prefix sums, so a sum over any whole days costs two look-ups; only the days cut by a bound,
by "now" or by the end of the open window are split, conversation by conversation. A user's
conversations are some of their bot's conversations, so a user's figures are made of the same
items as the bot's. The rules a client sees are written in the spec (specs/generalbots.yaml).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
import time
import uuid
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import add, sub
from typing import Any

from mockserver import errors
from mockserver.errors import Problem
from mockserver.generation.rng import derive, keyed_random
from mockserver.jobs.model import Job
from mockserver.openapi.model import Operation
from mockserver.profiles.base import RETRY_AFTER, Call, Profile, Reply, handles
from mockserver.synth.activity import DIURNAL, HISTORY_DAYS, LIFETIME_START, RAMP_DAYS, WEEKLY
from mockserver.synth.calendar import bucket_count, bucket_start, buckets, next_start
from mockserver.synth.series import MAX_POINTS as SERIES_LIMIT
from mockserver.synth.series import check_size
from mockserver.timeutil import MAX_INSTANT, UTC, iso_ms, parse_instant, shift
from mockserver.validation.schema import shorten

_CODES = {
    errors.INVALID_PARAMETER: "invalid_parameter",
    errors.INVALID_BODY: "bad_request",
    errors.MALFORMED_BODY: "bad_request",
    errors.UNAUTHORIZED: "invalid_token",
    errors.FORBIDDEN: "insufficient_permissions",
    errors.NOT_FOUND: "not_found",
    errors.METHOD_NOT_ALLOWED: "method_not_allowed",
    errors.PAYLOAD_TOO_LARGE: "payload_too_large",
    errors.UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    errors.RATE_LIMITED: "rate_limit_exceeded",
    errors.INTERNAL: "internal_error",
}
# Largest answers: points of a series (the project's limit), cohorts of a retention table (each
# holds a row of shares, so the table grows with the square), days of a report file (a PDF page
# holds about 37).
MAX_POINTS = SERIES_LIMIT
MAX_COHORTS = 150
MAX_REPORT_DAYS = 5000

# --- time, in integer microseconds since 0001-01-01 (the proleptic ordinal's day 1) ------------

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


# --- the instance's bots -------------------------------------------------------------------

# Figures of a day, in this order. The first five count when a conversation starts; the last four
# once it has ended (every conversation ends, OPEN_US after it started at the latest).
FIGURES = ("conversations", "user_messages", "bot_messages", "active_users", "new_users",
           "resolved", "escalated", "abandoned", "responses")
CONV, UMSG, BMSG, ACTIVE, NEW, RESOLVED, ESCALATED, ABANDONED, RATED = range(9)
STARTED = 5
ZERO = (0,) * len(FIGURES)
# Conversation lengths (seconds) counted by the duration endpoint: 15 s to just under 14 min.
DURATION_BINS = tuple(round(15 * 1.25**i) for i in range(19))
SCORE_BASE = (0.05, 0.06, 0.14, 0.33, 0.42)
HISTOGRAM = len(DURATION_BINS) + len(SCORE_BASE)
CHANNEL_NAMES = ("web", "whatsapp", "teams", "telegram", "email", "sms")
BOT_NAMES = ("Customer Support", "Sales Assistant", "HR Helpdesk", "IT Service Desk", "Onboarding Guide",
             "Billing Help", "Booking Assistant", "Product Advisor", "Order Tracker", "Store FAQ")
LIFE_DAYS = 20 * 365  # a bot serves for twenty years after its creation
GROWTH_DAYS = 3 * 365  # its yearly trend applies over its first three years
NEW_SHARE_DAYS = 30.0  # a new bot's users are all new at first; the share settles over weeks
SHAPES = 5  # duration shapes per bot (a day picks one: a little day-to-day variation)


class Bot:
    """One bot of the instance: traits drawn once from (seed, bot id)."""

    def __init__(self, seed: int, index: int, name: str) -> None:
        self.seed, self.index, self.name = seed, index, name
        self.id = str(uuid.UUID(int=derive(seed, "generalbots", "bot", index) << 64 | derive(seed, "bot-low", index), version=4))
        rng = keyed_random(seed, "generalbots", self.id, "traits")
        self.created = LIFETIME_START.toordinal() + rng.randint(0, 729)
        self.retired = self.created + LIFE_DAYS
        self.base = math.exp(rng.uniform(math.log(15), math.log(900)))  # conversations on a weekday, grown up
        self.growth = math.log1p(rng.uniform(-0.1, 0.6)) / 365.25  # log of the yearly trend, per day
        self.messages = rng.uniform(2.8, 5.0)  # user messages per conversation
        self.replies = rng.uniform(1.1, 1.5)  # bot messages per user message
        self.visits = rng.uniform(1.08, 1.3)  # conversations per daily active user
        self.new_share = rng.uniform(0.15, 0.35)  # share of new users among a day's actives, long run
        self.spread = rng.uniform(0.3, 0.8)  # how evenly return visits fall on the user base (lower: more regulars)
        self.resolved = rng.uniform(0.6, 0.78)
        self.escalated = rng.uniform(0.07, 0.15)
        self.rated = rng.uniform(0.08, 0.22)  # share of ended conversations that get a rating
        scores = [w * rng.uniform(0.7, 1.3) for w in SCORE_BASE]
        self.scores = _cumulative_shares(scores)
        median, sigma = math.exp(rng.uniform(math.log(70), math.log(240))), rng.uniform(0.55, 0.85)
        self.durations = tuple(_cumulative_shares([math.exp(-((math.log(v) - math.log(median * f)) ** 2) / (2 * sigma**2))
                                                   for v in DURATION_BINS]) for f in (0.9, 0.95, 1.0, 1.05, 1.1))
        count = rng.randint(2, 4)
        picked = ["web", *rng.sample(CHANNEL_NAMES[1:], count - 1)]
        self.channels = tuple((name, (3.0 if name == "web" else 1.0) * rng.uniform(0.5, 1.5)) for name in picked)
        self.response_ms = rng.uniform(350, 1600)
        # Users: one-time visitors, and returning users who come back at their own rate for a while.
        self.one_timers = rng.uniform(0.45, 0.65)
        self.lifetime = rng.uniform(60, 240)  # mean days a returning user keeps coming back
        self.history = History(self)

    def window(self, now_us: int) -> tuple[int, int]:
        """The span whose activity counts: from creation (or the oldest day kept) to retirement."""
        oldest = max(self.created, now_us // DAY_US + 1 - HISTORY_DAYS)
        return day_us(oldest), day_us(self.retired)

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created": date.fromordinal(self.created).isoformat(),
                "channels": [name for name, _ in self.channels]}


def _cumulative_shares(weights: list[float]) -> tuple[float, ...]:
    total, running, shares = sum(weights), 0.0, []
    for w in weights[:-1]:
        running += w
        shares.append(running / total)
    return (*shares, 1.0)


def _split(total: int, shares: tuple[float, ...]) -> list[int]:
    """``total`` over bins by cumulative shares (floors of the running totals): adds up exactly."""
    parts, before = [], 0
    for share in shares:
        upto = total if share >= 1.0 else int(total * share)
        parts.append(upto - before)
        before = upto
    return parts


@lru_cache(maxsize=32)
def bots_for(seed: int) -> tuple[Bot, ...]:
    count = keyed_random(seed, "generalbots", "instance").randint(2, 4)
    names = keyed_random(seed, "generalbots", "names").sample(BOT_NAMES, count)
    return tuple(Bot(seed, i, names[i]) for i in range(count))


class History:
    """One bot's days from its creation, as prefix sums of each figure.

    Generated month by month, in order, from one keyed stream per month: a day's returning users
    are bounded by the users seen before it, so days cannot be drawn independently. Months after
    "now" are generated only when asked; they never change the months before them.
    """

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.cum = [array("q", [0]) for _ in FIGURES]
        self.end = bot.created  # first ordinal not generated
        self.hist = [array("q", [0]) for _ in range(HISTOGRAM)]
        self.hist_end = bot.created
        self._lock = threading.Lock()

    def ensure(self, ordinal: int) -> None:
        """Generate through the month holding ``ordinal`` (never past retirement)."""
        if ordinal < self.end:
            return
        with self._lock:
            last = min(ordinal, self.bot.retired - 1)
            while self.end <= last:
                self._month()

    def _month(self) -> None:
        bot, cum = self.bot, self.cum
        first = date.fromordinal(self.end)
        month_end = date(first.year + first.month // 12, first.month % 12 + 1, 1).toordinal() if first.year < 9999 or first.month < 12 else date.max.toordinal() + 1
        last = min(month_end, bot.retired)
        rng = keyed_random(bot.seed, "generalbots", bot.id, "month", first.year, first.month)
        gauss, random = rng.gauss, rng.random
        totals = [c[-1] for c in cum]
        base, growth, created = bot.base, bot.growth, bot.created
        for ordinal in range(self.end, last):
            age = ordinal - created
            volume = base * min(1.0, 0.15 + 0.85 * age / RAMP_DAYS) * WEEKLY[(ordinal - 1) % 7]
            volume *= math.exp(growth * min(age, GROWTH_DAYS) + 0.18 * gauss(0.0, 1.0))
            conversations = max(int(round(volume + math.sqrt(volume) * gauss(0.0, 1.0))), 0)
            user_messages = round(conversations * bot.messages * (0.96 + 0.08 * random()))
            bot_messages = round(user_messages * bot.replies * (0.97 + 0.06 * random()))
            active = min(conversations, max(round(conversations / bot.visits * (0.98 + 0.04 * random())), 1 if conversations else 0))
            share = bot.new_share + (1 - bot.new_share) * math.exp(-age / NEW_SHARE_DAYS)
            new = min(active, round(active * share * (0.9 + 0.2 * random())))
            new = max(new, active - totals[NEW])  # returning users were seen before
            resolved = min(conversations, round(conversations * (bot.resolved + 0.04 * (random() - 0.5))))
            escalated = min(conversations - resolved, round(conversations * bot.escalated * (0.85 + 0.3 * random())))
            rated = min(conversations, round(conversations * bot.rated * (0.85 + 0.3 * random())))
            day = (conversations, user_messages, bot_messages, active, new, resolved, escalated,
                   conversations - resolved - escalated, rated)
            for i, value in enumerate(day):
                totals[i] += value
                cum[i].append(totals[i])
        self.end = last

    def day(self, ordinal: int) -> tuple[int, ...]:
        """The nine figures of one whole day (zeros outside the bot's life)."""
        i = ordinal - self.bot.created
        if i < 0 or ordinal >= self.bot.retired:
            return ZERO
        self.ensure(ordinal)
        return tuple(c[i + 1] - c[i] for c in self.cum)

    def days(self, first: int, last: int) -> list[int]:
        """Sum of each figure over the whole days [first, last)."""
        created = self.bot.created
        first, last = max(first, created), min(last, self.bot.retired)
        if last <= first:
            return list(ZERO)
        self.ensure(last - 1)
        return [c[last - created] - c[first - created] for c in self.cum]

    def histograms(self, first: int, last: int) -> list[int]:
        """Duration bins then score bins, summed over the whole days [first, last)."""
        created = self.bot.created
        first, last = max(first, created), min(last, self.bot.retired)
        if last <= first:
            return [0] * HISTOGRAM
        self._ensure_histograms(last - 1)
        return [h[last - created] - h[first - created] for h in self.hist]

    def day_histograms(self, ordinal: int) -> list[int]:
        return self.histograms(ordinal, ordinal + 1)

    def _ensure_histograms(self, ordinal: int) -> None:
        if ordinal < self.hist_end:
            return
        self.ensure(ordinal)
        with self._lock:
            bot, cum, hist = self.bot, self.cum, self.hist
            running = [h[-1] for h in hist]
            while self.hist_end <= ordinal:
                i = self.hist_end - bot.created
                # The shape of the day's durations: a keyed draw, one per day, cheap enough to redo.
                shape = bot.durations[derive(bot.seed, bot.id, "shape", self.hist_end) % SHAPES]
                ended = cum[CONV][i + 1] - cum[CONV][i]
                rated = cum[RATED][i + 1] - cum[RATED][i]
                for k, value in enumerate(_split(ended, shape) + _split(rated, bot.scores)):
                    running[k] += value
                    hist[k].append(running[k])
                self.hist_end += 1


@lru_cache(maxsize=8192)
def hour_bounds(bot: Bot, ordinal: int) -> tuple[int, ...]:
    """Conversations of a day before each hour (25 bounds, from 0 to the day's total)."""
    total = bot.history.day(ordinal)[CONV]
    rng = keyed_random(bot.seed, "generalbots", bot.id, "hours", ordinal)
    weights, running = [], 0.0
    for w in DIURNAL:
        running += w * (0.8 + 0.4 * rng.random())
        weights.append(running)
    return (0, *(int(total * w / running) for w in weights[:-1]), total)


def before(bot: Bot, ordinal: int, offset: int) -> int:
    """Conversations of a day starting before ``offset`` microseconds into it.

    The conversations of an hour start evenly spread over it: the p-th of c at p/c of the hour.
    """
    if offset <= 0:
        return 0
    bounds = hour_bounds(bot, ordinal)
    if offset >= DAY_US:
        return bounds[24]
    hour, rest = divmod(offset, HOUR_US)
    low = bounds[hour]
    return low + -(-rest * (bounds[hour + 1] - low) // HOUR_US)


def at(day: tuple[int, ...], j: int) -> tuple[int, ...]:
    """Each figure of a day counted over its first ``j`` conversations (in the order they start).

    Every figure is spread evenly over the conversations with running floors, so the first j hold
    a share that never decreases with j and reaches the day's total at the last conversation.
    Users appear at their first conversation of the day; the new ones are spread over those.
    """
    c = day[CONV]
    if j >= c:
        return day
    if j <= 0:
        return ZERO
    seen = j * day[ACTIVE] // c
    resolved = j * day[RESOLVED] // c
    rest = j - resolved
    other = day[ESCALATED] + day[ABANDONED]
    escalated = rest * day[ESCALATED] // other if other else 0
    return (j, j * day[UMSG] // c, j * day[BMSG] // c, seen, seen * day[NEW] // day[ACTIVE] if day[ACTIVE] else 0,
            resolved, escalated, rest - escalated, j * day[RATED] // c)


def nested(counts: list[int], total: int, j: int) -> list[int]:
    """Bins of the first ``j`` of ``total`` items whose bins are ``counts``, spread evenly."""
    out = []
    for count in counts:
        taken = j * count // total if total > 0 else 0
        out.append(taken)
        j -= taken
        total -= count
    return out


def day_histograms_at(bot: Bot, ordinal: int, j: int) -> list[int]:
    """Duration and score bins of a day's first ``j`` conversations."""
    day = bot.history.day(ordinal)
    full = bot.history.day_histograms(ordinal)
    bins = len(DURATION_BINS)
    return nested(full[:bins], day[CONV], j) + nested(full[bins:], day[RATED], at(day, j)[RATED])


def bot_part(bot: Bot, ordinal: int, lo: int, hi: int, cut: int) -> list[int]:
    """Figures of one day's conversations starting in [lo, hi) (absolute microseconds): the
    started figures of all of them, the ended figures of those that started before ``cut``."""
    day = bot.history.day(ordinal)
    if not day[CONV]:
        return list(ZERO)
    start = day_us(ordinal)
    ja, jb = before(bot, ordinal, lo - start), before(bot, ordinal, hi - start)
    jc = before(bot, ordinal, min(hi, cut) - start) if cut < hi else jb
    a, b, c = at(day, ja), at(day, jb), at(day, max(jc, ja))
    return [b[k] - a[k] for k in range(STARTED)] + [c[k] - a[k] for k in range(STARTED, len(FIGURES))]


def bot_sums(bot: Bot, lo: int, hi: int, cut: int) -> list[int]:
    """Figures of the bot's conversations starting in [lo, hi); ended figures need a start before ``cut``.

    Whole days come from the prefix sums; at most the first day and the last two are split.
    """
    if hi <= lo:
        return list(ZERO)
    first_full = -(-lo // DAY_US) + 1  # ordinal of the first day starting at or after lo
    last_full = min(hi, cut) // DAY_US + 1  # days before this ordinal end by min(hi, cut)
    out = bot.history.days(first_full, last_full) if last_full > first_full else list(ZERO)
    first_day, last_day = lo // DAY_US + 1, (hi - 1) // DAY_US + 1
    for ordinal in range(first_day, min(first_full, last_day + 1)):
        _add(out, bot_part(bot, ordinal, max(lo, day_us(ordinal)), min(hi, day_us(ordinal + 1)), cut))
    for ordinal in range(max(last_full, first_full, first_day), last_day + 1):
        _add(out, bot_part(bot, ordinal, max(lo, day_us(ordinal)), min(hi, day_us(ordinal + 1)), cut))
    return out


def bot_histograms(bot: Bot, lo: int, hi: int, cut: int) -> list[int]:
    """Duration and score bins of the bot's conversations starting in [lo, min(hi, cut))."""
    hi = min(hi, cut)
    if hi <= lo:
        return [0] * HISTOGRAM
    first_full, last_full = -(-lo // DAY_US) + 1, hi // DAY_US + 1
    out = bot.history.histograms(first_full, last_full) if last_full > first_full else [0] * HISTOGRAM
    first_day, last_day = lo // DAY_US + 1, (hi - 1) // DAY_US + 1
    edges = [*range(first_day, min(first_full, last_day + 1)), *range(max(last_full, first_full, first_day), last_day + 1)]
    for ordinal in edges:
        start = day_us(ordinal)
        ja, jb = before(bot, ordinal, max(lo, start) - start), before(bot, ordinal, min(hi, start + DAY_US) - start)
        _add(out, [y - x for x, y in zip(day_histograms_at(bot, ordinal, ja), day_histograms_at(bot, ordinal, jb))])
    return out


def column(day: tuple[int, ...], figure: int, js: list[int] | tuple[int, ...]) -> list[int]:
    """``at(day, j)[figure]`` for each j of ``js`` (0 <= j <= the day's conversations), in bulk."""
    c = day[CONV]
    if figure == CONV or not c:
        return list(js) if figure == CONV else [0] * len(js)
    if figure == NEW:
        seen, fresh = day[ACTIVE], day[NEW]
        return [(j * seen // c) * fresh // seen for j in js] if seen else [0] * len(js)
    if figure in (ESCALATED, ABANDONED):
        resolved, escalated = day[RESOLVED], day[ESCALATED]
        other = escalated + day[ABANDONED]
        if not other:
            return [0] * len(js)
        rest = [j - j * resolved // c for j in js]
        up = [r * escalated // other for r in rest]
        return up if figure == ESCALATED else [r - e for r, e in zip(rest, up)]
    value = day[figure]
    return [j * value // c for j in js]


def fill_series(bot: Bot, lo: int, hi: int, cut: int, dimension: str, wanted: tuple[int, ...],
                columns: list[list[int]], locate: Any) -> None:
    """Add the bot's figures ``wanted`` over [lo, hi) to ``columns``, bucket by bucket.

    ``locate(moment)`` is the index of the bucket holding ``moment``. Whole days come from the
    prefix sums a slice at a time; whole hours from the day's hour bounds.
    """
    if hi <= lo:
        return
    history = bot.history
    first_day, last_day = lo // DAY_US + 1, (hi - 1) // DAY_US + 1
    whole_from, whole_to = -(-lo // DAY_US) + 1, min(hi, cut) // DAY_US + 1
    a, b = max(whole_from, bot.created), min(whole_to, bot.retired)
    split = [o for o in range(first_day, last_day + 1) if not whole_from <= o < whole_to]
    if dimension == "day" and b > a:
        history.ensure(b - 1)
        i0, i1, at_index = a - bot.created, b - bot.created, locate(day_us(a))
        for k, figure in enumerate(wanted):
            cum, col = history.cum[figure], columns[k]
            col[at_index:at_index + b - a] = map(add, col[at_index:at_index + b - a], map(sub, cum[i0 + 1:i1 + 1], cum[i0:i1]))
    elif dimension == "hour" and b > a:
        for ordinal in range(a, b):
            day = history.day(ordinal)
            if not day[CONV]:
                continue
            bounds, at_index = hour_bounds(bot, ordinal), locate(day_us(ordinal))
            for k, figure in enumerate(wanted):
                values, col = column(day, figure, bounds), columns[k]
                col[at_index:at_index + 24] = map(add, col[at_index:at_index + 24], map(sub, values[1:], values[:-1]))
    elif b > a:  # weeks, months, years: whole days a bucket at a time
        moment = bucket_start(to_datetime(day_us(a)), dimension)
        while True:
            begins = max(micros(moment), day_us(a))
            if begins >= day_us(b):
                break
            following = next_start(moment, dimension)
            ends = min(micros(following), day_us(b)) if following < MAX_INSTANT else day_us(b)
            sums = history.days(begins // DAY_US + 1, ends // DAY_US + 1)
            at_index = locate(begins)
            for k, figure in enumerate(wanted):
                columns[k][at_index] += sums[figure]
            if following >= MAX_INSTANT:
                break
            moment = following
    for ordinal in split:  # days cut by a bound, by now or by the open window
        begins = day_us(ordinal)
        step = HOUR_US if dimension == "hour" else DAY_US
        for h0 in range(begins, begins + DAY_US, step):
            part_lo, part_hi = max(lo, h0), min(hi, h0 + step)
            if part_hi <= part_lo:
                continue
            part, at_index = bot_part(bot, ordinal, part_lo, part_hi, cut), locate(part_lo)
            for k, figure in enumerate(wanted):
                columns[k][at_index] += part[figure]


def users_before(bot: Bot, moment: int) -> int:
    """Users of the bot whose first conversation started before ``moment`` (all time)."""
    ordinal = moment // DAY_US + 1
    if ordinal < bot.created:
        return 0
    if ordinal >= bot.retired:
        return bot.history.days(bot.created, bot.retired)[NEW]
    seen = bot.history.days(bot.created, ordinal)[NEW]
    return seen + at(bot.history.day(ordinal), before(bot, ordinal, moment - day_us(ordinal)))[NEW]


def busiest_day(bot: Bot, lo: int, hi: int) -> int:
    """The most active users of one UTC day (the part of it inside [lo, hi))."""
    if hi <= lo:
        return 0
    first, last = lo // DAY_US + 1, (hi - 1) // DAY_US + 1
    inner_first = first + (lo > day_us(first))
    inner_last = last - (hi < day_us(last + 1))  # last whole day
    top = 0
    for ordinal in {o for o in (first, last) if not inner_first <= o <= inner_last}:
        top = max(top, bot_part(bot, ordinal, max(lo, day_us(ordinal)), min(hi, day_us(ordinal + 1)), hi)[ACTIVE])
    a, b = max(inner_first, bot.created), min(inner_last + 1, bot.retired)
    if b > a:
        bot.history.ensure(b - 1)
        column = bot.history.cum[ACTIVE]
        offset = bot.created
        top = max(top, max(column[i + 1] - column[i] for i in range(a - offset, b - offset)))
    return top


def bot_distinct(bot: Bot, lo: int, hi: int, cut: int) -> int:
    """Distinct users active in [lo, hi): the new ones, plus those seen before who came back.

    The users seen before (p0) return with uneven rates (a gamma mixture with shape ``spread``),
    so ``returning`` visits reach p0 * (1 - (1 + returning / (spread * p0)) ** -spread) of them.
    The result never exceeds the users seen by ``hi``, never falls below the new users, nor below
    the busiest day's active users; it depends only on the activity inside [lo, hi) and before it.
    """
    if hi <= lo:
        return 0
    sums = bot_sums(bot, lo, hi, cut)
    if not sums[ACTIVE]:
        return 0
    p0 = users_before(bot, lo)
    returning = sums[ACTIVE] - sums[NEW]
    old = p0 * (1 - (1 + returning / (bot.spread * p0)) ** -bot.spread) if p0 and returning else 0.0
    return min(p0 + sums[NEW], max(busiest_day(bot, lo, hi), sums[NEW] + round(old)))


def _add(total: list[int], part: list[int] | tuple[int, ...]) -> None:
    for i, value in enumerate(part):
        total[i] += value


# --- users ----------------------------------------------------------------------------------

FIRST_SEEN_DAYS = 4 * 365  # users' first conversations spread over the bot's first four years
RETURN_DAYS = 3 * 365  # a returning user keeps coming back for at most three years


class User:
    """A user of the instance, named by any UUID: their bot, first day and visits follow from it.

    A visit is a day with one to three conversations, all with the user's bot, each one of the
    bot's conversations of that day; the first of the day is where the user counts as active,
    and on the user's first day, as new.
    """

    def __init__(self, seed: int, user_id: str, horizon: int) -> None:
        self.id = user_id
        bots = bots_for(seed)
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
        for ordinal, indices in self.visits[bisect_left(days, lo // DAY_US + 1): bisect_right(days, (hi - 1) // DAY_US + 1)]:
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
def user_of(seed: int, user_id: str, horizon: int) -> User:
    return User(seed, user_id, horizon)


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


# --- what one request counts ------------------------------------------------------------------


class Scope:
    """The bots, user, range and clock of one request, with the sums over them.

    Activity counts from the later of the range's start and the oldest day kept, up to the
    earlier of the range's end and now: the future part of a range counts zero.
    """

    def __init__(self, seed: int, now: datetime, start: datetime, end: datetime,
                 bot_id: str | None = None, user_id: str | None = None) -> None:
        self.seed, self.now, self.start, self.end = seed, now.astimezone(UTC), start, end
        self.now_us = micros(self.now)
        self.cut = self.now_us - OPEN_US
        self.start_us, self.end_us = micros(start), micros(end)
        self.instance = bots_for(seed)
        wanted = _canonical(bot_id)
        self.bots = [b for b in self.instance if wanted is None or b.id == wanted]
        self.user = user_of(seed, _canonical(user_id), self.now_us // DAY_US + 1) if user_id else None
        if self.user is not None:
            self.bots = [b for b in self.bots if b is self.user.bot]

    @classmethod
    def of(cls, call: Call, window: tuple[datetime, datetime] | None = None) -> Scope:
        start, end = window or resolve_range(call)
        return cls(call.seed, call.now, start, end, call.params.get("bot_id"), call.params.get("user_id"))

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
                    _add(out, figures if moment < self.cut else figures[:STARTED])
            else:
                _add(out, bot_sums(bot, a, b, self.cut))
        return out

    def histograms(self) -> list[int]:
        out = [0] * HISTOGRAM
        for bot in self.bots:
            a, b = self.span(bot)
            if self.user is not None:
                for moment, _, bins in self.user.events(a, min(b, self.cut)):
                    _add(out, bins)
            else:
                _add(out, bot_histograms(bot, a, b, self.cut))
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

    def check(self, dimension: str, limit: int = MAX_POINTS, hint: str = "", items: str = "points") -> None:
        """A 400 naming the limit when the answer would hold more than ``limit`` buckets, with the
        endpoint's own way to narrow the request (``hint``) and name for its items."""
        if self.end <= self.start:
            return
        try:
            check_size(self.start, self.end - ONE_US, dimension, limit=limit)
        except Problem as problem:
            problem.message = problem.message.replace(" points (", f" {items} (", 1)
            if hint:
                problem.message = problem.message.replace("Narrow the range or choose a coarser bucket.", hint)
            raise

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
    now, supplied = call.now.astimezone(UTC), call.supplied
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if "start_date" in supplied or "end_date" in supplied:
        raw_start, raw_end = call.params.get("start_date"), call.params.get("end_date")
        if raw_start and raw_end and parse_instant(raw_start) > parse_instant(raw_end):
            raw_start, raw_end = raw_end, raw_start  # the spec swaps reversed bounds
        end = now if raw_end is None else _end_of(raw_end)
        start = parse_instant(raw_start) if raw_start else shift(end, -timedelta(days=30))
        return (start, end) if start <= end else (end, start)
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


def _end_of(raw: str) -> datetime:
    """A range's exclusive end: a date includes its whole UTC day."""
    if len(raw) == 10:
        last_ms = parse_instant(raw, end_of_day=True)
        return last_ms + timedelta(milliseconds=1) if last_ms < MAX_INSTANT else MAX_INSTANT
    return parse_instant(raw)


# --- the profile ----------------------------------------------------------------------------


class GeneralBots(Profile):
    name = "generalbots"
    title = "General Bots Analytics API"
    spec_file = "generalbots.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        if problem.status == 429:
            return {"error": "rate_limit_exceeded", "message": problem.message, "retry_after_secs": RETRY_AFTER}
        code = _CODES.get(problem.kind, "bad_request")
        if problem.kind == errors.UNAUTHORIZED:  # botserver names a missing and an expired token apart
            code = {"missing": "missing_token", "expired": "expired_token"}.get(problem.reason or "", "invalid_token")
        return {"error": code, "message": problem.message}

    def entities(self, seed: int) -> dict[str, Any]:
        """The instance's bots, and a few of its users: any UUID names a user, and most come once,
        so these are regulars, with at least five visits in the first five months of 2025."""
        first, last = date(2025, 1, 1).toordinal(), date(2025, 5, 31).toordinal()
        examples = []
        for i in range(400):
            user_id = str(uuid.UUID(int=derive(seed, "generalbots", "example-user", i) << 64 | derive(seed, "user-low", i), version=4))
            user = user_of(seed, user_id, last)
            if user.first is not None and sum(first <= day <= last for day, _ in user.visits) >= 5:
                examples.append({"id": user_id, "bot_id": user.bot.id, "first_seen": date.fromordinal(user.first[0]).isoformat()})
                if len(examples) == 5:
                    break
        return {"bots": [b.describe() for b in bots_for(seed)], "users": examples}

    def authorize(self, operation: Operation, headers: Mapping[str, str]) -> None:
        """Expiry from the bearer JWT's ``exp`` (real clock), roles from its ``roles`` claim; see the spec."""
        claims = token_claims(headers.get("authorization", ""))
        if claims is None:
            return  # an opaque token or an API key: every role
        if "exp" in claims:
            expires = claims["exp"]
            if isinstance(expires, bool) or not isinstance(expires, (int, float)) or math.isnan(expires):
                raise Problem(errors.UNAUTHORIZED, f"The token's 'exp' claim must be a number of seconds since "
                              f"1970, got {shorten(json.dumps(expires))}.", "header", "Authorization",
                              headers=_challenge("invalid_token", "The exp claim is not a NumericDate"), reason="malformed")
            if expires <= time.time():
                raise Problem(errors.UNAUTHORIZED, f"The token expired at {_when(expires)}; get a new token.",
                              "header", "Authorization", headers=_challenge("invalid_token", "The token expired"), reason="expired")
        roles = _roles(claims)
        needed = REPORT_ROLES if "/reports" in operation.path else VIEWER_ROLES
        if not roles & needed:
            raise Problem(errors.FORBIDDEN, f"{operation.operation_id} needs the role {' or '.join(sorted(needed))}; "
                          f"the token has {shorten(', '.join(sorted(roles))) if roles else 'no roles'}.", "header", "Authorization")

    @handles("getUsage")
    def usage(self, call: Call) -> Any:
        scope = Scope.of(call)
        t = scope.totals()
        messages = t[UMSG] + t[BMSG]
        return {
            **scope.period(),
            "total_conversations": t[CONV],
            "total_messages": messages,
            "total_users": scope.total_users(),
            "active_users": scope.distinct(),
            "new_users": t[NEW],
            "avg_messages_per_conversation": _ratio(messages, t[CONV]),
        }

    @handles("getDailyUsage")
    def daily(self, call: Call) -> Any:
        scope = Scope.of(call)
        scope.check("day", hint="Narrow the range (start_date and end_date, or days), or use usage/monthly.")
        moments, (conversations, users_msgs, bot_msgs, active, new) = scope.series("day", (CONV, UMSG, BMSG, ACTIVE, NEW))
        data = [{"date": day_label(m // DAY_US + 1), "conversations": c, "messages": u + b, "active_users": a, "new_users": n}
                for m, c, u, b, a, n in zip(moments, conversations, users_msgs, bot_msgs, active, new)]
        return {**scope.period(), "data": data}

    @handles("getMonthlyUsage")
    def monthly(self, call: Call) -> Any:
        scope = Scope.of(call)
        scope.check("month", hint="Narrow the range (start_date and end_date).")
        moments, (conversations, users_msgs, bot_msgs, new) = scope.series("month", (CONV, UMSG, BMSG, NEW))
        ends = moments[1:] + [micros(next_start(to_datetime(moments[-1]), "month"))] if moments else []
        data = [{"month": day_label(m // DAY_US + 1)[:7], "conversations": c, "messages": u + b,
                 "active_users": scope.distinct(m, e) if c else 0, "new_users": n}
                for m, e, c, u, b, n in zip(moments, ends, conversations, users_msgs, bot_msgs, new)]
        t = scope.totals()
        return {
            **scope.period(),
            "data": data,
            "totals": {"conversations": t[CONV], "messages": t[UMSG] + t[BMSG], "active_users": scope.distinct(),
                       "new_users": t[NEW]},
        }

    @handles("getConversationMetrics")
    def conversations(self, call: Call) -> Any:
        scope = Scope.of(call)
        t = scope.totals()
        ended = t[RESOLVED] + t[ESCALATED] + t[ABANDONED]
        messages = t[UMSG] + t[BMSG]
        return {
            **scope.period(),
            "total_conversations": t[CONV],
            "open_conversations": t[CONV] - ended,
            "ended_conversations": ended,
            "unique_users": scope.distinct(),
            "total_messages": messages,
            "user_messages": t[UMSG],
            "bot_messages": t[BMSG],
            "avg_messages_per_conversation": _ratio(messages, t[CONV]),
            "avg_duration_seconds": _durations(scope.histograms())["avg"],
            **_outcome_rates(t),
        }

    @handles("getConversationVolume")
    def volume(self, call: Call) -> Any:
        scope = Scope.of(call)
        group_by = call.params.get("group_by", "day")
        scope.check(group_by, hint="Narrow the range (start_date and end_date, days or period) or choose a wider group_by.")
        moments, (conversations, users_msgs, bot_msgs) = scope.series(group_by, (CONV, UMSG, BMSG))
        data = [{"timestamp": hour_label(m), "conversations": c, "messages": u + b}
                for m, c, u, b in zip(moments, conversations, users_msgs, bot_msgs)]
        return {**scope.period(), "group_by": group_by, "data": data}

    @handles("getConversationDuration")
    def duration(self, call: Call) -> Any:
        scope = Scope.of(call)
        stats = _durations(scope.histograms())
        return {
            **scope.period(),
            "conversations": stats["count"],
            "avg_duration_seconds": stats["avg"],
            "median_duration_seconds": stats["median"],
            "p90_duration_seconds": stats["p90"],
            "min_duration_seconds": stats["min"],
            "max_duration_seconds": stats["max"],
        }

    @handles("getConversationResolution")
    def resolution(self, call: Call) -> Any:
        scope = Scope.of(call)
        t = scope.totals()
        ended = t[RESOLVED] + t[ESCALATED] + t[ABANDONED]
        return {
            **scope.period(),
            "total_conversations": t[CONV],
            "resolved": t[RESOLVED],
            "escalated": t[ESCALATED],
            "abandoned": t[ABANDONED],
            "open": t[CONV] - ended,
            **_outcome_rates(t),
        }

    @handles("getEngagement")
    def engagement(self, call: Call) -> Any:
        scope = Scope.of(call)
        t = scope.totals()
        active = scope.distinct()
        days = scope.days_with_data()
        daily_active = round(t[ACTIVE] / days, 2) if days and t[ACTIVE] else 0
        return {
            **scope.period(),
            "active_users": active,
            "new_users": t[NEW],
            "returning_users": active - t[NEW],
            "total_sessions": t[CONV],
            "sessions_per_user": _ratio(t[CONV], active),
            "messages_per_session": _ratio(t[UMSG] + t[BMSG], t[CONV]),
            "avg_session_duration_seconds": _durations(scope.histograms())["avg"],
            "avg_daily_active_users": daily_active,
            "stickiness": _ratio(daily_active, active, 4),
        }

    @handles("getRetention")
    def retention(self, call: Call) -> Any:
        scope = Scope.of(call)
        group_by = call.params.get("group_by", "week")
        scope.check(group_by, MAX_COHORTS, "Narrow the range (start_date and end_date, days or period) or choose a wider group_by.",
                    "cohorts")
        return {**scope.period(), "group_by": group_by, "cohorts": cohorts(scope, group_by)}

    @handles("getSatisfaction")
    def satisfaction(self, call: Call) -> Any:
        scope = Scope.of(call)
        t = scope.totals()
        scores = scope.histograms()[len(DURATION_BINS):]
        responses = sum(scores)
        ended = t[RESOLVED] + t[ESCALATED] + t[ABANDONED]
        return {
            **scope.period(),
            "responses": responses,
            "average_score": _ratio(sum((i + 1) * n for i, n in enumerate(scores)), responses),
            "distribution": {str(i + 1): n for i, n in enumerate(scores)},
            "csat": _ratio(scores[3] + scores[4], responses, 4),
            "response_rate": _ratio(responses, ended, 4),
        }

    @handles("getRealtimeMetrics")
    def realtime(self, call: Call) -> Any:
        now = live(call)
        messages = sum(b["messages"] for b in now)
        waited = sum(b["messages"] * b["response_ms"] for b in now)
        return {
            "timestamp": iso_ms(call.now),
            "active_sessions": sum(b["sessions"] for b in now),
            "active_users": sum(b["users"] for b in now),
            "messages_per_minute": round(messages / 5, 2),
            "conversations_per_minute": round(sum(b["started"] for b in now) / 5, 2),
            "avg_response_time_ms": round(waited / messages, 1) if messages else None,
        }

    @handles("getActiveSessions")
    def active_sessions(self, call: Call) -> Any:
        now = live(call)
        channels: dict[str, int] = {}
        for bot in now:
            for name, count in bot["channels"].items():
                channels[name] = channels.get(name, 0) + count
        by_channel = [{"channel": name, "active_sessions": n}
                      for name, n in sorted(channels.items(), key=lambda item: (-item[1], item[0])) if n]
        return {"timestamp": iso_ms(call.now), "active_sessions": sum(b["sessions"] for b in now), "by_channel": by_channel}

    @handles("createReport")
    def create_report(self, call: Call) -> Any:
        start, end = report_range(call.body)
        days = bucket_count(start, end - ONE_US, "day") if end > start else 0
        if days > MAX_REPORT_DAYS:
            raise Problem(errors.INVALID_BODY, f"The report would hold {days} daily rows ({start.date()} to "
                          f"{(end - ONE_US).date()}); the limit is {MAX_REPORT_DAYS}. Narrow start_date and end_date, "
                          "or create several reports.", "body", "end_date")
        params = dict(call.body)
        if parse_instant(params["start_date"]) > parse_instant(params["end_date"]):
            params["start_date"], params["end_date"] = params["end_date"], params["start_date"]
        job = call.create_job("report", "", params)
        return Reply(_report(call, job), 200)  # Location comes from the response's link to getReport

    @handles("getReport")
    def get_report(self, call: Call) -> Any:
        job = call.job(call.params["report_id"])
        if job is None:
            raise Problem(errors.NOT_FOUND, f"Report {call.params['report_id']} not found.", "path", "report_id")
        body = _report(call, job)
        headers = {} if body["status"] in ("completed", "failed") else {"Retry-After": job.retry_after(call.wall)}
        return Reply(body, 200, headers)

    @handles("listReports")
    def list_reports(self, call: Call) -> Any:
        page, per_page = call.params.get("page", 1), call.params.get("per_page", 20)
        jobs, total = call.jobs("report", (page - 1) * per_page, per_page)
        return {"reports": [_report(call, job) for job in jobs], "page": page, "per_page": per_page, "total": total}

    def download(self, job: Job, seed: int, now: datetime) -> tuple[bytes, str, str]:
        """The report in its format: a daily table of the range, the same figures as usage/daily."""
        from mockserver.profiles import generalbots_files

        return generalbots_files.render(job, report_table(job, seed, now))


# --- retention and real time ----------------------------------------------------------------

INTERVAL_DAYS = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.44}
# Daily visit rates of returning users: log-uniform over [1/45, 1/3], integrated on this grid.
RATE_GRID = tuple(math.exp(math.log(1 / 45) + (math.log(1 / 3) - math.log(1 / 45)) * (i + 0.5) / 16) for i in range(16))


@lru_cache(maxsize=4096)
def returning_share(bot: Bot, group_by: str, k: int, elapsed: float = 1.0) -> float:
    """Expected share of a cohort active in its k-th interval after the first (k >= 1).

    Returning users visit as a Poisson process of their own rate and stop after an exponential
    lifetime: P(a visit in [t1, t1 + d) and still around) = e^(-nu t1) lambda/(lambda+nu) (1 - e^(-(lambda+nu) d)).
    """
    width = INTERVAL_DAYS[group_by]
    t1, span, nu = (k - 0.5) * width, width * elapsed, 1 / bot.lifetime
    mean = sum(math.exp(-nu * t1) * lam / (lam + nu) * (1 - math.exp(-(lam + nu) * span)) for lam in RATE_GRID) / len(RATE_GRID)
    return (1 - bot.one_timers) * mean


def cohorts(scope: Scope, group_by: str) -> list[dict[str, Any]]:
    """One cohort per interval of the range: the users first seen in it, and who came back when."""
    starts = buckets(scope.start, scope.end - ONE_US, group_by) if scope.end > scope.start else []
    bounds = [micros(s) for s in starts] + [micros(next_start(starts[-1], group_by))] if starts else []
    sizes: list[list[int]] = [[0] * len(scope.bots) for _ in starts]  # per cohort, per bot
    for b, bot in enumerate(scope.bots):
        for c in range(len(starts)):
            lo, hi = scope.span(bot, max(bounds[c], scope.start_us), min(bounds[c + 1], scope.end_us))
            if scope.user is None:
                sizes[c][b] = bot_sums(bot, lo, hi, scope.cut)[NEW] if hi > lo else 0
            else:
                sizes[c][b] = sum(f[NEW] for _, f, _ in scope.user.events(lo, hi))
    active_in: set[int] = set()
    if scope.user is not None and scope.bots:
        lo, hi = scope.span(scope.bots[0], bounds[0] if bounds else 0, bounds[-1] if bounds else 0, clip=False)
        active_in = {bisect_right(bounds, moment) - 1 for moment, f, _ in scope.user.events(lo, hi) if f[ACTIVE]}
    # Expected shares per bot and interval distance; the interval holding now counts its elapsed part.
    current = bisect_right(bounds, scope.now_us) - 1 if bounds and bounds[0] <= scope.now_us < bounds[-1] else -1
    elapsed = round((scope.now_us - bounds[current]) / (bounds[current + 1] - bounds[current]), 3) if current >= 0 else 1.0
    curves = [[0.0] + [returning_share(bot, group_by, k) for k in range(1, len(starts))] for bot in scope.bots]
    result = []
    for c, begins in enumerate(starts):
        users = sum(sizes[c])
        curve: list[float | None] = [1.0 if users else None]
        if not users:
            curve += [None] * (len(starts) - c - 1)
        elif scope.user is not None:
            curve += [1.0 if c + k in active_in and bounds[c + k] < scope.now_us else 0.0 for k in range(1, len(starts) - c)]
        else:
            streams = [keyed_random(scope.seed, "generalbots", bot.id, "retention", group_by, bounds[c]).random for bot in scope.bots]
            for k in range(1, len(starts) - c):
                if bounds[c + k] >= scope.now_us:
                    curve.append(0.0)
                    continue
                kept = 0.0
                for b, bot in enumerate(scope.bots):
                    share = returning_share(bot, group_by, k, elapsed) if c + k == current else curves[b][k]
                    kept += sizes[c][b] * min(1.0, share * (0.9 + 0.2 * streams[b]()))
                curve.append(round(kept / users, 4))
        result.append({"cohort_start": iso_ms(begins), "users": users, "retention": curve})
    return result


def live(call: Call) -> list[dict[str, Any]]:
    """Each bot's figures at now: open sessions (started in the last 15 minutes), the trailing
    5 minutes' conversations and messages, users, channels and reply time."""
    scope = Scope(call.seed, call.now, call.now, call.now, call.params.get("bot_id"))
    now = scope.now_us
    minute = now // MINUTE_US
    found = []
    for bot in scope.bots:
        first, last = bot.window(now)
        opened = bot_sums(bot, max(now - OPEN_US, first), min(now, last), now - OPEN_US)
        recent = bot_sums(bot, max(now - RATE_US, first), min(now, last), now - OPEN_US)
        sessions = opened[CONV]
        shares = _split_by(sessions, [w for _, w in bot.channels])
        found.append({
            "sessions": sessions,
            "users": sessions - sessions // 20,  # a few users hold two sessions at once
            "started": recent[CONV],
            "messages": recent[UMSG] + recent[BMSG],
            "response_ms": bot.response_ms * (0.85 + 0.3 * keyed_random(call.seed, "generalbots", bot.id, "reply", minute).random()),
            "channels": {name: n for (name, _), n in zip(bot.channels, shares)},
        })
    return found


def _split_by(total: int, weights: list[float]) -> list[int]:
    running, shares = 0.0, []
    whole = sum(weights)
    for w in weights:
        running += w
        shares.append(min(running / whole, 1.0))
    shares[-1] = 1.0
    return _split(total, tuple(shares))


# --- reports and tokens ---------------------------------------------------------------------

REPORT_ROLES = frozenset({"analytics_admin", "admin"})
VIEWER_ROLES = frozenset({"analytics_viewer", "admin"})
REPORT_COLUMNS = {
    "usage": ("conversations", "messages", "active_users", "new_users"),
    "conversations": ("conversations", "resolved", "escalated", "abandoned", "user_messages", "bot_messages"),
    "engagement": ("active_users", "new_users", "sessions", "responses"),
}


def token_claims(authorization: str) -> dict[str, Any] | None:
    """The claims of a bearer JWT (signature not checked); None for an opaque token or none."""
    scheme, _, token = authorization.partition(" ")
    parts = token.strip().split(".")
    if scheme.lower() != "bearer" or len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def _roles(claims: dict[str, Any]) -> frozenset[str]:
    roles = claims.get("roles", claims.get("role", []))
    if isinstance(roles, str):
        return frozenset([roles])
    return frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else frozenset()


def _challenge(error: str, description: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer realm="mockserver", error="{error}", error_description="{description}"'}


def _when(seconds: float) -> str:
    try:
        return iso_ms(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return f"{shorten(str(seconds))} seconds after 1970"


def _report(call: Call, job: Job) -> dict[str, Any]:
    status, _ = job.state(call.wall)
    status = "pending" if status == "queued" else status
    done = status in ("completed", "failed")
    return {
        "id": job.id, "type": job.params["type"], "format": job.params["format"],
        "start_date": job.params["start_date"], "end_date": job.params["end_date"], "status": status,
        "created_at": iso_ms(call.job_time(job.created)),
        "completed_at": iso_ms(call.job_time(job.finished_at())) if done else None,
        "download_url": call.download_url(job)[0] if status == "completed" else None,
        "error": "Report generation failed: the analytics store did not answer in time. Create the report again."
        if status == "failed" else None,
    }


def report_range(params: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """A report's [start, end): the bounds as for query parameters, an inverted pair swapped."""
    raw_start, raw_end = params["start_date"], params["end_date"]
    if parse_instant(raw_start) > parse_instant(raw_end):
        raw_start, raw_end = raw_end, raw_start
    start, end = parse_instant(raw_start), _end_of(raw_end)
    return (start, end) if start <= end else (end, start)


def report_table(job: Job, seed: int, now: datetime) -> tuple[list[str], list[list[Any]]]:
    """Header and rows (one per UTC day of the report's range) for a report's type."""
    start, end = report_range(job.params)
    scope = Scope(seed, now, start, end)
    columns = REPORT_COLUMNS[job.params["type"]]
    moments, values = scope.series("day", tuple(range(len(FIGURES))))
    named = dict(zip(FIGURES, values))
    named["messages"] = [u + b for u, b in zip(named["user_messages"], named["bot_messages"])]
    named["sessions"] = named["conversations"]
    rows = [[day_label(m // DAY_US + 1), *(named[c][i] for c in columns)] for i, m in enumerate(moments)]
    return ["date", *columns], rows


def _durations(histogram: list[int]) -> dict[str, Any]:
    bins = histogram[: len(DURATION_BINS)]
    count = sum(bins)
    if not count:
        return {"count": 0, "avg": None, "median": None, "p90": None, "min": None, "max": None}

    def rank(fraction: float) -> float:
        needed, seen = math.ceil(fraction * count), 0
        for value, n in zip(DURATION_BINS, bins):
            seen += n
            if seen >= needed:
                return float(value)
        return float(DURATION_BINS[-1])

    filled = [v for v, n in zip(DURATION_BINS, bins) if n]
    return {
        "count": count,
        "avg": round(sum(v * n for v, n in zip(DURATION_BINS, bins)) / count, 1),
        "median": rank(0.5),
        "p90": rank(0.9),
        "min": float(filled[0]),
        "max": float(filled[-1]),
    }


def _outcome_rates(totals: list[int]) -> dict[str, float | None]:
    """Shares of ended conversations that were resolved, escalated, abandoned."""
    ended = totals[RESOLVED] + totals[ESCALATED] + totals[ABANDONED]
    return {f"{rate}_rate": _ratio(totals[index], ended, 4)
            for rate, index in (("resolution", RESOLVED), ("escalation", ESCALATED), ("abandonment", ABANDONED))}


def _ratio(numerator: float, denominator: float, digits: int = 2) -> float | None:
    return round(numerator / denominator, digits) if denominator else None
