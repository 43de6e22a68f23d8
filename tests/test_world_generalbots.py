"""General Bots' world, checked through HTTP over random seeds, ranges, filters and users.

Every request goes to the in-process app; the seed comes with ``Prefer: seed=<n>``, as a test author
would send it. These are the guarantees the spec (specs/generalbots.yaml) and docs/data-model.md
promise: series add up to totals, bots add up to the instance, a user's bots add up to the user,
distinct users stay within their bounds, retention cohorts are the new users of their intervals,
"now" is one instant for every range, tokens expire, too-large answers are refused, report files
hold the endpoints' figures, and the same request gives the same bytes.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from functools import cache
from typing import Any

import pypdf
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.profiles.generalbots import GeneralBots
from mockserver.profiles.generalbots.bots import DURATION_BINS, bots_for
from mockserver.profiles.generalbots.intraday import hour_bounds
from mockserver.profiles.generalbots.retention import returning_share
from mockserver.profiles.generalbots.users import conversation, user_of
from tests.cases import TOKEN
from tests.conftest import HOST, NOW

BASE = "/generalbots/api/v1/analytics"
SEEDS = st.integers(min_value=0, max_value=2**40)
# From before any bot existed (bots are created in 2022-2023) to after the tests' clock (2025-06-01).
FIRST_DAYS = st.dates(min_value=date(2021, 6, 1), max_value=date(2025, 7, 15))
CHECK = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RARE = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNKNOWN_BOT = "4b609fdb-e5f3-4fe8-bea1-edf7f41ea422"


@cache
def app(now: datetime = NOW, tokens: frozenset[str] = frozenset()) -> Any:
    return create_app(Settings(seed=0, now=now, tokens=tokens))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(app(), base_url=HOST) as test_client:
        yield test_client


def jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"Bearer {part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.signature"


def get(client: TestClient, path: str, seed: int, status: int = 200, **params: Any) -> Any:
    params = {k: v for k, v in params.items() if v is not None}
    response = client.get(BASE + path, params=params, headers={"Authorization": f"Bearer {TOKEN}", "Prefer": f"seed={seed}"})
    assert response.status_code == status, response.text
    return response.json()


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@st.composite
def ranges(draw: Any, most_days: int = 400) -> dict[str, str]:
    """A range as a client sends it: dates (end inclusive), or date-times at any hour and minute."""
    first = draw(FIRST_DAYS)
    days = draw(st.integers(0, most_days))
    if draw(st.booleans()):
        return {"start_date": first.isoformat(), "end_date": (first + timedelta(days=days)).isoformat()}
    start = datetime(first.year, first.month, first.day, draw(st.integers(0, 23)), draw(st.integers(0, 59)), tzinfo=timezone.utc)
    return {"start_date": iso(start), "end_date": iso(start + timedelta(days=days, minutes=draw(st.integers(1, 1439))))}


def bot_ids(seed: int) -> list[str]:
    return [bot["id"] for bot in GeneralBots().entities(seed)["bots"]]


def pick_bot(seed: int, choice: int | None) -> str | None:
    """None (the instance), one of its bots, or a UUID that is none of them."""
    if choice is None:
        return None
    ids = bot_ids(seed)
    return ids[choice] if choice < len(ids) else UNKNOWN_BOT


BOT_CHOICE = st.one_of(st.none(), st.integers(0, 4))
USERS = st.one_of(st.none(), st.uuids(version=4).map(str))


# --- series add up to totals ----------------------------------------------------------------


@CHECK
@given(seed=SEEDS, window=ranges(), group_by=st.sampled_from(["hour", "day", "week", "month"]), bot=BOT_CHOICE, user=USERS)
def test_series_add_up_to_the_totals_and_outcomes_add_up(
    client: TestClient, seed: int, window: dict[str, str], group_by: str, bot: int | None, user: str | None
) -> None:
    span = datetime.fromisoformat(window["end_date"].replace("Z", "+00:00")) - datetime.fromisoformat(
        window["start_date"].replace("Z", "+00:00")
    )
    assume(group_by != "hour" or span <= timedelta(days=2000))
    query = {**window, "bot_id": pick_bot(seed, bot), "user_id": user}
    usage = get(client, "/usage", seed, **query)
    daily = get(client, "/usage/daily", seed, **query)
    monthly = get(client, "/usage/monthly", seed, **query)
    volume = get(client, "/conversations/volume", seed, group_by=group_by, **query)
    for series in (daily["data"], monthly["data"], volume["data"]):
        assert sum(p["conversations"] for p in series) == usage["total_conversations"]
        assert sum(p["messages"] for p in series) == usage["total_messages"]
    assert sum(p["new_users"] for p in daily["data"]) == usage["new_users"] == monthly["totals"]["new_users"]
    assert monthly["totals"]["active_users"] == usage["active_users"]
    assert monthly["totals"]["conversations"] == usage["total_conversations"]
    # One point per bucket of the range, oldest first, every bucket listed.
    assert [p["date"] for p in daily["data"]] == sorted({p["date"] for p in daily["data"]})
    assert all(a["timestamp"] < b["timestamp"] for a, b in zip(volume["data"], volume["data"][1:]))
    assert volume["period_start"] == usage["period_start"] and volume["period_end"] == usage["period_end"]

    metrics = get(client, "/conversations", seed, **query)
    resolution = get(client, "/conversations/resolution", seed, **query)
    duration = get(client, "/conversations/duration", seed, **query)
    satisfaction = get(client, "/engagement/satisfaction", seed, **query)
    engagement = get(client, "/engagement", seed, **query)
    total = usage["total_conversations"]
    assert metrics["total_conversations"] == resolution["total_conversations"] == engagement["total_sessions"] == total
    assert metrics["total_messages"] == metrics["user_messages"] + metrics["bot_messages"] == usage["total_messages"]
    assert resolution["resolved"] + resolution["escalated"] + resolution["abandoned"] + resolution["open"] == total
    assert metrics["open_conversations"] == resolution["open"]
    assert duration["conversations"] == metrics["ended_conversations"] == total - resolution["open"]
    assert metrics["unique_users"] == engagement["active_users"] == usage["active_users"]
    assert sum(satisfaction["distribution"].values()) == satisfaction["responses"] <= metrics["ended_conversations"]
    if duration["conversations"]:
        stats = [duration[f"{k}_duration_seconds"] for k in ("min", "median", "p90", "max")]
        assert stats == sorted(stats) and stats[0] <= duration["avg_duration_seconds"] <= stats[-1]
        assert metrics["avg_duration_seconds"] == engagement["avg_session_duration_seconds"] == duration["avg_duration_seconds"]
        rates = [resolution[k] for k in ("resolution_rate", "escalation_rate", "abandonment_rate")]
        assert math.isclose(sum(rates), 1, abs_tol=2e-4)
    else:
        assert duration["avg_duration_seconds"] is None and resolution["resolution_rate"] is None
    if satisfaction["responses"]:
        assert 1 <= satisfaction["average_score"] <= 5


@CHECK
@given(seed=SEEDS, first=FIRST_DAYS, start_hour=st.integers(0, 23), hours=st.integers(1, 72), bot=BOT_CHOICE)
def test_hours_add_up_to_days(client: TestClient, seed: int, first: date, start_hour: int, hours: int, bot: int | None) -> None:
    start = datetime(first.year, first.month, first.day, start_hour, tzinfo=timezone.utc)
    query = {"start_date": iso(start), "end_date": iso(start + timedelta(hours=hours)), "bot_id": pick_bot(seed, bot)}
    hourly = get(client, "/conversations/volume", seed, group_by="hour", **query)["data"]
    daily = get(client, "/conversations/volume", seed, group_by="day", **query)["data"]
    assert len(hourly) == hours
    per_day: dict[str, int] = defaultdict(int)
    for point in hourly:
        per_day[point["timestamp"][:10]] += point["conversations"]
    assert {p["timestamp"][:10]: p["conversations"] for p in daily} == dict(per_day)


# --- bots add up to the instance, a user's bots to the user -----------------------------------

ADDITIVE = {
    "/usage": ("total_conversations", "total_messages", "total_users", "active_users", "new_users"),
    "/conversations/resolution": ("total_conversations", "resolved", "escalated", "abandoned", "open"),
    "/conversations/duration": ("conversations",),
    "/engagement": ("active_users", "new_users", "returning_users", "total_sessions"),
    "/engagement/satisfaction": ("responses",),
}


@FEW
@given(seed=SEEDS, window=ranges(most_days=800), user=USERS)
def test_per_bot_figures_add_up_to_the_instance_and_to_the_user(
    client: TestClient, seed: int, window: dict[str, str], user: str | None
) -> None:
    ids = bot_ids(seed)
    for path, fields in ADDITIVE.items():
        whole = get(client, path, seed, user_id=user, **window)
        parts = [get(client, path, seed, bot_id=b, user_id=user, **window) for b in ids]
        for field in fields:
            assert sum(p[field] for p in parts) == whole[field], (path, field)
        if path == "/engagement/satisfaction":
            for score in "12345":
                assert sum(p["distribution"][score] for p in parts) == whole["distribution"][score]
        if path == "/engagement":  # the average daily actives add up too (up to rounding)
            assert math.isclose(
                sum(p["avg_daily_active_users"] for p in parts), whole["avg_daily_active_users"], abs_tol=0.01 * len(ids)
            )
        unknown = get(client, path, seed, bot_id=UNKNOWN_BOT, user_id=user, **window)
        assert not any(unknown[f] for f in fields), unknown
        if user is not None:  # a user talks to one bot: the other bots have nothing of theirs
            assert sum(1 for p in parts if p[fields[0]]) <= 1


@FEW
@given(seed=SEEDS, window=ranges(most_days=60), user=st.uuids(version=4).map(str))
def test_a_user_is_part_of_their_bot(client: TestClient, seed: int, window: dict[str, str], user: str) -> None:
    mine = get(client, "/usage/daily", seed, user_id=user, **window)["data"]
    for bot in bot_ids(seed):
        theirs = get(client, "/usage/daily", seed, bot_id=bot, **window)["data"]
        mine_here = get(client, "/usage/daily", seed, bot_id=bot, user_id=user, **window)["data"]
        for u, b in zip(mine_here, theirs):
            for field in ("conversations", "messages", "active_users", "new_users"):
                assert u[field] <= b[field], (field, u, b)
    assert all(p["active_users"] <= 1 and p["new_users"] <= p["active_users"] for p in mine)
    usage = get(client, "/usage", seed, user_id=user, **window)
    assert usage["new_users"] <= usage["active_users"] <= usage["total_users"] <= 1
    # New once in the user's life: over all time the user is new exactly when seen at all.
    ever = get(client, "/usage", seed, user_id=user, start_date="2015-01-01", end_date="2030-12-31")
    assert ever["new_users"] == ever["total_users"] and ever["active_users"] == ever["total_users"]
    # The conversations of a user's past days have all ended.
    past = get(client, "/conversations/resolution", seed, user_id=user, start_date="2015-01-01", end_date="2025-05-31")
    assert past["open"] == 0


def test_example_users_and_bots_of_the_world_have_activity(client: TestClient) -> None:
    world = GeneralBots().entities(7)
    assert [b["id"] for b in world["bots"]] == [b.id for b in bots_for(7)] and 2 <= len(world["bots"]) <= 4
    assert len({b["name"] for b in world["bots"]}) == len(world["bots"])
    for bot in world["bots"]:
        assert get(client, "/usage", 7, bot_id=bot["id"], days=30)["total_conversations"] > 0
        assert bot["created"] <= "2023-12-31" and bot["channels"][0] == "web"
    assert world["users"]
    for user in world["users"]:
        assert (
            get(client, "/usage", 7, user_id=user["id"], start_date=user["first_seen"], end_date=user["first_seen"])["new_users"]
            == 1
        )
        spring = get(
            client, "/usage", 7, user_id=user["id"], bot_id=user["bot_id"], start_date="2025-01-01", end_date="2025-05-31"
        )
        assert spring["total_conversations"] >= 5 and spring["active_users"] == 1


# --- distinct users ---------------------------------------------------------------------------


@CHECK
@given(seed=SEEDS, window=ranges(most_days=700), bot=BOT_CHOICE)
def test_distinct_users_stay_within_their_bounds_and_ignore_days_without_data(
    client: TestClient, seed: int, window: dict[str, str], bot: int | None
) -> None:
    query = {**window, "bot_id": pick_bot(seed, bot)}
    usage = get(client, "/usage", seed, **query)
    daily = get(client, "/usage/daily", seed, **query)["data"]
    monthly = get(client, "/usage/monthly", seed, **query)["data"]
    active = usage["active_users"]
    assert usage["new_users"] <= active <= usage["total_users"]
    assert max((p["active_users"] for p in daily), default=0) <= active <= sum(p["active_users"] for p in daily)
    assert all(m["new_users"] <= m["active_users"] <= active for m in monthly)
    engagement = get(client, "/engagement", seed, **query)
    assert engagement["avg_daily_active_users"] <= active
    assert engagement["stickiness"] is None or 0 <= engagement["stickiness"] <= 1
    # Days before the instance existed and after now add nothing, however many there are.
    earlier = min(b["created"] for b in GeneralBots().entities(seed)["bots"])
    if window["start_date"][:10] <= earlier:
        for start in ("0001-01-01", "2015-06-01", *([earlier] if earlier <= window["end_date"][:10] else [])):
            assert get(client, "/usage", seed, **{**query, "start_date": start})["active_users"] == active
    if window["end_date"][:10] > "2025-06-01":
        assert get(client, "/usage", seed, **{**query, "end_date": "2031-12-31"})["active_users"] == active
    # A range holding another has at least its active users.
    wider = get(client, "/usage", seed, **{**query, "start_date": "2021-01-01", "end_date": "2030-01-01"})
    assert wider["active_users"] >= active and wider["total_users"] >= usage["total_users"]


# --- retention --------------------------------------------------------------------------------


@CHECK
@given(seed=SEEDS, window=ranges(most_days=300), group_by=st.sampled_from(["day", "week", "month"]), bot=BOT_CHOICE, user=USERS)
def test_retention_cohorts_are_the_new_users_of_their_intervals(
    client: TestClient, seed: int, window: dict[str, str], group_by: str, bot: int | None, user: str | None
) -> None:
    query = {**window, "bot_id": pick_bot(seed, bot), "user_id": user}
    days = len(get(client, "/usage/daily", seed, **query)["data"])
    assume(group_by != "day" or days <= 150)
    retention = get(client, "/engagement/retention", seed, group_by=group_by, **query)
    daily = get(client, "/usage/daily", seed, **query)["data"]
    new_by_cohort: dict[str, int] = defaultdict(int)
    starts = [c["cohort_start"][:10] for c in retention["cohorts"]]
    for point in daily:
        cohort = max(s for s in starts if s <= point["date"])
        new_by_cohort[cohort] += point["new_users"]
    assert {c["cohort_start"][:10]: c["users"] for c in retention["cohorts"]} == {s: new_by_cohort.get(s, 0) for s in starts}
    for index, cohort in enumerate(retention["cohorts"]):
        assert len(cohort["retention"]) == len(starts) - index
        if not cohort["users"]:
            assert set(cohort["retention"]) == {None}
            continue
        assert cohort["retention"][0] == 1.0 and all(0 <= r <= 1 for r in cohort["retention"])
        # A share of a cohort is a whole number of its users.
        users = cohort["users"]
        assert all(abs(r - round(r * users) / users) <= 0.5e-8 + 1e-12 for r in cohort["retention"]), (cohort, query)
        for k, share in enumerate(cohort["retention"]):
            if retention["cohorts"][index + k]["cohort_start"] > iso(NOW):
                assert share == 0  # intervals after now
        if user is not None:
            assert cohort["users"] == 1 and set(cohort["retention"]) <= {0.0, 1.0}


# --- now, and the hour holding it ---------------------------------------------------------------

CLOCKS = [
    NOW,
    datetime(2025, 6, 1, 12, 30, 15, tzinfo=timezone.utc),
    datetime(2025, 3, 3, 0, 5, tzinfo=timezone.utc),
    datetime(2024, 11, 30, 23, 59, 59, 999000, tzinfo=timezone.utc),
]


@FEW
@given(seed=SEEDS, clock=st.sampled_from(CLOCKS), bot=BOT_CHOICE)
def test_now_is_one_instant_for_every_range(seed: int, clock: datetime, bot: int | None) -> None:
    today, bot_id = clock.date().isoformat(), pick_bot(seed, bot)
    with TestClient(app(clock), base_url=HOST) as client:
        same = [
            get(client, "/usage", seed, bot_id=bot_id, **q)["total_conversations"]
            for q in (
                {"start_date": today, "end_date": today},
                {"period": "today"},
                {"days": 1},
                {"start_date": today, "end_date": "2031-01-01"},
                {"start_date": today},
            )
        ]
        assert len(set(same)) == 1, same
        longer = get(client, "/usage", seed, bot_id=bot_id, start_date="2024-01-01")
        assert longer == {
            **get(client, "/usage", seed, bot_id=bot_id, start_date="2024-01-01", end_date="2030-06-30"),
            "period_end": longer["period_end"],
        }
        hours = get(client, "/conversations/volume", seed, group_by="hour", bot_id=bot_id, start_date=today, end_date=today)[
            "data"
        ]
        assert sum(p["conversations"] for p in hours) == same[0]
        assert all(
            p["conversations"] == 0
            for p in hours
            if p["timestamp"] >= iso(clock.replace(minute=0, second=0)) and p["timestamp"] > iso(clock)
        )
        # Open conversations are the last 15 minutes' ones: what real time calls active sessions.
        covering = {"start_date": (clock.date() - timedelta(days=1)).isoformat()}
        resolution = get(client, "/conversations/resolution", seed, bot_id=bot_id, **covering)
        realtime = get(client, "/realtime", seed, bot_id=bot_id)
        assert resolution["open"] == realtime["active_sessions"]
        older = (clock - timedelta(minutes=15)).date() - timedelta(days=1)  # ended before the last 15 minutes
        assert get(client, "/conversations/resolution", seed, bot_id=bot_id, end_date=older.isoformat())["open"] == 0


@FEW
@given(seed=SEEDS, clock=st.sampled_from(CLOCKS))
def test_realtime_per_bot_figures_add_up_to_the_instance(seed: int, clock: datetime) -> None:
    with TestClient(app(clock), base_url=HOST) as client:
        whole, active = get(client, "/realtime", seed), get(client, "/realtime/active", seed)
        parts = [get(client, "/realtime", seed, bot_id=b) for b in bot_ids(seed)]
        actives = [get(client, "/realtime/active", seed, bot_id=b) for b in bot_ids(seed)]
    for field in ("active_sessions", "active_users"):
        assert sum(p[field] for p in parts) == whole[field]
    for field in ("messages_per_minute", "conversations_per_minute"):
        assert math.isclose(sum(p[field] for p in parts), whole[field], abs_tol=1e-6)
    assert active["active_sessions"] == whole["active_sessions"] == sum(a["active_sessions"] for a in actives)
    assert sum(c["active_sessions"] for c in active["by_channel"]) == active["active_sessions"]
    channels: dict[str, int] = defaultdict(int)
    for part in actives:
        for c in part["by_channel"]:
            channels[c["channel"]] += c["active_sessions"]
    assert {c["channel"]: c["active_sessions"] for c in active["by_channel"]} == dict(channels)
    assert (
        whole["active_users"] <= whole["active_sessions"]
        and whole["timestamp"] == iso(clock)[:20] + f"{clock.microsecond // 1000:03d}Z"
    )
    responding = [p["avg_response_time_ms"] for p in parts if p["avg_response_time_ms"] is not None]
    if responding:
        assert min(responding) - 0.1 <= whole["avg_response_time_ms"] <= max(responding) + 0.1


# --- realism ----------------------------------------------------------------------------------


@FEW
@given(seed=SEEDS, first=st.dates(min_value=date(2024, 6, 1), max_value=date(2025, 4, 1)))
def test_each_bot_keeps_its_ratios_from_day_to_day(client: TestClient, seed: int, first: date) -> None:
    window = {"start_date": first.isoformat(), "end_date": (first + timedelta(days=59)).isoformat()}
    for bot in bot_ids(seed):
        days = [p for p in get(client, "/usage/daily", seed, bot_id=bot, **window)["data"] if p["conversations"] >= 100]
        ratios = [p["messages"] / p["conversations"] for p in days]
        if len(ratios) > 5:
            assert max(ratios) / min(ratios) < 1.25, ratios
            assert 4 <= sum(ratios) / len(ratios) <= 14
        users = [p["active_users"] / p["conversations"] for p in days]
        assert all(0.7 <= u <= 1 for u in users)
    duration = get(client, "/conversations/duration", seed, **window)
    if duration["conversations"]:
        # A few minutes typically; the longest of thousands of conversations, left open, far longer.
        assert 30 <= duration["median_duration_seconds"] <= 600 and duration["max_duration_seconds"] <= 2500
    satisfaction = get(client, "/engagement/satisfaction", seed, **window)
    if satisfaction["responses"] > 100:
        assert 3 <= satisfaction["average_score"] <= 4.7 and 0.03 <= satisfaction["response_rate"] <= 0.35
    week1 = [c["retention"][1] for c in get(client, "/engagement/retention", seed, **window)["cohorts"][:-2] if c["users"] > 50]
    assert all(0.02 <= r <= 0.5 for r in week1), week1


# --- tokens, limits -----------------------------------------------------------------------------


def test_expired_missing_and_invalid_tokens(client: TestClient) -> None:
    path = BASE + "/usage"
    past, future = int(time.time()) - 60, int(time.time()) + 3600
    expired = client.get(path, headers={"Authorization": jwt({"sub": "u1", "roles": ["admin"], "exp": past})})
    assert expired.status_code == 401 and expired.json()["error"] == "expired_token"
    assert "expired" in expired.json()["message"] and "invalid_token" in expired.headers["www-authenticate"]
    # Expiry is checked before the role: an expired viewer token on reports is a 401, not a 403.
    viewer = client.get(BASE + "/reports", headers={"Authorization": jwt({"roles": ["analytics_viewer"], "exp": past})})
    assert viewer.status_code == 401 and viewer.json()["error"] == "expired_token"
    fresh = client.get(path, headers={"Authorization": jwt({"roles": ["analytics_viewer"], "exp": future})})
    assert fresh.status_code == 200
    for exp in ("tomorrow", None, True, [1]):
        bad = client.get(path, headers={"Authorization": jwt({"roles": ["admin"], "exp": exp})})
        assert bad.status_code == 401 and bad.json()["error"] == "invalid_token", bad.text
        assert len(bad.content) < 400
    missing = client.get(path)
    assert missing.status_code == 401 and missing.json()["error"] == "missing_token"
    malformed = client.get(path, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert malformed.status_code == 401 and malformed.json()["error"] == "invalid_token"
    assert client.get(path, headers={"X-API-Key": "any-key"}).status_code == 200  # botserver's other scheme
    with TestClient(app(tokens=frozenset({TOKEN})), base_url=HOST) as strict:
        unknown = strict.get(path, headers={"Authorization": "Bearer not-the-token"})
        assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_token"
        assert strict.get(path, headers={"X-API-Key": TOKEN}).status_code == 200
    # A JWT without exp never expires; a token that is not a JWT carries every role.
    assert client.get(BASE + "/reports", headers={"Authorization": jwt({"roles": ["admin"]})}).status_code == 200
    assert client.get(BASE + "/reports", headers={"Authorization": "Bearer opaque"}).status_code == 200


def test_every_error_code_sent_is_declared(client: TestClient) -> None:
    spec = client.get("/generalbots/openapi.json").json()
    declared = set(spec["components"]["schemas"]["Error"]["properties"]["error"]["enum"])
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answers = [
        client.delete(BASE + "/usage", headers=auth),  # 405
        client.post(BASE + "/reports", headers={**auth, "content-type": "application/json"}, content=b"x" * (1_048_577)),  # 413
        client.post(BASE + "/reports", headers={**auth, "content-type": "text/plain"}, content=b"{}"),  # 415
        client.get(BASE + "/usage", headers={**auth, "Prefer": "code=429"}),
        client.get(BASE + "/usage", headers={**auth, "Prefer": "code=500"}),
        client.get(BASE + "/reports/3fa85f64-5717-4562-b3fc-2c963f66afa6", headers=auth),  # 404
        client.get(BASE + "/usage", params={"days": "0"}, headers=auth),
        client.get(BASE + "/usage"),
    ]
    assert [a.status_code for a in answers] == [405, 413, 415, 429, 500, 404, 400, 401]
    for answer in answers:
        assert answer.json()["error"] in declared, answer.text
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert "413" in operation["responses"], (method, path)


@pytest.mark.parametrize(
    ("path", "query", "limit"),
    [
        ("/conversations/volume", {"group_by": "hour", "days": 3650}, 50000),
        ("/conversations/volume", {"group_by": "hour", "start_date": "2020-01-01", "end_date": "2025-09-14"}, 50000),
        ("/usage/daily", {"start_date": "0001-01-01", "end_date": "2025-05-31"}, 50000),
        ("/usage/monthly", {"start_date": "0001-01-01", "end_date": "4200-01-01"}, 50000),
        ("/engagement/retention", {"group_by": "hour", "days": 7}, 150),
        ("/engagement/retention", {"group_by": "week", "days": 3650}, 150),
    ],
)
def test_too_large_answers_are_a_400_naming_the_limit(client: TestClient, path: str, query: dict[str, Any], limit: int) -> None:
    body = get(client, path, 0, status=400, **query)
    assert body["error"] == "invalid_parameter" and f"the limit is {limit}" in body["message"]
    assert "Narrow the range" in body["message"] and len(body["message"]) < 300
    assert ("cohorts" if "retention" in path else "points") in body["message"]
    assert ("group_by" in body["message"]) == (path in ("/conversations/volume", "/engagement/retention"))


def test_a_new_report_is_pending_with_200_and_a_location(client: TestClient) -> None:
    created = client.post(
        BASE + "/reports",
        headers={"Authorization": jwt({"roles": ["admin"]})},
        json={"type": "engagement", "start_date": "2025-01-01", "end_date": "2025-01-31", "format": "pdf"},
    )
    assert created.status_code == 200 and created.json()["status"] == "pending"
    polled = client.get(created.headers["location"], headers={"Authorization": jwt({"roles": ["admin"]})})
    assert polled.status_code == 200 and polled.json()["id"] == created.json()["id"] and "retry-after" in polled.headers
    inverted = client.post(
        BASE + "/reports",
        headers={"Authorization": jwt({"roles": ["admin"]})},
        json={"type": "usage", "start_date": "2025-01-31", "end_date": "2025-01-01", "format": "csv"},
    )
    assert (inverted.json()["start_date"], inverted.json()["end_date"]) == ("2025-01-01", "2025-01-31")


def test_answers_just_under_the_limits_are_served(client: TestClient) -> None:
    assert (
        len(get(client, "/conversations/volume", 0, group_by="hour", start_date="2020-01-01", end_date="2025-09-13")["data"])
        == 49_992
    )
    assert len(get(client, "/usage/daily", 0, days=3650)["data"]) == 3650
    assert len(get(client, "/engagement/retention", 0, group_by="day", days=150)["cohorts"]) == 150
    report = client.post(
        BASE + "/reports",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"type": "usage", "start_date": "2000-01-01", "end_date": "2025-01-01", "format": "csv"},
    )
    assert report.status_code == 400 and report.json()["error"] == "bad_request"
    assert "9133 daily rows" in report.json()["message"] and "the limit is 5000" in report.json()["message"]


# --- report files -------------------------------------------------------------------------------


def report_rows(client: TestClient, seed: int, body: dict[str, str]) -> tuple[list[dict[str, Any]], Any]:
    headers = {"Authorization": jwt({"roles": ["analytics_admin"]}), "Prefer": f"seed={seed}, job-duration=0"}
    created = client.post(BASE + "/reports", json=body, headers=headers)
    assert created.status_code == 200 and created.json()["id"], created.text
    assert created.headers["location"].endswith(f"/reports/{created.json()['id']}")
    done = client.get(created.headers["location"], headers=headers).json()
    assert done["status"] == "completed" and done["download_url"]
    file = client.get(done["download_url"])
    assert file.status_code == 200
    if body["format"] == "csv":
        return [{k: v if k == "date" else int(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(file.text))], file
    if body["format"] == "json":
        return file.json()["rows"], file
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(file.content)).pages)
    return [{"text": text}], file


@RARE
@given(
    seed=SEEDS,
    first=st.dates(min_value=date(2021, 12, 1), max_value=date(2025, 6, 10)),
    days=st.integers(0, 40),
    kind=st.sampled_from(["usage", "conversations", "engagement"]),
    fmt=st.sampled_from(["csv", "json", "pdf"]),
)
def test_report_files_hold_the_endpoints_figures(
    client: TestClient, seed: int, first: date, days: int, kind: str, fmt: str
) -> None:
    window = {"start_date": first.isoformat(), "end_date": (first + timedelta(days=days)).isoformat()}
    rows, file = report_rows(client, seed, {"type": kind, "format": fmt, **window})
    daily = get(client, "/usage/daily", seed, **window)["data"]
    if fmt == "pdf":
        assert file.headers["content-type"] == "application/pdf"
        text = rows[0]["text"]
        for point in daily:
            assert point["date"] in text
        return
    assert [r["date"] for r in rows] == [p["date"] for p in daily]
    if kind == "usage":
        assert rows == [{k: p[k] for k in ("date", "conversations", "messages", "active_users", "new_users")} for p in daily]
    elif kind == "conversations":
        resolution = get(client, "/conversations/resolution", seed, **window)
        metrics = get(client, "/conversations", seed, **window)
        for field in ("resolved", "escalated", "abandoned"):
            assert sum(r[field] for r in rows) == resolution[field]
        assert sum(r["user_messages"] for r in rows) == metrics["user_messages"]
        assert [r["conversations"] for r in rows] == [p["conversations"] for p in daily]
    else:
        assert [(r["active_users"], r["new_users"], r["sessions"]) for r in rows] == [
            (p["active_users"], p["new_users"], p["conversations"]) for p in daily
        ]
        assert sum(r["responses"] for r in rows) == get(client, "/engagement/satisfaction", seed, **window)["responses"]
    if fmt == "json":
        totals = file.json()["totals"]
        # Distinct users are distinct over the whole range; every other column adds up.
        assert all(totals[k] == sum(r[k] for r in rows) for k in totals if k != "active_users")
        if "active_users" in totals:
            assert totals["active_users"] == get(client, "/usage", seed, **window)["active_users"]


def test_a_months_report_counts_each_active_user_once_as_usage_monthly_does(client: TestClient) -> None:
    may = {"start_date": "2025-05-01", "end_date": "2025-05-31"}
    rows, file = report_rows(client, 0, {"type": "usage", "format": "json", **may})
    monthly = get(client, "/usage/monthly", 0, start_date="2025-05-01", end_date="2025-05-31")
    month = next(m for m in monthly["data"] if m["month"].startswith("2025-05"))
    assert file.json()["totals"]["active_users"] == month["active_users"] == get(client, "/usage", 0, **may)["active_users"]
    assert file.json()["totals"]["active_users"] < sum(r["active_users"] for r in rows)  # users come back on other days
    _, pdf = report_rows(client, 0, {"type": "usage", "format": "pdf", **may})
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "total" in text and str(month["active_users"]) in text.split("total")[-1]


# --- determinism --------------------------------------------------------------------------------

SAMPLE = [
    ("/usage", {"start_date": "2024-02-03T05:06:07Z", "end_date": "2025-06-30"}),
    ("/usage/daily", {"days": 45, "bot_id": None}),
    ("/usage/monthly", {"start_date": "2023-01-01"}),
    ("/conversations/volume", {"group_by": "hour", "days": 3}),
    ("/conversations/duration", {"period": "year"}),
    ("/engagement", {"start_date": "2022-01-01", "user_id": "0b9e7c1a-3f7e-4d2b-9a61-5d0c2f8e4b11"}),
    ("/engagement/retention", {"group_by": "month", "days": 400}),
    ("/engagement/satisfaction", {"period": "month"}),
    ("/realtime/active", {}),
]


def clear_world_caches() -> None:
    for cached in (bots_for, hour_bounds, user_of, conversation, returning_share):
        cached.cache_clear()


@RARE
@given(seed=SEEDS, order=st.permutations(range(len(SAMPLE))))
def test_same_request_same_bytes_in_any_order_and_a_different_seed_different_numbers(
    client: TestClient, seed: int, order: list[int]
) -> None:
    def fetch(index: int, with_seed: int) -> bytes:
        path, query = SAMPLE[index]
        response = client.get(
            BASE + path,
            params={k: v for k, v in query.items() if v is not None},
            headers={"Authorization": f"Bearer {TOKEN}", "Prefer": f"seed={with_seed}"},
        )
        assert response.status_code == 200, response.text
        return response.content

    first = {i: fetch(i, seed) for i in order}
    clear_world_caches()
    again = {i: fetch(i, seed) for i in reversed(order)}
    assert first == again
    other = {i: fetch(i, seed + 1) for i in range(len(SAMPLE))}
    # The tests' clock is a Sunday morning: a helpdesk's realtime figures may be zero in both worlds.
    same = [SAMPLE[i][0] for i in range(len(SAMPLE)) if first[i] == other[i]]
    assert set(same) <= {"/realtime/active"}, same


def test_a_fresh_process_gives_the_same_bytes(client: TestClient) -> None:
    script = (
        "import sys, json\n"
        "from starlette.testclient import TestClient\n"
        "from tests.test_world_generalbots import app, SAMPLE, BASE\n"
        "from tests.cases import TOKEN\n"
        "with TestClient(app(), base_url='http://127.0.0.1:8000') as c:\n"
        "    out = [c.get(BASE + p, params={k: v for k, v in q.items() if v is not None},\n"
        "                 headers={'Authorization': f'Bearer {TOKEN}', 'Prefer': 'seed=99'}).text for p, q in SAMPLE[::-1]]\n"
        "print(json.dumps(out[::-1]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    theirs = json.loads(result.stdout.strip().splitlines()[-1])
    ours = [
        client.get(
            BASE + p,
            params={k: v for k, v in q.items() if v is not None},
            headers={"Authorization": f"Bearer {TOKEN}", "Prefer": "seed=99"},
        ).text
        for p, q in SAMPLE
    ]
    assert ours == theirs


def test_a_users_bot_and_visits_follow_from_the_id_alone(client: TestClient) -> None:
    user = str(uuid.UUID(int=12345, version=4))
    ever = {"start_date": "2015-01-01", "end_date": "2030-01-01"}
    spelled = [get(client, "/usage", 3, user_id=u, **ever) for u in (user, user.upper())]
    assert spelled[0] == spelled[1]


@FEW
@given(seed=SEEDS, first=st.dates(min_value=date(2023, 6, 1), max_value=date(2025, 5, 1)), days=st.integers(1, 90))
def test_durations_are_statistics_of_the_ranges_own_conversations(client: TestClient, seed: int, first: date, days: int) -> None:
    """Not a fixed set of values: a longer range reaches further out, and statistics keep their order."""
    short = {"start_date": first.isoformat(), "end_date": (first + timedelta(days=1)).isoformat()}
    long = {"start_date": first.isoformat(), "end_date": (first + timedelta(days=1 + days)).isoformat()}
    part, whole = (get(client, "/conversations/duration", seed, **w) for w in (short, long))
    assume(part["conversations"] > 0)
    assert whole["min_duration_seconds"] <= part["min_duration_seconds"]
    assert whole["max_duration_seconds"] >= part["max_duration_seconds"]
    if whole["conversations"] >= 1000:  # thousands of conversations reach past the longest bin's value
        assert whole["max_duration_seconds"] > DURATION_BINS[-1]
    for found in (part, whole):
        stats = [found[f"{k}_duration_seconds"] for k in ("min", "median", "p90", "max")]
        assert stats == sorted(stats) and stats[0] <= found["avg_duration_seconds"] <= stats[-1]
        if found["conversations"] == 1:
            assert len(set(stats)) == 1


def test_one_conversation_is_every_statistic_of_itself(client: TestClient) -> None:
    """A minute of a day that holds a single ended conversation."""
    start = datetime(2025, 5, 5, tzinfo=timezone.utc)
    for minute in range(0, 24 * 60, 7):
        begins = start + timedelta(minutes=minute)
        window = {"start_date": iso(begins), "end_date": iso(begins + timedelta(minutes=1))}
        found = get(client, "/conversations/duration", 0, **window)
        if found["conversations"] == 1:
            stats = {found[f"{k}_duration_seconds"] for k in ("avg", "min", "median", "p90", "max")}
            assert len(stats) == 1, found
            return
    raise AssertionError("no minute of the day held exactly one conversation")


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_helpdesk_bots_keep_a_business_week_and_office_hours(client: TestClient, seed: int) -> None:
    """The instance's bots are IT and HR helpdesks (UTC-3): weekends well below weekdays, quiet
    nights, more than half of the conversations between 10:00 and 15:00 local time."""
    found = get(client, "/conversations/volume", seed, group_by="hour", start_date="2025-03-03", end_date="2025-04-28")
    by_hour, by_weekday = [0] * 24, [0] * 7
    for point in found["data"]:
        local = datetime.fromisoformat(point["timestamp"].replace("Z", "+00:00")) - timedelta(hours=3)
        by_hour[local.hour] += point["conversations"]
        by_weekday[local.weekday()] += point["conversations"]
    total = sum(by_hour)
    assert sum(by_weekday[5:]) / 2 < 0.4 * sum(by_weekday[:5]) / 5
    assert max(range(7), key=by_weekday.__getitem__) in (0, 1)  # Monday (the backlog) or Tuesday
    assert sum(by_hour[10:15]) > 0.5 * total
    assert sum(by_hour[0:6]) < 0.05 * total and by_hour[23] < by_hour[22] < by_hour[21]
    assert by_hour[20] < by_hour[19]  # the UTC day's last hour (20:00 local) is no spike


# --- Data model 2: instants ------------------------------------------------------------------------

V2 = settings(max_examples=int(os.environ.get("MOCKSERVER_WORLD_EXAMPLES", "50")), deadline=None)
ORIGIN = datetime(2021, 1, 1, tzinfo=timezone.utc)  # before every bot's creation
MS = timedelta(milliseconds=1)
INSTANTS = st.one_of(
    st.integers(0, int((NOW + timedelta(days=3) - ORIGIN) / MS)),
    st.integers(int((NOW - timedelta(days=2) - ORIGIN) / MS), int((NOW + timedelta(days=1) - ORIGIN) / MS)),
)
ADDITIVE_USAGE = ("total_conversations", "total_messages", "new_users")


def usage(client: TestClient, seed: int, start: datetime, end: datetime) -> dict[str, int]:
    found = get(client, "/usage", seed, start_date=iso_ms(start), end_date=iso_ms(end))
    return {name: found[name] for name in ADDITIVE_USAGE}


def iso_ms(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@V2
@given(seed=SEEDS, first=INSTANTS, left=st.integers(1, 3 * 86_400_000), right=st.integers(1, 3 * 86_400_000))
def test_a_range_split_at_any_millisecond_adds_up_to_the_whole(
    client: TestClient, seed: int, first: int, left: int, right: int
) -> None:
    start, middle, end = ORIGIN + first * MS, ORIGIN + (first + left) * MS, ORIGIN + (first + left + right) * MS
    whole, before, after = usage(client, seed, start, end), usage(client, seed, start, middle), usage(client, seed, middle, end)
    assert whole == {name: before[name] + after[name] for name in whole}


@V2
@given(seed=SEEDS, back=st.integers(1, 2 * 86_400_000), ahead=st.integers(0, 2 * 86_400_000))
def test_figures_count_up_to_the_instant_now(client: TestClient, seed: int, back: int, ahead: int) -> None:
    start = NOW - back * MS
    assert usage(client, seed, start, NOW + ahead * MS) == usage(client, seed, start, NOW)
    assert set(usage(client, seed, NOW, NOW + (ahead + 1) * MS).values()) == {0}
