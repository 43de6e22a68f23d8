"""The busiest-period report: conversations per weekday and local hour (after the offset the
client sends), over the range."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from mockserver.profiles.base import Call
from mockserver.profiles.chatbotcom.days import cut_hours, hour_figure
from mockserver.profiles.chatbotcom.licenses import FIGURES, weigh, weigh_hours
from mockserver.profiles.chatbotcom.ranges import LAST_MS, request_range
from mockserver.profiles.chatbotcom.selection import Selection, as_list, hours_on
from mockserver.timeutil import UTC


def heatmap_report(call: Call) -> Any:
    lic, start, end = request_range(call)
    selection = Selection.of(lic, None, as_list(call.params.get("source")), as_list(call.params.get("storyId")))
    offset = float(call.params.get("offset", 0))
    grid = [[0] * 24 for _ in range(7)]
    first, last = lic.activity.window(call.history_clock(start, end))
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
            values: Sequence[int]
            if selection.level == 0:
                values = hour_figure(lic, ordinal, 0)
            else:
                values = weigh_hours(hours_on(lic, ordinal, selection)[0], weights)
            # An hour the range or now cuts counts its conversations inside the range.
            cut = cut_hours(lic, ordinal, low, high, selection.members)
            if cut:
                values = list(values)
                for hour, (kinds,) in cut.items():
                    values[hour] = weigh(kinds, weights)
            sunday_first = ordinal % 7  # date.fromordinal(1) is a Monday: row 1
            for hour in range(first_hour, last_hour + 1):
                if values[hour]:
                    shift, local = moved[hour]
                    grid[(sunday_first + shift) % 7][local] += values[hour]
    busiest = max(max(row) for row in grid)
    return [
        [{"day": d, "hour": h, "value": v, "usage": round(100 * v / busiest, 2) if busiest else 0} for h, v in enumerate(row)]
        for d, row in enumerate(grid)
    ]
