"""The control plane is no browser API: web pages, rebound host names and forged forwarding headers
are refused, while tests and scripts on the same machine go on using it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LiveServer

EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = LiveServer()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def guarded() -> Iterator[LiveServer]:
    live = LiveServer("--admin-token", "admin-token-0123456789", "--cors-origins", "https://dash.example")
    yield live
    live.stop()


def faults(server: LiveServer) -> list[dict]:
    return httpx.get(f"{server.url}/__mock/faults").json()["rules"]


def test_a_web_page_can_neither_preflight_nor_post_to_the_control_plane(server: LiveServer) -> None:
    preflight = httpx.options(
        f"{server.url}/__mock/faults",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    # A "simple" request needs no preflight: a page can send it, so it must be refused outright.
    rule = {"match": {"vendor": "botpress"}, "action": {"status": 500}}
    posted = httpx.post(f"{server.url}/__mock/faults", json=rule, headers={"Origin": EVIL})
    assert posted.status_code == 403 and "evil.example" in posted.json()["message"]
    assert httpx.post(f"{server.url}/__mock/reset", headers={"Origin": EVIL}).status_code == 403
    read = httpx.get(f"{server.url}/__mock/journal", headers={"Origin": EVIL})
    assert read.status_code == 403 and "access-control-allow-origin" not in read.headers
    cross_site = httpx.post(f"{server.url}/__mock/reset", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    assert faults(server) == []


def test_the_vendor_apis_keep_answering_web_pages(server: LiveServer) -> None:
    answer = httpx.get(
        f"{server.url}/generalbots/api/v1/analytics/usage?days=7", headers={"Origin": EVIL, "Authorization": "Bearer any-token"}
    )
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"


def test_a_page_of_the_mock_itself_may_use_it(server: LiveServer) -> None:
    same = httpx.get(f"{server.url}/__mock/faults", headers={"Origin": server.url})
    assert same.status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:80",
        "127.0.0.1.nip.io",
        "[fe80::1]",
        # Malformed: strict parsing, not the text before the first colon.
        "localhost:80@evil.example",
        "localhost:abc",
        "127.0.0.1:80:80",
        "[::1",
        "localhost/evil",
    ],
)
def test_a_rebound_host_name_is_refused(server: LiveServer, host: str) -> None:
    answer = httpx.get(f"{server.url}/__mock/journal", headers={"Host": host})
    assert answer.status_code == 403 and "--allowed-hosts" in answer.json()["message"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:1234", "[::1]:80"])
def test_loopback_names_pass(server: LiveServer, host: str) -> None:
    assert httpx.get(f"{server.url}/__mock/journal?limit=1", headers={"Host": host}).status_code == 200


def test_names_the_user_allows_pass() -> None:
    live = LiveServer("--allowed-hosts", "mock.internal")
    try:
        for host in ("mock.internal", "MOCK.internal:8000"):
            assert httpx.get(f"{live.url}/__mock/journal?limit=1", headers={"Host": host}).status_code == 200
        assert httpx.get(f"{live.url}/__mock/journal?limit=1", headers={"Host": "other.internal"}).status_code == 403
    finally:
        live.stop()


@pytest.mark.parametrize(
    "forwarded", ["unknown", "_hidden", "10.9.9.9", "127.0.0.1, 10.9.9.9", "10.9.9.9, 127.0.0.1", "not an address"]
)
def test_a_forwarded_client_that_is_not_loopback_is_refused(server: LiveServer, forwarded: str) -> None:
    answer = httpx.post(f"{server.url}/__mock/reset", headers={"X-Forwarded-For": forwarded})
    assert answer.status_code == 403 and "loopback clients only" in answer.json()["message"]


@pytest.mark.parametrize("forwarded", ["127.0.0.1", "::1", "[::1]", "127.0.0.1, ::1"])
def test_a_loopback_proxy_forwarding_a_loopback_client_passes(server: LiveServer, forwarded: str) -> None:
    # The client is the right-most address that no trusted proxy (--forwarded-allow-ips) added:
    # in "10.9.9.9, 127.0.0.1" a local proxy forwarded for 10.9.9.9, which is refused above.
    assert httpx.post(f"{server.url}/__mock/reset", headers={"X-Forwarded-For": forwarded}).status_code == 204


def test_with_no_trusted_proxy_forwarding_headers_are_ignored() -> None:
    live = LiveServer("--forwarded-allow-ips", "none")
    try:
        assert httpx.post(f"{live.url}/__mock/reset", headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 204
    finally:
        live.stop()


def test_with_an_admin_token_only_listed_origins_get_cors(guarded: LiveServer) -> None:
    token = {"Authorization": "Bearer admin-token-0123456789"}
    preflight = httpx.options(
        f"{guarded.url}/__mock/faults", headers={"Origin": "https://dash.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.headers["access-control-allow-origin"] == "https://dash.example"
    listed = httpx.get(f"{guarded.url}/__mock/faults", headers={"Origin": "https://dash.example", **token})
    assert listed.status_code == 200 and listed.headers["access-control-allow-origin"] == "https://dash.example"
    other = httpx.get(f"{guarded.url}/__mock/faults", headers={"Origin": EVIL, **token})
    assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
    # The token, not the host name, guards this server: it is meant to be reached remotely.
    assert httpx.get(f"{guarded.url}/__mock/faults", headers={"Host": "mock:8000", **token}).status_code == 200
    assert httpx.get(f"{guarded.url}/__mock/faults", headers={"Host": "mock:8000"}).status_code == 401


def test_a_bad_forwarded_allow_ips_fails_at_start() -> None:
    with pytest.raises(RuntimeError, match="argument --forwarded-allow-ips: expected addresses or networks"):
        LiveServer("--forwarded-allow-ips", "10.0.0.0/33")
