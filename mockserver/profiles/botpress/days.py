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
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from mockserver.generation.rng import counter_uniforms
from mockserver.profiles.botpress import calls as calls_model
from mockserver.profiles.botpress.bots import RETURN_DAYS, Bot
from mockserver.synth.activity import RAMP_DAYS, growth

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
# Columns of a day's row of uniforms. Noise columns draw the normal deviate of a count; share
# columns a ratio between its bounds (_BOUNDS). Counts that follow from the sessions alone are drawn
# together, as one block of columns.
_VOLUME, _SESSIONS = 0, 1
_FROM_SESSIONS = slice(2, 8)  # users, user messages, completed workflows, each custom event
_RETURNING, _BOT_MESSAGES, _CALLS, _ERRORS = 8, 9, 10, 11
_SHARES = 12
_BOUNDS = (
    # per session: users, user messages (about 4.8 messages a conversation, both sides together:
    # the Convocore benchmark's mean), completed workflows, each custom event
    (0.72, 0.92),
    (1.6, 3.0),
    (0.2, 0.7),
    (0.01, 0.12),
    (0.01, 0.12),
    (0.01, 0.12),
    (0.85, 1.15),  # the day's returning share around the bot's
    (1.1, 1.5),  # bot messages per user message
    (0.5, 0.9),  # LLM calls per bot message
)
_LEVELS = slice(21, 24)  # uniforms that pick the day's LLM scale levels: output, input, speed
_ERROR_RATE = 24
COLUMNS = 32
# Rows of the shares (uniforms 12 to 20 between their bounds).
_SESSION_SHARES = slice(0, 6)
_RETURNING_SHARE, _BOT_MESSAGES_SHARE, _CALLS_SHARE = 6, 7, 8
_LOW = np.array([low for low, _ in _BOUNDS])
_SPAN = np.array([high - low for low, high in _BOUNDS])

# Standard normal quantiles of 1,024 equal strata: one uniform picks one (noise that only has to
# look like noise), and the day-to-day log-normal factor of the volume over the same strata.
_STRATA = 1024
_NORMAL = np.array([NormalDist().inv_cdf((i + 0.5) / _STRATA) for i in range(_STRATA)])
_VOLUME_NOISE = np.array([math.exp(0.18 * z) for z in _NORMAL.tolist()])

# Constants as 0-d arrays: numpy 2 handles a Python scalar operand through a slower promotion path.
_ZERO, _ONE, _MOST_BACK = np.array(0.0), np.array(1.0), np.array(0.95)
_ERROR_FLOOR, _ERROR_BURST = np.array(0.002), np.array(0.05)
_STRATUM_OF = np.array(float(_STRATA))  # a uniform times this: its stratum


def _noisy(expected: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Integers near ``expected`` (>= 0; normal approximation of Poisson noise); 0 stays 0."""
    return np.maximum(np.rint(expected + np.sqrt(expected) * noise), _ZERO)


@lru_cache(maxsize=64)
def _share_bounds(count: int) -> tuple[np.ndarray, np.ndarray]:
    """The share columns' lows and spans, one row per column and one value per day: same-shaped
    operands, which numpy combines faster than broadcast ones."""
    return np.repeat(_LOW[:, None], count, axis=1), np.repeat(_SPAN[:, None], count, axis=1)


@dataclass(frozen=True, eq=False)
class Days:
    """Consecutive days of one bot from ordinal ``first``: a row per figure (int64, in the order of
    FIGURES) with a value per day, and the scale level of each day's LLM calls (calls.py)."""

    first: int
    figures: np.ndarray
    levels: np.ndarray

    def column(self, name: str) -> np.ndarray:
        """One figure, for each day."""
        return self.figures[FIGURES.index(name)]

    def rows(self) -> list[tuple[int, ...]]:
        """Each day's figures, in the order of FIGURES."""
        return list(zip(*self.figures.tolist()))


def days(bot: Bot, first: int, count: int) -> Days:
    # Each day's expected sessions and the returning share its age allows, worked out day by day
    # (a handful of days costs less so than in arrays) with the operations in the order an array
    # expression would take them, so the bits are the same. math's pow: the same bits everywhere.
    # Day 1 was a Monday; a bot has nothing before its creation.
    weights, created, trend, base, returning = bot.day_weights.tolist(), bot.created, bot.trend, bot.base, bot.returning
    expected_sessions, returning_share = [], []
    for age in range(first - created, first - created + count):
        if age < 0:
            expected_sessions.append(0.0)
            returning_share.append(0.0)
            continue
        ramp = min(1.0, 0.15 + 0.85 * age / RAMP_DAYS)
        expected_sessions.append(base * (ramp * growth(trend, age) * weights[(age + created - 1) % 7]))
        returning_share.append(returning * min(age / RETURN_DAYS, 1.0))
    # A row per column, a value per day: every operation below takes contiguous rows, the
    # cheapest operands for numpy (a column of a day-major table is a strided view).
    u = counter_uniforms(bot.key, first, count, COLUMNS).T.copy()
    cells = (u[:_SHARES] * _STRATUM_OF).astype(np.intp)
    z = _NORMAL[cells]
    low, span = _share_bounds(count)
    share = low + span * u[_SHARES : _SHARES + len(_BOUNDS)]
    noisy = _noisy

    sessions = noisy(np.array(expected_sessions) * _VOLUME_NOISE[cells[_VOLUME]], z[_SESSIONS])
    drawn = noisy(sessions * share[_SESSION_SHARES], z[_FROM_SESSIONS])
    # Each user has at least one session; a session has one user.
    users = np.minimum(np.maximum(drawn[0], np.minimum(sessions, _ONE)), sessions)
    # Nobody returns on the first day; the audience that comes back forms over the first month.
    back = np.minimum(np.array(returning_share) * share[_RETURNING_SHARE], _MOST_BACK)
    expected = users * back
    returning = np.minimum(noisy(expected, np.sqrt(_ONE - back) * z[_RETURNING]), users)
    bot_messages = noisy(drawn[1] * share[_BOT_MESSAGES_SHARE], z[_BOT_MESSAGES])
    calls = np.minimum(noisy(bot_messages * share[_CALLS_SHARE], z[_CALLS]), bot_messages)
    # Errors are bursty: most days well under 1 %, a few days an incident's several percent.
    burst = u[_ERROR_RATE] * u[_ERROR_RATE]
    errors = np.minimum(noisy(calls * (_ERROR_FLOOR + _ERROR_BURST * burst * burst), z[_ERRORS]), calls)
    table = np.empty((len(FIGURES), count), dtype=np.int64)
    table[0], table[2], table[3], table[4], table[6], table[7] = sessions, returning, drawn[1], bot_messages, calls, errors
    np.subtract(users, returning, out=table[1], casting="unsafe")
    np.minimum(drawn[2], sessions, out=table[5], casting="unsafe")
    table[8:] = drawn[3:]
    return Days(first, table, calls_model.level(u[_LEVELS]))
