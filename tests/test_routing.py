"""Paths, methods and the served specs: what a client sees before any operation runs."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.profiles import discover_profiles
from tests.cases import AUTH, CASES
from tests.conftest import HOST, NOW, app_for


def test_health_lists_every_vendor_with_its_operation_count(client: TestClient) -> None:
    response = client.get("/__mock/health")
    assert response.status_code == 200
    expected = {name: len(vendor.spec.operations) for name, vendor in app_for().vendors.items()}
    assert response.json() == {"status": "ok", "vendors": expected}
    assert {"botpress": 1, "chatbotcom": 6, "chatcaptain": 6, "generalbots": 15}.items() <= expected.items()


def test_each_vendor_serves_its_spec_with_servers_pointing_at_the_mock(client: TestClient) -> None:
    for vendor in discover_profiles():
        spec = client.get(f"/{vendor}/openapi.json", headers={"host": "mock.test:9999"}).json()
        assert spec["servers"] == [{"url": f"http://mock.test:9999/{vendor}", "description": "mockserver"}]


def test_botpress_spec_is_the_vendor_document_plus_the_overlay(client: TestClient) -> None:
    import yaml

    from mockserver.resources import specs_dir

    published = yaml.safe_load((specs_dir() / "botpress.yaml").read_text())
    served = client.get("/botpress/openapi.json").json()
    operation = served["paths"]["/v1/admin/bots/{id}/analytics"]["get"]
    assert served["info"]["version"] == published["info"]["version"]
    assert set(operation["responses"]) == {"200", "default", "400", "401", "403", "404", "413", "415", "429", "500"}
    assert served["components"]["schemas"]["BotpressError"]["required"] == ["id", "code", "type", "message"]
    # The success schema is untouched.
    assert (
        served["components"]["responses"]["getBotAnalyticsResponse"]
        == published["components"]["responses"]["getBotAnalyticsResponse"]
    )


def test_unknown_path_under_a_vendor_is_404_in_that_vendors_body(client: TestClient) -> None:
    response = client.get("/botpress/v1/admin/bots/b1/nothing", headers=AUTH["botpress"])
    assert response.status_code == 404
    assert response.json()["type"] == "ResourceNotFound"
    assert response.json()["id"].startswith("err_")
    chatcaptain = client.get("/chatcaptain/v2/whatever")
    assert chatcaptain.status_code == 404 and chatcaptain.json()["error"] == "Not Found"
    generalbots = client.get("/generalbots/api/v1/analytics/nope")
    assert generalbots.json()["error"] == "not_found"
    chatbotcom = client.get("/chatbotcom/reports/conversations.unknown")
    assert chatbotcom.json()["status"] == {"code": 404, "type": "error", "message": chatbotcom.json()["status"]["message"]}


def test_path_outside_any_vendor_is_404_naming_the_vendor_bases(client: TestClient) -> None:
    response = client.get("/nobody/here")
    assert response.status_code == 404
    assert "/botpress" in response.json()["message"] and "/generalbots" in response.json()["message"]


def test_undeclared_method_is_405_with_allow(client: TestClient) -> None:
    response = client.delete("/generalbots/api/v1/analytics/reports", headers=AUTH["generalbots"])
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert response.json()["error"] == "method_not_allowed"
    botpress = client.put("/botpress/v1/admin/bots/b1/analytics")
    assert botpress.status_code == 405 and botpress.json()["type"] == "MethodNotFound"


def test_percent_encoded_slash_stays_inside_the_id(client: TestClient) -> None:
    # %2F keeps the route (one path segment), but no vendor id holds a '/': the id names nothing.
    case = CASES[0]
    response = client.get("/botpress/v1/admin/bots/team%2Fbot/analytics", params=case.query, headers=case.headers)
    assert response.status_code == 404
    body = response.json()
    assert body["type"] == "ResourceNotFound" and "path parameter 'id' names nothing" in body["message"]
    assert client.get("/botpress/v1/admin/bots/team%20bot/analytics", params=case.query, headers=case.headers).status_code == 200


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    case = CASES[0]
    response = client.head(f"/botpress{case.path}", params=case.query, headers=case.headers)
    assert response.status_code == 200 and response.content == b""


def test_one_vendor_served_at_the_root() -> None:
    with TestClient(create_app(Settings(root_vendor="chatbotcom", now=NOW)), base_url=HOST) as root:
        assert root.get("/reports/conversations", headers=AUTH["chatbotcom"]).status_code == 200
        assert root.get("/openapi.json").json()["servers"][0]["url"] == HOST
        assert root.get("/chatbotcom/reports/conversations", headers=AUTH["chatbotcom"]).status_code == 404


def test_body_with_wrong_content_type_is_415_and_invalid_json_is_400(client: TestClient) -> None:
    headers = {**AUTH["generalbots"], "content-type": "text/plain"}
    response = client.post("/generalbots/api/v1/analytics/reports", content=b"type=usage", headers=headers)
    assert response.status_code == 415 and response.json()["error"] == "unsupported_media_type"
    headers["content-type"] = "application/json"
    broken = client.post("/generalbots/api/v1/analytics/reports", content=b"{not json", headers=headers)
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["message"]
    missing = client.post("/generalbots/api/v1/analytics/reports", headers=AUTH["generalbots"])
    assert missing.status_code == 400 and "request body is required" in missing.json()["message"]


def test_body_errors_name_the_field_and_what_is_allowed(client: TestClient) -> None:
    body = {"type": "engagement", "start_date": "2025-01-01", "end_date": "2025-01-31", "format": "docx"}
    response = client.post("/generalbots/api/v1/analytics/reports", json=body, headers=AUTH["generalbots"])
    assert response.status_code == 400
    assert "'format'" in response.json()["message"] and "'pdf'" in response.json()["message"]
    assert '"docx"' in response.json()["message"]
    extra = client.post(
        "/generalbots/api/v1/analytics/reports", json={**body, "format": "pdf", "x": 1}, headers=AUTH["generalbots"]
    )
    assert extra.status_code == 400 and "'x'" in extra.json()["message"]
    del body["format"]
    missing = client.post("/generalbots/api/v1/analytics/reports", json=body, headers=AUTH["generalbots"])
    assert "missing the required property 'format'" in missing.json()["message"]


def test_oversized_body_is_413(client: TestClient) -> None:
    payload = b'{"type": "' + b"x" * 2_000_000 + b'"}'
    headers = {**AUTH["generalbots"], "content-type": "application/json"}
    response = client.post("/generalbots/api/v1/analytics/reports", content=payload, headers=headers)
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"


def test_repeated_scalar_parameter_is_rejected(client: TestClient) -> None:
    response = client.get("/generalbots/api/v1/analytics/usage?days=3&days=4", headers=AUTH["generalbots"])
    assert response.status_code == 400 and "given 2 times" in response.json()["message"]


def test_repeated_array_parameter_is_accepted(client: TestClient) -> None:
    response = client.get("/chatbotcom/reports/conversations?source=widget&source=slack", headers=AUTH["chatbotcom"])
    assert response.status_code == 200


def test_cors_for_browsers_any_origin_without_credentials(client: TestClient) -> None:
    simple = client.get("/generalbots/api/v1/analytics/usage", headers={**AUTH["generalbots"], "Origin": "http://localhost:3000"})
    assert simple.headers["access-control-allow-origin"] == "*" and "access-control-allow-credentials" not in simple.headers
    preflight = client.options(
        "/generalbots/api/v1/analytics/usage",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, x-mock-session",
        },
    )
    assert preflight.status_code == 204 and "GET" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "authorization, x-mock-session"


def test_cors_with_listed_origins_echoes_them_with_credentials() -> None:
    app = create_app(Settings(now=NOW, cors_origins=("http://app.test",)))
    with TestClient(app, base_url=HOST) as listed:
        allowed = listed.get("/botpress/openapi.json", headers={"Origin": "http://app.test"})
        other = listed.get("/botpress/openapi.json", headers={"Origin": "http://evil.test"})
    assert allowed.headers["access-control-allow-origin"] == "http://app.test"
    assert allowed.headers["access-control-allow-credentials"] == "true" and allowed.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in other.headers
    with TestClient(create_app(Settings(now=NOW, cors_origins=())), base_url=HOST) as closed:
        assert (
            "access-control-allow-origin"
            not in closed.get("/botpress/openapi.json", headers={"Origin": "http://app.test"}).headers
        )


def test_options_on_a_known_path_lists_the_methods(client: TestClient) -> None:
    response = client.options("/generalbots/api/v1/analytics/reports")
    assert response.status_code == 204 and response.headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_a_path_that_matches_nothing_suggests_the_closest_operation(client: TestClient) -> None:
    for path, suggestion in (
        ("/chatbotcom/reports/conversation", "/reports/conversations"),
        ("/botpress/v1/admin/bots/bot_1/analytic", "/v1/admin/bots/{id}/analytics"),
        ("/generalbots/api/v1/analytics/usage/dayly", "/api/v1/analytics/usage/daily"),
    ):
        vendor = path.split("/")[1]
        answer = client.get(path, headers=AUTH[vendor])
        assert answer.status_code == 404 and f"Did you mean {suggestion}?" in answer.text, answer.text


def test_a_prefixed_path_sent_to_a_one_vendor_server_is_told_to_drop_the_prefix() -> None:
    with TestClient(create_app(Settings(now=NOW, root_vendor="chatbotcom")), base_url=HOST) as root:
        answer = root.get("/chatbotcom/reports/conversations", headers=AUTH["chatbotcom"])
    assert answer.status_code == 404 and "drop the /chatbotcom prefix" in answer.text, answer.text


def test_a_reversed_range_is_answered_as_the_readme_says_per_vendor(client: TestClient) -> None:
    reversed_ranges = {
        "botpress": ("/botpress/v1/admin/bots/b/analytics?startDate=2025-01-07&endDate=2025-01-01", 200),
        "chatcaptain": ("/chatcaptain/v1/chatbots/b/statistics/inbox?from=2025-01-07T00:00:00Z&to=2025-01-01T00:00:00Z", 400),
        "chatbotcom": ("/chatbotcom/reports/conversations?from=2025-01-07&to=2025-01-01", 200),
        "generalbots": ("/generalbots/api/v1/analytics/usage?start_date=2025-01-07&end_date=2025-01-01", 200),
    }
    answers = {vendor: client.get(path, headers=AUTH[vendor]) for vendor, (path, _) in reversed_ranges.items()}
    assert {vendor: a.status_code for vendor, a in answers.items()} == {v: s for v, (_, s) in reversed_ranges.items()}
    assert answers["botpress"].json() == {"records": []} and answers["chatbotcom"].json()["data"] == []
    assert answers["generalbots"].json()["period_start"].startswith("2025-01-01")


def test_a_pattern_with_a_title_is_explained_in_words_not_as_a_regex(client: TestClient) -> None:
    answer = client.get(
        "/chatcaptain/v1/chatbots/b/statistics/reports/overview",
        headers=AUTH["chatcaptain"],
        params={"from": "2025-01-01T00:00:00Z", "to": "2025-01-02T00:00:00Z", "interval": 86400, "components": "abc"},
    )
    assert answer.status_code == 400 and "component ids from 0 to 16, comma-separated" in answer.text
    assert "(?:" not in answer.text


def test_botpress_names_each_failed_request_anew(client: TestClient) -> None:
    # As the vendor does: a client that logs or deduplicates errors by id must see two errors.
    ids = [client.get("/botpress/v1/admin/bots/b1/nothing", headers=AUTH["botpress"]).json()["id"] for _ in range(3)]
    assert len(set(ids)) == 3, ids
    assert all(re.fullmatch(r"err_\d{13}x[0-9a-f]{8}", i) for i in ids), ids
