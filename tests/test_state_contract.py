"""One contract for every state store: memory, an SQLite file and Redis answer every method alike.

Each test runs on all three; what a store must do is written once, here. Fault probabilities are
keyed by rule id and jobs by number, so any divergence would make the same seed behave
differently on another store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.jobs.model import Job
from mockserver.state import Limits, State, StateFull, open_state
from tests.conftest import RedisServer

LIMITS = Limits(journal=5, jobs=3, rules=4, sessions=3, journal_bytes=10_000, resources=3, resources_total=5)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[State]:
    if request.param == "memory":
        url = "memory"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        redis: RedisServer = request.getfixturevalue("redis_server")
        redis.flush()
        url = redis.url
    state = open_state(url, 7, LIMITS)
    yield state
    state.close()


def job(vendor: str = "v", kind: str = "export", session: str | None = None) -> Job:
    return Job(
        id="",
        vendor=vendor,
        kind=kind,
        owner="o",
        created=time.time(),
        duration=0.0,
        outcome="completed",
        params={},
        seed=7,
        now="2025-06-01T12:00:00Z",
        session=session,
    )


def test_the_link_key_is_made_once_and_kept(store: State) -> None:
    key = store.secret()
    assert len(key) >= 32 and store.secret() == key


def test_jobs_are_numbered_listed_by_session_newest_first_and_bounded(store: State) -> None:
    made = [store.new_job(job(session="s")) for _ in range(2)] + [store.new_job(job())]
    assert len({j.id for j in made}) == 3 and all(j.id for j in made)
    assert store.job("v", made[0].id) is not None and store.job("other", made[0].id) is None
    listed, total = store.jobs("v", "export", 0, 10, "s")
    assert [j.id for j in listed] == [made[1].id, made[0].id] and total == 2
    assert store.jobs("v", "export", 1, 1, "s")[0][0].id == made[0].id
    assert store.jobs("v", "export", 0, 10, None)[1] == 1
    store.new_job(job())  # a fourth: the oldest of the kind goes (limit 3)
    assert store.job("v", made[0].id) is None
    assert store.jobs("v", "export", 0, 10, "s") == ([store.job("v", made[1].id)], 1)
    assert [j.id for j in store.vendor_jobs("v")] == [
        made[1].id,
        made[2].id,
        listed_last := store.jobs("v", "export", 0, 1, None)[0][0].id,
    ]
    assert listed_last and store.vendor_jobs("other") == []
    store.clear_jobs("s")
    assert store.jobs("v", "export", 0, 10, "s") == ([], 0) and store.jobs("v", "export", 0, 10, None)[1] == 2
    store.clear_jobs(None)
    assert store.jobs("v", "export", 0, 10, None) == ([], 0)
    assert store.new_job(job()).id == made[0].id  # a cleared store numbers from the start again


def test_the_journal_keeps_the_newest_entries_in_order(store: State) -> None:
    store.record([{"n": n, "session": "a" if n % 2 else None} for n in range(4)])
    store.record([{"n": n, "session": None} for n in range(4, 7)])
    entries = store.entries()
    assert [e["n"] for e in entries] == [2, 3, 4, 5, 6]  # journal limit 5
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)
    store.clear_journal("a")
    assert [e["n"] for e in store.entries()] == [2, 4, 5, 6]
    store.clear_journal(None)
    assert store.entries() == []


def test_the_journal_keeps_a_bounded_number_of_bytes(store: State) -> None:
    store.record([{"n": n, "filler": "x" * 3000} for n in range(5)])
    store.record([{"n": 5, "filler": "x" * 10}])
    kept = [e["n"] for e in store.entries()]
    assert kept[-1] == 5 and len(kept) <= 4  # 10,000 bytes hold three 3 kB entries at most


def test_what_orjson_cannot_write_reads_back_exactly(store: State) -> None:
    """A client may send a lone surrogate or an integer beyond 64 bits; stores write such records
    with the standard encoder, and every store reads them back as they were (not as a float)."""
    odd = {"n": 10**30, "text": "a\ud800b", "session": None}
    store.record([odd])
    assert {k: v for k, v in store.entries()[-1].items() if k != "id"} == odd
    assert store.put_resource("v", None, "/things", "a", {"id": "a", **odd}, new=True)
    assert store.resource("v", None, "/things", "a") == (True, {"id": "a", **odd})
    assert store.resources("v", None, "/things") == [("a", {"id": "a", **odd})]


def test_rules_are_named_ordered_counted_and_bounded(store: State) -> None:
    assert store.add_rule({"match": {}}, "config-1") == "config-1"
    assert store.add_rule({"match": {}}, "config-2") == "config-2"
    first = store.add_rule({"match": {"session": "s"}})
    assert first == "rule-1"  # unnamed rules count on their own, whatever came before
    assert store.add_rule({"match": {}, "x": 1}, "config-1", replace=False) == "config-1"
    assert store.rules()[0] == ("config-1", {"match": {}})  # kept as it was
    assert [rule_id for rule_id, _ in store.rules()] == ["config-1", "config-2", "rule-1"]
    assert store.bump("rule-1", "matched") == 1 and store.bump("rule-1", "matched") == 2
    assert store.bump("rule-1", "applied") == 1 and store.bump("gone", "matched") == 0
    assert store.counters()["rule-1"] == (2, 1)
    store.add_rule({"match": {}})
    with pytest.raises(StateFull):
        store.add_rule({"match": {}})  # limit 4
    assert store.remove_rule("rule-2") and not store.remove_rule("rule-2")
    store.clear_rules("s")
    assert [rule_id for rule_id, _ in store.rules()] == ["config-1", "config-2"]
    store.clear_rules(None)
    assert store.rules() == [] and store.add_rule({"match": {}}) == "rule-1"


def test_sessions_are_kept_replaced_and_bounded(store: State) -> None:
    store.put_session({"id": "a", "seed": 1, "now": None})
    store.put_session({"id": "a", "seed": 2, "now": None}, replace=False)
    assert store.session("a") == {"id": "a", "seed": 1, "now": None}
    store.put_session({"id": "a", "seed": 3, "now": None})
    assert store.session("a")["seed"] == 3  # type: ignore[index]
    for name in ("b", "c", "d"):
        store.put_session({"id": name, "seed": None, "now": None})
    assert [s["id"] for s in store.sessions()] == ["b", "c", "d"]  # limit 3: the oldest went
    assert store.delete_session("b") and not store.delete_session("b")
    store.clear_sessions()
    assert store.sessions() == [] and store.session("c") is None


def test_an_ignored_session_does_not_trim_others(store: State) -> None:
    for name in ("a", "b", "c"):
        store.put_session({"id": name, "seed": None, "now": None})
    store.put_session({"id": "a", "seed": 9, "now": None}, replace=False)  # ignored: nothing is added
    assert [s["id"] for s in store.sessions()] == ["a", "b", "c"]


def test_a_store_that_answers_is_ready(store: State) -> None:
    store.ping()
    assert store.down is None


def test_written_resources_are_kept_per_session_in_order_and_bounded(store: State) -> None:
    assert [store.resource_number("v", "s", "/things") for _ in range(2)] == [1, 2]
    assert store.resource_number("v", None, "/things") == 1  # numbers are per session and collection
    assert store.put_resource("v", "s", "/things", "a", {"id": "a", "n": [1, {"x": None}]}, new=True)
    assert not store.put_resource("v", "s", "/things", "a", {"id": "a"}, new=True)  # taken: nothing changes
    assert store.put_resource("v", "s", "/things", "b", {"id": "b"}, new=True)
    assert store.put_resource("v", "s", "/things", "a", {"id": "a", "n": 2}, new=False)  # replaced in place
    assert store.resources("v", "s", "/things") == [("a", {"id": "a", "n": 2}), ("b", {"id": "b"})]
    assert store.put_resource("v", "s", "/things", "b", None, new=False)  # deleted: a tombstone
    assert store.resource("v", "s", "/things", "b") == (True, None)
    assert store.resource("v", "s", "/things", "c") == (False, None)
    assert store.resource("other", "s", "/things", "a") == (False, None)
    assert store.resources("v", None, "/things") == [] and store.resources("v", "s", "/other") == []
    store.put_resource("v", "s", "/other", "c", {"id": "c"}, new=False)
    with pytest.raises(StateFull, match="session 's' already keeps 3 written resources.*--max-resources"):
        store.put_resource("v", "s", "/things", "d", {"id": "d"}, new=True)  # limit 3 per session
    assert store.put_resource("v", "s", "/things", "a", {"id": "a"}, new=False)  # replacing adds none
    store.put_resource("v", "t", "/things", "a", {"id": "t"}, new=True)  # another session has room
    store.put_resource("v", "u", "/things", "a", {"id": "u"}, new=True)  # five in all, the most (5)
    with pytest.raises(StateFull, match="sessions together already keep 5 written resources.*--max-stored-resources"):
        store.put_resource("v", "w", "/things", "a", {"id": "w"}, new=True)
    store.clear_resources("s")
    assert store.resources("v", "s", "/things") == [] and store.resource_number("v", "s", "/things") == 1
    assert store.put_resource("v", "w", "/things", "a", {"id": "w"}, new=True)  # the cleared session's room is free
    assert store.resource("v", "t", "/things", "a") == (True, {"id": "t"})
    store.clear_resources(None)
    assert store.resource("v", "t", "/things", "a") == (False, None) and store.resource_number("v", None, "/things") == 1
