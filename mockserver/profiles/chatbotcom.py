"""ChatBot.com Reports API: the documented ``{timestamp, status}`` error envelope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mockserver.errors import Problem
from mockserver.profiles.base import Profile
from mockserver.timeutil import iso_ms


class ChatBotCom(Profile):
    name = "chatbotcom"
    title = "ChatBot.com Reports API"
    spec_file = "chatbotcom.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        return {
            "timestamp": iso_ms(now),
            "status": {"code": problem.status, "type": "error", "message": problem.message},
        }
