"""Sloppy and hostile requests get the vendor's 4xx with a message naming the problem, never a 5xx,
and the server keeps serving. The cases, per vendor, are in ``tests/hostile_cases.py``."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.cases import AUTH, TOKEN
from tests.conftest import NOW, LiveServer
from tests.hostile_cases import AT_THE_EDGES, BP, IN_PROCESS, ON_THE_WIRE, REFUSED_BY_HTTP, WIRE, WRITTEN, Hostile

# An error body says what was wrong in a sentence or two; it never echoes a huge input back.
MAX_ERROR_BYTES = 2048
Answer = tuple[int, str, bytes]  # status, content type, body


def error_message(vendor: str, status: int, body: Any) -> str:
    """The message of ``vendor``'s error body, after checking the body has that vendor's shape
    (for a vendor whose body the tests do not know, the whole body: the words are in it)."""
    assert isinstance(body, dict), body
    if vendor not in (*WRITTEN, "mock"):
        return json.dumps(body)
    if vendor == "botpress":
        assert set(body) == {"id", "code", "type", "message"} and body["code"] == status, body
    elif vendor == "chatcaptain":
        assert set(body) == {"statusCode", "message", "error"} and body["statusCode"] == status, body
    elif vendor == "chatbotcom":
        assert set(body) == {"timestamp", "status"} and isinstance(body["status"], dict), body
        body = body["status"]
        assert set(body) == {"code", "type", "message"} and body["code"] == status, body
    else:  # General Bots, and the control plane (/__mock) that serves download links
        assert set(body) == {"error", "message"} and isinstance(body["error"], str), body
    assert isinstance(body["message"], str) and body["message"], body
    return body["message"]


def check(case: Hostile, answer: Answer) -> None:
    status, content_type, content = answer
    assert status == case.status, f"{status} ({content_type}): {content[:300]!r}"
    if status < 400:
        json.loads(content)
        return
    if case.vendor == REFUSED_BY_HTTP:
        assert content_type.startswith("text/plain") and b"Invalid HTTP request" in content, content[:300]
        return
    assert "json" in content_type, f"{content_type}: {content[:300]!r}"
    assert len(content) <= MAX_ERROR_BYTES, f"a {len(content)}-byte error body: {content[:300]!r}..."
    message = error_message(case.vendor, status, json.loads(content))
    missing = [word for word in case.words if word.lower() not in message.lower()]
    assert not missing, f"the message does not say {missing}: {message!r}"


def headers_of(case: Hostile) -> dict[str, str | bytes]:
    """The vendor's credentials with the case's headers on top (names are case-insensitive)."""
    return {name.lower(): value for name, value in [*AUTH.get(case.vendor, {}).items(), *case.headers.items()]}


def in_process(client: TestClient, case: Hostile) -> Answer:
    assert isinstance(case.target, str)
    response = client.request(case.method, case.target, headers=headers_of(case), content=case.body)
    return response.status_code, response.headers.get("content-type", ""), response.content


def over_the_wire(port: int, case: Hostile) -> Answer:
    """Send ``case`` byte for byte on a new connection to 127.0.0.1:``port``."""
    target = case.target if isinstance(case.target, bytes) else case.target.encode()
    headers = {"host": f"127.0.0.1:{port}", "connection": "close", **headers_of(case)}
    if case.body is not None:
        headers["content-length"] = str(len(case.body))
    head = b"".join(
        name.encode() + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")) + b"\r\n"
        for name, value in headers.items()
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(case.method.encode() + b" " + target + b" HTTP/1.1\r\n" + head + b"\r\n" + (case.body or b""))
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.getheader("content-type") or "", response.read()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    """A real server of its own, accepting only ``TOKEN``."""
    live = LiveServer("--token", TOKEN, "--now", NOW.isoformat().replace("+00:00", "Z"))
    yield live
    live.stop()


@pytest.mark.parametrize("case", IN_PROCESS)
def test_hostile_requests_are_refused_in_the_vendors_error_body(client: TestClient, case: Hostile) -> None:
    check(case, in_process(client, case))


@pytest.mark.parametrize("case", ON_THE_WIRE)
def test_raw_hostile_requests_are_refused_in_the_vendors_error_body(server: LiveServer, case: Hostile) -> None:
    check(case, over_the_wire(server.port, case))


@pytest.mark.parametrize("case", AT_THE_EDGES)
def test_valid_requests_at_the_edges_are_answered(client: TestClient, case: Hostile) -> None:
    check(case, in_process(client, case))


def test_the_server_keeps_serving_after_all_of_it(server: LiveServer) -> None:
    for param in [*IN_PROCESS, *ON_THE_WIRE, *AT_THE_EDGES]:
        case = param.values[0]
        status, _, _ = over_the_wire(server.port, case)  # an answer, not a hang or a dropped connection
        assert 200 <= status < 600, case
    assert server.process.poll() is None, "the server exited"
    for vendor in WRITTEN:
        valid = Hostile(vendor, "a valid request", WIRE[vendor][1], 200)
        check(valid, over_the_wire(server.port, valid))
    health = Hostile("mock", "health", "/__mock/health", 200)
    check(health, over_the_wire(server.port, health))


UNKNOWN_BOT = "4b609fdb-e5f3-1fe8-bea1-edf7f41ea422"


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("usage", {}),
        ("usage/monthly", {}),
        ("conversations", {}),
        ("conversations/volume", {"group_by": "month"}),
        ("conversations/duration", {}),
        ("conversations/resolution", {}),
        ("engagement", {}),
        ("engagement/satisfaction", {}),
    ],
)
def test_an_unknown_bot_over_two_thousand_years_counts_zero(client: TestClient, path: str, extra: dict[str, str]) -> None:
    # The spec: an unknown bot_id is not an error, its figures are zero. The range reaches back to
    # year 121, so an answer that walked the range day by day would take many seconds.
    query = {
        "bot_id": UNKNOWN_BOT,
        "start_date": "0121-10-18",
        "end_date": "2025-01-05",
        "user_id": "bb7a12fc-3cd6-5e39-902e-b49f9b0e80d3",
        **extra,
    }
    response = client.get(f"/generalbots/api/v1/analytics/{path}", params=query, headers=AUTH["generalbots"])
    assert response.status_code == 200, response.text
    body = response.json()
    counts = [v for k, v in body.items() if isinstance(v, int) and not isinstance(v, bool)]
    counts += [v for point in body.get("data", []) for k, v in point.items() if isinstance(v, int)]
    assert counts and not any(counts), body


# A session clock at the far end of what the server accepts, with the bot ages that implies.
FAR_CLOCK = "9000-12-31T23:59:59-23:59"
FAR_REQUESTS = [
    ("botpress", "/botpress/v1/admin/bots/bot_1/analytics?startDate=9000-12-25&endDate=9001-01-01", 200),
    (
        "chatcaptain",
        "/chatcaptain/v1/chatbots/b/statistics/reports/overview?from=9000-12-01T00:00:00Z&to=9000-12-31T00:00:00Z&interval=86400&components=2,5,9",
        200,
    ),
    ("chatcaptain", "/chatcaptain/v1/chatbots/b/statistics/channels", 200),
    ("chatbotcom", "/chatbotcom/reports/conversations?dimension=month", 200),
    ("chatbotcom", "/chatbotcom/reports/conversations.heatmap", 200),
    ("generalbots", "/generalbots/api/v1/analytics/usage?days=30", 200),
    ("generalbots", "/generalbots/api/v1/analytics/usage/daily", 200),
]


@pytest.mark.parametrize(("vendor", "path", "status"), FAR_REQUESTS)
def test_a_clock_at_the_end_of_the_calendar_is_served(client: TestClient, vendor: str, path: str, status: int) -> None:
    # Seven thousand years of a yearly trend once overflowed (a 500); growth now levels off.
    assert client.put("/__mock/sessions/far", json={"now": FAR_CLOCK}).status_code == 200
    response = client.get(path, headers={**AUTH[vendor], "X-Mock-Session": "far"})
    assert response.status_code == status, response.text[:500]


def test_a_botpress_range_of_millions_of_days_is_refused_with_the_limit(client: TestClient) -> None:
    # Under a far clock a bot's lifetime spans millennia: one record a day would be millions.
    assert client.put("/__mock/sessions/far", json={"now": FAR_CLOCK}).status_code == 200
    response = client.get(f"{BP}?startDate=0001-01-01&endDate=9999-12-31", headers={**AUTH["botpress"], "X-Mock-Session": "far"})
    assert response.status_code == 400, response.text[:500]
    message = error_message("botpress", 400, response.json())
    assert response.json()["type"] == "InvalidQuery" and "the limit is 50000" in message, message


@pytest.mark.parametrize(
    ("now", "status"),
    [
        ("1970-01-01T00:00:00+05:00", 200),
        ("9000-12-31T23:59:59-23:59", 200),
        ("1969-12-31T23:59:59-05:00", 400),
        ("0431-05-05T05:41:44.2+21:24", 400),
        ("9001-01-01T00:00:00Z", 400),
    ],
)
def test_a_session_clock_is_bounded_by_the_year_as_written(client: TestClient, now: str, status: int) -> None:
    response = client.put("/__mock/sessions/clock", json={"now": now})
    assert response.status_code == status, response.text
    if status == 400:
        assert now in response.json()["message"] and "1970" in response.json()["message"]
