"""Real-time figures: each bot's open sessions, the trailing minutes' rates, users, channels and
reply time at now."""

from __future__ import annotations

from typing import Any

from mockserver.generation.rng import CounterStream, derive
from mockserver.profiles.base import Call
from mockserver.profiles.generalbots.bots import BMSG, CONV, UMSG, split
from mockserver.profiles.generalbots.micros import MINUTE_US, OPEN_US, RATE_US
from mockserver.profiles.generalbots.scope import Scope
from mockserver.profiles.generalbots.sums import bot_sums


def live(call: Call) -> list[dict[str, Any]]:
    """Each bot's figures at now: open sessions (started in the last 15 minutes), the trailing
    5 minutes' conversations and messages, users, channels and reply time."""
    scope = Scope(call.seed, call.now, call.now, call.now, call.params.get("bot_id"), world=call.world)
    now = scope.now_us
    minute = now // MINUTE_US
    found = []
    for bot in scope.bots:
        first, last = bot.window(now)
        opened = bot_sums(bot, max(now - OPEN_US, first), min(now, last), now - OPEN_US)
        recent = bot_sums(bot, max(now - RATE_US, first), min(now, last), now - OPEN_US)
        sessions = opened[CONV]
        shares = _split_by(sessions, [w for _, w in bot.channels])
        found.append(
            {
                "sessions": sessions,
                "users": sessions - sessions // 20,  # a few users hold two sessions at once
                "started": recent[CONV],
                "messages": recent[UMSG] + recent[BMSG],
                "response_ms": bot.response_ms
                * (0.85 + 0.3 * CounterStream(derive(call.seed, "generalbots", bot.id, "reply"), minute).random()),
                "channels": {name: n for (name, _), n in zip(bot.channels, shares)},
            }
        )
    return found


def _split_by(total: int, weights: list[float]) -> list[int]:
    running, shares = 0.0, []
    whole = sum(weights)
    for w in weights:
        running += w
        shares.append(min(running / whole, 1.0))
    shares[-1] = 1.0
    return split(total, tuple(shares))
