"""The series reports (conversations, paid, messages, average): sums over buckets and groups,
and the JSON answer.

A report sums the day counts over its buckets and groups. An unfiltered, ungrouped report reads
only the day's kind counts (one step per day, whatever the dimension); only edge days, hourly
buckets, filters and groups go down to hours, sources and stories, and only as far as needed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from mockserver.profiles.base import Call, Reply
from mockserver.profiles.chatbotcom.buckets import Buckets
from mockserver.profiles.chatbotcom.days import cut_hours, day_figures, hour_figure
from mockserver.profiles.chatbotcom.licenses import FIGURE_INDEX, FIGURES, License, weigh, weigh_hours
from mockserver.profiles.chatbotcom.ranges import LAST_MS, request_range
from mockserver.profiles.chatbotcom.selection import Selection, as_list, hours_on, kinds_on
from mockserver.synth.series import check_size
from mockserver.timeutil import UTC

MAX_POINTS = 50_000


def sum_series(
    lic: License, start: datetime, end: datetime, buckets: Buckets, selection: Selection, figures: Sequence[str], now: datetime
) -> list[list[list[int]]]:
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
                for key, kinds in enumerate(kinds_on(lic, ordinal, selection)):
                    for f, w in enumerate(weights):
                        series[f][key][index] += weigh(kinds, w)
            continue
        first_hour = 0 if low <= midnight else low.hour
        last_hour = 23 if midnight + timedelta(days=1) - LAST_MS <= high else high.hour
        rows: list[list[Sequence[int]]]
        if plain:
            rows = [[hour_figure(lic, ordinal, FIGURE_INDEX[name]) for name in figures]]
        else:
            rows = [[weigh_hours(hours, w) for w in weights] for hours in hours_on(lic, ordinal, selection)]
        # An hour the range or now cuts counts its conversations inside the range (days.hour_events).
        cut = cut_hours(lic, ordinal, low, high, selection.members)
        if cut:
            edited = [[list(hours) for hours in per_figure] for per_figure in rows]
            for hour, per_key in cut.items():
                for key, kinds in enumerate(per_key):
                    for f, w in enumerate(weights):
                        edited[key][f][hour] = weigh(kinds, w)
            rows = [list(per_figure) for per_figure in edited]
        if hourly:
            base = ordinal * 24 - buckets.origin
            for key, per_figure in enumerate(rows):
                for f, hours in enumerate(per_figure):
                    target = series[f][key]
                    target[base + first_hour : base + last_hour + 1] = hours[first_hour : last_hour + 1]
        else:
            index = buckets.of_day(day)
            for key, per_figure in enumerate(rows):
                for f, hours in enumerate(per_figure):
                    series[f][key][index] += sum(hours[first_hour : last_hour + 1])
    return series


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


def count_report(call: Call, figure: str) -> Reply:
    request = series_request(call)
    (columns,) = sum_series(*request.sum_args, (figure,), call.history_clock(request.start, request.end))
    return Reply(series_body(request, columns, decimals=False))


def series_request(call: Call) -> SeriesRequest:
    lic, start, end = request_range(call)
    dimension = call.params.get("dimension", "day")
    if dimension == "auto":
        span = end - start
        dimension = (
            "hour"
            if span <= timedelta(hours=48)
            else "day"
            if span <= timedelta(days=90)
            else ("month" if span <= timedelta(days=1095) else "year")
        )
    group = call.params.get("group")
    selection = Selection.of(lic, group, as_list(call.params.get("source")), as_list(call.params.get("storyId")))
    # Every bucket of the range is listed, for every group value: that is the size of the answer.
    check_size(start, end, dimension, len(selection.keys), MAX_POINTS)
    return SeriesRequest(lic, start, end, Buckets(start, end, dimension), selection, group)


def series_body(request: SeriesRequest, columns: list[list[Any]], decimals: bool) -> bytes:
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
        points = [
            f'{{"date":"{label}","value":{number(column[i])}{tag}'
            for i, label in enumerate(labels)
            for column, tag in zip(columns, tags)
        ]
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
