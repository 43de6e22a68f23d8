"""``serve --upstream``: a client's own traffic to a (stand-in) vendor, through the mock.

The stand-in on loopback answers ChatBot.com's conversations report in known ways, chosen by the
``X-Stand-In`` header the test sends: as the spec says (the mock's own answer), with a wrong type,
without a required field, with a status the spec does not declare, slowly, or by resetting the
connection. The mock passes each answer on unchanged and journals its verdict.
"""

from __future__ import annotations

import http.server
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from tests.conftest import NOW, LoopbackHTTP, free_port

TOKEN = "s3cret-upstream-token"
COOKIE = "c00kie-from-the-vendor"
REPORT = "/chatbotcom/reports/conversations?from=2025-03-01&to=2025-03-07&dimension=day"


class StandIn:
    """A stand-in vendor: the mock's own answers, spoiled on request."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        mock = TestClient(create_app(Settings(vendors=("chatbotcom",), now=NOW)))
        good = mock.get(REPORT, headers={"Authorization": "Bearer x"})
        assert good.status_code == 200
        self.good = good.content
        self.http = LoopbackHTTP(self.answer)
        self.url = self.http.url

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        self.seen.append({"path": handler.path, "headers": dict(handler.headers)})
        mode = handler.headers.get("X-Stand-In", "conform")
        data = json.loads(self.good)
        status, body = 200, self.good
        if mode == "wrong-type":
            data["summary"]["total"] = str(data["summary"]["total"])
            body = json.dumps(data).encode()
        elif mode == "missing":
            del data["summary"]
            body = json.dumps(data).encode()
        elif mode == "undeclared-field":
            data["trend"] = 0.5
            body = json.dumps(data).encode()
        elif mode == "undeclared-status":
            status, body = 418, b'{"error": "teapot"}'
        elif mode == "slow":
            time.sleep(1.5)
        elif mode == "reset":
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            handler.connection.close()
            return
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("X-Vendor-Trace", "t-1")
        handler.send_header("Set-Cookie", f"session={COOKIE}; HttpOnly")
        handler.send_header("X-Session-Token", COOKIE)
        handler.send_header("RateLimit-Remaining", "99")
        handler.send_header("Cache-Control", "no-store")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the mock gave up waiting (the slow answer), as it should

    def stop(self) -> None:
        self.http.stop()


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.stop()


@pytest.fixture
def client(stand_in: StandIn) -> TestClient:
    settings = Settings(now=NOW, upstreams={"chatbotcom": stand_in.url}, upstream_timeout=1.0)
    return TestClient(create_app(settings))


def last_entry(client: TestClient) -> dict[str, Any]:
    return client.get("/__mock/journal").json()["entries"][-1]


def test_a_conforming_answer_passes_unchanged_with_the_clients_credentials(client: TestClient, stand_in: StandIn) -> None:
    response = client.get(REPORT, headers={"Authorization": f"Bearer {TOKEN}", "X-Mock-Session": "s1"})
    assert response.status_code == 200 and response.content == stand_in.good
    assert response.headers["x-vendor-trace"] == "t-1"
    seen = stand_in.seen[-1]
    assert seen["path"] == REPORT.removeprefix("/chatbotcom") and seen["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert "X-Mock-Session" not in seen["headers"]  # the mock's own header stays with the mock
    entry = last_entry(client)
    assert entry["verdict"] == {"upstream": stand_in.url, "conforms": True, "violations": [], "failure": None}
    assert entry["operationId"] == "getConversationsReport" and entry["session"] == "s1"
    assert TOKEN not in json.dumps(client.get("/__mock/journal").json())  # masked as always


@pytest.mark.parametrize(
    ("mode", "status", "violation"),
    [
        ("wrong-type", 200, {"side": "response", "at": "body /summary/total"}),
        ("undeclared-field", 200, {"side": "response", "at": "body /trend", "message": "a field the spec does not declare"}),
        ("missing", 200, {"side": "response", "at": "body /"}),
        ("undeclared-status", 418, {"side": "response", "at": "status"}),
    ],
)
def test_each_violation_is_journaled_where_it_is(client: TestClient, mode: str, status: int, violation: dict[str, str]) -> None:
    response = client.get(REPORT, headers={"Authorization": f"Bearer {TOKEN}", "X-Stand-In": mode})
    assert response.status_code == status  # the vendor's answer, as it came
    verdict = last_entry(client)["verdict"]
    assert verdict["conforms"] is False
    assert {k: verdict["violations"][0][k] for k in violation} == violation
    assert last_entry(client)["reason"].startswith("the response broke the spec at")


def test_a_request_that_breaks_the_spec_is_still_sent_and_judged(client: TestClient, stand_in: StandIn) -> None:
    response = client.get("/chatbotcom/reports/conversations?from=yesterday", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and stand_in.seen[-1]["path"] == "/reports/conversations?from=yesterday"
    violations = last_entry(client)["verdict"]["violations"]
    assert violations[0]["side"] == "request" and violations[0]["at"] == "query from"


@pytest.mark.parametrize(("mode", "why"), [("slow", "no answer within 1 s (--upstream-timeout)"), ("reset", "connection failed")])
def test_an_upstream_that_fails_is_a_502_that_names_it(client: TestClient, stand_in: StandIn, mode: str, why: str) -> None:
    response = client.get(REPORT, headers={"Authorization": f"Bearer {TOKEN}", "X-Stand-In": mode})
    assert response.status_code == 502
    message = json.dumps(response.json())
    assert f"The upstream of chatbotcom ({stand_in.url}) failed" in message and why in message
    verdict = last_entry(client)["verdict"]
    assert verdict["conforms"] is None and why in verdict["failure"]


def test_other_vendors_stay_mocked(client: TestClient, stand_in: StandIn) -> None:
    calls = len(stand_in.seen)
    response = client.get("/generalbots/api/v1/analytics/usage", headers={"Authorization": "Bearer x"})
    assert response.status_code == 200 and len(stand_in.seen) == calls
    assert last_entry(client)["verdict"] is None


def test_an_unreachable_upstream_and_a_bad_flag_are_clear() -> None:
    port = free_port()  # nothing listens there
    client = TestClient(create_app(Settings(upstreams={"chatbotcom": f"http://127.0.0.1:{port}"}, upstream_timeout=1.0)))
    response = client.get(REPORT, headers={"Authorization": "Bearer x"})
    assert response.status_code == 502 and "connection failed" in json.dumps(response.json())
    from tests.test_cli import run

    wrong = run("serve", "--upstream", "acme=http://127.0.0.1:1")
    assert wrong.returncode == 2 and "--upstream acme=...: not a served vendor" in wrong.stderr
    scheme = run("serve", "--upstream", "chatbotcom=ftp://x")
    assert scheme.returncode == 2 and "must be an http:// or https:// URL" in scheme.stderr


def test_recordings_replay_the_answer_and_keep_no_credential(stand_in: StandIn, tmp_path: Path) -> None:
    folder = tmp_path / "recorded"
    settings = Settings(
        now=NOW, upstreams={"chatbotcom": stand_in.url}, record_dir=folder, redact=("cache-control", "$.data[*].value")
    )
    client = TestClient(create_app(settings))
    headers = {"Authorization": f"Bearer {TOKEN}", "Cookie": f"sid={COOKIE}"}
    for _ in range(2):  # the same request twice: one recording, replaced
        assert client.get(REPORT + f"&api_key={TOKEN}", headers=headers).status_code == 200
    assert client.get(REPORT.replace("dimension=day", "dimension=hour"), headers=headers).status_code == 200
    files = sorted(folder.rglob("*"))
    recordings = [f for f in files if f.is_file()]
    assert len(recordings) == 2 and all(f.suffix == ".json" for f in recordings)  # no half-written file left
    for recording in recordings:
        text = recording.read_text()
        assert TOKEN not in text and COOKIE not in text, recording
    kept = json.loads(next(f for f in recordings if '"day"' in f.read_text()).read_text())
    assert kept["vendor"] == "chatbotcom" and kept["operationId"] == "getConversationsReport"
    assert kept["match"] == {"from": "2025-03-01", "to": "2025-03-07", "dimension": "day"}
    assert kept["headers"] == {"cache-control": "[REDACTED]", "ratelimit-remaining": "99"}  # names as HTTP/2 writes them
    assert {p["value"] for p in kept["body"]["data"]} == {0}  # redacted, keeping the type
    assert kept["recorded"]["upstream"] == stand_in.url and kept["recorded"]["expires"] > kept["recorded"]["at"]
    # Replayed offline, with no upstream: the request with the same values gets the recording.
    replay = TestClient(create_app(Settings(now=NOW, fixture_dirs=(folder,))))
    again = replay.get(REPORT, headers={"Authorization": "Bearer another"})
    assert again.status_code == 200 and again.json() == kept["body"]
    assert again.headers["ratelimit-remaining"] == "99"
    assert replay.get(REPORT, headers={"Authorization": "Bearer x", "Prefer": f"example={kept['name']}"}).json() == kept["body"]


def test_record_needs_an_upstream() -> None:
    from tests.test_cli import run

    done = run("serve", "--record", "somewhere")
    assert done.returncode == 2 and "--record keeps what an upstream answers: give --upstream VENDOR=URL too" in done.stderr


def test_validate_flags_stale_recordings_and_ones_the_spec_no_longer_allows(stand_in: StandIn, tmp_path: Path) -> None:
    from tests.test_cli import run

    folder = tmp_path / "recorded"
    client = TestClient(create_app(Settings(now=NOW, upstreams={"chatbotcom": stand_in.url}, record_dir=folder)))
    assert client.get(REPORT, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    (recording,) = folder.rglob("*.json")
    fresh = run("validate", "--fixtures", str(folder))
    assert fresh.returncode == 0 and "stale" not in fresh.stderr, fresh.stderr
    kept = json.loads(recording.read_text())
    kept["recorded"]["expires"] = "2020-01-01T00:00:00Z"
    recording.write_text(json.dumps(kept))
    stale = run("validate", "--fixtures", str(folder))
    assert stale.returncode == 1
    assert (
        f"stale  {recording}: recorded {kept['recorded']['at']} from {stand_in.url}, expired 2020-01-01T00:00:00Z" in stale.stderr
    )
    kept["body"]["summary"]["total"] = "many"  # what the spec (say, a newer one) does not allow
    recording.write_text(json.dumps(kept))
    broken = run("validate", "--fixtures", str(folder))
    assert broken.returncode == 2 and str(recording) in broken.stderr and "/summary/total" in broken.stderr


def test_the_upstream_is_reached_through_http_proxy_unless_no_proxy_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    through: list[str] = []

    def relay(handler: http.server.BaseHTTPRequestHandler) -> None:
        through.append(handler.path)  # a proxy gets the absolute URL
        body = b'{"error": "from the proxy"}'
        handler.send_response(418)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    proxy = LoopbackHTTP(relay)
    try:
        upstream = "http://upstream.invalid"
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        client = TestClient(create_app(Settings(upstreams={"chatbotcom": upstream}, upstream_timeout=2.0)))
        response = client.get(REPORT, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 418 and through == [upstream + REPORT.removeprefix("/chatbotcom")]
        monkeypatch.setenv("NO_PROXY", "upstream.invalid")
        direct = TestClient(create_app(Settings(upstreams={"chatbotcom": upstream}, upstream_timeout=2.0)))
        assert direct.get(REPORT, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 502  # no such host
        assert len(through) == 1
    finally:
        proxy.stop()
