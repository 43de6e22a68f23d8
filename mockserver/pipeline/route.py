"""Stage 1, route: the raw path to a route and the method to an operation (404, 405 with Allow, OPTIONS)."""

from __future__ import annotations

from mockserver.errors import METHOD_NOT_ALLOWED, NOT_FOUND, Problem
from mockserver.messages import Answer
from mockserver.pipeline.exchange import Exchange
from mockserver.routing import Router
from mockserver.validation.schema import shorten


class Route:
    def __init__(self, router: Router, title: str, vendor: str = "") -> None:
        self.router, self.title, self.vendor = router, title, vendor

    def __call__(self, exchange: Exchange) -> Answer | None:
        request = exchange.request
        match = self.router.match(request.path)
        if match is None:
            prefix = f"/{self.vendor}/"
            if self.vendor and request.path.startswith(prefix) and self.router.match(request.path[len(prefix) - 1 :]):
                hint = f" This server serves {self.vendor} at its root (--vendor): drop the {prefix[:-1]} prefix."
            else:
                close = self.router.suggest(request.path) if len(request.path) <= 1000 else None
                hint = f" Did you mean {close}?" if close else ""
            raise Problem(NOT_FOUND, f"No {self.title} operation has the path {shorten(request.path, 200)}.{hint}", "path")
        exchange.match, exchange.route = match, match.route.template
        exchange.operation = match.operation(request.method)
        if exchange.operation is None and request.method == "OPTIONS":
            return Answer(204, b"", None, {"Allow": match.route.allow}, route=exchange.route)
        if exchange.operation is None:
            raise Problem(
                METHOD_NOT_ALLOWED,
                f"{request.method} is not allowed on {match.route.template}; allowed: {match.route.allow}.",
                headers={"Allow": match.route.allow},
            )
        return None
