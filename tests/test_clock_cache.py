"""Under the real clock, an answer that used the clock only to cut a range ending before now is
reused as the clock moves on; one that reaches now is worked out again, never served stale."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.answers import ENTRY_OVERHEAD
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


CONVERSATIONS = "/chatbotcom/reports/conversations"


def test_chatbotcom_reuses_a_past_range_until_its_kept_history_slides_past_it() -> None:
    with TestClient(create_app(Settings()), base_url="http://127.0.0.1:8000") as client:
        headers = {**AUTH["chatbotcom"], "X-Mock-Session": "clock"}
        past = {"from": "2023-10-01", "to": "2023-10-31"}  # the license exists from 2023-09-07 (seed 0)

        def at(now: str) -> tuple[str | None, bytes]:
            assert client.put("/__mock/sessions/clock", json={"now": now}).status_code == 200
            answer = client.get(CONVERSATIONS, params=past, headers=headers)
            assert answer.status_code == 200
            return answer.headers.get("x-mock-cache"), answer.content

        first = at("2025-06-01T12:00:00Z")
        assert first[0] is None and at("2025-06-01T12:00:00Z") == ("hit", first[1])
        assert at("2025-07-01T00:00:00Z") == ("hit", first[1])  # a later clock: the same history
        # Five years on, the kept history no longer reaches October 2023: worked out again, and empty.
        late = at("2028-12-01T00:00:00Z")
        assert late[0] is None and late[1] != first[1]
        # A relative period follows the clock: never reused across clocks.
        today = client.get(CONVERSATIONS, params={"period": "today"}, headers=AUTH["chatbotcom"])
        sent = datetime.now(timezone.utc)
        until(lambda: datetime.now(timezone.utc) - sent > timedelta(milliseconds=5))
        assert "x-mock-cache" not in client.get(CONVERSATIONS, params={"period": "today"}, headers=AUTH["chatbotcom"]).headers
        assert today.status_code == 200


CHATCAPTAIN = "/chatcaptain/v1/chatbots/bot_1/statistics"


def test_chatcaptain_reuses_a_past_timeframe_and_works_out_one_reaching_now() -> None:
    with TestClient(create_app(Settings()), base_url="http://127.0.0.1:8000") as client:  # the real clock
        headers = AUTH["chatcaptain"]
        past = {"from": "2025-05-01T00:00:00.000Z", "to": "2025-05-07T23:59:59.999Z", "interval": 86400, "components": "1,2,5"}
        first = client.get(f"{CHATCAPTAIN}/reports/overview", params=past, headers=headers)
        again = client.get(f"{CHATCAPTAIN}/reports/overview", params=past, headers=headers)
        assert first.status_code == again.status_code == 200
        assert "x-mock-cache" not in first.headers and again.headers.get("x-mock-cache") == "hit"
        assert again.content == first.content
        inbox = {"from": "2025-05-01T00:00:00.000Z", "to": "2025-05-07T23:59:59.999Z"}
        client.get(f"{CHATCAPTAIN}/inbox", params=inbox, headers=headers)
        assert client.get(f"{CHATCAPTAIN}/inbox", params=inbox, headers=headers).headers.get("x-mock-cache") == "hit"

        now = datetime.now(timezone.utc)
        live = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(days=1)).isoformat()}
        before = client.get(f"{CHATCAPTAIN}/inbox", params=live, headers=headers)
        sent = datetime.now(timezone.utc)
        until(lambda: datetime.now(timezone.utc) - sent > timedelta(milliseconds=5))  # the clock has moved on
        after = client.get(f"{CHATCAPTAIN}/inbox", params=live, headers=headers)
        assert before.status_code == after.status_code == 200 and "x-mock-cache" not in after.headers


GENERALBOTS = "/generalbots/api/v1/analytics"


def test_general_bots_reuses_a_settled_range_and_works_out_one_reaching_now() -> None:
    with TestClient(create_app(Settings()), base_url="http://127.0.0.1:8000") as client:  # the real clock
        headers = AUTH["generalbots"]
        past = {"start_date": "2025-05-01", "end_date": "2025-05-08"}
        for path in ("/usage", "/usage/daily", "/conversations", "/conversations/duration", "/engagement"):
            first = client.get(GENERALBOTS + path, params=past, headers=headers)
            again = client.get(GENERALBOTS + path, params=past, headers=headers)
            assert first.status_code == again.status_code == 200, first.text
            assert "x-mock-cache" not in first.headers and again.headers.get("x-mock-cache") == "hit", path
            assert again.content == first.content
        # Retention counts the elapsed part of the interval holding now: never reused across clocks.
        client.get(GENERALBOTS + "/engagement/retention", params=past, headers=headers)
        sent = datetime.now(timezone.utc)
        until(lambda: datetime.now(timezone.utc) - sent > timedelta(milliseconds=5))
        assert "x-mock-cache" not in client.get(GENERALBOTS + "/engagement/retention", params=past, headers=headers).headers
        # A range reaching now (relative or explicit) is worked out again at each request.
        for params in ({"days": 2}, {"start_date": (sent - timedelta(days=1)).isoformat()}):
            client.get(GENERALBOTS + "/usage", params=params, headers=headers)
            sent = datetime.now(timezone.utc)
            until(lambda: datetime.now(timezone.utc) - sent > timedelta(milliseconds=5))
            assert "x-mock-cache" not in client.get(GENERALBOTS + "/usage", params=params, headers=headers).headers


def test_a_request_asked_once_takes_one_entry_of_the_cache() -> None:
    """Under varied traffic nearly every request is asked once: its answer is kept under one name
    (its call's), so --cache-bytes holds as many such answers as it has room for once, not half as
    many. Twenty 7-day ranges of different bots, in a cache with room for thirty: the first is
    still there when asked again (kept twice each, it would have been the first to go), and from
    then on it is kept under the request's own name too."""
    past = {"startDate": "2025-05-01", "endDate": "2025-05-07"}
    paths = [f"/botpress/v1/admin/bots/bot_{n}/analytics" for n in range(1, 21)]
    with TestClient(create_app(Settings()), base_url="http://127.0.0.1:8000") as client:
        largest = max(len(client.get(p, params=past, headers=AUTH["botpress"]).content) for p in paths)
    room = 30 * (largest + ENTRY_OVERHEAD + 1024)  # an entry: the body, its record, its headers
    with TestClient(create_app(Settings(cache_bytes=room)), base_url="http://127.0.0.1:8000") as client:
        first = [client.get(p, params=past, headers=AUTH["botpress"]) for p in paths]
        assert all(r.status_code == 200 and "x-mock-cache" not in r.headers for r in first)
        for _ in range(2):
            again = client.get(paths[0], params=past, headers=AUTH["botpress"])
            assert again.headers.get("x-mock-cache") == "hit" and again.content == first[0].content
