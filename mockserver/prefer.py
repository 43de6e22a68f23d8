"""The ``Prefer`` request header (RFC 7240) as the mock reads it.

Response control uses Prism's words: ``code=<status>``, ``example=<name>``,
``dynamic=true|false``, plus ``seed=<n>`` and ``delay=<ms>``. Jobs add ``job=completed|failed``
and ``job-duration=<seconds>``. Tokens are ``name=value`` pairs separated by commas or
semicolons; names are case-insensitive; unknown ones are ignored, as RFC 7240 asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockserver.errors import INVALID_PARAMETER, Problem
from mockserver.validation.schema import shorten

# ASCII digits only ("²" is a digit to str.isdigit), and few enough for int() to take.
_INTEGER = re.compile(r"-?[0-9]{1,19}")

JOB_OUTCOMES = ("completed", "failed")


def parse_prefer(header: str | None) -> dict[str, str]:
    preferences: dict[str, str] = {}
    for part in (header or "").replace(";", ",").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            preferences[name.strip().lower()] = value.strip().strip('"')
    return preferences


def job_preferences(preferences: dict[str, str], default_duration: float) -> tuple[float, str]:
    """(duration in seconds, outcome) for a job created with these preferences."""
    outcome = preferences.get("job", "completed")
    if outcome not in JOB_OUTCOMES:
        raise Problem(
            INVALID_PARAMETER,
            f"Prefer job={shorten(outcome)} is not supported; use job=completed or job=failed.",
            "header",
            "Prefer",
        )
    raw = preferences.get("job-duration")
    if raw is None:
        return default_duration, outcome
    try:
        duration = float(raw)
    except ValueError:
        duration = -1.0
    if not 0 <= duration <= 86400:
        raise Problem(
            INVALID_PARAMETER, f"Prefer job-duration must be seconds between 0 and 86400, got {shorten(raw)}.", "header", "Prefer"
        )
    return duration, outcome


MAX_DELAY_MS = 60_000


@dataclass(frozen=True)
class ResponseControl:
    code: int | None = None
    example: str | None = None
    dynamic: bool = True
    seed: int | None = None
    delay_ms: int = 0


NO_PREFERENCES = ResponseControl()


def response_control(preferences: dict[str, str]) -> ResponseControl:
    """Read and check the response-control preferences; a bad value is a 400 saying what is allowed."""
    if not preferences:
        return NO_PREFERENCES  # most requests: no Prefer header

    def integer(name: str, low: int, high: int) -> int | None:
        raw = preferences.get(name)
        if raw is None:
            return None
        if not _INTEGER.fullmatch(raw) or not low <= int(raw) <= high:
            raise Problem(
                INVALID_PARAMETER,
                f"Prefer {name} must be an integer from {low} to {high}, got {shorten(raw)}.",
                "header",
                "Prefer",
            )
        return int(raw)

    dynamic = preferences.get("dynamic", "true").lower()
    if dynamic not in ("true", "false"):
        raise Problem(INVALID_PARAMETER, f"Prefer dynamic must be true or false, got {shorten(dynamic)}.", "header", "Prefer")
    return ResponseControl(
        code=integer("code", 100, 599),
        example=preferences.get("example") or None,
        dynamic=dynamic == "true",
        seed=integer("seed", 0, 2**63 - 1),
        delay_ms=integer("delay", 0, MAX_DELAY_MS) or 0,
    )
