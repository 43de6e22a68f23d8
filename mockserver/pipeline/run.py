"""``Pipeline``: one vendor's stages, run over one request."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from mockserver.errors import Problem
from mockserver.generation.rng import derive
from mockserver.messages import Answer, Incoming
from mockserver.openapi.model import Operation
from mockserver.pipeline.exchange import Exchange, Stage
from mockserver.pipeline.respond import Respond
from mockserver.pipeline.route import Route

ErrorBody = Callable[[Problem, int, datetime, "Operation | None"], Answer]


class Pipeline:
    """``route``, then the routed operation's stages (faults, security, parameters, response control,
    answer) until one answers, then ``respond``. A ``Problem`` from any stage becomes ``error``'s answer."""

    def __init__(
        self,
        vendor: str,
        server_seed: int,
        route: Route,
        stages: Mapping[str, Sequence[Stage]],
        respond: Respond,
        error: ErrorBody,
    ) -> None:
        self.vendor, self.server_seed = vendor, server_seed
        self.route, self.stages, self.respond, self.error = route, stages, respond, error

    def __call__(self, request: Incoming, seed: int) -> Answer:
        exchange = Exchange(request, seed)
        try:
            answer = self.route(exchange)
            if answer is None:
                assert exchange.operation is not None
                for stage in self.stages[exchange.operation.operation_id]:
                    answer = stage(exchange)
                    if answer is not None:
                        break
            assert answer is not None, "the answer stage always answers"
        except Problem as problem:
            key = exchange.key
            if key is None:  # refused before it was validated: named by what was sent
                key = derive(self.server_seed, self.vendor, request.method, request.path, request.query_string)
            answer = self.error(problem, key, request.now, exchange.operation)
            answer.reason = problem.message
        return self.respond(exchange, answer)

    def order(self, operation_id: str) -> list[str]:
        """The names of the stages an operation's request passes, in order (for tests and docs)."""
        names = [type(self.route).__name__, *(type(s).__name__ for s in self.stages[operation_id])]
        return [*names, type(self.respond).__name__]
