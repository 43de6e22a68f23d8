"""ChatCaptain Statistics API: a chatbot with its channels; every report sums the same figures.

The model: a chatbot has 2-5 channels (the channels endpoint lists them). Each channel has, per
UTC day, its conversations, a histogram of messages per conversation, interactions, step
executions, intent hits with their scores, languages and, on voice channels, calls. A channel
report aggregates one channel, the overview aggregates all of them, so the overview is the sum
of the channel reports wherever a sum means something. Decisions are in ``specs/chatcaptain.yaml``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from mockserver.errors import NOT_FOUND, Problem
from mockserver.generation.rng import keyed_random, object_id
from mockserver.jobs.model import Job
from mockserver.profiles.base import Call, Profile, Reply, handles
from mockserver.synth.activity import Entity
from mockserver.synth.apportion import apportion
from mockserver.synth.calendar import day_start
from mockserver.synth.histogram import bell, median, merge, total
from mockserver.synth.series import check_size
from mockserver.timeutil import iso_ms, parse_instant, shift

# Component ids as the vendor numbers them, per report.
CHANNEL_COMPONENTS = (
    "STEP_EXEC_COUNT_FOR_CHANNEL_ID", "CONVERSATION_COUNT_FOR_CHANNEL_ID",
    "CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID", "CONVERSATION_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID",
    "CONVERSATION_LANGUAGES_FOR_CHANNEL_ID", "CONVERSATION_MESSAGE_COUNT_MEDIAN_FOR_CHANNEL_ID",
    "INTENT_COUNT_FOR_CHANNEL_ID", "INTENT_HITS_FOR_CHANNEL_ID", "INTENT_SCORE_MEDIAN_FOR_CHANNEL_ID",
    "INTERACTION_COUNT_FOR_CHANNEL_ID", "INTERACTION_COUNT_INTERVAL_FOR_CHANNEL_ID",
    "INTERACTION_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID", "MESSAGE_COUNT_FOR_CHANNEL_ID",
    "MESSAGE_COUNT_INTERVAL_FOR_CHANNEL_ID", "MESSAGE_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID",
    "MESSAGE_LENGTH_MEDIAN_FOR_CHANNEL_ID", "CALL_DURATION_TOTAL", "CALL_DURATION_PERIODIC_TREND",
    "CALL_DURATION_MEDIAN", "CALL_EXIT_STEP", "CALL_USER_INPUTS_MEDIAN", "CALL_END_REASON",
    "CALL_TRANSFER_TARGET",
)
OVERVIEW_COMPONENTS = (
    "STEP_EXEC_COUNT", "CONVERSATION_COUNT", "CONVERSATION_COUNT_INTERVAL", "CONVERSATION_LANGUAGES",
    "CONVERSATION_BY_CHANNEL_TYPE", "CONVERSATION_COUNT_PERIODIC_TREND", "CONVERSATION_MESSAGE_COUNT_MEDIAN",
    "MESSAGE_COUNT", "MESSAGE_COUNT_INTERVAL", "MESSAGE_COUNT_PERIODIC_TREND", "MESSAGE_LENGTH_MEDIAN",
    "INTENT_HITS", "INTENT_SCORE_MEDIAN", "INTENT_COUNT", "INTERACTION_COUNT", "INTERACTION_COUNT_INTERVAL",
    "INTERACTION_COUNT_PERIODIC_TREND",
)
CHANNEL_TYPES = (("web", 0.35), ("meta-whatsapp", 0.2), ("facebook", 0.12), ("voice", 0.12),
                 ("telegram", 0.08), ("email", 0.06), ("audiocodes", 0.04), ("brevo", 0.03))
VOICE = ("voice", "audiocodes")
LANGUAGES = ("de", "en", "fr", "es", "it", "tr", "pl", "nl")
INTENTS = ("greeting", "opening_hours", "order_status", "cancel_order", "talk_to_human", "pricing",
           "reset_password", "delivery_time", "invoice_copy", "goodbye")
STEPS = ("Start", "Main menu", "Identify customer", "Answer FAQ", "Collect feedback", "Handover", "End")
END_REASONS = ("hangup_user", "hangup_bot", "transfer", "timeout", "error")
TARGETS = ("+4930120000100", "+4930120000200", "sip:support@pbx.example.com")
MESSAGE_BINS = tuple(range(1, 41))  # messages per conversation
LENGTH_BINS = tuple(range(2, 402, 4))  # characters per message
SCORE_BINS = tuple(round(0.3 + 0.025 * i, 3) for i in range(29))  # intent confidence
CALL_BINS = tuple(range(10, 1210, 10))  # seconds per call
INPUT_BINS = tuple(range(0, 21))  # user inputs per call
# Additive figures per channel and day; hourly values follow the conversations' hours.
ADDITIVE = ("conversations", "messages", "interactions", "steps", "intent_hits", "call_seconds")


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    type: str
    status: str
    number: str | None
    created: datetime
    updated: datetime
    activity: Entity

    @property
    def voice(self) -> bool:
        return self.type in VOICE

    def public(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type, "status": self.status}
        if self.number:
            body["number"] = self.number
        return {**body, "created": iso_ms(self.created), "updated": iso_ms(self.updated)}


@lru_cache(maxsize=256)
def channels_of(seed: int, chatbot: str) -> tuple[Channel, ...]:
    rng = keyed_random(seed, "chatcaptain", chatbot, "channels")
    kinds = []
    for _ in range(rng.randint(2, 5)):
        kind = rng.choices([t for t, _ in CHANNEL_TYPES], [w for _, w in CHANNEL_TYPES])[0]
        kinds.append(kind)
    result = []
    for index, kind in enumerate(kinds):
        channel_id = object_id(seed, "chatcaptain", chatbot, "channel", index)
        activity = Entity.of(seed, "chatcaptain", chatbot, channel_id, scale=0.5 if kind in VOICE else 1.0)
        created = day_start(activity.created) + timedelta(hours=rng.randint(8, 17), minutes=rng.randint(0, 59))
        label = {"meta-whatsapp": "WhatsApp", "audiocodes": "Phone (AudioCodes)"}.get(kind, kind.capitalize())
        number = f"+4930{rng.randint(1000000, 9999999)}" if kind in VOICE else None
        status = "inactive" if index and rng.random() < 0.15 else "active"
        result.append(Channel(channel_id, label, kind, status, number, created,
                              created + timedelta(days=rng.randint(0, 300)), activity))
    ordered = sorted(result, key=lambda c: c.created)
    # Name channels like a person would: "Web", or "Web 2" for a second one of the same kind.
    seen: dict[str, int] = {}
    named = []
    for channel in ordered:
        seen[channel.name] = seen.get(channel.name, 0) + 1
        suffix = f" {seen[channel.name]}" if seen[channel.name] > 1 else ""
        named.append(replace(channel, name=channel.name + suffix))
    return tuple(named)


@lru_cache(maxsize=16384)
def channel_day(seed: int, channel: Channel, day: date) -> dict[str, Any]:
    """Everything one channel did on one UTC day."""
    conversations = channel.activity.conversations(day)
    rng = keyed_random(seed, "chatcaptain", channel.id, "day", day.toordinal())
    lengths = apportion(conversations, bell(MESSAGE_BINS, rng.uniform(4, 8), 0.6))
    messages = round(total(MESSAGE_BINS, lengths))
    interactions = round(messages * rng.uniform(0.45, 0.55))
    steps = round(interactions * rng.uniform(1.5, 2.5))
    intent_hits = round(interactions * rng.uniform(0.6, 0.85))
    figures: dict[str, Any] = {
        "conversations": conversations,
        "messages": messages,
        "interactions": interactions,
        "steps": steps,
        "intent_hits": intent_hits,
        "hist_messages": lengths,
        "hist_length": apportion(messages, bell(LENGTH_BINS, rng.uniform(30, 70), 0.8)),
        "hist_score": apportion(intent_hits, bell(SCORE_BINS, rng.uniform(0.78, 0.9), 0.12)),
        "by_step": apportion(steps, [1 / (i + 1) for i in range(len(STEPS))]),
        "by_intent": apportion(intent_hits, [rng.uniform(0.2, 1.0) / (i + 1) ** 0.5 for i in range(len(INTENTS))]),
        "by_language": apportion(conversations, [0.55, 0.25, 0.06, 0.05, 0.03, 0.03, 0.02, 0.01]),
        "call_seconds": 0,
    }
    if channel.voice:
        calls = apportion(conversations, bell(CALL_BINS, rng.uniform(90, 180), 0.7))
        reasons = apportion(conversations, [0.45, 0.3, 0.15, 0.07, 0.03])
        figures.update(
            call_seconds=round(total(CALL_BINS, calls)),
            hist_calls=calls,
            hist_inputs=apportion(conversations, bell([i + 0.5 for i in INPUT_BINS], rng.uniform(3, 6), 0.5)),
            by_reason=reasons,
            by_exit=apportion(conversations, [0.1, 0.2, 0.1, 0.25, 0.1, 0.15, 0.1]),
            by_target=apportion(reasons[2], [0.6, 0.3, 0.1]),
        )
    return figures


@lru_cache(maxsize=4096)
def channel_hours(seed: int, channel: Channel, day: date) -> dict[str, list[int]]:
    return channel.activity.hourly(day, channel_day(seed, channel, day), ADDITIVE)


class Span:
    """The channels of one report and the figures they sum to over [start, end]."""

    def __init__(self, seed: int, now: datetime, channels: Sequence[Channel], start: datetime, end: datetime) -> None:
        self.seed, self.channels, self.now = seed, channels, now
        self.start, self.end = start, min(end, now)
        # A report asks for several components over the same days: compute each figure once.
        self._days: list[tuple[Channel, date, float | None]] | None = None
        self._sums: dict[str, int] = {}

    def days(self) -> list[tuple[Channel, date, float | None]]:
        """(channel, day, share) for each day with data: share None means the whole day."""
        if self._days is not None:
            return self._days
        result = []
        for channel in self.channels:
            first = max(self.start, channel.activity.window(self.now)[0])
            day = first.date()
            while day <= self.end.date():
                begins = day_start(day)
                whole = first <= begins and begins + timedelta(days=1, milliseconds=-1) <= self.end
                result.append((channel, day, None if whole else 0.0))
                day += timedelta(days=1)
        self._days = result
        return result

    def _in_range(self, channel: Channel, day: date, name: str) -> int:
        begins, hours = day_start(day), channel_hours(self.seed, channel, day)[name]
        first = max(self.start, channel.activity.window(self.now)[0])
        return sum(v for h, v in enumerate(hours)
                   if begins + timedelta(hours=h + 1, milliseconds=-1) >= first and begins + timedelta(hours=h) <= self.end)

    def sum(self, name: str) -> int:
        if name not in self._sums:
            self._sums[name] = sum(channel_day(self.seed, c, d)[name] if share is None else self._in_range(c, d, name)
                                   for c, d, share in self.days())
        return self._sums[name]

    def vector(self, name: str, base: str, voice_only: bool = False) -> list[int]:
        """A per-day vector (languages, intents, a histogram) over the range; partial days are
        rescaled to their in-range ``base`` figure so the vector adds up like the totals."""
        parts = []
        for channel, day, share in self.days():
            if voice_only and not channel.voice:
                continue
            figures = channel_day(self.seed, channel, day)
            if name not in figures:
                continue
            values = figures[name]
            if share is not None:
                values = apportion(self._in_range(channel, day, base), values)
            parts.append(values)
        return merge(parts, len(parts[0])) if parts else []

    def series(self, name: str, origin: datetime, interval: int) -> list[dict[str, Any]]:
        """Buckets of ``interval`` seconds from ``origin``; each hour goes to the bucket holding its start."""
        if self.end < self.start:
            return []
        width = timedelta(seconds=interval)
        first = min(max(self.start, *(c.activity.window(self.now)[0] for c in self.channels)) if self.channels else self.start, self.end)
        first_index = max(int((first - origin) / width), 0)
        last_index = max(int((self.end - origin) / width), first_index)
        check_size(origin + first_index * width, self.end, "hour" if interval == 3600 else "day")
        values = [0] * (last_index - first_index + 1)
        for channel, day, _ in self.days():
            begins = day_start(day)
            for hour, value in enumerate(channel_hours(self.seed, channel, day)[name]):
                moment = begins + timedelta(hours=hour)
                if value and moment + timedelta(hours=1, milliseconds=-1) >= self.start and moment <= self.end:
                    index = min(max(int((max(moment, origin) - origin) / width), first_index), last_index)
                    values[index - first_index] += value
        return [{"date": iso_ms(origin + (first_index + i) * width), "value": v} for i, v in enumerate(values)]


class ChatCaptain(Profile):
    name = "chatcaptain"
    title = "ChatCaptain Statistics API"
    spec_file = "chatcaptain.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        # NestJS's default exception body.
        return {"statusCode": problem.status, "message": problem.message, "error": HTTPStatus(problem.status).phrase}

    @handles("StatisticsController_getChannels")
    def channels(self, call: Call) -> Any:
        return {"data": [c.public() for c in channels_of(call.seed, call.params["chatbotId"])]}

    @handles("StatisticsController_getChannelReport")
    def channel_report(self, call: Call) -> Any:
        chatbot, wanted = call.params["chatbotId"], call.params["channelId"]
        found = [c for c in channels_of(call.seed, chatbot) if c.id == wanted]
        if not found:
            known = ", ".join(c.id for c in channels_of(call.seed, chatbot))
            raise Problem(NOT_FOUND, f"Channel '{wanted}' not found for chatbot '{chatbot}'; its channels are: {known}.",
                          "query", "channelId")
        return _report(call, found, CHANNEL_COMPONENTS, {"channelId": wanted})

    @handles("StatisticsController_getOverviewReport")
    def overview_report(self, call: Call) -> Any:
        return _report(call, channels_of(call.seed, call.params["chatbotId"]), OVERVIEW_COMPONENTS, {})

    @handles("StatisticsController_getInboxStatistics")
    def inbox(self, call: Call) -> Any:
        chatbot = call.params["chatbotId"]
        span = Span(call.seed, call.now, channels_of(call.seed, chatbot), *_bounds(call))
        handed = round(span.sum("conversations") * keyed_random(call.seed, "chatcaptain", chatbot, "inbox").uniform(0.05, 0.1))
        rng = keyed_random(call.seed, "chatcaptain", chatbot, "inbox", call.request_key)
        recent = 1.0 if span.end >= call.now - timedelta(days=2) else 0.0
        closed, pending, open_ = apportion(handed, [0.8, 0.08 * recent + 1e-9, 0.12 * recent + 1e-9])
        assigned = closed + pending + round(open_ * 0.6)
        names = ("Anna Schmidt", "Jonas Weber", "Lea Fischer", "Mehmet Kaya", "Sofia Rossi", "Tom Becker")
        agents = names[: 3 + keyed_random(call.seed, "chatcaptain", chatbot, "agents").randint(0, 3)]
        shares = apportion(assigned, [1 / (i + 1) ** 0.4 for i in range(len(agents))])
        closed_by = apportion(closed, shares)
        agent_rows = [
            {"agentId": object_id(call.seed, chatbot, name), "name": name, "assigned": n, "closed": c,
             "messagesSent": round(n * rng.uniform(4, 9)), "firstResponseTimeMedianSeconds": round(rng.uniform(30, 400), 1)}
            for name, n, c in zip(agents, shares, closed_by) if n
        ]
        return {
            "chatbotId": chatbot, "from": call.params["from"], "to": call.params["to"],
            "conversations": {"total": handed, "open": open_, "pending": pending, "closed": closed,
                              "assigned": assigned, "unassigned": handed - assigned},
            "firstResponseTimeMedianSeconds": round(rng.uniform(45, 300), 1) if assigned else None,
            "resolutionTimeMedianSeconds": round(rng.uniform(600, 7200), 1) if closed else None,
            "agents": agent_rows,
        }

    @handles("StatisticsController_createExport")
    def create_export(self, call: Call) -> Any:
        params = {"from": call.params["from"], "to": call.params["to"]}
        job = call.create_job("export", call.params["chatbotId"], params)
        return Reply({"id": job.id, "status": "queued", "createdAt": iso_ms(call.job_time(job.created))}, 202)

    @handles("StatisticsController_getExportStatus")
    def export_status(self, call: Call) -> Any:
        chatbot, export_id = call.params["chatbotId"], call.params["exportId"]
        job = call.job(export_id)
        if job is None or job.owner != chatbot:
            raise Problem(NOT_FOUND, f"Export '{export_id}' not found for chatbot '{chatbot}'.", "path", "exportId")
        status, progress = job.state(call.wall)
        body: dict[str, Any] = {"id": job.id, "status": status, "progress": progress,
                                "createdAt": iso_ms(call.job_time(job.created))}
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
        """The export as CSV: one row per day (from the export's ``from``) and channel."""
        start, end = parse_instant(job.params["from"]), parse_instant(job.params["to"])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["date", "channelId", "channelName", "channelType", "conversations", "messages", "interactions"])
        for channel in channels_of(seed, job.owner):
            span = Span(seed, now, [channel], start, end)
            columns = [span.series(name, start, 86400) for name in ("conversations", "messages", "interactions")]
            for points in zip(*columns):
                writer.writerow([points[0]["date"], channel.id, channel.name, channel.type, *(p["value"] for p in points)])
        return out.getvalue().encode(), "text/csv; charset=utf-8", f"statistics-export-{job.id}.csv"


def _bounds(call: Call) -> tuple[datetime, datetime]:
    return parse_instant(call.params["from"]), parse_instant(call.params["to"])


def _report(call: Call, channels: Sequence[Channel], names: tuple[str, ...], extra: dict[str, Any]) -> dict[str, Any]:
    start, end = _bounds(call)
    interval = int(call.params["interval"])
    span = Span(call.seed, call.now, channels, start, end)
    wanted = sorted({int(i) for i in str(call.params["components"]).split(",")})
    components = {names[i]: _component(names[i], span, call, start, end, interval) for i in wanted}
    return {"chatbotId": call.params["chatbotId"], **extra, "from": call.params["from"], "to": call.params["to"],
            "interval": interval, "components": components}


def _component(name: str, span: Span, call: Call, start: datetime, end: datetime, interval: int) -> Any:
    kind = name.removesuffix("_FOR_CHANNEL_ID")
    figure = {"CONVERSATION": "conversations", "MESSAGE": "messages", "INTERACTION": "interactions"}
    subject = kind.split("_")[0]
    if kind.endswith("_COUNT_INTERVAL"):
        return {"interval": interval, "series": span.series(figure[subject], start, interval)}
    if kind.endswith("_PERIODIC_TREND"):
        return _trend(span, call, start, end, "call_seconds" if subject == "CALL" else figure[subject])
    builders: dict[str, Callable[[], Any]] = {
        "CONVERSATION_COUNT": lambda: {"total": span.sum("conversations")},
        "MESSAGE_COUNT": lambda: {"total": span.sum("messages")},
        "INTERACTION_COUNT": lambda: {"total": span.sum("interactions")},
        "STEP_EXEC_COUNT": lambda: _steps(span.vector("by_step", "steps")),
        "CONVERSATION_LANGUAGES": lambda: _ranked(LANGUAGES, span.vector("by_language", "conversations"), "language", "count"),
        "CONVERSATION_MESSAGE_COUNT_MEDIAN": lambda: {"median": median(MESSAGE_BINS, span.vector("hist_messages", "conversations"))},
        "MESSAGE_LENGTH_MEDIAN": lambda: {"median": median(LENGTH_BINS, span.vector("hist_length", "messages"))},
        "INTENT_HITS": lambda: _ranked(INTENTS, span.vector("by_intent", "intent_hits"), "intent", "hits"),
        "INTENT_COUNT": lambda: {"total": sum(1 for v in span.vector("by_intent", "intent_hits") if v)},
        "INTENT_SCORE_MEDIAN": lambda: {"median": _round(median(SCORE_BINS, span.vector("hist_score", "intent_hits")), 4)},
        "CONVERSATION_BY_CHANNEL_TYPE": lambda: _by_type(span),
        "CALL_DURATION_TOTAL": lambda: {"totalSeconds": span.sum("call_seconds")},
        "CALL_DURATION_MEDIAN": lambda: {"medianSeconds": median(CALL_BINS, span.vector("hist_calls", "conversations", True))},
        "CALL_USER_INPUTS_MEDIAN": lambda: {"median": median(INPUT_BINS, span.vector("hist_inputs", "conversations", True))},
        "CALL_EXIT_STEP": lambda: _steps(span.vector("by_exit", "conversations", True))["steps"],
        "CALL_END_REASON": lambda: _ranked(END_REASONS, span.vector("by_reason", "conversations", True), "reason", "count"),
        "CALL_TRANSFER_TARGET": lambda: _transfer_targets(span),
    }
    return builders[kind]()


def _trend(span: Span, call: Call, start: datetime, end: datetime, figure: str) -> dict[str, Any]:
    length = end - start
    previous_to = shift(start, -timedelta(milliseconds=1))
    previous_from = shift(previous_to, -length)
    current = span.sum(figure)
    previous = Span(span.seed, span.now, span.channels, previous_from, previous_to).sum(figure)
    return {"current": current, "previous": previous,
            "changePercent": round((current - previous) / previous * 100, 2) if previous else None,
            "previousFrom": iso_ms(previous_from), "previousTo": iso_ms(previous_to)}


def _ranked(keys: Sequence[str], counts: Sequence[int], key: str, value: str) -> list[dict[str, Any]]:
    rows = [{key: k, value: n} for k, n in zip(keys, counts) if n]
    return sorted(rows, key=lambda r: -r[value])


def _steps(counts: Sequence[int]) -> dict[str, Any]:
    steps = [{"stepId": f"step_{i + 1:02d}", "stepName": STEPS[i], "count": n} for i, n in enumerate(counts) if n]
    return {"total": sum(counts), "steps": sorted(steps, key=lambda s: -s["count"])}


def _by_type(span: Span) -> list[dict[str, Any]]:
    totals: dict[str, int] = {}
    for channel in span.channels:
        single = Span(span.seed, span.now, [channel], span.start, span.end)
        totals[channel.type] = totals.get(channel.type, 0) + single.sum("conversations")
    return sorted(({"channelType": t, "count": n} for t, n in totals.items() if n), key=lambda r: -r["count"])


def _transfer_targets(span: Span) -> list[dict[str, Any]]:
    reasons = span.vector("by_reason", "conversations", True)
    targets = span.vector("by_target", "conversations", True)
    if targets and reasons:
        # by_target splits the transfers; keep it adding up to the range's transfers.
        targets = apportion(reasons[END_REASONS.index("transfer")], targets)
    return _ranked(TARGETS, targets, "target", "count")


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
