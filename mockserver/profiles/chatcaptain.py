"""ChatCaptain Statistics API: NestJS error bodies; reports keyed by the requested components."""

from __future__ import annotations

from http import HTTPStatus
from datetime import datetime
from typing import Any

from mockserver.errors import Problem
from mockserver.profiles.base import Call, Profile, handles

# Component ids as the vendor numbers them, per report.
CHANNEL_COMPONENTS = (
    "STEP_EXEC_COUNT_FOR_CHANNEL_ID", "CONVERSATION_COUNT_FOR_CHANNEL_ID",
    "CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID", "CONVERSATION_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID",
    "CONVERSATION_LANGUAGES_FOR_CHANNEL_ID", "CONVERSATION_MESSAGE_COUNT_MEDIAN_FOR_CHANNEL_ID",
    "INTENT_COUNT_FOR_CHANNEL_ID", "INTENT_HITS_FOR_CHANNEL_ID", "INTENT_SCORE_MEDIAN_FOR_CHANNEL_ID",
    "INTERACTION_COUNT_FOR_CHANNEL_ID", "INTERACTION_COUNT_INTERVAL_FOR_CHANNEL_ID",
    "INTERACTION_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID", "MESSAGE_COUNT_FOR_CHANNEL_ID",
    "MESSAGE_COUNT_INTERVAL_FOR_CHANNEL_ID", "MESSAGE_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID",
    "MESSAGE_LENGTH_MEDIAN_FOR_CHANNEL_ID", "CALL_DURATION_TOTAL", "CALL_DURATION_PERIODIC_TREND",
    "CALL_DURATION_MEDIAN", "CALL_EXIT_STEP", "CALL_USER_INPUTS_MEDIAN", "CALL_END_REASON",
    "CALL_TRANSFER_TARGET",
)
OVERVIEW_COMPONENTS = (
    "STEP_EXEC_COUNT", "CONVERSATION_COUNT", "CONVERSATION_COUNT_INTERVAL", "CONVERSATION_LANGUAGES",
    "CONVERSATION_BY_CHANNEL_TYPE", "CONVERSATION_COUNT_PERIODIC_TREND", "CONVERSATION_MESSAGE_COUNT_MEDIAN",
    "MESSAGE_COUNT", "MESSAGE_COUNT_INTERVAL", "MESSAGE_COUNT_PERIODIC_TREND", "MESSAGE_LENGTH_MEDIAN",
    "INTENT_HITS", "INTENT_SCORE_MEDIAN", "INTENT_COUNT", "INTERACTION_COUNT", "INTERACTION_COUNT_INTERVAL",
    "INTERACTION_COUNT_PERIODIC_TREND",
)


class ChatCaptain(Profile):
    name = "chatcaptain"
    title = "ChatCaptain Statistics API"
    spec_file = "chatcaptain.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        # NestJS's default exception body.
        return {"statusCode": problem.status, "message": problem.message, "error": HTTPStatus(problem.status).phrase}

    @handles("StatisticsController_getChannelReport")
    def channel_report(self, call: Call) -> Any:
        return _only_requested(call, CHANNEL_COMPONENTS)

    @handles("StatisticsController_getOverviewReport")
    def overview_report(self, call: Call) -> Any:
        return _only_requested(call, OVERVIEW_COMPONENTS)


def _only_requested(call: Call, names: tuple[str, ...]) -> Any:
    """The report holds exactly the components the request named (ids are validated by the spec)."""
    body = call.generate()
    wanted = {names[int(i)] for i in str(call.params["components"]).split(",")}
    body["components"] = {k: v for k, v in body["components"].items() if k in wanted}
    return body
