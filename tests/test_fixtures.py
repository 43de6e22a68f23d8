"""Canned responses (bundled and a user's own) and the start-up config file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.fixtures import FixtureError
from tests.cases import AUTH, CASES
from tests.conftest import HOST, NOW, LiveServer, check_response, send

BY_ID = {case.id: case for case in CASES}


@pytest.mark.parametrize(
    ("case_id", "name"),
    [
        ("chatbotcom.getConversationsReport", "empty"),
        ("chatbotcom.getInteractionsPopularityReport", "empty"),
        ("botpress.getBotAnalytics", "year-of-records"),
    ],
)
def test_bundled_fixtures_are_answered_by_name_and_fit_the_spec(client: TestClient, case_id: str, name: str) -> None:
    case = BY_ID[case_id]
    response = send(client, case, headers={**case.headers, "Prefer": f"example={name}"})
    assert response.status_code == 200
    check_response(case, response)
    if name == "year-of-records":
        assert len(response.json()["records"]) == 366


def test_the_failed_export_fixture(client: TestClient) -> None:
    response = client.get(
        "/chatcaptain/v1/chatbots/any/statistics/export/any-id",
        headers={**AUTH["chatcaptain"], "Prefer": "example=export-failed"},
    )
    assert response.status_code == 200 and response.json()["status"] == "failed" and response.json()["error"]


def write(directory: Path, name: str, fixture: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(fixture))
    return path


def test_a_users_fixture_answers_when_its_parameters_match(tmp_path: Path) -> None:
    story = "5b07ffafc2376e30306d9b16"
    write(
        tmp_path,
        "story.json",
        {
            "vendor": "chatbotcom",
            "operationId": "getInteractionsPopularityReport",
            "name": "one-story",
            "match": {"storyId": story},
            "body": [{"name": "Hello", "id": story, "usage": 100, "value": 3}],
        },
    )
    with TestClient(create_app(Settings(now=NOW, fixture_dirs=(tmp_path,))), base_url=HOST) as client:
        path = "/chatbotcom/reports/conversations.interactions"
        matched = client.get(path, params={"storyId": story}, headers=AUTH["chatbotcom"])
        other = client.get(path, params={"storyId": "0" * 24}, headers=AUTH["chatbotcom"])
        named = client.get(path, headers={**AUTH["chatbotcom"], "Prefer": "example=one-story"})
    assert matched.json() == named.json() == [{"name": "Hello", "id": story, "usage": 100, "value": 3}]
    assert other.json() != matched.json()


@pytest.mark.parametrize(
    ("fixture", "words"),
    [
        (
            {
                "vendor": "chatbotcom",
                "operationId": "getConversationsReport",
                "name": "bad",
                "body": {
                    "data": [{"date": "2025-01-01T00:00:00.000Z", "value": -1}],
                    "summary": {"total": 0, "min": 0, "max": 0, "avg": 0},
                },
            },
            "body at /data/0/value does not fit the 200 response of getConversationsReport: -1 is less than the minimum of 0",
        ),
        (
            {"vendor": "chatbotcom", "operationId": "getNothing", "name": "x", "body": {}},
            "chatbotcom has no operation 'getNothing'",
        ),
        ({"vendor": "acme", "operationId": "x", "name": "x", "body": {}}, "unknown vendor 'acme'"),
        ({"vendor": "chatbotcom", "operationId": "getConversationsReport", "body": {}}, "missing name"),
        (
            {
                "vendor": "chatbotcom",
                "operationId": "getConversationsReport",
                "name": "x",
                "match": {"color": "red"},
                "body": {"data": [], "summary": {"total": 0, "min": 0, "max": 0, "avg": 0}},
            },
            "match names unknown parameter(s) ['color']",
        ),
    ],
)
def test_an_invalid_fixture_stops_the_server_naming_file_and_problem(tmp_path: Path, fixture: dict, words: str) -> None:
    path = write(tmp_path, "broken.json", fixture)
    with pytest.raises(FixtureError) as caught:
        create_app(Settings(fixture_dirs=(tmp_path,)))
    assert str(path) in str(caught.value) and words in str(caught.value)
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "validate", "--fixtures", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and words in result.stderr


def test_rules_seed_and_clock_come_from_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text(
        "seed: 9\nnow: 2025-03-01T09:30:00Z\n"
        "faults:\n  - match: {vendor: generalbots, headers: {x-scenario: outage}}\n    action: {status: 503}\n"
        "sessions:\n  ci: {seed: 4}\n"
    )
    server = LiveServer("--config", str(config))
    try:
        usage = f"{server.url}/generalbots/api/v1/analytics/usage"
        outage = {**AUTH["generalbots"], "x-scenario": "outage"}
        assert httpx.get(usage, headers=outage).status_code == 503
        realtime = httpx.get(f"{server.url}/generalbots/api/v1/analytics/realtime", headers=AUTH["generalbots"]).json()
        assert realtime["timestamp"] == "2025-03-01T09:30:00.000Z"
        seeded = httpx.get(usage, headers={**AUTH["generalbots"], "Prefer": "seed=9"}).content
        assert httpx.get(usage, headers=AUTH["generalbots"]).content == seeded
        assert httpx.get(f"{server.url}/__mock/sessions/ci").json()["seed"] == 4
        httpx.post(f"{server.url}/__mock/reset")
        assert httpx.get(usage, headers=outage).status_code == 503  # reset returns to the start-up state
    finally:
        server.stop()
    config.write_text("seed: 1\nfaults:\n  - action: {status: 200}\n")
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "config faults[0]" in result.stderr and "400 to 599" in result.stderr
