"""ChatBot.com's synthetic world through HTTP: the rules specs/chatbotcom.yaml states, checked over
random seeds, ranges (before the license existed, across its creation, past "now"), dimensions,
groups and filters.

One in-process app answers every seed through ``Prefer: seed=<n>``, as a test author can.
"""

from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver.profiles.chatbotcom import ChatBotCom
from tests.cases import AUTH
from tests.conftest import HOST, NOW, app_for

UTC = timezone.utc
SEEDS = st.integers(0, 2**40)
# From well before any license exists (they are created in 2022-2023) to well after "now" (2025-06-01T12:00Z).
DAYS = st.dates(min_value=date(2021, 6, 1), max_value=date(2025, 8, 31))
NEAR_NOW = st.dates(min_value=date(2025, 5, 1), max_value=date(2025, 6, 3))
COUNTS = ["conversations", "conversations.paid", "conversations.messages"]
SOURCES = ["messenger", "livechat", "livechat3", "slack", "widget", "app", "custom"]
CHECK = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
WORLD = ChatBotCom()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(app_for(), base_url=HOST) as test_client:
        yield test_client


def fetch(client: TestClient, seed: int, report: str, params: dict[str, Any]) -> Any:
    response = client.get(
        f"/chatbotcom/reports/{report}", params=params, headers={**AUTH["chatbotcom"], "Prefer": f"seed={seed}"}
    )
    assert response.status_code == 200, response.text
    return response


def get(client: TestClient, seed: int, report: str, **params: Any) -> Any:
    return fetch(client, seed, report, params).json()


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def bucket_starts(start: datetime, end: datetime, dimension: str) -> list[str]:
    """Every bucket [start, end] touches, computed the plain way (none when ``end`` is before ``start``)."""
    if end < start:
        return []
    if dimension == "hour":
        current = start.replace(minute=0, second=0, microsecond=0)
        step = lambda m: m + timedelta(hours=1)  # noqa: E731
    elif dimension == "day":
        current = midnight(start.date())
        step = lambda m: m + timedelta(days=1)  # noqa: E731
    elif dimension == "month":
        current = midnight(start.date().replace(day=1))
        step = lambda m: m.replace(year=m.year + m.month // 12, month=m.month % 12 + 1)  # noqa: E731
    else:
        current = midnight(date(start.year, 1, 1))
        step = lambda m: m.replace(year=m.year + 1)  # noqa: E731
    starts = []
    while current <= end:
        starts.append(iso(current))
        current = step(current)
    return starts


def summary_of(values: list[Any], decimals: bool = False) -> dict[str, Any]:
    if not values:
        return {"total": 0, "min": 0, "max": 0, "avg": 0}
    total = round(sum(values), 2) if decimals else sum(values)
    return {"total": total, "min": min(values), "max": max(values), "avg": round(total / len(values), 2)}


def by_date(points: list[dict[str, Any]]) -> dict[str, int]:
    return {p["date"]: p["value"] for p in points}


def grouped(points: list[dict[str, Any]], group: str) -> dict[str, dict[str, Any]]:
    series: dict[str, dict[str, Any]] = defaultdict(dict)
    for point in points:
        series[point[group]][point["date"]] = point["value"]
    return series


def stories_of(seed: int) -> list[str]:
    return [story["id"] for story in WORLD.entities(seed)["stories"]]


def created(seed: int) -> datetime:
    return midnight(date.fromisoformat(WORLD.entities(seed)["license"]["created"]))


# --- Buckets and summaries ---------------------------------------------------------------------


@CHECK
@given(
    seed=SEEDS,
    first=DAYS | NEAR_NOW,
    days=st.integers(0, 150),
    start_hour=st.integers(0, 23),
    dimension=st.sampled_from(["hour", "day", "month", "year", "hour"]),
    report=st.sampled_from(COUNTS),
)
def test_every_bucket_of_the_range_is_listed_zero_where_nothing_happened(
    client: TestClient, seed: int, first: date, days: int, start_hour: int, dimension: str, report: str
) -> None:
    start = midnight(first) + timedelta(hours=start_hour)
    end = start + (timedelta(hours=days) if dimension == "hour" else timedelta(days=days)) - timedelta(milliseconds=1)
    body = get(client, seed, report, **{"from": iso(start), "to": iso(end), "dimension": dimension})
    dates = [p["date"] for p in body["data"]]
    assert dates == bucket_starts(start, end, dimension)
    values = [p["value"] for p in body["data"]]
    assert body["summary"] == summary_of(values)
    step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "month": timedelta(days=28), "year": timedelta(days=365)}[
        dimension
    ]
    for point in body["data"]:
        begins = datetime.fromisoformat(point["date"].replace("Z", "+00:00"))
        if begins > NOW or begins + step <= created(seed):
            assert point["value"] == 0, point  # after "now", or over before the license existed


def test_the_vendors_documentation_range_lists_its_eleven_days(client: TestClient) -> None:
    """The vendor's own example: 2019-03-17..2019-03-27 by day is 11 points, zeros included."""
    body = get(client, 0, "conversations", **{"from": "2019-03-17", "to": "2019-03-27"})
    assert [p["date"][:10] for p in body["data"]] == [f"2019-03-{d}" for d in range(17, 28)]
    assert body["summary"] == {"total": 0, "min": 0, "max": 0, "avg": 0}
    assert all(p["value"] == 0 for p in body["data"])


@CHECK
@given(seed=SEEDS, days=st.integers(0, 120))
def test_a_range_across_the_licenses_creation_counts_its_zeros_in_the_summary(client: TestClient, seed: int, days: int) -> None:
    start = (created(seed) - timedelta(days=days)).date()
    body = get(client, seed, "conversations", **{"from": start.isoformat(), "to": (start + timedelta(days=days + 9)).isoformat()})
    values = [p["value"] for p in body["data"]]
    assert len(values) == days + 10 and values[:days] == [0] * days
    assert body["summary"] == summary_of(values)


def test_a_range_past_now_lists_the_future_days_with_zero(client: TestClient) -> None:
    body = get(client, 3, "conversations.messages", **{"from": "2025-05-29", "to": "2025-06-04"})
    assert [p["date"][:10] for p in body["data"]] == [
        f"2025-{d}" for d in ("05-29", "05-30", "05-31", "06-01", "06-02", "06-03", "06-04")
    ]
    assert [p["value"] for p in body["data"]][4:] == [0, 0, 0] and all(p["value"] > 0 for p in body["data"][:4])


# --- Granularities -----------------------------------------------------------------------------


@CHECK
@given(seed=SEEDS, first=DAYS, start_hour=st.integers(0, 23), hours=st.integers(1, 80), report=st.sampled_from(COUNTS))
def test_hours_add_up_to_days(client: TestClient, seed: int, first: date, start_hour: int, hours: int, report: str) -> None:
    start = midnight(first) + timedelta(hours=start_hour)
    window = {"from": iso(start), "to": iso(start + timedelta(hours=hours, milliseconds=-1))}
    hourly = get(client, seed, report, dimension="hour", **window)["data"]
    daily = get(client, seed, report, dimension="day", **window)["data"]
    assert len(hourly) == hours
    per_day: dict[str, int] = defaultdict(int)
    for point in hourly:
        per_day[point["date"][:10]] += point["value"]
    assert {p["date"][:10]: p["value"] for p in daily} == dict(per_day)


@CHECK
@given(seed=SEEDS, first=DAYS, days=st.integers(0, 800), report=st.sampled_from(COUNTS))
def test_days_add_up_to_months_and_months_to_years(client: TestClient, seed: int, first: date, days: int, report: str) -> None:
    window = {"from": first.isoformat(), "to": (first + timedelta(days=days)).isoformat()}
    series = {d: get(client, seed, report, dimension=d, **window)["data"] for d in ("day", "month", "year")}
    for finer, coarser, width in (("day", "month", 7), ("month", "year", 4)):
        sums: dict[str, int] = defaultdict(int)
        for point in series[finer]:
            sums[point["date"][:width]] += point["value"]
        assert {p["date"][:width]: p["value"] for p in series[coarser]} == dict(sums)


@CHECK
@given(seed=SEEDS, first=DAYS, start_hour=st.integers(0, 23), length=st.integers(0, 24 * 1200))
def test_auto_picks_the_dimension_from_the_requested_span(
    client: TestClient, seed: int, first: date, start_hour: int, length: int
) -> None:
    start = midnight(first) + timedelta(hours=start_hour)
    end = start + timedelta(hours=length)
    window = {"from": iso(start), "to": iso(end)}
    span = end - start
    expected = (
        "hour"
        if span <= timedelta(hours=48)
        else "day"
        if span <= timedelta(days=90)
        else ("month" if span <= timedelta(days=1095) else "year")
    )
    auto = fetch(client, seed, "conversations", {**window, "dimension": "auto"}).content
    assert auto == fetch(client, seed, "conversations", {**window, "dimension": expected}).content


# --- Groups and filters ------------------------------------------------------------------------


@st.composite
def selections(draw: Any, seed: int) -> dict[str, Any]:
    """A group and filters of either kind; story ids from the license, unknown ones, any case."""
    stories = stories_of(seed)
    params: dict[str, Any] = {}
    group = draw(st.sampled_from([None, "source", "storyId"]))
    if group:
        params["group"] = group
    if draw(st.booleans()):
        params["source"] = draw(st.lists(st.sampled_from(SOURCES), min_size=1, max_size=4))
    if draw(st.booleans()):
        ids = st.sampled_from([*stories, "0123456789abcdef01234567"])
        picked = draw(st.lists(st.tuples(ids, st.booleans()), min_size=1, max_size=3))
        params["storyId"] = [story.upper() if upper else story for story, upper in picked]
    return params


@CHECK
@given(seed=SEEDS, first=DAYS, days=st.integers(0, 20), hourly=st.booleans(), report=st.sampled_from(COUNTS), data=st.data())
def test_groups_add_up_to_the_ungrouped_series_and_filters_select_the_same_cells(
    client: TestClient, seed: int, first: date, days: int, hourly: bool, report: str, data: Any
) -> None:
    selection = data.draw(selections(seed))
    group = data.draw(st.sampled_from(["source", "storyId"]))
    window = {
        "from": first.isoformat(),
        "to": (first + timedelta(days=days if not hourly else min(days, 3))).isoformat(),
        "dimension": "hour" if hourly else "day",
    }
    filters = {k: v for k, v in selection.items() if k in ("source", "storyId")}
    plain = get(client, seed, report, **window, **filters)
    split = get(client, seed, report, **window, **filters, group=group)
    # The listed group values: the ones named in the matching filter, or all the license has.
    named = filters.get(group)
    everything = SOURCES if group == "source" else stories_of(seed)
    keys = sorted({k.lower() for k in named}) if named else sorted(everything)
    assert [p[group] for p in split["data"]] == keys * len(plain["data"])
    assert [p["date"] for p in split["data"][:: len(keys)]] == [p["date"] for p in plain["data"]]
    series = grouped(split["data"], group)
    totals: dict[str, int] = defaultdict(int)
    for values in series.values():
        for day, value in values.items():
            totals[day] += value
    assert dict(totals) == by_date(plain["data"])
    assert split["summary"] == summary_of([p["value"] for p in split["data"]])
    # A filter on one group value selects exactly that group's cells.
    key = data.draw(st.sampled_from(keys))
    alone = get(client, seed, report, **window, **{**filters, group: [key]})
    assert by_date(alone["data"]) == series[key]


@FEW
@given(seed=SEEDS, first=DAYS, days=st.integers(0, 30))
def test_the_sources_and_the_stories_add_up_to_the_same_license(client: TestClient, seed: int, first: date, days: int) -> None:
    window = {"from": first.isoformat(), "to": (first + timedelta(days=days)).isoformat(), "dimension": "month"}
    plain = get(client, seed, "conversations.messages", **window)
    for group in ("source", "storyId"):
        split = get(client, seed, "conversations.messages", group=group, **window)
        assert split["summary"]["total"] == plain["summary"]["total"]


# --- Figures -----------------------------------------------------------------------------------


@CHECK
@given(seed=SEEDS, first=DAYS, days=st.integers(0, 40), hourly=st.booleans(), data=st.data())
def test_paid_never_exceeds_conversations_and_avg_is_messages_per_conversation(
    client: TestClient, seed: int, first: date, days: int, hourly: bool, data: Any
) -> None:
    params = {
        "from": first.isoformat(),
        "to": (first + timedelta(days=min(days, 4) if hourly else days)).isoformat(),
        "dimension": "hour" if hourly else "day",
        **data.draw(selections(seed)),
    }
    conversations, paid, messages, average = (
        get(client, seed, report, **params)["data"]
        for report in ("conversations", "conversations.paid", "conversations.messages", "conversations.avg")
    )
    assert len(conversations) == len(paid) == len(messages) == len(average)
    for c, p, m, a in zip(conversations, paid, messages, average):
        assert c["date"] == p["date"] == m["date"] == a["date"]
        assert 0 <= p["value"] <= c["value"]
        assert a["value"] == (round(m["value"] / c["value"], 2) if c["value"] else 0)
        assert 2 * c["value"] <= m["value"] <= 13 * c["value"]
    body = get(client, seed, "conversations.avg", **params)
    assert body["summary"] == summary_of([p["value"] for p in body["data"]], decimals=True)


# --- Heatmap -----------------------------------------------------------------------------------


@CHECK
@given(
    seed=SEEDS,
    first=DAYS,
    days=st.integers(0, 60),
    offset=st.integers(-720, 720) | st.sampled_from([0, 60, -300, 330, 720]),
    source=st.sampled_from([None, *SOURCES]),
    story=st.booleans(),
)
def test_the_heatmap_is_7_by_24_and_adds_up_to_the_conversations_of_the_range(
    client: TestClient, seed: int, first: date, days: int, offset: int, source: str | None, story: bool
) -> None:
    params: dict[str, Any] = {"from": first.isoformat(), "to": (first + timedelta(days=days)).isoformat()}
    if source:
        params["source"] = source
    if story:
        params["storyId"] = stories_of(seed)[seed % len(stories_of(seed))]
    heatmap = get(client, seed, "conversations.heatmap", offset=offset, **params)
    assert [len(row) for row in heatmap] == [24] * 7
    assert all(cell["day"] == d and cell["hour"] == h for d, row in enumerate(heatmap) for h, cell in enumerate(row))
    total = get(client, seed, "conversations", **params)["summary"]["total"]
    assert sum(cell["value"] for row in heatmap for cell in row) == total
    busiest = max(cell["value"] for row in heatmap for cell in row)
    for row in heatmap:
        for cell in row:
            assert cell["usage"] == (round(100 * cell["value"] / busiest, 2) if busiest else 0)


@FEW
@given(seed=SEEDS, first=DAYS, days=st.integers(0, 30), hours=st.integers(-12, 12))
def test_a_whole_hour_offset_turns_the_heatmap_by_that_many_hours(
    client: TestClient, seed: int, first: date, days: int, hours: int
) -> None:
    params = {"from": first.isoformat(), "to": (first + timedelta(days=days)).isoformat()}
    utc = [cell["value"] for row in get(client, seed, "conversations.heatmap", **params) for cell in row]
    local = [cell["value"] for row in get(client, seed, "conversations.heatmap", offset=60 * hours, **params) for cell in row]
    assert local == [utc[(i - hours) % 168] for i in range(168)]


def test_the_heatmap_reads_weekdays_from_sunday(client: TestClient) -> None:
    # 2025-05-25 is a Sunday: its conversations land in row 0, and with offset -60 its first hour moves to Saturday.
    heatmap = get(client, 0, "conversations.heatmap", **{"from": "2025-05-25", "to": "2025-05-25"})
    assert sum(c["value"] for c in heatmap[0]) > 0 and all(c["value"] == 0 for row in heatmap[1:] for c in row)
    shifted = get(client, 0, "conversations.heatmap", offset=-60, **{"from": "2025-05-25", "to": "2025-05-25"})
    assert shifted[6][23]["value"] == heatmap[0][0]["value"]


# --- Interactions ------------------------------------------------------------------------------


@CHECK
@given(seed=SEEDS, first=DAYS, days=st.integers(0, 90), one=st.booleans())
def test_interactions_share_100_percent_and_follow_the_conversations(
    client: TestClient, seed: int, first: date, days: int, one: bool
) -> None:
    window = {"from": first.isoformat(), "to": (first + timedelta(days=days)).isoformat()}
    story = stories_of(seed)[0]
    filters = {"storyId": story.upper()} if one else {}
    rows = get(client, seed, "conversations.interactions", **window, **filters)
    assert math.isclose(sum(r["usage"] for r in rows), 100, abs_tol=0.001) or all(r["usage"] == 0 for r in rows)
    assert [r["value"] for r in rows] == sorted((r["value"] for r in rows), reverse=True)
    counts = get(client, seed, "conversations", **window, **filters)["summary"]["total"]
    assert sum(r["value"] for r in rows if r.get("type") == "welcome") == counts
    messages = get(
        client,
        seed,
        "conversations.messages",
        group="storyId",
        dimension="year",
        **window,
        **({"storyId": [story]} if one else {}),
    )["data"]
    per_story: dict[str, int] = defaultdict(int)
    for point in messages:
        per_story[point["storyId"]] += point["value"]
    assert sum(r["value"] for r in rows if r.get("type") != "welcome") == sum(v // 2 for v in per_story.values())
    # Rows a client can tell apart: each regular row has its id, each context fallback its
    # parentId, and the system rows (no id) appear once each, as in the vendor's example.
    keys = [r.get("id") or f"{r['type']}:{r.get('parentId', '')}" for r in rows]
    assert len(keys) == len(set(keys))
    assert [r["type"] for r in rows if "id" not in r and "parentId" not in r].count("welcome") == 1
    assert [r["type"] for r in rows if "id" not in r and "parentId" not in r].count("fallback") == 1
    assert all("type" not in r for r in rows if "id" in r)
    if not one:  # the unfiltered list is the union of the per-story lists, system rows summed
        singles = [get(client, seed, "conversations.interactions", storyId=s, **window) for s in stories_of(seed)]
        for kind in ("welcome", "fallback"):
            total = sum(r["value"] for single in singles for r in single if r.get("type") == kind)
            assert next(r["value"] for r in rows if r.get("type") == kind) == total
        regular = {r["id"]: r["value"] for single in singles for r in single if "id" in r}
        assert {r["id"]: r["value"] for r in rows if "id" in r} == regular


# --- Requests and answers ----------------------------------------------------------------------


@FEW
@given(
    seed=SEEDS,
    other=SEEDS,
    first=st.dates(date(2024, 1, 1), date(2025, 5, 1)),
    days=st.integers(0, 30),
    report=st.sampled_from([*COUNTS, "conversations.avg", "conversations.heatmap", "conversations.interactions"]),
)
def test_the_same_request_gives_the_same_bytes_and_another_seed_other_numbers(
    client: TestClient, seed: int, other: int, first: date, days: int, report: str
) -> None:
    params = {"from": first.isoformat(), "to": (first + timedelta(days=days)).isoformat()}
    before = fetch(client, seed, report, params).content
    for noise in ("conversations", "conversations.heatmap", "conversations.avg"):
        fetch(
            client,
            other,
            noise,
            {"from": "2023-01-01", "to": "2023-03-01", "group": "storyId"} if noise != "conversations.heatmap" else {},
        )
        fetch(client, seed, noise, {"period": "thisYear"})
    assert fetch(client, seed, report, params).content == before
    if other != seed:
        assert fetch(client, other, report, params).content != before


def test_the_vendors_date_forms_and_story_ids_in_either_case(client: TestClient) -> None:
    story = stories_of(5)[1]

    def body(**params: Any) -> bytes:
        return fetch(client, 5, "conversations", params).content

    assert body(**{"from": "2025-3-7", "to": "2025-3-9"}) == body(**{"from": "2025-03-07", "to": "2025-03-09T23:59:59.999Z"})
    assert body(to="2025-05-31") == body(**{"from": "1974-1-1", "to": "2025-05-31"})
    assert body(to="2025-05-31", dimension="year")[:60].startswith(b'{"data":[{"date":"1974-01-01T00:00:00.000Z","value":0}')
    assert body(storyId=story.upper(), period="lastMonth") == body(storyId=story, period="lastMonth")
    upper = get(client, 5, "conversations", group="storyId", storyId=[story.upper(), story], period="today")
    assert {p["storyId"] for p in upper["data"]} == {story}


@pytest.mark.parametrize("value", ["2025-2-29", "2025-13-1", "2025-1-32", "25-1-1", "2025-01-1T00:00:00Z", "2025/1/1"])
def test_dates_that_are_no_calendar_day_are_a_400(client: TestClient, value: str) -> None:
    response = client.get("/chatbotcom/reports/conversations", params={"from": value}, headers=AUTH["chatbotcom"])
    assert response.status_code == 400 and "'from'" in response.text


@FEW
@given(
    seed=SEEDS,
    years=st.integers(0, 40),
    dimension=st.sampled_from(["hour", "day", "month"]),
    group=st.sampled_from([None, "source", "storyId"]),
    named=st.integers(0, 9),
)
def test_the_size_limit_counts_the_points_the_answer_would_hold(
    client: TestClient, seed: int, years: int, dimension: str, group: str | None, named: int
) -> None:
    start = datetime(2025 - years, 3, 1, tzinfo=UTC)
    end = datetime(2025, 5, 31, 23, 59, 59, 999000, tzinfo=UTC)
    params: dict[str, Any] = {"from": iso(start), "to": iso(end), "dimension": dimension}
    keys = 1
    if group:
        params["group"] = group
        if named:
            params[group] = (SOURCES * 2)[:named] if group == "source" else [f"{i:024x}" for i in range(named)]
            keys = min(named, 7) if group == "source" else named
        else:
            keys = 7 if group == "source" else len(stories_of(seed))
    points = len(bucket_starts(start, end, dimension)) if dimension != "hour" else ((end - start) // timedelta(hours=1) + 1)
    response = client.get(
        "/chatbotcom/reports/conversations", params=params, headers={**AUTH["chatbotcom"], "Prefer": f"seed={seed}"}
    )
    if points * keys > 50_000:
        assert response.status_code == 400
        assert f"would hold {points * keys} points" in response.text and "limit is 50000" in response.text
    else:
        assert response.status_code == 200, response.text
        assert len(response.json()["data"]) == points * keys


def test_the_worlds_entities_are_the_stories_and_sources_the_reports_use(client: TestClient) -> None:
    world = WORLD.entities(11)
    assert world["sources"] == SOURCES and 4 <= len(world["stories"]) <= 7
    assert all(re.fullmatch("[0-9a-f]{24}", s["id"]) and s["name"] for s in world["stories"])
    split = get(client, 11, "conversations", group="storyId", period="today")
    assert {p["storyId"] for p in split["data"]} == {s["id"] for s in world["stories"]}
    assert "2022-01-01" <= world["license"]["created"] <= "2023-12-31"


# --- Data model 2: the hours a range or now cuts ---------------------------------------------------

V2 = settings(
    max_examples=int(os.environ.get("MOCKSERVER_WORLD_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
EARLY = datetime(2024, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)
INSTANTS = st.one_of(
    st.integers(0, int((NOW + timedelta(days=2) - EARLY) / MS)),
    st.integers(int((NOW - timedelta(days=1) - EARLY) / MS), int((NOW + timedelta(days=1) - EARLY) / MS)),
)


def total(client: TestClient, seed: int, start: datetime, end: datetime, **filters: Any) -> int:
    window = {"from": iso_ms(start), "to": iso_ms(end), "dimension": "day"}
    return get(client, seed, "conversations", **window, **filters)["summary"]["total"]  # type: ignore[no-any-return]


def iso_ms(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@V2
@given(
    seed=SEEDS,
    first=INSTANTS,
    left=st.integers(1, 3 * 86_400_000),
    right=st.integers(0, 3 * 86_400_000),
    source=st.sampled_from([None, *SOURCES]),
)
def test_a_range_split_at_any_millisecond_adds_up_to_the_whole(
    client: TestClient, seed: int, first: int, left: int, right: int, source: str | None
) -> None:
    start, middle, end = EARLY + first * MS, EARLY + (first + left) * MS, EARLY + (first + left + right) * MS
    filters = {"source": source} if source else {}
    whole = total(client, seed, start, end, **filters)
    assert whole == total(client, seed, start, middle - MS, **filters) + total(client, seed, middle, end, **filters)
    if not source:  # the sources add up to the whole in a cut hour too
        assert whole == sum(total(client, seed, start, end, source=s) for s in SOURCES)
    heatmap = get(client, seed, "conversations.heatmap", **{"from": iso_ms(start), "to": iso_ms(end)}, **filters)
    assert sum(cell["value"] for row in heatmap for cell in row) == whole


@V2
@given(seed=SEEDS, before=st.integers(0, 2 * 86_400_000), after=st.integers(0, 2 * 86_400_000))
def test_figures_count_up_to_the_instant_now(client: TestClient, seed: int, before: int, after: int) -> None:
    start = NOW - before * MS
    assert total(client, seed, start, NOW + after * MS) == total(client, seed, start, NOW)
    assert total(client, seed, NOW + MS, NOW + (after + 1) * MS) == 0
    # The tests' clock is the first millisecond of an hour: of that hour, only what started then.
    assert (
        total(client, seed, NOW - timedelta(minutes=5), NOW + timedelta(hours=1))
        <= total(client, seed, NOW - timedelta(minutes=5), NOW - MS) + 2
    )
    half = NOW - timedelta(minutes=30)  # what started in the last half hour, to the millisecond
    assert total(client, seed, half, NOW) == total(client, seed, half, NOW - MS) + total(client, seed, NOW, NOW)
