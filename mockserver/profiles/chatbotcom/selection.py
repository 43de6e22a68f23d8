"""What a request selects: the cells (sources, stories) it counts, the group each belongs to,
and their counts on a day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mockserver.profiles.chatbotcom.days import cell_hours, cell_kinds, day_hours, day_kinds, source_hours, source_kinds
from mockserver.profiles.chatbotcom.licenses import KINDS, NO_HOURS, SOURCES, Counts, Hours, License


@dataclass(frozen=True)
class Selection:
    """The cells a request counts, and the group each belongs to.

    ``keys`` are the group values the answer lists (``[None]`` without ``group``); ``members``
    gives, per key, the (source index, story index or None) pairs it adds up. A story index of
    None means the whole source (the request does not look at stories).
    """

    keys: tuple[str | None, ...]
    members: tuple[tuple[tuple[int, int | None], ...], ...]
    level: int  # 0: the whole license, 1: sources, 2: stories

    @classmethod
    def of(cls, lic: License, group: str | None, sources: Sequence[str], stories: Sequence[str]) -> Selection:
        wanted_sources = [i for i, s in enumerate(SOURCES) if not sources or s in sources]
        named_stories = sorted({s.lower() for s in stories})
        index = {story.id: i for i, story in enumerate(lic.stories)}
        wanted_stories = [index[s] for s in named_stories if s in index] if stories else list(range(len(lic.stories)))
        level = 2 if stories or group == "storyId" else 1 if sources or group == "source" else 0
        if level == 0:
            return cls((None,), (((-1, None),),), 0)

        def cells(source_ids: Sequence[int], story_ids: Sequence[int]) -> tuple[tuple[int, int | None], ...]:
            if level == 1:
                return tuple((s, None) for s in source_ids)
            return tuple((s, t) for s in source_ids for t in story_ids)

        if group == "source":
            keys = sorted(set(sources)) if sources else sorted(SOURCES)
            return cls(tuple(keys), tuple(cells([SOURCES.index(k)], wanted_stories) for k in keys), level)
        if group == "storyId":
            keys = named_stories if stories else sorted(story.id for story in lic.stories)
            return cls(tuple(keys), tuple(cells(wanted_sources, [index[k]] if k in index else []) for k in keys), level)
        return cls((None,), (cells(wanted_sources, wanted_stories),), level)


def kinds_on(lic: License, ordinal: int, selection: Selection) -> list[Counts]:
    """Per key of ``selection``, its conversations per kind on the day."""
    if selection.level == 0:
        return [day_kinds(lic, ordinal)]
    table = source_kinds(lic, ordinal) if selection.level == 1 else cell_kinds(lic, ordinal)
    result = []
    for members in selection.members:
        sums = [0] * len(KINDS)
        for source, story in members:
            counts: Any = table[source] if story is None else table[source][story]
            for k, n in enumerate(counts):
                sums[k] += n
        result.append(tuple(sums))
    return result


def hours_on(lic: License, ordinal: int, selection: Selection) -> list[Hours]:
    """Per key of ``selection``, each kind's conversations over the day's 24 hours."""
    if selection.level == 0:
        return [day_hours(lic, ordinal)]
    if not any(selection.members):  # only story ids the license does not have
        return [(NO_HOURS,) * len(KINDS) for _ in selection.members]
    table = source_hours(lic, ordinal) if selection.level == 1 else cell_hours(lic, ordinal)
    result = []
    for members in selection.members:
        sums = [[0] * 24 for _ in KINDS]
        for source, story in members:
            kinds: Any = table[source] if story is None else table[source][story]
            for row, hours in zip(sums, kinds):
                for h, n in enumerate(hours):
                    if n:
                        row[h] += n
        result.append(tuple(tuple(row) for row in sums))
    return result


def as_list(value: Any) -> list[str]:
    return [] if value is None else list(value) if isinstance(value, list) else [value]
