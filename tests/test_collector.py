"""What a server keeps between requests (kept answers, journal entries, remembered journal views)
is no work for the garbage collector, so a collection does not grow with it."""

from __future__ import annotations

import gc
from collections import Counter
from datetime import date, timedelta

from starlette.testclient import TestClient

from mockserver import Settings, create_app
from tests.cases import AUTH
from tests.conftest import NOW

BOTPRESS = "/botpress/v1/admin/bots/bot_1/analytics"


def test_answers_and_journal_entries_kept_are_not_tracked_by_the_collector() -> None:
    """Three hundred 7-day ranges of one bot, each asked once: the cache keeps every answer and
    the journal every request, and the objects the collector tracks grow by less than one per
    request (the test client's own URL cache holds 128). Kept as answers, dicts and lists they grew
    by about eleven per request, and under varied traffic every young collection had thousands of
    them to visit (pauses of several ms)."""
    with TestClient(create_app(Settings(now=NOW)), base_url="http://127.0.0.1:8000") as client:

        def ask(day: int) -> None:
            start = date(2024, 1, 1) + timedelta(days=day)
            params = {"startDate": start.isoformat(), "endDate": (start + timedelta(days=6)).isoformat()}
            assert client.get(BOTPRESS, params=params, headers=AUTH["botpress"]).status_code == 200

        for day in range(400, 420):  # warm: lazily made tables, the bot's traits
            ask(day)
        gc.collect()
        before = gc.get_objects()
        for day in range(300):
            ask(day)
        gc.collect()
        known = {id(thing) for thing in before}
        grown = [thing for thing in gc.get_objects() if id(thing) not in known]
        # All of it kept: the first answer is still served from the cache, every request journaled.
        again = client.get(BOTPRESS, params={"startDate": "2024-01-01", "endDate": "2024-01-07"}, headers=AUTH["botpress"])
        assert again.headers.get("x-mock-cache") == "hit"
        assert len(client.get("/__mock/journal", params={"limit": 1000}).json()["entries"]) >= 320
    kinds = Counter(type(thing).__name__ for thing in grown).most_common(5)
    assert len(grown) < 300, f"{len(grown)} more objects tracked after 300 requests: {kinds}"
