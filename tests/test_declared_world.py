"""Your own ids: a world declared in the config file or per session, as a user's client sees it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from mockserver import Settings, create_app
from tests.conftest import HOST, NOW, LiveServer
from tests.test_generation import FULLER

CC = {"x-chatcaptain-key": "key"}
RANGE = "from=2025-05-01T00:00:00Z&to=2025-05-07T23:59:59Z&interval=86400"
WORLD: dict[str, Any] = {
    "chatcaptain": {
        "chatbots": [{"id": "cb_1", "channels": [{"id": "ch_1", "type": "whatsapp"}, {"id": "ch_web", "type": "web"}]}]
    },
}


def client_with(world: dict[str, Any]) -> TestClient:
    return TestClient(create_app(Settings(now=NOW, world=world)), base_url=HOST)


def conversations(client: TestClient, chatbot: str, channel: str | None = None, **headers: str) -> int:
    if channel is None:
        url = f"/chatcaptain/v1/chatbots/{chatbot}/statistics/reports/overview?{RANGE}&components=1"
        name = "CONVERSATION_COUNT"
    else:
        url = f"/chatcaptain/v1/chatbots/{chatbot}/statistics/reports/channel?channelId={channel}&{RANGE}&components=1"
        name = "CONVERSATION_COUNT_FOR_CHANNEL_ID"
    response = client.get(url, headers={**CC, **headers})
    assert response.status_code == 200, response.text
    return response.json()["components"][name]["total"]


def channels(client: TestClient, chatbot: str, **headers: str) -> list[dict[str, Any]]:
    response = client.get(f"/chatcaptain/v1/chatbots/{chatbot}/statistics/channels", headers={**CC, **headers})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_declared_chatcaptain_channels_are_the_chatbots_channels_and_add_into_the_overview() -> None:
    with client_with(WORLD) as client:
        listed = channels(client, "cb_1")
        assert [(c["id"], c["type"]) for c in listed] == [("ch_1", "meta-whatsapp"), ("ch_web", "web")]
        parts = [conversations(client, "cb_1", c) for c in ("ch_1", "ch_web")]
        assert all(parts) and sum(parts) == conversations(client, "cb_1")
        missing = client.get(
            f"/chatcaptain/v1/chatbots/cb_1/statistics/reports/channel?channelId=ch_9&{RANGE}&components=1", headers=CC
        )
        assert missing.status_code == 404
        assert "ch_1, ch_web" in missing.json()["message"]
        # A chatbot the world does not declare is still any id, with channels of its own.
        assert len(channels(client, "cb_other")) >= 2
        entities = client.get("/__mock/world/chatcaptain").json()["entities"]
        assert [c["id"] for c in entities["declared"][0]["channels"]] == ["ch_1", "ch_web"]


def test_a_declared_channels_figures_do_not_depend_on_the_others() -> None:
    more = {
        "chatcaptain": {
            "chatbots": [
                {"id": "cb_1", "channels": [*WORLD["chatcaptain"]["chatbots"][0]["channels"], {"id": "ch_3", "type": "voice"}]}
            ]
        }
    }
    with client_with(WORLD) as one, client_with(more) as two:
        assert conversations(one, "cb_1", "ch_1") == conversations(two, "cb_1", "ch_1")
        assert conversations(two, "cb_1") == sum(conversations(two, "cb_1", c) for c in ("ch_1", "ch_web", "ch_3"))
        phone = channels(two, "cb_1")[2]
        assert phone["type"] == "voice" and phone["number"].startswith("+")


def test_declared_attributes_are_kept() -> None:
    world = {
        "chatcaptain": {
            "chatbots": [
                {
                    "id": "cb_1",
                    "channels": [
                        {"id": "ch_1", "type": "web", "name": "Shop widget", "created": "2025-05-04", "status": "active"},
                    ],
                }
            ]
        }
    }
    with client_with(world) as client:
        (channel,) = channels(client, "cb_1")
        assert channel["name"] == "Shop widget" and channel["created"].startswith("2025-05-04T")
        daily = client.get(
            f"/chatcaptain/v1/chatbots/cb_1/statistics/reports/channel?channelId=ch_1&{RANGE}&components=2", headers=CC
        ).json()["components"]["CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID"]
        values = [point["value"] for point in daily["series"]]
        assert values[:3] == [0, 0, 0] and any(values[4:])  # nothing before the day it was set up


@pytest.mark.parametrize(
    ("world", "path"),
    [
        ({"chatcaptian": {}}, "world.chatcaptian: unknown vendor 'chatcaptian'"),
        ({"chatcaptain": {"chatbots": [{"channels": []}]}}, "world.chatcaptain.chatbots[0]: 'id' is a required property"),
        ({"chatcaptain": {"chatbots": [{"id": "a"}, {"id": "a"}]}}, "world.chatcaptain.chatbots[1].id: duplicate id 'a'"),
        (
            {"chatcaptain": {"chatbots": [{"id": "a", "channels": [{"id": "c", "type": "sms"}]}]}},
            "world.chatcaptain.chatbots[0].channels[0].type: 'sms' is not one of",
        ),
        (
            {"chatcaptain": {"chatbots": [{"id": 7}]}},
            "world.chatcaptain.chatbots[0].id: expected an id of 1 to 200 characters, got 7",
        ),
        ({"chatcaptain": {"chatbots": {"id": "a"}}}, "world.chatcaptain.chatbots: "),
    ],
)
def test_a_malformed_world_fails_start_up_naming_its_path(tmp_path: Path, world: dict[str, Any], path: str) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text(yaml.safe_dump({"world": world}))
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "validate", "--config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{config}: {path}" in lines[0], done.stderr
    with pytest.raises(Exception, match=path.replace("[", r"\[").replace("]", r"\]").split(":")[0]):
        create_app(Settings(now=NOW, world=world))


def test_sessions_declare_their_own_worlds_side_by_side() -> None:
    other = {"chatcaptain": {"chatbots": [{"id": "cb_1", "channels": [{"id": "ch_tg", "type": "telegram"}]}]}}
    with client_with(WORLD) as client:
        assert client.put("/__mock/sessions/a", json={"world": other}).status_code == 200
        assert client.put("/__mock/sessions/b", json={}).status_code == 200
        assert [c["id"] for c in channels(client, "cb_1", **{"X-Mock-Session": "a"})] == ["ch_tg"]
        assert [c["id"] for c in channels(client, "cb_1", **{"X-Mock-Session": "b"})] == ["ch_1", "ch_web"]
        assert [c["id"] for c in channels(client, "cb_1")] == ["ch_1", "ch_web"]
        # The same URL in each session: answers are never shared between worlds.
        assert conversations(client, "cb_1", **{"X-Mock-Session": "a"}) == conversations(
            client, "cb_1", "ch_tg", **{"X-Mock-Session": "a"}
        )
        assert conversations(client, "cb_1", **{"X-Mock-Session": "b"}) == conversations(client, "cb_1")
        assert client.get("/__mock/sessions/a").json()["world"] == other
        seen = client.get("/__mock/world/chatcaptain", params={"session": "a"}).json()["entities"]["declared"]
        assert [c["id"] for c in seen[0]["channels"]] == ["ch_tg"]


def test_a_sessions_malformed_world_is_a_400_naming_its_path() -> None:
    with client_with({}) as client:
        bad = {"chatcaptain": {"chatbots": [{"id": "cb_1", "channels": [{"id": "c"}]}]}}
        response = client.put("/__mock/sessions/s", json={"world": bad})
        assert response.status_code == 400
        message = response.json()["message"]  # the served schema says what a world holds: its check names the place
        assert "world.chatcaptain.chatbots[0].channels[0]" in message and "'type'" in message, message
        unknown = client.put("/__mock/sessions/s", json={"world": {"chatcaptian": {}}})
        assert unknown.status_code == 400 and "chatcaptian" in unknown.json()["message"]
        assert client.get("/__mock/sessions/s").status_code == 404


def test_a_config_session_may_declare_a_world(tmp_path: Path) -> None:
    other = {"chatcaptain": {"chatbots": [{"id": "cb_1", "channels": [{"id": "ch_mail", "type": "email"}]}]}}
    with TestClient(create_app(Settings(now=NOW, sessions={"s": {"world": other}})), base_url=HOST) as client:
        assert [c["id"] for c in channels(client, "cb_1", **{"X-Mock-Session": "s"})] == ["ch_mail"]
        assert len(channels(client, "cb_1")) >= 2


def test_the_export_file_holds_the_declared_channels() -> None:
    with client_with(WORLD) as client:
        created = client.post(
            "/chatcaptain/v1/chatbots/cb_1/statistics/export?from=2025-05-01T00:00:00Z&to=2025-05-02T23:59:59Z",
            headers={**CC, "Prefer": "job-duration=0"},
        )
        assert created.status_code == 202, created.text
        status = client.get(f"/chatcaptain/v1/chatbots/cb_1/statistics/export/{created.json()['id']}", headers=CC).json()
        assert status["status"] == "completed", status
        rows = client.get(status["downloadUrl"]).text.splitlines()[1:]
        assert {row.split(",")[1] for row in rows} == {"ch_1", "ch_web"}


BEARER = {"Authorization": "Bearer key", "x-workspace-id": "wkspace_1"}
HELPDESK, SALES = "0b6f6f0e-1111-4a8e-9c1e-2f2f2f2f2f2f", "5d1c2b3a-2222-4b8e-8c1e-3f3f3f3f3f3f"
# The README's worked example, as a user copies it into a config file.
README_WORLD = next(
    block
    for block in re.findall(r"```yaml\n(.*?)```", (Path(__file__).parent.parent / "README.md").read_text(), re.S)
    if block.startswith("world:")
)


def test_the_readmes_world_is_what_every_vendor_answers_from(tmp_path: Path) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text(README_WORLD)
    server = LiveServer("--config", str(config), "--now", "2025-06-01T12:00:00Z")
    try:
        with httpx.Client(base_url=server.url) as http:
            listed = http.get("/chatcaptain/v1/chatbots/cb_1/statistics/channels", headers=CC).json()["data"]
            assert [c["id"] for c in listed] == ["ch_1", "ch_web"]
            report = http.get(
                f"/chatcaptain/v1/chatbots/cb_1/statistics/reports/channel?channelId=ch_1&{RANGE}&components=1", headers=CC
            )
            assert report.status_code == 200
            grouped = http.get("/chatbotcom/reports/conversations?group=storyId&period=last7days", headers=BEARER).json()["data"]
            assert {p["storyId"] for p in grouped} == {"65a1f0c2e4b0a1b2c3d4e5f6"} and sum(p["value"] for p in grouped)
            stories = http.get("/__mock/world/chatbotcom").json()["entities"]["stories"]
            assert stories == [{"id": "65a1f0c2e4b0a1b2c3d4e5f6", "name": "Onboarding"}]
            bots = http.get("/__mock/world/generalbots").json()["entities"]["bots"]
            assert [(b["id"], b["name"]) for b in bots] == [(HELPDESK, "Helpdesk")]
            usage = http.get(f"/generalbots/api/v1/analytics/usage?days=30&bot_id={HELPDESK}", headers=BEARER).json()
            assert usage["total_conversations"] > 0
            records = http.get(
                "/botpress/v1/admin/bots/bot_1/analytics?startDate=2023-12-25&endDate=2024-01-03", headers=BEARER
            ).json()["records"]
            assert records[0]["startDateTimeUtc"] == "2024-01-01T00:00:00.000Z" and records[0]["returningUsers"] == 0
            assert http.get("/__mock/world/botpress").json()["entities"]["bots"][0]["created"] == "2024-01-01"
    finally:
        server.stop()


def usage(client: TestClient, bot_id: str | None = None) -> dict[str, Any]:
    query = "start_date=2025-03-01&end_date=2025-03-31" + (f"&bot_id={bot_id}" if bot_id else "")
    response = client.get(f"/generalbots/api/v1/analytics/usage?{query}", headers=BEARER)
    assert response.status_code == 200, response.text
    return response.json()


def test_general_bots_declared_bots_are_the_instance_and_each_keeps_its_numbers() -> None:
    one = {"generalbots": {"bots": [{"id": HELPDESK, "name": "Helpdesk"}]}}
    two = {"generalbots": {"bots": [{"id": HELPDESK, "name": "Helpdesk"}, {"id": SALES, "created": "2025-03-10"}]}}
    with client_with(one) as first, client_with(two) as second:
        alone = usage(first, HELPDESK)
        assert alone["total_conversations"] > 0 and usage(first) == alone
        assert usage(second, HELPDESK) == alone
        both = usage(second)
        sales = usage(second, SALES)
        assert both["total_conversations"] == alone["total_conversations"] + sales["total_conversations"]
        daily = second.get(
            f"/generalbots/api/v1/analytics/usage/daily?start_date=2025-03-01&end_date=2025-03-31&bot_id={SALES}", headers=BEARER
        ).json()
        assert all(day["conversations"] == 0 for day in daily["data"][:9]) and daily["data"][9]["conversations"] > 0


def test_chatbotcom_declared_stories_are_the_licenses_stories() -> None:
    story, other = "65a1f0c2e4b0a1b2c3d4e5f6", "65A1F0C2E4B0A1B2C3D4E5F7"
    world = {"chatbotcom": {"stories": [{"id": story, "name": "Onboarding"}, {"id": other}]}}
    with client_with(world) as client:
        data = client.get("/chatbotcom/reports/conversations?group=storyId&period=last7days", headers=BEARER).json()["data"]
        assert {p["storyId"] for p in data} == {story, other.lower()}
        total = client.get("/chatbotcom/reports/conversations?period=last7days", headers=BEARER).json()["data"]
        assert sum(p["value"] for p in data) == sum(p["value"] for p in total)
        names = [s["name"] for s in client.get("/__mock/world/chatbotcom").json()["entities"]["stories"]]
        assert names[0] == "Onboarding" and names[1]  # a name of its own when none is declared


def test_botpress_declared_traits_shape_the_bot() -> None:
    world = {"botpress": {"bots": [{"id": "bot_1", "createdAt": "2025-05-05T10:00:00Z", "audience": "business", "utcOffset": 1}]}}
    with client_with(world) as client:
        records = client.get(
            "/botpress/v1/admin/bots/bot_1/analytics?startDate=2025-05-01&endDate=2025-05-31", headers=BEARER
        ).json()["records"]
        assert records[0]["startDateTimeUtc"].startswith("2025-05-05")
        # A business bot: its weekends (May 10-11, 17-18, ...) are far quieter than its weekdays.
        by_day = {r["startDateTimeUtc"][:10]: r["sessions"] for r in records}
        weekend = sum(by_day[d] for d in ("2025-05-17", "2025-05-18", "2025-05-24", "2025-05-25"))
        weekdays = sum(by_day[d] for d in ("2025-05-20", "2025-05-21", "2025-05-27", "2025-05-28"))
        assert weekend * 2 < weekdays
        other = client.get("/botpress/v1/admin/bots/bot_2/analytics?startDate=2025-05-01&endDate=2025-05-02", headers=BEARER)
        assert other.status_code == 200  # any other id is still a bot


def test_the_configuration_docs_examples_are_valid(tmp_path: Path) -> None:
    from mockserver.profiles import world_schemas
    from mockserver.world import check_world

    text = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    whole, *sections = re.findall(r"```yaml\n(.*?)```", text, re.S)
    config = tmp_path / "mock.yaml"
    config.write_text(whole)
    done = subprocess.run(
        # its `stateless` names an operation of the full Botpress Admin API document, as it says
        [sys.executable, "-m", "mockserver", "validate", "--config", str(config), "--spec", f"botpress={FULLER}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "ok  world: chatcaptain 1 chatbots" in done.stdout
    assert len(sections) == 4
    for section in sections:
        world = check_world(yaml.safe_load(section), world_schemas())
        assert all(declared.section for declared in world.values())
