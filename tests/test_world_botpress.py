"""Botpress analytics records: the guarantees docs/data-model.md gives, over random seeds, bot ids
and ranges (including ranges before a bot existed and past the server's clock), through HTTP."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.synth.activity import count, counter
from mockserver.timeutil import day_span_ms, iso_ms
from tests.conftest import NOW
from tests.test_consistency import get

SEEDS = st.integers(min_value=0, max_value=2**32)
BOTS = st.text("abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=16)
# Any hour from 2021 (before every bot's creation) to a few days past the tests' clock.
HOURS = st.integers(min_value=0, max_value=int((NOW - datetime(2021, 1, 1, tzinfo=timezone.utc)).total_seconds() // 3600) + 96)
CHECK = settings(max_examples=30, deadline=None)
ADDITIVE = ("returningUsers", "newUsers", "sessions", "messages", "userMessages", "botMessages", "events")
LLM_ADDITIVE = ("calls", "errors", "inputTokens", "outputTokens")


def hour(index: int) -> datetime:
    return datetime(2021, 1, 1, tzinfo=timezone.utc) + timedelta(hours=index)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def records(seed: int, bot: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Records for [start, end) given as an inclusive end, as the Botpress document asks."""
    body = get(
        seed, "botpress", f"/v1/admin/bots/{bot}/analytics", startDate=iso(start), endDate=iso(end - timedelta(milliseconds=1))
    )
    return body["records"]


def by_day(found: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    days: dict[str, list[dict[str, Any]]] = {}
    for record in found:
        days.setdefault(record["startDateTimeUtc"][:10], []).append(record)
    return days


@CHECK
@given(seed=SEEDS, bot=BOTS, first=HOURS, length=st.integers(1, 24 * 20))
def test_every_record_is_internally_consistent(seed: int, bot: str, first: int, length: int) -> None:
    start, end = hour(first), hour(first + length)
    found = records(seed, bot, start, end)
    for record, following in zip(found, found[1:]):
        assert record["endDateTimeUtc"] < following["startDateTimeUtc"]
        assert record["startDateTimeUtc"][:10] != following["startDateTimeUtc"][:10]  # one record per UTC day
    for record in found:
        assert iso(start) <= record["startDateTimeUtc"] <= record["endDateTimeUtc"] < iso(min(end, NOW + timedelta(hours=1)))
        assert record["messages"] == record["userMessages"]
        assert sum(record["eventTypes"].values()) + sum(record["customEvents"].values()) == record["events"]
        assert record["eventTypes"]["message_created"] == record["userMessages"] + record["botMessages"]
        llm = record["llm"]
        assert 0 <= llm["errors"] <= llm["calls"]
        for stats in (llm["latency"], llm["tokensPerSecond"], llm["cost"]):
            assert stats["min"] <= stats["mean"] <= stats["max"] and stats["sd"] >= 0
            assert (stats["max"] > 0) == (llm["calls"] > 0)
        assert math.isclose(llm["cost"]["sum"], llm["inputTokens"] * 0.15e-6 + llm["outputTokens"] * 0.60e-6, abs_tol=1e-6)
        assert math.isclose(llm["cost"]["sum"], llm["cost"]["mean"] * llm["calls"], rel_tol=1e-4, abs_tol=1e-6)


@CHECK
@given(seed=SEEDS, bot=BOTS, first=HOURS, left=st.integers(1, 60), right=st.integers(1, 60))
def test_a_range_split_at_any_hour_adds_up_to_the_whole(seed: int, bot: str, first: int, left: int, right: int) -> None:
    start, middle, end = hour(first), hour(first + left), hour(first + left + right)
    whole = by_day(records(seed, bot, start, end))
    halves = by_day(records(seed, bot, start, middle) + records(seed, bot, middle, end))
    assert set(whole) == set(halves)
    for day, (record,) in whole.items():
        parts = halves[day]
        for name in ADDITIVE:
            assert record[name] == sum(p[name] for p in parts), (day, name)
        for name in LLM_ADDITIVE:
            assert record["llm"][name] == sum(p["llm"][name] for p in parts), (day, name)
        for stat in ("latency", "tokensPerSecond", "cost"):
            called = [p["llm"][stat] for p in parts if p["llm"]["calls"]]
            if called:  # the statistics of the union of the calls: extremes merge exactly
                assert record["llm"][stat]["min"] == min(s["min"] for s in called)
                assert record["llm"][stat]["max"] == max(s["max"] for s in called)
        mean = sum(p["llm"]["latency"]["mean"] * p["llm"]["calls"] for p in parts) / max(record["llm"]["calls"], 1)
        assert math.isclose(record["llm"]["latency"]["mean"], mean, rel_tol=1e-4, abs_tol=0.1)


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS, bot=BOTS)
def test_a_bot_is_quiet_before_it_exists_and_busier_on_weekdays(seed: int, bot: str) -> None:
    found = records(seed, bot, hour(0), NOW)  # from 2021, before every bot's creation
    assert found and found[0]["startDateTimeUtc"] >= "2022-01-01"
    assert found[-1]["endDateTimeUtc"] <= iso(NOW + timedelta(hours=1))
    full = [r for r in found[60:] if r["startDateTimeUtc"].endswith("T00:00:00.000Z")]  # past the ramp-up
    weekday = [r["sessions"] for r in full if datetime.fromisoformat(r["startDateTimeUtc"][:10]).weekday() < 5]
    weekend = [r["sessions"] for r in full if datetime.fromisoformat(r["startDateTimeUtc"][:10]).weekday() >= 5]
    assert sum(weekend) / len(weekend) < 0.8 * sum(weekday) / len(weekday)


@given(st.integers(min_value=0, max_value=2**64 - 1), st.lists(st.floats(min_value=-5, max_value=1e7), max_size=30))
@CHECK
def test_a_counter_draws_the_numbers_count_draws(key: int, expected: list[float]) -> None:
    # The Botpress day generator draws its counts through counter(); the other vendors through
    # count(). Both must read the same stream the same way, or a seed's world would change.
    noisy, rng = counter(random.Random(key)), random.Random(key)
    assert [noisy(e) for e in expected] == [count(e, rng) for e in expected]


@given(st.dates())
@CHECK
def test_a_days_span_reads_as_iso_ms_of_its_first_and_last_millisecond(day: date) -> None:
    first = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    assert day_span_ms(day) == (iso_ms(first), iso_ms(first + timedelta(days=1, milliseconds=-1)))
