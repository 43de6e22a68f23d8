"""ChatBot.com Reports API: one license's conversations, split by channel (source) and story.

The model: each UTC day's conversations are split over (source, story) cells; each cell has its
paid conversations and messages, and an hourly split of all three. Every report is a sum over
the cells the request selects, so groups add up to the ungrouped series, hours to days and days
to months. The decisions behind each report are in ``specs/chatbotcom.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from mockserver.errors import INVALID_PARAMETER, Problem
from mockserver.generation.rng import keyed_random, object_id
from mockserver.profiles.base import Call, Profile, handles
from mockserver.synth.activity import Entity
from mockserver.synth.apportion import apportion, percentages
from mockserver.synth.series import accumulate, check_size, zero_filled
from mockserver.timeutil import UTC, iso_ms, parse_instant
from mockserver.validation.schema import shorten

SOURCES = ("messenger", "livechat", "livechat3", "slack", "widget", "app", "custom")
_SOURCE_WEIGHTS = (0.16, 0.2, 0.14, 0.05, 0.3, 0.1, 0.05)
_STORY_NAMES = ("Welcome flow", "Order status", "Returns & refunds", "Pricing questions",
                "Book a demo", "Shipping times", "Talk to an agent")
METRICS = ("conversations", "paid", "messages")
Cell = tuple[str, str]  # (source, storyId)
DEFAULT_FROM = datetime(1974, 1, 1, tzinfo=UTC)  # the vendor's "1974-1-1"
# The vendor writes dates without zero padding (1974-1-1); RFC 3339 dates and date-times are read
# by ``parse_instant``. A trailing newline is what the spec's pattern (ECMA ``$``) lets through.
_LOOSE_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\n?", re.ASCII)


@dataclass(frozen=True)
class Story:
    id: str
    name: str
    weight: float


@dataclass(frozen=True)
class License:
    """The account behind the developer token: its activity, stories and channel mix."""

    seed: int
    activity: Entity
    stories: tuple[Story, ...]

    @property
    def cells(self) -> list[Cell]:
        return [(source, story.id) for source in SOURCES for story in self.stories]


@lru_cache(maxsize=64)
def license_for(seed: int) -> License:
    rng = keyed_random(seed, "chatbotcom", "license")
    count = rng.randint(4, 7)
    stories = tuple(
        Story(object_id(seed, "chatbotcom", "story", i), _STORY_NAMES[i], rng.uniform(0.3, 1.0))
        for i in range(count)
    )
    return License(seed, Entity.of(seed, "chatbotcom", "license", scale=2.0), stories)


@lru_cache(maxsize=16384)
def day_cells(lic: License, day: date) -> dict[Cell, tuple[int, int, int]]:
    """(conversations, paid, messages) per cell on ``day``."""
    total = lic.activity.conversations(day)
    if total == 0:
        return {}
    rng = keyed_random(lic.seed, "chatbotcom", "cells", day.toordinal())
    weights = [sw * story.weight * rng.uniform(0.7, 1.3) for sw in _SOURCE_WEIGHTS for story in lic.stories]
    paid_rate = rng.uniform(0.35, 0.55)
    result = {}
    for cell, conversations in zip(lic.cells, apportion(total, weights)):
        if conversations:
            per_conversation = rng.uniform(4.0, 9.0)
            result[cell] = (conversations, round(conversations * paid_rate), round(conversations * per_conversation))
    return result


@lru_cache(maxsize=4096)
def day_cell_hours(lic: License, day: date) -> dict[Cell, tuple[list[int], list[int], list[int]]]:
    """The hourly split of each cell's three figures on ``day`` (each adds up to the day)."""
    result = {}
    for cell, figures in day_cells(lic, day).items():
        split = lic.activity.hourly(day, dict(zip(METRICS, figures)), METRICS)
        result[cell] = (split["conversations"], split["paid"], split["messages"])
    return result


class ChatBotCom(Profile):
    name = "chatbotcom"
    title = "ChatBot.com Reports API"
    spec_file = "chatbotcom.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        return {"timestamp": iso_ms(now), "status": {"code": problem.status, "type": "error", "message": problem.message}}

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
        lic, start, end, dimension, group, cells = _series_request(call)
        low, high = _active(lic, start, end, call.now)
        sums = accumulate(low, high, dimension, *_figures(lic, cells, group, ("conversations", "messages")))
        keys = _group_keys(call, lic, group)
        counts = {(b, k): v for b, k, v in zero_filled(start, end, dimension, sums, [(k, "conversations") for k in keys])}
        data = []
        for bucket, (key, _), messages in zero_filled(start, end, dimension, sums, [(k, "messages") for k in keys]):
            conversations = counts[(bucket, (key, "conversations"))]
            data.append(_point(bucket, round(messages / conversations, 2) if conversations else 0, group, key))
        values = [p["value"] for p in data]
        return {"data": data, "summary": _summary(values, float_total=True)}

    @handles("getBusiestPeriodReport")
    def heatmap(self, call: Call) -> Any:
        lic, start, end = _range(call)
        cells = _select(lic, _as_list(call.params.get("source")), _as_list(call.params.get("storyId")))
        offset = timedelta(minutes=float(call.params.get("offset", 0)))
        grid = [[0] * 24 for _ in range(7)]
        sums = accumulate(*_active(lic, start, end, call.now), "hour", *_figures(lic, cells, None, ("conversations",)))
        for bucket, values in sums.items():
            # The hour's conversations go to the local hour holding the hour's midpoint.
            local = bucket + timedelta(minutes=30) + offset
            grid[(local.weekday() + 1) % 7][local.hour] += values.get((None, "conversations"), 0)
        busiest = max(max(row) for row in grid)
        return [
            [{"day": d, "hour": h, "value": v, "usage": round(100 * v / busiest, 2) if busiest else 0}
             for h, v in enumerate(row)]
            for d, row in enumerate(grid)
        ]

    @handles("getInteractionsPopularityReport")
    def interactions(self, call: Call) -> Any:
        lic, start, end = _range(call)
        wanted = [s.lower() for s in _as_list(call.params.get("storyId"))]
        stories = [s for s in lic.stories if not wanted or s.id in wanted]
        cells = _select(lic, [], [s.id for s in stories])
        sums = accumulate(*_active(lic, start, end, call.now), "year", *_figures(lic, cells, "storyId", ("conversations",)))
        per_story = {s.id: sum(v.get((s.id, "conversations"), 0) for v in sums.values()) for s in stories}
        rows = []
        for story in stories:
            entries = _interactions_of(lic, story)
            matches = apportion(round(per_story[story.id] * 2.4), [w for _, w in entries])
            rows.extend({**entry, "value": value} for (entry, _), value in zip(entries, matches))
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


def _count_report(call: Call, metric: str) -> dict[str, Any]:
    lic, start, end, dimension, group, cells = _series_request(call)
    low, high = _active(lic, start, end, call.now)
    sums = accumulate(low, high, dimension, *_figures(lic, cells, group, (metric,)))
    keys = _group_keys(call, lic, group)
    data = [_point(b, v, group, k) for b, (k, _), v in zero_filled(start, end, dimension, sums, [(k, metric) for k in keys])]
    return {"data": data, "summary": _summary([p["value"] for p in data], float_total=False)}


def _series_request(call: Call) -> tuple[License, datetime, datetime, str, str | None, list[Cell]]:
    lic, start, end = _range(call)
    dimension = call.params.get("dimension", "day")
    if dimension == "auto":
        span = end - start
        dimension = "hour" if span <= timedelta(hours=48) else "day" if span <= timedelta(days=90) else (
            "month" if span <= timedelta(days=1095) else "year")
    group = call.params.get("group")
    cells = _select(lic, _as_list(call.params.get("source")), _as_list(call.params.get("storyId")))
    # Every bucket of the requested range is listed for every group value: that is the answer's size.
    check_size(start, end, dimension, len(_group_keys(call, lic, group)))
    return lic, start, end, dimension, group, cells


def _range(call: Call) -> tuple[License, datetime, datetime]:
    """The requested range (see the spec for precedence and periods), as requested: not clipped."""
    lic = license_for(call.seed)
    now = call.now
    if "from" in call.supplied or "to" in call.supplied:
        start = _instant(call, "from") if "from" in call.supplied else DEFAULT_FROM
        end = _instant(call, "to", end_of_day=True) if "to" in call.supplied else now
    else:
        start, end = _period(call.params.get("period", "last30days"), now)
    return lic, start, end


def _active(lic: License, start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The part of [start, end] with activity: the license's history, up to now (maybe empty)."""
    first, last = lic.activity.window(now)
    return max(start, first), min(end, last)


def _instant(call: Call, name: str, end_of_day: bool = False) -> datetime:
    """``from`` or ``to``: an RFC 3339 date or date-time, or a date without zero padding (1974-1-1)."""
    raw = str(call.params[name])
    loose = _LOOSE_DATE.fullmatch(raw)
    try:
        text = date(*(int(part) for part in loose.groups())).isoformat() if loose else raw
        if end_of_day and text == date.max.isoformat():  # the calendar's last day, whole
            return datetime.combine(date.max, time(23, 59, 59, 999000), UTC)
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
    last_ms = timedelta(milliseconds=1)
    spans = {
        "today": (today, now),
        "yesterday": (today - timedelta(days=1), today - last_ms),
        "last7days": (today - timedelta(days=6), now),
        "last30days": (today - timedelta(days=29), now),
        "thisMonth": (month, now),
        "lastMonth": (previous_month, month - last_ms),
        "last3Months": ((previous_month - timedelta(days=1)).replace(day=1), now),
        "thisYear": (year, now),
        "lastYear": (year.replace(year=year.year - 1), year - last_ms),
    }
    return spans[period]


def _select(lic: License, sources: Sequence[str], stories: Sequence[str]) -> list[Cell]:
    """Cells of the named sources and stories (story ids compare without regard to case)."""
    wanted = {s.lower() for s in stories}
    return [c for c in lic.cells if (not sources or c[0] in sources) and (not wanted or c[1] in wanted)]


def _figures(lic: License, cells: Sequence[Cell], group: str | None, metrics: Iterable[str]) -> tuple[Any, Any]:
    """Day and hour functions for ``accumulate``, keyed by (group value, metric)."""
    selected = set(cells)
    indexes = [(metric, METRICS.index(metric)) for metric in metrics]

    def key_of(cell: Cell) -> str | None:
        return cell[0] if group == "source" else cell[1] if group == "storyId" else None

    def day_values(day: date) -> dict[tuple[str | None, str], int]:
        totals: dict[tuple[str | None, str], int] = {}
        for cell, figures in day_cells(lic, day).items():
            if cell in selected:
                for metric, i in indexes:
                    key = (key_of(cell), metric)
                    totals[key] = totals.get(key, 0) + figures[i]
        return totals

    def hour_values(day: date) -> dict[tuple[str | None, str], list[int]]:
        totals: dict[tuple[str | None, str], list[int]] = {}
        for cell, figures in day_cell_hours(lic, day).items():
            if cell in selected:
                for metric, i in indexes:
                    row = totals.setdefault((key_of(cell), metric), [0] * 24)
                    for hour, value in enumerate(figures[i]):
                        row[hour] += value
        return totals

    return day_values, hour_values


def _group_keys(call: Call, lic: License, group: str | None) -> list[str | None]:
    """Group values to list: those named in the matching filter, or else every value the license has."""
    if group is None:
        return [None]
    named = _as_list(call.params.get("source" if group == "source" else "storyId"))
    if group == "storyId":
        return sorted({s.lower() for s in named} if named else {s.id for s in lic.stories})
    return sorted(set(named) if named else set(SOURCES))


def _point(bucket: datetime, value: Any, group: str | None, key: str | None) -> dict[str, Any]:
    point: dict[str, Any] = {"date": iso_ms(bucket), "value": value}
    if group is not None:
        point[group] = key
    return point


def _summary(values: list[Any], float_total: bool) -> dict[str, Any]:
    if not values:
        return {"total": 0, "min": 0, "max": 0, "avg": 0}
    total = round(sum(values), 2) if float_total else sum(values)
    return {"total": total, "min": min(values), "max": max(values), "avg": round(total / len(values), 2)}


def _as_list(value: Any) -> list[str]:
    return [] if value is None else list(value) if isinstance(value, list) else [value]
