"""The components of a report, by the ids the vendor numbers them with: totals, series, trends,
medians and rankings, each built from the report's span."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mockserver.profiles.base import Call
from mockserver.profiles.chatcaptain.channels import INTENTS, LANGUAGES, STEPS, Channel
from mockserver.profiles.chatcaptain.days import (
    CALL_BINS,
    END_REASONS,
    INPUT_BINS,
    LENGTH_BINS,
    MESSAGE_BINS,
    SCORE_BINS,
    TARGETS,
)
from mockserver.profiles.chatcaptain.spans import Span, report_clock
from mockserver.synth.apportion import apportion
from mockserver.synth.histogram import median
from mockserver.timeutil import iso_ms

# Component ids as the vendor numbers them, per report.
CHANNEL_COMPONENTS = (
    "STEP_EXEC_COUNT_FOR_CHANNEL_ID",
    "CONVERSATION_COUNT_FOR_CHANNEL_ID",
    "CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID",
    "CONVERSATION_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID",
    "CONVERSATION_LANGUAGES_FOR_CHANNEL_ID",
    "CONVERSATION_MESSAGE_COUNT_MEDIAN_FOR_CHANNEL_ID",
    "INTENT_COUNT_FOR_CHANNEL_ID",
    "INTENT_HITS_FOR_CHANNEL_ID",
    "INTENT_SCORE_MEDIAN_FOR_CHANNEL_ID",
    "INTERACTION_COUNT_FOR_CHANNEL_ID",
    "INTERACTION_COUNT_INTERVAL_FOR_CHANNEL_ID",
    "INTERACTION_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID",
    "MESSAGE_COUNT_FOR_CHANNEL_ID",
    "MESSAGE_COUNT_INTERVAL_FOR_CHANNEL_ID",
    "MESSAGE_COUNT_PERIODIC_TREND_FOR_CHANNEL_ID",
    "MESSAGE_LENGTH_MEDIAN_FOR_CHANNEL_ID",
    "CALL_DURATION_TOTAL",
    "CALL_DURATION_PERIODIC_TREND",
    "CALL_DURATION_MEDIAN",
    "CALL_EXIT_STEP",
    "CALL_USER_INPUTS_MEDIAN",
    "CALL_END_REASON",
    "CALL_TRANSFER_TARGET",
)
OVERVIEW_COMPONENTS = (
    "STEP_EXEC_COUNT",
    "CONVERSATION_COUNT",
    "CONVERSATION_COUNT_INTERVAL",
    "CONVERSATION_LANGUAGES",
    "CONVERSATION_BY_CHANNEL_TYPE",
    "CONVERSATION_COUNT_PERIODIC_TREND",
    "CONVERSATION_MESSAGE_COUNT_MEDIAN",
    "MESSAGE_COUNT",
    "MESSAGE_COUNT_INTERVAL",
    "MESSAGE_COUNT_PERIODIC_TREND",
    "MESSAGE_LENGTH_MEDIAN",
    "INTENT_HITS",
    "INTENT_SCORE_MEDIAN",
    "INTENT_COUNT",
    "INTERACTION_COUNT",
    "INTERACTION_COUNT_INTERVAL",
    "INTERACTION_COUNT_PERIODIC_TREND",
)


def report(
    call: Call, channels: Sequence[Channel], names: tuple[str, ...], extra: dict[str, Any], start: datetime, end: datetime
) -> dict[str, Any]:
    interval = int(call.params["interval"])
    span = Span(call.seed, report_clock(call, start, end), channels, start, end)
    wanted = sorted({int(i) for i in str(call.params["components"]).split(",")})
    if any(names[i].removesuffix("_FOR_CHANNEL_ID").endswith("_INTERVAL") for i in wanted):
        span.check_size(interval)  # refuse before computing anything
    components = {names[i]: _component(names[i], span, interval) for i in wanted}
    return {
        "chatbotId": call.params["chatbotId"],
        **extra,
        "from": call.params["from"],
        "to": call.params["to"],
        "interval": interval,
        "components": components,
    }


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
        "CONVERSATION_MESSAGE_COUNT_MEDIAN": lambda: {
            "median": _median(MESSAGE_BINS, span.vector("hist_messages", "conversations"))
        },
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
    return {
        "current": current,
        "previous": previous,
        "changePercent": round((current - previous) / previous * 100, 2) if previous else None,
        "previousFrom": iso_ms(before.start),
        "previousTo": iso_ms(before.end),
    }


def _median(values: Sequence[float], histogram: Sequence[int], digits: int | None = None) -> float | None:
    """The median as a JSON float (``8.0``, never ``8``), or None when there is nothing to take it of."""
    found = median(values, histogram)
    if found is None:
        return None
    return float(found) if digits is None else round(float(found), digits)


def _ranked(keys: Sequence[str], counts: Sequence[int], key: str, value: str) -> list[dict[str, Any]]:
    rows = [{key: k, value: n} for k, n in zip(keys, counts) if n]
    return sorted(rows, key=lambda r: -r[value])


def step_id(index: int) -> str:
    return f"step_{index + 1:02d}"


def _steps(counts: Sequence[int]) -> dict[str, Any]:
    steps = [{"stepId": step_id(i), "stepName": STEPS[i], "count": n} for i, n in enumerate(counts) if n]
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
