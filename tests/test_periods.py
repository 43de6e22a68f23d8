"""Relative periods resolve against the server's clock (fixed with --now), and size limits."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.cases import AUTH
from tests.conftest import HOST, app_for

# The tests' clock: Sunday 2025-06-01 12:00 UTC.


def get(vendor: str, path: str, status: int = 200, **params: Any) -> Any:
    with TestClient(app_for(), base_url=HOST) as client:
        response = client.get(f"/{vendor}{path}", params=params, headers=AUTH[vendor])
    assert response.status_code == status, response.text
    return response.json()


@pytest.mark.parametrize(
    ("period", "first", "last", "points"),
    [
        ("today", "2025-06-01T00", "2025-06-01T12", 13),
        ("yesterday", "2025-05-31T00", "2025-05-31T23", 24),
        ("last7days", "2025-05-26T00", "2025-06-01T12", 24 * 6 + 13),
    ],
)
def test_chatbotcom_periods_end_at_now(period: str, first: str, last: str, points: int) -> None:
    data = get("chatbotcom", "/reports/conversations", period=period, dimension="hour")["data"]
    assert (data[0]["date"][:13], data[-1]["date"][:13], len(data)) == (first, last, points)


@pytest.mark.parametrize(
    ("period", "months"),
    [
        ("thisMonth", ["2025-06"]),
        ("lastMonth", ["2025-05"]),
        ("last3Months", ["2025-04", "2025-05", "2025-06"]),
        ("thisYear", [f"2025-0{m}" for m in range(1, 7)]),
    ],
)
def test_chatbotcom_calendar_periods(period: str, months: list[str]) -> None:
    data = get("chatbotcom", "/reports/conversations", period=period, dimension="month")["data"]
    assert [p["date"][:7] for p in data] == months


def test_chatbotcom_default_is_the_last_30_days_and_from_wins_over_period() -> None:
    default = get("chatbotcom", "/reports/conversations")["data"]
    assert (default[0]["date"][:10], default[-1]["date"][:10], len(default)) == ("2025-05-03", "2025-06-01", 30)
    explicit = get("chatbotcom", "/reports/conversations", period="today", **{"from": "2025-05-30"})["data"]
    assert [p["date"][:10] for p in explicit] == ["2025-05-30", "2025-05-31", "2025-06-01"]


def test_chatbotcom_default_from_1974_lists_every_year_with_zeros_before_the_license() -> None:
    data = get("chatbotcom", "/reports/conversations", to="2025-06-01", dimension="year")["data"]
    assert [p["date"][:4] for p in data] == [str(year) for year in range(1974, 2026)]
    assert not any(p["value"] for p in data if p["date"] < "2020") and data[-1]["value"] > 0


def test_an_answer_over_the_point_limit_is_a_400_saying_how_to_narrow_it() -> None:
    body = get("chatbotcom", "/reports/conversations", 400, dimension="hour", group="source", **{"from": "2020-01-01"})
    message = body["status"]["message"]
    assert "limit is 50000" in message and "Narrow the range or choose a coarser bucket" in message


@pytest.mark.parametrize(
    ("params", "first_day", "count"),
    [
        ({"days": 7}, "2025-05-26", 7),
        ({"period": "week"}, "2025-05-26", 7),  # ISO week: from Monday
        ({"period": "month"}, "2025-06-01", 1),
        ({}, "2025-05-03", 30),
        ({"start_date": "2025-05-10", "end_date": "2025-05-01"}, "2025-05-01", 10),  # bounds swapped
        ({"start_date": "2025-05-30", "days": 3, "period": "year"}, "2025-05-30", 3),  # dates win
    ],
)
def test_generalbots_range_precedence(params: dict[str, Any], first_day: str, count: int) -> None:
    data = get("generalbots", "/api/v1/analytics/usage/daily", **params)["data"]
    assert (data[0]["date"], len(data)) == (first_day, count)


def test_generalbots_series_list_every_bucket_up_to_the_limit() -> None:
    body = get("generalbots", "/api/v1/analytics/conversations/volume", group_by="hour", days=365)
    assert len(body["data"]) == 364 * 24 + 12  # 364 whole days, and today's hours before 12:00 (the clock)
    assert body["period_start"] == body["data"][0]["timestamp"]
    refused = get("generalbots", "/api/v1/analytics/conversations/volume", 400, group_by="hour", days=3650)
    assert "limit is 50000" in refused["message"]


@pytest.mark.parametrize("end", ["0001-01-01T00:00:00Z", "0001-01-01", "0001-01-02T00:00:00+00:00"])
def test_botpress_ranges_that_end_at_the_calendars_start_are_empty(end: str) -> None:
    """An exclusive end at the first midnight of the calendar has no instant before it."""
    with TestClient(app_for(), base_url=HOST) as client:
        response = client.get(
            "/botpress/v1/admin/bots/bot_1/analytics",
            params={"startDate": "2024-05-06", "endDate": end},
            headers=AUTH["botpress"],
        )
    assert response.status_code == 200 and response.json() == {"records": []}
