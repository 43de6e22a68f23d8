"""One log line per vendor request: method, path, status, duration, operationId (text or JSON)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

logger = logging.getLogger("mockserver.requests")


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "request", {})
        return json.dumps({"time": self.formatTime(record), "level": record.levelname.lower(), **fields})


def configure(log_format: str = "text", level: str = "info") -> None:
    """Send request lines to stderr; uvicorn's own access log is turned off by the CLI."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter() if log_format == "json" else logging.Formatter("%(asctime)s %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False


def request_line(fields: dict[str, Any]) -> None:
    if logger.isEnabledFor(logging.INFO):
        text = (f"{fields['method']} {fields['path']} {fields['status']} {fields['durationMs']:.1f}ms "
                f"{fields['operationId'] or '-'}")
        logger.info(text, extra={"request": fields})
