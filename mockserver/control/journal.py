"""The request journal: every vendor request with what was answered, in a bounded ring buffer."""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

# Headers that carry credentials in any API; each vendor adds the API-key headers its spec declares.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
MAX_BODY_CHARS = 65_536


@dataclass(frozen=True)
class Entry:
    id: int
    time: str  # RFC 3339, real clock
    session: str | None
    vendor: str
    operationId: str | None  # noqa: N815 - the journal speaks the specs' words
    method: str
    path: str
    route: str | None
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int
    durationMs: float  # noqa: N815
    fault: str | None

    def public(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    def __init__(self, size: int) -> None:
        self._entries: deque[Entry] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self.size = size

    def record(self, **fields: Any) -> Entry:
        entry = Entry(id=next(self._ids), **fields)
        self._entries.append(entry)
        return entry

    def select(self, filters: Mapping[str, str]) -> list[Entry]:
        """Entries matching every filter: vendor, operationId, method, status, session, since, until."""
        found = []
        for entry in self._entries:
            if any(str(getattr(entry, key)) != value for key, value in filters.items()
                   if key in ("vendor", "operationId", "method", "status", "session")):
                continue
            if "since" in filters and entry.time < filters["since"]:
                continue
            if "until" in filters and entry.time > filters["until"]:
                continue
            found.append(entry)
        return found

    def clear(self, session: str | None = None) -> None:
        if session is None:
            self._entries.clear()
        else:
            kept = [e for e in self._entries if e.session != session]
            self._entries.clear()
            self._entries.extend(kept)


def masked(headers: Mapping[str, str], secret: frozenset[str] = SECRET_HEADERS) -> dict[str, str]:
    """Credentials reduced to their last four characters (all hidden when short)."""
    return {k: ("****" + v[-4:] if len(v) > 8 else "****") if k in secret else v for k, v in headers.items()}


def readable_body(body: bytes, content_type: str | None) -> Any:
    """The body as JSON when it parses, else as text, cut to a sane size."""
    if not body:
        return None
    text = body[:MAX_BODY_CHARS].decode("utf-8", errors="replace")
    if content_type and "json" in content_type:
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            pass  # kept as text: the journal shows what was sent, valid or not
    return text
