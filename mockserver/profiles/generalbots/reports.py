"""Report jobs: the body a client sees, the range a report covers and the daily table its file
holds (``files`` renders it as CSV, JSON or PDF)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from mockserver.jobs.model import Job
from mockserver.profiles.base import Call
from mockserver.profiles.generalbots.bots import FIGURES
from mockserver.profiles.generalbots.micros import DAY_US, day_label
from mockserver.profiles.generalbots.scope import Scope, end_of
from mockserver.timeutil import iso_ms, parse_instant
from mockserver.world import declared

# Largest report file: days (a PDF page holds about 37).
MAX_REPORT_DAYS = 5000

REPORT_COLUMNS = {
    "usage": ("conversations", "messages", "active_users", "new_users"),
    "conversations": ("conversations", "resolved", "escalated", "abandoned", "user_messages", "bot_messages"),
    "engagement": ("active_users", "new_users", "sessions", "responses"),
}


def report_body(call: Call, job: Job) -> dict[str, Any]:
    status, _ = job.state(call.wall)
    status = "pending" if status == "queued" else status
    done = status in ("completed", "failed")
    return {
        "id": job.id,
        "type": job.params["type"],
        "format": job.params["format"],
        "start_date": job.params["start_date"],
        "end_date": job.params["end_date"],
        "status": status,
        "created_at": iso_ms(call.job_time(job.created)),
        "completed_at": iso_ms(call.job_time(job.finished_at())) if done else None,
        "download_url": call.download_url(job)[0] if status == "completed" else None,
        "error": "Report generation failed: the analytics store did not answer in time. Create the report again."
        if status == "failed"
        else None,
    }


def report_range(params: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """A report's [start, end): the bounds as for query parameters, an inverted pair swapped."""
    raw_start, raw_end = params["start_date"], params["end_date"]
    if parse_instant(raw_start) > parse_instant(raw_end):
        raw_start, raw_end = raw_end, raw_start
    start, end = parse_instant(raw_start), end_of(raw_end)
    return (start, end) if start <= end else (end, start)


# Report columns that count distinct users: their total over the report is the distinct count
# over its whole range (a user active on two days is one user), never the sum of the days.
DISTINCT = ("active_users",)


class Table(NamedTuple):
    header: list[str]
    rows: list[list[Any]]
    totals: dict[str, int]  # each column over the whole range


def report_table(job: Job, seed: int, now: datetime) -> Table:
    """Header, rows (one per UTC day of the report's range) and totals for a report's type."""
    start, end = report_range(job.params)
    scope = Scope(seed, now, start, end, world=declared(job.world))
    columns = REPORT_COLUMNS[job.params["type"]]
    moments, values = scope.series("day", tuple(range(len(FIGURES))))
    named = dict(zip(FIGURES, values))
    named["messages"] = [u + b for u, b in zip(named["user_messages"], named["bot_messages"])]
    named["sessions"] = named["conversations"]
    rows = [[day_label(m // DAY_US + 1), *(named[c][i] for c in columns)] for i, m in enumerate(moments)]
    totals = {c: scope.distinct() if c in DISTINCT else sum(named[c]) for c in columns}
    return Table(["date", *columns], rows, totals)
