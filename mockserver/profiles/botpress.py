"""Botpress Cloud Admin API: the published ``getBotAnalytics`` document plus our overlay.

The model: a bot (any id) has, per UTC hour, sessions and what follows from them: users,
messages, events, and LLM calls with their tokens, latency, speed and cost. A record sums the
hours of one UTC day that overlap the requested range, so the records of two halves of a day add
up to the whole day's record, and its LLM statistics are those of exactly the calls it counts.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from mockserver import errors
from mockserver.errors import Problem
from mockserver.generation.rng import keyed_random
from mockserver.profiles.base import Call, Profile, handles
from mockserver.synth.activity import DIURNAL, Entity, counter
from mockserver.synth.apportion import apportion
from mockserver.synth.calendar import day_start
from mockserver.synth.series import check_size
from mockserver.synth.strata import extremes, quantile_sums, stats
from mockserver.timeutil import ONE_MS, day_span_ms, days_between, iso_ms

DAY = timedelta(days=1)

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
    # The mock's own limits, in the nearest types the client knows.
    errors.REQUEST_TIMEOUT: "OperationTimeout",
    errors.URI_TOO_LONG: "LimitExceeded",
    errors.HEADERS_TOO_LARGE: "LimitExceeded",
    errors.UNAVAILABLE: "Internal",
}
_PARAMETER_TYPES = {"query": "InvalidQuery", "path": "InvalidIdentifier"}

_CUSTOM_EVENTS = ("order_placed", "handoff_requested", "feedback_submitted")
# Counts per bot and UTC day; each is split over the day's hours like its sessions.
FIGURES = (
    "sessions",
    "newUsers",
    "returningUsers",
    "userMessages",
    "botMessages",
    "workflow_completed",
    *_CUSTOM_EVENTS,
    "calls",
    "errors",
)
# USD per token, a mid-range hosted model.
_PRICE_IN, _PRICE_OUT = 0.15 / 1_000_000, 0.60 / 1_000_000
# Spread (log scale) of a call's output tokens, input tokens and output speed. A call's latency is
# its output tokens over its speed, and longer answers stream a little slower (see _llm).
_SIGMA_OUT, _SIGMA_IN, _SIGMA_SPEED = 0.6, 0.5, 0.3
# Log-scale (mu) of a typical call's output tokens, input tokens and output speed; each day's
# drifts a little around it.
_LOG_OUT, _LOG_IN, _LOG_SPEED = math.log(160), math.log(900), math.log(60)
HOUR = timedelta(hours=1)
# Day figures that follow the LLM calls' hours rather than the sessions'.
_LLM_FIGURES = ("calls", "errors", "outputTokens", "inputTokens")


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
        # Botpress names each failed request anew (milliseconds, then 8 random hex digits), so a
        # client may log or deduplicate by id: the one part of an answer that no seed fixes.
        return {
            "id": f"err_{int(now.timestamp() * 1000)}x{secrets.token_hex(4)}",
            "code": problem.status,
            "type": kind,
            "message": problem.message,
        }

    def invariants(self, operation_id: str, body: Any) -> list[tuple[str, str]]:
        if operation_id != "getBotAnalytics" or not isinstance(body, dict):
            return []
        broken: list[tuple[str, str]] = []
        for record in body.get("records") or []:
            if not isinstance(record, dict):
                continue
            if record.get("messages") != record.get("userMessages"):
                broken.append(("/records/*/messages", "messages differs from userMessages (its deprecated alias)"))
            parts = [*(record.get("eventTypes") or {}).values(), *(record.get("customEvents") or {}).values()]
            if all(isinstance(p, (int, float)) for p in parts) and record.get("events") != sum(parts):
                broken.append(("/records/*/events", "events is not the sum of eventTypes and customEvents"))
            llm = record.get("llm") or {}
            if isinstance(llm.get("calls"), int) and isinstance(llm.get("errors"), int) and llm["errors"] > llm["calls"]:
                broken.append(("/records/*/llm/errors", "more errors than calls"))
            for name in ("latency", "tokensPerSecond", "cost"):
                stat = llm.get(name) or {}
                low, mean, high = (stat.get(k) for k in ("min", "mean", "max"))
                if (
                    llm.get("calls")
                    and isinstance(low, (int, float))
                    and isinstance(mean, (int, float))
                    and isinstance(high, (int, float))
                ):
                    slack = 1e-9 * max(abs(low), abs(high), 1e-12)  # float rounding, not drift
                    if not low - slack <= mean <= high + slack:
                        broken.append((f"/records/*/llm/{name}", "min <= mean <= max does not hold"))
        return list(dict.fromkeys(broken))

    def error_headers(self, problem: Problem) -> dict[str, str]:
        # Botpress's documented limit is 100 requests per second; a 429 says the window is spent.
        if problem.status == 429:
            return {"RateLimit-Limit": "100", "RateLimit-Remaining": "0", "RateLimit-Reset": "1"}
        return {}

    @handles("getBotAnalytics")
    def bot_analytics(self, call: Call) -> dict[str, Any]:
        bot_id = call.params["id"]
        bot = Entity.of(call.seed, self.name, bot_id)
        start = max(call.instant("startDate"), day_start(bot.created))
        end = call.clip(call.instant("endDate", end_of_day=True))
        if start <= end:  # one record a day: a clock set far ahead could otherwise ask for millions
            check_size(start, end, "day", items="records", hint="Narrow the range (startDate to endDate).")
        days = days_between(start, end)
        # Only the first and the last day can be cut by the range; the days between are whole.
        cut: dict[date, dict[str, Any]] = {}
        for day in {days[0], days[-1]} if days else ():
            first = day_start(day)
            lo, hi = max(start, first), min(end, first + DAY - ONE_MS)
            if lo != first or hi != first + DAY - ONE_MS:
                hours = range(int((lo - first) / HOUR), int((hi - first) / HOUR) + 1)
                cut[day] = _record(bot_day(call.seed, bot_id, day), hours, iso_ms(lo), iso_ms(hi))
        return {"records": [cut[day] if day in cut else _whole_day(call.seed, bot_id, day) for day in days]}


class BotDay(NamedTuple):
    """One bot's UTC day: its totals (LLM tokens included) and the scales of its LLM calls.

    A named tuple: one object for the garbage collector to visit where a dataclass is two (its
    ``__dict__``), and thousands are cached (see _hour_sums).
    """

    totals: dict[str, int]
    mu: tuple[float, float, float]  # log-scale of output tokens, input tokens, output tokens per second
    key: tuple[int, str, date]

    def hourly(self) -> dict[str, tuple[int, ...]]:
        """Every figure split over the hours (needed for part of a day only)."""
        return _hourly(*self.key)


@lru_cache(maxsize=8192)
def bot_day(seed: int, bot_id: str, day: date) -> BotDay:
    bot = Entity.of(seed, "botpress", bot_id)
    ordinal = day.toordinal()
    rng = keyed_random(seed, "botpress", bot_id, "day", ordinal)
    noisy, share = counter(rng), rng.uniform
    sessions = noisy(bot.typical(ordinal) * rng.lognormvariate(0, 0.18))
    user_messages = noisy(sessions * share(3.0, 7.5))
    bot_messages = noisy(user_messages * share(1.1, 1.7))
    calls = noisy(bot_messages * share(0.5, 0.9))
    totals = {
        "sessions": sessions,
        "newUsers": noisy(sessions * share(0.25, 0.45)),
        "returningUsers": noisy(sessions * share(0.3, 0.55)),
        "userMessages": user_messages,
        "botMessages": bot_messages,
        "workflow_completed": noisy(sessions * share(0.2, 0.7)),
    }
    for name in _CUSTOM_EVENTS:
        totals[name] = noisy(sessions * share(0.01, 0.12))
    totals["calls"] = calls
    totals["errors"] = min(noisy(calls * share(0.0, 0.03)), calls)
    mu = (_LOG_OUT + share(-0.15, 0.15), _LOG_IN + share(-0.2, 0.2), _LOG_SPEED + share(-0.2, 0.2))
    sums, _ = _day_calls(calls)
    # A day's tokens are those of its calls (synth/strata.py); hours get exact shares (_hourly).
    totals["outputTokens"], totals["inputTokens"] = round(math.exp(mu[0]) * sums[0]), round(math.exp(mu[1]) * sums[2])
    return BotDay(totals, mu, (seed, bot_id, day))


@lru_cache(maxsize=8192)
def _call_hours(calls: int) -> tuple[int, ...]:
    """A day's LLM calls over its UTC hours, along the common diurnal curve. So the statistics of a
    whole day's calls depend on their number only, and are worked out once per number."""
    return tuple(apportion(calls, DIURNAL))


@lru_cache(maxsize=8192)
def _day_calls(calls: int) -> tuple[tuple[float, ...], int]:
    """The quantile sums (see _llm) over a whole day's calls, and its busiest hour's calls."""
    return _hour_sums(_call_hours(calls))


def _hour_sums(calls_per_hour: Sequence[int]) -> tuple[tuple[float, ...], int]:
    hours = [quantile_sums(n, _SPREADS) for n in calls_per_hour if n]
    # Tuples of plain values: the collector stops tracking them, and a cache of thousands of
    # tracked objects adds about a millisecond per thousand to every full collection.
    sums = tuple(sum(column) for column in zip(*hours)) if hours else (0.0,) * len(_SPREADS)
    return sums, max(calls_per_hour, default=0)


@lru_cache(maxsize=1024)
def _hourly(seed: int, bot_id: str, day: date) -> dict[str, tuple[int, ...]]:
    today = bot_day(seed, bot_id, day)
    shape = Entity.of(seed, "botpress", bot_id).hours(day, today.totals["sessions"])
    calls = _call_hours(today.totals["calls"])
    hours = {name: tuple(apportion(value, shape)) for name, value in today.totals.items() if name not in _LLM_FIGURES}
    # LLM figures follow the calls: no hour has more errors than calls, tokens go with their calls.
    per_call = [quantile_sums(n, _SPREADS) if n else (0.0,) * len(_SPREADS) for n in calls]
    return {
        **hours,
        "calls": calls,
        "errors": tuple(apportion(today.totals["errors"], calls)),
        "outputTokens": tuple(apportion(today.totals["outputTokens"], [v[0] for v in per_call])),
        "inputTokens": tuple(apportion(today.totals["inputTokens"], [v[2] for v in per_call])),
    }


@lru_cache(maxsize=4096)
def _whole_day(seed: int, bot_id: str, day: date) -> dict[str, Any]:
    return _record(bot_day(seed, bot_id, day), range(24), *day_span_ms(day))


def _record(today: BotDay, hours: range, start: str, end: str) -> dict[str, Any]:
    """The record of ``hours`` of one day (``start`` to ``end``): sums of the hours' figures, stats
    of their calls."""
    if len(hours) == 24:
        sums = today.totals
        calls_sums, busiest = _day_calls(sums["calls"])
    else:
        hourly = today.hourly()
        sums = {name: sum(values[h] for h in hours) for name, values in hourly.items()}
        calls_sums, busiest = _hour_sums([hourly["calls"][h] for h in hours])
    event_types = {
        "message_created": sums["userMessages"] + sums["botMessages"],
        "conversation_started": sums["sessions"],
        "user_created": sums["newUsers"],
        "workflow_completed": sums["workflow_completed"],
    }
    custom = {name: sums[name] for name in _CUSTOM_EVENTS}
    return {
        "startDateTimeUtc": start,
        "endDateTimeUtc": end,
        "returningUsers": sums["returningUsers"],
        "newUsers": sums["newUsers"],
        "sessions": sums["sessions"],
        "messages": sums["userMessages"],
        "userMessages": sums["userMessages"],
        "botMessages": sums["botMessages"],
        "events": sum(event_types.values()) + sum(custom.values()),
        "eventTypes": event_types,
        "customEvents": custom,
        "llm": _llm(sums, calls_sums, busiest, today.mu),
    }


# The spreads whose quantile sums the LLM figures need (see _llm).
_LATENCY = _SIGMA_OUT + _SIGMA_SPEED
_SPREADS = (
    _SIGMA_OUT,
    2 * _SIGMA_OUT,
    _SIGMA_IN,
    2 * _SIGMA_IN,
    _LATENCY,
    2 * _LATENCY,
    _SIGMA_SPEED,
    2 * _SIGMA_SPEED,
    _SIGMA_IN + _SIGMA_OUT,
)
# The spreads whose extremes they need, in the order _llm unpacks them.
_REACHES = (_SIGMA_OUT, _SIGMA_IN, _LATENCY, _SIGMA_SPEED)
_LOG_MS = math.log(1000)


def _llm(figures: Mapping[str, int], sums: Sequence[float], busiest: int, mu: tuple[float, float, float]) -> dict[str, Any]:
    """LLM figures of the calls of some hours: their counts, and the statistics of those calls.

    Each hour's calls are a stratified sample (synth/strata.py): call j of an hour has output tokens
    o = e^(mu_o + s_o z_j), input tokens i = e^(mu_i + s_i z_j) and speed v = e^(mu_v - s_v z_j)
    tokens per second (longer answers stream a little slower), so its latency is 1000 o / v ms and
    its cost i x price_in + o x price_out. ``sums`` holds, for each spread of ``_SPREADS``, the sum
    of e^(s z) over the calls; ``busiest`` is the most calls any one of the hours had, whose outer
    strata set the extremes.
    """
    calls, input_tokens, output_tokens = figures["calls"], figures["inputTokens"], figures["outputTokens"]
    total = round(input_tokens * _PRICE_IN + output_tokens * _PRICE_OUT, 6)
    figures_of_calls = {"calls": calls, "errors": figures["errors"], "inputTokens": input_tokens, "outputTokens": output_tokens}
    if not calls:
        return {
            **figures_of_calls,
            "latency": stats(0, 0, 0, 0, 0, 1),
            "tokensPerSecond": stats(0, 0, 0, 0, 0, 2),
            "cost": {"sum": total, **stats(0, 0, 0, 0, 0, 8)},
        }
    mu_out, mu_in, mu_speed = mu
    (out_low, out_high), (in_low, in_high), (lat_low, lat_high), (speed_low, speed_high) = extremes(busiest, _REACHES)
    # Each scale c = e^mu times a quantile sum: the items' sum (spread s), their squares' (2 s).
    out, inp, lat, speed = math.exp(mu_out), math.exp(mu_in), math.exp(_LOG_MS + mu_out - mu_speed), math.exp(mu_speed)
    out_total, out_squares, in_total, in_squares = out * sums[0], out * out * sums[1], inp * sums[2], inp * inp * sums[3]
    # The sum of (p_i i + p_o o)^2 needs the sum of i x o: e^(mu_i + mu_o) times the sum for s_i + s_o.
    cost = stats(
        calls,
        _PRICE_IN * in_total + _PRICE_OUT * out_total,
        _PRICE_IN**2 * in_squares + 2 * _PRICE_IN * _PRICE_OUT * inp * out * sums[8] + _PRICE_OUT**2 * out_squares,
        _PRICE_IN * (inp * in_low) + _PRICE_OUT * (out * out_low),
        _PRICE_IN * (inp * in_high) + _PRICE_OUT * (out * out_high),
        8,
    )
    # The mean is the total over the calls, so cost.sum = cost.mean x calls holds exactly.
    cost["mean"] = mean = round(total / calls, 8)
    cost["min"], cost["max"] = min(cost["min"], mean), max(cost["max"], mean)
    return {
        **figures_of_calls,
        "latency": stats(calls, lat * sums[4], lat * lat * sums[5], lat * lat_low, lat * lat_high, 1),
        "tokensPerSecond": stats(calls, speed * sums[6], speed * speed * sums[7], speed * speed_low, speed * speed_high, 2),
        "cost": {"sum": total, **cost},
    }
