"""Stage 3, security: credentials as the spec declares them (401), then the profile's own verdict
(an expired token's 401, a missing role's 403). It runs before any input is checked, as the
vendors do: a request without credentials is a 401 whatever else is wrong with it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import parse_qs

from mockserver.messages import Answer
from mockserver.openapi.model import Operation
from mockserver.pipeline.exchange import Exchange
from mockserver.validation.security import SecurityCheck


class Security:
    def __init__(
        self, check: SecurityCheck, authorize: Callable[[Operation, Mapping[str, str]], None], operation: Operation
    ) -> None:
        self.check, self.authorize, self.operation = check, authorize, operation

    def __call__(self, exchange: Exchange) -> Answer | None:
        request = exchange.request
        exchange.cookies = cookies(request.headers.get("cookie", ""))
        # An API key may travel in the query: only then is the query read here, leniently (a
        # query that is not UTF-8 is the parameters stage's 400, after this one's 401).
        query = parse_qs(request.query_string, keep_blank_values=True) if self.check.reads_query else {}
        self.check.check(request.headers, query, exchange.cookies)
        self.authorize(self.operation, request.headers)
        return None


def cookies(header: str) -> dict[str, str]:
    """The name=value pairs of a Cookie header."""
    found: dict[str, str] = {}
    if not header:
        return found
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            found[name] = value
    return found
