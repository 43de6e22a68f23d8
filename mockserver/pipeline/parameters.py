"""Stage 4, parameters and body: the spec's parameters (path, query, headers, cookies) and body,
coerced and checked (400, 413, 415), then path ids the vendor would refuse."""

from __future__ import annotations

from urllib.parse import parse_qs

from mockserver.errors import INVALID_PARAMETER, Problem
from mockserver.messages import Answer
from mockserver.pipeline.exchange import Exchange
from mockserver.routing import check_id
from mockserver.validation.request import RequestValidator


class Parameters:
    def __init__(self, validator: RequestValidator) -> None:
        self.validator = validator

    def __call__(self, exchange: Exchange) -> Answer | None:
        request, match = exchange.request, exchange.match
        assert match is not None  # routed
        try:
            exchange.query = parse_qs(request.query_string, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError as exc:
            raise Problem(INVALID_PARAMETER, "The query string is not valid UTF-8 once percent-decoded.", "query") from exc
        exchange.valid = self.validator.validate(
            match.path_params,
            exchange.query,
            request.headers,
            exchange.cookies,
            request.headers.get("content-type"),
            request.body,
        )
        for name, value in match.path_params.items():
            check_id(name, value)
        return None
