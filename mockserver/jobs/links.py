"""Download links that point at the mock itself, signed and expiring.

A link is ``/__mock/downloads/{vendor}/{job}?expires=<unix ms>&signature=<hmac>``: any worker can
check it without shared state, a guessed or edited link fails, and an old one says it expired.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode


def _key(seed: int, secret: str) -> bytes:
    return hashlib.blake2b(f"mockserver-downloads\x1f{seed}\x1f{secret}".encode(), digest_size=32).digest()


def sign(seed: int, secret: str, vendor: str, job_id: str, expires: int) -> str:
    message = f"{vendor}/{job_id}/{expires}".encode()
    return hmac.new(_key(seed, secret), message, hashlib.sha256).hexdigest()[:32]


def download_path(seed: int, secret: str, vendor: str, job_id: str, expires: int) -> str:
    query = urlencode({"expires": expires, "signature": sign(seed, secret, vendor, job_id, expires)})
    return f"/__mock/downloads/{vendor}/{job_id}?{query}"


def verify(seed: int, secret: str, vendor: str, job_id: str, expires: str, signature: str) -> bool:
    if not (expires.isascii() and expires.isdigit() and len(expires) <= 15):
        return False
    return hmac.compare_digest(sign(seed, secret, vendor, job_id, int(expires)), signature)
