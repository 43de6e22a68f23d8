"""One day of the license: its conversations per kind, over the 24 UTC hours, the 7 sources and
the stories.

Each kind's count is split over the 24 hours (the day's diurnal curve), over the 7 sources, and
each source's count over the stories. A source's hours are cut out of the day's hours and a
story's hours out of its source's hours (``carve``), so every part adds up to its whole in both
directions: hours to days, stories to sources, sources to the license.

Every count is a pure function of (seed, day) and is cached per day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache

import numpy as np

from mockserver.generation.rng import CounterStream, counter_words, derive, unit
from mockserver.profiles.chatbotcom.licenses import (
    FIGURES,
    KINDS,
    NO_HOURS,
    SOURCE_PAID,
    SOURCE_WEIGHTS,
    SOURCES,
    Counts,
    Hours,
    License,
    weigh_hours,
)
from mockserver.profiles.chatbotcom.splits import carve, carve_all, spread
from mockserver.synth.timeline import HOUR_MS, Span, in_range, to_ms

_PAID_KINDS = sum(1 for paid, _ in KINDS if paid)
_NO_KINDS = (0,) * len(KINDS)


@lru_cache(maxsize=8192)
def _day(lic: License, ordinal: int) -> tuple[Counts, tuple[float, ...]]:
    """The day's conversations per kind, and the phases that cut the kinds' hours."""
    total = lic.activity.conversations(date.fromordinal(ordinal))
    if total == 0:
        return _NO_KINDS, ()
    rng = CounterStream(derive(lic.seed, "chatbotcom", "day"), ordinal)
    share = min(max(lic.paid_share + rng.gauss(0, 0.025), 0.05), 0.95)
    paid, free = spread(total, (share, 1 - share), rng.random())
    mix = [length * rng.uniform(0.85, 1.15) for length in lic.lengths]
    kinds = (*spread(paid, mix, rng.random()), *spread(free, mix, rng.random()))
    return kinds, tuple(rng.random() for _ in range(len(KINDS)))


def day_kinds(lic: License, ordinal: int) -> Counts:
    """The day's conversations per kind."""
    return _day(lic, ordinal)[0]


@lru_cache(maxsize=8192)
def day_figures(lic: License, ordinal: int) -> tuple[int, ...]:
    """(conversations, paid, messages) of the whole day."""
    kinds = day_kinds(lic, ordinal)
    return tuple(sum(w * n for w, n in zip(weights, kinds)) for weights in FIGURES.values())


@lru_cache(maxsize=8192)
def _paid_hours(lic: License, ordinal: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """All conversations over the 24 UTC hours (the license's diurnal curve), and the paid ones."""
    kinds, phases = _day(lic, ordinal)
    if not phases:
        return NO_HOURS, NO_HOURS
    everyone = tuple(lic.activity.hours(date.fromordinal(ordinal), sum(kinds)))
    return everyone, tuple(carve(sum(kinds[:_PAID_KINDS]), everyone, phases[0]))


@lru_cache(maxsize=4096)
def day_hours(lic: License, ordinal: int) -> Hours:
    """Each kind's conversations over the 24 hours: cut out of the paid and the other hours."""
    kinds, phases = _day(lic, ordinal)
    if not phases:
        return (NO_HOURS,) * len(KINDS)
    everyone, paid = _paid_hours(lic, ordinal)
    free = [a - b for a, b in zip(everyone, paid)]
    return (
        *carve_all(paid, kinds[:_PAID_KINDS], phases[1:_PAID_KINDS]),
        *carve_all(free, kinds[_PAID_KINDS:], phases[_PAID_KINDS:]),
    )


@lru_cache(maxsize=8192)
def hour_figure(lic: License, ordinal: int, figure: int) -> tuple[int, ...]:
    """One figure (an index into ``FIGURES``) over the 24 hours of the day."""
    if figure < 2:  # conversations and paid conversations are cut first, the lengths after
        return _paid_hours(lic, ordinal)[figure]
    return tuple(weigh_hours(day_hours(lic, ordinal), FIGURES["messages"]))


@lru_cache(maxsize=4096)
def source_kinds(lic: License, ordinal: int) -> tuple[Counts, ...]:
    """Per source (in ``SOURCES`` order), its conversations per kind."""
    kinds = day_kinds(lic, ordinal)
    rng = CounterStream(derive(lic.seed, "chatbotcom", "sources"), ordinal)
    mix = [w * rng.uniform(0.8, 1.2) for w in SOURCE_WEIGHTS]
    per_kind = []
    for (is_paid, _), n in zip(KINDS, kinds):
        weights = [m * (p if is_paid else 1.0) for m, p in zip(mix, SOURCE_PAID)]
        per_kind.append(spread(n, weights, rng.random()))
    return tuple(tuple(column) for column in zip(*per_kind))


@lru_cache(maxsize=2048)
def cell_kinds(lic: License, ordinal: int) -> tuple[tuple[Counts, ...], ...]:
    """Per source, per story (in the license's order), its conversations per kind."""
    sources = source_kinds(lic, ordinal)
    rng = CounterStream(derive(lic.seed, "chatbotcom", "stories"), ordinal)
    mix = [story.weight * rng.uniform(0.7, 1.3) for story in lic.stories]
    weights = [[m * story.lengths[length] for m, story in zip(mix, lic.stories)] for _, length in KINDS]
    result = []
    for kinds in sources:
        per_kind = [spread(n, weights[k], rng.random()) for k, n in enumerate(kinds)]
        result.append(tuple(tuple(column) for column in zip(*per_kind)))
    return tuple(result)


@lru_cache(maxsize=1024)
def source_hours(lic: License, ordinal: int) -> tuple[Hours, ...]:
    """Per source, each kind's hours: cut out of the day's hours of that kind."""
    hours, sources = day_hours(lic, ordinal), source_kinds(lic, ordinal)
    rng = CounterStream(derive(lic.seed, "chatbotcom", "source-hours"), ordinal)
    per_kind = [carve_all(hours[k], [s[k] for s in sources], [rng.random() for _ in sources]) for k in range(len(KINDS))]
    return tuple(tuple(per_kind[k][s] for k in range(len(KINDS))) for s in range(len(SOURCES)))


@lru_cache(maxsize=512)
def cell_hours(lic: License, ordinal: int) -> tuple[tuple[Hours, ...], ...]:
    """Per source, per story, each kind's hours: cut out of the source's hours of that kind."""
    sources, cells = source_hours(lic, ordinal), cell_kinds(lic, ordinal)
    rng = CounterStream(derive(lic.seed, "chatbotcom", "story-hours"), ordinal)
    result = []
    for hours, stories in zip(sources, cells):
        per_kind = [carve_all(hours[k], [s[k] for s in stories], [rng.random() for _ in stories]) for k in range(len(KINDS))]
        result.append(tuple(tuple(per_kind[k][t] for k in range(len(KINDS))) for t in range(len(stories))))
    return tuple(result)


@lru_cache(maxsize=256)
def hour_events(lic: License, ordinal: int, hour: int) -> tuple[np.ndarray, np.ndarray, tuple[tuple[int, int], ...]]:
    """The conversations of one hour of the day, each at a millisecond: their offsets into the hour
    (sorted), each one's cell (an index into the third value: (source, story) pairs, then kind),
    and the cells. Only an hour that a range or now cuts needs them."""
    table = cell_hours(lic, ordinal)
    cells = tuple((source, story) for source, stories in enumerate(table) for story in range(len(stories)))
    counts = [table[s][t][k][hour] for s, t in cells for k in range(len(KINDS))]
    total = sum(counts)
    words = counter_words(derive(lic.seed, "chatbotcom", "hour-events"), ordinal * 24 + hour, 2 * total)
    offsets = np.sort((unit(words[:total]) * HOUR_MS).astype(np.int64))
    labels = np.repeat(np.arange(len(counts)), counts)[np.argsort(words[total:], kind="stable")]
    return offsets, labels, cells


def cut_kinds(
    lic: License, ordinal: int, hour: int, low: int, high: int, members: Sequence[Sequence[tuple[int, int | None]]]
) -> list[Counts]:
    """Per key (its members: (source or -1 for all, story or None for all) pairs), its
    conversations per kind that start in [low, high] (ms into the hour)."""
    offsets, labels, cells = hour_events(lic, ordinal, hour)
    inside = np.bincount(labels[in_range(offsets, low, high)], minlength=len(cells) * len(KINDS))
    per_cell = inside.reshape(len(cells), len(KINDS)).tolist()
    result = []
    for key in members:
        sums = [0] * len(KINDS)
        for index, (source, story) in enumerate(cells):
            if any(s in (-1, source) and t in (None, story) for s, t in key):
                sums = [a + b for a, b in zip(sums, per_cell[index])]
        result.append(tuple(sums))
    return result


def cut_hours(
    lic: License, ordinal: int, low: datetime, high: datetime, members: Sequence[Sequence[tuple[int, int | None]]]
) -> dict[int, list[Counts]]:
    """The hours of a day that [low, high] cuts (at most its first and its last), each with its
    conversations per kind and key inside the range: the rest of an hour has not happened yet, or
    is outside the range."""
    first, last = Span(to_ms(low), to_ms(high)).within(ordinal)  # ms into the day
    found = {}
    for hour in {first // HOUR_MS, last // HOUR_MS}:
        begins = hour * HOUR_MS
        lo, hi = max(first, begins) - begins, min(last, begins + HOUR_MS - 1) - begins
        if (lo, hi) != (0, HOUR_MS - 1) and lo <= hi:
            found[hour] = cut_kinds(lic, ordinal, hour, lo, hi, members)
    return found
