"""Under the real clock, an answer that used the clock only to cut a range ending before now is
reused as the clock moves on; one that reaches now is worked out again, never served stale."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from starlette.testclient import TestClient

from mockserver import Settings, create_app
from tests.cases import AUTH
from tests.conftest import until

BOTPRESS = "/botpress/v1/admin/bots/bot_1/analytics"


def test_a_range_wholly_before_now_is_reused_and_one_reaching_now_is_not_served_stale() -> None:
    with TestClient(create_app(Settings()), base_url="http://127.0.0.1:8000") as client:  # the real clock
        past = {"startDate": "2025-05-01", "endDate": "2025-05-07"}
        first = client.get(BOTPRESS, params=past, headers=AUTH["botpress"])
        again = client.get(BOTPRESS, params=past, headers=AUTH["botpress"])
        assert first.status_code == again.status_code == 200
        assert "x-mock-cache" not in first.headers and again.headers.get("x-mock-cache") == "hit"
        assert again.content == first.content
        # The same range written as date-times is worked out once, then reused too.
        spelled = {"startDate": "2025-05-01T00:00:00Z", "endDate": "2025-05-07T23:59:59.999Z"}
        client.get(BOTPRESS, params=spelled, headers=AUTH["botpress"])
        assert client.get(BOTPRESS, params=spelled, headers=AUTH["botpress"]).headers.get("x-mock-cache") == "hit"

        today = datetime.now(timezone.utc).date()
        live = {"startDate": (today - timedelta(days=1)).isoformat(), "endDate": (today + timedelta(days=1)).isoformat()}
        before = client.get(BOTPRESS, params=live, headers=AUTH["botpress"])
        sent = datetime.now(timezone.utc)
        until(lambda: datetime.now(timezone.utc) - sent > timedelta(milliseconds=5))  # the clock has moved on
        after = client.get(BOTPRESS, params=live, headers=AUTH["botpress"])
        assert "x-mock-cache" not in after.headers
        # The last record ends at the request's now: the later request's is later.
        assert after.json()["records"][-1]["endDateTimeUtc"] > before.json()["records"][-1]["endDateTimeUtc"]
