"""ChatBot.com Reports API: the documented ``{timestamp, status}`` error envelope."""

from __future__ import annotations

from typing import Any

from mockserver.errors import Problem
from mockserver.profiles.base import Call, Profile
from mockserver.timeutil import iso_ms


class ChatBotCom(Profile):
    name = "chatbotcom"
    title = "ChatBot.com Reports API"
    spec_file = "chatbotcom.yaml"

    def error_body(self, problem: Problem, request_key: int) -> Any:
        from datetime import datetime, timezone

        return {
            "timestamp": iso_ms(datetime.now(timezone.utc)),
            "status": {"code": problem.status, "type": "error", "message": problem.message},
        }
