"""Sloppy and hostile requests get the vendor's 4xx with a reason, never a 5xx."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.cases import AUTH

REPORTS = "/generalbots/api/v1/analytics/reports"
JSON = {**AUTH["generalbots"], "content-type": "application/json"}


@pytest.mark.parametrize(("body", "words"), [
    (b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested too deeply"),
    (b'{"type": NaN}', "NaN is not a JSON value"),
    (b'{"type": Infinity}', "Infinity is not a JSON value"),
    (b"\xff\xfe{}", "not valid JSON"),
    (b"{", "not valid JSON"),
])
def test_malformed_json_bodies_are_400(client: TestClient, body: bytes, words: str) -> None:
    response = client.post(REPORTS, content=body, headers=JSON)
    assert response.status_code == 400 and words in response.json()["message"]


@pytest.mark.parametrize(("path", "status"), [
    ("/generalbots/api/v1/analytics/usage?start_date=%C3%28", 400),  # invalid UTF-8 in the query
    ("/generalbots/api/v1/analytics/usage?start_date=%ZZ", 400),  # malformed percent-encoding
    ("/generalbots/api/v1/analytics/reports/%C3%28", 404),  # invalid UTF-8 in the path
    ("/generalbots/api/v1/analytics/reports/..%2F..%2Fetc%2Fpasswd", 400),  # traversal in an id (not a UUID)
    ("/generalbots/api/v1/analytics/usage?days=NaN", 400),
    ("/generalbots/api/v1/analytics/usage?days=1e309", 400),
    ("/generalbots/api/v1/analytics/usage?start_date=2025-02-30", 400),
    ("/generalbots/api/v1/analytics/usage?start_date=0000-01-01", 400),
    ("/chatbotcom/reports/conversations?from=0001-01-01T00:00:00%2B14:00", 200),  # valid, clipped to history
    ("/chatbotcom/reports/conversations?to=9999-12-31T23:59:59-14:00", 200),
])
def test_odd_urls_are_answered_in_the_vendor_body(client: TestClient, path: str, status: int) -> None:
    vendor = path.split("/")[1]
    response = client.get(path, headers=AUTH[vendor])
    assert response.status_code == status, response.text
    if status >= 400:
        body = response.json()
        assert "message" in body or "status" in body


def test_a_download_link_cannot_walk_out_of_the_job_store(client: TestClient) -> None:
    response = client.get("/__mock/downloads/generalbots/..%2F..%2Fetc%2Fpasswd?expires=99999999999999&signature=0")
    assert response.status_code == 403 and response.json()["error"] == "invalid_link"


@pytest.mark.parametrize(("path", "vendor"), [
    # A trend's previous period would start before year 1.
    ("/v1/chatbots/b/statistics/reports/overview?from=0132-07-31T19:45:26%2B12:39&to=2022-07-05T12:12:00.000Z"
     "&interval=3600&components=5,9,16", "chatcaptain"),
    ("/api/v1/analytics/usage?end_date=0001-01-05", "generalbots"),  # 30 days before it is before year 1
])
def test_ranges_at_the_edge_of_the_calendar_do_not_overflow(client: TestClient, path: str, vendor: str) -> None:
    response = client.get(f"/{vendor}{path}", headers=AUTH[vendor])
    assert response.status_code == 200, response.text


UNKNOWN_BOT = "4b609fdb-e5f3-1fe8-bea1-edf7f41ea422"


@pytest.mark.parametrize("path", ["usage", "usage/daily", "usage/monthly", "conversations", "conversations/volume",
                                  "conversations/duration", "conversations/resolution", "engagement",
                                  "engagement/satisfaction"])
def test_an_unknown_bot_over_two_thousand_years_counts_zero(client: TestClient, path: str) -> None:
    # The spec: an unknown bot_id is not an error, its figures are zero. The range reaches back to
    # year 121, so an answer that walked the range day by day would take many seconds.
    query = {"bot_id": UNKNOWN_BOT, "start_date": "0121-10-18", "end_date": "2025-01-05",
             "user_id": "bb7a12fc-3cd6-5e39-902e-b49f9b0e80d3"}
    response = client.get(f"/generalbots/api/v1/analytics/{path}", params=query, headers=AUTH["generalbots"])
    assert response.status_code == 200, response.text
    body = response.json()
    counts = [v for k, v in body.items() if isinstance(v, int) and not isinstance(v, bool)]
    counts += [v for point in body.get("data", []) for k, v in point.items() if isinstance(v, int)]
    assert counts and not any(counts), body
