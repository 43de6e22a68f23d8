"""Logging: one line per request (method, path, status, duration, operationId), as text or JSON.

uvicorn's own access log is off; its start-up and error lines use the same format, so a JSON log
is JSON throughout. A connection a fault rule drops on purpose logs one line saying so, not the
traceback uvicorn would print for the exception that cuts it.
"""

from __future__ import annotations

import asyncio
import atexit
import errno
import json
import logging
import logging.config
import re
import sys
import time
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any


class DroppedConnection(Exception):
    """Raised mid-response to cut the connection, as a fault rule with ``drop`` asks."""


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        fields = {"logger": record.name, "message": record.getMessage()}
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


class StreamHandler(logging.StreamHandler):
    """logging's handler, writing the request lines still pending first: the log stays in order."""

    def emit(self, record: logging.LogRecord) -> None:
        flush_request_lines()
        super().emit(record)


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
                "class": "mockserver.logs.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": ["not_dropped"],
            }
        },
        "loggers": {
            name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False} for name in ("uvicorn", "uvicorn.error")
        },
    }
    # uvicorn logs access lines whenever "uvicorn.access" has a handler, its parents' included; under
    # --workers each worker rebuilt its loggers and "uvicorn" lent it one. Those lines carry the
    # whole query string (credentials, link signatures): this logger gets none, in every process.
    config["loggers"]["uvicorn.access"] = {"handlers": [], "level": "CRITICAL", "propagate": False}
    logging.config.dictConfig(config)
    _SINK.enabled = logging.getLevelName(level.upper()) <= logging.INFO
    atexit.register(flush_request_lines)  # (registering again is harmless: nothing is left the second time)
    _SINK.json = log_format == "json"
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


class _Sink:
    """Where request lines go and how they are written (set by ``configure``).

    A request line is built without a record, a handler lock or a formatter per request (that
    cost about a fifth of a cached answer's time), and the lines of one turn of the event loop go
    to standard error in one write, at the end of the turn, instead of one write each. A line waits
    at most for the requests answered in the same turn; logging's own lines (uvicorn's) flush the
    pending ones first, and so does the server's exit."""

    enabled = False
    json = False
    whole: tuple[int, str] = (-1, "")  # a whole second and its stamp's prefix, worked out once
    last: tuple[float, str] = (-1.0, "")  # the last time stamped, and its stamp
    pending: deque[str] = deque()  # appended and taken whole under the GIL: no lock needed
    scheduled = False


_SINK = _Sink()


def stamp(now: float) -> str:
    """``now`` (a Unix time) as the log and the journal write times, 2026-01-31T12:00:00.123Z: the
    digits ``datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")`` gives, with the
    part up to the second worked out once per second, and the last stamp remembered (a request's
    journal entry and log line share one)."""
    last = _SINK.last
    if now == last[0]:
        return last[1]
    second = int(now)
    micro = round((now - second) * 1_000_000)  # to the microsecond, half to even, as fromtimestamp
    if micro >= 1_000_000:
        second, micro = second + 1, micro - 1_000_000
    known, prefix = _SINK.whole
    if second != known:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _SINK.whole = (second, prefix)
    text = f"{prefix}.{micro // 1000:03d}Z"
    _SINK.last = (now, text)  # one tuple: a reader never sees a time with another's stamp
    return text


def request_line(
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    operation_id: str | None = None,
    vendor: str | None = None,
    session: str | None = None,
    dropped: bool = False,
    reason: str | None = None,
    warnings: Sequence[str] = (),
    at: float | None = None,
) -> None:
    """One request's line: method, path, status, duration, operationId, and what went wrong; its
    time is ``at`` (when the request came, as its journal entry has it), else now."""
    if not _SINK.enabled:
        return
    moment = stamp(time.time() if at is None else at)
    if _SINK.json:
        fields = {
            "method": method,
            "path": path,
            "status": status,
            "durationMs": duration_ms,
            "operationId": operation_id,
            "vendor": vendor,
            "session": session,
            "dropped": dropped,
            "reason": reason,
            "warnings": list(warnings),
        }
        line = json.dumps({"time": moment, "level": "info", **fields})
    else:
        text = f"{method} {path} {status} {duration_ms:.1f}ms {operation_id or '-'}"
        if dropped or reason or warnings:
            text += (
                (" (connection dropped)" if dropped else "")
                + (f" - {reason}" if reason else "")
                + "".join(f" - warning: {w}" for w in warnings)
            )
        line = f"{moment} {escape_controls(text)}"
    _SINK.pending.append(line + "\n")
    if _SINK.scheduled:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # outside a server's loop: at once
        flush_request_lines()
        return
    _SINK.scheduled = True
    loop.call_soon(flush_request_lines)


def flush_request_lines() -> None:
    """Write the request lines still pending, in one write."""
    _SINK.scheduled = False
    pending = _SINK.pending
    if not pending:
        return
    lines = []
    while pending:
        lines.append(pending.popleft())
    try:
        sys.stderr.write("".join(lines))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # a closed or broken standard error: the requests are answered all the same
