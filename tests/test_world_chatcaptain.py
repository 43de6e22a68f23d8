"""ChatCaptain's world: the guarantees docs/data-model.md and specs/chatcaptain.yaml give, checked
through HTTP over random seeds (``Prefer: seed=``), chatbot ids and timeframes, including
timeframes that reach before a channel existed, past its deactivation and past the server's clock.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.profiles.chatcaptain.channels import channels_of
from mockserver.profiles.chatcaptain.days import channel_day, channel_detail, channel_hours
from tests.cases import AUTH
from tests.conftest import HOST, NOW, app_for

CHECK = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEEDS = st.integers(min_value=0, max_value=2**63 - 1)
# Any text that is one path segment: no '/', '\', control characters or surrogates, not '.' or '..'.
CHATBOTS = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="/\\"), min_size=1, max_size=24
).filter(lambda s: s not in (".", ".."))
INTERVALS = st.sampled_from([86400, 3600])
# Channels are created in 2022-2023 and the tests' clock is 2025-06-01T12:00Z: timeframes start
# anywhere from late 2021 to a month past the clock, at any millisecond.
EARLIEST = datetime(2021, 10, 1, tzinfo=timezone.utc)
LATEST = NOW + timedelta(days=30)
MS = timedelta(milliseconds=1)
VOICE = {"voice", "audiocodes"}

OVERVIEW_OF = {  # overview component -> the channel component it sums (ids in the vendor's numbering)
    "STEP_EXEC_COUNT": "STEP_EXEC_COUNT_FOR_CHANNEL_ID",
    "CONVERSATION_COUNT": "CONVERSATION_COUNT_FOR_CHANNEL_ID",
    "CONVERSATION_COUNT_INTERVAL": "CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID",
    "CONVERSATION_LANGUAGES": "CONVERSATION_LANGUAGES_FOR_CHANNEL_ID",
    "MESSAGE_COUNT": "MESSAGE_COUNT_FOR_CHANNEL_ID",
    "MESSAGE_COUNT_INTERVAL": "MESSAGE_COUNT_INTERVAL_FOR_CHANNEL_ID",
    "INTENT_HITS": "INTENT_HITS_FOR_CHANNEL_ID",
    "INTERACTION_COUNT": "INTERACTION_COUNT_FOR_CHANNEL_ID",
    "INTERACTION_COUNT_INTERVAL": "INTERACTION_COUNT_INTERVAL_FOR_CHANNEL_ID",
}
SERIES_OF = {
    "CONVERSATION_COUNT_INTERVAL": "CONVERSATION_COUNT",
    "MESSAGE_COUNT_INTERVAL": "MESSAGE_COUNT",
    "INTERACTION_COUNT_INTERVAL": "INTERACTION_COUNT",
}
# Median component -> (smallest, largest) value an item can have.
MEDIAN_BOUNDS = {
    "CONVERSATION_MESSAGE_COUNT_MEDIAN_FOR_CHANNEL_ID": ("median", 1, 40),
    "MESSAGE_LENGTH_MEDIAN_FOR_CHANNEL_ID": ("median", 2, 398),
    "INTENT_SCORE_MEDIAN_FOR_CHANNEL_ID": ("median", 0.3, 1.0),
    "CALL_DURATION_MEDIAN": ("medianSeconds", 10, 1200),
    "CALL_USER_INPUTS_MEDIAN": ("median", 0, 20),
}


@cache
def client() -> TestClient:
    return TestClient(app_for(), base_url=HOST)


@cache
def fresh() -> TestClient:
    """Another app with the same settings (as another worker would be)."""
    return TestClient(create_app(Settings(seed=0, now=NOW)), base_url=HOST)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def base(chatbot: str) -> str:
    return f"/chatcaptain/v1/chatbots/{quote(chatbot, safe='')}/statistics"


def call(seed: int, path: str, method: str = "GET", http: Any = None, **params: Any) -> httpx.Response:
    headers = {**AUTH["chatcaptain"], "Prefer": f"seed={seed}"}
    return (http or client()).request(method, path, params=params, headers=headers)


def ok(seed: int, path: str, **params: Any) -> Any:
    response = call(seed, path, **params)
    assert response.status_code == 200, response.text
    return response.json()


def channels(seed: int, chatbot: str) -> list[dict[str, Any]]:
    return ok(seed, f"{base(chatbot)}/channels")["data"]


def window(start: datetime, end: datetime, interval: int | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"from": iso(start), "to": iso(end)}
    return found if interval is None else {**found, "interval": interval}


def overview(seed: int, chatbot: str, start: datetime, end: datetime, interval: int, components: str) -> dict[str, Any]:
    return ok(seed, f"{base(chatbot)}/reports/overview", components=components, **window(start, end, interval))["components"]


def report(
    seed: int, chatbot: str, channel: str, start: datetime, end: datetime, interval: int, components: str
) -> dict[str, Any]:
    return ok(seed, f"{base(chatbot)}/reports/channel", channelId=channel, components=components, **window(start, end, interval))[
        "components"
    ]


@st.composite
def timeframes(draw: st.DrawFn, anchors: list[datetime] | None = None, interval: int = 86400) -> tuple[datetime, datetime]:
    """[start, end], up to 100 days long for daily series and 4 days for hourly ones, at any
    millisecond: around one of ``anchors`` (a channel's creation, its deactivation, now), or
    anywhere from before the first channel to past the clock."""
    length = draw(st.integers(0, (100 if interval == 86400 else 4) * 86_400_000))
    if anchors and draw(st.booleans()):  # the anchor anywhere inside, or up to an hour outside
        start = draw(st.sampled_from(anchors)) - timedelta(milliseconds=draw(st.integers(-3_600_000, length + 3_600_000)))
    else:
        start = EARLIEST + timedelta(milliseconds=draw(st.integers(0, int((LATEST - EARLIEST) / MS))))
    return start, start + timedelta(milliseconds=length)


def anchors_of(listed: list[dict[str, Any]]) -> list[datetime]:
    return [NOW] + [parse(c["created"]) for c in listed] + [parse(c["updated"]) for c in listed if c["status"] == "inactive"]


def check_series(points: list[dict[str, Any]], start: datetime, end: datetime, interval: int) -> None:
    """One point per interval from ``start`` (at ms precision) up to ``end``, without gaps."""
    width = timedelta(seconds=interval)
    assert len(points) == (end - start) // width + 1
    assert [p["date"] for p in points] == [iso(start + i * width) for i in range(len(points))]
    assert all(isinstance(p["value"], int) and p["value"] >= 0 for p in points)


def merged(rows: list[dict[str, Any]], key: str, value: str) -> dict[str, int]:
    return {row[key]: row[value] for row in rows}


# --- the overview is the sum of the channel reports ------------------------------------------------


@CHECK
@given(seed=SEEDS, chatbot=CHATBOTS, interval=INTERVALS, data=st.data())
def test_overview_is_the_sum_of_the_channel_reports(seed: int, chatbot: str, interval: int, data: st.DataObject) -> None:
    listed = channels(seed, chatbot)
    assert 2 <= len(listed) <= 5 and [c["created"] for c in listed] == sorted(c["created"] for c in listed)
    start, end = data.draw(timeframes(anchors_of(listed), interval))
    whole = overview(seed, chatbot, start, end, interval, "0,1,2,3,4,7,8,11,14,15")
    expected: dict[str, Any] = {name: 0 for name in ("CONVERSATION_COUNT", "MESSAGE_COUNT", "INTERACTION_COUNT")}
    steps: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    series: dict[str, list[int]] = {}
    step_total = call_seconds = 0
    for channel in listed:
        part = report(seed, chatbot, channel["id"], start, end, interval, "0,1,2,4,7,9,10,12,13,16")
        for name in expected:
            expected[name] += part[OVERVIEW_OF[name]]["total"]
        step_total += part["STEP_EXEC_COUNT_FOR_CHANNEL_ID"]["total"]
        steps.update(merged(part["STEP_EXEC_COUNT_FOR_CHANNEL_ID"]["steps"], "stepName", "count"))
        languages.update(merged(part["CONVERSATION_LANGUAGES_FOR_CHANNEL_ID"], "language", "count"))
        intents.update(merged(part["INTENT_HITS_FOR_CHANNEL_ID"], "intent", "hits"))
        by_type[channel["type"]] += part["CONVERSATION_COUNT_FOR_CHANNEL_ID"]["total"]
        seconds = part["CALL_DURATION_TOTAL"]["totalSeconds"]
        assert seconds == 0 or channel["type"] in VOICE
        call_seconds += seconds
        for name, count in SERIES_OF.items():
            points = part[OVERVIEW_OF[name]]["series"]
            check_series(points, start, end, interval)
            assert sum(p["value"] for p in points) == part[OVERVIEW_OF[count]]["total"]
            series[name] = [a + b["value"] for a, b in zip(series.get(name, [0] * len(points)), points)]
    for name, value in expected.items():
        assert whole[name]["total"] == value, name
    assert whole["STEP_EXEC_COUNT"]["total"] == step_total == sum(steps.values())
    assert merged(whole["STEP_EXEC_COUNT"]["steps"], "stepName", "count") == dict(+steps)
    assert merged(whole["CONVERSATION_LANGUAGES"], "language", "count") == dict(+languages)
    assert merged(whole["INTENT_HITS"], "intent", "hits") == dict(+intents)
    assert merged(whole["CONVERSATION_BY_CHANNEL_TYPE"], "channelType", "count") == dict(+by_type)
    assert sum(by_type.values()) == whole["CONVERSATION_COUNT"]["total"]
    assert sum(languages.values()) == whole["CONVERSATION_COUNT"]["total"]
    for name, count in SERIES_OF.items():
        points = whole[name]["series"]
        check_series(points, start, end, interval)
        assert [p["value"] for p in points] == series[name], name  # point by point, not only in total
        assert sum(series[name]) == whole[count]["total"]
    for rows in (whole["CONVERSATION_LANGUAGES"], whole["INTENT_HITS"], whole["CONVERSATION_BY_CHANNEL_TYPE"]):
        counts = [row.get("count", row.get("hits")) for row in rows]
        assert counts == sorted(counts, reverse=True) and all(c >= 1 for c in counts)
    if end < parse(listed[0]["created"]) - timedelta(hours=1) or start >= NOW:
        assert whole["CONVERSATION_COUNT"]["total"] == 0  # before every channel, or after now


# --- periodic trends ----------------------------------------------------------------------------------


@CHECK
@given(seed=SEEDS, chatbot=CHATBOTS, interval=INTERVALS, data=st.data())
def test_a_trend_compares_with_the_equally_long_period_just_before(
    seed: int, chatbot: str, interval: int, data: st.DataObject
) -> None:
    listed = channels(seed, chatbot)
    start, end = data.draw(timeframes(anchors_of(listed), interval))
    now = overview(seed, chatbot, start, end, interval, "1,5,7,9,14,16")
    before_from, before_to = None, None
    for trend, count in (
        ("CONVERSATION_COUNT_PERIODIC_TREND", "CONVERSATION_COUNT"),
        ("MESSAGE_COUNT_PERIODIC_TREND", "MESSAGE_COUNT"),
        ("INTERACTION_COUNT_PERIODIC_TREND", "INTERACTION_COUNT"),
    ):
        found = now[trend]
        assert found["current"] == now[count]["total"]
        before_from, before_to = parse(found["previousFrom"]), parse(found["previousTo"])
        assert before_to == start - MS and before_to - before_from == end - start
        if found["previous"]:
            assert found["changePercent"] == round((found["current"] - found["previous"]) / found["previous"] * 100, 2)
        else:
            assert found["changePercent"] is None
    assert before_from is not None and before_to is not None
    then = overview(seed, chatbot, before_from, before_to, interval, "1,7,14")
    for trend, count in (
        ("CONVERSATION_COUNT_PERIODIC_TREND", "CONVERSATION_COUNT"),
        ("MESSAGE_COUNT_PERIODIC_TREND", "MESSAGE_COUNT"),
        ("INTERACTION_COUNT_PERIODIC_TREND", "INTERACTION_COUNT"),
    ):
        assert now[trend]["previous"] == then[count]["total"], trend
    voice = [c for c in listed if c["type"] in VOICE]
    channel = data.draw(st.sampled_from(voice or listed))
    calls = report(seed, chatbot, channel["id"], start, end, interval, "16,17")
    earlier = report(seed, chatbot, channel["id"], before_from, before_to, interval, "16")
    assert calls["CALL_DURATION_PERIODIC_TREND"]["current"] == calls["CALL_DURATION_TOTAL"]["totalSeconds"]
    assert calls["CALL_DURATION_PERIODIC_TREND"]["previous"] == earlier["CALL_DURATION_TOTAL"]["totalSeconds"]


# --- medians and call components ------------------------------------------------------------------------


@CHECK
@given(seed=SEEDS, chatbot=CHATBOTS, data=st.data())
def test_medians_are_floats_inside_their_bins_and_calls_only_happen_on_voice_channels(
    seed: int, chatbot: str, data: st.DataObject
) -> None:
    listed = channels(seed, chatbot)
    channel = data.draw(st.sampled_from(listed))
    start, end = data.draw(timeframes(anchors_of([channel])))
    found = report(seed, chatbot, channel["id"], start, end, 86400, ",".join(map(str, range(23))))
    counted = {
        "CONVERSATION_MESSAGE_COUNT_MEDIAN_FOR_CHANNEL_ID": found["CONVERSATION_COUNT_FOR_CHANNEL_ID"]["total"],
        "MESSAGE_LENGTH_MEDIAN_FOR_CHANNEL_ID": found["MESSAGE_COUNT_FOR_CHANNEL_ID"]["total"],
        "INTENT_SCORE_MEDIAN_FOR_CHANNEL_ID": sum(r["hits"] for r in found["INTENT_HITS_FOR_CHANNEL_ID"]),
    }
    voice = channel["type"] in VOICE
    calls = found["CONVERSATION_COUNT_FOR_CHANNEL_ID"]["total"] if voice else 0
    counted["CALL_DURATION_MEDIAN"] = counted["CALL_USER_INPUTS_MEDIAN"] = calls
    for name, (field, low, high) in MEDIAN_BOUNDS.items():
        value = found[name][field]
        if counted[name] == 0:
            assert value is None, name
            continue
        assert isinstance(value, float), f"{name}: {value!r} is not a JSON float"
        assert low <= value <= high, name
        if name != "INTENT_SCORE_MEDIAN_FOR_CHANNEL_ID":
            assert (value * 2).is_integer(), name
    intents = found["INTENT_HITS_FOR_CHANNEL_ID"]
    assert found["INTENT_COUNT_FOR_CHANNEL_ID"]["total"] == len(intents)
    reasons = merged(found["CALL_END_REASON"], "reason", "count")
    if not voice:
        assert found["CALL_DURATION_TOTAL"]["totalSeconds"] == 0
        assert found["CALL_DURATION_PERIODIC_TREND"]["current"] == found["CALL_DURATION_PERIODIC_TREND"]["previous"] == 0
        assert found["CALL_EXIT_STEP"] == found["CALL_END_REASON"] == found["CALL_TRANSFER_TARGET"] == []
    else:  # every call ends once, for one reason, at one step; transfers go to one target each
        assert sum(reasons.values()) == sum(s["count"] for s in found["CALL_EXIT_STEP"]) == calls
        assert sum(t["count"] for t in found["CALL_TRANSFER_TARGET"]) == reasons.get("transfer", 0)
        duration = found["CALL_DURATION_TOTAL"]["totalSeconds"]
        assert (duration == 0) == (calls == 0) and 5 * calls <= duration <= 1200 * calls


# --- channels: unknown ids, creation and deactivation -----------------------------------------------------


@CHECK
@given(seed=SEEDS, chatbot=CHATBOTS, other=st.text(min_size=1, max_size=30))
def test_a_channel_that_is_not_listed_is_404(seed: int, chatbot: str, other: str) -> None:
    listed = {c["id"] for c in channels(seed, chatbot)}
    assume(other not in listed)
    for channel in (other, *(c["id"] for c in channels(seed, chatbot + "-other"))):
        if channel in listed:
            continue
        response = call(
            seed,
            f"{base(chatbot)}/reports/channel",
            channelId=channel,
            interval=86400,
            components="1",
            **window(NOW - timedelta(days=7), NOW),
        )
        assert response.status_code == 404, response.text
        body = response.json()
        assert body["statusCode"] == 404 and body["error"] == "Not Found" and "Channel" in body["message"]


def a_chatbot_with_an_inactive_channel(seed: int, prefix: str) -> tuple[str, dict[str, Any]]:
    for i in range(200):
        chatbot = f"{prefix}{i}"
        for channel in channels(seed, chatbot):
            if channel["status"] == "inactive":
                return chatbot, channel
    raise AssertionError("no chatbot with an inactive channel among 200")


@CHECK
@given(seed=SEEDS, prefix=CHATBOTS, interval=INTERVALS, data=st.data())
def test_a_channel_counts_nothing_before_its_creation_or_after_its_deactivation(
    seed: int, prefix: str, interval: int, data: st.DataObject
) -> None:
    chatbot, channel = a_chatbot_with_an_inactive_channel(seed, prefix)
    created, stopped = parse(channel["created"]), parse(channel["updated"])
    assert channel["type"] in {"web", "meta-whatsapp", "facebook", "voice", "telegram", "email", "audiocodes", "brevo"}
    assert ("number" in channel) == (channel["type"] in VOICE)
    start, end = data.draw(timeframes([created, stopped], interval))
    found = report(seed, chatbot, channel["id"], start, end, interval, "1,2,12,13")
    for name in ("CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID", "MESSAGE_COUNT_INTERVAL_FOR_CHANNEL_ID"):
        points = found[name]["series"]
        check_series(points, start, end, interval)
        width = timedelta(seconds=interval)
        for i, point in enumerate(points):
            # A bucket holds the hours that start in it (the first one also the hour that began
            # before 'from'); a channel serves the hours that end after its creation and start
            # before its deactivation.
            first_hour = hour_of(start) if i == 0 else start + i * width
            if start + (i + 1) * width <= hour_of(created) or first_hour >= stopped:
                assert point["value"] == 0, (name, point, channel)
    later = hour_of(stopped) + timedelta(hours=1)
    after = report(seed, chatbot, channel["id"], later, later + timedelta(days=data.draw(st.integers(0, 400))), 86400, "1,12,9")
    earlier = hour_of(created) - MS
    before = report(seed, chatbot, channel["id"], earlier - timedelta(days=30), earlier, 3600, "1,12,9")
    for nothing in (after, before):
        assert [nothing[name]["total"] for name in sorted(nothing)] == [0, 0, 0]


# --- errors ---------------------------------------------------------------------------------------------


@CHECK
@given(seed=SEEDS, chatbot=CHATBOTS, data=st.data())
def test_to_before_from_is_a_400_naming_both_for_every_operation_with_a_timeframe(
    seed: int, chatbot: str, data: st.DataObject
) -> None:
    start, end = data.draw(timeframes())
    assume(end > start)
    reversed_ = {"from": iso(end), "to": iso(start)}
    channel = channels(seed, chatbot)[0]["id"]
    for method, path, params in (
        ("GET", "/reports/overview", {"interval": 86400, "components": "1,5"}),
        ("GET", "/reports/channel", {"interval": 3600, "components": "2,3", "channelId": channel}),
        ("GET", "/inbox", {}),
        ("POST", "/export", {}),
    ):
        response = call(seed, base(chatbot) + path, method, **params, **reversed_)
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert set(body) == {"statusCode", "message", "error"} and body["statusCode"] == 400 and body["error"] == "Bad Request"
        assert "'to'" in body["message"] and "'from'" in body["message"], body


def test_a_series_of_more_than_50000_points_is_a_400_but_decades_by_day_are_answered() -> None:
    chatbot = base("6790b2f1c2a4e5d3f8a1b234")
    hourly = call(
        0,
        f"{chatbot}/reports/overview",
        interval=3600,
        components="2",
        **window(datetime(2019, 1, 1, tzinfo=timezone.utc), datetime(2025, 1, 1, tzinfo=timezone.utc)),
    )
    assert hourly.status_code == 400 and "limit is 50000" in hourly.json()["message"]
    export = call(0, f"{chatbot}/export", "POST", **{"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59.999Z"})
    assert export.status_code == 400 and "limit is 50000" in export.json()["message"]
    start, end = datetime(1990, 1, 1, tzinfo=timezone.utc), datetime(2030, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)
    daily = overview(0, "6790b2f1c2a4e5d3f8a1b234", start, end, 86400, "1,2")
    points = daily["CONVERSATION_COUNT_INTERVAL"]["series"]
    check_series(points, start, end, 86400)
    assert sum(p["value"] for p in points) == daily["CONVERSATION_COUNT"]["total"] > 0
    assert all(p["value"] == 0 for p in points if p["date"] < "2020-06-01" or p["date"] > iso(NOW))


def test_a_body_over_the_limit_is_a_413_in_the_nestjs_shape() -> None:
    response = client().post(
        f"{base('b')}/export",
        params=window(NOW - timedelta(days=1), NOW),
        headers={**AUTH["chatcaptain"], "content-type": "application/json"},
        content=b"x" * (2**20 + 1),
    )
    assert response.status_code == 413
    assert response.json() == {"statusCode": 413, "message": response.json()["message"], "error": "Payload Too Large"}


# --- determinism ----------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS, chatbot=CHATBOTS, interval=INTERVALS, others=st.lists(CHATBOTS, min_size=1, max_size=3), data=st.data())
def test_the_same_request_gives_the_same_bytes_and_another_seed_other_numbers(
    seed: int, chatbot: str, interval: int, others: list[str], data: st.DataObject
) -> None:
    start, end = data.draw(timeframes([NOW], interval))
    params = {"components": ",".join(map(str, range(17))), **window(start, end, interval)}
    path = f"{base(chatbot)}/reports/overview"
    first = call(seed, path, **params).content
    for other in others:  # other chatbots, other ranges, other seeds in between
        other_start, other_end = data.draw(timeframes([NOW], interval))
        call(seed ^ 1, f"{base(other)}/reports/overview", **{**params, **window(other_start, other_end, interval)})
        call(seed, f"{base(other)}/reports/channel", channelId=channels(seed, other)[-1]["id"], **params)
    assert call(seed, path, **params).content == first
    for cached in (channels_of, channel_day, channel_detail, channel_hours):
        cached.cache_clear()  # nothing remembered from the requests above
    assert call(seed, path, http=fresh(), **params).content == first
    # Another seed: other channels, other numbers (a month up to now always has traffic).
    month = window(NOW - timedelta(days=30), NOW, 86400)
    one = call(seed, path, components="1,2", **month).json()["components"]
    two = call(seed + 1 if seed < 2**63 - 1 else 0, path, components="1,2", **month).json()["components"]
    assert one != two and channels(seed, chatbot) != channels(seed + 1 if seed < 2**63 - 1 else 0, chatbot)


# --- the export file and the fixed entities -------------------------------------------------------------------


@pytest.fixture
def jobs_client() -> Iterator[TestClient]:
    with TestClient(app_for(), base_url=HOST) as test_client:
        yield test_client


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=SEEDS, chatbot=CHATBOTS, data=st.data())
def test_the_export_file_holds_the_daily_series_of_every_channel(
    jobs_client: TestClient, seed: int, chatbot: str, data: st.DataObject
) -> None:
    listed = channels(seed, chatbot)
    start, end = data.draw(timeframes(anchors_of(listed)))
    headers = {**AUTH["chatcaptain"], "Prefer": f"seed={seed}, job-duration=0"}
    created = jobs_client.post(f"{base(chatbot)}/export", params=window(start, end), headers=headers)
    assert created.status_code == 202, created.text
    status = jobs_client.get(created.headers["location"], headers=headers).json()
    assert status["status"] == "completed"
    rows = list(csv.DictReader(io.StringIO(jobs_client.get(status["downloadUrl"]).text)))
    for channel in listed:
        points = report(seed, chatbot, channel["id"], start, end, 86400, "2")["CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID"][
            "series"
        ]
        mine = [(r["date"], int(r["conversations"])) for r in rows if r["channelId"] == channel["id"]]
        assert mine == [(p["date"], p["value"]) for p in points]


@given(seed=SEEDS)
@settings(max_examples=10, deadline=None)
def test_entities_list_the_fixed_names_and_an_example_chatbot(seed: int) -> None:
    world = app_for().vendors["chatcaptain"].profile.entities(seed)
    example = world["example"]
    assert example["channels"] == channels(seed, example["chatbotId"])
    assert set(world["voiceChannelTypes"]) <= set(world["channelTypes"])
    assert {c["type"] for c in example["channels"]} <= set(world["channelTypes"])
    assert len(world["steps"]) == len(set(s["stepId"] for s in world["steps"]))


# --- data model 2: conversations at instants -------------------------------------------------------

V2 = settings(max_examples=int(os.environ.get("MOCKSERVER_WORLD_EXAMPLES", "50")), deadline=None)
# Overview components (the vendor's numbering) whose totals add up over any split of a range.
ADDITIVE_COMPONENTS = {"0": "STEP_EXEC_COUNT", "1": "CONVERSATION_COUNT", "7": "MESSAGE_COUNT", "14": "INTERACTION_COUNT"}
# From 2024 every chatbot's channels exist; most ranges fall there, some around the clock.
RECENT = st.integers(int((datetime(2024, 1, 1, tzinfo=timezone.utc) - EARLIEST) / MS), int((LATEST - EARLIEST) / MS))
NEAR_NOW = st.integers(int((NOW - timedelta(days=2) - EARLIEST) / MS), int((NOW + timedelta(days=1) - EARLIEST) / MS))
INSTANTS = st.one_of(RECENT, NEAR_NOW, st.integers(0, int((LATEST - EARLIEST) / MS)))


def at(ms: int) -> datetime:
    return EARLIEST + ms * MS


def totals(seed: int, chatbot: str, start: datetime, end: datetime) -> dict[str, int]:
    found = overview(seed, chatbot, start, end, 86400, ",".join(ADDITIVE_COMPONENTS))
    return {name: found[name]["total"] for name in ADDITIVE_COMPONENTS.values()}


@V2
@given(seed=SEEDS, chatbot=CHATBOTS, first=INSTANTS, left=st.integers(1, 2 * 86_400_000), right=st.integers(0, 2 * 86_400_000))
def test_a_range_split_at_any_millisecond_adds_up_to_the_whole(
    seed: int, chatbot: str, first: int, left: int, right: int
) -> None:
    start, middle, end = at(first), at(first + left), at(first + left + right)
    whole = totals(seed, chatbot, start, end)
    before, after = totals(seed, chatbot, start, middle - MS), totals(seed, chatbot, middle, end)
    assert whole == {name: before[name] + after[name] for name in whole}


@V2
@given(seed=SEEDS, chatbot=CHATBOTS, before=st.integers(0, 5 * 86_400_000), after=st.integers(0, 5 * 86_400_000))
def test_figures_count_up_to_the_instant_now(seed: int, chatbot: str, before: int, after: int) -> None:
    start, end = NOW - before * MS, NOW + after * MS
    assert totals(seed, chatbot, start, end) == totals(seed, chatbot, start, NOW)
    assert set(totals(seed, chatbot, NOW + MS, end + MS).values()) == {0}
    # The hour holding now is partial: what started in it up to now, no more than the whole hour's.
    hour = hour_of(NOW)
    partial = totals(seed, chatbot, hour, NOW)["CONVERSATION_COUNT"]
    assert partial == totals(seed, chatbot, hour, hour + timedelta(hours=1) - MS)["CONVERSATION_COUNT"]
    earlier = NOW - timedelta(minutes=30)  # half an hour: what started in it, up to the millisecond
    assert totals(seed, chatbot, earlier, NOW)["CONVERSATION_COUNT"] == (
        totals(seed, chatbot, earlier, NOW - MS)["CONVERSATION_COUNT"] + totals(seed, chatbot, NOW, NOW)["CONVERSATION_COUNT"]
    )


@V2
@given(seed=SEEDS, chatbot=CHATBOTS, first=INSTANTS, length=st.integers(0, 3 * 86_400_000), offset=st.integers(-12, 14))
def test_answers_are_a_function_of_instants_not_of_their_spelling(
    seed: int, chatbot: str, first: int, length: int, offset: int
) -> None:
    start, end = at(first), at(first + length)
    zone = timezone(timedelta(hours=offset))
    every = ",".join(str(i) for i in range(17))
    path = f"{base(chatbot)}/reports/overview"
    plain = ok(seed, path, components=every, interval=3600 if length < 2 * 86_400_000 else 86400, **window(start, end))
    spelt = ok(
        seed,
        path,
        components=every,
        interval=plain["interval"],
        **{"from": start.astimezone(zone).isoformat(timespec="microseconds"), "to": end.isoformat().replace("+00:00", "Z")},
    )
    assert plain["components"] == spelt["components"]
    inbox = [
        ok(seed, f"{base(chatbot)}/inbox", **{"from": a, "to": b})
        for a, b in ((iso(start), iso(end)), (start.astimezone(zone).isoformat(), end.isoformat().replace("+00:00", "Z")))
    ]
    assert {k: v for k, v in inbox[0].items() if k not in ("from", "to")} == {
        k: v for k, v in inbox[1].items() if k not in ("from", "to")
    }


@V2
@given(seed=SEEDS, chatbot=CHATBOTS, first=RECENT, data=st.data())
def test_the_median_of_one_conversation_is_that_conversation(seed: int, chatbot: str, first: int, data: st.DataObject) -> None:
    """A range holding exactly one conversation (found by narrowing its end): the median of its
    messages is its messages, and on a voice channel its call's median is its duration."""
    listed = channels(seed, chatbot)
    channel = data.draw(st.sampled_from(listed))
    start = at(first)
    if start > NOW:
        start = NOW - timedelta(days=1)

    def count_until(end: datetime) -> dict[str, Any]:
        return report(seed, chatbot, channel["id"], start, end, 86400, "1")

    low, high = start, min(start + timedelta(days=3), NOW)
    found = count_until(high)
    assume(found["CONVERSATION_COUNT_FOR_CHANNEL_ID"]["total"] >= 1)
    while high - low > MS:  # the first end at which one conversation has started
        middle = low + (high - low) / 2
        middle -= timedelta(microseconds=middle.microsecond % 1000)
        if count_until(middle)["CONVERSATION_COUNT_FOR_CHANNEL_ID"]["total"] >= 1:
            high = middle
        else:
            low = middle + MS if middle == low else middle
    one = count_until(high)
    assume(one["CONVERSATION_COUNT_FOR_CHANNEL_ID"]["total"] == 1)
    found = report(seed, chatbot, channel["id"], start, high, 86400, "5,12,16,18" if channel["type"] in VOICE else "5,12")
    assert found["CONVERSATION_MESSAGE_COUNT_MEDIAN_FOR_CHANNEL_ID"]["median"] == float(
        found["MESSAGE_COUNT_FOR_CHANNEL_ID"]["total"]
    )
    if channel["type"] in VOICE:
        assert found["CALL_DURATION_MEDIAN"]["medianSeconds"] == float(found["CALL_DURATION_TOTAL"]["totalSeconds"])


@V2
@given(seed=SEEDS, chatbot=CHATBOTS, first=INSTANTS, length=st.integers(0, 20 * 86_400_000))
def test_a_conversation_greets_at_most_once(seed: int, chatbot: str, first: int, length: int) -> None:
    start, end = at(first), at(first + length)
    found = overview(seed, chatbot, start, end, 86400, "1,11")
    greetings = {row["intent"]: row["hits"] for row in found["INTENT_HITS"]}.get("greeting", 0)
    assert greetings <= found["CONVERSATION_COUNT"]["total"]


@V2
@given(seed=SEEDS, chatbot=CHATBOTS, first=INSTANTS, length=st.integers(0, 30 * 86_400_000), cut=st.integers(1, 10 * 86_400_000))
def test_inbox_states_follow_each_conversations_timeline_not_the_range_end(
    seed: int, chatbot: str, first: int, length: int, cut: int
) -> None:
    """Shortening a range drops the conversations handed over after its new end, and changes the
    state of none of the others; medians lie within the agents' medians."""
    start, end = at(first), at(first + length + cut)
    path = f"{base(chatbot)}/inbox"
    whole = ok(seed, path, **window(start, end))
    shorter = ok(seed, path, **window(start, at(first + length)))
    later = ok(seed, path, **window(at(first + length) + MS, end))
    for state in ("total", "open", "pending", "closed", "assigned", "unassigned"):
        assert whole["conversations"][state] == shorter["conversations"][state] + later["conversations"][state], state
    counts = whole["conversations"]
    assert counts["open"] + counts["pending"] + counts["closed"] == counts["total"] == counts["assigned"] + counts["unassigned"]
    assert sum(a["assigned"] for a in whole["agents"]) == counts["assigned"]
    assert sum(a["closed"] for a in whole["agents"]) <= counts["closed"]
    medians = [a["firstResponseTimeMedianSeconds"] for a in whole["agents"] if a["firstResponseTimeMedianSeconds"] is not None]
    if medians:
        assert min(medians) <= whole["firstResponseTimeMedianSeconds"] <= max(medians)
    if end < NOW - timedelta(days=3):  # long ago: everything handed over then is closed
        assert counts["closed"] == counts["total"]
