"""Botpress Cloud Admin API: the published ``getBotAnalytics`` document plus our overlay.

The model (docs/data-model.md): a bot (any id) has, per UTC day, sessions and what follows from
them: users, messages, events, and LLM calls with their tokens, latency, speed and cost
(``days.py``, all the days of a range at once). A record is one UTC day; a day cut by the range
or by now counts the events of the part it covers (``events.py``), so records of the parts of a
day add up to the whole day's, and its LLM statistics are those of exactly the calls it counts.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache
from typing import Any

from mockserver import errors
from mockserver.errors import Problem
from mockserver.profiles.base import Call, Profile, handles
from mockserver.profiles.botpress import records as records_model
from mockserver.profiles.botpress.bots import WORLD_SCHEMA, bot_in, listed_bots
from mockserver.profiles.botpress.days import FIGURES, days
from mockserver.profiles.botpress.events import day_events
from mockserver.profiles.botpress.records import some_calls, whole_days
from mockserver.synth.calendar import day_start
from mockserver.synth.series import check_size
from mockserver.synth.timeline import DAY_MS, Span, day_of, day_start_ms, from_ms, to_ms
from mockserver.timeutil import MIN_INSTANT, ONE_MS, day_span_ms, iso_ms
from mockserver.validation.request import BRACKETS, REPEAT
from mockserver.world import NOTHING, Declared

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
    errors.STORAGE_FULL: "QuotaExceeded",
}
_PARAMETER_TYPES = {"query": "InvalidQuery", "path": "InvalidIdentifier"}


class Botpress(Profile):
    name = "botpress"
    title = "Botpress Cloud (Admin API)"
    spec_file = "botpress.yaml"
    overlay_file = "botpress.overlay.yaml"
    world_schema = WORLD_SCHEMA
    # A Node.js (Express) API: its query parser reads a[]=1 and a[0]=1 as arrays, and repeats.
    array_spellings = frozenset({REPEAT, BRACKETS})
    # Botpress refuses a resource beyond the workspace's plan with 403 QuotaExceeded.
    storage_full_status = 403

    def entities(self, seed: int, world: Declared = NOTHING) -> dict[str, Any]:
        """The declared bots with their traits; any other id is a bot too, with traits of its own."""
        bots = []
        for entry in world.entities("bots"):
            traits = bot_in(seed, entry["id"], world)
            bots.append(
                {
                    **entry,
                    "created": traits.created_day.isoformat(),
                    "audience": "business" if traits.business else "consumer",
                    "utcOffset": traits.zone,
                }
            )
        return {"bots": bots, "note": "Any bot id is a bot: its traits follow from the seed and the id unless declared."}

    def world_resources(self, collection: str, seed: int, world: Declared = NOTHING) -> list[dict[str, Any]]:
        # The fuller Admin API document (--spec botpress=FILE) lists and reads bots: the world's.
        return listed_bots(seed, world) if collection == "/v1/admin/bots" else []

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
            new, returning, sessions = (record.get(name) for name in ("newUsers", "returningUsers", "sessions"))
            if isinstance(new, int) and isinstance(returning, int) and isinstance(sessions, int) and new + returning > sessions:
                broken.append(("/records/*/newUsers", "new and returning users outnumber sessions"))
            llm = record.get("llm") or {}
            if isinstance(llm.get("calls"), int) and isinstance(llm.get("errors"), int) and llm["errors"] > llm["calls"]:
                broken.append(("/records/*/llm/errors", "more errors than calls"))
            cost = llm.get("cost") or {}
            if all(isinstance(cost.get(k), (int, float)) for k in ("max", "sum")) and cost["max"] > cost["sum"]:
                broken.append(("/records/*/llm/cost", "one call cost more than all of them"))
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
                    if llm["calls"] == 1 and not low == mean == high:
                        broken.append((f"/records/*/llm/{name}", "one call, yet min, mean and max differ"))
        return list(dict.fromkeys(broken))

    def error_type(self, body: Any) -> str | None:
        return body["type"]

    def error_headers(self, problem: Problem) -> dict[str, str]:
        # Botpress's documented limit is 100 requests per second; a 429 says the window is spent.
        if problem.status == 429:
            return {"RateLimit-Limit": "100", "RateLimit-Remaining": "0", "RateLimit-Reset": "1"}
        return {}

    @handles("getBotAnalytics")
    def bot_analytics(self, call: Call) -> dict[str, Any]:
        the_bot = bot_in(call.seed, call.params["id"], call.world)
        start = max(call.instant("startDate"), day_start(the_bot.created_day))
        end = _end(call)
        if start > end:
            return {"records": []}
        if start > call.clock:  # nothing has happened yet, for any clock before the start
            call.clock_within(MIN_INSTANT, start)
            return {"records": []}
        end = call.clip(end)  # start <= end still: both checks above
        # One record a day: a clock set far ahead could otherwise ask for millions.
        check_size(start, end, "day", items="records", hint="Narrow the range (startDate to endDate).")
        span = Span(to_ms(start), to_ms(end))
        ordinals = span.days()
        batch = days(the_bot, ordinals[0], len(ordinals))
        llm = whole_days(batch)
        found = []
        last = len(ordinals) - 1
        for i, (ordinal, row, block) in enumerate(zip(ordinals, batch.rows(), llm)):
            # Only the first and the last day can be cut.
            low, high = (0, DAY_MS - 1) if 0 < i < last else span.within(ordinal)
            if low == 0 and high == DAY_MS - 1:  # a whole day: every new user was created in it
                found.append(records_model.record(*_day_bounds(ordinal), row, row[NEW_USERS], block))
                continue
            events = day_events(the_bot, ordinal)
            figures, created, strata, errors = events.count(low, high)
            calls = some_calls(int(events.days.levels[0]), int(events.days.column("calls")[0]), strata, errors)
            first = day_start_ms(ordinal)
            found.append(
                records_model.record(
                    iso_ms(from_ms(first + low)),
                    iso_ms(from_ms(first + high)),
                    [figures[name] for name in FIGURES],
                    created,
                    calls,
                )
            )
        return {"records": found}


# The new users column of a day's row (days.FIGURES).
NEW_USERS = FIGURES.index("newUsers")


@lru_cache(maxsize=4096)
def _day_bounds(ordinal: int) -> tuple[str, str]:
    """A whole day's first and last millisecond, as records write them: the same few hundred days
    are written again and again."""
    return day_span_ms(day_of(ordinal))


def _end(call: Call) -> datetime:
    """endDate, inclusive as the document says; an end at exactly a UTC midnight written as a
    date-time is the reference page's exclusive end, so it takes nothing of the day it starts."""
    end = call.instant("endDate", end_of_day=True)
    if len(str(call.params["endDate"])) > 10 and to_ms(end) % DAY_MS == 0 and end > MIN_INSTANT:
        return end - ONE_MS  # (the calendar's first instant has no instant before it: the range is empty anyway)
    return end
