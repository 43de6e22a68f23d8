"""A chatbot's channels: 2-5 of them (the channels endpoint lists them), each of a type with its
own traffic shape, and the chatbot's mix of languages and intents.

A channel is active from the hour it was created and, once deactivated (status ``inactive``),
until its ``updated`` time; other hours are zero.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from mockserver.generation.rng import keyed_random, object_id
from mockserver.synth.activity import Entity
from mockserver.synth.calendar import day_start
from mockserver.timeutil import iso_ms, parse_instant
from mockserver.world import CREATED, NAME, Declared, entity_list, section

VOICE = ("voice", "audiocodes")
LANGUAGES = ("de", "en", "fr", "es", "it", "tr", "pl", "nl")
INTENTS = (
    "greeting",
    "opening_hours",
    "order_status",
    "cancel_order",
    "talk_to_human",
    "pricing",
    "reset_password",
    "delivery_time",
    "invoice_copy",
    "goodbye",
)
STEPS = ("Start", "Main menu", "Identify customer", "Answer FAQ", "Collect feedback", "Handover", "End")
HANDOVER = STEPS.index("Handover")
HOUR, DAY, MS = timedelta(hours=1), timedelta(days=1), timedelta(milliseconds=1)


@dataclass(frozen=True)
class Kind:
    """How a type of channel is used: its share of traffic, rhythm and message shapes."""

    weight: float  # how often a chatbot has a channel of this type
    scale: float  # volume relative to a web widget
    weekly: tuple[float, ...]  # Monday..Sunday
    diurnal: tuple[float, ...]  # relative traffic per UTC hour (the customers are in Central Europe)
    messages: tuple[float, float]  # range of the typical messages per conversation
    length: tuple[float, float]  # range of the typical characters per message
    score: tuple[float, float]  # range of the typical intent confidence
    handover: tuple[float, float]  # share of conversations handed to a human


_OFFICE = (
    0.05,
    0.05,
    0.05,
    0.05,
    0.1,
    0.3,
    1.2,
    2.6,
    3.8,
    4.0,
    4.0,
    3.8,
    3.4,
    3.7,
    3.9,
    3.7,
    3.0,
    2.0,
    1.2,
    0.7,
    0.4,
    0.2,
    0.1,
    0.05,
)
_WEB = (0.4, 0.3, 0.25, 0.2, 0.25, 0.4, 0.8, 1.5, 2.6, 3.4, 3.8, 3.9, 3.6, 3.7, 3.8, 3.6, 3.3, 2.9, 2.6, 2.5, 2.3, 1.8, 1.2, 0.7)
_CHAT = (0.9, 0.5, 0.3, 0.25, 0.3, 0.6, 1.3, 2.2, 2.8, 3.1, 3.2, 3.3, 3.4, 3.2, 3.1, 3.1, 3.2, 3.4, 3.6, 3.8, 3.7, 3.0, 2.1, 1.4)
_MAIL = (0.8, 0.6, 0.5, 0.5, 0.6, 0.9, 1.6, 2.6, 3.2, 3.4, 3.3, 3.1, 2.9, 3.0, 3.0, 2.9, 2.7, 2.3, 2.0, 1.8, 1.6, 1.4, 1.2, 1.0)
_BUSINESS_WEEK = (1.08, 1.1, 1.07, 1.05, 0.98, 0.62, 0.55)
KINDS = {
    "web": Kind(0.35, 1.0, _BUSINESS_WEEK, _WEB, (4, 8), (30, 60), (0.78, 0.9), (0.05, 0.09)),
    "meta-whatsapp": Kind(0.2, 0.8, (1.0, 1.0, 1.0, 1.0, 1.02, 0.9, 0.85), _CHAT, (5, 10), (20, 45), (0.76, 0.88), (0.05, 0.09)),
    "facebook": Kind(0.12, 0.45, (1.0, 1.0, 1.0, 1.0, 1.02, 0.88, 0.82), _CHAT, (4, 8), (20, 45), (0.76, 0.88), (0.04, 0.08)),
    "voice": Kind(0.12, 0.35, (1.15, 1.1, 1.08, 1.05, 1.0, 0.35, 0.15), _OFFICE, (6, 12), (25, 50), (0.7, 0.82), (0.12, 0.18)),
    "telegram": Kind(0.08, 0.3, (1.0, 1.0, 1.0, 1.0, 1.02, 0.9, 0.85), _CHAT, (5, 10), (20, 45), (0.76, 0.88), (0.03, 0.07)),
    "email": Kind(0.06, 0.25, (1.12, 1.08, 1.05, 1.03, 0.95, 0.4, 0.35), _MAIL, (2, 4), (150, 300), (0.8, 0.9), (0.1, 0.2)),
    "audiocodes": Kind(
        0.04, 0.35, (1.15, 1.1, 1.08, 1.05, 1.0, 0.35, 0.15), _OFFICE, (6, 12), (25, 50), (0.7, 0.82), (0.12, 0.18)
    ),
    "brevo": Kind(0.03, 0.2, (1.12, 1.08, 1.05, 1.03, 0.95, 0.4, 0.35), _MAIL, (2, 5), (60, 150), (0.8, 0.9), (0.05, 0.1)),
    # A builder's test channel: never drawn for a chatbot (weight 0), only declared; a trickle of traffic.
    "debug": Kind(0.0, 0.02, (1.1, 1.1, 1.1, 1.1, 1.0, 0.3, 0.2), _OFFICE, (3, 8), (15, 40), (0.7, 0.9), (0.0, 0.02)),
}
# Names a user may write for a type in a declared world, and the vendor's own name for it.
ALIASES = {"whatsapp": "meta-whatsapp", "phone": "voice"}
LABELS = {"meta-whatsapp": "WhatsApp", "audiocodes": "Phone (AudioCodes)", "voice": "Phone"}


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: cheap cache keys
class Channel:
    id: str
    name: str
    type: str
    status: str
    number: str | None
    created: datetime
    updated: datetime
    activity: Entity
    languages: tuple[float, ...]  # the chatbot's language mix
    intents: tuple[float, ...]  # the chatbot's intent mix

    @property
    def voice(self) -> bool:
        return self.type in VOICE

    @property
    def until(self) -> datetime | None:
        """When activity stopped: an inactive channel was deactivated at its last update."""
        return self.updated if self.status == "inactive" else None

    def live(self, day: date) -> list[bool] | None:
        """Which hours of ``day`` the channel served (None: all of them)."""
        until = self.until
        if self.created.date() < day and (until is None or day < until.date()):
            return None
        begins = day_start(day)
        return [begins + (h + 1) * HOUR > self.created and (until is None or begins + h * HOUR < until) for h in range(24)]

    def public(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type, "status": self.status}
        if self.number:
            body["number"] = self.number
        return {**body, "created": iso_ms(self.created), "updated": iso_ms(self.updated)}


@lru_cache(maxsize=1024)
def _mix(seed: int, chatbot: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """A chatbot's languages (mostly one main language, with German and English next: the
    vendor's customers are in Central Europe) and intent popularity."""
    rng = keyed_random(seed, "chatcaptain", chatbot, "mix")
    main = rng.choices(range(len(LANGUAGES)), [0.62, 0.22, 0.05, 0.04, 0.02, 0.02, 0.02, 0.01])[0]
    languages = [rng.uniform(0.002, 0.04) for _ in LANGUAGES]
    languages[0] = rng.uniform(0.1, 0.3)
    languages[1] = rng.uniform(0.08, 0.25)
    languages[main] = rng.uniform(0.6, 0.85)
    intents = [rng.uniform(0.3, 1.0) / (i + 1) ** 0.6 for i in range(len(INTENTS))]
    intents[0] = rng.uniform(1.0, 1.4)  # everybody says hello
    return tuple(languages), tuple(intents)


WORLD_SCHEMA = section(
    chatbots=entity_list(
        {
            "channels": entity_list(
                {
                    "type": {"enum": [*KINDS, *ALIASES]},
                    "name": NAME,
                    "status": {"enum": ["active", "inactive"]},
                    "number": {
                        "type": "string",
                        "pattern": "^\\+?[0-9]{3,20}$",
                        "description": "a phone number like +4930123456",
                    },
                    "created": CREATED,
                },
                100,
                required=("id", "type"),
            ),
        }
    )
)


def chatbot_channels(seed: int, chatbot: str, world: Declared) -> tuple[Channel, ...]:
    """The chatbot's channels: the ones its declaration lists, else 2-5 made from the seed and its id."""
    entry = world.find("chatbots", chatbot)
    if entry is None or "channels" not in entry:
        return channels_of(seed, chatbot)
    return declared_channels(seed, chatbot, tuple(tuple(sorted(c.items())) for c in entry["channels"]))


@lru_cache(maxsize=1024)
def declared_channels(seed: int, chatbot: str, declarations: tuple[tuple[tuple[str, str], ...], ...]) -> tuple[Channel, ...]:
    """Channels as the user declared them, in their order. What they leave out follows from the
    seed, the chatbot and the channel's own id: adding a channel changes no other's figures."""
    languages, intents = _mix(seed, chatbot)
    result = []
    for declaration in map(dict, declarations):
        channel_id, kind = declaration["id"], ALIASES.get(declaration["type"], declaration["type"])
        rng = keyed_random(seed, "chatcaptain", chatbot, "channel", channel_id)
        activity = Entity.of(seed, "chatcaptain", chatbot, channel_id, scale=KINDS[kind].scale)
        written = declaration.get("created")
        if written is None:
            created = day_start(activity.created) + timedelta(hours=rng.randint(8, 17), minutes=rng.randint(0, 59))
        else:
            created = parse_instant(written)
            if len(written) == 10:  # a date: set up during office hours that day
                created += timedelta(hours=rng.randint(8, 17), minutes=rng.randint(0, 59))
            activity = replace(activity, created=created.date())
        status = declaration.get("status", "active")
        days = rng.randint(30, 400) if status == "inactive" else rng.randint(0, 300)
        updated = created + timedelta(days=days, hours=rng.randint(0, 6), minutes=rng.randint(0, 59))
        number = declaration.get("number") or (f"+4930{rng.randint(1000000, 9999999)}" if kind in VOICE else None)
        name = declaration.get("name") or LABELS.get(kind, kind.capitalize())
        result.append(Channel(channel_id, name, kind, status, number, created, updated, activity, languages, intents))
    return tuple(result)


@lru_cache(maxsize=1024)
def channels_of(seed: int, chatbot: str) -> tuple[Channel, ...]:
    rng = keyed_random(seed, "chatcaptain", chatbot, "channels")
    types = list(KINDS)
    kinds = [rng.choices(types, [KINDS[t].weight for t in types])[0] for _ in range(rng.randint(2, 5))]
    languages, intents = _mix(seed, chatbot)
    result = []
    for index, kind in enumerate(kinds):
        channel_id = object_id(seed, "chatcaptain", chatbot, "channel", index)
        activity = Entity.of(seed, "chatcaptain", chatbot, channel_id, scale=KINDS[kind].scale)
        created = day_start(activity.created) + timedelta(hours=rng.randint(8, 17), minutes=rng.randint(0, 59))
        number = f"+4930{rng.randint(1000000, 9999999)}" if kind in VOICE else None
        inactive = index > 0 and rng.random() < 0.15
        # An inactive channel was switched off at its last update, after at least a month of use.
        days = rng.randint(30, 400) if inactive else rng.randint(0, 300)
        updated = created + timedelta(days=days, hours=rng.randint(0, 6), minutes=rng.randint(0, 59))
        result.append(
            Channel(
                channel_id,
                LABELS.get(kind, kind.capitalize()),
                kind,
                "inactive" if inactive else "active",
                number,
                created,
                updated,
                activity,
                languages,
                intents,
            )
        )
    ordered = sorted(result, key=lambda c: c.created)
    # Name channels like a person would: "Web", or "Web 2" for a second one of the same kind.
    seen: dict[str, int] = {}
    named = []
    for channel in ordered:
        seen[channel.name] = seen.get(channel.name, 0) + 1
        suffix = f" {seen[channel.name]}" if seen[channel.name] > 1 else ""
        named.append(replace(channel, name=channel.name + suffix))
    return tuple(named)
