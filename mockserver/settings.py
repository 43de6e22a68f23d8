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
    raw = json.loads(text)
    return Settings(
        vendors=tuple(raw["vendors"]),
        root_vendor=raw["root_vendor"],
        seed=raw["seed"],
        tokens=frozenset(raw["tokens"]),
        spec_overrides={k: Path(v) for k, v in raw["spec_overrides"].items()},
        now=datetime.fromisoformat(raw["now"]) if raw["now"] else None,
        max_body_bytes=raw["max_body_bytes"],
        job_duration=raw["job_duration"],
        state=raw["state"],
        max_jobs=raw["max_jobs"],
        fixture_dirs=tuple(Path(p) for p in raw["fixture_dirs"]),
        journal_size=raw["journal_size"],
        faults=tuple(raw["faults"]),
        sessions=raw["sessions"],
        download_ttl=raw["download_ttl"],
        cors_origins=tuple(raw["cors_origins"]),
        admin_token=raw["admin_token"],
    )
