"""The two messages every layer passes: ``Incoming`` (the parts of a request the engine reads) and
``Answer`` (a response, ready to send). A leaf module: it imports nothing of the engine's, so the
app, the control plane, the answer cache and the pipeline stages all share it without cycles.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from mockserver.world import NOTHING, Declared

if TYPE_CHECKING:
    from mockserver.control.faults import FaultRule


@dataclass
class Answer:
    """A response, ready to send."""

    status: int
    body: bytes
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0  # Prefer: delay=<ms>, or a fault rule's latency
    operation_id: str | None = None  # for the journal
    route: str | None = None
    fault: FaultRule | None = None  # the fault rule that acted on this request
    vendor: str | None = None  # for the log line
    session: str | None = None
    query: dict[str, list[str]] | None = None  # the parsed query, for the journal
    reason: str | None = None  # why the request was refused (the error's message), for the log and journal
    # What the vendor would have ignored but a client likely meant otherwise: an undeclared query
    # parameter, with the nearest declared name ("day" for "days"). For the log and the journal.
    warnings: list[str] = field(default_factory=list)
    error_type: str | None = None  # the vendor's name for the error its body reports, if it names one
    # Set on the normal answer of a request that touched no stored state: the same request gives
    # the same answer again (read_clock: as long as the clock reads the same).
    reusable: bool = False
    read_clock: bool = False
    # Reusable for any clock in [valid_from, valid_until) (Call.clip, Call.clock_within).
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    cached: bool = False  # given by the answer cache (a copy of one kept)
    # Work that would hold up every other request if done on the event loop (a download's file):
    # the app calls it in a thread, and its answer replaces this one.
    render: Callable[[], Answer] | None = None


@dataclass(slots=True)
class Incoming:
    """The parts of an HTTP request the engine reads. Never changed once made; not frozen, because
    a frozen dataclass's constructor costs three times as much and one is made per request."""

    method: str
    path: str  # raw (percent-encoded) path below the vendor's base
    query_string: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    base_url: str
    now: datetime
    wall: float = 0.0
    prefix: str = ""  # the vendor's path prefix inside base_url ("/chatcaptain" or "")
    seed: int | None = None  # a session's seed, if it set one
    session: str | None = None  # the X-Mock-Session header
    # Picks the fault rule for (operationId, route template), if any: the control plane's rules.
    pick_fault: Callable[[str, str], FaultRule | None] | None = None
    faults: bool = True  # whether any fault rule is in force (so one might match)
    world: Declared = NOTHING  # the vendor's declared entities: the session's, else the config's


def json_bytes(body: Any) -> bytes:
    """A body as compact JSON: orjson where it can, the standard encoder for what orjson refuses
    (lone surrogates, which JSON allows and a client may have sent, and integers over 64 bits)."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8", "backslashreplace")
