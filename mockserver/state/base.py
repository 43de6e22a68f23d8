"""What a server keeps between requests, behind one interface.

Jobs, the request journal, fault rules, sessions and the key that signs download links live in a
``State``. Every worker process opens its own ``State`` on the same store (an SQLite file, a Redis
database), so several workers, or several servers behind a load balancer, act as one server.

Records cross the interface as plain JSON-ready dicts; the control plane gives them meaning. Every
collection is bounded (see ``Limits``), so no amount of traffic grows memory without end.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from mockserver.errors import MockServerError
from mockserver.jobs.model import Job


class StateUnavailable(MockServerError):
    """The state store did not answer (say, Redis went away); requests get a 503 meanwhile."""


class StateFull(MockServerError):
    """A collection the user fills on purpose (fault rules) is at its limit."""


@dataclass(frozen=True)
class Limits:
    journal: int = 1000  # journal entries kept; the oldest go first
    jobs: int = 10_000  # jobs kept per vendor and kind; the oldest go first
    rules: int = 1000  # fault rules; adding one more is refused
    sessions: int = 10_000  # sessions; the oldest go first
    journal_bytes: int = 64 * 1_048_576  # bytes of JSON the journal keeps in all; the oldest go first
    resources: int = 1000  # resources written and kept per session (and outside sessions); one more is refused
    resources_total: int = 100_000  # ... and over all sessions together
    timeout: float = 0.25  # seconds one store call may take


T = TypeVar("T")


class Breaker:
    """Keeps a store that stopped answering from stalling every request.

    Each store call has a deadline (``Limits.timeout``). The first call that fails opens the
    breaker: from then on calls fail at once, with the reason, while a thread probes the store
    every ``retry`` seconds and closes the breaker when the store answers. So the event loop waits
    one deadline per outage, not one per request, and health checks keep answering.
    """

    def __init__(self, probe: Callable[[], None], retry: float = 0.5) -> None:
        self._probe, self._retry = probe, retry
        self._down: str | None = None  # why the store is down, while it is
        self._lock = threading.Lock()

    @property
    def down(self) -> str | None:
        return self._down

    def call(self, work: Callable[[], T]) -> T:
        reason = self._down
        if reason is not None:
            raise StateUnavailable(f"{reason} (the mock retries every {self._retry:g} s)")
        try:
            return work()
        except StateUnavailable as exc:
            self._trip(str(exc))
            raise

    def _trip(self, reason: str) -> None:
        with self._lock:
            if self._down is not None:
                return
            self._down = reason
        threading.Thread(target=self._watch, name="mockserver-state-probe", daemon=True).start()

    def _watch(self) -> None:
        while True:
            time.sleep(self._retry)
            try:
                self._probe()
            except Exception:  # noqa: BLE001, S112  # still down: keep probing
                continue
            self._down = None
            return


def resources_full(kept: int, session: str | None, everywhere: bool = False) -> str:
    """Why one more resource is refused (the stores word it alike)."""
    if everywhere:
        return (
            f"the sessions together already keep {kept} written resources, the most the server keeps "
            "(--max-stored-resources); reset sessions that are done (POST /__mock/reset?session=<id>)"
        )
    where = f"session {session!r}" if session is not None else "requests outside a session"
    return (
        f"{where} already keeps {kept} written resources, the most it may (--max-resources); "
        "delete some, or reset the session (POST /__mock/reset)"
    )


def encode(record: Any) -> str:
    """A record as JSON text: orjson where it can (the journal writes one per request), the
    standard encoder for what orjson refuses (a lone surrogate a client sent, huge integers)."""
    try:
        return orjson.dumps(record).decode()
    except TypeError:
        return json.dumps(record)


class State(ABC):
    """One process's handle on the shared state. Methods are synchronous and short."""

    # True when writing to the journal costs a commit or a round trip: the journal then gathers the
    # entries of one event-loop turn and writes them together (see control/journal.py).
    batch_journal = False

    def __init__(self, seed: int, limits: Limits) -> None:
        self.seed = seed
        self.limits = limits

    def ping(self) -> None:
        """Raise ``StateUnavailable`` unless the store answers now (readiness)."""

    @property
    def down(self) -> str | None:
        """Why the store is known to be down, or None: no store call is made to tell."""
        return None

    @abstractmethod
    def secret(self) -> str:
        """The key that signs download links: made by the first process, shared by all."""

    # --- jobs ------------------------------------------------------------------------------------
    @abstractmethod
    def new_job(self, job: Job) -> Job:
        """Store ``job`` (its ``id`` is ignored) under a new id, ``job_id(seed, vendor, sequence)``."""

    @abstractmethod
    def job(self, vendor: str, job_id: str) -> Job | None: ...

    @abstractmethod
    def jobs(self, vendor: str, kind: str, offset: int, limit: int, session: str | None) -> tuple[list[Job], int]:
        """Jobs of a kind created in ``session`` (None: outside any), newest first, and how many."""

    @abstractmethod
    def vendor_jobs(self, vendor: str) -> list[Job]:
        """Every kept job of a vendor, of every kind and session, oldest first (the page's list)."""

    @abstractmethod
    def clear_jobs(self, session: str | None) -> None:
        """Forget every job (and restart the id sequence, as on a fresh server), or one session's."""

    # --- journal ---------------------------------------------------------------------------------
    @abstractmethod
    def record(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append journal entries (without ``id``), in order; each gets the next id."""

    @abstractmethod
    def entries(self) -> list[dict[str, Any]]:
        """Every kept journal entry, oldest first, each with its ``id``."""

    @abstractmethod
    def clear_journal(self, session: str | None) -> None:
        """Forget every entry, or only those of one session."""

    # --- fault rules -----------------------------------------------------------------------------
    @abstractmethod
    def add_rule(self, rule: dict[str, Any], rule_id: str | None = None, replace: bool = True) -> str:
        """Store a rule (``match``, ``action``, ``probability``, ``times``) with zeroed counters.

        Without ``rule_id`` it is named ``rule-<n>`` from a counter that a full ``clear_rules``
        resets. With ``replace=False`` an existing rule of that id is kept as it is. Raises
        ``StateFull`` at ``limits.rules``.
        """

    @abstractmethod
    def rules(self) -> list[tuple[str, dict[str, Any]]]:
        """Every rule as (id, rule), in the order they were added. Read on every request: keep it cheap."""

    @abstractmethod
    def counters(self) -> dict[str, tuple[int, int]]:
        """(matched, applied) per rule id."""

    @abstractmethod
    def bump(self, rule_id: str, counter: str) -> int:
        """Add one to a rule's ``matched`` or ``applied`` counter; the new value (0 if the rule is gone)."""

    @abstractmethod
    def remove_rule(self, rule_id: str) -> bool: ...

    @abstractmethod
    def clear_rules(self, session: str | None) -> None:
        """Remove every rule (and restart the id counter), or only the rules matching one session."""

    # --- sessions --------------------------------------------------------------------------------
    @abstractmethod
    def put_session(self, session: dict[str, Any], replace: bool = True) -> None:
        """Store a session (``id``, ``seed``, ``now``); with ``replace=False`` keep an existing one."""

    @abstractmethod
    def session(self, session_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def sessions(self) -> list[dict[str, Any]]: ...

    @abstractmethod
    def delete_session(self, session_id: str) -> bool: ...

    @abstractmethod
    def clear_sessions(self) -> None: ...

    # --- resources (writes that stick) -----------------------------------------------------------
    # A resource lives in one vendor's collection (the concrete path it was created under) within
    # one session (None: outside any). Its record is a JSON object, or None for a deleted one: a
    # tombstone that hides an entity the world would otherwise answer for. Collections list their
    # resources in the order each was first written; replacing one keeps its place.
    @abstractmethod
    def resource_number(self, vendor: str, session: str | None, collection: str) -> int:
        """The next number of a collection (1, 2, ...), never given twice until its session is cleared:
        the ids of created resources are made from it."""

    @abstractmethod
    def put_resource(
        self, vendor: str, session: str | None, collection: str, resource_id: str, record: dict[str, Any] | None, new: bool
    ) -> bool:
        """Keep ``record`` as resource ``resource_id``. With ``new``, only if there is none of that id
        (False when there is). Raises ``StateFull`` when the session already keeps
        ``limits.resources`` resources, or all sessions together ``limits.resources_total``, and
        this one would be one more."""

    @abstractmethod
    def resource(self, vendor: str, session: str | None, collection: str, resource_id: str) -> tuple[bool, dict[str, Any] | None]:
        """(kept, record): (False, None) when nothing was written under that id, (True, None) when
        it was deleted."""

    @abstractmethod
    def resources(self, vendor: str, session: str | None, collection: str) -> list[tuple[str, dict[str, Any] | None]]:
        """The collection's kept (id, record) pairs in the order they were first written."""

    @abstractmethod
    def clear_resources(self, session: str | None) -> None:
        """Forget every written resource, or those of one session (and its numbers)."""

    def close(self) -> None:
        """Release connections (the store itself keeps the state)."""
