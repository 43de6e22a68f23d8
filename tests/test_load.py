"""Load: 200 concurrent keep-alive connections for 20 s against one worker, every vendor operation
and the usual refusals, with zero errors and zero 5xx; 1,000 exports created at once all complete
and download. ``MOCKSERVER_LOAD_SECONDS=60`` runs the minute; a generous client timeout keeps the
verdict about errors, not about how busy the machine is."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.cases import AUTH, CASES, STATEFUL
from tests.conftest import NOW, LiveServer, resolve_query

SECONDS = float(os.environ.get("MOCKSERVER_LOAD_SECONDS", "20"))
CONNECTIONS = 200
EXPORT = "/chatcaptain/v1/chatbots/load_bot/statistics/export"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = LiveServer("--now", NOW.isoformat().replace("+00:00", "Z"), "--journal-size", "5000")
    yield live
    live.stop()


def traffic(server: LiveServer) -> list[list[Any]]:
    """[method, target, headers, expected status] for every stateless operation, each of its
    refusals (a bad value per parameter, no credentials), and an unknown path."""
    requests: list[list[Any]] = []
    with httpx.Client(base_url=server.url) as client:
        for case in (c for c in CASES if c.id not in STATEFUL):
            query = resolve_query(client, case, case.query)
            path = f"/{case.vendor}{case.path}"
            requests += [[case.method, f"{path}?{urlencode(query, doseq=True)}", case.headers, 200]] * 4  # mostly valid
            for name, bad in case.invalid.items():
                requests.append([case.method, f"{path}?{urlencode({**query, name: bad}, doseq=True)}", case.headers, 400])
            requests.append([case.method, f"{path}?{urlencode(query, doseq=True)}", {}, 401])
        requests.append(["GET", "/chatbotcom/reports/nothing-here", AUTH["chatbotcom"], 404])
    return requests


def test_200_connections_without_an_error(server: LiveServer, tmp_path: Path) -> None:
    requests = traffic(server)
    file = tmp_path / "requests.json"
    file.write_text(json.dumps(requests))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.loadgen",
            "--port",
            str(server.port),
            "--connections",
            str(CONNECTIONS),
            "--seconds",
            str(SECONDS),
            str(file),
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS + 120,
        cwd=Path(__file__).parent.parent,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    print(json.dumps(summary))  # the figures, with -s
    assert summary["errors"] == {} and summary["server_errors"] == 0, summary
    assert summary["unexpected"] == {}, summary
    assert summary["fewest_per_connection"] >= 1 and summary["requests"] >= len(requests), summary
    # Still serving, and the journal held to its bound.
    assert httpx.get(f"{server.url}/__mock/health").status_code == 200
    assert httpx.get(f"{server.url}/__mock/journal/count").json()["count"] == 5000


def test_1000_exports_created_at_once_all_complete_and_download(server: LiveServer) -> None:
    headers = {**AUTH["chatcaptain"], "Prefer": "job-duration=1"}
    params = {"from": "2025-05-01T00:00:00.000Z", "to": "2025-05-03T23:59:59.999Z"}

    async def scenario() -> tuple[list[str], list[bytes]]:
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        # No pool timeout: 1,000 requests queue for 200 connections, and a slow machine must not fail them.
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=httpx.Timeout(60, pool=None)) as client:
            created = await asyncio.gather(*(client.post(EXPORT, params=params, headers=headers) for _ in range(1000)))
            assert {r.status_code for r in created} == {202}
            locations = [r.headers["location"] for r in created]
            deadline = asyncio.get_running_loop().time() + 30

            async def poll(url: str) -> httpx.Response:
                # A keep-alive connection the server closed as idle (its 5 s keep-alive ran out while
                # this loaded client left it in the pool) may be picked just as it closes: a GET is
                # safe to send again, as any client would.
                try:
                    return await client.get(url, headers=headers)
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    return await client.get(url, headers=headers)

            while True:  # until every job says it finished (they take 1 s)
                statuses = await asyncio.gather(*(poll(url) for url in locations))
                if {s.json()["status"] for s in statuses} == {"completed"}:
                    break
                assert asyncio.get_running_loop().time() < deadline, {s.json()["status"] for s in statuses}
                await asyncio.sleep(0.25)
            files = await asyncio.gather(*(client.get(s.json()["downloadUrl"]) for s in statuses))
            assert {f.status_code for f in files} == {200}
            return [s.json()["id"] for s in statuses], [f.content for f in files]

    ids, files = asyncio.run(scenario())
    assert len(set(ids)) == 1000
    channels = httpx.get(f"{server.url}/chatcaptain/v1/chatbots/load_bot/statistics/channels", headers=AUTH["chatcaptain"]).json()
    rows = 1 + 3 * len(channels["data"])  # a header, then a row per day and channel
    assert {len(f.decode().strip().splitlines()) for f in files} == {rows}
    assert len(set(files)) == 1  # the same range, the same figures
