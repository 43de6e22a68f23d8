"""General Bots (botserver) Analytics API: one instance with a few bots, all figures from the
same daily model. Decisions (range precedence, truncation, definitions) are in the spec."""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from mockserver import errors
from mockserver.errors import Problem
from mockserver.generation.rng import derive, keyed_random
from mockserver.jobs.model import Job
from mockserver.openapi.model import Operation
from mockserver.profiles.base import RETRY_AFTER, Call, Profile, Reply, handles
from mockserver.synth.activity import Entity
from mockserver.synth.apportion import apportion
from mockserver.synth.calendar import bucket_start, day_start, next_start
from mockserver.synth.series import accumulate
from mockserver.timeutil import MAX_INSTANT, UTC, iso_ms, parse_instant, shift
from mockserver.validation.schema import shorten

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
}
MAX_POINTS = 5000
MAX_COHORTS = 100
# Figures per bot and day, in this order; each is split over hours like the conversations.
FIGURES = ("conversations", "user_messages", "bot_messages", "active_users", "new_users",
           "resolved", "escalated", "abandoned", "responses")
# Conversation length bins (seconds) for durations: avg, median, p90, min, max come from them.
DURATION_BINS = tuple(round(15 * 1.35**i) for i in range(20))
ENDED = ("resolved", "escalated", "abandoned")
CHANNELS = (("web", 0.5), ("whatsapp", 0.25), ("teams", 0.15), ("telegram", 0.1))


@dataclass(frozen=True)
class Bot:
    id: str
    activity: Entity


@lru_cache(maxsize=64)
def bots_for(seed: int) -> tuple[Bot, ...]:
    count = keyed_random(seed, "generalbots", "instance").randint(2, 4)
    result = []
    for i in range(count):
        bot_id = str(uuid.UUID(int=derive(seed, "generalbots", "bot", i) << 64 | derive(seed, "bot-low", i), version=4))
        result.append(Bot(bot_id, Entity.of(seed, "generalbots", bot_id)))
    return tuple(result)


@lru_cache(maxsize=16384)
def bot_day(bot: Bot, day: date, today: date) -> dict[str, Any]:
    """One bot's figures for one UTC day; conversations of ``today`` may still be open."""
    conversations = bot.activity.conversations(day)
    rng = keyed_random(*bot.activity.key, "day", day.toordinal())
    user_messages = round(conversations * rng.uniform(2.5, 5.5))
    active = round(conversations * rng.uniform(0.75, 0.9))
    open_share = 0.08 if day == today else 0.0
    resolved, escalated, abandoned, _open = apportion(
        conversations, [rng.uniform(0.6, 0.75), rng.uniform(0.08, 0.15), rng.uniform(0.1, 0.18), open_share])
    ended = resolved + escalated + abandoned
    responses = round(ended * rng.uniform(0.1, 0.25))
    figures = {
        "conversations": conversations,
        "user_messages": user_messages,
        "bot_messages": round(user_messages * rng.uniform(1.1, 1.5)),
        "active_users": active,
        "new_users": round(active * rng.uniform(0.2, 0.4)),
        "resolved": resolved,
        "escalated": escalated,
        "abandoned": abandoned,
        "responses": responses,
    }
    figures["scores"] = apportion(responses, [0.05, 0.07, 0.15, 0.33, rng.uniform(0.3, 0.5)])
    median_bin = rng.uniform(6, 10)
    figures["durations"] = apportion(ended, [math.exp(-((i - median_bin) ** 2) / 12) for i in range(len(DURATION_BINS))])
    return figures


@lru_cache(maxsize=4096)
def bot_hours(bot: Bot, day: date, today: date) -> dict[str, list[int]]:
    """Each figure of one bot's day split over hours like its conversations (adds up exactly)."""
    return bot.activity.hourly(day, bot_day(bot, day, today), FIGURES)


class TokenExpired(Problem):
    """401 ``expired_token``: the bearer JWT's ``exp`` is in the past."""


class TokenRejected(Problem):
    """401 ``invalid_token`` raised by the profile itself (a JWT with an unusable ``exp``)."""


class GeneralBots(Profile):
    name = "generalbots"
    title = "General Bots Analytics API"
    spec_file = "generalbots.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        if problem.status == 429:
            return {"error": "rate_limit_exceeded", "message": problem.message, "retry_after_secs": RETRY_AFTER}
        if isinstance(problem, TokenExpired):
            return {"error": "expired_token", "message": problem.message}
        code = _CODES.get(problem.kind, "bad_request")
        # The engine's credential check says only "unauthorized"; a missing header is the one
        # case botserver names apart, and the engine's message for it starts with "Missing".
        if problem.kind == errors.UNAUTHORIZED and not isinstance(problem, TokenRejected) and problem.message.startswith("Missing"):
            code = "missing_token"
        return {"error": code, "message": problem.message}


    @handles("getUsage")
    def usage(self, call: Call) -> Any:
        view = View(call)
        totals = view.totals()
        all_time = View(call, since_creation=True).totals()
        messages = totals["user_messages"] + totals["bot_messages"]
        return {
            **view.period(),
            "total_conversations": totals["conversations"],
            "total_messages": messages,
            "total_users": all_time["new_users"],
            "active_users": view.distinct_users(totals),
            "new_users": totals["new_users"],
            "avg_messages_per_conversation": _ratio(messages, totals["conversations"]),
        }

    @handles("getDailyUsage")
    def daily(self, call: Call) -> Any:
        view = View(call)
        points, truncated = view.series("day")
        data = [{"date": b.date().isoformat(), "conversations": f["conversations"],
                 "messages": f["user_messages"] + f["bot_messages"], "active_users": f["active_users"],
                 "new_users": f["new_users"]} for b, f in points]
        return {**view.period(points), "data": data, "truncated": truncated}

    @handles("getMonthlyUsage")
    def monthly(self, call: Call) -> Any:
        view = View(call)
        points, truncated = view.series("month")
        data = [{"month": f"{b.year:04d}-{b.month:02d}", "conversations": f["conversations"],
                 "messages": f["user_messages"] + f["bot_messages"],
                 "active_users": view.distinct_users(f, days=_days_in(b, "month")), "new_users": f["new_users"]}
                for b, f in points]
        totals = view.totals()
        return {
            **view.period(points),
            "data": data,
            "totals": {"conversations": totals["conversations"], "messages": totals["user_messages"] + totals["bot_messages"],
                       "active_users": view.distinct_users(totals), "new_users": totals["new_users"]},
            "truncated": truncated,
        }

    @handles("getConversationMetrics")
    def conversations(self, call: Call) -> Any:
        view = View(call)
        t = view.totals()
        ended = t["resolved"] + t["escalated"] + t["abandoned"]
        messages = t["user_messages"] + t["bot_messages"]
        return {
            **view.period(),
            "total_conversations": t["conversations"],
            "open_conversations": t["conversations"] - ended,
            "ended_conversations": ended,
            "unique_users": view.distinct_users(t),
            "total_messages": messages,
            "user_messages": t["user_messages"],
            "bot_messages": t["bot_messages"],
            "avg_messages_per_conversation": _ratio(messages, t["conversations"]),
            "avg_duration_seconds": _durations(view.histogram("durations", ENDED))["avg"],
            **_outcome_rates(t),
        }

    @handles("getConversationVolume")
    def volume(self, call: Call) -> Any:
        view = View(call)
        group_by = call.params.get("group_by", "day")
        points, truncated = view.series(group_by)
        data = [{"timestamp": iso_ms(b), "conversations": f["conversations"],
                 "messages": f["user_messages"] + f["bot_messages"]} for b, f in points]
        return {**view.period(points), "group_by": group_by, "data": data, "truncated": truncated}

    @handles("getConversationDuration")
    def duration(self, call: Call) -> Any:
        view = View(call)
        stats = _durations(view.histogram("durations", ENDED))
        return {
            **view.period(),
            "conversations": stats["count"],
            "avg_duration_seconds": stats["avg"],
            "median_duration_seconds": stats["median"],
            "p90_duration_seconds": stats["p90"],
            "min_duration_seconds": stats["min"],
            "max_duration_seconds": stats["max"],
        }

    @handles("getConversationResolution")
    def resolution(self, call: Call) -> Any:
        view = View(call)
        t = view.totals()
        ended = t["resolved"] + t["escalated"] + t["abandoned"]
        return {
            **view.period(),
            "total_conversations": t["conversations"],
            "resolved": t["resolved"],
            "escalated": t["escalated"],
            "abandoned": t["abandoned"],
            "open": t["conversations"] - ended,
            **_outcome_rates(t),
        }

    @handles("getEngagement")
    def engagement(self, call: Call) -> Any:
        view = View(call)
        t = view.totals()
        active = view.distinct_users(t)
        days = max((view.end - view.start).total_seconds() / 86400, 1 / 24)
        daily_active = round(t["active_users"] / days, 2) if t["active_users"] else 0
        return {
            **view.period(),
            "active_users": active,
            "new_users": min(t["new_users"], active),
            "returning_users": max(active - t["new_users"], 0),
            "total_sessions": t["conversations"],
            "sessions_per_user": _ratio(t["conversations"], active),
            "messages_per_session": _ratio(t["user_messages"] + t["bot_messages"], t["conversations"]),
            "avg_session_duration_seconds": _durations(view.histogram("durations", ENDED))["avg"],
            "avg_daily_active_users": daily_active,
            "stickiness": _ratio(min(daily_active, active), active, 4),
        }

    @handles("getRetention")
    def retention(self, call: Call) -> Any:
        view = View(call)
        group_by = call.params.get("group_by", "week")
        starts = _last_buckets(view.start, view.end, group_by, MAX_COHORTS + 1)
        truncated = len(starts) > MAX_COHORTS
        starts = starts[-MAX_COHORTS:]
        cohorts = []
        for index, begins in enumerate(starts):
            users = View(call, window=(max(begins, view.start), min(next_start(begins, group_by), view.end))).totals()["new_users"]
            rng = keyed_random(call.seed, "generalbots", "retention", group_by, begins.isoformat())
            decay = rng.uniform(0.25, 0.45)
            curve = [1.0] + [round(min(1.0, rng.uniform(0.9, 1.1) * 0.6 * (k ** -decay)), 4) for k in range(1, len(starts) - index)]
            cohorts.append({"cohort_start": iso_ms(begins), "users": users,
                            "retention": [round(c, 4) if users else None for c in curve]})
        period = view.period()
        if truncated:
            period["period_start"] = iso_ms(starts[0])
        return {**period, "group_by": group_by, "cohorts": cohorts, "truncated": truncated}

    @handles("getSatisfaction")
    def satisfaction(self, call: Call) -> Any:
        view = View(call)
        t = view.totals()
        scores = view.histogram("scores", ("responses",)) or [0] * 5
        responses = sum(scores)
        ended = t["resolved"] + t["escalated"] + t["abandoned"]
        return {
            **view.period(),
            "responses": responses,
            "average_score": _ratio(sum((i + 1) * n for i, n in enumerate(scores)), responses),
            "distribution": {str(i + 1): n for i, n in enumerate(scores)},
            "csat": _ratio(scores[3] + scores[4], responses, 4),
            "response_rate": _ratio(responses, ended, 4),
        }

    @handles("getRealtimeMetrics")
    def realtime(self, call: Call) -> Any:
        per_minute, sessions, rng = _current_rates(call)
        return {
            "timestamp": iso_ms(call.now),
            "active_sessions": sessions,
            "active_users": round(sessions * 0.95),
            "messages_per_minute": round(per_minute * rng.uniform(6, 10), 2),
            "conversations_per_minute": round(per_minute, 2),
            "avg_response_time_ms": round(rng.uniform(400, 1800), 1) if sessions else None,
        }

    @handles("getActiveSessions")
    def active_sessions(self, call: Call) -> Any:
        _, sessions, rng = _current_rates(call)
        shares = apportion(sessions, [w * rng.uniform(0.8, 1.2) for _, w in CHANNELS])
        by_channel = sorted(({"channel": name, "active_sessions": n} for (name, _), n in zip(CHANNELS, shares) if n),
                            key=lambda c: -c["active_sessions"])
        return {"timestamp": iso_ms(call.now), "active_sessions": sessions, "by_channel": by_channel}

    def authorize(self, operation: Operation, headers: Mapping[str, str]) -> None:
        """Expiry from the bearer JWT's ``exp`` (real clock), roles from its ``roles`` claim; see the spec."""
        claims = token_claims(headers.get("authorization", ""))
        if claims is None:
            return  # an opaque token or an API key: every role
        if "exp" in claims:
            expires = claims["exp"]
            if isinstance(expires, bool) or not isinstance(expires, (int, float)) or math.isnan(expires):
                raise TokenRejected(errors.UNAUTHORIZED, f"The token's 'exp' claim must be a number of seconds since "
                                    f"1970, got {shorten(json.dumps(expires))}.", "header", "Authorization",
                                    headers=_challenge("invalid_token", "The exp claim is not a NumericDate"))
            if expires <= time.time():
                raise TokenExpired(errors.UNAUTHORIZED, f"The token expired at {_when(expires)}; get a new token.",
                                   "header", "Authorization", headers=_challenge("invalid_token", "The token expired"))
        roles = _roles(claims)
        needed = REPORT_ROLES if "/reports" in operation.path else VIEWER_ROLES
        if not roles & needed:
            raise Problem(errors.FORBIDDEN, f"{operation.operation_id} needs the role {' or '.join(sorted(needed))}; "
                          f"the token has {shorten(', '.join(sorted(roles))) if roles else 'no roles'}.", "header", "Authorization")

    @handles("createReport")
    def create_report(self, call: Call) -> Any:
        params = dict(call.body)
        if parse_instant(params["start_date"]) > parse_instant(params["end_date"]):
            params["start_date"], params["end_date"] = params["end_date"], params["start_date"]
        job = call.create_job("report", "", params)
        return Reply(_report(call, job), 200)  # Location comes from the response's link to getReport

    @handles("getReport")
    def get_report(self, call: Call) -> Any:
        job = call.job(call.params["report_id"])
        if job is None:
            raise Problem(errors.NOT_FOUND, f"Report {call.params['report_id']} not found.", "path", "report_id")
        body = _report(call, job)
        headers = {} if body["status"] in ("completed", "failed") else {"Retry-After": job.retry_after(call.wall)}
        return Reply(body, 200, headers)

    @handles("listReports")
    def list_reports(self, call: Call) -> Any:
        page, per_page = call.params.get("page", 1), call.params.get("per_page", 20)
        jobs, total = call.jobs("report", (page - 1) * per_page, per_page)
        return {"reports": [_report(call, job) for job in jobs], "page": page, "per_page": per_page, "total": total}

    def download(self, job: Job, seed: int, now: datetime) -> tuple[bytes, str, str]:
        """The report in its format: a daily table of the range, the same figures as usage/daily."""
        from mockserver.profiles import generalbots_files

        return generalbots_files.render(job, report_table(job, seed, now))


REPORT_ROLES = frozenset({"analytics_admin", "admin"})
VIEWER_ROLES = frozenset({"analytics_viewer", "admin"})
REPORT_COLUMNS = {
    "usage": ("conversations", "messages", "active_users", "new_users"),
    "conversations": ("conversations", "resolved", "escalated", "abandoned", "user_messages", "bot_messages"),
    "engagement": ("active_users", "new_users", "sessions", "responses"),
}


def token_claims(authorization: str) -> dict[str, Any] | None:
    """The claims of a bearer JWT (signature not checked); None for an opaque token or none."""
    scheme, _, token = authorization.partition(" ")
    parts = token.strip().split(".")
    if scheme.lower() != "bearer" or len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def _roles(claims: dict[str, Any]) -> frozenset[str]:
    roles = claims.get("roles", claims.get("role", []))
    if isinstance(roles, str):
        return frozenset([roles])
    return frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else frozenset()


def _challenge(error: str, description: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer realm="mockserver", error="{error}", error_description="{description}"'}


def _when(seconds: float) -> str:
    try:
        return iso_ms(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return f"{shorten(str(seconds))} seconds after 1970"


def _report(call: Call, job: Job) -> dict[str, Any]:
    status, _ = job.state(call.wall)
    status = "pending" if status == "queued" else status
    done = status in ("completed", "failed")
    return {
        "id": job.id, "type": job.params["type"], "format": job.params["format"],
        "start_date": job.params["start_date"], "end_date": job.params["end_date"], "status": status,
        "created_at": iso_ms(call.job_time(job.created)),
        "completed_at": iso_ms(call.job_time(job.finished_at())) if done else None,
        "download_url": call.download_url(job)[0] if status == "completed" else None,
        "error": "Report generation failed: the analytics store did not answer in time. Create the report again."
        if status == "failed" else None,
    }


def report_table(job: Job, seed: int, now: datetime) -> tuple[list[str], list[list[Any]]]:
    """Header and rows (one per UTC day of the report's range) for a report's type."""
    raw_start, raw_end = job.params["start_date"], job.params["end_date"]
    if parse_instant(raw_start) > parse_instant(raw_end):
        raw_start, raw_end = raw_end, raw_start
    start = parse_instant(raw_start)
    end = parse_instant(raw_end, end_of_day=True) + timedelta(milliseconds=1) if len(raw_end) == 10 else parse_instant(raw_end)
    points, _ = View.of_range(seed, now, start, end).series("day")
    columns = REPORT_COLUMNS[job.params["type"]]
    rows = []
    for bucket, figures in points:
        values = {**figures, "messages": figures["user_messages"] + figures["bot_messages"], "sessions": figures["conversations"]}
        rows.append([bucket.date().isoformat(), *(values[c] for c in columns)])
    return ["date", *columns], rows


class View:
    """The bots, range and filters of one request, with sums over them."""

    def __init__(self, call: Call, since_creation: bool = False, window: tuple[datetime, datetime] | None = None) -> None:
        self._setup(call.seed, call.now, window or _resolve_range(call), call.params.get("bot_id"), call.params.get("user_id"))
        if since_creation:
            self.start = min((day_start(b.activity.created) for b in bots_for(call.seed)), default=self.start)

    @classmethod
    def of_range(cls, seed: int, now: datetime, start: datetime, end: datetime) -> View:
        """A view of every bot over [start, end), without a request (for report files)."""
        view = cls.__new__(cls)
        view._setup(seed, now, (start, end), None, None)
        return view

    def _setup(self, seed: int, now: datetime, window: tuple[datetime, datetime], bot_id: str | None, user_id: str | None) -> None:
        self.seed, self.now = seed, now
        self.bots = [b for b in bots_for(seed) if bot_id is None or b.id == bot_id]
        self.user = user_id
        self.start, self.end = window
        self.today = now.date()
        self._days: dict[date, dict[str, int]] = {}  # day figures, memoised for this request

    def period(self, points: list[tuple[datetime, dict[str, int]]] | None = None) -> dict[str, str]:
        start = max(self.start, points[0][0]) if points and self._truncated_at(points) else self.start
        return {"period_start": iso_ms(start), "period_end": iso_ms(self.end)}

    def _truncated_at(self, points: list[tuple[datetime, dict[str, int]]]) -> bool:
        return points[0][0] > self.start

    def _figures(self) -> tuple[Any, Any]:
        def day_values(day: date) -> dict[str, int]:
            cached = self._days.get(day)
            if cached is not None:
                return cached
            totals = dict.fromkeys(FIGURES, 0)
            if day <= self.today:
                for bot in self.bots:
                    figures = bot_day(bot, day, self.today)
                    for name in FIGURES:
                        totals[name] += figures[name]
                totals = _for_user(self, day, totals)
            self._days[day] = totals
            return totals

        def hour_values(day: date) -> dict[str, list[int]]:
            rows = {name: [0] * 24 for name in FIGURES}
            if day > self.today:
                return rows
            for bot in self.bots:
                for name, hours in bot_hours(bot, day, self.today).items():
                    row = rows[name]
                    for hour, value in enumerate(hours):
                        row[hour] += value
            if self.user:
                # One user's figures follow the instance's hours.
                curve = rows["conversations"]
                rows = {name: apportion(value, curve) for name, value in day_values(day).items()}
            return rows

        return day_values, hour_values

    def _last(self) -> datetime:
        """The last instant counted: the range end is exclusive, and the future counts zero."""
        return min(self.end - timedelta(milliseconds=1), self.now)

    def totals(self) -> dict[str, int]:
        sums = accumulate(self._history_start(), self._last(), "year", *self._figures())
        totals = dict.fromkeys(FIGURES, 0)
        for values in sums.values():
            for name, value in values.items():
                totals[name] += value
        return totals

    def series(self, dimension: str) -> tuple[list[tuple[datetime, dict[str, int]]], bool]:
        """Zero-filled buckets of the range, the most recent ``MAX_POINTS`` of them."""
        starts = _last_buckets(self.start, self.end, dimension, MAX_POINTS + 1)
        if not starts:
            return [], False
        truncated = len(starts) > MAX_POINTS
        starts = starts[-MAX_POINTS:]
        begin = max(self.start, starts[0], self._history_start())
        sums = accumulate(begin, self._last(), dimension, *self._figures())
        zero = dict.fromkeys(FIGURES, 0)
        return [(b, sums.get(b, zero)) for b in starts], truncated

    def histogram(self, name: str, counted: tuple[str, ...]) -> list[int]:
        """A per-day histogram (durations, scores) summed over the range.

        Each day's histogram is rescaled to the count of ``counted`` figures inside the range, so
        the histogram always adds up to the same total the other endpoints report.
        """
        day_values, hour_values = self._figures()
        first, last = self._history_start(), self._last()
        totals: list[int] = []
        day = first.date()
        while day <= min(last.date(), self.today):
            begins = day_start(day)
            if first <= begins and begins + timedelta(days=1, milliseconds=-1) <= last:
                values = day_values(day)
                target = sum(values[f] for f in counted)
            else:
                hours = hour_values(day)
                target = sum(hours[f][h] for f in counted for h in range(24)
                             if begins + timedelta(hours=h + 1, milliseconds=-1) >= first and begins + timedelta(hours=h) <= last)
            shape = [sum(col) for col in zip(*(bot_day(b, day, self.today)[name] for b in self.bots))]
            totals = [a + b for a, b in zip(totals or [0] * len(shape), apportion(target, shape))]
            day += timedelta(days=1)
        return totals

    def distinct_users(self, totals: dict[str, int], days: float | None = None) -> int:
        """Distinct active users over a span: daily actives overlap more as the span grows."""
        span = days if days is not None else max((self.end - self.start).total_seconds() / 86400, 1.0)
        distinct = round(totals["active_users"] / (1 + 0.25 * math.log(max(span, 1.0))))
        return max(distinct, totals["new_users"]) if totals["active_users"] else 0

    def _history_start(self) -> datetime:
        """Where counting starts: no earlier than the oldest activity of the bots in view.

        With no bot in view (an unknown ``bot_id``) nothing happened at all, so counting starts at
        the end: a range reaching back to year 1 must not be walked day by day to sum zeros.
        """
        oldest = min((b.activity.window(self.now)[0] for b in self.bots), default=self.end)
        return max(self.start, oldest)


def _resolve_range(call: Call) -> tuple[datetime, datetime]:
    """(start inclusive, end exclusive) by the spec's precedence: dates, then days, then period."""
    now, supplied = call.now, call.supplied
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if "start_date" in supplied or "end_date" in supplied:
        raw_start, raw_end = call.params.get("start_date"), call.params.get("end_date")
        if raw_start and raw_end and parse_instant(raw_start) > parse_instant(raw_end):
            raw_start, raw_end = raw_end, raw_start  # the spec swaps reversed bounds
        if raw_end is None:
            end = now
        elif len(raw_end) == 10:
            last_ms = parse_instant(raw_end, end_of_day=True)
            end = last_ms + timedelta(milliseconds=1) if last_ms < MAX_INSTANT else MAX_INSTANT
        else:
            end = parse_instant(raw_end)
        start = parse_instant(raw_start) if raw_start else shift(end, -timedelta(days=30))
        return (start, end) if start <= end else (end, start)
    if "days" in supplied:
        return today - timedelta(days=call.params["days"] - 1), now
    period = call.params.get("period") if "period" in supplied else None
    if period == "today":
        return today, now
    if period == "week":
        return today - timedelta(days=today.weekday()), now
    if period == "month":
        return today.replace(day=1), now
    if period == "year":
        return today.replace(month=1, day=1), now
    return today - timedelta(days=29), now


@lru_cache(maxsize=65536)
def user_conversations(seed: int, user: str, ordinal: int) -> int:
    """How many conversations a user had on a day: none on most days, 1-3 on about one in eight."""
    rng = keyed_random(seed, "generalbots", "user", user, ordinal)
    return 0 if rng.random() > 0.12 else rng.randint(1, 3)


def _for_user(view: View, day: date, totals: dict[str, int]) -> dict[str, int]:
    """With ``user_id``: one user's share of the day (a few conversations on some days)."""
    if not view.user:
        return totals
    conversations = user_conversations(view.seed, view.user, day.toordinal())
    if not totals["conversations"] or not conversations:
        return dict.fromkeys(FIGURES, 0)
    share = conversations / totals["conversations"]
    result = {name: min(round(value * share), value) for name, value in totals.items()}
    result.update(conversations=conversations, active_users=1, new_users=0)
    ended = result["resolved"] + result["escalated"] + result["abandoned"]
    if ended > conversations:
        result["resolved"] = max(conversations - result["escalated"] - result["abandoned"], 0)
        result["escalated"] = min(result["escalated"], conversations - result["resolved"])
        result["abandoned"] = conversations - result["resolved"] - result["escalated"]
    return result


def _current_rates(call: Call) -> tuple[float, int, Any]:
    """Conversations per minute in the current hour, and the sessions open right now."""
    view = View(call)
    hour = call.now.hour
    _, hour_values = view._figures()
    per_minute = hour_values(call.now.date())["conversations"][hour] / 60 if view.bots else 0.0
    rng = keyed_random(call.seed, "generalbots", "realtime", call.params.get("bot_id"), call.now.replace(second=0, microsecond=0).isoformat())
    sessions = round(per_minute * rng.uniform(6, 9))
    return per_minute, sessions, rng


def _durations(histogram: list[int]) -> dict[str, Any]:
    count = sum(histogram)
    if not count:
        return {"count": 0, "avg": None, "median": None, "p90": None, "min": None, "max": None}

    def rank(fraction: float) -> float:
        needed, seen = math.ceil(fraction * count), 0
        for value, n in zip(DURATION_BINS, histogram):
            seen += n
            if seen >= needed:
                return float(value)
        return float(DURATION_BINS[-1])

    filled = [v for v, n in zip(DURATION_BINS, histogram) if n]
    return {
        "count": count,
        "avg": round(sum(v * n for v, n in zip(DURATION_BINS, histogram)) / count, 1),
        "median": rank(0.5),
        "p90": rank(0.9),
        "min": float(filled[0]),
        "max": float(filled[-1]),
    }


def _days_in(begins: datetime, dimension: str) -> float:
    return (next_start(begins, dimension) - begins).total_seconds() / 86400


def _last_buckets(start: datetime, end: datetime, dimension: str, most: int) -> list[datetime]:
    """Starts of the last ``most`` buckets of [start, end), oldest first, without listing the rest."""
    if end <= start:
        return []
    found: list[datetime] = []
    current = bucket_start(end - timedelta(milliseconds=1), dimension)
    first = bucket_start(start, dimension)
    while current >= first and len(found) < most:
        found.append(current)
        if current.year == 1 and current.month == 1 and current.day == 1 and current.hour == 0:
            break
        current = bucket_start(current - timedelta(milliseconds=1), dimension)
    return found[::-1]


def _outcome_rates(totals: dict[str, int]) -> dict[str, float | None]:
    """Shares of ended conversations that were resolved, escalated, abandoned."""
    ended = sum(totals[name] for name in ENDED)
    return {f"{rate}_rate": _ratio(totals[name], ended, 4)
            for rate, name in (("resolution", "resolved"), ("escalation", "escalated"), ("abandonment", "abandoned"))}


def _ratio(numerator: float, denominator: float, digits: int = 2) -> float | None:
    return round(numerator / denominator, digits) if denominator else None

