"""``mockserver verify`` against a stand-in vendor on loopback that deviates from the spec in known
ways, and against the mock itself (no drift)."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mockserver.verify.compare import CHECKS
from tests.conftest import NOW, LiveServer, LoopbackHTTP, free_port

# Several servers (the mock, a stand-in vendor): `make test` runs these, `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

AUTH = ["-H", "Authorization: Bearer s3cret-stand-in-token"]


class StandIn:
    """ChatBot.com as the mock answers it, with one deviation per operation (see ``deviate``)."""

    def __init__(self, mock_url: str) -> None:
        self.mock_url = mock_url
        self.calls: dict[str, int] = {}
        self.http = LoopbackHTTP(self.answer)
        self.url = self.http.url

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        route = handler.path.split("?")[0]
        n = self.calls[route] = self.calls.get(route, 0) + 1
        request = urllib.request.Request(self.mock_url + handler.path, headers=dict(handler.headers))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, body = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, dict(error.headers), error.read()
        if route == "/reports/conversations.heatmap" and n == 1:  # rate-limited once: wait and retry
            return self.send(handler, 429, {"Retry-After": "1"}, b'{"status": "slow down"}')
        if route == "/reports/conversations.interactions" and n == 1:
            time.sleep(1.5)  # slower than --timeout 1
        if route == "/reports/conversations.interactions" and n == 2:
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            handler.connection.close()  # a connection reset
            return
        if status == 200:
            data = json.loads(body)
            if route == "/reports/conversations":
                data["trend"] = 0.5  # an undeclared field
                data["summary"]["total"] += 1  # a total its series does not add up to
            elif route == "/reports/conversations.paid":
                del data["summary"]  # a missing required field
            elif route == "/reports/conversations.messages":
                data["summary"]["total"] = str(data["summary"]["total"])  # a wrong type
            body = json.dumps(data).encode()
        elif status == 400 and route == "/reports/conversations.avg":
            status, body = 422, b'{"error": "unprocessable", "detail": "bad parameter"}'  # undeclared, another shape
        self.send(handler, status, {"Content-Type": headers.get("Content-Type", "application/json")}, body)

    @staticmethod
    def send(handler: http.server.BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        handler.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except BrokenPipeError:
            pass  # verify gave up waiting (the slow answer), as it should

    def stop(self) -> None:
        self.http.stop()


@pytest.fixture(scope="module")
def mock() -> Iterator[LiveServer]:
    server = LiveServer("--now", NOW.isoformat().replace("+00:00", "Z"))
    yield server
    server.stop()


def verify(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "verify", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_each_deviation_of_a_stand_in_is_reported_once_where_it_is(mock: LiveServer, tmp_path: Path) -> None:
    stand_in = StandIn(mock.url + "/chatbotcom")
    try:
        result = verify(
            "chatbotcom", "--upstream", stand_in.url, *AUTH, "--rate", "50", "--timeout", "1",
            "--report", "drift.md", "--junit", "drift.xml", "--overlay-out", "overlay.yaml", cwd=tmp_path,
        )  # fmt: skip
    finally:
        stand_in.stop()
    assert result.returncode == 1, result.stdout + result.stderr
    report = (tmp_path / "drift.md").read_text()
    rows = [line.split(" | ") for line in report.splitlines() if line.startswith("| get")]
    found = {(row[0].strip("| "), row[1], row[2].strip("`")) for row in rows}
    assert len(found) == len(rows)  # each once
    expected = {
        ("getConversationsReport", "undeclared-field", "/trend"),
        ("getConversationsReport", "invariant", "/summary/total"),
        ("getPaidConversationsReport", "missing-field", "/summary"),
        ("getConversationMessagesReport", "type", "/summary/total"),
        ("getAverageConversationsReport", "status", "mock 400, vendor 422"),
        ("getAverageConversationsReport", "declared-status", "422"),
        ("getAverageConversationsReport", "error-body", "/error"),
        ("getAverageConversationsReport", "error-body", "/detail"),
        ("getAverageConversationsReport", "error-body", "/status"),
        ("getAverageConversationsReport", "error-body", "/timestamp"),
        ("getInteractionsPopularityReport", "transport", "timeout"),
        ("getInteractionsPopularityReport", "transport", "connection"),
    }
    assert found == expected, sorted(found ^ expected)
    assert "rate-limited 1 request(s); verify waited 1.0 s" in report
    # No credential in anything written.
    written = "".join(p.read_text() for p in tmp_path.iterdir()) + result.stdout + result.stderr
    assert "s3cret-stand-in-token" not in written
    # JUnit: one case per operation and check, a failure for each (operation, check) that drifted.
    suite = ET.parse(tmp_path / "drift.xml").getroot().find("testsuite")
    assert suite is not None
    failed = {
        (case.get("classname", "").rsplit(".", 1)[1], case.get("name")) for case in suite if case.find("failure") is not None
    }
    assert failed == {(operation, check) for operation, check, _ in expected}
    assert int(suite.get("tests", 0)) == 6 * len(CHECKS)
    # The overlay declares the extra field and the 422; with it, the stand-in's field is no drift.
    patch = yaml.safe_load((tmp_path / "overlay.yaml").read_text())
    assert patch["overlay"] == "1.0.0" and len(patch["actions"]) == 2
    from mockserver.openapi.loader import read_document
    from mockserver.openapi.overlay import apply_overlay
    from mockserver.resources import specs_dir

    patched = apply_overlay(read_document(specs_dir() / "chatbotcom.yaml"), patch, "overlay.yaml")
    (tmp_path / "patched.yaml").write_text(yaml.safe_dump(patched))
    stand_in = StandIn(mock.url + "/chatbotcom")
    try:
        again = verify(
            "chatbotcom", "--upstream", stand_in.url, *AUTH, "--rate", "50", "--spec", "patched.yaml",
            "--operations", "getConversationsReport,getAverageConversationsReport", "--report", "again.md", cwd=tmp_path,
        )  # fmt: skip
    finally:
        stand_in.stop()
    again_report = (tmp_path / "again.md").read_text()
    assert again.returncode == 1  # the 422's other findings remain: only the spec's gaps are closed
    assert "/trend" not in again_report and "| declared-status |" not in again_report, again_report


@pytest.mark.parametrize(
    ("vendor", "header"),
    [
        ("botpress", ["-H", "Authorization: Bearer t", "-H", "x-workspace-id: w"]),
        ("chatcaptain", ["-H", "x-chatcaptain-key: k"]),
        ("chatbotcom", ["-H", "Authorization: Bearer t"]),
        ("generalbots", ["-H", "Authorization: Bearer t"]),
    ],
)
def test_the_mock_verified_against_itself_has_no_drift(mock: LiveServer, vendor: str, header: list[str], tmp_path: Path) -> None:
    result = verify(vendor, "--upstream", f"{mock.url}/{vendor}", *header, "--rate", "500", "--report", "r.md", cwd=tmp_path)
    assert result.returncode == 0, (tmp_path / "r.md").read_text() if (tmp_path / "r.md").exists() else result.stderr
    assert "No drift" in (tmp_path / "r.md").read_text()


def test_usage_and_connection_errors_exit_2_in_one_line(tmp_path: Path) -> None:
    port = free_port()
    nowhere = verify("chatbotcom", "--upstream", f"http://ann:sk-pass@127.0.0.1:{port}/?key=sk-q", *AUTH, cwd=tmp_path)
    assert nowhere.returncode == 2 and f"http://127.0.0.1:{port}/: connection failed" in nowhere.stderr
    assert len(nowhere.stderr.strip().splitlines()) == 1, nowhere.stderr
    assert "sk-pass" not in nowhere.stderr and "sk-q" not in nowhere.stderr  # credentials in a URL are not echoed
    for args, words in (
        (["acme", "--upstream", "http://127.0.0.1:1"], "unknown vendor 'acme'"),
        (["chatbotcom", "--upstream", "api.example.com"], "--upstream must be the vendor's base URL"),
        (["chatbotcom", "--upstream", "http://127.0.0.1:1", "--operations", "nope"], "has no operation 'nope'"),
        (["chatbotcom", "--upstream", "http://127.0.0.1:1", "-H", "Bearer sk-live-secret"], "-H takes 'Name: value'"),
    ):
        result = verify(*args, cwd=tmp_path)
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert "sk-live-secret" not in result.stderr  # a credential given without its name is not echoed


def test_each_vendor_states_invariants_that_its_own_answers_keep_and_a_broken_one_breaks() -> None:
    from starlette.testclient import TestClient

    from tests.cases import AUTH as HEADERS
    from tests.conftest import app_for

    app = app_for()
    cases = [
        ("botpress", "getBotAnalytics", "/v1/admin/bots/b1/analytics?startDate=2025-05-01&endDate=2025-05-03",
         lambda b: b["records"][1].update(messages=b["records"][1]["userMessages"] + 1), "/records/*/messages"),
        ("chatcaptain", "StatisticsController_getOverviewReport",
         "/v1/chatbots/cb1/statistics/reports/overview?from=2025-05-01T00:00:00.000Z&to=2025-05-03T23:59:59.999Z&interval=86400&components=1,2",
         lambda b: b["components"]["CONVERSATION_COUNT"].update(total=b["components"]["CONVERSATION_COUNT"]["total"] + 1),
         "/components/CONVERSATION_COUNT_INTERVAL/series"),
        ("chatbotcom", "getConversationsReport", "/reports/conversations?from=2025-05-01&to=2025-05-03",
         lambda b: b["summary"].update(max=b["summary"]["max"] + 1), "/summary/max"),
        ("generalbots", "getConversationResolution", "/api/v1/analytics/conversations/resolution?start_date=2025-05-01&end_date=2025-05-03",
         lambda b: b.update(open=b["open"] + 1), "/total_conversations"),
    ]  # fmt: skip
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        for vendor, operation_id, target, breaks, where in cases:
            profile = app.vendors[vendor].profile
            body = client.get(f"/{vendor}{target}", headers=HEADERS[vendor]).json()
            assert profile.invariants(operation_id, body) == [], (vendor, body)
            breaks(body)
            assert [found for found, _ in profile.invariants(operation_id, body)] == [where], vendor
