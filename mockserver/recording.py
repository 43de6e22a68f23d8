"""Recordings: what an upstream answered, kept as fixtures (``serve --upstream ... --record DIR``).

Each exchange with a JSON answer becomes one fixture file, ``DIR/<vendor>/<operationId>/<name>.json``,
in the fixture format (mockserver/fixtures.py): ``--fixtures DIR`` replays it, automatically for a
request with the same path and query values (``match``) or by name (``Prefer: example=<name>``).
The name is a digest of the request, so recording the same request again replaces the file; a
file is written beside its final name and renamed over it, so a crash never leaves half a file.

Credentials never reach a recording: the request's headers and cookies are not kept at all, query
API keys are left out of ``match``, and of the response's headers only those that describe the
body are kept (a short list of caching, location and rate-limit names: no cookie, no token).
``--redact`` replaces more
response headers, or values at JSON paths of the body, with ``[REDACTED]`` (a string; other
values become 0, false or empty, so the recording keeps its types). Each recording keeps
when it was made and when it goes stale (``--record-ttl``), which ``mockserver validate`` checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockserver.timeutil import iso_ms

if TYPE_CHECKING:  # type hints only: the recorder is handed these by the app
    from mockserver.messages import Incoming
    from mockserver.proxy import Upstream
    from mockserver.vendor import Conformance
    from mockserver.verify.exchange import Reply

REDACTED = "[REDACTED]"
# Response headers a replay may need; anything else the vendor sent stays out.
KEPT_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "etag",
        "last-modified",
        "location",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    }
)


class Recorder:
    def __init__(self, folder: Path, ttl_days: float, redact: tuple[str, ...]) -> None:
        self.folder, self.ttl = folder, timedelta(days=ttl_days)
        self.headers = {r.lower() for r in redact if not r.startswith("$")}
        self.paths = [_path(r) for r in redact if r.startswith("$")]

    def record(self, upstream: Upstream, vendor: str, verdict: Conformance, incoming: Incoming, reply: Reply) -> Path | None:
        """Keep one exchange (its answer must be JSON); the file written, or None."""
        assert verdict.operation_id is not None and reply.status is not None
        media = reply.media_type
        if not (media == "application/json" or media.endswith("+json")):
            return None
        try:
            body = json.loads(reply.body)
        except ValueError:
            return None
        for path in self.paths:
            body = _redact(body, path)
        match = verdict.params or {}
        digest = hashlib.sha256(
            json.dumps([incoming.method, incoming.path, match, incoming.body.decode("utf-8", "replace")], sort_keys=True).encode()
        ).hexdigest()[:16]
        name = f"recorded-{digest}"
        made = datetime.fromtimestamp(time.time(), UTC)
        fixture = {
            "vendor": vendor,
            "operationId": verdict.operation_id,
            "name": name,
            "description": f"{incoming.method} {incoming.path} as {upstream.url} answered it",
            "status": reply.status,
            "headers": self._headers(reply),
            **({"match": match} if verdict.params is not None and match else {}),
            "recorded": {"at": iso_ms(made), "expires": iso_ms(made + self.ttl), "upstream": upstream.url},
            "body": body,
        }
        target = self.folder / vendor / verdict.operation_id / f"{name}.json"
        _write_atomically(target, json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
        return target

    def _headers(self, reply: Reply) -> dict[str, str]:
        return {
            name: REDACTED if name in self.headers else value for name, value in reply.headers.items() if name in KEPT_HEADERS
        }


def _write_atomically(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".recording-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _path(expression: str) -> list[str]:
    """``$.a.b[*].c`` as steps: names, and ``*`` for every item or member."""
    steps = []
    for part in expression.removeprefix("$").replace("[*]", ".*").split("."):
        if part:
            steps.append(part.strip("[]'\""))
    return steps


def _redact(node: Any, steps: list[str]) -> Any:
    """``node`` with the values at ``steps`` replaced by a value of the same type that tells
    nothing: "[REDACTED]" for a string, 0, false, an empty object or list, so the recording
    still fits its schema where the schema only asks for a type."""
    if not steps:
        if isinstance(node, bool):
            return False
        if isinstance(node, (int, float)):
            return 0
        return {} if isinstance(node, dict) else [] if isinstance(node, list) else None if node is None else REDACTED
    head, rest = steps[0], steps[1:]
    if isinstance(node, dict):
        return {k: (_redact(v, rest) if head in ("*", k) else v) for k, v in node.items()}
    if isinstance(node, list) and (head == "*" or head.isdigit()):
        return [_redact(v, rest) if head == "*" or int(head) == i else v for i, v in enumerate(node)]
    return node
