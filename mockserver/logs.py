"""Logging: one line per request (method, path, status, duration, operationId), as text or JSON.

uvicorn's own access log is off; its start-up and error lines use the same format, so a JSON log
is JSON throughout. A connection a fault rule drops on purpose logs one line saying so, not the
traceback uvicorn would print for the exception that cuts it.
"""

from __future__ import annotations

import errno
import json
import logging
import logging.config
import re
import time
from datetime import datetime, timezone
from typing import Any

logger = logging.getLogger("mockserver.requests")


class DroppedConnection(Exception):
    """Raised mid-response to cut the connection, as a fault rule with ``drop`` asks."""


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        fields = getattr(record, "request", None) or {"logger": record.name, "message": record.getMessage()}
        return json.dumps({"time": moment.replace("+00:00", "Z"), "level": record.levelname.lower(), **fields})


# Control characters a client can put in a path or header (%0a decodes to a newline): in a text log
# they would start forged lines. C1 controls and Unicode's line separators split lines in some viewers.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """``text`` with every control character written as an escape (``\\n`` as ``\\x0a``)."""
    return _CONTROLS.sub(lambda found: f"\\x{ord(found[0]):02x}" if ord(found[0]) < 0x100 else f"\\u{ord(found[0]):04x}", text)


class TextFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        # One record, one line: the message is escaped; a traceback, appended after, keeps its lines.
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        moment = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        return moment.replace("+00:00", "Z")


class _NotDropped(logging.Filter):
    """Hide uvicorn's traceback for a connection dropped on purpose (the request line says so)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


def configure(log_format: str = "text", level: str = "info") -> dict[str, Any]:
    """Set up the request log, and return the ``log_config`` to give uvicorn for its own loggers."""
    formatter = "mockserver.logs.JSONFormatter" if log_format == "json" else "mockserver.logs.TextFormatter"
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": formatter, "fmt": "%(asctime)s %(levelname)s %(message)s"}},
        "filters": {"not_dropped": {"()": "mockserver.logs._NotDropped"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": ["not_dropped"],
            }
        },
        "loggers": {
            name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "mockserver.requests")
        },
    }
    # uvicorn logs access lines whenever "uvicorn.access" has a handler, its parents' included; under
    # --workers each worker rebuilt its loggers and "uvicorn" lent it one. Those lines carry the
    # whole query string (credentials, link signatures): this logger gets none, in every process.
    config["loggers"]["uvicorn.access"] = {"handlers": [], "level": "CRITICAL", "propagate": False}
    logging.config.dictConfig(config)
    if log_format != "json":
        logging.getLogger("mockserver.requests").handlers[0].setFormatter(TextFormatter("%(asctime)s %(message)s"))
    return config


class QuietAcceptErrors:
    """The event loop's exception handler, with one exception: accept() failing for want of file
    descriptors (EMFILE/ENFILE). The loop reports that with a traceback at every retry; this logs
    one line per ``every`` seconds saying what to change, and leaves the rest to the default."""

    def __init__(self, every: float = 10.0) -> None:
        self.every = every
        self._last = -every

    def __call__(self, loop: Any, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE):
            now = time.monotonic()
            if now - self._last >= self.every:
                self._last = now
                logging.getLogger("uvicorn.error").warning(
                    "out of file descriptors: new connections wait (%s); raise the limit (ulimit -n) or lower --max-connections",
                    error.strerror,
                )
            return
        loop.default_exception_handler(context)


def request_line(fields: dict[str, Any]) -> None:
    if logger.isEnabledFor(logging.INFO):
        text = (
            f"{fields['method']} {fields['path']} {fields['status']} {fields['durationMs']:.1f}ms "
            f"{fields.get('operationId') or '-'}"
            + (" (connection dropped)" if fields.get("dropped") else "")
            + (f" - {fields['reason']}" if fields.get("reason") else "")
        )
        logger.info(text, extra={"request": fields})
