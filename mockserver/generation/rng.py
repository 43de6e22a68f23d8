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
from numpy.random import Generator, Philox


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
    stream = _stream()
    stream.at(key, first * steps)
    # Generator.random makes each double exactly as ``unit`` does (the top 53 bits), in one call.
    uniforms = stream.uniforms.random(count * steps * _WORDS_PER_STEP).reshape(count, steps * _WORDS_PER_STEP)
    return uniforms if width == steps * _WORDS_PER_STEP else uniforms[:, :width]


def unit(words: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) from raw 64-bit words: their top 53 bits, exactly as doubles."""
    return (words >> np.uint64(11)) * 2.0**-53


def counter_words(key: int, block: int, count: int) -> np.ndarray:
    """``count`` raw 64-bit words of block ``block`` of ``key``'s stream (a block holds 2**62 words):
    the events of one entity's day, drawn only when a range cuts that day."""
    return _stream().at(key, block << 60).random_raw(count)


_LOCAL = threading.local()
_MASK = (1 << 64) - 1


class _Stream:
    """One thread's Philox, set to a key and counter for each draw, and a ``Generator`` over it
    for uniforms. Generators are not shared between threads; setting a state costs a fraction of
    making a generator, and setting it from arrays kept here (written in place) a third of
    building the state's arrays each time."""

    def __init__(self) -> None:
        self.philox = Philox(0)
        self.uniforms = Generator(self.philox)
        self._counter = np.zeros(_WORDS_PER_STEP, dtype=np.uint64)
        self._key = np.zeros(2, dtype=np.uint64)
        self._state: Any = {  # (numpy types the state as a private TypedDict)
            "bit_generator": "Philox",
            "state": {"counter": self._counter, "key": self._key},
            "buffer": np.zeros(_WORDS_PER_STEP, dtype=np.uint64),
            "buffer_pos": _WORDS_PER_STEP,  # the buffer is spent: the next word starts a new block
            "has_uint32": 0,
            "uinteger": 0,
        }

    def at(self, key: int, counter: int) -> Philox:
        """The generator, set to ``key`` and ``counter`` (the state's setter copies the arrays)."""
        words = self._counter
        words[0], words[1] = counter & _MASK, (counter >> 64) & _MASK
        words[2], words[3] = (counter >> 128) & _MASK, (counter >> 192) & _MASK
        self._key[0] = key & _MASK
        self.philox.state = self._state
        return self.philox


def _stream() -> _Stream:
    stream: _Stream | None = getattr(_LOCAL, "stream", None)
    if stream is None:
        stream = _LOCAL.stream = _Stream()
    return stream


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
