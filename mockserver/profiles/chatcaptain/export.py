"""The export file: a CSV with one row per day and channel of the export's range."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from mockserver.jobs.model import Job
from mockserver.profiles.chatcaptain.channels import chatbot_channels
from mockserver.profiles.chatcaptain.spans import Span
from mockserver.timeutil import parse_instant
from mockserver.world import declared


def export_file(job: Job, seed: int, now: datetime) -> tuple[bytes, str, str]:
    """The export as CSV: one row per day (from the export's ``from``) and channel."""
    start, end = parse_instant(job.params["from"]), parse_instant(job.params["to"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["date", "channelId", "channelName", "channelType", "conversations", "messages", "interactions"])
    for channel in chatbot_channels(seed, job.owner, declared(job.world)):
        span = Span(seed, now, [channel], start, max(start, end))
        columns = [span.series(name, 86400) for name in ("conversations", "messages", "interactions")]
        for points in zip(*columns):
            writer.writerow([points[0]["date"], channel.id, channel.name, channel.type, *(p["value"] for p in points)])
    return out.getvalue().encode(), "text/csv; charset=utf-8", f"statistics-export-{job.id}.csv"
