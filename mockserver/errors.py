"""Error types.

Two families, kept apart on purpose:

* ``MockServerError`` and its subclasses mean the *configuration* is wrong (a broken spec, a bad
  option). They stop the server at start-up with a message naming the file and the problem.
* ``Problem`` means a *request* is wrong. It never escapes the app: the vendor profile renders it
  as that vendor's error body and status.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class MockServerError(Exception):
    """Base class for errors in how the mock server is configured or used."""


class SpecError(MockServerError):
    """An OpenAPI document or overlay could not be loaded or is invalid."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class ConfigError(MockServerError):
    """A setting or command-line option is invalid."""


# The kinds of request problems every vendor profile knows how to render.
INVALID_PARAMETER = "invalid_parameter"
INVALID_BODY = "invalid_body"
MALFORMED_BODY = "malformed_body"
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
PAYLOAD_TOO_LARGE = "payload_too_large"
RATE_LIMITED = "rate_limited"
INTERNAL = "internal"
# Refusals of the server itself, not of the vendor's API: the request broke one of the mock's
# limits (README, Security), or its state store did not answer.
REQUEST_TIMEOUT = "request_timeout"
URI_TOO_LONG = "uri_too_long"
HEADERS_TOO_LARGE = "headers_too_large"
UNAVAILABLE = "unavailable"
# A session keeps as many written resources as it may (--max-resources).
STORAGE_FULL = "storage_full"

MAX_MESSAGE = 1000

STATUS_BY_KIND = {
    INVALID_PARAMETER: 400,
    INVALID_BODY: 400,
    MALFORMED_BODY: 400,
    UNAUTHORIZED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    METHOD_NOT_ALLOWED: 405,
    PAYLOAD_TOO_LARGE: 413,
    UNSUPPORTED_MEDIA_TYPE: 415,
    RATE_LIMITED: 429,
    INTERNAL: 500,
    REQUEST_TIMEOUT: 408,
    URI_TOO_LONG: 414,
    HEADERS_TOO_LARGE: 431,
    UNAVAILABLE: 503,
    STORAGE_FULL: 507,
}
SERVER_REFUSALS = frozenset({REQUEST_TIMEOUT, URI_TOO_LONG, HEADERS_TOO_LARGE, UNAVAILABLE})


@dataclass
class Problem(Exception):
    """A request the vendor would reject.

    ``kind`` is one of the constants above; ``location`` and ``name`` say which part of the request
    was wrong (``query``/``startDate``), so profiles can pick the vendor's own error type.
    """

    kind: str
    message: str
    location: str | None = None
    name: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    code: int | None = None  # a status other than the kind's own (a forced Prefer: code=409)
    # Why credentials failed, for vendors that word each case apart: "missing", "malformed",
    # "unknown" (not a --token value) or "expired".
    reason: str | None = None

    def __post_init__(self) -> None:
        # Messages quote what the client sent; never let them grow with a hostile input.
        if len(self.message) > MAX_MESSAGE:
            self.message = self.message[: MAX_MESSAGE - 3] + "..."
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return self.code or STATUS_BY_KIND[self.kind]


def kind_for_status(status: int) -> str:
    """The problem kind a status stands for (the closest one for statuses without their own).

    The server's own refusals are not among them: an injected 503 reads as the vendor's failure."""
    for kind, code in STATUS_BY_KIND.items():
        if code == status and kind not in SERVER_REFUSALS:
            return kind
    return INTERNAL if status >= 500 else INVALID_PARAMETER
