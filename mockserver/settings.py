"""Server settings: every default lives here and only here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


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
    # SQLite file holding jobs, shared by worker processes; None: a private temporary file.
    state_path: Path | None = None
    # Requests the journal keeps (a ring buffer: the oldest go first).
    journal_size: int = 1000
    # Seconds a download link works after its job finished.
    download_ttl: int = 900
    # Key that signs download links; empty: a random one per server.
    secret: str = ""
