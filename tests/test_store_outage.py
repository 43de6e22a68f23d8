"""A state store that hangs or loses its data: the server answers quickly, says why, and agrees
with its peers again afterwards."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer, RedisServer, until
from tests.test_hostile_input import error_message

# Several servers, or a nested pytest run: `make test` runs these, `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

REQUESTS = {
    "botpress": (
        "/botpress/v1/admin/bots/bot_1/analytics?startDate=2025-01-01&endDate=2025-01-07",
        {"Authorization": "Bearer any-token", "x-workspace-id": "w"},
    ),
    "generalbots": ("/generalbots/api/v1/analytics/usage?days=7", {"Authorization": "Bearer any-token"}),
}


@pytest.fixture
def paused_redis(redis_server: RedisServer, tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own (the shared one must keep answering), resumed at the end."""
    own = RedisServer(str(tmp_path))
    yield own
    os.kill(own.process.pid, signal.SIGCONT)
    own.process.terminate()
    own.process.wait(10)


def test_a_paused_redis_gives_quick_503s_in_the_vendors_body_and_health_keeps_answering(paused_redis: RedisServer) -> None:
    server = LiveServer("--state", paused_redis.url)
    try:
        os.kill(paused_redis.process.pid, signal.SIGSTOP)
        started = time.monotonic()
        assert httpx.get(f"{server.url}/__mock/health", timeout=5).status_code == 200
        assert time.monotonic() - started < 1.0
        for vendor, (path, headers) in REQUESTS.items():
            started = time.monotonic()
            answer = httpx.get(server.url + path, headers=headers, timeout=5)
            assert answer.status_code == 503 and time.monotonic() - started < 1.0, answer.text
            assert "Redis state store" in error_message(vendor, 503, answer.json())
        ready = httpx.get(f"{server.url}/__mock/ready", timeout=5)
        assert ready.status_code == 503 and "Redis" in ready.json()["reason"]
        started = time.monotonic()
        assert httpx.get(f"{server.url}/__mock/health", timeout=5).status_code == 200
        assert time.monotonic() - started < 0.5
        os.kill(paused_redis.process.pid, signal.SIGCONT)
        until(lambda: httpx.get(f"{server.url}/__mock/ready", timeout=5).status_code == 200)
        path, headers = REQUESTS["botpress"]
        assert httpx.get(server.url + path, headers=headers, timeout=5).status_code == 200
    finally:
        server.stop()


def test_a_locked_sqlite_journal_gives_quick_503s(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    server = LiveServer("--state", f"sqlite:///{state}")
    path, headers = REQUESTS["generalbots"]
    try:
        assert httpx.get(server.url + path, headers=headers).status_code == 200
        locker = sqlite3.connect(tmp_path / "state.journal.db", isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the journal's write lock
        started = time.monotonic()
        answer = httpx.get(server.url + path, headers=headers, timeout=5)
        assert answer.status_code == 503 and time.monotonic() - started < 1.0
        assert "state file" in answer.json()["message"] and answer.json()["error"] == "service_unavailable"
        assert httpx.get(f"{server.url}/__mock/ready").status_code == 503
        locker.execute("ROLLBACK")
        locker.close()
        until(lambda: httpx.get(f"{server.url}/__mock/ready").status_code == 200)
        assert httpx.get(server.url + path, headers=headers).status_code == 200
    finally:
        server.stop()


def download_link(server: LiveServer) -> str:
    """A finished General Bots report's signed link, made through ``server``."""
    headers = {"Authorization": "Bearer any-token", "Prefer": "job-duration=0"}
    body = {"type": "usage", "start_date": "2025-05-01", "end_date": "2025-05-07", "format": "csv"}
    created = httpx.post(f"{server.url}/generalbots/api/v1/analytics/reports", json=body, headers=headers)
    assert created.status_code in (200, 201, 202), created.text
    status = httpx.get(f"{server.url}/generalbots/api/v1/analytics/reports/{created.json()['id']}", headers=headers).json()
    return status["download_url"]


def test_servers_agree_on_links_after_redis_lost_its_data(redis_server: RedisServer) -> None:
    redis_server.flush()
    first = LiveServer("--state", redis_server.url)
    try:
        redis_server.flush()  # a restart without persistence
        second = LiveServer("--state", redis_server.url)
        try:
            for maker, checker in ((first, second), (second, first)):
                link = download_link(maker)
                path = link[link.index("/__mock/") :]
                assert httpx.get(checker.url + path).status_code == 200
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_shared_secret_signs_links_alike_whatever_the_store(redis_server: RedisServer) -> None:
    redis_server.flush()
    servers = [LiveServer("--state", redis_server.url, "--secret", "team-secret-0123456789") for _ in range(2)]
    try:
        link = download_link(servers[0])
        path = link[link.index("/__mock/") :]
        assert httpx.get(servers[1].url + path).status_code == 200
        stranger = LiveServer("--state", redis_server.url, "--secret", "another-secret-0123456789")
        try:
            assert httpx.get(stranger.url + path).status_code == 403
        finally:
            stranger.stop()
    finally:
        for server in servers:
            server.stop()
