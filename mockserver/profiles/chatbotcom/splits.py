"""Exact splits of a count: in proportion to weights (``spread``), or cut out of what a parent
holds, never above it (``carve``, ``carve_all``). Every split adds up to its total."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate

from mockserver.profiles.chatbotcom.licenses import NO_HOURS

_GRAIN = 1 << 20  # resolution of a split's phase
_FEW = 4  # up to this many items, a split places them one by one


def spread(total: int, weights: Sequence[float], phase: float) -> list[int]:
    """``total`` split in proportion to ``weights`` by cutting the running sum at ``phase`` + k.

    The parts add up to ``total`` exactly and each is its exact share rounded down or up; a small
    total lands where the weights are, at places the keyed ``phase`` (0 <= phase < 1) chooses, as
    a sample would, instead of always on the heaviest part.
    """
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    scale = total / weight_sum
    phase = min(phase, 0.999999)  # float error must not push a cut past the total
    if total <= _FEW:  # the same cuts, item by item: item k goes where the running cut reaches k
        parts = [0] * len(weights)
        running = [w * scale + phase for w in accumulate(weights)]
        last = len(weights) - 1
        for k in range(1, total + 1):
            parts[min(bisect_left(running, k), last)] += 1
        return parts
    cuts = [int(running * scale + phase) for running in accumulate(weights)]
    cuts[-1] = total
    return [b - a for a, b in zip((0, *cuts), cuts)]


def carve(total: int, capacity: Sequence[int], phase: float) -> list[int]:
    """``total`` (at most ``sum(capacity)``) split in proportion to ``capacity``, never above it.

    Exact integer arithmetic: part ``i`` is ``floor(total * C_i / size + phase)`` minus the same
    for ``i - 1`` (``C_i`` the running capacity), so it is its share rounded down or up, and a share
    is at most its capacity. Cutting children out of what is left of their parent this way makes
    them add up to the parent in both directions. A small total is placed item by item (item
    ``k`` goes where that running cut first reaches ``k``), which gives the same parts faster.
    """
    size = sum(capacity)
    if total <= 0 or size <= 0:
        return [0] * len(capacity)
    lead = int(phase * _GRAIN)
    cumulative = list(accumulate(capacity))
    if total <= _FEW:
        parts = [0] * len(capacity)
        unit = total * _GRAIN
        for k in range(1, total + 1):
            parts[bisect_left(cumulative, -(-size * (k * _GRAIN - lead) // unit))] += 1
        return parts
    step, offset, denominator = total * _GRAIN, lead * size, size * _GRAIN
    cuts = [(step * running + offset) // denominator for running in cumulative]
    return [b - a for a, b in zip((0, *cuts), cuts)]


def carve_all(parent: Sequence[int], totals: Sequence[int], phases: Sequence[float]) -> list[tuple[int, ...]]:
    """Split the hours ``parent`` among children with these day ``totals`` (which add up to it).

    Each child but the last is cut out of what the ones before it left; the last takes the rest.
    """
    left = list(parent)
    result = []
    for total, phase in zip(totals[:-1], phases):
        if total <= 0:
            result.append(NO_HOURS if len(left) == 24 else (0,) * len(left))
            continue
        part = carve(total, left, phase)
        left = [a - b for a, b in zip(left, part)]
        result.append(tuple(part))
    result.append(tuple(left))
    return result
