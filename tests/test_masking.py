"""What the journal keeps of a request: no credential, wherever it was sent, and a bounded size."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from mockserver.control.journal import mask
from mockserver.profiles import discover_profiles
from tests.conftest import NOW

VENDORS = tuple(discover_profiles())
SECRET = "sk-live-0123456789abcdef"


def client(**settings: Any) -> TestClient:
    return TestClient(create_app(Settings(now=NOW, **settings)), base_url="http://127.0.0.1:8000")


def journal(test_client: TestClient) -> list[dict[str, Any]]:
    return test_client.get("/__mock/journal", params={"limit": 1000}).json()["entries"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_credential_headers_are_masked_on_every_vendor(vendor: str) -> None:
    with client() as test_client:
        headers = {
            name: SECRET
            for name in (
                "x-chatcaptain-key",
                "X-Auth-Token",
                "X-Access-Token",
                "Api-Key",
                "X-Amz-Security-Token",
                "Authorization",
                "Cookie",
                "X-Api-Key",
            )
        }
        test_client.get(f"/{vendor}/anything", headers=headers)
        (entry,) = journal(test_client)
        assert SECRET not in json.dumps(entry)
        assert entry["headers"]["x-auth-token"] == "****cdef"


@pytest.mark.parametrize(
    "name", ["api_key", "token", "access_token", "key", "signature", "password", "client_secret", "jwt", "pwd", "pass", "id_jwt"]
)
def test_credentials_in_the_query_are_masked(name: str) -> None:
    with client() as test_client:
        test_client.get(
            "/generalbots/api/v1/analytics/usage", params={"days": 7, name: SECRET}, headers={"Authorization": "Bearer any-token"}
        )
        (entry,) = journal(test_client)
        assert SECRET not in json.dumps(entry) and entry["query"][name] == ["****cdef"]
        assert entry["query"]["days"] == ["7"]


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("s3cr", "****"),
        ("Bearer s3cr", "****"),
        ("eleven-char", "****"),
        ("Bearer twelve-chars", "****hars"),
        (SECRET, "****cdef"),
    ],
)
def test_a_short_credential_keeps_nothing(value: str, kept: str) -> None:
    assert mask(value) == kept


def test_a_four_character_token_is_not_journaled_whole() -> None:
    with client(tokens=frozenset({"s3cr"})) as test_client:
        answer = test_client.get(
            "/chatbotcom/reports/conversations", params={"from": "2025-03-01"}, headers={"Authorization": "Bearer s3cr"}
        )
        assert answer.status_code == 200
        (entry,) = journal(test_client)
        assert "s3cr" not in json.dumps(entry)


def test_a_refused_short_token_is_not_echoed_whole() -> None:
    with client(tokens=frozenset({"expected-token"})) as test_client:
        answer = test_client.get("/chatbotcom/reports/conversations", headers={"Authorization": "Bearer s3cr"})
        assert answer.status_code == 401 and "s3cr" not in answer.text


def test_a_huge_entry_is_cut_with_a_visible_marker() -> None:
    with client(journal_entry_bytes=4096) as test_client:
        test_client.post(
            "/generalbots/api/v1/analytics/reports",
            headers={"Authorization": "Bearer t", "X-Big": "x" * 50_000},
            content=b"y" * 50_000,
        )
        (entry,) = journal(test_client)
        assert len(json.dumps(entry)) < 2 * 4096
        assert "…[cut " in entry["headers"]["x-big"] and "…[cut " in entry["body"]


def test_the_journal_keeps_a_bounded_number_of_bytes() -> None:
    with client(journal_entry_bytes=4096, journal_bytes=20_000, journal_size=1000) as test_client:
        for n in range(60):
            test_client.get("/botpress/anything", headers={"X-Filler": "f" * 3000, "X-N": str(n)})
        entries = journal(test_client)
        assert sum(len(json.dumps(e)) for e in entries) <= 20_000 + 100 * len(entries)  # ids and spacing aside
        assert 5 < len(entries) < 60 and entries[-1]["headers"]["x-n"] == "59"  # the oldest went first


def test_a_jwt_header_is_masked() -> None:
    with client() as test_client:
        test_client.get("/generalbots/api/v1/analytics/usage", headers={"Authorization": "Bearer t", "X-JWT-Assertion": SECRET})
        (entry,) = journal(test_client)
        assert SECRET not in json.dumps(entry) and entry["headers"]["x-jwt-assertion"] == "****cdef"


REPORT = "/generalbots/api/v1/analytics/reports"
AUTH_GB = {"Authorization": "Bearer any-token"}


def test_json_body_members_named_like_credentials_are_masked_at_any_depth() -> None:
    body = {
        "type": "usage",
        "password": SECRET,
        "client_secret": SECRET,
        "nested": {"items": [{"api_key": SECRET, "pass": 1234567}], "passage": "kept"},
    }
    with client() as test_client:
        test_client.post(REPORT, json=body, headers=AUTH_GB)
        (entry,) = journal(test_client)
    assert SECRET not in json.dumps(entry)
    kept = entry["body"]
    assert kept["password"] == kept["client_secret"] == "****cdef" and kept["type"] == "usage"
    assert kept["nested"]["items"] == [{"api_key": "****cdef", "pass": "****"}] and kept["nested"]["passage"] == "kept"


def test_a_body_too_long_to_keep_whole_is_masked_before_it_is_cut() -> None:
    body = {"password": SECRET, "filler": "x" * 5000}
    with client(journal_entry_bytes=1024) as test_client:
        test_client.post(REPORT, json=body, headers=AUTH_GB)
        (entry,) = journal(test_client)
    assert isinstance(entry["body"], str) and "…[cut" in entry["body"]
    assert SECRET not in json.dumps(entry) and "****cdef" in entry["body"]


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("application/x-www-form-urlencoded", f"type=usage&password={SECRET}&client_secret={SECRET}"),
        ("application/json", f'{{"password": "{SECRET}", "broken": '),
        ("text/plain", f"user=ann pwd={SECRET}; token: {SECRET}"),
    ],
)
def test_form_fields_and_bodies_kept_as_text_are_masked(content_type: str, raw: str) -> None:
    with client() as test_client:
        test_client.post(REPORT, content=raw.encode(), headers={**AUTH_GB, "Content-Type": content_type})
        (entry,) = journal(test_client)
    assert SECRET not in json.dumps(entry), entry["body"]
    assert "****cdef" in entry["body"]


def test_the_sqlite_journal_file_holds_no_credential_from_a_body(tmp_path: Any) -> None:
    database = tmp_path / "state.db"
    with client(state=f"sqlite:///{database}") as test_client:
        test_client.post(REPORT, json={"password": SECRET}, headers=AUTH_GB)
        assert len(journal(test_client)) == 1
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert SECRET.encode() not in stored


def test_a_repeated_request_is_journaled_masked_each_time_and_a_changed_one_anew() -> None:
    """The journal remembers what it kept of a small request without a body, so a repeat costs
    less: each repeat is still its own masked entry, and another credential or query is not
    mistaken for the remembered one."""
    other = "sk-live-fedcba9876543210"
    with client() as test_client:
        path = "/chatbotcom/reports/conversations"
        for secret, days in ((SECRET, "2025-05-01"), (SECRET, "2025-05-01"), (other, "2025-05-01"), (SECRET, "2025-05-02")):
            test_client.get(path, params={"from": days, "api_key": secret}, headers={"Authorization": f"Bearer {secret}"})
        entries = [e for e in journal(test_client) if e["path"] == "/reports/conversations"]
    assert SECRET not in json.dumps(entries) and other not in json.dumps(entries)
    tails = [(e["headers"]["authorization"], e["query"]["api_key"], e["query"]["from"]) for e in entries]
    assert sorted(tails) == sorted(
        [
            ("****cdef", ["****cdef"], ["2025-05-01"]),
            ("****cdef", ["****cdef"], ["2025-05-01"]),
            ("****3210", ["****3210"], ["2025-05-01"]),
            ("****cdef", ["****cdef"], ["2025-05-02"]),
        ]
    )
