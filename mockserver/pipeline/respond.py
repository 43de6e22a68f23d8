"""Stage 7, respond: what every answer carries out, a normal one or an error: the operation and
route for the journal, the parsed query, Prefer's delay, and what a fault rule does to the bytes."""

from __future__ import annotations

from mockserver.control.faults import latency_of
from mockserver.messages import Answer
from mockserver.pipeline.exchange import Exchange
from mockserver.validation.typos import undeclared


class Respond:
    def __init__(self, server_seed: int) -> None:
        self.server_seed = server_seed

    def __call__(self, exchange: Exchange, answer: Answer) -> Answer:
        answer.query = exchange.query
        answer.delay_ms = exchange.controls.delay_ms
        answer.operation_id = exchange.operation.operation_id if exchange.operation else None
        answer.route, answer.fault = exchange.route, exchange.rule
        if exchange.operation is not None and exchange.query:
            answer.warnings = undeclared(exchange.query, exchange.operation)
        rule = exchange.rule
        if rule is not None:
            answer.delay_ms += latency_of(rule, self.server_seed)
            if rule.action.get("malformed"):
                answer.body = answer.body[: max(len(answer.body) // 2, 1)]  # cut mid-document: not valid JSON
        return answer
