"""One valid request per operation of every vendor, as a client would send it.

``invalid`` lists, per parameter, a value the vendor rejects; the validation tests send each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TOKEN = "test-token"
# Stands for "the first channel the channels endpoint lists", as a client would look it up.
FIRST_CHANNEL = "<first channel of the chatbot>"
AUTH = {
    "botpress": {"Authorization": f"Bearer {TOKEN}", "x-workspace-id": "wkspace_01"},
    "chatcaptain": {"x-chatcaptain-key": TOKEN},
    "chatbotcom": {"Authorization": f"Bearer {TOKEN}"},
    "generalbots": {"Authorization": f"Bearer {TOKEN}"},
}
# The credential each vendor's security scheme reads.
CREDENTIAL_HEADER = {
    "botpress": "Authorization",
    "chatcaptain": "x-chatcaptain-key",
    "chatbotcom": "Authorization",
    "generalbots": "Authorization",
}


@dataclass(frozen=True)
class Case:
    vendor: str
    operation_id: str
    method: str
    path: str  # below the vendor's base URL
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    invalid: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.vendor}.{self.operation_id}"

    @property
    def headers(self) -> dict[str, str]:
        return dict(AUTH[self.vendor])


# Operations whose answer depends on jobs created earlier (and on real time): a new job each call.
STATEFUL = {
    "chatcaptain.StatisticsController_createExport",
    "chatcaptain.StatisticsController_getExportStatus",
    "generalbots.createReport",
    "generalbots.listReports",
    "generalbots.getReport",
}
# Stand for "the id of a job just created", as a client would get it from the create call.
NEW_EXPORT = "<new export>"
NEW_REPORT = "<new report>"

CC = "/v1/chatbots/6790b2f1c2a4e5d3f8a1b234/statistics"
CC_RANGE = {"from": "2025-01-04T23:00:00.000Z", "to": "2025-02-01T22:59:59.999Z"}
CB_RANGE = {"from": "2025-03-01", "to": "2025-03-31"}
GB = "/api/v1/analytics"
GB_QUERY = {"start_date": "2025-01-01", "end_date": "2025-01-31"}
GB_INVALID = {"start_date": "01/02/2025", "days": "0", "period": "decade", "group_by": "minute", "bot_id": "bot-1"}
CB_INVALID = {
    "from": "yesterday",
    "period": "last2days",
    "dimension": "week",
    "group": "channel",
    "source": "sms",
    "storyId": "123",
}

CASES = [
    Case(
        "botpress",
        "getBotAnalytics",
        "GET",
        "/v1/admin/bots/bot_01HZX/analytics",
        {"startDate": "2025-01-01T00:00:00.000Z", "endDate": "2025-01-07T23:59:59.999Z"},
        invalid={"startDate": "abc", "endDate": "2025-02-30"},
    ),
    Case(
        "chatcaptain",
        "StatisticsController_getChannelReport",
        "GET",
        f"{CC}/reports/channel",
        {**CC_RANGE, "channelId": FIRST_CHANNEL, "interval": "86400", "components": ",".join(map(str, range(23)))},
        invalid={"from": "2025-01-04", "interval": "60", "components": "0,23"},
    ),
    Case(
        "chatcaptain",
        "StatisticsController_getOverviewReport",
        "GET",
        f"{CC}/reports/overview",
        {**CC_RANGE, "interval": "3600", "components": ",".join(map(str, range(17)))},
        invalid={"to": "tomorrow", "interval": "day", "components": "17"},
    ),
    Case("chatcaptain", "StatisticsController_createExport", "POST", f"{CC}/export", CC_RANGE, invalid={"from": "not-a-date"}),
    Case("chatcaptain", "StatisticsController_getExportStatus", "GET", f"{CC}/export/{NEW_EXPORT}"),
    Case(
        "chatcaptain",
        "StatisticsController_getInboxStatistics",
        "GET",
        f"{CC}/inbox",
        CC_RANGE,
        invalid={"to": "2025-13-01T00:00:00Z"},
    ),
    Case("chatcaptain", "StatisticsController_getChannels", "GET", f"{CC}/channels"),
    *[
        Case("chatbotcom", op, "GET", f"/reports/{path}", {**CB_RANGE, "dimension": "day"}, invalid=CB_INVALID)
        for op, path in (
            ("getConversationsReport", "conversations"),
            ("getPaidConversationsReport", "conversations.paid"),
            ("getConversationMessagesReport", "conversations.messages"),
            ("getAverageConversationsReport", "conversations.avg"),
        )
    ],
    Case(
        "chatbotcom",
        "getBusiestPeriodReport",
        "GET",
        "/reports/conversations.heatmap",
        {"period": "last7days", "offset": "120"},
        invalid={"offset": "721", "source": "fax", "period": "forever"},
    ),
    Case(
        "chatbotcom",
        "getInteractionsPopularityReport",
        "GET",
        "/reports/conversations.interactions",
        {**CB_RANGE, "storyId": "5b07ffafc2376e30306d9b16"},
        invalid={"storyId": "5b07ffafc2376e30306d9b1", "to": "soon"},
    ),
    *[
        Case("generalbots", op, "GET", f"{GB}/{path}", GB_QUERY, invalid=GB_INVALID)
        for op, path in (
            ("getUsage", "usage"),
            ("getDailyUsage", "usage/daily"),
            ("getMonthlyUsage", "usage/monthly"),
            ("getConversationMetrics", "conversations"),
            ("getConversationVolume", "conversations/volume"),
            ("getConversationDuration", "conversations/duration"),
            ("getConversationResolution", "conversations/resolution"),
            ("getEngagement", "engagement"),
            ("getRetention", "engagement/retention"),
            ("getSatisfaction", "engagement/satisfaction"),
        )
    ],
    Case(
        "generalbots",
        "createReport",
        "POST",
        f"{GB}/reports",
        body={"type": "engagement", "start_date": "2025-01-01", "end_date": "2025-01-31", "format": "pdf"},
    ),
    Case(
        "generalbots",
        "listReports",
        "GET",
        f"{GB}/reports",
        {"page": "1", "per_page": "10"},
        invalid={"page": "0", "per_page": "101"},
    ),
    Case("generalbots", "getReport", "GET", f"{GB}/reports/{NEW_REPORT}"),
    Case("generalbots", "getRealtimeMetrics", "GET", f"{GB}/realtime", invalid={"bot_id": "42"}),
    Case(
        "generalbots",
        "getActiveSessions",
        "GET",
        f"{GB}/realtime/active",
        {"bot_id": "0b9e7c1a-3f7e-4d2b-9a61-5d0c2f8e4b11"},
        invalid={"bot_id": "not-a-uuid"},
    ),
]
