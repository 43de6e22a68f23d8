"""Stage 2, faults: a matching fault rule of the control plane acts before anything is checked.

Its status or 429 is raised here, in the vendor's body; its latency, a dropped connection or a
malformed body are applied to the answer by ``respond``.
"""

from __future__ import annotations

from mockserver.errors import RATE_LIMITED, Problem, kind_for_status
from mockserver.messages import Answer
from mockserver.pipeline.exchange import Exchange


class Faults:
    def __init__(self, operation_id: str) -> None:
        self.operation_id = operation_id

    def __call__(self, exchange: Exchange) -> Answer | None:
        pick = exchange.request.pick_fault
        if pick is None or exchange.route is None:
            return None
        rule = exchange.rule = pick(self.operation_id, exchange.route)
        if rule is None:
            return None
        if rule.action.get("rateLimit"):
            raise Problem(RATE_LIMITED, f"Rate limit exceeded (fault rule {rule.id}).")
        status = rule.action.get("status")
        if status:
            raise Problem(kind_for_status(status), f"Injected failure (fault rule {rule.id}).", code=status)
        return None
