"""Shared fixtures: the app in-process (ASGI), a real server on a free port, and an independent
response validator (openapi-core) built from the spec the server itself serves."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
from hypothesis.database import DirectoryBasedExampleDatabase
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.pytest_plugin import RunningMockServer, start_server
from tests.cases import AUTH, FIRST_CHANNEL, NEW_EXPORT, NEW_REPORT, TOKEN, Case

# Property tests: `make test` draws the same examples every run (derandomized, no example
# database), so a run fails only when the code changed; `make fuzz` explores (random examples,
# failures kept under .venv for the next run). A failure prints its inputs and the
# @reproduce_failure line that replays it.
hypothesis.settings.register_profile("test", derandomize=True, database=None, print_blob=True)
hypothesis.settings.register_profile(
    "fuzz",
    derandomize=False,
    database=DirectoryBasedExampleDatabase(str(Path(__file__).parent.parent / ".venv" / "hypothesis")),
    print_blob=True,
)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "test"))

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
HOST = "http://127.0.0.1:8000"


@lru_cache(maxsize=32)
def app_for(seed: int = 0, tokens: frozenset[str] = frozenset()) -> Any:
    return create_app(Settings(seed=seed, now=NOW, tokens=tokens))


_CLIENTS: dict[int, TestClient] = {}


def client_for(seed: int) -> TestClient:
    """An open in-process client of ``app_for(seed)``, kept for the whole run (opening one per
    request costs more than most requests)."""
    if seed not in _CLIENTS:
        if len(_CLIENTS) >= 16:
            _CLIENTS.pop(next(iter(_CLIENTS))).__exit__(None, None, None)
        _CLIENTS[seed] = TestClient(app_for(seed=seed), base_url=HOST).__enter__()
    return _CLIENTS[seed]


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    with TestClient(app_for(), base_url=HOST) as test_client:
        yield test_client


def send(client: TestClient, case: Case, **changes: Any) -> httpx.Response:
    """Send ``case`` with optional changes: query=, headers=, body=, path=, method=."""
    query = resolve_query(client, case, changes.get("query", case.query))
    headers = changes.get("headers", case.headers)
    body = changes.get("body", case.body)
    return client.request(
        changes.get("method", case.method),
        f"/{case.vendor}{resolve_path(client, case, changes.get('path', case.path))}",
        params=query,
        headers=headers,
        json=body,
    )


def resolve_path(client: Any, case: Case, path: str) -> str:
    """Replace a job placeholder with the id of a job created the way a client creates one."""
    if NEW_EXPORT in path:
        created = client.post(
            f"/{case.vendor}{path.split('/export/')[0]}/export",
            params={"from": "2025-05-01T00:00:00.000Z", "to": "2025-05-07T23:59:59.999Z"},
            headers=AUTH[case.vendor],
        )
        return path.replace(NEW_EXPORT, created.json()["id"])
    if NEW_REPORT in path:
        body = {"type": "usage", "start_date": "2025-05-01", "end_date": "2025-05-07", "format": "csv"}
        created = client.post(f"/{case.vendor}{path.rsplit('/', 1)[0]}", json=body, headers=AUTH[case.vendor])
        return path.replace(NEW_REPORT, created.json()["id"])
    return path


def resolve_query(client: Any, case: Case, query: dict[str, Any]) -> dict[str, Any]:
    """Replace placeholders with what a client would look up first (a chatbot's channel id)."""
    if FIRST_CHANNEL not in query.values():
        return query
    chatbot_path = case.path.split("/statistics")[0]
    listed = client.get(f"/{case.vendor}{chatbot_path}/statistics/channels", headers=AUTH[case.vendor]).json()
    return {k: listed["data"][0]["id"] if v == FIRST_CHANNEL else v for k, v in query.items()}


@cache
def _openapi(vendor: str) -> OpenAPI:
    with TestClient(app_for(), base_url=HOST) as test_client:
        return OpenAPI.from_dict(test_client.get(f"/{vendor}/openapi.json").json())


def check_response(case: Case, response: httpx.Response, **changes: Any) -> None:
    """Validate status, headers and body against the served spec with openapi-core."""
    request = MockRequest(
        HOST,
        response.request.method.lower(),
        response.request.url.path,
        args=dict(response.request.url.params),
        headers=changes.get("headers", case.headers),
        data=None,
    )
    result = MockResponse(
        response.content,
        status_code=response.status_code,
        content_type=response.headers.get("content-type", ""),
        headers=dict(response.headers),
    )
    _openapi(case.vendor).validate_response(request, result)


def until(condition: Callable[[], Any], seconds: float = 15.0) -> None:
    """Wait for ``condition`` to hold, polling; fail after ``seconds`` (tests wait on conditions, not the clock)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackHTTP:
    """A stand-in HTTP server on loopback (a vendor, an upstream): ``answer`` handles each GET."""

    def __init__(self, answer: Callable[[http.server.BaseHTTPRequestHandler], None]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


class LiveServer(RunningMockServer):
    """``mockserver serve`` in a subprocess, started the way a user (and the pytest plugin) starts
    it: ``start_server`` with these options. ``output()`` is what it printed."""

    def __init__(self, *args: str) -> None:
        started = start_server(None, None, *args)
        super().__init__(started.url, started.process, started.log)
        self.port = int(self.url.rsplit(":", 1)[1])

    def output(self) -> str:
        assert self.log is not None
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    server = LiveServer("--token", TOKEN, "--now", NOW.isoformat().replace("+00:00", "Z"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def open_server() -> Iterator[LiveServer]:
    """A server in the default mode: any non-empty credential is accepted."""
    server = LiveServer("--now", NOW.isoformat().replace("+00:00", "Z"))
    yield server
    server.stop()


class RedisServer:
    """A real ``redis-server`` on a free port, without persistence."""

    def __init__(self, folder: str) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("redis-server did not start in 10 s")

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            assert sock.recv(16).startswith(b"+OK")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Debian's redis-server; CI installs it (.ci/run). Elsewhere the Redis tests skip without it,
    unless MOCKSERVER_REQUIRE_REDIS=1 says they must run."""
    if shutil.which("redis-server") is None:
        if os.environ.get("MOCKSERVER_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is not installed, and MOCKSERVER_REQUIRE_REDIS=1 requires the Redis tests")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(str(tmp_path_factory.mktemp("redis")))
    yield server
    server.process.terminate()
    server.process.wait(10)
