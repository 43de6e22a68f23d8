"""ChatCaptain Statistics API: a chatbot with its channels; every report sums the same figures.

The model, module by module (decisions are in ``specs/chatcaptain.yaml``):

- ``channels``: a chatbot's 2-5 channels, their types and when they were active;
- ``days``: each channel's figures per UTC day and over the day's hours, cached;
- ``spans``: what a report sums over its range (the overview is the sum of the channel reports),
  and what it costs;
- ``components``: the report components, built from a span;
- ``export``: the export file.

This module holds the profile: its error body and operation handlers.
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Any

import numpy as np

from mockserver.errors import NOT_FOUND, Problem
from mockserver.generation.rng import keyed_random, object_id
from mockserver.jobs.model import Job
from mockserver.profiles.base import Call, Profile, Reply, handles
from mockserver.profiles.chatcaptain.channels import (
    INTENTS,
    KINDS,
    LANGUAGES,
    STEPS,
    VOICE,
    WORLD_SCHEMA,
    channels_of,
    chatbot_channels,
)
from mockserver.profiles.chatcaptain.components import CHANNEL_COMPONENTS, OVERVIEW_COMPONENTS, report, step_id
from mockserver.profiles.chatcaptain.days import END_REASONS, TARGETS
from mockserver.profiles.chatcaptain.events import SETTLED
from mockserver.profiles.chatcaptain.export import export_file
from mockserver.profiles.chatcaptain.spans import Span, report_clock, timeframe
from mockserver.synth.timeline import to_ms
from mockserver.timeutil import iso_ms
from mockserver.validation.request import BRACKETS, REPEAT
from mockserver.validation.schema import shorten
from mockserver.world import NOTHING, Declared

# NestJS's HttpException names (not Python's phrases: 413 is "Payload Too Large" there).
PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


class ChatCaptain(Profile):
    name = "chatcaptain"
    title = "ChatCaptain Statistics API"
    spec_file = "chatcaptain.yaml"
    world_schema = WORLD_SCHEMA
    # NestJS on Express: its query parser reads a[]=1 and a[0]=1 as arrays, and repeats; lists such
    # as components are one comma-separated string.
    array_spellings = frozenset({REPEAT, BRACKETS})

    def invariants(self, operation_id: str, body: Any) -> list[tuple[str, str]]:
        # A *_INTERVAL series adds up to its *_COUNT; step executions add up to their total.
        components = body.get("components") if isinstance(body, dict) else None
        if not isinstance(components, dict):
            return []
        broken: list[tuple[str, str]] = []
        for name, component in components.items():
            if not isinstance(component, dict):
                continue
            count = components.get(name.removesuffix("_INTERVAL"))
            series = component.get("series")
            if name.endswith("_INTERVAL") and isinstance(series, list) and isinstance(count, dict):
                total = sum(p.get("value", 0) for p in series if isinstance(p, dict) and isinstance(p.get("value"), (int, float)))
                if count.get("total") != total:
                    broken.append(
                        (f"/components/{name}/series", f"adds up to {total}, not to {name.removesuffix('_INTERVAL')}.total")
                    )
            steps = component.get("steps")
            if isinstance(steps, list) and "total" in component:
                total = sum(s.get("count", 0) for s in steps if isinstance(s, dict) and isinstance(s.get("count"), int))
                if component["total"] != total:
                    broken.append((f"/components/{name}/steps", f"add up to {total}, not to the total {component['total']}"))
        return broken

    def error_type(self, body: Any) -> str | None:
        return body["error"]  # the status's name, as NestJS writes it

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        # NestJS's default exception body.
        phrase = PHRASES.get(problem.status) or HTTPStatus(problem.status).phrase
        return {"statusCode": problem.status, "message": problem.message, "error": phrase}

    def entities(self, seed: int, world: Declared = NOTHING) -> dict[str, Any]:
        example = "6790b2f1c2a4e5d3f8a1b234"
        declared = [
            {"chatbotId": entry["id"], "channels": [c.public() for c in chatbot_channels(seed, entry["id"], world)]}
            for entry in world.entities("chatbots")
        ]
        return {
            "chatbots": "Any chatbotId is a chatbot: its 2-5 channels follow from the seed and the id "
            "(GET /v1/chatbots/{chatbotId}/statistics/channels lists them), unless the world declares them.",
            "declared": declared,
            "channelTypes": list(KINDS),
            "voiceChannelTypes": list(VOICE),
            "example": {"chatbotId": example, "channels": [c.public() for c in channels_of(seed, example)]},
            "languages": list(LANGUAGES),
            "intents": list(INTENTS),
            "steps": [{"stepId": step_id(i), "stepName": name} for i, name in enumerate(STEPS)],
            "callEndReasons": list(END_REASONS),
            "callTransferTargets": list(TARGETS),
        }

    @handles("StatisticsController_getChannels")
    def channels(self, call: Call) -> Any:
        return {"data": [c.public() for c in chatbot_channels(call.seed, call.params["chatbotId"], call.world)]}

    @handles("StatisticsController_getChannelReport")
    def channel_report(self, call: Call) -> Any:
        start, end = timeframe(call)
        chatbot, wanted = call.params["chatbotId"], call.params["channelId"]
        channels = chatbot_channels(call.seed, chatbot, call.world)
        found = [c for c in channels if c.id == wanted]
        if not found:
            known = ", ".join(c.id for c in channels)
            raise Problem(
                NOT_FOUND,
                f"Channel {shorten(wanted)} not found for chatbot {shorten(chatbot)}; its channels are: {known}.",
                "query",
                "channelId",
            )
        return report(call, found, CHANNEL_COMPONENTS, {"channelId": wanted}, start, end)

    @handles("StatisticsController_getOverviewReport")
    def overview_report(self, call: Call) -> Any:
        start, end = timeframe(call)
        channels = chatbot_channels(call.seed, call.params["chatbotId"], call.world)
        return report(call, channels, OVERVIEW_COMPONENTS, {}, start, end)

    @handles("StatisticsController_getInboxStatistics")
    def inbox(self, call: Call) -> Any:
        start, end = timeframe(call)
        chatbot = call.params["chatbotId"]
        # Once every conversation of the timeframe can have closed, later clocks give the same answer.
        clock = report_clock(call, start, end, SETTLED)
        span = Span(call.seed, clock, chatbot_channels(call.seed, chatbot, call.world), start, end)
        handed = span.handovers()
        # Each conversation's state follows from its own timeline and now, never from the range.
        age = (to_ms(clock) - handed["instants"]) / 1000  # seconds since the handover
        replied = handed["first_reply"] <= age
        closed = handed["closed_after"] <= age
        assigned = handed["first_reply"] / 2 <= age  # an agent takes it before replying
        pending = replied & ~closed & (handed["waiting"] == 1)
        names = ("Anna Schmidt", "Jonas Weber", "Lea Fischer", "Mehmet Kaya", "Sofia Rossi", "Tom Becker")
        agents = names[: 3 + keyed_random(call.seed, "chatcaptain", chatbot, "agents").randint(0, 3)]
        shares = np.cumsum([1 / (i + 1) ** 0.4 for i in range(len(agents))])
        agent = np.minimum(np.searchsorted(shares / shares[-1], handed["agent"], "right"), len(agents) - 1)
        rows = []
        for index, name in enumerate(agents):
            theirs = assigned & (agent == index)
            if theirs.any():
                rows.append(
                    {
                        "agentId": object_id(call.seed, chatbot, name),
                        "name": name,
                        "assigned": int(theirs.sum()),
                        "closed": int((theirs & closed).sum()),
                        "messagesSent": int(handed["sent"][theirs & replied].sum()),
                        "firstResponseTimeMedianSeconds": _median_seconds(handed["first_reply"][theirs & replied]),
                    }
                )
        total, n_closed, n_pending = len(age), int(closed.sum()), int(pending.sum())
        return {
            "chatbotId": chatbot,
            "from": call.params["from"],
            "to": call.params["to"],
            "conversations": {
                "total": total,
                "open": total - n_closed - n_pending,
                "pending": n_pending,
                "closed": n_closed,
                "assigned": int(assigned.sum()),
                "unassigned": total - int(assigned.sum()),
            },
            "firstResponseTimeMedianSeconds": _median_seconds(handed["first_reply"][replied]),
            "resolutionTimeMedianSeconds": _median_seconds(handed["closed_after"][closed]),
            "agents": sorted(rows, key=lambda row: -row["assigned"]),
        }

    @handles("StatisticsController_createExport")
    def create_export(self, call: Call) -> Any:
        start, end = timeframe(call)
        Span(call.seed, call.now, (), start, end).check_size(86400)  # the file has a row per day and channel
        params = {"from": call.params["from"], "to": call.params["to"]}
        job = call.create_job("export", call.params["chatbotId"], params)
        return Reply({"id": job.id, "status": "queued", "createdAt": iso_ms(call.job_time(job.created))}, 202)

    @handles("StatisticsController_getExportStatus")
    def export_status(self, call: Call) -> Any:
        chatbot, export_id = call.params["chatbotId"], call.params["exportId"]
        job = call.job(export_id)
        if job is None or job.owner != chatbot:
            raise Problem(NOT_FOUND, f"Export {shorten(export_id)} not found for chatbot {shorten(chatbot)}.", "path", "exportId")
        status, progress = job.state(call.wall)
        body: dict[str, Any] = {
            "id": job.id,
            "status": status,
            "progress": progress,
            "createdAt": iso_ms(call.job_time(job.created)),
        }
        headers = {}
        if status == "completed":
            body["downloadUrl"], expires = call.download_url(job)
            body["expiresAt"] = iso_ms(expires)
        elif status == "failed":
            body["error"] = "The export could not be generated: the statistics backend timed out. Create a new export."
        else:
            headers["Retry-After"] = job.retry_after(call.wall)
        return Reply(body, 200, headers)

    def download(self, job: Job, seed: int, now: datetime) -> tuple[bytes, str, str]:
        """The export as CSV (see ``export``)."""
        return export_file(job, seed, now)


def _median_seconds(values: np.ndarray) -> float | None:
    """The median of a sample of durations, to a tenth of a second; None when the sample is empty."""
    return round(float(np.median(values)), 1) if len(values) else None
