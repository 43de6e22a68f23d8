"""Server settings: every default lives here and only here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    """What one mock server instance serves and how.

    ``vendors`` empty means every known vendor, each mounted under ``/<vendor>``. ``root_vendor``
    serves one vendor at ``/`` instead, for clients whose base URL cannot carry a path.
    """

    vendors: tuple[str, ...] = ()
    root_vendor: str | None = None
    seed: int = 0
    # Accepted credentials. Empty: any non-empty credential of the vendor's scheme is accepted.
    tokens: frozenset[str] = frozenset()
    # vendor -> OpenAPI file replacing the bundled one (its overlay is not applied).
    spec_overrides: dict[str, Path] = field(default_factory=dict)
    # Fixed "now" for relative periods; None follows the real clock.
    now: datetime | None = None
    max_body_bytes: int = 1_048_576
    # Seconds from creating an export or report to its final state (a Prefer header overrides).
    job_duration: float = 3.0
    # Where jobs, the journal, fault rules and sessions live: "memory", "sqlite:///path" or
    # "redis://host:port/db" (see mockserver.state). --workers N turns "memory" into a shared file.
    state: str = "memory"
    # Jobs kept per vendor and kind (the oldest go first).
    max_jobs: int = 10_000
    # Directories of the user's fixtures, loaded after the bundled ones.
    fixture_dirs: tuple[Path, ...] = ()
    # Requests the journal keeps (a ring buffer: the oldest go first).
    journal_size: int = 1000
    # Fault rules and sessions installed at start-up (--config), in the control plane's JSON shape.
    faults: tuple[dict[str, Any], ...] = ()
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Token the control plane (/__mock) requires; None: it answers loopback clients only.
    admin_token: str | None = None
    # Origins browsers may call from: ("*",) any (without credentials); () turns CORS off.
    cors_origins: tuple[str, ...] = ("*",)
    # Seconds a download link works after its job finished.
    download_ttl: int = 900
    # Shared secret the link-signing key is derived from; None: the key lives in the state store.
    secret: str | None = None
    # Host names (besides loopback names and the bound address) the control plane answers to;
    # "*" any. Checked only while the loopback rule guards it (no admin token): DNS rebinding.
    allowed_hosts: tuple[str, ...] = ()
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's convention): addresses
    # or networks, "*" any, () none.
    forwarded_allow_ips: tuple[str, ...] = ("127.0.0.1", "::1")
    # Limits on what one client may send or hold (README, Security).
    max_head_bytes: int = 65_536  # request line and headers; past it 431
    max_query_bytes: int = 16_384  # the query string; past it 414
    head_timeout: float = 10.0  # seconds for a request's head to arrive; past it the connection closes
    body_timeout: float = 30.0  # seconds for its body to arrive, once the head is in
    max_connections: int = 1000  # open connections per worker; one more is refused with a 503
    # What the journal keeps of one request, and of all of them.
    journal_entry_bytes: int = 65_536
    journal_bytes: int = 64 * 1_048_576
    # Seconds one call to the state store may take before requests get a 503 naming the store.
    state_timeout: float = 0.25


def settings_to_json(settings: Settings) -> str:
    """Serialise settings for worker processes (``--workers``), which rebuild them with ``settings_from_json``."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, (tuple, list, frozenset, set)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return json.dumps({f.name: plain(getattr(settings, f.name)) for f in fields(Settings)})


def settings_from_json(text: str) -> Settings:
    """The inverse of ``settings_to_json``: each field back to the type its default has."""
    raw = json.loads(text)
    values: dict[str, Any] = {}
    for f in fields(Settings):
        value = raw[f.name]
        if f.name == "spec_overrides":
            value = {vendor: Path(path) for vendor, path in value.items()}
        elif f.name == "fixture_dirs":
            value = tuple(Path(p) for p in value)
        elif f.name == "now":
            value = datetime.fromisoformat(value) if value else None
        elif f.name == "tokens":
            value = frozenset(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return Settings(**values)
