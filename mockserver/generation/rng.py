"""Keyed randomness: every random value is a pure function of the key that names it.

A key is a tuple such as ``(seed, "botpress", "bot-1", "2025-01-31")``; the same key gives the
same stream in any process, worker or request order. No global random state is ever used.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
from statistics import NormalDist
from typing import Any

import numpy as np

# Imported here, at start-up: numpy loads its random package lazily, on the first Botpress request.
from numpy.random import Philox


def derive(*parts: Any) -> int:
    """A 64-bit integer from the parts of a key (stable across processes, unlike ``hash``)."""
    return derive_text(key_text(*parts))


def key_text(*parts: Any) -> bytes:
    """What ``derive`` hashes: for a caller that also names the same parts otherwise (the answer cache)."""
    return "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")


def derive_text(text: bytes) -> int:
    """``derive`` of the parts whose ``key_text`` is ``text``."""
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
    return unit(raw).reshape(count, steps * _WORDS_PER_STEP)[:, :width]


def unit(words: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) from raw 64-bit words: their top 53 bits, exactly as doubles."""
    return (words >> np.uint64(11)) * 2.0**-53


def counter_words(key: int, block: int, count: int) -> np.ndarray:
    """``count`` raw 64-bit words of block ``block`` of ``key``'s stream (a block holds 2**62 words):
    the events of one entity's day, drawn only when a range cuts that day."""
    return _philox(key, block << 60).random_raw(count)


_LOCAL = threading.local()
_MASK = (1 << 64) - 1


def _philox(key: int, counter: int) -> Philox:
    """This thread's Philox, set to ``key`` and ``counter``: setting the state of one generator
    costs half of making a new one, and generators are not shared between threads."""
    generator = getattr(_LOCAL, "philox", None)
    if generator is None:
        generator = _LOCAL.philox = Philox(0)
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


class CounterStream:
    """The draws of ``random.Random`` a day's model uses, from one counter-based Philox block.

    ``CounterStream(key, index)`` reads the words of block ``index`` of ``key``'s stream in order, so
    a day's draws are a pure function of (key, day) like a keyed stream's, without seeding a
    Mersenne Twister per day. Normal deviates come from the standard library's inverse normal CDF:
    the same bits on every machine.
    """

    _NORMAL = NormalDist()

    def __init__(self, key: int, index: int) -> None:
        self._key, self._index = key, index
        self._uniforms: list[float] = []
        self._at = 0

    def random(self) -> float:
        """A uniform in (0, 1): the top 53 bits of the next word, centred in their step."""
        if self._at == len(self._uniforms):
            more = max(32, 2 * len(self._uniforms))  # a longer prefix of the same block: the words so far stay
            words = counter_words(self._key, self._index, len(self._uniforms) + more)[len(self._uniforms) :]
            self._uniforms.extend((((words >> np.uint64(11)) * 2.0 + 1.0) * 2.0**-54).tolist())
        value = self._uniforms[self._at]
        self._at += 1
        return value

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        return mu + sigma * self._NORMAL.inv_cdf(self.random())

    def lognormvariate(self, mu: float, sigma: float) -> float:
        return math.exp(self.gauss(mu, sigma))
