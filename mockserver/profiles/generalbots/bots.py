"""The instance's bots, and each bot's days from its creation.

A bot's days are generated in order from its creation (a day's returning users can only come
from the users seen before it) and kept as prefix sums (``History``), so a sum over any whole
days costs two look-ups.
"""

from __future__ import annotations

import math
import threading
import uuid
from array import array
from datetime import date
from functools import lru_cache
from typing import Any

from mockserver.generation.rng import CounterStream, derive, keyed_random
from mockserver.profiles.generalbots.micros import DAY_US, day_us
from mockserver.synth.activity import HISTORY_DAYS, LIFETIME_START, RAMP_DAYS
from mockserver.synth.shapes import BUSINESS_HOURS, BUSINESS_WEEK, utc_day
from mockserver.world import DATE, NAME, Declared, entity_list, section

# The instance's bots are IT and HR helpdesks of one organisation (botserver's home, UTC-3): a
# business week and office hours, in UTC.
ZONE = -3
WEEKLY = tuple(w * 7 / sum(BUSINESS_WEEK) for w in BUSINESS_WEEK)
_DAY = utc_day(BUSINESS_HOURS, ZONE)
DIURNAL = tuple(w / sum(_DAY) for w in _DAY)

# Figures of a day, in this order. The first five count when a conversation starts; the last four
# once it has ended (every conversation ends, OPEN_US after it started at the latest).
FIGURES = (
    "conversations",
    "user_messages",
    "bot_messages",
    "active_users",
    "new_users",
    "resolved",
    "escalated",
    "abandoned",
    "responses",
)
CONV, UMSG, BMSG, ACTIVE, NEW, RESOLVED, ESCALATED, ABANDONED, RATED = range(9)
STARTED = 5
ZERO = (0,) * len(FIGURES)
# Conversation lengths (seconds) counted by the duration endpoint: 15 s to just under 14 min.
DURATION_BINS = tuple(round(15 * 1.25**i) for i in range(19))
SCORE_BASE = (0.05, 0.06, 0.14, 0.33, 0.42)
HISTOGRAM = len(DURATION_BINS) + len(SCORE_BASE)
CHANNEL_NAMES = ("web", "whatsapp", "teams", "telegram", "email", "sms")
BOT_NAMES = (
    "Customer Support",
    "Sales Assistant",
    "HR Helpdesk",
    "IT Service Desk",
    "Onboarding Guide",
    "Billing Help",
    "Booking Assistant",
    "Product Advisor",
    "Order Tracker",
    "Store FAQ",
)
LIFE_DAYS = 20 * 365  # a bot serves for twenty years after its creation
GROWTH_DAYS = 3 * 365  # its yearly trend applies over its first three years
NEW_SHARE_DAYS = 30.0  # a new bot's users are all new at first; the share settles over weeks
SHAPES = 5  # duration shapes per bot (a day picks one: a little day-to-day variation)


class Bot:
    """One bot of the instance: traits drawn once from (seed, bot id)."""

    def __init__(self, seed: int, bot_id: str, name: str, created: int | None = None) -> None:
        self.seed, self.id, self.name = seed, bot_id, name
        rng = keyed_random(seed, "generalbots", self.id, "traits")
        drawn = LIFETIME_START.toordinal() + rng.randint(0, 729)
        self.created = drawn if created is None else created
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
        self.durations = tuple(
            _cumulative_shares([math.exp(-((math.log(v) - math.log(median * f)) ** 2) / (2 * sigma**2)) for v in DURATION_BINS])
            for f in (0.9, 0.95, 1.0, 1.05, 1.1)
        )
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
        return {
            "id": self.id,
            "name": self.name,
            "created": date.fromordinal(self.created).isoformat(),
            "channels": [name for name, _ in self.channels],
        }


def _cumulative_shares(weights: list[float]) -> tuple[float, ...]:
    total, running, shares = sum(weights), 0.0, []
    for w in weights[:-1]:
        running += w
        shares.append(running / total)
    return (*shares, 1.0)


def split(total: int, shares: tuple[float, ...]) -> list[int]:
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
    return tuple(Bot(seed, _bot_id(seed, i), names[i]) for i in range(count))


def _bot_id(seed: int, index: int) -> str:
    return str(uuid.UUID(int=derive(seed, "generalbots", "bot", index) << 64 | derive(seed, "bot-low", index), version=4))


WORLD_SCHEMA = section(
    bots=entity_list(
        {
            "id": {"type": "string", "format": "uuid", "description": "a UUID like 0b6f6f0e-1111-4a8e-9c1e-2f2f2f2f2f2f"},
            "name": NAME,
            "created": DATE,
        },
        100,
    )
)


def instance(seed: int, world: Declared) -> tuple[Bot, ...]:
    """The instance's bots: the declared ones, else 2-4 made from the seed."""
    if not world.declares("bots"):
        return bots_for(seed)
    return declared_bots(seed, tuple(tuple(sorted(b.items())) for b in world.entities("bots")))


@lru_cache(maxsize=64)
def declared_bots(seed: int, declarations: tuple[tuple[tuple[str, str], ...], ...]) -> tuple[Bot, ...]:
    """Bots as declared, in their order; what a declaration leaves out follows from the seed and the
    bot's id, so adding a bot changes no other bot's figures."""
    bots = []
    for declaration in map(dict, declarations):
        bot_id = str(uuid.UUID(declaration["id"]))
        name = declaration.get("name") or keyed_random(seed, "generalbots", bot_id, "name").choice(BOT_NAMES)
        created = date.fromisoformat(declaration["created"]).toordinal() if "created" in declaration else None
        bots.append(Bot(seed, bot_id, name, created))
    return tuple(bots)


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
        month_end = (
            date(first.year + first.month // 12, first.month % 12 + 1, 1).toordinal()
            if first.year < 9999 or first.month < 12
            else date.max.toordinal() + 1
        )
        last = min(month_end, bot.retired)
        rng = CounterStream(derive(bot.seed, "generalbots", bot.id, "month"), first.year * 12 + first.month)
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
            active = min(
                conversations, max(round(conversations / bot.visits * (0.98 + 0.04 * random())), 1 if conversations else 0)
            )
            share = bot.new_share + (1 - bot.new_share) * math.exp(-age / NEW_SHARE_DAYS)
            new = min(active, round(active * share * (0.9 + 0.2 * random())))
            new = max(new, active - totals[NEW])  # returning users were seen before
            resolved = min(conversations, round(conversations * (bot.resolved + 0.04 * (random() - 0.5))))
            escalated = min(conversations - resolved, round(conversations * bot.escalated * (0.85 + 0.3 * random())))
            rated = min(conversations, round(conversations * bot.rated * (0.85 + 0.3 * random())))
            day = (
                conversations,
                user_messages,
                bot_messages,
                active,
                new,
                resolved,
                escalated,
                conversations - resolved - escalated,
                rated,
            )
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
                for k, value in enumerate(split(ended, shape) + split(rated, bot.scores)):
                    running[k] += value
                    hist[k].append(running[k])
                self.hist_end += 1
