"""Writes that stick: a client creates, reads, updates, lists and deletes, as against the vendor.

On the fuller Botpress Admin API document (``--spec botpress=FILE``), each answer checked against
that document with openapi-schema-validator, an implementation independent of the mock's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from tests.conftest import NOW, LiveServer
from tests.test_generation import FULLER, independent

H = {"Authorization": "Bearer secret-token", "x-workspace-id": "ws_1"}
BOTS = "/botpress/v1/admin/bots"
DOCUMENT = json.loads(FULLER.read_text())
CHECK = independent(DOCUMENT)


def fuller(**changes: Any) -> TestClient:
    settings = Settings(vendors=("botpress",), spec_overrides={"botpress": str(FULLER)}, now=NOW, **changes)
    return TestClient(create_app(settings))


def conforms(response: httpx.Response, operation: str) -> Any:
    """The body, after checking it against ``operation``'s declared response for its status."""
    name = f"{operation}Response"
    assert response.status_code == 200, response.text
    assert CHECK(f"/components/responses/{name}/content/application~1json/schema", response.json()) == []
    return response.json()


def test_a_created_bot_is_read_updated_listed_and_deleted() -> None:
    client = fuller()
    listed = conforms(client.get(BOTS, headers=H), "listBots")["bots"]
    created = conforms(client.post(BOTS, headers=H, json={"name": "Care bot", "tags": {"team": "care"}}), "createBot")["bot"]
    assert created["name"] == "Care bot" and created["tags"] == {"team": "care"}
    assert created["createdAt"] == created["updatedAt"] == "2025-06-01T12:00:00.000Z"  # the request's now
    bot_id = created["id"]
    assert conforms(client.get(f"{BOTS}/{bot_id}", headers=H), "getBot")["bot"] == created
    updated = conforms(client.put(f"{BOTS}/{bot_id}", headers=H, json={"tags": {"team": "sales"}}), "updateBot")["bot"]
    # updateBot's body requires nothing: a partial update that keeps what it does not name
    assert updated["tags"] == {"team": "sales"} and updated["name"] == "Care bot" and updated["id"] == bot_id
    assert client.get(f"{BOTS}/{bot_id}", headers=H).json()["bot"] == updated
    after = conforms(client.get(BOTS, headers=H), "listBots")["bots"]
    assert [b["id"] for b in after] == [*(b["id"] for b in listed), bot_id]
    assert after[-1]["name"] == "Care bot" and after[-1]["tags"] == {"team": "sales"}
    assert conforms(client.delete(f"{BOTS}/{bot_id}", headers=H), "deleteBot") == {}
    gone = client.get(f"{BOTS}/{bot_id}", headers=H)
    assert gone.status_code == 404 and gone.json()["type"] == "ResourceNotFound" and bot_id in gone.json()["message"]
    assert client.delete(f"{BOTS}/{bot_id}", headers=H).status_code == 404
    assert client.put(f"{BOTS}/{bot_id}", headers=H, json={"name": "x"}).status_code == 404
    assert [b["id"] for b in client.get(BOTS, headers=H).json()["bots"]] == [b["id"] for b in listed]


def test_listed_bots_are_the_worlds_and_their_analytics_agree() -> None:
    client = fuller()
    bots = client.get(BOTS, headers=H).json()["bots"]
    assert 3 <= len(bots) <= 6 and len({b["name"] for b in bots}) == len(bots)
    for bot in bots:
        read = client.get(f"{BOTS}/{bot['id']}", headers=H).json()["bot"]
        assert {k: read[k] for k in bot} == bot
        created = bot["createdAt"][:10]
        # the day before the bot was created has no sessions; the analytics begin on its creation day
        analytics = client.get(
            f"{BOTS}/{bot['id']}/analytics",
            params={"startDate": f"{created}T00:00:00Z", "endDate": "2025-06-01T00:00:00Z"},
            headers=H,
        )
        records = analytics.json()["records"]
        assert records[0]["startDateTimeUtc"][:10] == created and sum(r["sessions"] for r in records) > 0
    unknown = client.get(f"{BOTS}/00000000-0000-4000-8000-000000000000", headers=H)
    assert unknown.status_code == 404 and unknown.json()["type"] == "ResourceNotFound"


def test_declared_bots_are_the_ones_listed_and_a_world_bot_can_be_changed_and_deleted() -> None:
    world = {"botpress": {"bots": [{"id": "bot_helpdesk_0000000000000000000", "name": "Helpdesk", "createdAt": "2024-02-01"}]}}
    client = fuller(world=world)
    bots = client.get(BOTS, headers=H).json()["bots"]
    assert [(b["id"], b["name"], b["createdAt"]) for b in bots] == [
        ("bot_helpdesk_0000000000000000000", "Helpdesk", "2024-02-01T00:00:00.000Z")
    ]
    renamed = client.put(f"{BOTS}/{bots[0]['id']}", headers=H, json={"name": "Helpdesk 2"}).json()["bot"]
    assert renamed["name"] == "Helpdesk 2" and renamed["createdAt"] == "2024-02-01T00:00:00.000Z"
    assert client.get(BOTS, headers=H).json()["bots"][0]["name"] == "Helpdesk 2"
    analytics = f"{BOTS}/{bots[0]['id']}/analytics?startDate=2025-05-01&endDate=2025-05-02"
    assert client.get(analytics, headers=H).status_code == 200
    assert client.delete(f"{BOTS}/{bots[0]['id']}", headers=H).status_code == 200
    assert client.get(BOTS, headers=H).json()["bots"] == []
    # what lies under a deleted bot is gone with it; a bot never written stays as the world has it
    gone = client.get(analytics, headers=H)
    assert gone.status_code == 404 and "deleted" in gone.json()["message"]
    assert client.get(f"{BOTS}/any-other-bot/analytics?startDate=2025-05-01&endDate=2025-05-02", headers=H).status_code == 200


def test_sessions_never_see_each_others_writes_and_a_reset_clears_them() -> None:
    client = fuller()
    alone = {**H, "X-Mock-Session": "a"}
    made = client.post(BOTS, headers=alone, json={"name": "Only in a"}).json()["bot"]
    assert client.get(f"{BOTS}/{made['id']}", headers=alone).status_code == 200
    for other in (H, {**H, "X-Mock-Session": "b"}):
        assert client.get(f"{BOTS}/{made['id']}", headers=other).status_code == 404
        assert made["id"] not in [b["id"] for b in client.get(BOTS, headers=other).json()["bots"]]
    assert client.post("/__mock/reset", params={"session": "a"}).status_code == 204
    assert client.get(f"{BOTS}/{made['id']}", headers=alone).status_code == 404


def test_a_list_is_paged_with_the_vendors_next_token() -> None:
    client = fuller()
    session = {**H, "X-Mock-Session": "paging"}
    world = len(client.get(BOTS, headers=session).json()["bots"])
    for n in range(25 - world):
        assert client.post(BOTS, headers=session, json={"name": f"bot {n}"}).status_code == 200
    first = conforms(client.get(BOTS, headers=session), "listBots")
    assert len(first["bots"]) == 20 and first["meta"]["nextToken"]
    second = conforms(client.get(BOTS, headers=session, params={"nextToken": first["meta"]["nextToken"]}), "listBots")
    assert len(second["bots"]) == 5 and "nextToken" not in second["meta"]
    assert len({b["id"] for b in first["bots"] + second["bots"]}) == 25
    bad = client.get(BOTS, headers=session, params={"nextToken": "not-ours"})
    assert bad.status_code == 400 and bad.json()["type"] == "InvalidQuery" and "nextToken" in bad.json()["message"]


def test_writes_beyond_the_limit_are_refused_and_nothing_is_dropped() -> None:
    client = fuller(max_resources=2)
    kept = [client.post(BOTS, headers=H, json={"name": f"b{n}"}).json()["bot"]["id"] for n in range(2)]
    refused = client.post(BOTS, headers=H, json={"name": "one more"})
    # Botpress's own answer to a resource beyond the plan: 403 QuotaExceeded (507 where a vendor has none)
    assert refused.status_code == 403 and refused.json()["type"] == "QuotaExceeded"
    assert "--max-resources" in refused.json()["message"]
    assert all(client.get(f"{BOTS}/{bot_id}", headers=H).status_code == 200 for bot_id in kept)


def test_an_invalid_body_is_refused_before_anything_is_kept() -> None:
    client = fuller()
    before = client.get(BOTS, headers=H).json()["bots"]
    refused = client.post(BOTS, headers=H, json={"name": 7})
    assert refused.status_code == 400 and refused.json()["type"] == "InvalidPayload"
    assert client.get(BOTS, headers=H).json()["bots"] == before


def test_the_config_turns_the_inference_off_per_operation(tmp_path: Path) -> None:
    from tests.test_cli import run

    config = tmp_path / "mock.yaml"
    config.write_text(yaml.safe_dump({"stateless": {"botpress": ["createBot"]}}))
    routes = run("routes", "--vendor", "botpress", "--spec", f"botpress={FULLER}", "--config", str(config)).stdout
    lines = {line.split("\t")[3]: line for line in routes.splitlines()}
    assert lines["getBot"].endswith("\tstateful: read /v1/admin/bots") and "stateful" not in lines["createBot"]
    assert "stateful" not in lines["getBotAnalytics"]  # answered by the profile
    client = fuller(stateless={"botpress": ("createBot",)})
    made = client.post(BOTS, headers=H, json={"name": "not kept"}).json()["bot"]
    assert client.get(f"{BOTS}/{made['id']}", headers=H).status_code == 404
    wrong = run("routes", "--vendor", "botpress", "--config", str(config))
    assert wrong.returncode == 2 and "botpress has no operation 'createBot'" in wrong.stderr


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_two_workers_on_a_shared_store_act_as_one(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if store == "redis":
        redis = request.getfixturevalue("redis_server")
        redis.flush()
        url = redis.url
    else:
        url = f"sqlite:///{tmp_path / 'state.db'}"
    server = LiveServer("--workers", "2", "--state", url, "--spec", f"botpress={FULLER}", "--now", "2025-06-01T12:00:00Z")
    try:
        headers = {**H, "X-Mock-Session": "shared"}
        made = []
        for n in range(6):  # a connection each: both workers take some
            with httpx.Client(base_url=server.url) as client:
                made.append(client.post(BOTS, headers=headers, json={"name": f"bot {n}"}).json()["bot"])
        for bot in made:
            with httpx.Client(base_url=server.url) as client:
                assert client.get(f"{BOTS}/{bot['id']}", headers=headers).json()["bot"] == bot
        assert len({bot["id"] for bot in made}) == 6
        with httpx.Client(base_url=server.url) as client:
            listed = [b["id"] for b in client.get(BOTS, headers=headers).json()["bots"]]
            assert listed[-6:] == [bot["id"] for bot in made]
            assert client.delete(f"{BOTS}/{made[0]['id']}", headers=headers).status_code == 200
        with httpx.Client(base_url=server.url) as client:
            assert client.get(f"{BOTS}/{made[0]['id']}", headers=headers).status_code == 404
    finally:
        server.stop()
