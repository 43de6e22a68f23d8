"""Example tests a user can copy: one per vendor, using the pytest plugin's fixtures.

Run them with `pytest examples/` once the package is installed from a clone (`pip install -e .`): the
plugin starts a mock server for the session; `mock_control` isolates each test.
"""

import httpx


def test_botpress_client_reads_daily_analytics(mockserver, mock_control):
    client = httpx.Client(base_url=mockserver.base_url("botpress"), headers={
        "Authorization": "Bearer any-token", "x-workspace-id": "wkspace_1", **mock_control.session_headers()})
    records = client.get("/v1/admin/bots/bot_1/analytics", params={"startDate": "2025-01-01", "endDate": "2025-01-07"}).json()["records"]
    assert len(records) == 7 and all(r["messages"] == r["userMessages"] for r in records)
    assert mock_control.count(vendor="botpress", operation_id="getBotAnalytics") == 1


def test_botpress_client_survives_a_rate_limit(mockserver, mock_control):
    mock_control.add_fault(vendor="botpress", rate_limit=True, times=1)
    client = httpx.Client(base_url=mockserver.base_url("botpress"), headers={
        "Authorization": "Bearer any-token", "x-workspace-id": "wkspace_1", **mock_control.session_headers()})
    first = client.get("/v1/admin/bots/bot_1/analytics", params={"startDate": "2025-01-01", "endDate": "2025-01-02"})
    assert first.status_code == 429 and first.json()["type"] == "RateLimited"
    retry = client.get("/v1/admin/bots/bot_1/analytics", params={"startDate": "2025-01-01", "endDate": "2025-01-02"})
    assert retry.status_code == 200


def test_chatcaptain_overview_equals_the_sum_of_channels(mockserver, mock_control):
    client = httpx.Client(base_url=mockserver.base_url("chatcaptain"),
                          headers={"x-chatcaptain-key": "CCSB-any", **mock_control.session_headers()})
    timeframe = {"from": "2025-01-01T00:00:00.000Z", "to": "2025-01-31T23:59:59.999Z", "interval": 86400}
    channels = client.get("/v1/chatbots/bot_1/statistics/channels").json()["data"]
    overview = client.get("/v1/chatbots/bot_1/statistics/reports/overview", params={**timeframe, "components": "1"}).json()
    per_channel = [client.get("/v1/chatbots/bot_1/statistics/reports/channel",
                              params={**timeframe, "components": "1", "channelId": c["id"]}).json() for c in channels]
    assert overview["components"]["CONVERSATION_COUNT"]["total"] == sum(
        r["components"]["CONVERSATION_COUNT_FOR_CHANNEL_ID"]["total"] for r in per_channel)


def test_chatbotcom_empty_report_from_a_fixture(mockserver, mock_control):
    client = httpx.Client(base_url=mockserver.base_url("chatbotcom"),
                          headers={"Authorization": "Bearer any-token", **mock_control.session_headers()})
    report = client.get("/reports/conversations", headers={"Prefer": "example=empty"}).json()
    assert report == {"data": [], "summary": {"total": 0, "min": 0, "max": 0, "avg": 0}}


def test_generalbots_report_job_to_csv(mockserver, mock_control):
    client = httpx.Client(base_url=mockserver.base_url("generalbots"),
                          headers={"Authorization": "Bearer any-token", **mock_control.session_headers()})
    created = client.post("/api/v1/analytics/reports", headers={"Prefer": "job-duration=0"},
                          json={"type": "usage", "start_date": "2025-01-01", "end_date": "2025-01-07", "format": "csv"})
    report = client.get(created.headers["location"]).json()
    assert report["status"] == "completed"
    csv_text = httpx.get(report["download_url"]).text
    assert csv_text.splitlines()[0] == "date,conversations,messages,active_users,new_users"
    assert len(csv_text.splitlines()) == 8
