"""The ``Prefer`` request header (RFC 7240) as the mock reads it.

``Prefer: job=failed, job-duration=0`` asks for a job that fails at once. Tokens are
``name=value`` pairs separated by commas or semicolons; names are case-insensitive.
"""

from __future__ import annotations

from mockserver.errors import INVALID_PARAMETER, Problem

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
        raise Problem(INVALID_PARAMETER, f"Prefer job={outcome!r} is not supported; use job=completed or job=failed.",
                      "header", "Prefer")
    raw = preferences.get("job-duration")
    if raw is None:
        return default_duration, outcome
    try:
        duration = float(raw)
    except ValueError:
        duration = -1.0
    if not 0 <= duration <= 86400:
        raise Problem(INVALID_PARAMETER, f"Prefer job-duration must be seconds between 0 and 86400, got {raw!r}.",
                      "header", "Prefer")
    return duration, outcome
