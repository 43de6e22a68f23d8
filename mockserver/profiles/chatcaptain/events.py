"""One channel's conversations of one UTC day, each at a millisecond and with its own figures.

A day's totals and histograms (days.py) become conversations: each starts at an instant inside
the hours the channel served, along the day's hourly split, and takes its messages (and, on a
voice channel, its call's seconds and user inputs) from the day's histograms, so that the day's
conversations are exactly the day's sample. Interactions, intent hits and step executions are
shared out over the conversations in whole numbers. A part of a day (synth/timeline.py) sums the
conversations inside it: any split adds up, and a median over part of a day is the median of the
conversations in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np

from mockserver.generation.rng import counter_words, derive, unit
from mockserver.profiles.chatcaptain.channels import HANDOVER, Channel
from mockserver.synth.apportion import apportion_array
from mockserver.synth.calendar import day_start
from mockserver.synth.timeline import HOUR_MS, in_range, to_ms

# A handed-over conversation's timeline, in seconds after its handover: the first agent reply
# (live-chat first replies: a median near a minute, a long tail), then closing (chats of about
# ten minutes, tickets that wait for the customer much longer). Log-normal, over 1,024 strata.
_STRATA = 1024
_Z = [NormalDist().inv_cdf((i + 0.5) / _STRATA) for i in range(_STRATA)]
FIRST_REPLY = np.array([math.exp(math.log(60) + 0.9 * z) for z in _Z])
TO_CLOSE = np.array([math.exp(math.log(900) + 1.1 * z) for z in _Z])
# The longest a handed-over conversation stays open: after it, every state is final.
SETTLED = timedelta(seconds=math.ceil(float(FIRST_REPLY.max() + TO_CLOSE.max())))


@dataclass(frozen=True, eq=False)
class Handovers:
    """The day's conversations handed to the inbox (the Handover step), in order of their instants."""

    instants: np.ndarray  # ms into the day
    first_reply: np.ndarray  # seconds from the handover to the first agent reply
    closed_after: np.ndarray  # seconds from the handover to closing
    waiting: np.ndarray  # 1 when, between replies, it waits for the customer (pending), else 0
    agent: np.ndarray  # a uniform that picks the agent (the chatbot's agents and their shares)
    sent: np.ndarray  # messages the agent sends in it


@dataclass(frozen=True, eq=False)
class DayEvents:
    instants: np.ndarray  # ms into the day, sorted
    figures: dict[str, np.ndarray]  # each additive figure (days.ADDITIVE) per conversation
    samples: dict[str, np.ndarray]  # each sample's bin index per conversation (voice samples on voice channels)
    handovers: Handovers

    def sums(self, low: int, high: int) -> dict[str, int]:
        """The additive figures of the conversations that start in [low, high] (ms into the day)."""
        inside = in_range(self.instants, low, high)
        result = {name: int(values[inside].sum()) for name, values in self.figures.items()}
        result["conversations"] = inside.stop - inside.start
        return result

    def histogram(self, name: str, low: int, high: int, bins: int) -> list[int]:
        """The sample ``name`` of the conversations in [low, high], as counts per bin."""
        values = self.samples.get(name)
        if values is None:
            return [0] * bins
        return np.bincount(values[in_range(self.instants, low, high)], minlength=bins).tolist()


def build(seed: int, channel: Channel, day: date, figures: dict[str, Any], hours: list[int]) -> DayEvents:
    """The day's conversations from its figures (days.channel_detail) and hourly counts."""
    count = int(sum(hours))
    start = to_ms(day_start(day))
    # The part of each hour the channel served: from its creation, until its deactivation.
    low = np.array([min(max(to_ms(channel.created) - start - h * HOUR_MS, 0), HOUR_MS) for h in range(24)])
    until = channel.until
    high = np.array([HOUR_MS if until is None else min(max(to_ms(until) - start - h * HOUR_MS, 0), HOUR_MS) for h in range(24)])
    streams = 5 if channel.voice else 3  # offsets, greetings, then one per sample
    words = counter_words(derive(seed, "chatcaptain", channel.id, "events"), day.toordinal(), count * streams)
    uniform = unit(words[:count])
    hour = np.repeat(np.arange(24), hours)
    offsets = hour * HOUR_MS + low[hour] + (uniform * np.maximum(high[hour] - low[hour], 1)).astype(np.int64)
    order = np.argsort(offsets, kind="stable")

    def shuffled(histogram: list[int], index: int) -> np.ndarray:
        """The histogram's items (bin indexes), in the order of one stream of words, then by instant."""
        items = np.repeat(np.arange(len(histogram)), histogram)
        return items[np.argsort(words[count * index : count * (index + 1)], kind="stable")][order]

    samples = {"messages": shuffled(figures["hist_messages"], 2)}
    if channel.voice and count:
        samples["calls"] = shuffled(figures["hist_calls"], 3)
        samples["inputs"] = shuffled(figures["hist_inputs"], 4)
    messages = samples["messages"] + 1  # bins are 1..40 messages
    interactions = apportion_array(figures["interactions"], messages.astype(float))
    # A conversation greets at most once: the day's greetings go to as many conversations.
    greetings = int(figures["by_intent"][0]) if count else 0
    greeted = np.zeros(count, dtype=np.int64)
    greeted[np.argsort(words[count : 2 * count], kind="stable")[:greetings]] = 1
    per_conversation = {
        "messages": messages,
        "interactions": interactions,
        "greetings": greeted,
        "intent_hits": greeted + apportion_array(figures["intent_hits"] - greetings, interactions.astype(float)),
        "steps": apportion_array(figures["steps"], (1 + interactions).astype(float)),
        "call_seconds": (samples["calls"] + 1) * 10 if "calls" in samples else np.zeros(count, dtype=np.int64),
    }
    return DayEvents(offsets[order], per_conversation, samples, _handovers(seed, channel, day, offsets[order], figures))


def _handovers(seed: int, channel: Channel, day: date, instants: np.ndarray, figures: dict[str, Any]) -> Handovers:
    count, handed = len(instants), int(figures["by_step"][HANDOVER]) if len(instants) else 0
    words = counter_words(derive(seed, "chatcaptain", channel.id, "handovers"), day.toordinal(), count + 5 * handed)
    which = np.sort(np.argsort(words[:count], kind="stable")[:handed])  # which conversations reach the inbox
    uniform = unit(words[count:]).reshape(5, handed)
    first_reply = FIRST_REPLY[(uniform[0] * _STRATA).astype(np.intp)]
    return Handovers(
        instants[which],
        first_reply,
        first_reply + TO_CLOSE[(uniform[1] * _STRATA).astype(np.intp)],
        (uniform[2] < 0.4).astype(np.int64),
        uniform[3],
        2 + (uniform[4] * 8).astype(np.int64),
    )
