"""ChatBot.com Reports API: one license's conversations, by channel (source), story and UTC hour.

The model, module by module (``specs/chatbotcom.yaml`` states the rules each report follows):

- ``licenses``: the license, its stories and sources, and the six kinds of conversation every
  figure weighs;
- ``splits`` and ``days``: exact splits, and one day's counts per kind over its hours, sources
  and stories, cached per day;
- ``selection``, ``ranges`` and ``buckets``: what a request selects, the range it asks for, and
  the buckets of a series;
- ``series``, ``heatmap`` and ``interactions``: the report builders.

This module holds the profile: its error body and operation handlers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mockserver.errors import Problem
from mockserver.profiles.base import Call, Profile, Reply, handles
from mockserver.profiles.chatbotcom.heatmap import heatmap_report
from mockserver.profiles.chatbotcom.interactions import interactions_report
from mockserver.profiles.chatbotcom.licenses import SOURCES, WORLD_SCHEMA, license_of
from mockserver.profiles.chatbotcom.series import count_report, series_body, series_request, sum_series
from mockserver.timeutil import iso_ms
from mockserver.validation.request import BRACKETS, REPEAT
from mockserver.world import NOTHING, Declared

_SUMMED = ("getConversationsReport", "getPaidConversationsReport", "getConversationMessagesReport")


class ChatBotCom(Profile):
    name = "chatbotcom"
    title = "ChatBot.com Reports API"
    spec_file = "chatbotcom.yaml"
    world_schema = WORLD_SCHEMA
    # The docs let source and storyId repeat; the Node.js API's query parser reads source[]=a too,
    # but not source=a,b (one value, which names no source).
    array_spellings = frozenset({REPEAT, BRACKETS})

    def invariants(self, operation_id: str, body: Any) -> list[tuple[str, str]]:
        # summary is computed from data (docs/data-model.md): total, min and max exactly.
        if operation_id not in _SUMMED or not isinstance(body, dict) or not isinstance(body.get("summary"), dict):
            return []
        points = [p.get("value") for p in body.get("data") or [] if isinstance(p, dict)]
        values: list[float] = [v for v in points if isinstance(v, (int, float))]
        if len(values) != len(points):
            return []
        summary, broken = body["summary"], []
        for name, expected in (("total", sum(values)), ("min", min(values, default=0)), ("max", max(values, default=0))):
            if summary.get(name) != expected:
                broken.append((f"/summary/{name}", f"summary.{name} is {summary.get(name)!r}; data gives {expected!r}"))
        return broken

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        return {"timestamp": iso_ms(now), "status": {"code": problem.status, "type": "error", "message": problem.message}}

    def entities(self, seed: int, world: Declared = NOTHING) -> dict[str, Any]:
        lic = license_of(seed, world)
        return {
            "license": {"created": lic.activity.created.isoformat()},
            "stories": [{"id": story.id, "name": story.name} for story in lic.stories],
            "sources": list(SOURCES),
        }

    @handles("getConversationsReport")
    def conversations(self, call: Call) -> Any:
        return count_report(call, "conversations")

    @handles("getPaidConversationsReport")
    def paid(self, call: Call) -> Any:
        return count_report(call, "paid")

    @handles("getConversationMessagesReport")
    def messages(self, call: Call) -> Any:
        return count_report(call, "messages")

    @handles("getAverageConversationsReport")
    def average(self, call: Call) -> Any:
        request = series_request(call)
        clock = call.history_clock(request.start, request.end)
        conversations, messages = sum_series(*request.sum_args, ("conversations", "messages"), clock)
        columns = [[round(m / c, 2) if c else 0 for c, m in zip(cs, ms)] for cs, ms in zip(conversations, messages)]
        return Reply(series_body(request, columns, decimals=True))

    @handles("getBusiestPeriodReport")
    def heatmap(self, call: Call) -> Any:
        return heatmap_report(call)

    @handles("getInteractionsPopularityReport")
    def interactions(self, call: Call) -> Any:
        return interactions_report(call)
