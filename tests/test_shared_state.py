"""Several workers, or several servers on one state store, act as one server.

Each scenario runs against three set-ups a user can choose: ``--workers 2`` (a shared temporary
SQLite file), two servers on one ``--state sqlite:///...`` file, and two servers on one Redis
(``--state redis://...``). Requests are spread over the doors (new connections for the workers,
alternating URLs for the servers), and the checks hold only if the state is shared: a fault rule's
``times`` counted once, one journal, one session, one job store, the same bytes everywhere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path

import httpx
import pytest

from mockserver.client import MockControl
from tests.cases import AUTH
from tests.conftest import NOW, LiveServer, RedisServer

# Several servers, or a nested pytest run: `make test` runs these, `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

CLOCK = ("--now", NOW.isoformat().replace("+00:00", "Z"))
REPORT = "/chatbotcom/reports/conversations?from=2025-03-01&to=2025-03-31"
EXPORT = "/chatcaptain/v1/chatbots/shop_bot/statistics/export"
RANGE = {"from": "2025-05-01T00:00:00.000Z", "to": "2025-05-07T23:59:59.999Z"}


class Doors:
    """The ways into one logical server: every request goes through the next door in turn."""

    def __init__(self, servers: list[LiveServer]) -> None:
        self.servers = servers
        self._next = cycle(range(len(servers)))

    def request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        server = self.servers[next(self._next)]
        # A new connection each time, so that requests can land on any of a server's workers.
        headers = {"Connection": "close", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        return httpx.request(method, server.url + path, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]

    def control(self, index: int = 0, session: str | None = None) -> MockControl:
        return MockControl(self.servers[index].url, session=session)

    def spread(self, method: str, path: str, count: int, **kwargs: object) -> list[httpx.Response]:
        """At least ``count`` requests, and more until two workers or servers have answered: the
        kernel hands new connections to whichever worker accepts first, not in turn."""
        seen: set[str] = set()
        responses: list[httpx.Response] = []
        while len(responses) < count or (len(seen) < 2 and len(responses) < 300):
            responses.append(self.request(method, path, **kwargs))
            seen.add(f"{responses[-1].url.port}/{responses[-1].headers.get('x-mock-worker')}")
        assert len(seen) >= 2, f"only {seen} answered {len(responses)} requests"
        return responses


@pytest.fixture(scope="module", params=["workers", "sqlite-file", "redis"])
def topology(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doors]:
    if request.param == "workers":
        servers = [LiveServer("--workers", "2", *CLOCK)]
    elif request.param == "sqlite-file":
        state = f"sqlite:///{tmp_path_factory.mktemp('state') / 'state.db'}"
        servers = [LiveServer("--state", state, *CLOCK) for _ in range(2)]
    else:
        redis: RedisServer = request.getfixturevalue("redis_server")
        redis.flush()
        servers = [LiveServer("--state", redis.url, *CLOCK) for _ in range(2)]
    yield Doors(servers)
    for server in servers:
        server.stop()


@pytest.fixture
def doors(topology: Doors) -> Doors:
    topology.control().reset()
    return topology


def path_of(url: str) -> str:
    """``/__mock/downloads/...?...`` of a link: its host is the one the client used."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_fault_rule_fires_exactly_times_over_all_doors(doors: Doors) -> None:
    rule = doors.control().add_fault(vendor="chatbotcom", status=503, times=3)
    statuses = [r.status_code for r in doors.spread("GET", REPORT, 12, headers=AUTH["chatbotcom"])]
    assert statuses.count(503) == 3 and statuses.count(200) == len(statuses) - 3
    (listed,) = doors.control(-1).faults()
    assert (listed["id"], listed["matched"], listed["applied"], listed["remaining"]) == (rule["id"], len(statuses), 3, 0)


def test_one_journal_sees_every_request(doors: Doors) -> None:
    sent = len(doors.spread("GET", REPORT, 10, headers=AUTH["chatbotcom"]))
    doors.request("GET", REPORT)  # no credentials: 401
    for index in range(len(doors.servers)):
        control = doors.control(index)
        assert control.count(vendor="chatbotcom") == sent + 1
        assert control.count(status=401) == 1
        ids = [entry["id"] for entry in control.journal(limit=1000)]
        assert ids == sorted(ids) and len(set(ids)) == sent + 1


def test_a_session_set_through_one_door_holds_at_every_door(doors: Doors) -> None:
    doors.control(0, session="s-7").configure_session(seed=7)
    answers = doors.spread("GET", REPORT, 8, headers={**AUTH["chatbotcom"], "X-Mock-Session": "s-7"})
    seeded = doors.request("GET", REPORT, headers={**AUTH["chatbotcom"], "Prefer": "seed=7"}).content
    default = doors.request("GET", REPORT, headers=AUTH["chatbotcom"]).content
    assert {r.content for r in answers} == {seeded} and seeded != default
    assert doors.control(-1, session="s-7").count() == len(answers)


def test_a_job_is_created_polled_and_downloaded_through_different_doors(doors: Doors) -> None:
    created = doors.request("POST", EXPORT, params=RANGE, headers={**AUTH["chatcaptain"], "Prefer": "job-duration=0"})
    assert created.status_code == 202
    statuses = doors.spread("GET", f"{EXPORT}/{created.json()['id']}", 6, headers=AUTH["chatcaptain"])
    assert {s.json()["status"] for s in statuses} == {"completed"}
    assert len({path_of(s.json()["downloadUrl"]) for s in statuses}) == 1
    files = {r.content for r in doors.spread("GET", path_of(statuses[0].json()["downloadUrl"]), 6)}
    assert len(files) == 1 and next(iter(files)).startswith(b"date,channelId")


def test_every_door_answers_the_same_bytes_and_reset_reaches_all(doors: Doors) -> None:
    bodies = {r.content for r in doors.spread("GET", REPORT, 8, headers=AUTH["chatbotcom"])}
    assert len(bodies) == 1
    doors.control(0).add_fault(vendor="chatbotcom", status=500)
    doors.control(-1).reset()
    assert {r.status_code for r in doors.spread("GET", REPORT, 6, headers=AUTH["chatbotcom"])} == {200}


def test_keep_alive_answers_are_not_held_for_the_clients_delayed_ack(doors: Doors) -> None:
    # An answer is written as head then body. Without TCP_NODELAY on the accepted connection (which
    # asyncio skips for the socket uvicorn binds for --workers N) the body waits for the client's
    # delayed ACK: 40 ms or more on every request after a connection's first. A median far below
    # that shows the stall is gone; it says nothing of speed otherwise.
    with httpx.Client(base_url=doors.servers[0].url, headers=AUTH["chatbotcom"], timeout=10) as client:
        durations = []
        for _ in range(21):
            started = time.perf_counter()
            assert client.get(REPORT).status_code == 200
            durations.append(time.perf_counter() - started)
    assert sorted(durations)[10] < 0.02, f"median {sorted(durations)[10] * 1000:.1f} ms per keep-alive request"


@pytest.mark.parametrize("store", ["sqlite-file", "redis"])
def test_a_restarted_server_keeps_its_jobs_and_links(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if store == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        redis.flush()
        url = redis.url
    else:
        url = f"sqlite:///{tmp_path / 'state.db'}"
    first = LiveServer("--state", url, *CLOCK)
    created = httpx.post(first.url + EXPORT, params=RANGE, headers={**AUTH["chatcaptain"], "Prefer": "job-duration=0"})
    job = created.json()["id"]
    link = httpx.get(f"{first.url}{EXPORT}/{job}", headers=AUTH["chatcaptain"]).json()["downloadUrl"]
    before = httpx.get(link).content
    first.stop()
    second = LiveServer("--state", url, *CLOCK)
    try:
        status = httpx.get(f"{second.url}{EXPORT}/{job}", headers=AUTH["chatcaptain"])
        assert status.status_code == 200 and status.json()["status"] == "completed"
        # The old link names the old port; its path and signature stay valid on the new server.
        after = httpx.get(second.url + path_of(link))
        assert after.status_code == 200 and after.content == before
    finally:
        second.stop()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_lets_requests_in_flight_finish(workers: str) -> None:
    server = LiveServer("--workers", workers, *CLOCK)
    answer: dict[str, httpx.Response] = {}

    def slow() -> None:
        answer["slow"] = httpx.get(server.url + REPORT, headers={**AUTH["chatbotcom"], "Prefer": "delay=1500"}, timeout=10)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)  # the request is in flight, waiting out its delay
    os.kill(server.process.pid, signal.SIGTERM)
    thread.join(10)
    assert answer["slow"].status_code == 200 and answer["slow"].json()["data"]
    assert server.process.wait(10) == 0  # a drained stop is a clean one
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/__mock/health")


def test_an_unreachable_redis_stops_the_server_at_start_with_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--state", "redis://127.0.0.1:1/0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "the Redis state store at redis://127.0.0.1:1/0 failed" in result.stderr and "refused" in result.stderr
