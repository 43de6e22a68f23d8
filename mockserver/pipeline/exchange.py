"""``Exchange``: one request on its way through the stages, and what each stage found for the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from mockserver.messages import Answer, Incoming
from mockserver.prefer import NO_PREFERENCES, ResponseControl

if TYPE_CHECKING:
    from mockserver.control.faults import FaultRule
    from mockserver.openapi.model import Operation
    from mockserver.routing import Match
    from mockserver.validation.request import ValidRequest


@dataclass
class Exchange:
    request: Incoming
    seed: int  # the session's, else the server's; Prefer: seed= replaces it (response_control)
    match: Match | None = None  # route
    operation: Operation | None = None
    route: str | None = None
    rule: FaultRule | None = None  # faults: the rule that acts on this request
    cookies: dict[str, str] = field(default_factory=dict)  # security
    query: dict[str, list[str]] | None = None  # parameters: the query, strictly decoded
    valid: ValidRequest | None = None
    preferences: dict[str, str] = field(default_factory=dict)  # response_control
    controls: ResponseControl = NO_PREFERENCES  # (immutable: one shared default)
    key: int | None = None  # names the request in error ids; derived once it is validated


class Stage(Protocol):
    """One step: add to the exchange and return None, or return the answer, or raise ``Problem``."""

    def __call__(self, exchange: Exchange) -> Answer | None: ...
