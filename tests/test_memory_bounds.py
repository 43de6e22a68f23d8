"""What a client sends is not what the server keeps: memory stays bounded under unique large requests."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.cases import AUTH
from tests.conftest import NOW, LiveServer

BOTPRESS = "/botpress/v1/admin/bots/bot_1/analytics"
QUERY = {"startDate": "2025-05-01", "endDate": "2025-05-07"}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_unique_large_requests_do_not_fill_the_answer_cache() -> None:
    # The journal keeps up to --journal-bytes of what clients sent, by design; kept small here so
    # that what is measured is the answer cache.
    server = LiveServer("--now", NOW.isoformat().replace("+00:00", "Z"), "--journal-bytes", "1048576")
    try:
        assert server.process is not None
        with httpx.Client(base_url=server.url, headers=AUTH["botpress"], timeout=30) as client:
            for _ in range(20):  # warm: the code paths, allocator arenas, and the day caches
                assert client.get(BOTPRESS, params=QUERY).status_code == 200
            before = rss_mib(server.process.pid)
            for n in range(150):  # 150 MiB of unique GET bodies, each answered and cacheable
                body = os.urandom(4) * (1 << 18)
                response = client.request("GET", BOTPRESS, params=QUERY, content=body)
                assert response.status_code == 200
            for n in range(150):  # 9 MiB of unique headers
                assert client.get(BOTPRESS, params=QUERY, headers={"X-Trace": f"{n:06d}" * 10_000}).status_code == 200
            grown = rss_mib(server.process.pid) - before
    finally:
        server.stop()
    # The answer cache may hold 16 MiB (--cache-bytes); what the requests carried must not stay.
    assert grown < 32, f"RSS grew {grown:.0f} MiB"
