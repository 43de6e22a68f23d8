"""Download links that point at the mock itself, signed and expiring.

A link is ``/__mock/downloads/{vendor}/{job}?expires=<unix ms>&signature=<hmac>``. The HMAC signs
the job's creation time too, so a link outlives neither its job nor a reset that reuses the id. A
guessed or edited link fails, and an old one says it expired. ``LinkKey`` says where the key
comes from, so that every worker and server checks a link alike.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import urlencode

from mockserver.jobs.model import Job


class LinkKey:
    """The key links are signed with.

    With ``--secret`` it is derived from that secret: servers given the same one agree whatever
    happens to their store. Without, it is the state store's own key, read at every use (the store
    is read for the job anyway): when a store loses its data, the first server to need a key makes
    a new one and every other reads that one, instead of each signing with the key it kept.
    """

    def __init__(self, stored: Callable[[], str], shared: str | None = None) -> None:
        self._stored = stored
        self._derived = hmac.new(shared.encode(), b"mockserver download links", hashlib.sha256).hexdigest() if shared else None

    def __call__(self) -> str:
        return self._derived or self._stored()


def sign(secret: str, job: Job, expires: int) -> str:
    message = f"{job.vendor}/{job.id}/{job.created!r}/{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def download_path(secret: str, job: Job, expires: int) -> str:
    query = urlencode({"expires": expires, "signature": sign(secret, job, expires)})
    return f"/__mock/downloads/{job.vendor}/{job.id}?{query}"


def verify(secret: str, job: Job, expires: str, signature: str) -> bool:
    if not (expires.isascii() and expires.isdigit() and len(expires) <= 15):
        return False
    return hmac.compare_digest(sign(secret, job, int(expires)).encode(), signature.encode("utf-8", "replace"))
