"""A Botpress bot's days: every figure of every day of a range, drawn at once.

Day ``d``'s numbers are row ``d`` of the bot's counter-based stream (``counter_uniforms``), so a
day's figures never depend on the range that asked for them, and the days of a 30-day range cost
one generator call and a few array operations. Counts follow from each other so that a day obeys
the domain: users never outnumber sessions, nobody returns on the bot's first day, messages need
sessions, LLM calls answer bot messages, errors are some of the calls.

A day's LLM calls are a stratified sample of the values in calls.py, at the scales of the day's
level: the statistics of a day's calls, and of any part of them (events.py), are those of
exactly those calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from mockserver.generation.rng import counter_uniforms
from mockserver.profiles.botpress import calls as calls_model
from mockserver.profiles.botpress.bots import RAMP_DAYS, RETURN_DAYS, Bot, growth

CUSTOM_EVENTS = ("order_placed", "handoff_requested", "feedback_submitted")
FIGURES = (
    "sessions",
    "newUsers",
    "returningUsers",
    "userMessages",
    "botMessages",
    "workflow_completed",
    "calls",
    "errors",
    *CUSTOM_EVENTS,
)
# Columns of a day's row of uniforms. A share column draws a ratio between its bounds (_BOUNDS), a
# noise column the normal deviate of a count.
_VOLUME, _SESSIONS, _USERS, _RETURNING, _USER_MESSAGES, _BOT_MESSAGES, _CALLS, _ERRORS, _WORKFLOWS = range(9)
_CUSTOM = slice(9, 12)  # one noise column per custom event
_SHARES = 12  # then the share columns, in the order of _BOUNDS
_BOUNDS = (
    (0.72, 0.92),  # users per session
    (0.85, 1.15),  # the day's returning share around the bot's
    # About 4.8 messages a conversation, both sides together (the Convocore benchmark's mean).
    (1.6, 3.0),  # user messages per session
    (1.1, 1.5),  # bot messages per user message
    (0.5, 0.9),  # LLM calls per bot message
    (0.2, 0.7),  # completed workflows per session
    (0.01, 0.12),  # each custom event per session
    (0.01, 0.12),
    (0.01, 0.12),
)
_USERS_SHARE, _RETURNING_SHARE, _USER_MESSAGES_SHARE, _BOT_MESSAGES_SHARE, _CALLS_SHARE, _WORKFLOWS_SHARE = range(12, 18)
_CUSTOM_SHARE = slice(18, 21)
_OUT_DRIFT, _IN_DRIFT, _SPEED_DRIFT = 21, 22, 23  # uniforms that pick the day's LLM scale levels
_ERROR_RATE = 24
COLUMNS = 32
_LOW = np.zeros(COLUMNS)
_SPAN = np.ones(COLUMNS)
_LOW[_SHARES : _SHARES + len(_BOUNDS)] = [low for low, _ in _BOUNDS]
_SPAN[_SHARES : _SHARES + len(_BOUNDS)] = [high - low for low, high in _BOUNDS]

# Standard normal quantiles of 1,024 equal strata: one uniform picks one (noise that only has to
# look like noise), and the day-to-day log-normal factor of the volume over the same strata.
_NORMAL = np.array([NormalDist().inv_cdf((i + 0.5) / 1024) for i in range(1024)])
_VOLUME_NOISE = np.array([math.exp(0.18 * z) for z in _NORMAL.tolist()])
_STRATUM = 1024


@dataclass(frozen=True, eq=False)
class Days:
    """Consecutive days of one bot from ordinal ``first``: counts (int64 arrays by figure) and the
    scale level of each day's LLM calls (calls.py)."""

    first: int
    counts: dict[str, np.ndarray]
    levels: np.ndarray


def days(bot: Bot, first: int, count: int) -> Days:
    ordinals = np.arange(first, first + count)
    age = ordinals - bot.created
    grown = [growth(bot.trend, a) if a >= 0 else 0.0 for a in age.tolist()]  # math's pow: the same bits everywhere
    typical = bot.base * np.minimum(1.0, 0.15 + 0.85 * age / RAMP_DAYS) * grown * bot.day_weights[(ordinals - 1) % 7]
    u = counter_uniforms(bot.key, first, count, COLUMNS)
    cells = (u * _STRATUM).astype(np.intp)
    z = _NORMAL[cells]
    share = _LOW + _SPAN * u

    def noisy(expected: np.ndarray, column: int | slice) -> np.ndarray:
        """Integers near ``expected`` (>= 0; normal approximation of Poisson noise); 0 stays 0."""
        return np.maximum(np.rint(expected + np.sqrt(expected) * z[:, column]), 0.0)

    # Day 1 was a Monday; before its creation day a bot has nothing (typical < 0 there is cut at 0).
    sessions = noisy(np.maximum(typical, 0.0) * _VOLUME_NOISE[cells[:, _VOLUME]], _SESSIONS)
    # Each user has at least one session; a session has one user.
    users = np.minimum(np.maximum(noisy(sessions * share[:, _USERS_SHARE], _USERS), np.minimum(sessions, 1.0)), sessions)
    # Nobody returns on the first day; the audience that comes back forms over the first month.
    back = np.minimum(bot.returning * np.minimum(np.maximum(age, 0) / RETURN_DAYS, 1.0) * share[:, _RETURNING_SHARE], 0.95)
    returning = np.minimum(np.maximum(np.rint(users * back + np.sqrt(users * back * (1 - back)) * z[:, _RETURNING]), 0.0), users)
    user_messages = noisy(sessions * share[:, _USER_MESSAGES_SHARE], _USER_MESSAGES)
    bot_messages = noisy(user_messages * share[:, _BOT_MESSAGES_SHARE], _BOT_MESSAGES)
    calls = np.minimum(noisy(bot_messages * share[:, _CALLS_SHARE], _CALLS), bot_messages)
    # Errors are bursty: most days well under 1 %, a few days an incident's several percent.
    burst = u[:, _ERROR_RATE] * u[:, _ERROR_RATE]
    errors = np.minimum(noisy(calls * (0.002 + 0.05 * burst * burst), _ERRORS), calls)
    workflows = np.minimum(noisy(sessions * share[:, _WORKFLOWS_SHARE], _WORKFLOWS), sessions)
    custom = noisy(sessions[:, None] * share[:, _CUSTOM_SHARE], _CUSTOM)
    table = np.column_stack(
        (sessions, users - returning, returning, user_messages, bot_messages, workflows, calls, errors, custom)
    ).astype(np.int64)
    levels = calls_model.level(u[:, _OUT_DRIFT], u[:, _IN_DRIFT], u[:, _SPEED_DRIFT])
    return Days(first, dict(zip(FIGURES, table.T)), levels)
