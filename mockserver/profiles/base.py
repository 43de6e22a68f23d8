"""What a vendor profile is: the vendor's spec files, its error body, and its operation handlers.

The engine does everything the spec can say (routing, validation, schema-valid generation).
A profile adds only what a spec cannot: how the vendor words its errors and, per operation,
the semantics that make a response realistic (which records, which totals, which job).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, TypeVar

from mockserver.errors import INVALID_PARAMETER, Problem
from mockserver.generation.rng import keyed_random
from mockserver.jobs.links import download_path
from mockserver.jobs.model import Job
from mockserver.openapi.model import Operation
from mockserver.prefer import job_preferences
from mockserver.state import State
from mockserver.synth.activity import Entity
from mockserver.timeutil import iso_ms, parse_instant, shift
from mockserver.validation.request import REPEAT
from mockserver.validation.schema import shorten
from mockserver.world import NOTHING, Declared


@dataclass
class Reply:
    """A handler's answer when it needs more than a 200 with a body."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """One validated request, as a handler sees it."""

    vendor: str
    operation: Operation
    params: dict[str, Any]
    body: Any
    seed: int
    clock: datetime  # the request's "now" (--now, a session's, or the real clock): read it as ``now``
    base_url: str  # where this vendor is served, e.g. http://127.0.0.1:8000/chatcaptain
    request_key: int  # derived from seed, operation and every validated input
    supplied: frozenset[str]  # parameters the client sent (``params`` also holds spec defaults)
    _generate: Callable[[Call, int | None], Any]
    server: ServerContext
    wall: float = 0.0  # real time of the request (jobs progress in real time)
    prefer: dict[str, str] = field(default_factory=dict)  # the Prefer header's preferences
    session: str | None = None  # the X-Mock-Session the request came in
    world: Declared = NOTHING  # the user's declared entities of this vendor (the session's, else the config's)
    # Set when the answer depends on stored state (jobs), not only on the request, seed and clock.
    stateful: bool = False
    # Set when the answer read the clock: then only a request at the same "now" may reuse it.
    read_clock: bool = False
    # Set when the answer is the same for every clock in [valid_from, valid_until) (it used the clock
    # only to cut a range that ended before it): a later request reuses it under the real clock.
    valid_from: datetime | None = None
    valid_until: datetime | None = None  # None: no end

    @property
    def now(self) -> datetime:
        """The current time for this request (relative periods, clipping to the present)."""
        self.read_clock = True
        return self.clock

    def clip(self, instant: datetime) -> datetime:
        """``instant`` cut at the present: ``min(instant, now)``.

        What the clock does to the answer, rather than its value: an instant at or before now is the
        same for every later clock, so the answer may be reused as the clock moves on; one after now
        is the clock itself, and the answer is kept for this clock only.
        """
        self.clock_within(instant)
        return min(instant, self.clock)

    def clock_within(self, low: datetime, high: datetime | None = None) -> datetime:
        """The clock, for an answer that is the same for every clock in [low, high).

        When the clock is in that span, the answer may be reused for any clock in it; otherwise it
        is kept for this clock only, as after reading ``now``.
        """
        if low <= self.clock and (high is None or self.clock < high):
            self.valid_from = max(self.valid_from or low, low)
            if high is not None:
                self.valid_until = min(self.valid_until or high, high)
        else:
            self.read_clock = True
        return self.clock

    def history_clock(self, start: datetime, end: datetime, settled: timedelta = timedelta(0)) -> datetime:
        """The clock, for an answer about [start, end] from a world that keeps five years of
        history: the same for every clock from ``end`` (plus ``settled``, the time its activity
        takes to reach its final state) until the kept history stops reaching back to ``start``
        (see Entity.window). Under the real clock a past range is then reused; one that reaches
        now is worked out for this clock only."""
        return self.clock_within(shift(end, settled), Entity.keeps_until(start))

    def rng(self, *parts: Any) -> random.Random:
        """A random stream keyed by seed, vendor and ``parts`` (say, an entity id and a day)."""
        return keyed_random(self.seed, self.vendor, *parts)

    def instant(self, name: str, *, end_of_day: bool = False, default: str | None = None) -> datetime:
        """Parameter ``name`` (an RFC 3339 date or date-time) as an aware UTC datetime.

        The bundled specs let only such values through; a user's ``--spec`` may declare the
        parameter as a plain string, so anything else is a 400 that names it, not a crash.
        """
        raw = self.params.get(name, default)
        try:
            return parse_instant(str(raw), end_of_day=end_of_day)
        except (ValueError, IndexError):
            raise Problem(
                INVALID_PARAMETER,
                f"Invalid query parameter '{name}': expected a date like 2025-01-31 or an "
                f"RFC 3339 date-time like 2025-01-31T00:00:00Z, got {shorten(str(raw))}.",
                "query",
                name,
            ) from None

    def generate(self, status: int | None = None) -> Any:
        """The schema-driven body for the declared success response (or ``status``)."""
        return self._generate(self, status)

    def create_job(self, kind: str, owner: str, params: dict[str, Any]) -> Job:
        """A new job; ``Prefer: job=failed`` and ``job-duration=<s>`` choose how it ends and when."""
        duration, outcome = job_preferences(self.prefer, self.server.job_duration)
        self.stateful = True
        return self.server.state.new_job(
            Job(
                "",
                self.vendor,
                kind,
                owner,
                params,
                self.wall,
                duration,
                outcome,
                self.seed,
                iso_ms(self.now),
                self.session,
                dict(self.world.section),
            )
        )

    def job(self, job_id: str) -> Job | None:
        """This vendor's job ``job_id``, if it exists (or still exists: old jobs are dropped)."""
        self.stateful = True
        return self.server.state.job(self.vendor, job_id)

    def jobs(self, kind: str, offset: int, limit: int) -> tuple[list[Job], int]:
        """This vendor's jobs of ``kind`` created in this request's session (or outside any
        session), newest first, and how many there are: parallel tests see their own jobs."""
        self.stateful = True
        return self.server.state.jobs(self.vendor, kind, offset, limit, self.session)

    def download_url(self, job: Job) -> tuple[str, datetime]:
        """A signed link to the job's file on this server, and when it expires."""
        expires_ms = math.ceil(job.finished_at() * 1000) + self.server.download_ttl * 1000
        path = download_path(self.server.link_key(), job, expires_ms)
        return self.server.url + path, datetime.fromtimestamp(expires_ms / 1000, timezone.utc)

    @staticmethod
    def job_time(wall: float) -> datetime:
        """Jobs run in real time, so their timestamps follow the real clock (not ``--now``)."""
        return datetime.fromtimestamp(wall, timezone.utc)


@dataclass(frozen=True)
class ServerContext:
    """Server-wide things a handler may need besides the request."""

    url: str  # the server's root URL as the client reached it
    state: State  # jobs live here
    job_duration: float
    link_key: Callable[[], str]  # jobs.links.LinkKey
    download_ttl: int


Handler = Callable[[Call], Any]
# Seconds a rate-limited client is told to wait.
RETRY_AFTER = 30


class Profile:
    """Base profile. Subclasses set the class attributes and override ``error_body``."""

    name: str = ""
    title: str = ""
    spec_file: str = ""
    overlay_file: str | None = None
    locale: str = "en_US"
    # The spellings of an array query parameter the vendor's stack reads (validation/request.py:
    # REPEAT, BRACKETS, COMMA); a declared parameter written any other way is a 400 naming it.
    array_spellings: ClassVar[frozenset[str]] = frozenset({REPEAT})
    # The JSON Schema of this vendor's section of a declared world (world.py); None: it takes none.
    world_schema: ClassVar[dict[str, Any] | None] = None
    # The status of a write refused because a session keeps as many resources as it may
    # (--max-resources): 507 unless the vendor has its own way of saying "quota reached".
    storage_full_status: ClassVar[int] = 507

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        for attr in dir(type(self)):
            handler = getattr(self, attr)
            operation_id = getattr(handler, "operation_id", None)
            if operation_id:
                self.handlers[operation_id] = handler

    def error_body(self, problem: Problem, request_key: int, now: datetime) -> Any:
        """The vendor's JSON error body for ``problem`` (status is ``problem.status``)."""
        return {"error": problem.kind, "message": problem.message}

    def error_type(self, body: Any) -> str | None:
        """The vendor's own name for the error ``body`` reports (its ``error_body``), if it names one:
        which of the vendor's errors a client met, for the journal and coverage."""
        return None

    def error_headers(self, problem: Problem) -> dict[str, str]:
        """Headers the vendor sends with an error; by default ``Retry-After`` on 429."""
        return {"Retry-After": str(RETRY_AFTER)} if problem.status == 429 else {}

    def authorize(self, operation: Operation, headers: Mapping[str, str]) -> None:
        """Raise a 403 ``Problem`` when the credentials lack a permission the vendor requires."""

    def entities(self, seed: int, world: Declared = NOTHING) -> dict[str, Any]:
        """The entities of this vendor's world for ``seed`` and the declared ``world`` (bots,
        stories, ...), for test authors who need ids the vendor API offers no way to list. Served
        at ``/__mock/world``."""
        return {}

    def world_resources(self, collection: str, seed: int, world: Declared = NOTHING) -> list[dict[str, Any]]:
        """The entities this vendor's world holds in ``collection`` (a path template such as
        ``/v1/admin/bots``), as partial records with an ``id``: a document that lists and reads
        them (writes that stick, pipeline/stored.py) answers with them, so a client that lists
        its entities and then asks for their figures gets consistent data."""
        return []

    def invariants(self, operation_id: str, body: Any) -> list[tuple[str, str]]:
        """What one successful answer of the vendor must obey whatever its numbers (a series adds up
        to its total): (JSON pointer, what is broken) for each break. ``mockserver verify`` holds the
        real vendor to them; the mock's world obeys them by construction."""
        return []

    def download(self, job: Job, seed: int, now: datetime) -> tuple[bytes, str, str]:
        """The finished job's file: (content, media type, file name). Vendors with jobs override."""
        raise NotImplementedError(f"{self.name} has no downloadable jobs")


HandlerMethod = TypeVar("HandlerMethod", bound=Callable[..., Any])


def handles(operation_id: str) -> Callable[[HandlerMethod], HandlerMethod]:
    """Mark a profile method as the handler of ``operation_id`` (it is bound, then called with the ``Call``)."""

    def mark(func: HandlerMethod) -> HandlerMethod:
        func.operation_id = operation_id  # type: ignore[attr-defined]
        return func

    return mark
