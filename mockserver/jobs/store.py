"""Jobs kept in SQLite, so every worker process of one server sees the same jobs.

A job records what was asked (its parameters) and when, plus how long it takes and how it ends.
Its status is never stored: it follows from the time elapsed (see ``Job.state``), so nothing
needs to run in the background and any worker answers the same.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
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

    @staticmethod
    def _progress(fraction: float) -> int:
        return max(1, min(99, int(fraction * 100)))


class JobStore:
    """Thread- and process-safe job storage in one SQLite file."""

    def __init__(self, path: Path, seed: int) -> None:
        self._path = path
        self._seed = seed
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, vendor TEXT,"
            " kind TEXT, owner TEXT, params TEXT, created REAL, duration REAL, outcome TEXT)"
        )

    def create(self, vendor: str, kind: str, owner: str, params: dict[str, Any], created: float,
               duration: float, outcome: str = "completed") -> Job:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO jobs (vendor, kind, owner, params, created, duration, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (vendor, kind, owner, json.dumps(params, sort_keys=True), created, duration, outcome),
            )
            seq = cursor.lastrowid
            # Ids follow the seed and the order of creation, so a fresh server replays the same ids.
            job_id = str(uuid.UUID(int=derive(self._seed, vendor, "job", seq) << 64 | derive(self._seed, vendor, seq, "low"), version=4))
            self._db.execute("UPDATE jobs SET id = ? WHERE seq = ?", (job_id, seq))
        return Job(job_id, vendor, kind, owner, params, created, duration, outcome)

    def get(self, vendor: str, job_id: str) -> Job | None:
        row = self._db.execute(
            "SELECT id, vendor, kind, owner, params, created, duration, outcome FROM jobs WHERE vendor = ? AND id = ?",
            (vendor, job_id),
        ).fetchone()
        return _job(row) if row else None

    def page(self, vendor: str, kind: str, offset: int, limit: int) -> tuple[list[Job], int]:
        """Jobs of a kind, newest first, and how many there are in all."""
        rows = self._db.execute(
            "SELECT id, vendor, kind, owner, params, created, duration, outcome FROM jobs"
            " WHERE vendor = ? AND kind = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
            (vendor, kind, limit, offset),
        ).fetchall()
        (count,) = self._db.execute("SELECT COUNT(*) FROM jobs WHERE vendor = ? AND kind = ?", (vendor, kind)).fetchone()
        return [_job(r) for r in rows], count


def _job(row: tuple[Any, ...]) -> Job:
    return Job(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7])
