"""Invariants of the synthetic world, checked through HTTP over random seeds, ids and ranges.

These are the guarantees docs/data-model.md promises to test authors.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.cases import AUTH
from tests.conftest import HOST, app_for, client_for

SEEDS = st.sampled_from([0, 1, 7, 2025])
# Ranges inside the world's history under the tests' fixed clock (2025-06-01T12:00Z).
DAYS = st.dates(min_value=date(2024, 6, 1), max_value=date(2025, 5, 25))
HOURS = st.integers(min_value=0, max_value=23)
TODAY = date(2025, 6, 1)
CHECK = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def get(seed: int, vendor: str, path: str, **params: Any) -> Any:
    """GET under another seed the way a test author can: ``Prefer: seed=<n>`` on one running server
    (a test below shows it answers as a server started with ``--seed <n>``)."""
    headers = {**AUTH[vendor], "Prefer": f"seed={seed}"}
    response = client_for(0).get(f"/{vendor}{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- ChatBot.com -------------------------------------------------------------------------------


@CHECK
@given(seed=SEEDS, first=DAYS, length=st.integers(1, 120))
def test_chatbotcom_days_add_up_to_months_and_summary_matches_data(seed: int, first: date, length: int) -> None:
    last = first + timedelta(days=length)
    window = {"from": first.isoformat(), "to": last.isoformat()}
    days = get(seed, "chatbotcom", "/reports/conversations", dimension="day", **window)
    months = get(seed, "chatbotcom", "/reports/conversations", dimension="month", **window)
    per_month: dict[str, int] = defaultdict(int)
    for point in days["data"]:
        per_month[point["date"][:7]] += point["value"]
    assert {p["date"][:7]: p["value"] for p in months["data"]} == dict(per_month)
    values = [p["value"] for p in days["data"]]
    assert days["summary"] == {
        "total": sum(values),
        "min": min(values),
        "max": max(values),
        "avg": round(sum(values) / len(values), 2),
    }
    # Zero-filled: one point per day, bounds inclusive, days after "now" (the tests' clock) included.
    assert len(days["data"]) == (last - first).days + 1
    assert not any(p["value"] for p in days["data"] if p["date"][:10] > TODAY.isoformat())


@CHECK
@given(seed=SEEDS, day=DAYS, start_hour=HOURS, hours=st.integers(1, 40))
def test_chatbotcom_hours_add_up_to_days(seed: int, day: date, start_hour: int, hours: int) -> None:
    start = datetime(day.year, day.month, day.day, start_hour, tzinfo=timezone.utc)
    window = {"from": iso(start), "to": iso(start + timedelta(hours=hours, milliseconds=-1))}
    hourly = get(seed, "chatbotcom", "/reports/conversations.messages", dimension="hour", **window)
    daily = get(seed, "chatbotcom", "/reports/conversations.messages", dimension="day", **window)
    assert len(hourly["data"]) == hours
    per_day: dict[str, int] = defaultdict(int)
    for point in hourly["data"]:
        per_day[point["date"][:10]] += point["value"]
    assert {p["date"][:10]: p["value"] for p in daily["data"]} == dict(per_day)


@CHECK
@given(
    seed=SEEDS,
    first=DAYS,
    length=st.integers(0, 40),
    group=st.sampled_from(["source", "storyId"]),
    report=st.sampled_from(["conversations", "conversations.paid", "conversations.messages"]),
)
def test_chatbotcom_groups_add_up_to_the_ungrouped_series(seed: int, first: date, length: int, group: str, report: str) -> None:
    window = {"from": first.isoformat(), "to": (first + timedelta(days=length)).isoformat()}
    plain = get(seed, "chatbotcom", f"/reports/{report}", **window)
    grouped = get(seed, "chatbotcom", f"/reports/{report}", group=group, **window)
    sums: dict[str, int] = defaultdict(int)
    for point in grouped["data"]:
        assert group in point
        sums[point["date"]] += point["value"]
    assert {p["date"]: p["value"] for p in plain["data"]} == {d: sums.get(d, 0) for d in (p["date"] for p in plain["data"])}
    assert grouped["summary"]["total"] == plain["summary"]["total"]


@CHECK
@given(seed=SEEDS, first=DAYS, length=st.integers(0, 30))
def test_chatbotcom_average_is_messages_over_conversations(seed: int, first: date, length: int) -> None:
    window = {"from": first.isoformat(), "to": (first + timedelta(days=length)).isoformat()}
    conversations = get(seed, "chatbotcom", "/reports/conversations", **window)["data"]
    messages = get(seed, "chatbotcom", "/reports/conversations.messages", **window)["data"]
    paid = get(seed, "chatbotcom", "/reports/conversations.paid", **window)["data"]
    average = get(seed, "chatbotcom", "/reports/conversations.avg", **window)["data"]
    for c, m, p, a in zip(conversations, messages, paid, average):
        assert a["value"] == (round(m["value"] / c["value"], 2) if c["value"] else 0)
        assert p["value"] <= c["value"]


@CHECK
@given(seed=SEEDS, first=DAYS, length=st.integers(0, 60), offset=st.sampled_from([0, 60, -300, 330]))
def test_chatbotcom_heatmap_counts_every_conversation_once(seed: int, first: date, length: int, offset: int) -> None:
    window = {"from": first.isoformat(), "to": (first + timedelta(days=length)).isoformat()}
    heatmap = get(seed, "chatbotcom", "/reports/conversations.heatmap", offset=offset, **window)
    total = get(seed, "chatbotcom", "/reports/conversations", **window)["summary"]["total"]
    assert [len(row) for row in heatmap] == [24] * 7
    assert all(cell["day"] == d and cell["hour"] == h for d, row in enumerate(heatmap) for h, cell in enumerate(row))
    assert sum(cell["value"] for row in heatmap for cell in row) == total
    usages = [cell["usage"] for row in heatmap for cell in row]
    assert max(usages) == (100 if total else 0)


@CHECK
@given(seed=SEEDS, first=DAYS, length=st.integers(0, 60))
def test_chatbotcom_interaction_shares_add_up_to_100(seed: int, first: date, length: int) -> None:
    window = {"from": first.isoformat(), "to": (first + timedelta(days=length)).isoformat()}
    rows = get(seed, "chatbotcom", "/reports/conversations.interactions", **window)
    assert math.isclose(sum(r["usage"] for r in rows), 100, abs_tol=0.001) or all(r["usage"] == 0 for r in rows)
    assert [r["value"] for r in rows] == sorted((r["value"] for r in rows), reverse=True)


# --- ChatCaptain -------------------------------------------------------------------------------

CHATBOTS = st.sampled_from(["6790b2f1c2a4e5d3f8a1b234", "bot_shop", "support-de"])
ADDITIVE = {  # overview component -> channel component (the overview is their sum)
    "CONVERSATION_COUNT": "CONVERSATION_COUNT_FOR_CHANNEL_ID",
    "MESSAGE_COUNT": "MESSAGE_COUNT_FOR_CHANNEL_ID",
    "INTERACTION_COUNT": "INTERACTION_COUNT_FOR_CHANNEL_ID",
}


@CHECK
@given(
    seed=SEEDS, chatbot=CHATBOTS, first=DAYS, start_hour=HOURS, length=st.integers(1, 45), interval=st.sampled_from([86400, 3600])
)
def test_chatcaptain_channel_reports_add_up_to_the_overview(
    seed: int, chatbot: str, first: date, start_hour: int, length: int, interval: int
) -> None:
    start = datetime(first.year, first.month, first.day, start_hour, tzinfo=timezone.utc)
    end = start + (timedelta(days=length) if interval == 86400 else timedelta(hours=length)) - timedelta(milliseconds=1)
    window = {"from": iso(start), "to": iso(end), "interval": interval}
    base = f"/v1/chatbots/{chatbot}/statistics"
    channels = get(seed, "chatcaptain", f"{base}/channels")["data"]
    overview = get(seed, "chatcaptain", f"{base}/reports/overview", components="1,2,3,4,5,7,8,14,15", **window)["components"]
    totals: dict[str, int] = defaultdict(int)
    languages: dict[str, int] = defaultdict(int)
    for channel in channels:
        report = get(seed, "chatcaptain", f"{base}/reports/channel", channelId=channel["id"], components="1,2,4,9,12", **window)[
            "components"
        ]
        for overview_name, channel_name in ADDITIVE.items():
            totals[overview_name] += report[channel_name]["total"]
        for row in report["CONVERSATION_LANGUAGES_FOR_CHANNEL_ID"]:
            languages[row["language"]] += row["count"]
        series = report["CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID"]["series"]
        assert sum(p["value"] for p in series) == report["CONVERSATION_COUNT_FOR_CHANNEL_ID"]["total"]
    for name, value in totals.items():
        assert overview[name]["total"] == value, name
    assert {r["language"]: r["count"] for r in overview["CONVERSATION_LANGUAGES"]} == dict(languages)
    assert sum(r["count"] for r in overview["CONVERSATION_BY_CHANNEL_TYPE"]) == totals["CONVERSATION_COUNT"]
    series = overview["MESSAGE_COUNT_INTERVAL"]["series"]
    assert sum(p["value"] for p in series) == overview["MESSAGE_COUNT"]["total"]
    assert all(b["date"] > a["date"] for a, b in zip(series, series[1:]))
    trend = overview["CONVERSATION_COUNT_PERIODIC_TREND"]
    assert trend["current"] == overview["CONVERSATION_COUNT"]["total"]
    previous = get(
        seed,
        "chatcaptain",
        f"{base}/reports/overview",
        components="1",
        interval=interval,
        **{"from": trend["previousFrom"], "to": trend["previousTo"]},
    )["components"]
    assert trend["previous"] == previous["CONVERSATION_COUNT"]["total"]


# --- General Bots ------------------------------------------------------------------------------


@CHECK
@given(seed=SEEDS, first=DAYS, length=st.integers(0, 120))
def test_generalbots_breakdowns_add_up_to_usage(seed: int, first: date, length: int) -> None:
    window = {"start_date": first.isoformat(), "end_date": (first + timedelta(days=length)).isoformat()}
    base = "/api/v1/analytics"
    usage = get(seed, "generalbots", f"{base}/usage", **window)
    daily = get(seed, "generalbots", f"{base}/usage/daily", **window)
    monthly = get(seed, "generalbots", f"{base}/usage/monthly", **window)
    volume = get(seed, "generalbots", f"{base}/conversations/volume", group_by="week", **window)
    assert len(daily["data"]) == length + 1  # future days are listed with zeros
    for series in (daily["data"], monthly["data"], volume["data"]):
        assert sum(p["conversations"] for p in series) == usage["total_conversations"]
        assert sum(p["messages"] for p in series) == usage["total_messages"]
    assert sum(p["new_users"] for p in daily["data"]) == usage["new_users"] == monthly["totals"]["new_users"]
    metrics = get(seed, "generalbots", f"{base}/conversations", **window)
    resolution = get(seed, "generalbots", f"{base}/conversations/resolution", **window)
    duration = get(seed, "generalbots", f"{base}/conversations/duration", **window)
    satisfaction = get(seed, "generalbots", f"{base}/engagement/satisfaction", **window)
    assert metrics["total_conversations"] == resolution["total_conversations"] == usage["total_conversations"]
    assert (
        resolution["resolved"] + resolution["escalated"] + resolution["abandoned"] + resolution["open"]
        == resolution["total_conversations"]
    )
    assert duration["conversations"] == metrics["ended_conversations"]
    assert sum(satisfaction["distribution"].values()) == satisfaction["responses"]
    if duration["conversations"]:
        assert (
            duration["min_duration_seconds"]
            <= duration["median_duration_seconds"]
            <= duration["p90_duration_seconds"]
            <= duration["max_duration_seconds"]
        )


@CHECK
@given(seed=SEEDS, first=DAYS, length=st.integers(0, 30))
def test_generalbots_bot_filter_splits_the_instance(seed: int, first: date, length: int) -> None:
    from mockserver.profiles.generalbots.bots import (
        bots_for,  # the ids a client would know from its instance
    )

    window = {"start_date": first.isoformat(), "end_date": (first + timedelta(days=length)).isoformat()}
    everyone = get(seed, "generalbots", "/api/v1/analytics/usage", **window)["total_conversations"]
    per_bot = [
        get(seed, "generalbots", "/api/v1/analytics/usage", bot_id=b.id, **window)["total_conversations"] for b in bots_for(seed)
    ]
    assert sum(per_bot) == everyone


# --- Botpress ----------------------------------------------------------------------------------


@CHECK
@given(
    seed=SEEDS,
    bot=st.text("abcdefghij_0123456789", min_size=1, max_size=12),
    first=DAYS,
    length=st.integers(0, 20),
    start_hour=HOURS,
)
def test_botpress_records_are_consistent(seed: int, bot: str, first: date, length: int, start_hour: int) -> None:
    start = datetime(first.year, first.month, first.day, start_hour, tzinfo=timezone.utc)
    end = start + timedelta(days=length, hours=5)
    body = get(seed, "botpress", f"/v1/admin/bots/{bot}/analytics", startDate=iso(start), endDate=iso(end))
    records = body["records"]
    for record, following in zip(records, records[1:]):
        assert record["endDateTimeUtc"] < following["startDateTimeUtc"]
    for record in records:
        assert record["messages"] == record["userMessages"]
        llm = record["llm"]
        assert 0 <= llm["errors"] <= llm["calls"]
        for stats in (llm["latency"], llm["tokensPerSecond"], llm["cost"]):
            assert stats["min"] <= stats["mean"] <= stats["max"] and stats["sd"] >= 0
        assert math.isclose(llm["cost"]["sum"], llm["cost"]["mean"] * llm["calls"], rel_tol=1e-3, abs_tol=1e-5)
        assert sum(record["eventTypes"].values()) + sum(record["customEvents"].values()) == record["events"]
    if records:
        assert records[0]["startDateTimeUtc"] >= iso(start)[:19]
        assert records[-1]["endDateTimeUtc"] <= iso(end)[:19] + ".999Z"


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(1, 2**40))
def test_prefer_seed_answers_like_a_server_started_with_that_seed(seed: int) -> None:
    from tests.cases import CASES, STATEFUL
    from tests.conftest import resolve_query

    started = client_for(seed)
    for case in [c for c in CASES if c.id not in STATEFUL]:
        query = resolve_query(started, case, case.query)
        theirs = started.request(case.method, f"/{case.vendor}{case.path}", params=query, headers=case.headers, json=case.body)
        ours = client_for(0).request(
            case.method,
            f"/{case.vendor}{case.path}",
            params=query,
            headers={**case.headers, "Prefer": f"seed={seed}"},
            json=case.body,
        )
        assert ours.status_code == theirs.status_code and ours.content == theirs.content, case.id


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_a_different_seed_gives_different_numbers_and_the_same_seed_the_same_bytes(seed: int) -> None:
    path, params = "/reports/conversations", {"from": "2025-03-01", "to": "2025-03-31"}
    with TestClient(app_for(seed=0), base_url=HOST) as zero:
        baseline = zero.get(f"/chatbotcom{path}", params=params, headers=AUTH["chatbotcom"]).content
    if seed != 0:
        app_for.cache_clear()
        with TestClient(app_for(seed=seed), base_url=HOST) as other:
            assert other.get(f"/chatbotcom{path}", params=params, headers=AUTH["chatbotcom"]).content != baseline
    with TestClient(app_for(seed=0), base_url=HOST) as again:
        assert again.get(f"/chatbotcom{path}", params=params, headers=AUTH["chatbotcom"]).content == baseline


def test_a_separate_server_process_gives_the_same_bytes(open_server: Any) -> None:
    """The same seed and clock in another process (a real uvicorn server) answer identically."""
    import httpx

    from tests.cases import CASES, STATEFUL
    from tests.conftest import resolve_query

    with TestClient(app_for(), base_url=HOST) as local, httpx.Client(base_url=open_server.url) as remote:
        for case in [c for c in CASES if c.id not in STATEFUL]:
            query = resolve_query(local, case, case.query)
            ours = local.request(case.method, f"/{case.vendor}{case.path}", params=query, headers=case.headers, json=case.body)
            theirs = remote.request(case.method, f"/{case.vendor}{case.path}", params=query, headers=case.headers, json=case.body)
            assert ours.status_code == theirs.status_code and ours.content == theirs.content, case.id
