"""ChatCaptain Statistics API: a chatbot with its channels; every report sums the same figures.

The model: a chatbot has 2-5 channels (the channels endpoint lists them). Each channel has, per
UTC day, its conversations split over the 24 hours, a histogram of messages per conversation,
message lengths, interactions, step executions, intent hits with their scores, languages and, on
voice channels, calls. A channel is active from the hour it was created and, once deactivated
(status ``inactive``), until its ``updated`` time; other hours are zero. A channel report
aggregates one channel, the overview aggregates all of them, so the overview is the sum of the
channel reports wherever a sum means something. Decisions are in ``specs/chatcaptain.yaml``.

Cost: whole days contribute their cached day figures (a daily series from a local midnight
splits each day at that hour with prefix sums), only the edge days of a range are read hour by
hour, so a request costs one step per channel and day; an hourly series adds 24 slots per day.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from http import HTTPStatus
from operator import add
from typing import Any, NamedTuple

from mockserver.errors import INVALID_PARAMETER, NOT_FOUND, Problem
from mockserver.generation.rng import keyed_random, object_id
from mockserver.jobs.model import Job
from mockserver.profiles.base import Call, Profile, Reply, handles
from mockserver.synth.activity import HISTORY_DAYS, RAMP_DAYS, Entity, count
from mockserver.synth.apportion import apportion
from mockserver.synth.calendar import day_start
from mockserver.synth.histogram import bell, median, total
from mockserver.synth.series import check_size
from mockserver.timeutil import iso_ms, parse_instant, shift
from mockserver.validation.schema import shorten

# Component ids as the vendor numbers them, per report.
CHANNEL_COMPONENTS = (
    "STEP_EXEC_COUNT_FOR_CHANNEL_ID", "CONVERSATION_COUNT_FOR_CHANNEL_ID",
    "CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID", "CONVERSATION_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID",
    "CONVERSATION_LANGUAGES_FOR_CHANNEL_ID", "CONVERSATION_MESSAGE_COUNT_MEDIAN_FOR_CHANNEL_ID",
    "INTENT_COUNT_FOR_CHANNEL_ID", "INTENT_HITS_FOR_CHANNEL_ID", "INTENT_SCORE_MEDIAN_FOR_CHANNEL_ID",
    "INTERACTION_COUNT_FOR_CHANNEL_ID", "INTERACTION_COUNT_INTERVAL_FOR_CHANNEL_ID",
    "INTERACTION_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID", "MESSAGE_COUNT_FOR_CHANNEL_ID",
    "MESSAGE_COUNT_INTERVAL_FOR_CHANNEL_ID", "MESSAGE_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID",
    "MESSAGE_LENGTH_MEDIAN_FOR_CHANNEL_ID", "CALL_DURATION_TOTAL", "CALL_DURATION_PERIODIC_TREND",
    "CALL_DURATION_MEDIAN", "CALL_EXIT_STEP", "CALL_USER_INPUTS_MEDIAN", "CALL_END_REASON",
    "CALL_TRANSFER_TARGET",
)
OVERVIEW_COMPONENTS = (
    "STEP_EXEC_COUNT", "CONVERSATION_COUNT", "CONVERSATION_COUNT_INTERVAL", "CONVERSATION_LANGUAGES",
    "CONVERSATION_BY_CHANNEL_TYPE", "CONVERSATION_COUNT_PERIODIC_TREND", "CONVERSATION_MESSAGE_COUNT_MEDIAN",
    "MESSAGE_COUNT", "MESSAGE_COUNT_INTERVAL", "MESSAGE_COUNT_PERIODIC_TREND", "MESSAGE_LENGTH_MEDIAN",
    "INTENT_HITS", "INTENT_SCORE_MEDIAN", "INTENT_COUNT", "INTERACTION_COUNT", "INTERACTION_COUNT_INTERVAL",
    "INTERACTION_COUNT_PERIODIC_TREND",
)
VOICE = ("voice", "audiocodes")
LANGUAGES = ("de", "en", "fr", "es", "it", "tr", "pl", "nl")
INTENTS = ("greeting", "opening_hours", "order_status", "cancel_order", "talk_to_human", "pricing",
           "reset_password", "delivery_time", "invoice_copy", "goodbye")
STEPS = ("Start", "Main menu", "Identify customer", "Answer FAQ", "Collect feedback", "Handover", "End")
HANDOVER = STEPS.index("Handover")
END_REASONS = ("hangup_user", "hangup_bot", "transfer", "timeout", "error")
TARGETS = ("+4930120000100", "+4930120000200", "sip:support@pbx.example.com")
MESSAGE_BINS = tuple(range(1, 41))  # messages per conversation
LENGTH_BINS = tuple(range(2, 402, 4))  # characters per message
SCORE_BINS = tuple(round(0.3 + 0.025 * i, 3) for i in range(29))  # intent confidence
CALL_BINS = tuple(range(10, 1210, 10))  # seconds per call
INPUT_BINS = tuple(range(0, 21))  # user inputs per call
BINS = {"messages": MESSAGE_BINS, "length": LENGTH_BINS, "score": SCORE_BINS, "calls": CALL_BINS,
        "inputs": tuple(i + 0.5 for i in INPUT_BINS)}
# Additive figures per channel and day; hourly values follow the conversations' hours.
ADDITIVE = ("conversations", "messages", "interactions", "steps", "intent_hits", "call_seconds")
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


_OFFICE = (0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 1.2, 2.6, 3.8, 4.0, 4.0, 3.8,
           3.4, 3.7, 3.9, 3.7, 3.0, 2.0, 1.2, 0.7, 0.4, 0.2, 0.1, 0.05)
_WEB = (0.4, 0.3, 0.25, 0.2, 0.25, 0.4, 0.8, 1.5, 2.6, 3.4, 3.8, 3.9,
        3.6, 3.7, 3.8, 3.6, 3.3, 2.9, 2.6, 2.5, 2.3, 1.8, 1.2, 0.7)
_CHAT = (0.9, 0.5, 0.3, 0.25, 0.3, 0.6, 1.3, 2.2, 2.8, 3.1, 3.2, 3.3,
         3.4, 3.2, 3.1, 3.1, 3.2, 3.4, 3.6, 3.8, 3.7, 3.0, 2.1, 1.4)
_MAIL = (0.8, 0.6, 0.5, 0.5, 0.6, 0.9, 1.6, 2.6, 3.2, 3.4, 3.3, 3.1,
         2.9, 3.0, 3.0, 2.9, 2.7, 2.3, 2.0, 1.8, 1.6, 1.4, 1.2, 1.0)
_BUSINESS_WEEK = (1.08, 1.1, 1.07, 1.05, 0.98, 0.62, 0.55)
KINDS = {
    "web": Kind(0.35, 1.0, _BUSINESS_WEEK, _WEB, (4, 8), (30, 60), (0.78, 0.9), (0.05, 0.09)),
    "meta-whatsapp": Kind(0.2, 0.8, (1.0, 1.0, 1.0, 1.0, 1.02, 0.9, 0.85), _CHAT, (5, 10), (20, 45), (0.76, 0.88), (0.05, 0.09)),
    "facebook": Kind(0.12, 0.45, (1.0, 1.0, 1.0, 1.0, 1.02, 0.88, 0.82), _CHAT, (4, 8), (20, 45), (0.76, 0.88), (0.04, 0.08)),
    "voice": Kind(0.12, 0.35, (1.15, 1.1, 1.08, 1.05, 1.0, 0.35, 0.15), _OFFICE, (6, 12), (25, 50), (0.7, 0.82), (0.12, 0.18)),
    "telegram": Kind(0.08, 0.3, (1.0, 1.0, 1.0, 1.0, 1.02, 0.9, 0.85), _CHAT, (5, 10), (20, 45), (0.76, 0.88), (0.03, 0.07)),
    "email": Kind(0.06, 0.25, (1.12, 1.08, 1.05, 1.03, 0.95, 0.4, 0.35), _MAIL, (2, 4), (150, 300), (0.8, 0.9), (0.1, 0.2)),
    "audiocodes": Kind(0.04, 0.35, (1.15, 1.1, 1.08, 1.05, 1.0, 0.35, 0.15), _OFFICE, (6, 12), (25, 50), (0.7, 0.82), (0.12, 0.18)),
    "brevo": Kind(0.03, 0.2, (1.12, 1.08, 1.05, 1.03, 0.95, 0.4, 0.35), _MAIL, (2, 5), (60, 150), (0.8, 0.9), (0.05, 0.1)),
}
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
        return [begins + (h + 1) * HOUR > self.created and (until is None or begins + h * HOUR < until)
                for h in range(24)]

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
        result.append(Channel(channel_id, LABELS.get(kind, kind.capitalize()), kind, "inactive" if inactive else "active",
                              number, created, updated, activity, languages, intents))
    ordered = sorted(result, key=lambda c: c.created)
    # Name channels like a person would: "Web", or "Web 2" for a second one of the same kind.
    seen: dict[str, int] = {}
    named = []
    for channel in ordered:
        seen[channel.name] = seen.get(channel.name, 0) + 1
        suffix = f" {seen[channel.name]}" if seen[channel.name] > 1 else ""
        named.append(replace(channel, name=channel.name + suffix))
    return tuple(named)


@lru_cache(maxsize=4096)
def _shape(bins: str, centre: float, spread: float) -> list[float]:
    """A histogram shape (``bell``) over one of the bin sets, for a centre rounded to 3 digits."""
    return bell(BINS[bins], centre, spread)


def _hour_weights(seed: int, channel: Channel, day: date) -> tuple[list[float], float]:
    """The day's traffic shape over its hours (zero where the channel did not serve), and the
    share of a full day's traffic those hours carry."""
    rng = keyed_random(seed, "chatcaptain", channel.id, "hours", day.toordinal())
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
    rng = keyed_random(seed, "chatcaptain", channel.id, "day", day.toordinal())
    uniform = rng.random
    # Base volume x ramp-up of a new channel x weekly cycle of its type x yearly trend x noise.
    expected = (traits.base * min(1.0, 0.15 + 0.85 * age / RAMP_DAYS) * kind.weekly[day.weekday()]
                * (1 + traits.trend) ** (age / 365.25) * rng.lognormvariate(0, 0.14) * share) if age >= 0 else 0.0
    conversations = count(expected, rng)
    low, high = kind.messages
    lengths = apportion(conversations, _shape("messages", round(low + (high - low) * uniform(), 2), 0.55))
    messages = round(total(MESSAGE_BINS, lengths))
    interactions = round(messages * (0.45 + 0.07 * uniform()))  # the user's turns, about half the messages
    intent_hits = round(interactions * (0.6 + 0.25 * uniform()))
    low, high = kind.handover
    handover = low + (high - low) * uniform()
    # Every conversation runs Start; most reach the menu and the end; FAQ answers follow user turns.
    by_step = [conversations, round(conversations * (0.6 + 0.2 * uniform())), round(conversations * (0.2 + 0.2 * uniform())),
               round(interactions * (0.3 + 0.15 * uniform())), round(conversations * (0.1 + 0.15 * uniform())),
               round(conversations * handover), round(conversations * (0.65 + 0.2 * uniform()))]
    figures: dict[str, Any] = {
        "conversations": conversations, "messages": messages, "interactions": interactions, "steps": sum(by_step),
        "intent_hits": intent_hits, "call_seconds": 0, "hist_messages": lengths, "by_step": by_step, "handover": handover,
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
    rng = keyed_random(seed, "chatcaptain", channel.id, "detail", day.toordinal())
    uniform = rng.random
    (length_low, length_high), (score_low, score_high) = kind.length, kind.score
    detail = {
        **figures,
        "hist_length": apportion(messages, _shape("length", round(length_low + (length_high - length_low) * uniform()), 0.7)),
        "hist_score": apportion(figures["intent_hits"], _shape("score", round(score_low + (score_high - score_low) * uniform(), 3), 0.12)),
        "by_intent": apportion(figures["intent_hits"], [w * (0.85 + 0.3 * uniform()) for w in channel.intents]),
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


@lru_cache(maxsize=65536)
def channel_hours(seed: int, channel: Channel, day: date, name: str) -> tuple[list[int], list[int]]:
    """One additive figure of the day split over its 24 hours (following the conversations'
    hours, adding up to the day total), and its running sums (25 values from 0)."""
    figures = channel_day(seed, channel, day)
    if name == "conversations":
        total_, weights = figures["conversations"], _hour_weights(seed, channel, day)[0]
        # Each hour's count scatters around its expected share like a Poisson count would, so a
        # quiet channel has hours of 0, 1 and 3 rather than a flat run of 1s.
        rng = keyed_random(seed, "chatcaptain", channel.id, "scatter", day.toordinal())
        scale = total_ / (sum(weights) or 1.0)
        noisy = [max(rng.gauss(w * scale, math.sqrt(w * scale)), 0.0) if w else 0.0 for w in weights]
        hours = apportion(total_, noisy if sum(noisy) > 0 else weights)
    else:
        hours = apportion(figures[name], channel_hours(seed, channel, day, "conversations")[0])
    return hours, _running(hours)


def _running(values: Sequence[int]) -> list[int]:
    sums, acc = [0], 0
    for value in values:
        acc += value
        sums.append(acc)
    return sums


class Piece(NamedTuple):
    """One channel's day inside a span: whole, or only its hours ``first``..``last``."""

    channel: int  # index into the span's channels
    day: date
    begins: datetime
    first: int
    last: int
    whole: bool


class Span:
    """The channels of one report and the figures they sum to over [start, end] (both inclusive).

    Data exists from the oldest kept day (five years before now) up to the last hour that began
    before now; each channel adds its own lifetime (creation, deactivation) through ``channel_day``.
    """

    def __init__(self, seed: int, now: datetime, channels: Sequence[Channel], start: datetime, end: datetime) -> None:
        self.seed, self.now, self.channels = seed, now, tuple(channels)
        self.start, self.end = start, end
        oldest = day_start(shift(now, -timedelta(days=HISTORY_DAYS)).date())
        self.lo, self.hi = max(start, oldest), min(end, shift(now, -MS))
        self._pieces: list[Piece] | None = None
        self._sums: dict[str, list[int]] = {}
        self._previous: Span | None = None
        self._stamps: dict[int, list[str]] = {}

    def pieces(self) -> list[Piece]:
        if self._pieces is not None:
            return self._pieces
        result: list[Piece] = []
        lo, hi = self.lo, self.hi
        for index, channel in enumerate(self.channels):
            if hi < lo:
                break
            day, last_day = max(lo.date(), channel.created.date()), hi.date()
            if channel.until is not None:
                last_day = min(last_day, channel.until.date())
            while day <= last_day:
                begins = day_start(day)
                first = 0 if lo <= begins else (lo - begins) // HOUR
                last = 23 if begins + 23 * HOUR <= hi else (hi - begins) // HOUR
                result.append(Piece(index, day, begins, first, last, first == 0 and last == 23))
                day += DAY
        self._pieces = result
        return result

    def previous(self) -> Span:
        """The equally long period that ends 1 ms before this one (for periodic trends)."""
        if self._previous is None:
            previous_to = shift(self.start, -MS)
            previous_from = shift(previous_to, -(self.end - self.start))
            self._previous = Span(self.seed, self.now, self.channels, previous_from, previous_to)
        return self._previous

    def _part(self, piece: Piece, name: str) -> int:
        """``name`` over the piece's hours."""
        if piece.whole:
            return channel_day(self.seed, self.channels[piece.channel], piece.day)[name]
        prefix = channel_hours(self.seed, self.channels[piece.channel], piece.day, name)[1]
        return prefix[piece.last + 1] - prefix[piece.first]

    def per_channel(self, name: str) -> list[int]:
        """``name`` summed over the span, per channel (in the order of ``channels``)."""
        if name not in self._sums:
            sums = [0] * len(self.channels)
            seed, channels = self.seed, self.channels
            for piece in self.pieces():
                if piece.whole:
                    sums[piece.channel] += channel_day(seed, channels[piece.channel], piece.day)[name]
                else:
                    sums[piece.channel] += self._part(piece, name)
            self._sums[name] = sums
        return self._sums[name]

    def sum(self, name: str) -> int:
        return sum(self.per_channel(name))

    def vector(self, name: str, base: str, voice_only: bool = False) -> list[int]:
        """A per-day vector (languages, intents, a histogram) summed over the span; a partial day's
        vector is rescaled to its in-range ``base`` figure, so the vector adds up like the totals."""
        parts = []
        seed, channels = self.seed, self.channels
        for piece in self.pieces():
            channel = channels[piece.channel]
            if voice_only and not channel.voice:
                continue
            figures = channel_detail(seed, channel, piece.day)
            values = figures.get(name)
            if values is None or not figures[base]:
                continue
            parts.append(values if piece.whole else apportion(self._part(piece, base), values))
        return [sum(column) for column in zip(*parts)]

    def series(self, name: str, interval: int) -> list[dict[str, Any]]:
        """One point per ``interval`` seconds from ``start`` to ``end``, zero where nothing happened;
        each hour counts in the bucket holding its start (the first bucket, if it began before)."""
        start, width = self.start, timedelta(seconds=interval)
        stamps = self.stamps(interval)
        values = [0] * len(stamps)
        seed, channels = self.seed, self.channels
        for piece in self.pieces():
            channel = channels[piece.channel]
            day_total = channel_day(seed, channel, piece.day)[name]
            if not day_total:
                continue
            begins = piece.begins
            if piece.whole and interval == 86400:
                # A whole day falls into at most two buckets: split it at the bucket boundary.
                index = (begins - start) // width
                cut = min(-((begins - start - (index + 1) * width) // HOUR), 24)
                if cut == 24:
                    values[index] += day_total
                else:
                    before = channel_hours(seed, channel, piece.day, name)[1][cut]
                    values[index] += before
                    values[index + 1] += day_total - before
            elif piece.whole and interval == 3600:
                index = (begins - start) // HOUR
                values[index:index + 24] = map(add, values[index:index + 24], channel_hours(seed, channel, piece.day, name)[0])
            else:
                hours = channel_hours(seed, channel, piece.day, name)[0]
                for hour in range(piece.first, piece.last + 1):
                    if hours[hour]:
                        values[(max(begins + hour * HOUR, start) - start) // width] += hours[hour]
        return [{"date": d, "value": v} for d, v in zip(stamps, values)]

    def check_size(self, interval: int) -> int:
        """The number of points of a series over the span; a 400 naming the limit when too many."""
        width = timedelta(seconds=interval)
        points = (self.end - self.start) // width + 1
        check_size(self.start, self.start + (points - 1) * width, "hour" if interval == 3600 else "day")
        return points

    def stamps(self, interval: int) -> list[str]:
        """The series' bucket starts as ISO strings (computed once for all series of a report)."""
        if interval not in self._stamps:
            points, start, width = self.check_size(interval), self.start, timedelta(seconds=interval)
            # Buckets are whole hours apart: only the date and the hour change from one to the next.
            tail = iso_ms(start)[13:]
            dates: dict[date, str] = {}
            stamps = []
            for i in range(points):
                moment = start + i * width
                day = moment.date()
                text = dates.get(day)
                if text is None:
                    text = dates[day] = iso_ms(moment)[:11]
                stamps.append(f"{text}{moment.hour:02d}{tail}")
            self._stamps[interval] = stamps
        return self._stamps[interval]


# NestJS's HttpException names (not Python's phrases: 413 is "Payload Too Large" there).
PHRASES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           413: "Payload Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests", 500: "Internal Server Error"}


class ChatCaptain(Profile):
    name = "chatcaptain"
    title = "ChatCaptain Statistics API"
    spec_file = "chatcaptain.yaml"

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        # NestJS's default exception body.
        phrase = PHRASES.get(problem.status) or HTTPStatus(problem.status).phrase
        return {"statusCode": problem.status, "message": problem.message, "error": phrase}

    def entities(self, seed: int) -> dict[str, Any]:
        example = "6790b2f1c2a4e5d3f8a1b234"
        return {
            "chatbots": "Any chatbotId is a chatbot: its 2-5 channels follow from the seed and the id "
                        "(GET /v1/chatbots/{chatbotId}/statistics/channels lists them).",
            "channelTypes": list(KINDS),
            "voiceChannelTypes": list(VOICE),
            "example": {"chatbotId": example, "channels": [c.public() for c in channels_of(seed, example)]},
            "languages": list(LANGUAGES),
            "intents": list(INTENTS),
            "steps": [{"stepId": _step_id(i), "stepName": name} for i, name in enumerate(STEPS)],
            "callEndReasons": list(END_REASONS),
            "callTransferTargets": list(TARGETS),
        }

    @handles("StatisticsController_getChannels")
    def channels(self, call: Call) -> Any:
        return {"data": [c.public() for c in channels_of(call.seed, call.params["chatbotId"])]}

    @handles("StatisticsController_getChannelReport")
    def channel_report(self, call: Call) -> Any:
        start, end = _timeframe(call)
        chatbot, wanted = call.params["chatbotId"], call.params["channelId"]
        found = [c for c in channels_of(call.seed, chatbot) if c.id == wanted]
        if not found:
            known = ", ".join(c.id for c in channels_of(call.seed, chatbot))
            raise Problem(NOT_FOUND, f"Channel {shorten(wanted)} not found for chatbot {shorten(chatbot)}; its channels "
                          f"are: {known}.", "query", "channelId")
        return _report(call, found, CHANNEL_COMPONENTS, {"channelId": wanted}, start, end)

    @handles("StatisticsController_getOverviewReport")
    def overview_report(self, call: Call) -> Any:
        start, end = _timeframe(call)
        return _report(call, channels_of(call.seed, call.params["chatbotId"]), OVERVIEW_COMPONENTS, {}, start, end)

    @handles("StatisticsController_getInboxStatistics")
    def inbox(self, call: Call) -> Any:
        start, end = _timeframe(call)
        chatbot = call.params["chatbotId"]
        span = Span(call.seed, call.now, channels_of(call.seed, chatbot), start, end)
        steps = span.vector("by_step", "steps")
        handed = steps[HANDOVER] if steps else 0  # the conversations that reached the Handover step
        rng = keyed_random(call.seed, "chatcaptain", chatbot, "inbox", call.request_key)
        recent = 1.0 if span.hi >= call.now - timedelta(days=2) else 0.0
        closed, pending, open_ = apportion(handed, [0.8, 0.08 * recent + 1e-9, 0.12 * recent + 1e-9])
        assigned = closed + pending + round(open_ * 0.6)
        names = ("Anna Schmidt", "Jonas Weber", "Lea Fischer", "Mehmet Kaya", "Sofia Rossi", "Tom Becker")
        agents = names[: 3 + keyed_random(call.seed, "chatcaptain", chatbot, "agents").randint(0, 3)]
        shares = apportion(assigned, [1 / (i + 1) ** 0.4 for i in range(len(agents))])
        closed_by = apportion(closed, shares)
        agent_rows = [
            {"agentId": object_id(call.seed, chatbot, name), "name": name, "assigned": n, "closed": c,
             "messagesSent": round(n * rng.uniform(4, 9)), "firstResponseTimeMedianSeconds": round(rng.uniform(30, 400), 1)}
            for name, n, c in zip(agents, shares, closed_by) if n
        ]
        return {
            "chatbotId": chatbot, "from": call.params["from"], "to": call.params["to"],
            "conversations": {"total": handed, "open": open_, "pending": pending, "closed": closed,
                              "assigned": assigned, "unassigned": handed - assigned},
            "firstResponseTimeMedianSeconds": round(rng.uniform(45, 300), 1) if assigned else None,
            "resolutionTimeMedianSeconds": round(rng.uniform(600, 7200), 1) if closed else None,
            "agents": agent_rows,
        }

    @handles("StatisticsController_createExport")
    def create_export(self, call: Call) -> Any:
        start, end = _timeframe(call)
        Span(call.seed, call.now, (), start, end).check_size(86400)  # the file has a row per day and channel
        params = {"from": call.params["from"], "to": call.params["to"]}
        job = call.create_job("export", call.params["chatbotId"], params)
        return Reply({"id": job.id, "status": "queued", "createdAt": iso_ms(call.job_time(job.created))}, 202)

    @handles("StatisticsController_getExportStatus")
    def export_status(self, call: Call) -> Any:
        chatbot, export_id = call.params["chatbotId"], call.params["exportId"]
        job = call.job(export_id)
        if job is None or job.owner != chatbot:
            raise Problem(NOT_FOUND, f"Export {shorten(export_id)} not found for chatbot {shorten(chatbot)}.", "path", "exportId")
        status, progress = job.state(call.wall)
        body: dict[str, Any] = {"id": job.id, "status": status, "progress": progress,
                                "createdAt": iso_ms(call.job_time(job.created))}
        headers = {}
        if status == "completed":
            body["downloadUrl"], expires = call.download_url(job)
            body["expiresAt"] = iso_ms(expires)
        elif status == "failed":
            body["error"] = "The export could not be generated: the statistics backend timed out. Create a new export."
        else:
            headers["Retry-After"] = job.retry_after(call.wall)
        return Reply(body, 200, headers)

    def download(self, job: Job, seed: int, now: datetime) -> tuple[bytes, str, str]:
        """The export as CSV: one row per day (from the export's ``from``) and channel."""
        start, end = parse_instant(job.params["from"]), parse_instant(job.params["to"])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["date", "channelId", "channelName", "channelType", "conversations", "messages", "interactions"])
        for channel in channels_of(seed, job.owner):
            span = Span(seed, now, [channel], start, max(start, end))
            columns = [span.series(name, 86400) for name in ("conversations", "messages", "interactions")]
            for points in zip(*columns):
                writer.writerow([points[0]["date"], channel.id, channel.name, channel.type, *(p["value"] for p in points)])
        return out.getvalue().encode(), "text/csv; charset=utf-8", f"statistics-export-{job.id}.csv"


def _timeframe(call: Call) -> tuple[datetime, datetime]:
    """``from`` and ``to`` as UTC instants; a 400 naming both when ``to`` is before ``from``."""
    start, end = call.instant("from"), call.instant("to")
    sent_from, sent_to = str(call.params["from"]), str(call.params["to"])
    try:  # compare as sent: clamping at the ends of the calendar must not reorder them
        reversed_ = _as_sent(sent_to) < _as_sent(sent_from)
    except (TypeError, ValueError, OverflowError):
        reversed_ = end < start
    if reversed_:
        raise Problem(INVALID_PARAMETER, f"Invalid timeframe: 'to' ({shorten(sent_to)}) is before 'from' "
                      f"({shorten(sent_from)}); send a 'to' at or after 'from'.", "query", "to")
    return start, max(start, end)


def _as_sent(value: str) -> datetime:
    return datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value)


def _report(call: Call, channels: Sequence[Channel], names: tuple[str, ...], extra: dict[str, Any],
            start: datetime, end: datetime) -> dict[str, Any]:
    interval = int(call.params["interval"])
    span = Span(call.seed, call.now, channels, start, end)
    wanted = sorted({int(i) for i in str(call.params["components"]).split(",")})
    if any(names[i].removesuffix("_FOR_CHANNEL_ID").endswith("_INTERVAL") for i in wanted):
        span.check_size(interval)  # refuse before computing anything
    components = {names[i]: _component(names[i], span, interval) for i in wanted}
    return {"chatbotId": call.params["chatbotId"], **extra, "from": call.params["from"], "to": call.params["to"],
            "interval": interval, "components": components}


def _component(name: str, span: Span, interval: int) -> Any:
    kind = name.removesuffix("_FOR_CHANNEL_ID")
    figure = {"CONVERSATION": "conversations", "MESSAGE": "messages", "INTERACTION": "interactions", "CALL": "call_seconds"}
    subject = kind.split("_")[0]
    if kind.endswith("_COUNT_INTERVAL"):
        return {"interval": interval, "series": span.series(figure[subject], interval)}
    if kind.endswith("_PERIODIC_TREND"):
        return _trend(span, figure[subject])
    builders: dict[str, Callable[[], Any]] = {
        "CONVERSATION_COUNT": lambda: {"total": span.sum("conversations")},
        "MESSAGE_COUNT": lambda: {"total": span.sum("messages")},
        "INTERACTION_COUNT": lambda: {"total": span.sum("interactions")},
        "STEP_EXEC_COUNT": lambda: _steps(span.vector("by_step", "steps")),
        "CONVERSATION_LANGUAGES": lambda: _ranked(LANGUAGES, span.vector("by_language", "conversations"), "language", "count"),
        "CONVERSATION_MESSAGE_COUNT_MEDIAN": lambda: {"median": _median(MESSAGE_BINS, span.vector("hist_messages", "conversations"))},
        "MESSAGE_LENGTH_MEDIAN": lambda: {"median": _median(LENGTH_BINS, span.vector("hist_length", "messages"))},
        "INTENT_HITS": lambda: _ranked(INTENTS, span.vector("by_intent", "intent_hits"), "intent", "hits"),
        "INTENT_COUNT": lambda: {"total": sum(1 for v in span.vector("by_intent", "intent_hits") if v)},
        "INTENT_SCORE_MEDIAN": lambda: {"median": _median(SCORE_BINS, span.vector("hist_score", "intent_hits"), 4)},
        "CONVERSATION_BY_CHANNEL_TYPE": lambda: _by_type(span),
        "CALL_DURATION_TOTAL": lambda: {"totalSeconds": span.sum("call_seconds")},
        "CALL_DURATION_MEDIAN": lambda: {"medianSeconds": _median(CALL_BINS, span.vector("hist_calls", "conversations", True))},
        "CALL_USER_INPUTS_MEDIAN": lambda: {"median": _median(INPUT_BINS, span.vector("hist_inputs", "conversations", True))},
        "CALL_EXIT_STEP": lambda: _steps(span.vector("by_exit", "conversations", True))["steps"],
        "CALL_END_REASON": lambda: _ranked(END_REASONS, span.vector("by_reason", "conversations", True), "reason", "count"),
        "CALL_TRANSFER_TARGET": lambda: _transfer_targets(span),
    }
    return builders[kind]()


def _trend(span: Span, figure: str) -> dict[str, Any]:
    """The span's figure against the equally long period that ends 1 ms before it."""
    before = span.previous()
    current, previous = span.sum(figure), before.sum(figure)
    return {"current": current, "previous": previous,
            "changePercent": round((current - previous) / previous * 100, 2) if previous else None,
            "previousFrom": iso_ms(before.start), "previousTo": iso_ms(before.end)}


def _median(values: Sequence[float], histogram: Sequence[int], digits: int | None = None) -> float | None:
    """The median as a JSON float (``8.0``, never ``8``), or None when there is nothing to take it of."""
    found = median(values, histogram)
    if found is None:
        return None
    return float(found) if digits is None else round(float(found), digits)


def _ranked(keys: Sequence[str], counts: Sequence[int], key: str, value: str) -> list[dict[str, Any]]:
    rows = [{key: k, value: n} for k, n in zip(keys, counts) if n]
    return sorted(rows, key=lambda r: -r[value])


def _step_id(index: int) -> str:
    return f"step_{index + 1:02d}"


def _steps(counts: Sequence[int]) -> dict[str, Any]:
    steps = [{"stepId": _step_id(i), "stepName": STEPS[i], "count": n} for i, n in enumerate(counts) if n]
    return {"total": sum(counts), "steps": sorted(steps, key=lambda s: -s["count"])}


def _by_type(span: Span) -> list[dict[str, Any]]:
    totals: dict[str, int] = {}
    for channel, n in zip(span.channels, span.per_channel("conversations")):
        totals[channel.type] = totals.get(channel.type, 0) + n
    return sorted(({"channelType": t, "count": n} for t, n in totals.items() if n), key=lambda r: -r["count"])


def _transfer_targets(span: Span) -> list[dict[str, Any]]:
    reasons = span.vector("by_reason", "conversations", True)
    targets = span.vector("by_target", "conversations", True)
    if targets and reasons:
        # by_target splits the transfers; keep it adding up to the range's transfers.
        targets = apportion(reasons[END_REASONS.index("transfer")], targets)
    return _ranked(TARGETS, targets, "target", "count")
