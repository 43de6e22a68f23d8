"""A Botpress bot's traits: its size, growth, creation day, audience and rhythm.

A bot is a business bot (a support desk or an internal helpdesk: busy in office hours on
weekdays, quiet at weekends) or a consumer bot (open all week, busiest in the evening), in a
home time zone. Its week of UTC hours is worked out once per bot: the share of each weekday's
sessions in each UTC hour, and how busy each UTC weekday is.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from mockserver.generation.rng import derive, keyed_random
from mockserver.synth.activity import LIFETIME_START
from mockserver.synth.shapes import BUSINESS_HOURS, BUSINESS_WEEK, CONSUMER_HOURS, CONSUMER_WEEK
from mockserver.timeutil import parse_instant
from mockserver.world import CREATED, NAME, Declared, entity_list, section

# A bot's audience returns over its first month (it grows into its volume over RAMP_DAYS).
RETURN_DAYS = 30

BUSINESS_SHARE = 0.65
# Home time zones (hours east of UTC) of the bots' audiences.
ZONES = (-8, -7, -6, -5, -4, -3, 0, 1, 2, 3, 4, 5, 8, 9, 10)


@dataclass(frozen=True, eq=False)
class Bot:
    """One bot's traits, a pure function of (seed, bot id)."""

    key: int  # the counter-based generators' key for this bot's days
    events_key: int  # ... and for the events of a day a range cuts
    base: float  # sessions on an average day at creation, after the ramp-up
    trend: float  # yearly growth
    created: int  # ordinal of the creation day
    business: bool
    zone: int
    returning: float  # share of a day's users who came before, once the audience has formed
    day_weights: np.ndarray  # how busy each UTC weekday (Monday first) is; they average 1
    hour_cdf: np.ndarray  # per UTC weekday, the cumulative share of its sessions by the end of each UTC hour

    @property
    def created_day(self) -> date:
        return date.fromordinal(self.created)


WORLD_SCHEMA = section(
    bots=entity_list(
        {
            "name": NAME,
            "createdAt": CREATED,
            "audience": {"enum": ["business", "consumer"]},
            "utcOffset": {"type": "integer", "minimum": -12, "maximum": 14, "description": "whole hours east of UTC, -12 to 14"},
        }
    )
)


# The workspace's bots when the world declares none: a few, named as support and sales bots are.
ROSTER_NAMES = ("Support Assistant", "Sales Concierge", "HR Helpdesk", "Order Tracker", "FAQ Bot", "Booking Agent")


@lru_cache(maxsize=256)
def roster(seed: int) -> tuple[tuple[str, str], ...]:
    """(id, name) of the bots a workspace lists for ``seed`` when none are declared: three to
    six, with UUIDs as Botpress gives its bots."""
    rng = keyed_random(seed, "botpress", "roster")
    count = rng.randint(3, 6)
    names = rng.sample(ROSTER_NAMES, count)
    return tuple((str(uuid.UUID(int=rng.getrandbits(128), version=4)), name) for name in names)


def listed_bots(seed: int, world: Declared) -> list[dict[str, str]]:
    """The bots a workspace lists: the declared ones, else the seed's roster, each with its name
    and creation time (the day its analytics begin)."""
    declared = world.entities("bots")
    pairs = [(entry["id"], entry.get("name")) for entry in declared] if declared else list(roster(seed))
    bots = []
    for bot_id, name in pairs:
        created = bot_in(seed, bot_id, world).created_day.isoformat() + "T00:00:00.000Z"
        bots.append({"id": bot_id, "createdAt": created, "updatedAt": created, **({"name": name} if name else {})})
    return bots


def bot_in(seed: int, bot_id: str, world: Declared) -> Bot:
    """Bot ``bot_id`` (any id is a bot), with what the world declares of it."""
    entry = world.find("bots", bot_id)
    if entry is None:
        return bot(seed, bot_id)
    created = entry.get("createdAt")
    return bot(
        seed,
        bot_id,
        parse_instant(created).date().toordinal() if created else None,
        entry["audience"] == "business" if "audience" in entry else None,
        entry.get("utcOffset"),
    )


@lru_cache(maxsize=4096)
def bot(seed: int, bot_id: str, created: int | None = None, business: bool | None = None, zone: int | None = None) -> Bot:
    """The bot's traits from (seed, id); ``created`` (an ordinal), ``business`` and ``zone``
    (hours east of UTC) replace the drawn ones when a declared world gives them."""
    rng = keyed_random(seed, "botpress", bot_id, "traits")
    base = math.exp(rng.uniform(math.log(15), math.log(900)))
    trend = rng.uniform(-0.1, 0.6)
    drawn = (LIFETIME_START + timedelta(days=rng.randint(0, 729))).toordinal()
    created = drawn if created is None else created
    drawn_business = rng.random() < BUSINESS_SHARE
    business = drawn_business if business is None else business
    drawn_zone = rng.choice(ZONES)
    zone = drawn_zone if zone is None else zone
    returning = rng.uniform(0.3, 0.6)
    day_weights, hour_cdf = _week(business, zone)
    return Bot(
        derive(seed, "botpress", bot_id, "days"),
        derive(seed, "botpress", bot_id, "events"),
        base,
        trend,
        created,
        business,
        zone,
        returning,
        day_weights,
        hour_cdf,
    )


@lru_cache(maxsize=64)
def _week(business: bool, zone: int) -> tuple[np.ndarray, np.ndarray]:
    hours, week = (BUSINESS_HOURS, BUSINESS_WEEK) if business else (CONSUMER_HOURS, CONSUMER_WEEK)
    total = sum(hours)
    # UTC hour h of UTC weekday d is local hour h + zone, which may fall on the local day before or after.
    table = [[hours[(h + zone) % 24] / total * week[(d + (h + zone) // 24) % 7] for h in range(24)] for d in range(7)]
    days = [math.fsum(row) for row in table]
    mean = math.fsum(days) / 7
    cdf = [[math.fsum(row[: h + 1]) / day for h in range(24)] for row, day in zip(table, days)]
    for row in cdf:
        row[-1] = 1.0
    return np.array([d / mean for d in days]), np.array(cdf)
