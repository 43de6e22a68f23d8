"""Keyed randomness: every random value is a pure function of the key that names it.

A key is a tuple such as ``(seed, "botpress", "bot-1", "2025-01-31")``; the same key gives the
same stream in any process, worker or request order. No global random state is ever used.
"""

from __future__ import annotations

import hashlib
import random
import threading
from typing import Any

import numpy as np


def derive(*parts: Any) -> int:
    """A 64-bit integer from the parts of a key (stable across processes, unlike ``hash``)."""
    text = "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def keyed_random(*parts: Any) -> random.Random:
    """A ``random.Random`` seeded from a key."""
    return random.Random(derive(*parts))


def object_id(*parts: Any) -> str:
    """A 24-hex-digit id (the shape of a MongoDB ObjectId) derived from a key."""
    text = "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=12).hexdigest()


# Philox4x64 gives four 64-bit words per step of its counter.
_WORDS_PER_STEP = 4


def counter_uniforms(key: int, first: int, count: int, width: int) -> np.ndarray:
    """Uniforms in [0, 1): ``count`` rows of ``width``, row ``i`` a pure function of ``(key, first + i)``.

    Philox is counter-based: row ``r`` is the block of counters starting at ``r x steps``, so rows
    for consecutive indexes (the days of a range) come from one call, and a day's numbers do not
    depend on which range asked for it. The words become doubles by the top 53 bits; nothing here
    depends on the CPU's floating-point library, so every machine draws the same numbers.
    """
    steps = -(-width // _WORDS_PER_STEP)
    raw = _philox(key, first * steps).random_raw(count * steps * _WORDS_PER_STEP)
    return ((raw >> np.uint64(11)) * 2.0**-53).reshape(count, steps * _WORDS_PER_STEP)[:, :width]


def counter_words(key: int, block: int, count: int) -> np.ndarray:
    """``count`` raw 64-bit words of block ``block`` of ``key``'s stream (a block holds 2**62 words):
    the events of one entity's day, drawn only when a range cuts that day."""
    return _philox(key, block << 60).random_raw(count)


_LOCAL = threading.local()
_MASK = (1 << 64) - 1


def _philox(key: int, counter: int) -> np.random.Philox:
    """This thread's Philox, set to ``key`` and ``counter``: setting the state of one generator
    costs half of making a new one, and generators are not shared between threads."""
    generator = getattr(_LOCAL, "philox", None)
    if generator is None:
        generator = _LOCAL.philox = np.random.Philox(0)
    words = [(counter >> shift) & _MASK for shift in (0, 64, 128, 192)]
    generator.state = {
        "bit_generator": "Philox",
        "state": {"counter": np.array(words, dtype=np.uint64), "key": np.array([key & _MASK, 0], dtype=np.uint64)},
        "buffer": _EMPTY,
        "buffer_pos": _WORDS_PER_STEP,
        "has_uint32": 0,
        "uinteger": 0,
    }
    return generator


_EMPTY = np.zeros(_WORDS_PER_STEP, dtype=np.uint64)
