"""Keyed randomness: every random value is a pure function of the key that names it.

A key is a tuple such as ``(seed, "botpress", "bot-1", "2025-01-31")``; the same key gives the
same stream in any process, worker or request order. No global random state is ever used.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any


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
