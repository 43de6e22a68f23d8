"""General Bots (botserver) Analytics API: one instance with a few bots and their users.

Every figure is an aggregation of the same conversations. The model, module by module:

- ``micros``: time as integer microseconds, and the labels answers print;
- ``bots``: the instance's bots and each bot's day-by-day history, kept as prefix sums;
- ``intraday`` and ``sums``: a day split conversation by conversation, and a bot's figures over
  any span (whole days from the prefix sums, only the days cut by a bound are split);
- ``users``: any UUID is a user, whose conversations are some of their bot's;
- ``scope``: what one request counts (bots, user, range, clock) and the range's precedence;
- ``retention`` and ``realtime``: cohorts, and the figures at now;
- ``tokens``, ``reports`` and ``files``: bearer tokens and roles, report jobs and their files;
- ``stats``: ratios, outcome rates and duration statistics of an answer.

This module holds the profile: its error body and operation handlers. The rules a client sees
are written in the spec (specs/generalbots.yaml).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from mockserver import errors
from mockserver.errors import Problem
from mockserver.generation.rng import derive
from mockserver.jobs.model import Job
from mockserver.openapi.model import Operation
from mockserver.profiles.base import RETRY_AFTER, Call, Profile, Reply, handles
from mockserver.profiles.generalbots.bots import (
    ABANDONED,
    ACTIVE,
    BMSG,
    CONV,
    DURATION_BINS,
    ESCALATED,
    NEW,
    RESOLVED,
    UMSG,
    WORLD_SCHEMA,
    instance,
)
from mockserver.profiles.generalbots.micros import DAY_US, ONE_US, day_label, hour_label, micros, to_datetime
from mockserver.profiles.generalbots.realtime import live
from mockserver.profiles.generalbots.reports import MAX_REPORT_DAYS, report_body, report_range, report_table
from mockserver.profiles.generalbots.retention import MAX_COHORTS, cohorts
from mockserver.profiles.generalbots.scope import Scope
from mockserver.profiles.generalbots.stats import durations, outcome_rates, ratio
from mockserver.profiles.generalbots.tokens import REPORT_ROLES, VIEWER_ROLES, challenge, token_claims, token_roles, when
from mockserver.profiles.generalbots.users import user_of
from mockserver.synth.calendar import bucket_count, next_start
from mockserver.timeutil import iso_ms, parse_instant
from mockserver.validation.request import REPEAT
from mockserver.validation.schema import shorten
from mockserver.world import NOTHING, Declared

_CODES = {
    errors.INVALID_PARAMETER: "invalid_parameter",
    errors.INVALID_BODY: "bad_request",
    errors.MALFORMED_BODY: "bad_request",
    errors.UNAUTHORIZED: "invalid_token",
    errors.FORBIDDEN: "insufficient_permissions",
    errors.NOT_FOUND: "not_found",
    errors.METHOD_NOT_ALLOWED: "method_not_allowed",
    errors.PAYLOAD_TOO_LARGE: "payload_too_large",
    errors.UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    errors.RATE_LIMITED: "rate_limit_exceeded",
    errors.INTERNAL: "internal_error",
    errors.REQUEST_TIMEOUT: "request_timeout",
    errors.URI_TOO_LONG: "uri_too_long",
    errors.HEADERS_TOO_LARGE: "headers_too_large",
    errors.UNAVAILABLE: "service_unavailable",
}


class GeneralBots(Profile):
    name = "generalbots"
    title = "General Bots Analytics API"
    spec_file = "generalbots.yaml"
    world_schema = WORLD_SCHEMA
    # botserver is Rust (axum's Query, serde_urlencoded): a key with brackets names no field, and
    # no parameter of this API is a list.
    array_spellings = frozenset({REPEAT})

    def invariants(self, operation_id: str, body: Any) -> list[tuple[str, str]]:
        if not isinstance(body, dict):
            return []
        numbers = {k: v for k, v in body.items() if isinstance(v, int) and not isinstance(v, bool)}
        broken: list[tuple[str, str]] = []
        if operation_id == "getConversationResolution" and {
            "resolved",
            "escalated",
            "abandoned",
            "open",
            "total_conversations",
        } <= set(numbers):
            parts = numbers["resolved"] + numbers["escalated"] + numbers["abandoned"] + numbers["open"]
            if parts != numbers["total_conversations"]:
                broken.append(("/total_conversations", f"resolved + escalated + abandoned + open is {parts}"))
        if operation_id == "getSatisfaction" and isinstance(body.get("distribution"), dict) and "responses" in numbers:
            given = sum(v for v in body["distribution"].values() if isinstance(v, int))
            if given != numbers["responses"]:
                broken.append(("/distribution", f"adds up to {given}, not to responses ({numbers['responses']})"))
        if operation_id == "getConversationDuration":
            durations = [body.get(f"{k}_duration_seconds") for k in ("min", "median", "p90", "max")]
            order: list[float] = [v for v in durations if isinstance(v, (int, float))]
            if len(order) == 4 and order != sorted(order):
                broken.append(("/median_duration_seconds", "min <= median <= p90 <= max does not hold"))
        return broken

    def error_type(self, body: Any) -> str | None:
        return body["error"]

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        if problem.status == 429:
            return {"error": "rate_limit_exceeded", "message": problem.message, "retry_after_secs": RETRY_AFTER}
        code = _CODES.get(problem.kind, "bad_request")
        if problem.kind == errors.UNAUTHORIZED:  # botserver names a missing and an expired token apart
            code = {"missing": "missing_token", "expired": "expired_token"}.get(problem.reason or "", "invalid_token")
        return {"error": code, "message": problem.message}

    def entities(self, seed: int, world: Declared = NOTHING) -> dict[str, Any]:
        """The instance's bots, and a few of its users: any UUID names a user, and most come once,
        so these are regulars, with at least five visits in the first five months of 2025."""
        first, last = date(2025, 1, 1).toordinal(), date(2025, 5, 31).toordinal()
        bots = instance(seed, world)
        examples = []
        for i in range(400):
            user_id = str(
                uuid.UUID(int=derive(seed, "generalbots", "example-user", i) << 64 | derive(seed, "user-low", i), version=4)
            )
            user = user_of(seed, user_id, last, bots)
            if user.first is not None and sum(first <= day <= last for day, _ in user.visits) >= 5:
                examples.append({"id": user_id, "bot_id": user.bot.id, "first_seen": date.fromordinal(user.first[0]).isoformat()})
                if len(examples) == 5:
                    break
        return {"bots": [b.describe() for b in bots], "users": examples}

    def authorize(self, operation: Operation, headers: Mapping[str, str]) -> None:
        """Expiry from the bearer JWT's ``exp`` (real clock), roles from its ``roles`` claim; see the spec."""
        claims = token_claims(headers.get("authorization", ""))
        if claims is None:
            return  # an opaque token or an API key: every role
        if "exp" in claims:
            expires = claims["exp"]
            if isinstance(expires, bool) or not isinstance(expires, (int, float)) or math.isnan(expires):
                raise Problem(
                    errors.UNAUTHORIZED,
                    f"The token's 'exp' claim must be a number of seconds since 1970, got {shorten(json.dumps(expires))}.",
                    "header",
                    "Authorization",
                    headers=challenge("invalid_token", "The exp claim is not a NumericDate"),
                    reason="malformed",
                )
            if expires <= time.time():
                raise Problem(
                    errors.UNAUTHORIZED,
                    f"The token expired at {when(expires)}; get a new token.",
                    "header",
                    "Authorization",
                    headers=challenge("invalid_token", "The token expired"),
                    reason="expired",
                )
        roles = token_roles(claims)
        needed = REPORT_ROLES if "/reports" in operation.path else VIEWER_ROLES
        if not roles & needed:
            raise Problem(
                errors.FORBIDDEN,
                f"{operation.operation_id} needs the role {' or '.join(sorted(needed))}; "
                f"the token has {shorten(', '.join(sorted(roles))) if roles else 'no roles'}.",
                "header",
                "Authorization",
            )

    @handles("getUsage")
    def usage(self, call: Call) -> Any:
        scope = Scope.of(call)
        t = scope.totals()
        messages = t[UMSG] + t[BMSG]
        return {
            **scope.period(),
            "total_conversations": t[CONV],
            "total_messages": messages,
            "total_users": scope.total_users(),
            "active_users": scope.distinct(),
            "new_users": t[NEW],
            "avg_messages_per_conversation": ratio(messages, t[CONV]),
        }

    @handles("getDailyUsage")
    def daily(self, call: Call) -> Any:
        scope = Scope.of(call)
        scope.check("day", hint="Narrow the range (start_date and end_date, or days), or use usage/monthly.")
        moments, (conversations, users_msgs, bot_msgs, active, new) = scope.series("day", (CONV, UMSG, BMSG, ACTIVE, NEW))
        data = [
            {"date": day_label(m // DAY_US + 1), "conversations": c, "messages": u + b, "active_users": a, "new_users": n}
            for m, c, u, b, a, n in zip(moments, conversations, users_msgs, bot_msgs, active, new)
        ]
        return {**scope.period(), "data": data}

    @handles("getMonthlyUsage")
    def monthly(self, call: Call) -> Any:
        scope = Scope.of(call)
        scope.check("month", hint="Narrow the range (start_date and end_date).")
        moments, (conversations, users_msgs, bot_msgs, new) = scope.series("month", (CONV, UMSG, BMSG, NEW))
        ends = moments[1:] + [micros(next_start(to_datetime(moments[-1]), "month"))] if moments else []
        data = [
            {
                "month": day_label(m // DAY_US + 1)[:7],
                "conversations": c,
                "messages": u + b,
                "active_users": scope.distinct(m, e) if c else 0,
                "new_users": n,
            }
            for m, e, c, u, b, n in zip(moments, ends, conversations, users_msgs, bot_msgs, new)
        ]
        t = scope.totals()
        return {
            **scope.period(),
            "data": data,
            "totals": {
                "conversations": t[CONV],
                "messages": t[UMSG] + t[BMSG],
                "active_users": scope.distinct(),
                "new_users": t[NEW],
            },
        }

    @handles("getConversationMetrics")
    def conversations(self, call: Call) -> Any:
        scope = Scope.of(call)
        t = scope.totals()
        ended = t[RESOLVED] + t[ESCALATED] + t[ABANDONED]
        messages = t[UMSG] + t[BMSG]
        return {
            **scope.period(),
            "total_conversations": t[CONV],
            "open_conversations": t[CONV] - ended,
            "ended_conversations": ended,
            "unique_users": scope.distinct(),
            "total_messages": messages,
            "user_messages": t[UMSG],
            "bot_messages": t[BMSG],
            "avg_messages_per_conversation": ratio(messages, t[CONV]),
            "avg_duration_seconds": durations(scope.histograms())["avg"],
            **outcome_rates(t),
        }

    @handles("getConversationVolume")
    def volume(self, call: Call) -> Any:
        scope = Scope.of(call)
        group_by = call.params.get("group_by", "day")
        scope.check(group_by, hint="Narrow the range (start_date and end_date, days or period) or choose a wider group_by.")
        moments, (conversations, users_msgs, bot_msgs) = scope.series(group_by, (CONV, UMSG, BMSG))
        data = [
            {"timestamp": hour_label(m), "conversations": c, "messages": u + b}
            for m, c, u, b in zip(moments, conversations, users_msgs, bot_msgs)
        ]
        return {**scope.period(), "group_by": group_by, "data": data}

    @handles("getConversationDuration")
    def duration(self, call: Call) -> Any:
        scope = Scope.of(call)
        stats = durations(scope.histograms())
        return {
            **scope.period(),
            "conversations": stats["count"],
            "avg_duration_seconds": stats["avg"],
            "median_duration_seconds": stats["median"],
            "p90_duration_seconds": stats["p90"],
            "min_duration_seconds": stats["min"],
            "max_duration_seconds": stats["max"],
        }

    @handles("getConversationResolution")
    def resolution(self, call: Call) -> Any:
        scope = Scope.of(call)
        t = scope.totals()
        ended = t[RESOLVED] + t[ESCALATED] + t[ABANDONED]
        return {
            **scope.period(),
            "total_conversations": t[CONV],
            "resolved": t[RESOLVED],
            "escalated": t[ESCALATED],
            "abandoned": t[ABANDONED],
            "open": t[CONV] - ended,
            **outcome_rates(t),
        }

    @handles("getEngagement")
    def engagement(self, call: Call) -> Any:
        scope = Scope.of(call)
        t = scope.totals()
        active = scope.distinct()
        days = scope.days_with_data()
        daily_active = round(t[ACTIVE] / days, 2) if days and t[ACTIVE] else 0
        return {
            **scope.period(),
            "active_users": active,
            "new_users": t[NEW],
            "returning_users": active - t[NEW],
            "total_sessions": t[CONV],
            "sessions_per_user": ratio(t[CONV], active),
            "messages_per_session": ratio(t[UMSG] + t[BMSG], t[CONV]),
            "avg_session_duration_seconds": durations(scope.histograms())["avg"],
            "avg_daily_active_users": daily_active,
            "stickiness": ratio(daily_active, active, 4),
        }

    @handles("getRetention")
    def retention(self, call: Call) -> Any:
        # The interval holding the range's end may hold now, whose elapsed part counts: read the clock.
        scope = Scope.of(call, settled=False)
        group_by = call.params.get("group_by", "week")
        scope.check(
            group_by,
            MAX_COHORTS,
            items="cohorts",
            hint="Narrow the range (start_date and end_date, days or period) or choose a wider group_by.",
        )
        return {**scope.period(), "group_by": group_by, "cohorts": cohorts(scope, group_by)}

    @handles("getSatisfaction")
    def satisfaction(self, call: Call) -> Any:
        scope = Scope.of(call)
        t = scope.totals()
        scores = scope.histograms()[len(DURATION_BINS) :]
        responses = sum(scores)
        ended = t[RESOLVED] + t[ESCALATED] + t[ABANDONED]
        return {
            **scope.period(),
            "responses": responses,
            "average_score": ratio(sum((i + 1) * n for i, n in enumerate(scores)), responses),
            "distribution": {str(i + 1): n for i, n in enumerate(scores)},
            "csat": ratio(scores[3] + scores[4], responses, 4),
            "response_rate": ratio(responses, ended, 4),
        }

    @handles("getRealtimeMetrics")
    def realtime(self, call: Call) -> Any:
        now = live(call)
        messages = sum(b["messages"] for b in now)
        waited = sum(b["messages"] * b["response_ms"] for b in now)
        return {
            "timestamp": iso_ms(call.now),
            "active_sessions": sum(b["sessions"] for b in now),
            "active_users": sum(b["users"] for b in now),
            "messages_per_minute": round(messages / 5, 2),
            "conversations_per_minute": round(sum(b["started"] for b in now) / 5, 2),
            "avg_response_time_ms": round(waited / messages, 1) if messages else None,
        }

    @handles("getActiveSessions")
    def active_sessions(self, call: Call) -> Any:
        now = live(call)
        channels: dict[str, int] = {}
        for bot in now:
            for name, count in bot["channels"].items():
                channels[name] = channels.get(name, 0) + count
        by_channel = [
            {"channel": name, "active_sessions": n}
            for name, n in sorted(channels.items(), key=lambda item: (-item[1], item[0]))
            if n
        ]
        return {"timestamp": iso_ms(call.now), "active_sessions": sum(b["sessions"] for b in now), "by_channel": by_channel}

    @handles("createReport")
    def create_report(self, call: Call) -> Any:
        start, end = report_range(call.body)
        days = bucket_count(start, end - ONE_US, "day") if end > start else 0
        if days > MAX_REPORT_DAYS:
            raise Problem(
                errors.INVALID_BODY,
                f"The report would hold {days} daily rows ({start.date()} to "
                f"{(end - ONE_US).date()}); the limit is {MAX_REPORT_DAYS}. Narrow start_date and end_date, "
                "or create several reports.",
                "body",
                "end_date",
            )
        params = dict(call.body)
        if parse_instant(params["start_date"]) > parse_instant(params["end_date"]):
            params["start_date"], params["end_date"] = params["end_date"], params["start_date"]
        job = call.create_job("report", "", params)
        return Reply(report_body(call, job), 200)  # Location comes from the response's link to getReport

    @handles("getReport")
    def get_report(self, call: Call) -> Any:
        job = call.job(call.params["report_id"])
        if job is None:
            raise Problem(errors.NOT_FOUND, f"Report {call.params['report_id']} not found.", "path", "report_id")
        body = report_body(call, job)
        headers = {} if body["status"] in ("completed", "failed") else {"Retry-After": job.retry_after(call.wall)}
        return Reply(body, 200, headers)

    @handles("listReports")
    def list_reports(self, call: Call) -> Any:
        page, per_page = call.params.get("page", 1), call.params.get("per_page", 20)
        jobs, total = call.jobs("report", (page - 1) * per_page, per_page)
        return {"reports": [report_body(call, job) for job in jobs], "page": page, "per_page": per_page, "total": total}

    def download(self, job: Job, seed: int, now: datetime) -> tuple[bytes, str, str]:
        """The report in its format: a daily table of the range, the same figures as usage/daily."""
        from mockserver.profiles.generalbots import files

        return files.render(job, report_table(job, seed, now))
