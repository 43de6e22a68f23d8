"""General Bots (botserver) Analytics API: ``{error, message}`` bodies with snake_case codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mockserver import errors
from mockserver.errors import Problem
from mockserver.profiles.base import Profile

_CODES = {
    errors.INVALID_PARAMETER: "invalid_parameter",
    errors.INVALID_BODY: "bad_request",
    errors.MALFORMED_BODY: "bad_request",
    errors.UNAUTHORIZED: "invalid_token",
    errors.FORBIDDEN: "insufficient_permissions",
    errors.NOT_FOUND: "not_found",
    errors.METHOD_NOT_ALLOWED: "method_not_allowed",
    errors.PAYLOAD_TOO_LARGE: "payload_too_large",
    errors.UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    errors.RATE_LIMITED: "rate_limit_exceeded",
    errors.INTERNAL: "internal_error",
}


class GeneralBots(Profile):
    name = "generalbots"
    title = "General Bots Analytics API"
    spec_file = "generalbots.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        code = _CODES.get(problem.kind, "bad_request")
        if problem.kind == errors.UNAUTHORIZED and problem.message.startswith("Missing"):
            code = "missing_token"
        return {"error": code, "message": problem.message}
