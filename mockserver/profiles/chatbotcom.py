"""ChatBot.com Reports API: one license's conversations, by channel (source), story and UTC hour.

The model, per UTC day of the license's history (``specs/chatbotcom.yaml`` states the rules each
report follows):

- The day's conversations are split into six kinds: paid or not, and short, typical or long
  (``LENGTHS`` messages each). Every figure is a weighted count of kinds: conversations count
  every kind, paid conversations the paid kinds, messages weigh each kind by its length. So in any
  bucket, group or filter, paid <= conversations and messages are 2 to 13 per conversation.
- Each kind's count is split over the 24 hours (the day's diurnal curve), over the 7 sources,
  and each source's count over the stories. A source's hours are cut out of the day's hours and a
  story's hours out of its source's hours (``_carve``), so every part adds up to its whole in both
  directions: hours to days, stories to sources, sources to the license.
- A report sums these counts over its buckets and groups. An unfiltered, ungrouped report reads
  only the day's kind counts (one step per day, whatever the dimension); only edge days, hourly
  buckets, filters and groups go down to hours, sources and stories, and only as far as needed.

Every count is a pure function of (seed, day) and is cached per day.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Any

from mockserver.errors import INVALID_PARAMETER, Problem
from mockserver.generation.rng import keyed_random, object_id
from mockserver.profiles.base import Call, Profile, Reply, handles
from mockserver.synth.activity import Entity
from mockserver.synth.apportion import percentages
from mockserver.synth.series import check_size
from mockserver.timeutil import UTC, iso_ms, parse_instant
from mockserver.validation.schema import shorten

SOURCES = ("messenger", "livechat", "livechat3", "slack", "widget", "app", "custom")
_SOURCE_WEIGHTS = (0.16, 0.2, 0.14, 0.05, 0.3, 0.1, 0.05)
# How much likelier a conversation from this source is to be paid (live chat hand-overs are).
_SOURCE_PAID = (1.0, 1.3, 1.3, 0.8, 1.0, 0.9, 0.7)
_STORY_NAMES = ("Welcome flow", "Order status", "Returns & refunds", "Pricing questions",
                "Book a demo", "Shipping times", "Talk to an agent")
# Messages (from the user and the bot) in a short, a typical and a long conversation.
LENGTHS = (2, 6, 13)
# Kinds of conversation: (paid, length index); paid kinds first.
KINDS = tuple((paid, length) for paid in (True, False) for length in range(len(LENGTHS)))
# Weight of each kind in each figure: conversations, paid conversations, messages.
FIGURES = {
    "conversations": tuple(1 for _ in KINDS),
    "paid": tuple(1 if paid else 0 for paid, _ in KINDS),
    "messages": tuple(LENGTHS[length] for _, length in KINDS),
}
FIGURE_INDEX = {name: i for i, name in enumerate(FIGURES)}
DEFAULT_FROM = datetime(1974, 1, 1, tzinfo=UTC)  # the vendor's "1974-1-1"
MAX_POINTS = 50_000
HOUR = timedelta(hours=1)
LAST_MS = timedelta(milliseconds=1)
_HOUR_TEXT = tuple(f"T{h:02d}:00:00.000Z" for h in range(24))
# The vendor writes dates without zero padding (1974-1-1); RFC 3339 dates and date-times are read
# by ``parse_instant``. A trailing newline is what the spec's pattern (ECMA ``$``) lets through.
_LOOSE_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\n?", re.ASCII)

_GRAIN = 1 << 20  # resolution of a split's phase
_FEW = 4  # up to this many items, a split places them one by one
_PAID_KINDS = sum(1 for paid, _ in KINDS if paid)
_NO_KINDS = (0,) * len(KINDS)
_NO_HOURS = (0,) * 24

Counts = tuple[int, ...]  # one count per kind
Hours = tuple[tuple[int, ...], ...]  # per kind, 24 hourly counts


@dataclass(frozen=True)
class Story:
    id: str
    name: str
    weight: float
    lengths: tuple[float, ...]  # how this story's conversations lean towards each length


@dataclass(frozen=True, eq=False)  # one object per seed (``license_for``): cache keys hash it by identity
class License:
    """The account behind the developer token: its activity, stories and channel mix."""

    seed: int
    activity: Entity
    stories: tuple[Story, ...]
    paid_share: float  # of conversations, on an average day and source
    lengths: tuple[float, ...]  # share of short, typical and long conversations


@lru_cache(maxsize=64)
def license_for(seed: int) -> License:
    rng = keyed_random(seed, "chatbotcom", "license")
    count = rng.randint(4, 7)
    weights = [rng.uniform(0.3, 1.0) for _ in range(count)]
    traits = keyed_random(seed, "chatbotcom", "license-traits")
    stories = tuple(
        Story(object_id(seed, "chatbotcom", "story", i), _STORY_NAMES[i], weights[i],
              tuple(traits.uniform(0.6, 1.6) for _ in LENGTHS))
        for i in range(count)
    )
    lengths = (traits.uniform(0.12, 0.3), traits.uniform(0.45, 0.6), traits.uniform(0.15, 0.3))
    return License(seed, Entity.of(seed, "chatbotcom", "license", scale=2.0), stories,
                   traits.uniform(0.55, 0.85), lengths)


# --- Splitting counts -------------------------------------------------------------------------

def _spread(total: int, weights: Sequence[float], phase: float) -> list[int]:
    """``total`` split in proportion to ``weights`` by cutting the running sum at ``phase`` + k.

    The parts add up to ``total`` exactly and each is its exact share rounded down or up; a small
    total lands where the weights are, at places the keyed ``phase`` (0 <= phase < 1) chooses, as
    a sample would, instead of always on the heaviest part.
    """
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    scale = total / weight_sum
    phase = min(phase, 0.999999)  # float error must not push a cut past the total
    if total <= _FEW:  # the same cuts, item by item: item k goes where the running cut reaches k
        parts = [0] * len(weights)
        running = [w * scale + phase for w in accumulate(weights)]
        last = len(weights) - 1
        for k in range(1, total + 1):
            parts[min(bisect_left(running, k), last)] += 1
        return parts
    cuts = [int(running * scale + phase) for running in accumulate(weights)]
    cuts[-1] = total
    return [b - a for a, b in zip((0, *cuts), cuts)]


def _carve(total: int, capacity: Sequence[int], phase: float) -> list[int]:
    """``total`` (at most ``sum(capacity)``) split in proportion to ``capacity``, never above it.

    Exact integer arithmetic: part ``i`` is ``floor(total * C_i / size + phase)`` minus the same
    for ``i - 1`` (``C_i`` the running capacity), so it is its share rounded down or up, and a share
    is at most its capacity. Cutting children out of what is left of their parent this way makes
    them add up to the parent in both directions. A small total is placed item by item (item
    ``k`` goes where that running cut first reaches ``k``), which gives the same parts faster.
    """
    size = sum(capacity)
    if total <= 0 or size <= 0:
        return [0] * len(capacity)
    lead = int(phase * _GRAIN)
    cumulative = list(accumulate(capacity))
    if total <= _FEW:
        parts = [0] * len(capacity)
        unit = total * _GRAIN
        for k in range(1, total + 1):
            parts[bisect_left(cumulative, -(-size * (k * _GRAIN - lead) // unit))] += 1
        return parts
    step, offset, denominator = total * _GRAIN, lead * size, size * _GRAIN
    cuts = [(step * running + offset) // denominator for running in cumulative]
    return [b - a for a, b in zip((0, *cuts), cuts)]


def _carve_all(parent: Sequence[int], totals: Sequence[int], phases: Sequence[float]) -> list[tuple[int, ...]]:
    """Split the hours ``parent`` among children with these day ``totals`` (which add up to it).

    Each child but the last is cut out of what the ones before it left; the last takes the rest.
    """
    left = list(parent)
    result = []
    for total, phase in zip(totals[:-1], phases):
        if total <= 0:
            result.append(_NO_HOURS if len(left) == 24 else (0,) * len(left))
            continue
        part = _carve(total, left, phase)
        left = [a - b for a, b in zip(left, part)]
        result.append(tuple(part))
    result.append(tuple(left))
    return result


# --- One day of the license, cached ---------------------------------------------------------

@lru_cache(maxsize=8192)
def _day(lic: License, ordinal: int) -> tuple[Counts, tuple[float, ...]]:
    """The day's conversations per kind, and the phases that cut the kinds' hours."""
    total = lic.activity.conversations(date.fromordinal(ordinal))
    if total == 0:
        return _NO_KINDS, ()
    rng = keyed_random(lic.seed, "chatbotcom", "day", ordinal)
    share = min(max(lic.paid_share + rng.gauss(0, 0.025), 0.05), 0.95)
    paid, free = _spread(total, (share, 1 - share), rng.random())
    mix = [length * rng.uniform(0.85, 1.15) for length in lic.lengths]
    kinds = (*_spread(paid, mix, rng.random()), *_spread(free, mix, rng.random()))
    return kinds, tuple(rng.random() for _ in range(len(KINDS)))


def day_kinds(lic: License, ordinal: int) -> Counts:
    """The day's conversations per kind."""
    return _day(lic, ordinal)[0]


@lru_cache(maxsize=8192)
def day_figures(lic: License, ordinal: int) -> tuple[int, ...]:
    """(conversations, paid, messages) of the whole day."""
    kinds = day_kinds(lic, ordinal)
    return tuple(sum(w * n for w, n in zip(weights, kinds)) for weights in FIGURES.values())


@lru_cache(maxsize=8192)
def _paid_hours(lic: License, ordinal: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """All conversations over the 24 UTC hours (the license's diurnal curve), and the paid ones."""
    kinds, phases = _day(lic, ordinal)
    if not phases:
        return _NO_HOURS, _NO_HOURS
    everyone = tuple(lic.activity.hours(date.fromordinal(ordinal), sum(kinds)))
    return everyone, tuple(_carve(sum(kinds[:_PAID_KINDS]), everyone, phases[0]))


@lru_cache(maxsize=4096)
def day_hours(lic: License, ordinal: int) -> Hours:
    """Each kind's conversations over the 24 hours: cut out of the paid and the other hours."""
    kinds, phases = _day(lic, ordinal)
    if not phases:
        return (_NO_HOURS,) * len(KINDS)
    everyone, paid = _paid_hours(lic, ordinal)
    free = [a - b for a, b in zip(everyone, paid)]
    return (*_carve_all(paid, kinds[:_PAID_KINDS], phases[1:_PAID_KINDS]),
            *_carve_all(free, kinds[_PAID_KINDS:], phases[_PAID_KINDS:]))


@lru_cache(maxsize=8192)
def hour_figure(lic: License, ordinal: int, figure: int) -> tuple[int, ...]:
    """One figure (an index into ``FIGURES``) over the 24 hours of the day."""
    if figure < 2:  # conversations and paid conversations are cut first, the lengths after
        return _paid_hours(lic, ordinal)[figure]
    return tuple(_weigh_hours(day_hours(lic, ordinal), FIGURES["messages"]))


@lru_cache(maxsize=4096)
def source_kinds(lic: License, ordinal: int) -> tuple[Counts, ...]:
    """Per source (in ``SOURCES`` order), its conversations per kind."""
    kinds = day_kinds(lic, ordinal)
    rng = keyed_random(lic.seed, "chatbotcom", "sources", ordinal)
    mix = [w * rng.uniform(0.8, 1.2) for w in _SOURCE_WEIGHTS]
    per_kind = []
    for (is_paid, _), n in zip(KINDS, kinds):
        weights = [m * (p if is_paid else 1.0) for m, p in zip(mix, _SOURCE_PAID)]
        per_kind.append(_spread(n, weights, rng.random()))
    return tuple(tuple(column) for column in zip(*per_kind))


@lru_cache(maxsize=2048)
def cell_kinds(lic: License, ordinal: int) -> tuple[tuple[Counts, ...], ...]:
    """Per source, per story (in the license's order), its conversations per kind."""
    sources = source_kinds(lic, ordinal)
    rng = keyed_random(lic.seed, "chatbotcom", "stories", ordinal)
    mix = [story.weight * rng.uniform(0.7, 1.3) for story in lic.stories]
    weights = [[m * story.lengths[length] for m, story in zip(mix, lic.stories)] for _, length in KINDS]
    result = []
    for kinds in sources:
        per_kind = [_spread(n, weights[k], rng.random()) for k, n in enumerate(kinds)]
        result.append(tuple(tuple(column) for column in zip(*per_kind)))
    return tuple(result)


@lru_cache(maxsize=1024)
def source_hours(lic: License, ordinal: int) -> tuple[Hours, ...]:
    """Per source, each kind's hours: cut out of the day's hours of that kind."""
    hours, sources = day_hours(lic, ordinal), source_kinds(lic, ordinal)
    rng = keyed_random(lic.seed, "chatbotcom", "source-hours", ordinal)
    per_kind = [_carve_all(hours[k], [s[k] for s in sources], [rng.random() for _ in sources]) for k in range(len(KINDS))]
    return tuple(tuple(per_kind[k][s] for k in range(len(KINDS))) for s in range(len(SOURCES)))


@lru_cache(maxsize=512)
def cell_hours(lic: License, ordinal: int) -> tuple[tuple[Hours, ...], ...]:
    """Per source, per story, each kind's hours: cut out of the source's hours of that kind."""
    sources, cells = source_hours(lic, ordinal), cell_kinds(lic, ordinal)
    rng = keyed_random(lic.seed, "chatbotcom", "story-hours", ordinal)
    result = []
    for hours, stories in zip(sources, cells):
        per_kind = [_carve_all(hours[k], [s[k] for s in stories], [rng.random() for _ in stories])
                    for k in range(len(KINDS))]
        result.append(tuple(tuple(per_kind[k][t] for k in range(len(KINDS))) for t in range(len(stories))))
    return tuple(result)


# --- What a request selects -----------------------------------------------------------------

@dataclass(frozen=True)
class Selection:
    """The cells a request counts, and the group each belongs to.

    ``keys`` are the group values the answer lists (``[None]`` without ``group``); ``members``
    gives, per key, the (source index, story index or None) pairs it adds up. A story index of
    None means the whole source (the request does not look at stories).
    """

    keys: tuple[str | None, ...]
    members: tuple[tuple[tuple[int, int | None], ...], ...]
    level: int  # 0: the whole license, 1: sources, 2: stories

    @classmethod
    def of(cls, lic: License, group: str | None, sources: Sequence[str], stories: Sequence[str]) -> Selection:
        wanted_sources = [i for i, s in enumerate(SOURCES) if not sources or s in sources]
        named_stories = sorted({s.lower() for s in stories})
        index = {story.id: i for i, story in enumerate(lic.stories)}
        wanted_stories = [index[s] for s in named_stories if s in index] if stories else list(range(len(lic.stories)))
        level = 2 if stories or group == "storyId" else 1 if sources or group == "source" else 0
        if level == 0:
            return cls((None,), (((-1, None),),), 0)

        def cells(source_ids: Sequence[int], story_ids: Sequence[int]) -> tuple[tuple[int, int | None], ...]:
            if level == 1:
                return tuple((s, None) for s in source_ids)
            return tuple((s, t) for s in source_ids for t in story_ids)

        if group == "source":
            keys = sorted(set(sources)) if sources else sorted(SOURCES)
            return cls(tuple(keys), tuple(cells([SOURCES.index(k)], wanted_stories) for k in keys), level)
        if group == "storyId":
            keys = named_stories if stories else sorted(story.id for story in lic.stories)
            return cls(tuple(keys), tuple(cells(wanted_sources, [index[k]] if k in index else []) for k in keys), level)
        return cls((None,), (cells(wanted_sources, wanted_stories),), level)


def _kinds_on(lic: License, ordinal: int, selection: Selection) -> list[Counts]:
    """Per key of ``selection``, its conversations per kind on the day."""
    if selection.level == 0:
        return [day_kinds(lic, ordinal)]
    table = source_kinds(lic, ordinal) if selection.level == 1 else cell_kinds(lic, ordinal)
    result = []
    for members in selection.members:
        sums = [0] * len(KINDS)
        for source, story in members:
            counts = table[source] if story is None else table[source][story]  # type: ignore[index]
            for k, n in enumerate(counts):
                sums[k] += n
        result.append(tuple(sums))
    return result


def _hours_on(lic: License, ordinal: int, selection: Selection) -> list[Hours]:
    """Per key of ``selection``, each kind's conversations over the day's 24 hours."""
    if selection.level == 0:
        return [day_hours(lic, ordinal)]
    if not any(selection.members):  # only story ids the license does not have
        return [(_NO_HOURS,) * len(KINDS) for _ in selection.members]
    table = source_hours(lic, ordinal) if selection.level == 1 else cell_hours(lic, ordinal)
    result = []
    for members in selection.members:
        sums = [[0] * 24 for _ in KINDS]
        for source, story in members:
            kinds = table[source] if story is None else table[source][story]  # type: ignore[index]
            for row, hours in zip(sums, kinds):
                for h, n in enumerate(hours):
                    if n:
                        row[h] += n
        result.append(tuple(tuple(row) for row in sums))
    return result


def _weigh(kinds: Counts, weights: Counts) -> int:
    return sum(w * n for w, n in zip(weights, kinds))


def _weigh_hours(hours: Hours, weights: Counts) -> list[int]:
    """Hour by hour, the kinds' counts times their weights."""
    scaled = [kind if w == 1 else [w * n for n in kind] for w, kind in zip(weights, hours) if w]
    return list(map(sum, zip(*scaled)))


# --- Buckets --------------------------------------------------------------------------------

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
            labels = []
            first_hour = self.origin % 24
            for ordinal in range(self.first_day.toordinal(), self.last_day.toordinal() + 1):
                prefix = date.fromordinal(ordinal).isoformat()
                labels.extend(prefix + suffix for suffix in _HOUR_TEXT)
            return labels[first_hour:first_hour + self.count]
        if self.dimension == "day":
            return [date.fromordinal(o).isoformat() + _HOUR_TEXT[0] for o in range(self.origin, self.origin + self.count)]
        if self.dimension == "month":
            return [f"{m // 12:04d}-{m % 12 + 1:02d}-01" + _HOUR_TEXT[0] for m in range(self.origin, self.origin + self.count)]
        return [f"{y:04d}-01-01" + _HOUR_TEXT[0] for y in range(self.origin, self.origin + self.count)]


def _sum_series(lic: License, start: datetime, end: datetime, buckets: Buckets, selection: Selection,
                figures: Sequence[str], now: datetime) -> list[list[list[int]]]:
    """Per figure, per key, the value of every bucket (0 where nothing happened).

    Only days with activity are visited: the license's history (see ``Entity.window``) within
    [start, end]. Days wholly inside the range count whole (unless buckets are hours); the edge
    days count the hours that overlap the range.
    """
    weights = [FIGURES[f] for f in figures]
    series = [[[0] * buckets.count for _ in selection.keys] for _ in figures]
    first, last = lic.activity.window(now)
    low, high = max(start, first), min(end, last)
    if high < low or buckets.count == 0:
        return series
    hourly = buckets.dimension == "hour"
    plain = selection.level == 0
    for ordinal in range(low.date().toordinal(), high.date().toordinal() + 1):
        day = date.fromordinal(ordinal)
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        whole = low <= midnight and midnight + timedelta(days=1) - LAST_MS <= high
        if whole and not hourly:
            index = buckets.of_day(day)
            if plain:
                values = day_figures(lic, ordinal)
                for f, name in enumerate(figures):
                    series[f][0][index] += values[FIGURE_INDEX[name]]
            else:
                for key, kinds in enumerate(_kinds_on(lic, ordinal, selection)):
                    for f, w in enumerate(weights):
                        series[f][key][index] += _weigh(kinds, w)
            continue
        first_hour = 0 if low <= midnight else low.hour
        last_hour = 23 if midnight + timedelta(days=1) - LAST_MS <= high else high.hour
        if plain:
            rows = [[hour_figure(lic, ordinal, FIGURE_INDEX[name]) for name in figures]]
        else:
            rows = [[_weigh_hours(hours, w) for w in weights] for hours in _hours_on(lic, ordinal, selection)]
        if hourly:
            base = ordinal * 24 - buckets.origin
            for key, per_figure in enumerate(rows):
                for f, values in enumerate(per_figure):
                    target = series[f][key]
                    target[base + first_hour:base + last_hour + 1] = values[first_hour:last_hour + 1]
        else:
            index = buckets.of_day(day)
            for key, per_figure in enumerate(rows):
                for f, values in enumerate(per_figure):
                    series[f][key][index] += sum(values[first_hour:last_hour + 1])
    return series


# --- The profile ----------------------------------------------------------------------------

class ChatBotCom(Profile):
    name = "chatbotcom"
    title = "ChatBot.com Reports API"
    spec_file = "chatbotcom.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        return {"timestamp": iso_ms(now), "status": {"code": problem.status, "type": "error", "message": problem.message}}

    def entities(self, seed: int) -> dict[str, Any]:
        lic = license_for(seed)
        return {
            "license": {"created": lic.activity.created.isoformat()},
            "stories": [{"id": story.id, "name": story.name} for story in lic.stories],
            "sources": list(SOURCES),
        }

    @handles("getConversationsReport")
    def conversations(self, call: Call) -> Any:
        return _count_report(call, "conversations")

    @handles("getPaidConversationsReport")
    def paid(self, call: Call) -> Any:
        return _count_report(call, "paid")

    @handles("getConversationMessagesReport")
    def messages(self, call: Call) -> Any:
        return _count_report(call, "messages")

    @handles("getAverageConversationsReport")
    def average(self, call: Call) -> Any:
        request = _series_request(call)
        conversations, messages = _sum_series(*request.sum_args, ("conversations", "messages"), call.now)
        columns = [[round(m / c, 2) if c else 0 for c, m in zip(cs, ms)] for cs, ms in zip(conversations, messages)]
        return Reply(_series_body(request, columns, decimals=True))

    @handles("getBusiestPeriodReport")
    def heatmap(self, call: Call) -> Any:
        lic, start, end = _range(call)
        selection = Selection.of(lic, None, _as_list(call.params.get("source")), _as_list(call.params.get("storyId")))
        offset = float(call.params.get("offset", 0))
        grid = [[0] * 24 for _ in range(7)]
        first, last = lic.activity.window(call.now)
        low, high = max(start, first), min(end, last)
        # Where each UTC hour's midpoint lands after the offset: (days later, local hour).
        moved = []
        for hour in range(24):
            minutes = hour * 60 + 30 + offset
            moved.append((int(minutes // 1440), int(minutes % 1440 // 60)))
        if low <= high:
            weights = FIGURES["conversations"]
            for ordinal in range(low.date().toordinal(), high.date().toordinal() + 1):
                midnight = datetime.combine(date.fromordinal(ordinal), datetime.min.time(), UTC)
                first_hour = 0 if low <= midnight else low.hour
                last_hour = 23 if midnight + timedelta(days=1) - LAST_MS <= high else high.hour
                if selection.level == 0:
                    values = hour_figure(lic, ordinal, 0)
                else:
                    values = _weigh_hours(_hours_on(lic, ordinal, selection)[0], weights)
                sunday_first = ordinal % 7  # date.fromordinal(1) is a Monday: row 1
                for hour in range(first_hour, last_hour + 1):
                    if values[hour]:
                        shift, local = moved[hour]
                        grid[(sunday_first + shift) % 7][local] += values[hour]
        busiest = max(max(row) for row in grid)
        return [
            [{"day": d, "hour": h, "value": v, "usage": round(100 * v / busiest, 2) if busiest else 0}
             for h, v in enumerate(row)]
            for d, row in enumerate(grid)
        ]

    @handles("getInteractionsPopularityReport")
    def interactions(self, call: Call) -> Any:
        lic, start, end = _range(call)
        wanted = {s.lower() for s in _as_list(call.params.get("storyId"))}
        stories = [s for s in lic.stories if not wanted or s.id in wanted]
        if not stories:
            return []
        selection = Selection.of(lic, "storyId", [], [s.id for s in stories])
        buckets = Buckets(start, end, "year")
        conversations, messages = _sum_series(lic, start, end, buckets, selection, ("conversations", "messages"), call.now)
        by_key = dict(zip(selection.keys, zip(conversations, messages)))
        rows = []
        for story in stories:
            started, said = by_key[story.id]
            entries = _interactions_of(lic, story)
            # The welcome interaction opens every conversation; each user message (about half
            # of the messages) matches one interaction or a fallback.
            matches = _spread(sum(said) // 2, [w for _, w in entries[1:]], 0.5)
            values = [sum(started), *matches]
            rows.extend({**entry, "value": value} for (entry, _), value in zip(entries, values))
        for row, usage in zip(rows, percentages([r["value"] for r in rows])):
            row["usage"] = usage
        order = {id(r): i for i, r in enumerate(rows)}
        return sorted(rows, key=lambda r: (-r["value"], order[id(r)]))


def _interactions_of(lic: License, story: Story) -> list[tuple[dict[str, Any], float]]:
    """A story's interactions with their share of matches: welcome, regular ones, fallbacks."""
    rng = keyed_random(lic.seed, "chatbotcom", "interactions", story.id)
    names = ("Greeting", "Order number", "Tracking link", "Refund policy", "Opening hours",
             "Contact details", "Product info", "Goodbye")
    regular = [
        ({"name": name, "id": object_id(lic.seed, story.id, name)}, rng.uniform(0.3, 1.5))
        for name in rng.sample(names, rng.randint(2, 5))
    ]
    entries: list[tuple[dict[str, Any], float]] = [({"type": "welcome", "name": "Welcome Interaction"}, 1.0), *regular]
    parent = regular[0][0]["id"]
    entries.append(({"parentId": parent, "type": "contextFallback", "name": "Fallback Interaction"}, 0.15))
    entries.append(({"type": "fallback", "name": "Fallback Interaction"}, 0.25))
    return entries


@dataclass(frozen=True)
class SeriesRequest:
    lic: License
    start: datetime
    end: datetime
    buckets: Buckets
    selection: Selection
    group: str | None

    @property
    def sum_args(self) -> tuple[License, datetime, datetime, Buckets, Selection]:
        return self.lic, self.start, self.end, self.buckets, self.selection


def _count_report(call: Call, figure: str) -> Reply:
    request = _series_request(call)
    (columns,) = _sum_series(*request.sum_args, (figure,), call.now)
    return Reply(_series_body(request, columns, decimals=False))


def _series_request(call: Call) -> SeriesRequest:
    lic, start, end = _range(call)
    dimension = call.params.get("dimension", "day")
    if dimension == "auto":
        span = end - start
        dimension = "hour" if span <= timedelta(hours=48) else "day" if span <= timedelta(days=90) else (
            "month" if span <= timedelta(days=1095) else "year")
    group = call.params.get("group")
    selection = Selection.of(lic, group, _as_list(call.params.get("source")), _as_list(call.params.get("storyId")))
    # Every bucket of the range is listed, for every group value: that is the size of the answer.
    check_size(start, end, dimension, len(selection.keys), MAX_POINTS)
    return SeriesRequest(lic, start, end, Buckets(start, end, dimension), selection, group)


def _series_body(request: SeriesRequest, columns: list[list[Any]], decimals: bool) -> bytes:
    """The JSON answer: points by bucket, then by group value, and the summary of their values."""
    labels = request.buckets.labels()
    group, keys = request.group, request.selection.keys
    number = _decimal if decimals else str
    if group is None:
        (values,) = columns
        points = [f'{{"date":"{label}","value":{number(v)}}}' for label, v in zip(labels, values)]
        every = values
    else:
        tags = [f',"{group}":{json.dumps(key)}}}' for key in keys]
        points = [f'{{"date":"{label}","value":{number(column[i])}{tag}'
                  for i, label in enumerate(labels) for column, tag in zip(columns, tags)]
        every = [v for i in range(len(labels)) for v in (column[i] for column in columns)]
    if every:
        total = round(sum(every), 2) if decimals else sum(every)
        summary = {"total": total, "min": min(every), "max": max(every), "avg": round(total / len(every), 2)}
    else:
        summary = {"total": 0, "min": 0, "max": 0, "avg": 0}
    text = '{"data":[' + ",".join(points) + '],"summary":' + json.dumps(summary, separators=(",", ":")) + "}"
    return text.encode()


def _decimal(value: float) -> str:
    return json.dumps(value)


def _range(call: Call) -> tuple[License, datetime, datetime]:
    """The requested range (see the spec for precedence and periods); not clipped to the history."""
    lic = license_for(call.seed)
    now = call.now
    if "from" in call.supplied or "to" in call.supplied:
        start = _instant(call, "from") if "from" in call.supplied else DEFAULT_FROM
        end = _instant(call, "to", end_of_day=True) if "to" in call.supplied else now
    else:
        start, end = _period(call.params.get("period", "last30days"), now)
    return lic, start, end


def _instant(call: Call, name: str, end_of_day: bool = False) -> datetime:
    """``from`` or ``to``: an RFC 3339 date or date-time, or a date without zero padding (1974-1-1)."""
    raw = str(call.params[name])
    loose = _LOOSE_DATE.fullmatch(raw)
    try:
        text = date(*(int(part) for part in loose.groups())).isoformat() if loose else raw
        return parse_instant(text, end_of_day=end_of_day)
    except (ValueError, IndexError):
        raise Problem(INVALID_PARAMETER, f"Invalid query parameter '{name}': expected a date like 2025-01-31 or "
                      f"2025-1-31, or an RFC 3339 date-time like 2025-01-31T00:00:00Z, got {shorten(raw)}.",
                      "query", name) from None


def _period(period: str, now: datetime) -> tuple[datetime, datetime]:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    previous_month = (month - timedelta(days=1)).replace(day=1)
    year = today.replace(month=1, day=1)
    spans = {
        "today": (today, now),
        "yesterday": (today - timedelta(days=1), today - LAST_MS),
        "last7days": (today - timedelta(days=6), now),
        "last30days": (today - timedelta(days=29), now),
        "thisMonth": (month, now),
        "lastMonth": (previous_month, month - LAST_MS),
        "last3Months": ((previous_month - timedelta(days=1)).replace(day=1), now),
        "thisYear": (year, now),
        "lastYear": (year.replace(year=year.year - 1), year - LAST_MS),
    }
    return spans[period]


def _as_list(value: Any) -> list[str]:
    return [] if value is None else list(value) if isinstance(value, list) else [value]

