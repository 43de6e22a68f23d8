"""The command line as a user runs it: routes, broken specs, replaced specs, a real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.fixtures import read_fixtures
from mockserver.resources import fixtures_dir
from mockserver.timeutil import clock
from tests.cases import AUTH
from tests.conftest import LiveServer, until

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=60)


def test_routes_lists_every_vendor_method_path_and_operation_id() -> None:
    result = run("routes")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 28
    assert "botpress\tGET\t/v1/admin/bots/{id}/analytics\tgetBotAnalytics" in lines
    assert "generalbots\tPOST\t/api/v1/analytics/reports\tcreateReport" in lines


def test_a_broken_spec_stops_the_server_naming_file_and_problem(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n")
    result = run("serve", "--spec", f"botpress={bad}")
    assert result.returncode == 2
    assert str(bad) in result.stderr and "version" in result.stderr
    unparsable = tmp_path / "unparsable.json"
    unparsable.write_text("{")
    result = run("routes", "--spec", f"chatbotcom={unparsable}")
    assert result.returncode == 2 and "not valid JSON" in result.stderr and str(unparsable) in result.stderr
    missing = run("routes", "--spec", f"chatbotcom={tmp_path / 'nope.yaml'}")
    assert missing.returncode == 2 and "cannot read file" in missing.stderr


def test_bad_options_are_reported_without_a_traceback() -> None:
    for args, words in (
        (("routes", "--vendor", "acme"), "unknown vendor 'acme'"),
        (("serve", "--now", "yesterday"), "argument --now: must be an RFC 3339 date-time"),
        (("routes", "--spec", "botpress"), "argument --spec: expected VENDOR=PATH, got 'botpress'"),
        (("serve", "--now", "0002-01-01T00:00:00Z"), "argument --now: must be between 1970-01-01 and 9000-12-31"),
        (("serve", "--cors-origins", "not a url"), "argument --cors-origins: expected origins like https://app.example"),
        (("serve", "--cors-origins", "https://app.example/"), "(no path), * or none; got 'https://app.example/'"),
        (("serve", "--port", "99999"), "argument --port: expected a whole number from 1 to 65535"),
        (("serve", "--workers", "0"), "argument --workers: expected a whole number from 1 to 256"),
        (("serve", "--admin-token", ""), "argument --admin-token: must not be empty"),
    ):
        result = run(*args)
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_bad_environment_values_are_reported_by_the_variables_name() -> None:
    for env, words in (
        ({"MOCKSERVER_JOURNAL_SIZE": "many"}, "MOCKSERVER_JOURNAL_SIZE: expected a whole number, got 'many'"),
        ({"MOCKSERVER_LOG_LEVEL": "verbose"}, "MOCKSERVER_LOG_LEVEL: expected one of"),
        (
            {"MOCKSERVER_STATE": "mysql://db"},
            "MOCKSERVER_STATE: expects memory, sqlite:///path/to/state.db or redis://host:port/db",
        ),
        ({"MOCKSERVER_PORT": "abc"}, "MOCKSERVER_PORT: expected a whole number, got 'abc'"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "mockserver", "serve"], capture_output=True, text=True, timeout=60, env={**os.environ, **env}
        )
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_every_command_shows_examples_in_its_help() -> None:
    for command in ("serve", "routes", "validate", "wait", "plot", "verify", "coverage"):
        assert f"mockserver {command}" in run(command, "--help").stdout.split("examples:")[1]


def test_a_users_own_spec_is_served_in_full(tmp_path: Path) -> None:
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Fuller Botpress", "version": "9.9.9"},
        "security": [{"BearerAuth": []}],
        "components": {"securitySchemes": {"BearerAuth": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/v1/admin/bots/{id}": {
                "get": {
                    "operationId": "getBot",
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["bot"],
                                        "additionalProperties": False,
                                        "properties": {
                                            "bot": {
                                                "type": "object",
                                                "required": ["id", "name"],
                                                "properties": {
                                                    "id": {"type": "string"},
                                                    "name": {"type": "string"},
                                                    "tags": {"type": "array", "items": {"type": "string"}, "nullable": True},
                                                },
                                            }
                                        },
                                    }
                                }
                            },
                        }
                    },
                }
            }
        },
    }
    path = tmp_path / "admin-openapi.json"
    path.write_text(json.dumps(spec))
    routes = run("routes", "--spec", f"botpress={path}", "--vendor", "botpress")
    assert routes.stdout.splitlines() == ["botpress\tGET\t/v1/admin/bots/{id}\tgetBot"]
    server = LiveServer("--spec", f"botpress={path}")
    try:
        response = httpx.get(f"{server.url}/botpress/v1/admin/bots/b1", headers=AUTH["botpress"])
        assert response.status_code == 200 and set(response.json()["bot"]) >= {"id", "name"}
        served = httpx.get(f"{server.url}/botpress/openapi.json").json()
        assert served["info"]["version"] == "9.9.9"
        # Botpress's overlay declares its errors on the new document's operations too.
        assert {"400", "401", "404", "429"} <= set(served["paths"]["/v1/admin/bots/{id}"]["get"]["responses"])
        unauthorized = httpx.get(f"{server.url}/botpress/v1/admin/bots/b1")
        assert unauthorized.status_code == 401 and unauthorized.json()["type"] == "Unauthorized"
        # The other vendors keep their bundled specs.
        assert httpx.get(f"{server.url}/chatbotcom/reports/conversations", headers=AUTH["chatbotcom"]).status_code == 200
    finally:
        server.stop()


def test_the_vendors_own_botpress_document_as_a_replacement_keeps_the_rules() -> None:
    # Loaded as a user's --spec, the published document gets the overlay that fits it: a bad
    # date is still the vendor's 400, not a crash.
    vendor_file = Path(__file__).parent.parent / "specs" / "botpress.yaml"
    server = LiveServer("--spec", f"botpress={vendor_file}", "--vendor", "botpress")
    try:
        bad = httpx.get(
            f"{server.url}/v1/admin/bots/b1/analytics",
            params={"startDate": "abc", "endDate": "2025-01-02"},
            headers=AUTH["botpress"],
        )
        assert bad.status_code == 400 and bad.json()["type"] == "InvalidQuery" and "startDate" in bad.json()["message"]
    finally:
        server.stop()


def test_serve_one_vendor_at_the_root_on_a_chosen_port() -> None:
    server = LiveServer("--vendor", "chatbotcom")
    try:
        response = httpx.get(f"{server.url}/reports/conversations.heatmap", headers=AUTH["chatbotcom"])
        assert response.status_code == 200 and len(response.json()) == 7
    finally:
        server.stop()


def test_plot_draws_a_png(tmp_path: Path) -> None:
    out = tmp_path / "world.png"
    result = run("plot", "--out", str(out), "--now", "2025-06-01T12:00:00Z")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000


def test_plot_draws_a_declared_world_as_one_self_contained_page(tmp_path: Path) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text(
        "world:\n  chatcaptain:\n    chatbots:\n      - id: cb_1\n"
        "        channels: [{id: ch_1, type: whatsapp, name: Shop WhatsApp}, {id: ch_web, type: web}]\n"
    )
    out = tmp_path / "world.html"
    result = run("plot", "chatcaptain", "--config", str(config), "--out", str(out), "--now", "2025-06-01T12:00:00Z")
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert page.count("<svg") == 2 and "<script" not in page
    assert re.findall(r'(?:src|href)="', page) == []  # nothing to fetch: it opens offline
    assert "ChatCaptain chatbot cb_1: conversations per day, by channel" in page
    # The legend's total is what the API answers for the channel over the same 90 days.
    total = int(re.search(r"Shop WhatsApp \(meta-whatsapp\) \(total ([0-9,]+)\)", page).group(1).replace(",", ""))  # type: ignore[union-attr]
    world = {
        "chatcaptain": {
            "chatbots": [{"id": "cb_1", "channels": [{"id": "ch_1", "type": "whatsapp"}, {"id": "ch_web", "type": "web"}]}]
        }
    }
    with TestClient(create_app(Settings(now=clock("2025-06-01T12:00:00Z", "now"), world=world))) as client:
        answer = client.get(
            "/chatcaptain/v1/chatbots/cb_1/statistics/reports/channel",
            params={
                "channelId": "ch_1",
                "from": "2025-03-03T00:00:00Z",
                "to": "2025-05-31T23:59:59.999Z",
                "interval": 86400,
                "components": 1,
            },
            headers=AUTH["chatcaptain"],
        )
    assert answer.json()["components"]["CONVERSATION_COUNT_FOR_CHANNEL_ID"]["total"] == total
    refused = run("plot", "chatcaptian", "--out", str(out))
    assert refused.returncode == 2 and "unknown vendor 'chatcaptian'" in refused.stderr


def test_validate_reports_each_vendor_and_the_fixtures(tmp_path: Path) -> None:
    result = run("validate")
    assert result.returncode == 0, result.stderr
    bundled = len(read_fixtures([fixtures_dir()]))
    assert "(1 operation)" in result.stdout and "(15 operations)" in result.stdout
    assert "ok  botpress:" in result.stdout and f"ok  {bundled} fixtures" in result.stdout and bundled >= 4
    bad = tmp_path / "bad.yaml"
    bad.write_text("vendor: botpress\noperationId: getBotAnalytics\nname: x\nbody: {records: 1}\n")
    failed = run("validate", "--fixtures", str(tmp_path))
    assert failed.returncode == 2 and str(bad) in failed.stderr and "body at /records" in failed.stderr


def test_wait_blocks_until_ready_and_fails_after_its_timeout() -> None:
    server = LiveServer()
    try:
        assert run("wait", "--url", server.url, "--timeout", "5").returncode == 0
    finally:
        server.stop()
    result = run("wait", "--url", server.url, "--timeout", "0.5")
    assert result.returncode == 1 and "was not ready after 0.5 s" in result.stderr


def test_wait_fails_at_once_on_a_mistake_that_waiting_cannot_fix() -> None:
    server = LiveServer()
    try:
        for url, words in ((f"{server.url}/botpress", f"--url {server.url}"), ("127.0.0.1:8000", "root URL, like http://")):
            started = time.monotonic()
            result = run("wait", "--url", url, "--timeout", "30")
            assert result.returncode == 2 and words in result.stderr, result.stderr
            assert time.monotonic() - started < 10  # not the whole timeout
    finally:
        server.stop()


def test_one_json_log_line_per_request(tmp_path: Path) -> None:
    import os
    import time

    from tests.conftest import free_port

    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--log-format", "json"],
            stdout=sink,
            stderr=sink,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert run("wait", "--url", f"http://127.0.0.1:{port}", "--timeout", "20").returncode == 0
            httpx.get(f"http://127.0.0.1:{port}/chatbotcom/reports/conversations", headers=AUTH["chatbotcom"])
            httpx.get(f"http://127.0.0.1:{port}/chatbotcom/reports/nope", headers=AUTH["chatbotcom"])
            deadline = time.monotonic() + 10  # both request lines written
            while log.read_text().count("/chatbotcom/reports/") < 2:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            journal = httpx.get(f"http://127.0.0.1:{port}/__mock/journal").json()["entries"]
        finally:
            process.terminate()
            process.wait(10)
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line is JSON, uvicorn's too
    # A request's line and its journal entry give one time: when it came.
    journaled = sorted((f"/{e['vendor']}{e['path']}", e["time"]) for e in journal)
    assert journaled == sorted((e["path"], e["time"]) for e in lines if "path" in e and not e["path"].startswith("/__mock/"))
    assert all(datetime.fromisoformat(e["time"]).tzinfo is not None for e in lines)
    requests = [e for e in lines if "path" in e]
    vendor_requests = [e for e in requests if not e["path"].startswith("/__mock/")]
    assert [(e["path"], e["status"], e["operationId"]) for e in vendor_requests] == [
        ("/chatbotcom/reports/conversations", 200, "getConversationsReport"),
        ("/chatbotcom/reports/nope", 404, None),
    ]
    assert any(e["path"] == "/__mock/ready" and e["status"] == 200 for e in requests)  # the control plane too
    assert all(e["durationMs"] > 0 and e["method"] == "GET" for e in requests)
    assert any(e.get("logger", "").startswith("uvicorn") for e in lines)


def test_either_event_loop_serves_the_same_bytes() -> None:
    answers = []
    for loop in ("asyncio", "uvloop"):
        server = LiveServer("--loop", loop, "--now", "2025-06-01T12:00:00Z")
        try:
            answers.append(
                httpx.get(
                    f"{server.url}/botpress/v1/admin/bots/bot_1/analytics",
                    headers=AUTH["botpress"],
                    params={"startDate": "2025-05-01", "endDate": "2025-05-07"},
                ).content
            )
        finally:
            server.stop()
    assert answers[0] == answers[1] and b'"records"' in answers[0]
    refused = run("serve", "--loop", "trio")
    assert refused.returncode == 2 and "expected one of auto, asyncio, uvloop, got 'trio'" in refused.stderr


def test_a_busy_port_is_reported_before_start_up_with_what_to_do() -> None:
    server = LiveServer()
    try:
        result = run("serve", "--port", str(server.port))
        assert result.returncode == 2 and "another server, perhaps a mockserver, uses the port" in result.stderr
        assert "--port" in result.stderr and "Traceback" not in result.stderr
    finally:
        server.stop()


def test_the_schemathesis_settings_can_be_found_and_copied_from_anywhere(tmp_path: Path) -> None:
    located = run("schemathesis-config")
    assert located.returncode == 0 and Path(located.stdout.strip()).read_text() == (ROOT / "schemathesis.toml").read_text()
    copy = tmp_path / "st.toml"
    assert run("schemathesis-config", "--out", str(copy)).returncode == 0
    assert copy.read_text() == (ROOT / "schemathesis.toml").read_text()


def test_the_sample_ci_config_is_valid() -> None:
    result = run("validate", "--config", str(ROOT / "examples" / "ci" / "mock.yaml"))
    assert result.returncode == 0 and "2 fault rules, 1 session" in result.stdout, result.stderr


def test_each_command_describes_itself() -> None:
    for command in ("serve", "routes", "validate", "wait", "plot", "schemathesis-config", "verify"):
        assert run(command, "--help").stdout.split("\n\n")[1].strip().endswith(".")


def test_routes_and_validate_do_not_connect_to_the_store() -> None:
    env = {**os.environ, "MOCKSERVER_STATE": "redis://127.0.0.1:1/0"}  # a CI job's settings; nothing listens there
    for command in ("routes", "validate"):
        result = subprocess.run(
            [sys.executable, "-m", "mockserver", command], capture_output=True, text=True, timeout=60, env=env
        )
        assert result.returncode == 0, result.stderr


def test_routes_and_validate_take_only_the_options_they_read() -> None:
    flags = {
        "routes": {"--vendor", "--spec", "--fixtures", "--config"},
        "validate": {"--vendor", "--spec", "--fixtures", "--config"},
    }
    for command, expected in flags.items():
        shown = set(re.findall(r"^  (--[a-z-]+)", run(command, "--help").stdout, flags=re.M)) - {"--help"}
        assert shown == expected, (command, shown)
        refused = run(command, "--seed", "1")
        assert refused.returncode == 2 and "unrecognized arguments: --seed 1" in refused.stderr


def test_validate_checks_the_seed_and_clock_of_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text("seed: -1\n")
    result = run("validate", "--config", str(config))
    assert result.returncode == 2 and "the seed must be a whole number >= 0, got -1" in result.stderr


def test_a_client_cannot_write_a_line_of_its_own_into_the_text_log() -> None:
    from tests.conftest import until

    server = LiveServer("--log-level", "info")  # the text format, the default
    try:
        forged = "2026-01-01T00:00:00.000Z INFO GET /botpress/ok 200 1.0ms forged"
        httpx.get(f"{server.url}/botpress/x%0a{forged.replace(' ', '%20')}%0d%1b[2J", headers=AUTH["botpress"])
        until(lambda: "forged" in server.output())
        lines = server.output().splitlines()
    finally:
        server.stop()
    assert not any(line.startswith(forged[:24]) for line in lines), lines
    (line,) = [line for line in lines if "forged" in line]
    assert "/botpress/x\\x0a2026-01-01T00:00:00.000Z INFO GET" in line and "\\x0d\\x1b[2J" in line


def test_coverage_reports_what_the_requests_exercised(tmp_path: Path) -> None:
    server = LiveServer("--now", "2025-06-01T12:00:00Z", "--log-level", "info")
    try:
        headers = {**AUTH["generalbots"], "X-Mock-Session": "suite"}
        assert (
            httpx.get(f"{server.url}/generalbots/api/v1/analytics/usage/daily", params={"day": 7}, headers=headers).status_code
            == 200
        )
        assert (
            httpx.get(
                f"{server.url}/generalbots/api/v1/analytics/usage", params={"period": "decade"}, headers=headers
            ).status_code
            == 400
        )
        table = run("coverage", "--url", server.url, "--session", "suite", "--vendor", "generalbots")
        assert table.returncode == 0, table.stderr
        assert "Contract coverage: 1 of 15 operations (6.7%)." in table.stdout
        assert "| generalbots | getDailyUsage | 1 | 200 x1 |" in table.stdout
        assert "| generalbots | getUsage (not covered) | 1 | 400 x1 |" in table.stdout
        assert "- generalbots getDailyUsage: `day` x1, did you mean `days`?" in table.stdout
        report = json.loads(run("coverage", "--url", server.url, "--session", "suite", "--format", "json").stdout)
        usage = report["vendors"]["generalbots"]["operations"]["getUsage"]
        assert usage["refused"][0]["status"] == 400 and "'period'" in usage["refused"][0]["reason"]
        assert usage["error_types"] == {"400 invalid_parameter": 1}  # the vendor's own name for the error
        assert "decade" not in usage["parameters"]["period"]["values"]  # only the declared values are classes
        assert report["operations_total"] == 28 and report["percent"] == round(100 / 28, 1)
        junit = tmp_path / "coverage.xml"
        under = run(
            "coverage", "--url", server.url, "--session", "suite", "--format", "junit", "--out", str(junit), "--fail-under", "50"
        )
        assert under.returncode == 1 and "generalbots getUsage" in under.stderr
        assert junit.read_text().count("<testcase") == 28 and junit.read_text().count("<failure") == 27
        # The log line carries the warning too.
        until(lambda: "warning: query parameter 'day' is not declared; did you mean 'days'?" in server.output())
    finally:
        server.stop()


def test_keep_alive_answers_in_whole_and_every_request_line_is_written_by_exit(tmp_path: Path) -> None:
    """GET, HEAD (no body) and GET again on one keep-alive connection each arrive whole, HEAD
    with GET's length. Request lines are written once per turn of the event loop: a burst of
    concurrent requests, then an immediate stop, still leaves one whole line per request."""
    import http.client
    import socket
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import free_port

    port, log = free_port(), tmp_path / "server.log"
    path = "/botpress/v1/admin/bots/bot_{}/analytics?startDate=2025-05-01&endDate=2025-05-07"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--now", "2025-06-01T12:00:00Z"],
            stdout=sink,
            stderr=sink,
        )
        try:
            assert run("wait", "--url", f"http://127.0.0.1:{port}", "--timeout", "20").returncode == 0
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            answers = []
            for method in ("GET", "HEAD", "GET"):
                connection.request(method, path.format(1), headers=AUTH["botpress"])
                response = connection.getresponse()
                answers.append((response.status, response.getheader("content-length"), response.read()))
            connection.close()
            (status, length, body), head, again = answers
            assert status == 200 and int(length) == len(body) and b'"records"' in body
            assert head == (200, length, b"") and again == answers[0]
            # Pipelined, HEAD then GET in one packet: each answer is its own, in order.
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                ask = "{} " + path.format(1) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nx-workspace-id: w\r\n\r\n"
                raw.sendall((ask.format("HEAD") + ask.format("GET")).encode())
                received = b""
                while not received.endswith(body):
                    chunk = raw.recv(65536)
                    assert chunk, received
                    received += chunk
            first, second = received.split(b"\r\n\r\n", 1)
            assert first.startswith(b"HTTP/1.1 200") and f"content-length: {length}".encode() in first
            assert second.startswith(b"HTTP/1.1 200") and second.endswith(b"\r\n\r\n" + body)

            def one(bot: int) -> int:
                return httpx.get(f"http://127.0.0.1:{port}{path.format(bot)}", headers=AUTH["botpress"]).status_code

            with ThreadPoolExecutor(8) as pool:
                assert set(pool.map(one, range(40))) == {200}
        finally:
            process.terminate()
            process.wait(10)
    lines = [line for line in log.read_text().splitlines() if "/botpress/v1/admin/bots/" in line]
    assert len(lines) == 45, lines  # 3 on one connection, 2 pipelined, 40 concurrent
    line = r"\S+Z (GET|HEAD) /botpress/v1/admin/bots/bot_\d+/analytics 200 \d+\.\dms getBotAnalytics"
    assert all(re.fullmatch(line, text) for text in lines), lines
