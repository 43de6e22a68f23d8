"""The interactions popularity report: each story's interactions, how often they matched, and
their share of all matches."""

from __future__ import annotations

from typing import Any

from mockserver.generation.rng import keyed_random, object_id
from mockserver.profiles.base import Call
from mockserver.profiles.chatbotcom.buckets import Buckets
from mockserver.profiles.chatbotcom.licenses import License, Story
from mockserver.profiles.chatbotcom.ranges import request_range
from mockserver.profiles.chatbotcom.selection import Selection, as_list
from mockserver.profiles.chatbotcom.series import sum_series
from mockserver.profiles.chatbotcom.splits import spread
from mockserver.synth.apportion import percentages

# Interactions of the bot itself rather than of one story's flow: no id of their own.
SYSTEM = ("welcome", "fallback")


def interactions_report(call: Call) -> Any:
    lic, start, end = request_range(call)
    wanted = {s.lower() for s in as_list(call.params.get("storyId"))}
    stories = [s for s in lic.stories if not wanted or s.id in wanted]
    if not stories:
        return []
    selection = Selection.of(lic, "storyId", [], [s.id for s in stories])
    buckets = Buckets(start, end, "year")
    clock = call.history_clock(start, end)
    conversations, messages = sum_series(lic, start, end, buckets, selection, ("conversations", "messages"), clock)
    by_key = dict(zip(selection.keys, zip(conversations, messages)))
    rows: list[dict[str, Any]] = []
    system: dict[str, dict[str, Any]] = {}  # the license's one welcome and one fallback row, by type
    for story in stories:
        started, said = by_key[story.id]
        entries = _interactions_of(lic, story)
        # The welcome interaction opens every conversation; each user message (about half
        # of the messages) matches one interaction or a fallback.
        matches = spread(sum(said) // 2, [w for _, w in entries[1:]], 0.5)
        values = [sum(started), *matches]
        for (entry, _), value in zip(entries, values):
            if entry.get("type") in SYSTEM:
                # Welcome and fallback have no id: the vendor lists each once, over all the stories asked.
                row = system.get(entry["type"])
                if row is None:
                    row = system[entry["type"]] = {**entry, "value": 0}
                    rows.append(row)
                row["value"] += value
            else:
                rows.append({**entry, "value": value})
    for row, usage in zip(rows, percentages([r["value"] for r in rows])):
        row["usage"] = usage
    order = {id(r): i for i, r in enumerate(rows)}
    return sorted(rows, key=lambda r: (-r["value"], order[id(r)]))


def _interactions_of(lic: License, story: Story) -> list[tuple[dict[str, Any], float]]:
    """A story's interactions with their share of matches: welcome, regular ones, fallbacks."""
    rng = keyed_random(lic.seed, "chatbotcom", "interactions", story.id)
    names = (
        "Greeting",
        "Order number",
        "Tracking link",
        "Refund policy",
        "Opening hours",
        "Contact details",
        "Product info",
        "Goodbye",
    )
    regular = [
        ({"name": name, "id": object_id(lic.seed, story.id, name)}, rng.uniform(0.3, 1.5))
        for name in rng.sample(names, rng.randint(2, 5))
    ]
    entries: list[tuple[dict[str, Any], float]] = [({"type": "welcome", "name": "Welcome Interaction"}, 1.0), *regular]
    parent = regular[0][0]["id"]  # a context fallback belongs to its interaction
    entries.append(({"parentId": parent, "type": "contextFallback", "name": "Fallback Interaction"}, 0.15))
    entries.append(({"type": "fallback", "name": "Fallback Interaction"}, 0.25))
    return entries
