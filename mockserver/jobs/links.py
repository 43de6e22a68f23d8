"""Download links that point at the mock itself, signed and expiring.

A link is ``/__mock/downloads/{vendor}/{job}?expires=<unix ms>&signature=<hmac>``. The HMAC key is
the state store's secret, so every worker and server sharing the store checks it alike; it signs
the job's creation time too, so a link outlives neither its job nor a reset that reuses the id. A
guessed or edited link fails, and an old one says it expired.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

from mockserver.jobs.model import Job


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
