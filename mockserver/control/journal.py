"""The request journal: every vendor request with what was answered, kept in the state store.

The store keeps the last ``--journal-size`` entries (the oldest go first), shared by every worker.
An entry is in the store before its request is answered, so a client that saw an answer finds it
in the journal through any worker. Where a write costs a commit or a round trip (a file, Redis),
the entries of one event-loop turn share it: each request waits for that one write.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from mockserver.client import JournalEntry  # the entry's shape, as the API gives it
from mockserver.state import State
from mockserver.validation.schema import parse_date_time

# Headers that carry credentials in any API; each vendor adds the API-key headers its spec declares.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "x-mock-admin-token"})
MAX_BODY_CHARS = 65_536
EXACT_FILTERS = ("vendor", "operationId", "method", "status", "session")


class Journal:
    def __init__(self, state: State) -> None:
        self._state = state
        self._pending: list[dict[str, Any]] = []
        self._written: asyncio.Future[None] | None = None  # done when the pending entries are stored

    async def record(self, **fields: Any) -> None:
        """Journal one request (every ``JournalEntry`` field but ``id``); returns once it is stored."""
        if not self._state.batch_journal:
            self._state.record([fields])
            return
        self._pending.append(fields)
        if self._written is None:
            loop = asyncio.get_running_loop()
            self._written = loop.create_future()
            loop.call_soon(self._write)  # after every request this turn has run
        # Shielded: a client that goes away must not cancel the write the other requests wait for.
        await asyncio.shield(self._written)

    def _write(self) -> None:
        pending, written = self._pending, self._written
        if written is None:  # already written by flush()
            return
        self._pending, self._written = [], None
        try:
            self._state.record(pending)
        except Exception as exc:  # noqa: BLE001  # the waiting requests answer it (a 503 when the store fails)
            written.set_exception(exc)
        else:
            written.set_result(None)

    def flush(self) -> None:
        """Store what this process has pending now, before the journal is read or cleared."""
        self._write()

    def select(self, filters: Mapping[str, str]) -> list[JournalEntry]:
        """Entries matching every filter (vendor, operationId, method, status, session, since, until), oldest first."""
        exact = {key: value for key, value in filters.items() if key in EXACT_FILTERS}
        # Instants, not strings: "...:22Z" is before "...:22.135Z", and offsets are allowed.
        since = parse_date_time(filters["since"]) if "since" in filters else None
        until = parse_date_time(filters["until"]) if "until" in filters else None
        found = []
        self.flush()
        for entry in self._state.entries():
            if any(str(entry.get(key)) != value for key, value in exact.items()):
                continue
            if since or until:
                moment = parse_date_time(entry["time"])
                if (since and moment < since) or (until and moment > until):
                    continue
            found.append(entry)  # type: ignore[arg-type]  # stored as a JournalEntry
        return found

    def clear(self, session: str | None = None) -> None:
        self.flush()
        self._state.clear_journal(session)


def masked(headers: Mapping[str, str], secret: frozenset[str] = SECRET_HEADERS) -> dict[str, str]:
    """Credentials reduced to their last four characters (all hidden when short)."""
    return {k: ("****" + v[-4:] if len(v) > 8 else "****") if k in secret else v for k, v in headers.items()}


def readable_body(body: bytes, content_type: str | None) -> Any:
    """The body as JSON when it parses, else as text, cut to a sane size."""
    if not body:
        return None
    text = body[:MAX_BODY_CHARS].decode("utf-8", errors="replace")
    if content_type and "json" in content_type and len(body) <= MAX_BODY_CHARS:
        try:
            return json.loads(body, parse_constant=_refuse)  # NaN would make the journal's own JSON invalid
        except (ValueError, RecursionError):
            pass  # kept as text: the journal shows what was sent, valid or not
    return text


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
