"""Export and report jobs over real HTTP against `mockserver serve --workers 2`.

A job created through one worker is polled and downloaded through whichever worker answers;
the files' figures are compared with the report endpoints for the same range.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pypdf
import pytest

from tests.cases import AUTH
from tests.conftest import NOW, LiveServer

CC = "/chatcaptain/v1/chatbots/shop_bot/statistics"
GB = "/generalbots/api/v1/analytics"
RANGE = {"from": "2025-05-01T00:00:00.000Z", "to": "2025-05-14T23:59:59.999Z"}


@pytest.fixture(scope="module")
def server() -> Iterator[httpx.Client]:
    live = LiveServer(
        "--workers", "2", "--job-duration", "0.4", "--download-ttl", "1", "--now", NOW.isoformat().replace("+00:00", "Z")
    )
    with httpx.Client(base_url=live.url, timeout=10) as client:
        yield client
    live.stop()


def poll(client: httpx.Client, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Poll until a final status, honouring Retry-After but never sleeping more than 0.15 s."""
    seen = []
    for _ in range(60):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        seen.append(response.json())
        if seen[-1]["status"] in ("completed", "failed"):
            assert "retry-after" not in response.headers
            return seen
        assert int(response.headers["retry-after"]) >= 1
        time.sleep(0.15)
    raise AssertionError(f"job never finished: {seen[-1]}")


def test_chatcaptain_export_lifecycle_and_csv_match_the_reports(server: httpx.Client) -> None:
    created = server.post(f"{CC}/export", params=RANGE, headers=AUTH["chatcaptain"])
    assert created.status_code == 202 and created.json()["status"] == "queued"
    location = created.headers["location"]
    assert location.endswith(f"{CC}/export/{created.json()['id']}")
    states = poll(server, location, AUTH["chatcaptain"])
    assert states[0]["status"] in ("queued", "processing") and states[-1]["status"] == "completed"
    assert [s["progress"] for s in states] == sorted(s["progress"] for s in states)
    done = states[-1]
    download = server.get(done["downloadUrl"])
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert set(rows[0]) == {"date", "channelId", "channelName", "channelType", "conversations", "messages", "interactions"}
    overview = server.get(
        f"{CC}/reports/overview", headers=AUTH["chatcaptain"], params={**RANGE, "interval": 86400, "components": "1,7,14"}
    ).json()["components"]
    assert sum(int(r["conversations"]) for r in rows) == overview["CONVERSATION_COUNT"]["total"]
    assert sum(int(r["messages"]) for r in rows) == overview["MESSAGE_COUNT"]["total"]
    assert sum(int(r["interactions"]) for r in rows) == overview["INTERACTION_COUNT"]["total"]
    channel = rows[0]["channelId"]
    series = server.get(
        f"{CC}/reports/channel",
        headers=AUTH["chatcaptain"],
        params={**RANGE, "interval": 86400, "components": "2", "channelId": channel},
    ).json()
    expected = [(p["date"], p["value"]) for p in series["components"]["CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID"]["series"]]
    assert [(r["date"], int(r["conversations"])) for r in rows if r["channelId"] == channel] == expected


def test_chatcaptain_forced_failure_unknown_ids_and_other_chatbots(server: httpx.Client) -> None:
    headers = {**AUTH["chatcaptain"], "Prefer": "job=failed, job-duration=0"}
    created = server.post(f"{CC}/export", params=RANGE, headers=headers).json()
    status = server.get(f"{CC}/export/{created['id']}", headers=AUTH["chatcaptain"]).json()
    assert status["status"] == "failed" and status["error"] and "downloadUrl" not in status
    other = server.get(f"/chatcaptain/v1/chatbots/another_bot/statistics/export/{created['id']}", headers=AUTH["chatcaptain"])
    unknown = server.get(f"{CC}/export/00000000-0000-4000-8000-000000000000", headers=AUTH["chatcaptain"])
    for response in (other, unknown):
        assert response.status_code == 404 and response.json()["error"] == "Not Found"
    bad = server.post(f"{CC}/export", params=RANGE, headers={**AUTH["chatcaptain"], "Prefer": "job=maybe"})
    assert bad.status_code == 400 and "job=completed or job=failed" in bad.json()["message"]


def test_download_links_are_signed_and_expire(server: httpx.Client) -> None:
    headers = {**AUTH["chatcaptain"], "Prefer": "job-duration=0"}
    created = server.post(f"{CC}/export", params=RANGE, headers=headers).json()
    url = server.get(f"{CC}/export/{created['id']}", headers=AUTH["chatcaptain"]).json()["downloadUrl"]
    tampered = server.get(url.replace(created["id"], "00000000-0000-4000-8000-000000000000"))
    assert tampered.status_code == 403 and tampered.json()["error"] == "invalid_link"
    deadline = time.monotonic() + 10  # the test server's links live 1 s after the job finished
    while (expired := server.get(url)).status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert expired.status_code == 410 and "expired" in expired.json()["message"]
    fresh = server.get(f"{CC}/export/{created['id']}", headers=AUTH["chatcaptain"]).json()["downloadUrl"]
    assert fresh == url  # the link follows from the job: a client that waited too long creates a new job


def jwt(*roles: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"Bearer {part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': 'user-1', 'roles': list(roles)})}.signature"


@pytest.mark.parametrize("fmt", ["csv", "json", "pdf"])
def test_generalbots_report_lifecycle_and_file_match_daily_usage(server: httpx.Client, fmt: str) -> None:
    admin = {"Authorization": jwt("analytics_admin")}
    body = {"type": "usage", "start_date": "2025-05-01", "end_date": "2025-05-10", "format": fmt}
    created = server.post(f"{GB}/reports", json=body, headers=admin)
    # The vendor documents 200 as the only success code; the Location header names the report.
    assert created.status_code == 200 and created.json()["status"] == "pending"
    assert created.headers["location"].endswith(f"{GB}/reports/{created.json()['id']}")
    states = poll(server, created.headers["location"], admin)
    assert states[-1]["status"] == "completed" and states[-1]["completed_at"] and states[-1]["error"] is None
    file = server.get(states[-1]["download_url"])
    assert file.status_code == 200
    daily = server.get(
        f"{GB}/usage/daily",
        params={"start_date": "2025-05-01", "end_date": "2025-05-10"},
        headers={"Authorization": jwt("analytics_viewer")},
    ).json()["data"]
    expected = [(d["date"], d["conversations"], d["messages"]) for d in daily]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(file.text)))
        assert [(r["date"], int(r["conversations"]), int(r["messages"])) for r in rows] == expected
    elif fmt == "json":
        rows = file.json()["rows"]
        assert [(r["date"], r["conversations"], r["messages"]) for r in rows] == expected
        assert file.json()["totals"]["conversations"] == sum(e[1] for e in expected)
    else:
        assert file.headers["content-type"] == "application/pdf"
        text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(file.content)).pages)
        for date, conversations, messages in expected:
            assert f"{date} {conversations} {messages}" in text


def test_generalbots_reports_list_newest_first_and_paginate(server: httpx.Client) -> None:
    admin = {"Authorization": "Bearer opaque-token-acts-as-admin"}
    ids = [
        server.post(
            f"{GB}/reports",
            headers=admin,
            json={"type": t, "start_date": "2025-04-01", "end_date": "2025-04-30", "format": "json"},
        ).json()["id"]
        for t in ("usage", "conversations", "engagement")
    ]
    first = server.get(f"{GB}/reports", params={"per_page": 2}, headers=admin).json()
    second = server.get(f"{GB}/reports", params={"per_page": 2, "page": 2}, headers=admin).json()
    assert [r["id"] for r in first["reports"]] == ids[::-1][:2]
    assert second["reports"][0]["id"] == ids[0] and first["total"] == second["total"] >= 3


def test_generalbots_viewer_cannot_use_reports_and_unknown_report_is_404(server: httpx.Client) -> None:
    viewer = {"Authorization": jwt("analytics_viewer")}
    body = {"type": "usage", "start_date": "2025-05-01", "end_date": "2025-05-10", "format": "csv"}
    for response in (server.post(f"{GB}/reports", json=body, headers=viewer), server.get(f"{GB}/reports", headers=viewer)):
        assert response.status_code == 403
        assert response.json()["error"] == "insufficient_permissions" and "analytics_admin" in response.json()["message"]
    assert server.get(f"{GB}/usage", headers=viewer).status_code == 200
    missing = server.get(f"{GB}/reports/3fa85f64-5717-4562-b3fc-2c963f66afa6", headers={"Authorization": jwt("admin")})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_a_job_created_through_one_worker_is_read_through_the_other(server: httpx.Client) -> None:
    created = server.post(f"{CC}/export", params=RANGE, headers={**AUTH["chatcaptain"], "Prefer": "job-duration=0"})
    creator = created.headers["x-mock-worker"]
    readers: dict[str, int] = {}
    # New connections are spread over the workers by the kernel; keep asking until another one answers.
    for _ in range(100):
        status = server.get(created.headers["location"], headers={**AUTH["chatcaptain"], "Connection": "close"})
        assert status.status_code == 200 and status.json()["status"] == "completed"
        readers[status.headers["x-mock-worker"]] = readers.get(status.headers["x-mock-worker"], 0) + 1
        if set(readers) - {creator}:
            break
    assert set(readers) - {creator}, f"only worker {creator} answered: {readers}"
    other = next(iter(set(readers) - {creator}))
    for _ in range(100):
        download = server.get(status.json()["downloadUrl"], headers={"Connection": "close"})
        assert download.status_code == 200 and download.text.startswith("date,channelId")
        if download.headers["x-mock-worker"] == other:
            break
