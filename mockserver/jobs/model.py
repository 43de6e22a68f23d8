"""A job (an export, a report) and its lifecycle.

A job records what was asked (its parameters) and when, plus how long it takes and how it ends.
Its status is never stored: it follows from the time elapsed (see ``Job.state``), so nothing
needs to run in the background and any worker, or any server sharing the state, answers the same.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from mockserver.generation.rng import derive

# Share of the duration a job waits before it starts processing.
QUEUED_SHARE = 0.2


@dataclass(frozen=True)
class Job:
    id: str
    vendor: str
    kind: str  # "export", "report", ...
    owner: str  # the resource it belongs to (a chatbot id), "" when none
    params: dict[str, Any]
    created: float  # wall-clock seconds (time.time()) when created
    duration: float  # seconds from creation to the final state
    outcome: str  # "completed" or "failed"
    # The world the job's file is made from: the creating request's seed and clock (a session's or
    # a Prefer: seed=), so the file agrees with what that client's report requests answer.
    seed: int = 0
    now: str = ""  # RFC 3339
    session: str | None = None  # the session that created it: it lists and resets its own jobs
    # The vendor's declared entities as the creating request saw them (world.py): the file holds them too.
    world: dict[str, Any] = field(default_factory=dict)

    def state(self, wall: float) -> tuple[str, int]:
        """("queued" | "processing" | "completed" | "failed", progress 0..100) at ``wall``."""
        elapsed = wall - self.created
        if elapsed >= self.duration:
            return self.outcome, 100 if self.outcome == "completed" else self._progress(0.9)
        if elapsed < self.duration * QUEUED_SHARE:
            return "queued", 0
        return "processing", self._progress((elapsed / self.duration - QUEUED_SHARE) / (1 - QUEUED_SHARE))

    def finished_at(self) -> float:
        return self.created + self.duration

    def retry_after(self, wall: float) -> str:
        """``Retry-After`` for a job still running at ``wall``: whole seconds to its end, at least 1."""
        return str(max(1, math.ceil(self.finished_at() - wall)))

    def public(self) -> dict[str, Any]:
        """The job as the state store keeps it (JSON-ready)."""
        return {
            "id": self.id,
            "vendor": self.vendor,
            "kind": self.kind,
            "owner": self.owner,
            "params": self.params,
            "created": self.created,
            "duration": self.duration,
            "outcome": self.outcome,
            "seed": self.seed,
            "now": self.now,
            "session": self.session,
            "world": self.world,
        }

    @staticmethod
    def _progress(fraction: float) -> int:
        return max(1, min(99, int(fraction * 100)))


def job_id(seed: int, vendor: str, sequence: int) -> str:
    """A job's id: a UUID that follows the seed and the order of creation, so a fresh server
    replays the same ids. Download links are signed separately, so ids need not be secret."""
    return str(uuid.UUID(int=derive(seed, vendor, "job", sequence) << 64 | derive(seed, vendor, sequence, "low"), version=4))
