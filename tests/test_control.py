"""The control plane over real HTTP: journal, fault rules, sessions, reset, with the Python client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from mockserver.client import MockControl, MockControlError
from tests.cases import AUTH
from tests.conftest import NOW, LiveServer

USAGE = "/generalbots/api/v1/analytics/usage"
BOTPRESS = "/botpress/v1/admin/bots/bot_1/analytics"
BOTPRESS_QUERY = {"startDate": "2025-05-01", "endDate": "2025-05-02"}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = LiveServer("--now", NOW.isoformat().replace("+00:00", "Z"), "--seed", "3")
    yield live
    live.stop()


@pytest.fixture
def control(server: LiveServer) -> Iterator[MockControl]:
    client = MockControl(server.url)
    client.reset()
    yield client
    client.reset()


def test_the_journal_records_requests_with_secrets_masked(server: LiveServer, control: MockControl) -> None:
    httpx.get(
        server.url + BOTPRESS, params=BOTPRESS_QUERY, headers={**AUTH["botpress"], "Authorization": "Bearer sk-live-123456789"}
    )
    httpx.post(
        server.url + "/generalbots/api/v1/analytics/reports",
        headers=AUTH["generalbots"],
        json={"type": "usage", "start_date": "2025-05-01", "end_date": "2025-05-02", "format": "csv"},
    )
    httpx.get(server.url + "/chatbotcom/reports/nope", headers=AUTH["chatbotcom"])
    entries = control.journal()
    assert [(e["vendor"], e["operationId"], e["status"]) for e in entries] == [
        ("botpress", "getBotAnalytics", 200),
        ("generalbots", "createReport", 200),
        ("chatbotcom", None, 404),
    ]
    first = entries[0]
    assert first["headers"]["authorization"] == "****6789" and "sk-live" not in json.dumps(entries)
    assert first["route"] == "/v1/admin/bots/{id}/analytics" and first["query"] == {k: [v] for k, v in BOTPRESS_QUERY.items()}
    assert entries[1]["body"]["format"] == "csv" and entries[1]["durationMs"] > 0
    assert control.count(operation_id="createReport") == 1
    assert control.count(vendor="botpress", status=200) == 1 and control.count(status=500) == 0
    assert control.journal(since=entries[1]["time"])[0]["id"] == entries[1]["id"]


def test_a_fault_answers_in_the_vendor_body_for_the_next_n_requests(server: LiveServer, control: MockControl) -> None:
    rule = control.add_fault(vendor="botpress", operation_id="getBotAnalytics", status=503, times=2)
    statuses = [httpx.get(server.url + BOTPRESS, params=BOTPRESS_QUERY, headers=AUTH["botpress"]) for _ in range(3)]
    assert [r.status_code for r in statuses] == [503, 503, 200]
    assert statuses[0].json()["type"] == "Internal" and rule["id"] in statuses[0].json()["message"]
    assert control.faults()[0]["applied"] == 2 and control.faults()[0]["remaining"] == 0
    assert [e["fault"] for e in control.journal()] == [rule["id"], rule["id"], None]


def test_rate_limit_faults_use_each_vendors_shape(server: LiveServer, control: MockControl) -> None:
    control.add_fault(rate_limit=True)
    botpress = httpx.get(server.url + BOTPRESS, params=BOTPRESS_QUERY, headers=AUTH["botpress"])
    general = httpx.get(server.url + USAGE, headers=AUTH["generalbots"])
    assert botpress.status_code == 429 and botpress.json()["type"] == "RateLimited" and botpress.headers["ratelimit-reset"] == "1"
    assert general.status_code == 429 and general.json()["retry_after_secs"] == 30 and general.headers["retry-after"] == "30"


def test_latency_drop_and_malformed_bodies(server: LiveServer, control: MockControl) -> None:
    control.add_fault(path="/api/v1/analytics/usage", latency_ms=250, times=1)
    started = time.monotonic()
    assert httpx.get(server.url + USAGE, headers=AUTH["generalbots"]).status_code == 200
    assert time.monotonic() - started >= 0.25
    control.clear_faults()
    control.add_fault(vendor="generalbots", headers={"x-scenario": "flaky"}, drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(server.url + USAGE, headers={**AUTH["generalbots"], "x-scenario": "flaky"})
    assert httpx.get(server.url + USAGE, headers=AUTH["generalbots"]).status_code == 200  # header did not match
    assert "Traceback" not in server.output()  # a drop on purpose is no server error
    control.clear_faults()
    control.add_fault(operation_id="getUsage", malformed=True)
    garbled = httpx.get(server.url + USAGE, headers=AUTH["generalbots"])
    assert garbled.status_code == 200 and garbled.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        garbled.json()


def test_a_probability_gives_the_expected_share_and_repeats_with_the_seed(server: LiveServer, control: MockControl) -> None:
    def run() -> list[int]:
        control.reset()
        control.add_fault(vendor="chatbotcom", status=500, probability=0.25)
        with httpx.Client(base_url=server.url, headers=AUTH["chatbotcom"]) as client:
            return [client.get("/chatbotcom/reports/conversations.heatmap").status_code for _ in range(400)]

    first = run()
    share = first.count(500) / len(first)
    assert 0.19 <= share <= 0.31, share
    assert run() == first  # same seed, same rule: the same requests fail


def test_two_sessions_in_parallel_do_not_see_each_other(server: LiveServer, control: MockControl) -> None:
    alice, bob = control.for_session("alice"), control.for_session("bob")
    alice.configure_session(seed=11)
    bob.configure_session(seed=12, now="2025-01-15T08:00:00Z")
    alice.add_fault(operation_id="getUsage", status=500)
    results: dict[str, list[int]] = {}

    def use(session: MockControl) -> None:
        with httpx.Client(base_url=server.url, headers={**AUTH["generalbots"], **session.session_headers()}) as client:
            results[session.session or ""] = [client.get(USAGE).status_code for _ in range(20)]

    threads = [threading.Thread(target=use, args=(s,)) for s in (alice, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {"alice": [500] * 20, "bob": [200] * 20}
    assert alice.count() == 20 and bob.count() == 20 and bob.count(status=500) == 0
    realtime = httpx.get(
        server.url + "/generalbots/api/v1/analytics/realtime", headers={**AUTH["generalbots"], **bob.session_headers()}
    ).json()
    assert realtime["timestamp"] == "2025-01-15T08:00:00.000Z"  # bob's clock
    seeded = httpx.get(server.url + "/chatbotcom/reports/conversations", headers={**AUTH["chatbotcom"], **bob.session_headers()})
    plain = httpx.get(server.url + "/chatbotcom/reports/conversations", headers={**AUTH["chatbotcom"], "Prefer": "seed=12"})
    assert seeded.status_code == 200 and seeded.json()["summary"] != plain.json()["summary"]  # other clock, other range
    bob.reset()
    assert bob.count() == 0 and alice.count() == 20
    assert httpx.get(f"{server.url}/__mock/sessions/bob").status_code == 404


def test_whole_numbers_written_as_decimals_are_integers(control: MockControl) -> None:
    # JSON has one number type: a latency of 800.0 ms acts like 800 (schemathesis found it refused).
    rule = control._call("POST", "/faults", body={"action": {"latencyMs": 800.0}, "times": 2.0, "probability": 0.0})
    assert rule["action"] == {"latencyMs": 800} and rule["times"] == 2


def test_bad_rules_and_filters_say_what_is_wrong(control: MockControl) -> None:
    with pytest.raises(MockControlError, match=r"body field 'action.status' must be an integer \(>= 400, <= 599\), got 200"):
        control.add_fault(status=200)
    with pytest.raises(MockControlError, match=r"body field 'probability' must be a number \(>= 0, <= 1\), got 2"):
        control.add_fault(status=500, probability=2)
    with pytest.raises(MockControlError, match=r"body field 'action.latencyMs.max' must be an integer"):
        control.add_fault(latency_ms=(500, 70_000))
    with pytest.raises(MockControlError, match="Invalid query parameter 'status'"):
        control._call("GET", "/journal", query={"status": "teapot"})


def test_api_keys_declared_by_a_spec_are_masked_too(server: LiveServer, control: MockControl) -> None:
    httpx.get(f"{server.url}/chatcaptain/v1/chatbots/b/statistics/channels", headers={"x-chatcaptain-key": "CCSB-secret-7788"})
    (entry,) = control.journal(vendor="chatcaptain")
    assert entry["headers"]["x-chatcaptain-key"] == "****7788"


def test_the_admin_token_guards_the_control_plane() -> None:
    guarded = LiveServer("--admin-token", "s3cret-admin")
    try:
        assert httpx.get(f"{guarded.url}/__mock/health").status_code == 200  # probes stay open
        refused = httpx.get(f"{guarded.url}/__mock/journal")
        assert refused.status_code == 401 and "--admin-token" in refused.json()["message"]
        with pytest.raises(MockControlError, match="401"):
            MockControl(guarded.url).faults()
        assert MockControl(guarded.url, admin_token="s3cret-admin").faults() == []
    finally:
        guarded.stop()


def test_without_a_token_only_loopback_clients_may_use_the_control_plane() -> None:
    import asyncio

    from mockserver import Settings, create_app

    app = create_app(Settings())

    async def call(client: str) -> int:
        sent: list[dict] = []
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/__mock/faults",
            "raw_path": b"/__mock/faults",
            "query_string": b"",
            "headers": [],
            "client": (client, 5000),
            "scheme": "http",
            "server": ("10.0.0.1", 8000),
        }

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"]

    assert asyncio.run(call("127.0.0.1")) == 200 and asyncio.run(call("::1")) == 200
    assert asyncio.run(call("192.0.2.10")) == 403


def test_the_world_lists_ids_the_vendor_apis_cannot(server: LiveServer, control: MockControl) -> None:
    bots = control.world("generalbots")["bots"]
    usage = {
        bot["id"]: httpx.get(server.url + USAGE, params={"bot_id": bot["id"], "days": 30}, headers=AUTH["generalbots"]).json()[
            "total_conversations"
        ]
        for bot in bots
    }
    instance = httpx.get(server.url + USAGE, params={"days": 30}, headers=AUTH["generalbots"]).json()["total_conversations"]
    assert all(usage.values()) and sum(usage.values()) == instance  # the listed bots are the instance
    stories = control.world("chatbotcom")["stories"]
    report = httpx.get(
        server.url + "/chatbotcom/reports/conversations.interactions",
        params={"storyId": stories[0]["id"]},
        headers=AUTH["chatbotcom"],
    ).json()
    assert report and any(row["value"] for row in report)
    assert control.world("generalbots", seed=4) != control.world("generalbots")  # another seed, another instance
    with pytest.raises(MockControlError) as missing:
        control.world("acme")
    assert missing.value.status == 400 and "chatcaptain" in str(missing.value)  # the served vendors, named


def test_a_repeated_request_still_sees_faults_sessions_and_clocks(server: LiveServer, control: MockControl) -> None:
    # The same GET, byte for byte, may be answered from a cache; nothing that changes its answer may be hidden.
    report = server.url + "/chatbotcom/reports/conversations"
    session = control.for_session("repeat")
    headers = {**AUTH["chatbotcom"], **session.session_headers()}
    first = httpx.get(report, headers=headers)
    assert httpx.get(report, headers=headers).content == first.content
    session.add_fault(vendor="chatbotcom", status=503, times=1)
    assert httpx.get(report, headers=headers).status_code == 503
    assert httpx.get(report, headers=headers).content == first.content
    session.configure_session(seed=11)
    reseeded = httpx.get(report, headers=headers)
    assert reseeded.status_code == 200 and reseeded.content != first.content
    session.configure_session(seed=11, now="2024-01-15T12:00:00Z")  # last30days now ends in January 2024
    moved = httpx.get(report, headers=headers).json()
    assert moved["data"][-1]["date"].startswith("2024-01-15") and moved != reseeded.json()
    assert session.count() == 6


def test_a_rule_naming_another_vendors_operation_says_which_operations_there_are(control: MockControl) -> None:
    with pytest.raises(
        MockControlError,
        match=r"'match.operationId' 'getBotAnalytics' is no operation of chatbotcom; "
        r"its operations: getAverageConversationsReport, ",
    ):
        control.add_fault(vendor="chatbotcom", operation_id="getBotAnalytics", status=500)


def test_the_journal_and_the_log_say_why_a_request_was_refused() -> None:
    live = LiveServer("--log-level", "info")
    try:
        httpx.get(f"{live.url}/generalbots/api/v1/analytics/usage?days=abc", headers=AUTH["generalbots"])
        httpx.get(f"{live.url}/generalbots/api/v1/analytics/usage?days=7", headers=AUTH["generalbots"])
        refused, answered = MockControl(live.url).journal(vendor="generalbots")
        assert refused["status"] == 400 and "'days'" in refused["reason"] and answered["reason"] is None

        def refused_lines() -> list[str]:
            return [line for line in live.output().splitlines() if " 400 " in line and "/usage" in line]

        deadline = time.monotonic() + 5
        while not refused_lines():  # the log is written as the request is answered
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (line,) = refused_lines()
        assert "getUsage - " in line and "'days'" in line, line
    finally:
        live.stop()


def test_a_misspelt_journal_filter_is_refused_not_counted_as_nothing(server: LiveServer) -> None:
    answer = httpx.get(f"{server.url}/__mock/journal/count", params={"operationid": "getUsage"})
    assert answer.status_code == 400 and "'operationid'" in answer.json()["message"]
    assert "operationId" in answer.json()["message"]


def test_with_an_admin_token_the_control_document_declares_it_and_its_401() -> None:
    from starlette.testclient import TestClient

    from mockserver import Settings, create_app
    from mockserver.openapi.loader import check_document

    with TestClient(create_app(Settings(admin_token="admin-token-0123456789"))) as guarded:
        document = guarded.get("/__mock/openapi.json").json()
    check_document(document, "the served control document")  # still a valid OpenAPI document
    assert document["security"] == [{"adminBearer": []}, {"adminHeader": []}]
    operations = {op["operationId"]: op for item in document["paths"].values() for op in item.values() if isinstance(op, dict)}
    assert operations["health"]["security"] == [] and operations["download"]["security"] == []
    assert "401" in operations["listJournal"]["responses"] and "401" not in operations["health"]["responses"]
    with TestClient(create_app(Settings())) as open_plane:
        assert open_plane.get("/__mock/openapi.json").json()["security"] == []  # no credential: loopback only


def test_a_misspelt_journal_filter_is_a_400_naming_what_exists(server: LiveServer) -> None:
    for name, value, listed in (("vendor", "botpres", "'botpress'"), ("operationId", "getBotAnalytic", "'getBotAnalytics'")):
        for path in ("/__mock/journal", "/__mock/journal/count"):
            response = httpx.get(server.url + path, params={name: value})
            assert response.status_code == 400, (path, response.text)
            assert f"Invalid query parameter '{name}'" in response.json()["message"] and listed in response.json()["message"]


def test_the_client_says_plainly_when_no_server_answers() -> None:
    from mockserver.client import MockServerUnreachable
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(MockServerUnreachable, match=f"no mock server answers at {url} .*mockserver serve"):
        MockControl(url).health()
    with pytest.raises(ValueError, match="root URL, like http://127.0.0.1:8000; got '127.0.0.1:8000'"):
        MockControl("127.0.0.1:8000")


def test_every_control_endpoint_with_a_body_answers_400_to_an_undecodable_or_too_deep_one() -> None:
    from starlette.testclient import TestClient

    from tests.conftest import app_for

    with TestClient(app_for(), base_url="http://127.0.0.1:8000") as client:
        document = client.get("/__mock/openapi.json").json()
        taking = [
            (method.upper(), path.replace("{sessionId}", "s1").replace("{ruleId}", "r1"))
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if isinstance(operation, dict) and "requestBody" in operation
        ]
        assert ("POST", "/__mock/faults") in taking and ("PUT", "/__mock/sessions/s1") in taking
        bodies = [
            b"[" * 100_000,  # deeper than any parser's stack
            b"[" * 900 + b"]" * 900,  # valid JSON, nested past what a rule or session can be
            b'{"match": ' * 5_000 + b"1" + b"}" * 5_000,
            b'{"seed": "\xff\xfe"}',  # not UTF-8
        ]
        for method, path in taking:
            for body in bodies:
                response = client.request(method, path, content=body, headers={"Content-Type": "application/json"})
                assert response.status_code == 400, (method, path, body[:20], response.text[:300])
                assert "message" in response.json()


def test_a_vendor_in_a_control_path_is_one_the_server_serves(server: LiveServer) -> None:
    """The served document names the vendors, so a misspelt one is a 400 that lists them (and
    fuzzing reaches the real answers, not only 404s)."""
    document = httpx.get(f"{server.url}/__mock/openapi.json").json()
    for path in ("/__mock/world/{vendor}", "/__mock/downloads/{vendor}/{jobId}"):
        (operation,) = document["paths"][path].values()
        (vendor,) = [p for p in operation["parameters"] if p["name"] == "vendor"]
        assert vendor["schema"]["enum"] == ["botpress", "chatbotcom", "chatcaptain", "generalbots"]
    refused = httpx.get(f"{server.url}/__mock/world/chatcaptian")
    assert refused.status_code == 400 and "'chatcaptain'" in refused.json()["message"]
    world = document["paths"]["/__mock/sessions/{sessionId}"]["put"]["requestBody"]["content"]["application/json"]
    assert set(world["schema"]["properties"]["world"]["properties"]) == {"botpress", "chatbotcom", "chatcaptain", "generalbots"}
