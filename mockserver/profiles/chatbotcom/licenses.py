"""The license behind the developer token: its stories and channel mix, and the kinds of
conversation every figure counts.

A day's conversations are split into six kinds: paid or not, and short, typical or long
(``LENGTHS`` messages each). Every figure is a weighted count of kinds: conversations count every
kind, paid conversations the paid kinds, messages weigh each kind by its length. So in any
bucket, group or filter, paid <= conversations and messages are 2 to 13 per conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mockserver.generation.rng import keyed_random, object_id
from mockserver.synth.activity import Entity
from mockserver.world import NAME, Declared, entity_list, section

SOURCES = ("messenger", "livechat", "livechat3", "slack", "widget", "app", "custom")
SOURCE_WEIGHTS = (0.16, 0.2, 0.14, 0.05, 0.3, 0.1, 0.05)
# How much likelier a conversation from this source is to be paid (live chat hand-overs are).
SOURCE_PAID = (1.0, 1.3, 1.3, 0.8, 1.0, 0.9, 0.7)
_STORY_NAMES = (
    "Welcome flow",
    "Order status",
    "Returns & refunds",
    "Pricing questions",
    "Book a demo",
    "Shipping times",
    "Talk to an agent",
)
# Messages (from the user and the bot) in a short, a typical and a long conversation.
LENGTHS = (2, 6, 13)
# Kinds of conversation: (paid, length index); paid kinds first.
KINDS = tuple((paid, length) for paid in (True, False) for length in range(len(LENGTHS)))
# Weight of each kind in each figure: conversations, paid conversations, messages.
FIGURES = {
    "conversations": tuple(1 for _ in KINDS),
    "paid": tuple(1 if paid else 0 for paid, _ in KINDS),
    "messages": tuple(LENGTHS[length] for _, length in KINDS),
}
FIGURE_INDEX = {name: i for i, name in enumerate(FIGURES)}
NO_HOURS = (0,) * 24

Counts = tuple[int, ...]  # one count per kind
Hours = tuple[tuple[int, ...], ...]  # per kind, 24 hourly counts


@dataclass(frozen=True)
class Story:
    id: str
    name: str
    weight: float
    lengths: tuple[float, ...]  # how this story's conversations lean towards each length


@dataclass(frozen=True, eq=False)  # one object per seed (``license_for``): cache keys hash it by identity
class License:
    """The account behind the developer token: its activity, stories and channel mix."""

    seed: int
    activity: Entity
    stories: tuple[Story, ...]
    paid_share: float  # of conversations, on an average day and source
    lengths: tuple[float, ...]  # share of short, typical and long conversations


@lru_cache(maxsize=64)
def license_for(seed: int) -> License:
    rng = keyed_random(seed, "chatbotcom", "license")
    count = rng.randint(4, 7)
    weights = [rng.uniform(0.3, 1.0) for _ in range(count)]
    traits = keyed_random(seed, "chatbotcom", "license-traits")
    stories = tuple(
        Story(
            object_id(seed, "chatbotcom", "story", i),
            _STORY_NAMES[i],
            weights[i],
            tuple(traits.uniform(0.6, 1.6) for _ in LENGTHS),
        )
        for i in range(count)
    )
    lengths = (traits.uniform(0.12, 0.3), traits.uniform(0.45, 0.6), traits.uniform(0.15, 0.3))
    return License(seed, Entity.of(seed, "chatbotcom", "license", scale=2.0), stories, traits.uniform(0.55, 0.85), lengths)


def weigh(kinds: Counts, weights: Counts) -> int:
    return sum(w * n for w, n in zip(weights, kinds))


def weigh_hours(hours: Hours, weights: Counts) -> list[int]:
    """Hour by hour, the kinds' counts times their weights."""
    scaled = [kind if w == 1 else [w * n for n in kind] for w, kind in zip(weights, hours) if w]
    return list(map(sum, zip(*scaled)))


WORLD_SCHEMA = section(
    stories=entity_list(
        {
            "id": {
                "type": "string",
                "pattern": "^[0-9a-fA-F]{24}$",
                "description": "a MongoDB ObjectId, 24 hexadecimal digits like 65a1f0c2e4b0a1b2c3d4e5f6",
            },
            "name": NAME,
        },
        200,
        minItems=1,
    )
)


def license_of(seed: int, world: Declared) -> License:
    """The license: its stories are the declared ones, else 4-7 made from the seed."""
    if not world.declares("stories"):
        return license_for(seed)
    return declared_license(seed, tuple((s["id"].lower(), s.get("name", "")) for s in world.entities("stories")))


@lru_cache(maxsize=64)
def declared_license(seed: int, stories: tuple[tuple[str, str], ...]) -> License:
    """The seed's license with the declared stories, in their order. A story's traits follow from
    the seed and its id; the license's conversations are divided among the stories it has."""
    base = license_for(seed)
    made = []
    for story_id, name in stories:
        rng = keyed_random(seed, "chatbotcom", "story", story_id)
        made.append(
            Story(
                story_id, name or rng.choice(_STORY_NAMES), rng.uniform(0.3, 1.0), tuple(rng.uniform(0.6, 1.6) for _ in LENGTHS)
            )
        )
    return License(seed, base.activity, tuple(made), base.paid_share, base.lengths)
