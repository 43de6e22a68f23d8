"""Per-request response control with the Prefer header (Prism's words, plus seed and delay)."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from tests.cases import CASES, STATEFUL, Case
from tests.conftest import HOST, app_for, check_response, send

BY_ID = {case.id: case for case in CASES}
ONE_PER_VENDOR = [
    BY_ID[i]
    for i in (
        "botpress.getBotAnalytics",
        "chatcaptain.StatisticsController_getOverviewReport",
        "chatbotcom.getConversationsReport",
        "generalbots.getUsage",
    )
]


def prefer(client: TestClient, case: Case, value: str):  # type: ignore[no-untyped-def]
    return send(client, case, headers={**case.headers, "Prefer": value})


@pytest.mark.parametrize("case", ONE_PER_VENDOR, ids=lambda c: c.vendor)
@pytest.mark.parametrize("code", [404, 429, 500])
def test_a_declared_error_status_is_answered_in_the_vendor_body(client: TestClient, case: Case, code: int) -> None:
    response = prefer(client, case, f"code={code}")
    assert response.status_code == code and "Prefer: code=" in response.text
    check_response(case, response)


def test_rate_limits_carry_each_vendors_headers(client: TestClient) -> None:
    botpress = prefer(client, BY_ID["botpress.getBotAnalytics"], "code=429")
    assert botpress.json()["type"] == "RateLimited"
    assert (botpress.headers["ratelimit-limit"], botpress.headers["ratelimit-remaining"]) == ("100", "0")
    general = prefer(client, BY_ID["generalbots.getUsage"], "code=429")
    assert general.json()["error"] == "rate_limit_exceeded"
    assert general.json()["retry_after_secs"] == int(general.headers["retry-after"]) == 30


def test_an_undeclared_status_lists_the_declared_ones(client: TestClient) -> None:
    response = prefer(client, BY_ID["chatbotcom.getConversationsReport"], "code=418")
    assert response.status_code == 400
    message = response.json()["status"]["message"]
    assert message.startswith("Prefer code=418 is not a status getConversationsReport declares; declared: 200, 400, 401, 404")


def test_named_examples_and_static_answers(client: TestClient) -> None:
    case = BY_ID["chatbotcom.getConversationsReport"]
    example = prefer(client, case, "example=daily")
    assert example.status_code == 200 and example.json()["summary"]["total"] == sum(p["value"] for p in example.json()["data"])
    assert prefer(client, case, "dynamic=false").content == example.content
    error_example = prefer(client, case, "code=401, example=default")
    assert error_example.status_code == 401 and error_example.json()["status"]["code"] == 401
    unknown = prefer(client, case, "example=nope")
    assert unknown.status_code == 400 and "its examples: daily (200), default (400, " in unknown.text
    assert "add code=<status> to pick one" in unknown.text and unknown.text.count("default (") == 1
    fixture_only = prefer(client, BY_ID["botpress.getBotAnalytics"], "example=x")
    assert fixture_only.status_code == 400 and "its examples: year-of-records (fixture)" in fixture_only.text
    # Without examples, dynamic=false answers as usual.
    plain = BY_ID["generalbots.getUsage"]
    assert prefer(client, plain, "dynamic=false").content == send(client, plain).content


@pytest.mark.parametrize("case", [c for c in CASES if c.id not in STATEFUL][::4], ids=lambda c: c.id)
def test_seed_preference_answers_like_a_server_with_that_seed(case: Case) -> None:
    with TestClient(app_for(seed=0), base_url=HOST) as default, TestClient(app_for(seed=99), base_url=HOST) as seeded:
        assert prefer(default, case, "seed=99").content == send(seeded, case).content


def test_delay_holds_the_answer(client: TestClient) -> None:
    case = BY_ID["generalbots.getRealtimeMetrics"]
    started = time.monotonic()
    response = prefer(client, case, "delay=300")
    assert response.status_code == 200 and time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("code=abc", "Prefer code must be an integer from 100 to 599, got 'abc'"),
        ("delay=999999", "Prefer delay must be an integer from 0 to 60000"),
        ("dynamic=maybe", "Prefer dynamic must be true or false"),
        ("seed=-1", "Prefer seed must be an integer from 0"),
    ],
)
def test_bad_preferences_are_400s_that_say_what_is_allowed(client: TestClient, value: str, words: str) -> None:
    response = prefer(client, BY_ID["generalbots.getUsage"], value)
    assert response.status_code == 400 and words in response.json()["message"]


def test_unknown_preferences_are_ignored(client: TestClient) -> None:
    case = BY_ID["generalbots.getUsage"]
    assert prefer(client, case, "return=minimal, respond-async").content == send(client, case).content
