"""Stage 5, Prefer and response control: ``Prefer: code=, example=, dynamic=, seed=, delay=`` read
and checked (a bad one is a 400 naming what is allowed), and the seed the answer is made with."""

from __future__ import annotations

from mockserver.messages import Answer
from mockserver.pipeline.exchange import Exchange
from mockserver.prefer import parse_prefer, response_control


class ResponseControl:
    def __call__(self, exchange: Exchange) -> Answer | None:
        header = exchange.request.headers.get("prefer")
        exchange.preferences = parse_prefer(header) if header else {}
        exchange.controls = response_control(exchange.preferences)
        if exchange.controls.seed is not None:
            exchange.seed = exchange.controls.seed
        return None
