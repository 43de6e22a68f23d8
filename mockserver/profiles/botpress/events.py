"""The events of one Botpress bot-day, drawn only for a day that a range cuts (its edges, now).

A day's totals (days.py) become events with instants: each session starts at a millisecond of
the day, along the bot's hours; its user's messages, its workflows, its custom events and the
LLM calls behind its bot messages follow within minutes, in the same hour. A part of the day
counts the events inside it (synth/timeline.py), so any split of a day adds up to the day, and
the whole day's events are exactly the day's totals: users have at least one session each, so
the distinct users of the day are its new and returning users.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from mockserver.generation.rng import counter_words, unit
from mockserver.profiles.botpress.bots import Bot
from mockserver.profiles.botpress.days import CUSTOM_EVENTS, FIGURES, Days, days
from mockserver.synth import strata
from mockserver.synth.timeline import HOUR_MS, in_range

# A session's events follow its start within this long, without leaving its hour.
FOLLOW_MS = 20 * 60_000
# Events that belong to a session, counted by instant.
_CHILDREN = ("userMessages", "botMessages", "workflow_completed", *CUSTOM_EVENTS)


@dataclass(frozen=True, eq=False)
class DayEvents:
    days: Days  # the day's totals and the level of its calls, as row 0
    sessions: np.ndarray  # start offsets (ms into the day), sorted
    users: np.ndarray  # each session's user; users below ``new`` are new that day
    new: int
    created: np.ndarray  # the first session of each new user, sorted
    children: dict[str, np.ndarray]  # sorted offsets of each kind of session event
    calls: np.ndarray  # sorted offsets of the LLM calls
    strata: np.ndarray  # each call's stratum (synth/strata.py)
    failed: np.ndarray  # each call's error, 1 or 0

    def count(self, low: int, high: int) -> tuple[dict[str, int], int, np.ndarray, int]:
        """The figures of [low, high] (ms into the day): counts, users created, the calls' strata, errors."""
        started = in_range(self.sessions, low, high)
        seen = np.unique(self.users[started])
        new = int(np.count_nonzero(seen < self.new))
        figures = {
            "sessions": started.stop - started.start,
            "newUsers": new,
            "returningUsers": len(seen) - new,
        }
        for name, offsets in self.children.items():
            span = in_range(offsets, low, high)
            figures[name] = span.stop - span.start
        called = in_range(self.calls, low, high)
        figures["calls"] = called.stop - called.start
        figures["errors"] = int(self.failed[called].sum())
        created = in_range(self.created, low, high)
        return figures, created.stop - created.start, self.strata[called], figures["errors"]


class _Words:
    """Uniforms and raw words from one day's stream, taken in a fixed order."""

    def __init__(self, words: np.ndarray) -> None:
        self.words, self.at = words, 0

    def raw(self, n: int) -> np.ndarray:
        part = self.words[self.at : self.at + n]
        self.at += n
        return part

    def uniform(self, n: int) -> np.ndarray:
        return unit(self.raw(n))


@lru_cache(maxsize=64)
def day_events(bot: Bot, ordinal: int) -> DayEvents:
    today = days(bot, ordinal, 1)
    total: dict[str, Any] = dict(zip(FIGURES, today.rows()[0]))
    sessions, users = total["sessions"], total["newUsers"] + total["returningUsers"]
    calls = total["calls"]
    children = sum(total[name] for name in _CHILDREN)
    words = 4 * sessions - users + 2 * children + total["botMessages"] + calls
    draw = _Words(counter_words(bot.events_key, ordinal, words))

    # Sessions: an hour along the bot's curve for that weekday, then a millisecond in it.
    hours = np.searchsorted(bot.hour_cdf[(ordinal - 1) % 7], draw.uniform(sessions), "right")
    starts = np.sort(hours * HOUR_MS + (draw.uniform(sessions) * HOUR_MS).astype(np.int64))
    # Every user has a session (the first ``users`` of a shuffle); the other sessions are repeat visits.
    owner = np.empty(sessions, dtype=np.int64)
    shuffled = np.argsort(draw.raw(sessions), kind="stable")
    owner[shuffled[:users]] = np.arange(users)
    owner[shuffled[users:]] = (draw.uniform(sessions - users) * users).astype(np.int64)
    ids, first = np.unique(owner, return_index=True)
    created = np.sort(starts[first[ids < total["newUsers"]]])

    placed: dict[str, np.ndarray] = {}
    for name in _CHILDREN:
        placed[name] = _follow(starts, draw, total[name])
    # The LLM calls are behind some of the bot messages, at their instants.
    bot_messages = placed["botMessages"]
    chosen = np.argsort(draw.raw(len(bot_messages)), kind="stable")[:calls]
    items = np.repeat(np.arange(strata.WIDTH), strata.multiplicities(np.array([calls]))[0])
    stratum = items[np.argsort(draw.raw(calls), kind="stable")]
    failed = (np.arange(calls) < total["errors"]).astype(np.int64)  # the calls are in random order
    order = np.argsort(bot_messages[chosen], kind="stable")
    for name in _CHILDREN:
        placed[name] = np.sort(placed[name])
    return DayEvents(
        today, starts, owner, total["newUsers"], created, placed, bot_messages[chosen][order], stratum[order], failed[order]
    )


def _follow(starts: np.ndarray, draw: _Words, count: int) -> np.ndarray:
    """``count`` events of random sessions, each within FOLLOW_MS of its session's start, in its hour."""
    if not count:
        return np.zeros(0, dtype=np.int64)
    start = starts[(draw.uniform(count) * len(starts)).astype(np.int64)]
    room = np.minimum(FOLLOW_MS, (start // HOUR_MS + 1) * HOUR_MS - start)
    return start + (draw.uniform(count) * room).astype(np.int64)
