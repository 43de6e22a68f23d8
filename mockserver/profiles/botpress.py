"""Botpress Cloud Admin API: the published ``getBotAnalytics`` document plus our overlay."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from typing import Any

from mockserver import errors
from mockserver.errors import Problem
from mockserver.generation.rng import derive
from mockserver.profiles.base import Call, Profile, handles
from mockserver.synth.activity import Entity, day_fraction
from mockserver.timeutil import UTC, days_between, iso_ms, parse_instant

_ERROR_TYPES = {
    errors.INVALID_BODY: "InvalidPayload",
    errors.MALFORMED_BODY: "InvalidDataFormat",
    errors.UNAUTHORIZED: "Unauthorized",
    errors.FORBIDDEN: "Forbidden",
    errors.NOT_FOUND: "ResourceNotFound",
    errors.METHOD_NOT_ALLOWED: "MethodNotFound",
    errors.PAYLOAD_TOO_LARGE: "PayloadTooLarge",
    errors.UNSUPPORTED_MEDIA_TYPE: "UnsupportedMediaType",
    errors.RATE_LIMITED: "RateLimited",
    errors.INTERNAL: "Internal",
}
_PARAMETER_TYPES = {"query": "InvalidQuery", "path": "InvalidIdentifier"}

_CUSTOM_EVENTS = ("order_placed", "handoff_requested", "feedback_submitted")
# USD per token, a mid-range hosted model.
_PRICE_IN, _PRICE_OUT = 0.15 / 1_000_000, 0.60 / 1_000_000


class Botpress(Profile):
    name = "botpress"
    title = "Botpress Cloud (Admin API)"
    spec_file = "botpress.yaml"
    overlay_file = "botpress.overlay.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        if problem.kind == errors.INVALID_PARAMETER:
            kind = _PARAMETER_TYPES.get(problem.location or "", "InvalidPayload")
        else:
            kind = _ERROR_TYPES.get(problem.kind, "Unknown")
        token = derive("botpress-error", request_key)
        return {
            "id": f"err_{token % 10**13}x{token >> 32 & 0xFFFFFFFF:08x}",
            "code": problem.status,
            "type": kind,
            "message": problem.message,
        }

    def error_headers(self, problem: Problem) -> dict[str, str]:
        # Botpress's documented limit is 100 requests per second; a 429 says the window is spent.
        if problem.status == 429:
            return {"RateLimit-Limit": "100", "RateLimit-Remaining": "0", "RateLimit-Reset": "1"}
        return {}

    @handles("getBotAnalytics")
    def bot_analytics(self, call: Call) -> dict[str, Any]:
        start = parse_instant(call.params["startDate"])
        end = parse_instant(call.params["endDate"], end_of_day=True)
        bot = Entity.of(call.seed, self.name, call.params["id"])
        lifetime_start = datetime(bot.created.year, bot.created.month, bot.created.day, tzinfo=UTC)
        start, end = max(start, lifetime_start), min(end, call.now)
        records = []
        for day in days_between(start, end):
            day_start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            lo, hi = max(start, day_start), min(end, day_start + timedelta(days=1, milliseconds=-1))
            fraction = day_fraction(day, lo, hi)
            records.append(_record(call, bot, day, lo, hi, fraction))
        return {"records": records}


def _record(call: Call, bot: Entity, day: date, lo: datetime, hi: datetime, fraction: float) -> dict[str, Any]:
    """One UTC day's figures for a bot, scaled to the share of the day inside the range."""
    rng = call.rng(bot.key[2], "day", day.isoformat())
    full_sessions = bot.volume(day)
    sessions = _count(full_sessions * fraction, rng)
    new_users = _count(sessions * rng.uniform(0.25, 0.45), rng)
    returning = _count(sessions * rng.uniform(0.3, 0.55), rng)
    user_messages = _count(sessions * rng.uniform(3.0, 7.5), rng)
    bot_messages = _count(user_messages * rng.uniform(1.1, 1.7), rng)
    custom = {name: _count(sessions * rng.uniform(0.01, 0.12), rng) for name in _CUSTOM_EVENTS}
    event_types = {
        "message_created": user_messages + bot_messages,
        "conversation_started": sessions,
        "user_created": new_users,
        "workflow_completed": _count(sessions * rng.uniform(0.2, 0.7), rng),
    }
    events = sum(event_types.values()) + sum(custom.values())
    calls = _count(bot_messages * rng.uniform(0.5, 0.9), rng)
    return {
        "startDateTimeUtc": iso_ms(lo),
        "endDateTimeUtc": iso_ms(hi),
        "returningUsers": returning,
        "newUsers": new_users,
        "sessions": sessions,
        "messages": user_messages,
        "userMessages": user_messages,
        "botMessages": bot_messages,
        "events": events,
        "eventTypes": event_types,
        "customEvents": custom,
        "llm": _llm(calls, rng),
    }


def _llm(calls: int, rng: random.Random) -> dict[str, Any]:
    """LLM figures for ``calls`` calls; the stats are those of a simulated sample of calls."""
    if calls == 0:
        zero = {"mean": 0, "sd": 0, "min": 0, "max": 0}
        return {"calls": 0, "errors": 0, "inputTokens": 0, "outputTokens": 0,
                "latency": dict(zero), "tokensPerSecond": dict(zero), "cost": {"sum": 0, **zero}}
    # Simulate up to 200 calls; larger days scale the sample's totals (the stats stay the sample's).
    sample = min(calls, 200)
    inputs = [max(int(rng.lognormvariate(math.log(900), 0.5)), 1) for _ in range(sample)]
    outputs = [max(int(rng.lognormvariate(math.log(160), 0.6)), 1) for _ in range(sample)]
    latency = [120 + o * rng.uniform(9, 22) + rng.expovariate(1 / 250) for o in outputs]
    speed = [o / (ms / 1000) for o, ms in zip(outputs, latency)]
    cost = [i * _PRICE_IN + o * _PRICE_OUT for i, o in zip(inputs, outputs)]
    scale = calls / sample
    cost_mean = sum(cost) / sample
    return {
        "calls": calls,
        "errors": min(_count(calls * rng.uniform(0.0, 0.03), rng), calls),
        "inputTokens": round(sum(inputs) * scale),
        "outputTokens": round(sum(outputs) * scale),
        "latency": _stats(latency, 1),
        "tokensPerSecond": _stats(speed, 2),
        "cost": {"sum": round(cost_mean * calls, 6), **_stats(cost, 8)},
    }


def _stats(values: list[float], digits: int) -> dict[str, float]:
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    low, high = min(values), max(values)
    return {"mean": round(mean, digits), "sd": round(sd, digits), "min": round(low, digits), "max": round(high, digits)}


def _count(expected: float, rng: random.Random) -> int:
    """A non-negative integer near ``expected`` (normal approximation of Poisson noise)."""
    if expected <= 0:
        return 0
    return max(int(round(rng.gauss(expected, math.sqrt(expected)))), 0)
