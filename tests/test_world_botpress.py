"""Botpress analytics records: the invariants docs/data-model.md lists, over random seeds, bot ids,
ranges cut at any millisecond (before a bot existed, across the clock, after it) and spellings,
through HTTP. ``make test`` draws 50 examples per property, ``make fuzz`` more
(MOCKSERVER_WORLD_EXAMPLES)."""

from __future__ import annotations

import math
import os
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.profiles.botpress.bots import bot as bot_traits
from mockserver.timeutil import day_span_ms, iso_ms
from tests.conftest import NOW
from tests.test_consistency import get

SEEDS = st.integers(min_value=0, max_value=2**32)
BOTS = st.text("abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=16)
ORIGIN = datetime(2021, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)
# Any millisecond from 2021 (before every bot's creation) to four days past the tests' clock, most
# of them where every bot exists (from 2024) and around the clock.
LATE = int((datetime(2024, 1, 1, tzinfo=timezone.utc) - ORIGIN) / MS)
END = int((NOW - ORIGIN + timedelta(days=4)) / MS)
NEAR_NOW = int((NOW - ORIGIN - timedelta(days=3)) / MS)
INSTANTS = st.one_of(
    st.integers(min_value=LATE, max_value=END),
    st.integers(min_value=NEAR_NOW, max_value=END),
    st.integers(min_value=0, max_value=END),
)
CHECK = settings(max_examples=int(os.environ.get("MOCKSERVER_WORLD_EXAMPLES", "50")), deadline=None)
ADDITIVE = ("sessions", "messages", "userMessages", "botMessages", "events")
LLM_ADDITIVE = ("calls", "errors", "inputTokens", "outputTokens")
PRICES = (0.15e-6, 0.60e-6)  # USD per input and output token


def at(ms: int) -> datetime:
    return ORIGIN + ms * MS


def records(seed: int, bot: str, start: datetime, end: datetime, **spelling: str) -> list[dict[str, Any]]:
    """Records for [start, end] (end inclusive, as the document says), spelt as ISO with milliseconds."""
    params = {"startDate": iso_ms(start), "endDate": iso_ms(end), **spelling}
    return get(seed, "botpress", f"/v1/admin/bots/{bot}/analytics", **params)["records"]  # type: ignore[no-any-return]


def total(found: list[dict[str, Any]], name: str) -> int:
    return sum(r["llm"][name] if name in LLM_ADDITIVE else r[name] for r in found)


def check_record(record: dict[str, Any]) -> None:
    """What every record obeys, whatever its span."""
    assert record["startDateTimeUtc"] <= record["endDateTimeUtc"] <= iso_ms(NOW)
    assert record["startDateTimeUtc"][:10] == record["endDateTimeUtc"][:10]  # one UTC day
    assert record["messages"] == record["userMessages"]
    assert sum(record["eventTypes"].values()) + sum(record["customEvents"].values()) == record["events"]
    assert record["eventTypes"]["message_created"] == record["userMessages"] + record["botMessages"]
    assert record["eventTypes"]["conversation_started"] == record["sessions"]
    # Users never outnumber sessions; a session has a user; users created here are new users here.
    assert record["newUsers"] + record["returningUsers"] <= record["sessions"]
    assert (record["newUsers"] + record["returningUsers"] > 0) == (record["sessions"] > 0)
    assert record["eventTypes"]["user_created"] <= record["newUsers"]
    llm = record["llm"]
    assert 0 <= llm["errors"] <= llm["calls"] <= record["botMessages"]
    for stats in (llm["latency"], llm["tokensPerSecond"], llm["cost"]):
        assert stats["min"] <= stats["mean"] <= stats["max"] and stats["sd"] >= 0
        assert (stats["max"] > 0) == (llm["calls"] > 0)
        if llm["calls"] == 1:  # one call: its value is every statistic
            assert stats["min"] == stats["mean"] == stats["max"] and stats["sd"] == 0
    cost = llm["cost"]
    assert cost["max"] <= cost["sum"]
    assert math.isclose(cost["sum"], llm["inputTokens"] * PRICES[0] + llm["outputTokens"] * PRICES[1], abs_tol=1e-8)
    assert math.isclose(cost["sum"], cost["mean"] * llm["calls"], rel_tol=1e-6, abs_tol=1e-7)


@CHECK
@given(seed=SEEDS, bot=BOTS, first=INSTANTS, length=st.integers(0, 20 * 86_400_000))
def test_every_record_obeys_the_domain(seed: int, bot: str, first: int, length: int) -> None:
    found = records(seed, bot, at(first), at(first + length))
    for record, following in zip(found, found[1:]):
        assert record["endDateTimeUtc"] < following["startDateTimeUtc"]
    for record in found:
        check_record(record)
        assert iso_ms(at(first)) <= record["startDateTimeUtc"] and record["endDateTimeUtc"] <= iso_ms(at(first + length))


@CHECK
@given(seed=SEEDS, bot=BOTS, first=INSTANTS, left=st.integers(0, 3 * 86_400_000), right=st.integers(1, 3 * 86_400_000))
def test_a_range_split_at_any_millisecond_adds_up_to_the_whole(seed: int, bot: str, first: int, left: int, right: int) -> None:
    start, middle, end = at(first), at(first + left), at(first + left + right)
    whole = records(seed, bot, start, end)
    parts = records(seed, bot, start, middle - MS) + records(seed, bot, middle, end)
    for name in (*ADDITIVE, *LLM_ADDITIVE, "customEvents", "eventTypes"):
        if name in ("customEvents", "eventTypes"):
            for key in whole[0][name] if whole else ():
                assert sum(r[name][key] for r in whole) == sum(r[name][key] for r in parts), (name, key)
        else:
            assert total(whole, name) == total(parts, name), name
    # Distinct users are not additive, but a user seen in the whole was seen in a part.
    for kind in ("newUsers", "returningUsers"):
        assert total(whole, kind) <= total(parts, kind)
    by_day: dict[str, list[dict[str, Any]]] = {}
    for record in parts:
        by_day.setdefault(record["startDateTimeUtc"][:10], []).append(record)
    for record in whole:  # a day's statistics are those of the union of its parts' calls
        called = [p["llm"] for p in by_day[record["startDateTimeUtc"][:10]] if p["llm"]["calls"]]
        for stat in ("latency", "tokensPerSecond", "cost"):
            if called:
                assert record["llm"][stat]["min"] == min(c[stat]["min"] for c in called)
                assert record["llm"][stat]["max"] == max(c[stat]["max"] for c in called)
        if called:
            mean = sum(c["latency"]["mean"] * c["calls"] for c in called) / record["llm"]["calls"]
            assert math.isclose(record["llm"]["latency"]["mean"], mean, rel_tol=1e-4, abs_tol=0.1)


@CHECK
@given(seed=SEEDS, bot=BOTS, hour=st.integers(LATE // 3_600_000, int((NOW - ORIGIN) / timedelta(hours=1)) - 1))
def test_llm_calls_happen_only_in_hours_with_sessions_and_messages(seed: int, bot: str, hour: int) -> None:
    start = ORIGIN + timedelta(hours=hour)
    for record in records(seed, bot, start, start + timedelta(hours=1) - MS):
        if record["llm"]["calls"]:
            assert record["sessions"] > 0 and record["botMessages"] > 0


@CHECK
@given(seed=SEEDS, bot=BOTS, first=INSTANTS, length=st.integers(0, 40 * 86_400_000))
def test_nothing_happens_after_now(seed: int, bot: str, first: int, length: int) -> None:
    start, end = at(first), at(first + length)
    found = records(seed, bot, start, end)
    if start > NOW:
        assert found == []
    elif end >= NOW:  # counted up to the instant: the same as a range that ends at now
        assert found == records(seed, bot, start, NOW)
        if found:
            assert found[-1]["endDateTimeUtc"] == iso_ms(NOW)


@CHECK
@given(seed=SEEDS, bot=BOTS, first=INSTANTS)
def test_a_range_of_one_millisecond_holds_only_that_millisecond(seed: int, bot: str, first: int) -> None:
    found = records(seed, bot, at(first), at(first))
    assert len(found) <= 1
    for record in found:
        assert record["startDateTimeUtc"] == record["endDateTimeUtc"] == iso_ms(at(first))
        # Sessions start at random milliseconds: one in a millisecond is rare, a handful is not.
        assert record["sessions"] <= 2


@CHECK
@given(seed=SEEDS, bot=BOTS, day=st.dates(min_value=date(2022, 1, 1), max_value=(NOW - timedelta(days=2)).date()))
def test_an_exclusive_end_at_midnight_as_the_reference_page_writes_it_adds_no_day(seed: int, bot: str, day: date) -> None:
    path = f"/v1/admin/bots/{bot}/analytics"
    following = (day + timedelta(days=1)).isoformat()
    exclusive = get(seed, "botpress", path, startDate=f"{day}T00:00:00Z", endDate=f"{following}T00:00:00Z")["records"]
    inclusive = get(seed, "botpress", path, startDate=day.isoformat(), endDate=day.isoformat())["records"]
    assert exclusive == inclusive
    assert all(r["startDateTimeUtc"][:10] == day.isoformat() for r in exclusive)
    # The same instants in any spelling give the same answer.
    for start, end in (
        (f"{day}T02:00:00+02:00", f"{day}T23:59:59.999Z"),
        (f"{day}T00:00:00.000000Z", f"{day}T23:59:59.999000+00:00"),
    ):
        assert get(seed, "botpress", path, startDate=start, endDate=end)["records"] == inclusive


@CHECK
@given(seed=SEEDS, bot=BOTS, first=INSTANTS, length=st.integers(0, 3 * 86_400_000), offset=st.integers(-14, 14))
def test_answers_are_a_function_of_instants_not_of_their_spelling(
    seed: int, bot: str, first: int, length: int, offset: int
) -> None:
    start, end = at(first), at(first + length)
    zone = timezone(timedelta(hours=offset))
    other = {"startDate": start.astimezone(zone).isoformat(timespec="microseconds"), "endDate": end.astimezone(zone).isoformat()}
    assert records(seed, bot, start, end) == records(seed, bot, start, end, **other)


@settings(max_examples=int(os.environ.get("MOCKSERVER_WORLD_EXAMPLES", "50")), deadline=None)
@given(seed=SEEDS, bot=BOTS)
def test_a_bot_has_no_returning_users_before_its_audience_exists(seed: int, bot: str) -> None:
    found = records(seed, bot, ORIGIN, NOW)  # from 2021, before every bot's creation
    created = bot_traits(seed, bot).created_day
    assert found[0]["startDateTimeUtc"] == day_span_ms(created)[0]
    assert found[0]["returningUsers"] == 0  # the first day's users are all new
    seen = 0
    for record in found[:60]:  # returning users come from those who came before
        assert record["returningUsers"] <= seen
        seen += record["newUsers"]


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_business_bots_keep_office_hours_and_weekdays_consumer_bots_the_evening(seed: int) -> None:
    kinds: dict[bool, list[str]] = {True: [], False: []}
    for index in range(40):
        bot = f"bot_{index}"
        kinds[bot_traits(seed, bot).business].append(bot)
    assert kinds[True] and kinds[False]
    for bot in kinds[True][:6]:
        traits = bot_traits(seed, bot)
        days = [
            r
            for r in records(seed, bot, NOW - timedelta(days=120), NOW - timedelta(days=1))
            if r["endDateTimeUtc"].endswith("59.999Z")
        ]
        # Weekdays and weekends in the bot's own time zone, near enough with whole UTC days.
        weekday = [r["sessions"] for r in days if date.fromisoformat(r["startDateTimeUtc"][:10]).weekday() < 5]
        weekend = [r["sessions"] for r in days if date.fromisoformat(r["startDateTimeUtc"][:10]).weekday() >= 5]
        assert sum(weekend) / len(weekend) < 0.6 * sum(weekday) / len(weekday), bot
        # More than half of a weekday's sessions between 10:00 and 15:00 local time (over ten weekdays).
        office = whole = 0
        for day in [date.fromisoformat(r["startDateTimeUtc"][:10]) for r in days[-14:]]:
            if day.weekday() < 5:
                ten = datetime(day.year, day.month, day.day, 10, tzinfo=timezone(timedelta(hours=traits.zone)))
                office += total(records(seed, bot, ten, ten + timedelta(hours=5) - MS), "sessions")
                whole += total(records(seed, bot, ten - timedelta(hours=10), ten + timedelta(hours=14) - MS), "sessions")
        assert office > 0.5 * whole, (bot, office, whole)
    for bot in kinds[False][:4]:
        traits = bot_traits(seed, bot)
        evening = night = 0
        for back in range(2, 7):
            day = (NOW - timedelta(days=back)).date()
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=timezone(timedelta(hours=traits.zone)))
            evening += total(records(seed, bot, noon + timedelta(hours=6), noon + timedelta(hours=10) - MS), "sessions")
            night += total(records(seed, bot, noon - timedelta(hours=10), noon - timedelta(hours=6) - MS), "sessions")
        assert evening > 2 * night, (bot, evening, night)


def test_conversations_hold_about_five_messages_as_the_benchmark_reports() -> None:
    found = records(3, "support_bot", NOW - timedelta(days=90), NOW)
    sessions = total(found, "sessions")
    assert 3.4 <= (total(found, "userMessages") + total(found, "botMessages")) / sessions <= 7.5
