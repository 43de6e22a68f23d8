"""One channel's figures per UTC day, cached: its conversations split over the 24 hours, a
histogram of messages per conversation, message lengths, interactions, step executions, intent
hits with their scores, languages and, on voice channels, calls."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from mockserver.generation.rng import CounterStream, derive
from mockserver.profiles.chatcaptain.channels import HANDOVER, KINDS, Channel
from mockserver.profiles.chatcaptain.events import DayEvents, build
from mockserver.synth.activity import RAMP_DAYS, count, growth
from mockserver.synth.apportion import apportion
from mockserver.synth.histogram import bell, total
from mockserver.synth.timeline import HOUR_MS

END_REASONS = ("hangup_user", "hangup_bot", "transfer", "timeout", "error")
TARGETS = ("+4930120000100", "+4930120000200", "sip:support@pbx.example.com")
MESSAGE_BINS = tuple(range(1, 41))  # messages per conversation
LENGTH_BINS = tuple(range(2, 402, 4))  # characters per message
SCORE_BINS = tuple(round(0.3 + 0.025 * i, 3) for i in range(29))  # intent confidence
CALL_BINS = tuple(range(10, 1210, 10))  # seconds per call
INPUT_BINS = tuple(range(0, 21))  # user inputs per call
BINS = {
    "messages": MESSAGE_BINS,
    "length": LENGTH_BINS,
    "score": SCORE_BINS,
    "calls": CALL_BINS,
    "inputs": tuple(i + 0.5 for i in INPUT_BINS),
}
# Additive figures per channel and day; hourly values follow the conversations' hours.
ADDITIVE = ("conversations", "messages", "interactions", "steps", "intent_hits", "call_seconds")


@lru_cache(maxsize=4096)
def _shape(bins: str, centre: float, spread: float) -> list[float]:
    """A histogram shape (``bell``) over one of the bin sets, for a centre rounded to 3 digits."""
    return bell(BINS[bins], centre, spread)


def _hour_weights(seed: int, channel: Channel, day: date) -> tuple[list[float], float]:
    """The day's traffic shape over its hours (zero where the channel did not serve), and the
    share of a full day's traffic those hours carry."""
    rng = CounterStream(derive(seed, "chatcaptain", channel.id, "hours"), day.toordinal())
    weights = [w * (0.8 + 0.4 * rng.random()) for w in KINDS[channel.type].diurnal]
    live = channel.live(day)
    if live is None:
        return weights, 1.0
    full = sum(weights)
    weights = [w if on else 0.0 for w, on in zip(weights, live)]
    return weights, sum(weights) / full


@lru_cache(maxsize=32768)
def channel_day(seed: int, channel: Channel, day: date) -> dict[str, Any]:
    """One channel's additive figures on one UTC day (see ``ADDITIVE``), and what the detail needs."""
    kind = KINDS[channel.type]
    share = 1.0 if channel.live(day) is None else _hour_weights(seed, channel, day)[1]
    traits, age = channel.activity, (day - channel.activity.created).days
    rng = CounterStream(derive(seed, "chatcaptain", channel.id, "day"), day.toordinal())
    uniform = rng.random
    # Base volume x ramp-up of a new channel x weekly cycle of its type x yearly trend x noise.
    expected = (
        (
            traits.base
            * min(1.0, 0.15 + 0.85 * age / RAMP_DAYS)
            * kind.weekly[day.weekday()]
            * growth(traits.trend, age)
            * rng.lognormvariate(0, 0.14)
            * share
        )
        if age >= 0
        else 0.0
    )
    conversations = count(expected, rng)
    low, high = kind.messages
    lengths = apportion(conversations, _shape("messages", round(low + (high - low) * uniform(), 2), 0.55))
    messages = round(total(MESSAGE_BINS, lengths))
    interactions = round(messages * (0.45 + 0.07 * uniform()))  # the user's turns, about half the messages
    intent_hits = round(interactions * (0.6 + 0.25 * uniform()))
    low, high = kind.handover
    handover = low + (high - low) * uniform()
    # Every conversation runs Start; most reach the menu and the end; FAQ answers follow user turns.
    by_step = [
        conversations,
        round(conversations * (0.6 + 0.2 * uniform())),
        round(conversations * (0.2 + 0.2 * uniform())),
        round(interactions * (0.3 + 0.15 * uniform())),
        round(conversations * (0.1 + 0.15 * uniform())),
        round(conversations * handover),
        round(conversations * (0.65 + 0.2 * uniform())),
    ]
    figures: dict[str, Any] = {
        "conversations": conversations,
        "messages": messages,
        "interactions": interactions,
        "steps": sum(by_step),
        "intent_hits": intent_hits,
        "call_seconds": 0,
        "hist_messages": lengths,
        "by_step": by_step,
        "handover": handover,
    }
    if channel.voice and conversations:
        calls = apportion(conversations, _shape("calls", round(90 + 90 * uniform()), 0.7))
        figures.update(call_seconds=round(total(CALL_BINS, calls)), hist_calls=calls)
    return figures


@lru_cache(maxsize=16384)
def channel_detail(seed: int, channel: Channel, day: date) -> dict[str, Any]:
    """The day's breakdowns and per-item histograms (only reports that show them need them)."""
    figures = channel_day(seed, channel, day)
    conversations, messages, interactions = figures["conversations"], figures["messages"], figures["interactions"]
    if not conversations:
        return figures
    kind = KINDS[channel.type]
    rng = CounterStream(derive(seed, "chatcaptain", channel.id, "detail"), day.toordinal())
    uniform = rng.random
    (length_low, length_high), (score_low, score_high) = kind.length, kind.score
    detail = {
        **figures,
        "hist_length": apportion(messages, _shape("length", round(length_low + (length_high - length_low) * uniform()), 0.7)),
        "hist_score": apportion(
            figures["intent_hits"], _shape("score", round(score_low + (score_high - score_low) * uniform(), 3), 0.12)
        ),
        "by_intent": _intents(figures["intent_hits"], conversations, channel, uniform),
        "by_language": apportion(conversations, [w * (0.85 + 0.3 * uniform()) for w in channel.languages]),
    }
    if channel.voice:
        reasons = apportion(conversations, [0.45, 0.3, figures["handover"], 0.06, 0.015])
        transfers = reasons[END_REASONS.index("transfer")]
        # A transferred call ends at the Handover step; the others end along the flow.
        exits = apportion(conversations - transfers, [0.06, 0.12, 0.08, 0.3, 0.1, 0.0, 0.34])
        exits[HANDOVER] = transfers
        inputs = min(max(interactions / conversations, 1.0), 15.0)  # user inputs per call follow the user's turns
        detail.update(
            hist_inputs=apportion(conversations, _shape("inputs", round(inputs, 2), 0.45)),
            by_reason=reasons,
            by_exit=exits,
            by_target=apportion(transfers, [0.6, 0.3, 0.1]),
        )
    return detail


def _intents(hits: int, conversations: int, channel: Channel, uniform: Any) -> list[int]:
    """Intent hits by intent: a conversation greets at most once (most do), the other hits follow
    the chatbot's intent mix."""
    greetings = min(round(conversations * (0.55 + 0.35 * uniform())), hits)
    others = apportion(hits - greetings, [w * (0.85 + 0.3 * uniform()) for w in channel.intents[1:]])
    return [greetings, *others]


@lru_cache(maxsize=65536)
def channel_hours(seed: int, channel: Channel, day: date, name: str) -> tuple[list[int], list[int]]:
    """One additive figure of the day over its 24 hours (the sums of the conversations that start
    in each hour, adding up to the day total), and its running sums (25 values from 0)."""
    if name == "conversations":
        hours = _conversation_hours(seed, channel, day)
    else:
        events = day_events(seed, channel, day)
        hour = events.instants // HOUR_MS
        hours = np.bincount(hour, weights=events.figures[name], minlength=24).astype(np.int64).tolist()
    return hours, _running(hours)


@lru_cache(maxsize=4096)
def day_events(seed: int, channel: Channel, day: date) -> DayEvents:
    """The day's conversations with their instants and figures (events.py)."""
    return build(seed, channel, day, channel_detail(seed, channel, day), _conversation_hours(seed, channel, day))


def _conversation_hours(seed: int, channel: Channel, day: date) -> list[int]:
    figures = channel_day(seed, channel, day)
    total_, weights = figures["conversations"], _hour_weights(seed, channel, day)[0]
    # Each hour's count scatters around its expected share like a Poisson count would, so a
    # quiet channel has hours of 0, 1 and 3 rather than a flat run of 1s.
    rng = CounterStream(derive(seed, "chatcaptain", channel.id, "scatter"), day.toordinal())
    scale = total_ / (sum(weights) or 1.0)
    noisy = [max(rng.gauss(w * scale, math.sqrt(w * scale)), 0.0) if w else 0.0 for w in weights]
    return apportion(total_, noisy if sum(noisy) > 0 else weights)


def _running(values: Sequence[int]) -> list[int]:
    sums, acc = [0], 0
    for value in values:
        acc += value
        sums.append(acc)
    return sums
