"""The request journal: every vendor request with what was answered, kept in the state store.

The store keeps the last ``--journal-size`` entries (the oldest go first), shared by every worker.
An entry is in the store before its request is answered, so a client that saw an answer finds it
in the journal through any worker. Where a write costs a commit or a round trip (a file, Redis),
the entries of one event-loop turn share it: each request waits for that one write.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl, urlencode

from mockserver.state import State
from mockserver.validation.schema import parse_date_time

if TYPE_CHECKING:  # the entry's shape, as the API gives it (the client module brings urllib.request)
    from mockserver.client import JournalEntry

# Names that carry credentials in some API, wherever they appear (headers, query parameters):
# Authorization, Proxy-Authorization, Cookie, X-Api-Key, Api-Key, X-Auth-Token, X-Mock-Admin-Token,
# X-Amz-Security-Token, access_token, api_key, key, signature, password ... Each vendor's
# API-key header is added on every vendor, whatever its name.
# One rule for header names, query parameters, JSON members and form fields.
CREDENTIAL_NAME = re.compile(
    r"auth|token|secret|passw|credential|cookie|signature|jwt|pwd|api[-_]?key|(^|[-_])key$|^sig$|(^|[-_])pass($|[-_])", re.I
)
# A "name": "value" or name=value pair in a body that is kept as text (not JSON, cut, or broken).
# A name starts where no name character precedes it and is at most 64 long, so that a long run of
# name characters costs linear time, not quadratic backtracking.
_TEXT_PAIR = re.compile(
    r"""(?<![\w.\-])(?P<name>[\w.\-]{1,64})(?P<sep>["']?[ \t]*[:=][ \t]*)(?P<quote>["']?)(?P<value>[^"'&\s,;}\]]*)"""
)
EXACT_FILTERS = ("vendor", "operationId", "method", "status", "session")


class Journal:
    def __init__(self, state: State) -> None:
        self._state = state
        self._pending: list[dict[str, Any]] = []
        self._written: asyncio.Future[None] | None = None  # done when the pending entries are stored

    def record(self, **fields: Any) -> Awaitable[None] | None:
        """Journal one request (every ``JournalEntry`` field but ``id``). A store that batches
        (``State.batch_journal``) gives an awaitable, done once the entry is stored; others store
        it at once and give None (no coroutine for the answer to wait on)."""
        if not self._state.batch_journal:
            self._state.record([fields])
            return None
        self._pending.append(fields)
        if self._written is None:
            loop = asyncio.get_running_loop()
            self._written = loop.create_future()
            loop.call_soon(self._write)  # after every request this turn has run
        # Shielded: a client that goes away must not cancel the write the other requests wait for.
        return asyncio.shield(self._written)

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
            # A store's entries from before these fields lack them.
            found.append({"warnings": [], "errorType": None, "verdict": None, **entry})
        return found  # type: ignore[return-value]  # stored as JournalEntry dicts

    def clear(self, session: str | None = None) -> None:
        self.flush()
        self._state.clear_journal(session)


class Masker:
    """Hides credentials before an entry is stored: by name (``CREDENTIAL_NAME``), plus the
    API-key header names every served spec declares."""

    def __init__(self, header_names: frozenset[str] = frozenset()) -> None:
        self.header_names = header_names
        self._verdicts: dict[str, bool] = {}  # name -> secret?, a few dozen names in practice

    def secret(self, name: str) -> bool:
        verdict = self._verdicts.get(name)
        if verdict is None:
            verdict = name.lower() in self.header_names or CREDENTIAL_NAME.search(name) is not None
            if len(self._verdicts) < 4096:
                self._verdicts[name] = verdict
        return verdict

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {k: mask(v) if self.secret(k) else v for k, v in headers.items()}

    def query(self, query: Mapping[str, list[str]]) -> dict[str, list[str]]:
        return {k: [mask(v) for v in values] if self.secret(k) else values for k, values in query.items()}

    def value(self, value: Any) -> Any:
        """A parsed JSON body with every member named like a credential masked, at any depth."""
        if isinstance(value, dict):
            return {k: (mask(v) if isinstance(v, str) else "****") if self.secret(k) else self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def form(self, text: str) -> str:
        """A form-encoded body with its credential fields masked."""
        pairs = parse_qsl(text, keep_blank_values=True)
        return urlencode([(k, mask(v) if self.secret(k) else v) for k, v in pairs], safe="*")

    def text(self, text: str) -> str:
        """Any other text: ``name=value`` and ``"name": "value"`` pairs named like a credential masked."""

        def replace(found: re.Match[str]) -> str:
            if not self.secret(found["name"]) or not found["value"]:
                return found[0]
            return f"{found['name']}{found['sep']}{found['quote']}{mask(found['value'])}"

        return _TEXT_PAIR.sub(replace, text)


def mask(value: str) -> str:
    """A credential as the journal keeps it: its last four characters when it has 12 or more
    (enough to tell two apart), nothing of a shorter one. An auth scheme ("Bearer") is no secret
    but is not kept either: the rest is what must not leak."""
    scheme, sep, credential = value.partition(" ")
    if not (sep and scheme.isalpha()):
        credential = value
    credential = credential.strip()
    return "****" + credential[-4:] if len(credential) >= 12 else "****"


def cut(text: str, keep: int) -> str:
    """``text`` cut to ``keep`` characters, saying how much was left out."""
    return text if len(text) <= keep else f"{text[:keep]}…[cut {len(text) - keep} bytes]"


def bounded(
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes,
    content_type: str | None,
    limit: int,
    masker: Masker,
) -> tuple[str, dict[str, list[str]], dict[str, str], Any]:
    """What the journal keeps of a request, credentials masked: at most about ``limit`` bytes
    (``--journal-entry-bytes``).

    The head (path, query, headers) gets half the budget when it needs it, each long value cut to an
    equal share with a visible marker; the body gets what is left, cut the same way.
    """
    query, headers = masker.query(query), masker.headers(headers)
    head = len(path) + sum(len(k) + sum(map(len, v)) for k, v in query.items()) + sum(len(k) + len(v) for k, v in headers.items())
    if head > limit // 2:
        share = max(64, (limit // 2) // (2 + len(headers) + len(query)))
        path = cut(path, share)
        query = {cut(k, share): [cut(v, share) for v in values[:16]] for k, values in list(query.items())[:64]}
        headers = {cut(k, share): cut(v, share) for k, v in headers.items()}
        head = (
            len(path)
            + sum(len(k) + sum(map(len, v)) for k, v in query.items())
            + sum(len(k) + len(v) for k, v in headers.items())
        )
    return path, query, headers, readable_body(body, content_type, max(limit - head, 64), masker)


class JournalViews:
    """``bounded`` with a memory: what the journal keeps of a small request without a body is a
    function of its path, query string and headers, and a client sends the same request again and
    again (a test suite, a poller). Remembered from a request's second time, for the last ``size``
    such requests, each under ``SMALL`` bytes, so the memory is bounded; the views are never
    changed once made. A request asked once, as most are under varied traffic, leaves only the hash
    of its key: views are dicts the garbage collector tracks, and thousands of them made and
    dropped again would give every collection more to visit."""

    SMALL = 4096

    def __init__(self, limit: int, masker: Masker, size: int = 1024) -> None:
        self.limit, self.masker, self.size = limit, masker, size
        self._views: dict[tuple[Any, ...], tuple[str, dict[str, list[str]], dict[str, str], Any]] = {}
        self._seen: set[int] = set()  # hashes of the small requests asked once so far

    def __call__(
        self, path: str, query_string: str, query: dict[str, list[str]] | None, headers: dict[str, str], body: bytes
    ) -> tuple[str, dict[str, list[str]], dict[str, str], Any]:
        """What the journal keeps of a request; ``query`` is its query string parsed, when the
        pipeline got that far (else it is parsed here, and only when not remembered)."""
        key = None if body else (path, query_string, *headers.items())
        view = self._views.get(key) if key is not None else None
        if view is None:
            parsed = query if query is not None else parse_qs(query_string, keep_blank_values=True)
            view = bounded(path, parsed, headers, body, headers.get("content-type"), self.limit, self.masker)
            if key is not None and len(path) + len(query_string) + sum(len(k) + len(v) for k, v in headers.items()) <= self.SMALL:
                self._remember(key, view)
        return view

    def _remember(self, key: tuple[Any, ...], view: tuple[str, dict[str, list[str]], dict[str, str], Any]) -> None:
        """Keep ``view`` if ``key`` came before (a hash seen: at worst, a collision keeps one early)."""
        name = hash(key)
        if name not in self._seen:
            if len(self._seen) >= self.size:
                self._seen.clear()
            self._seen.add(name)
            return
        if len(self._views) >= self.size:
            self._views.clear()  # a new set of requests: start again rather than track recency
        self._views[key] = view


def readable_body(body: bytes, content_type: str | None, limit: int, masker: Masker) -> Any:
    """The body, masked, as JSON when it parses and fits, else as text cut to ``limit`` with a marker.

    Masking comes first, on the whole body: a cut must never leave a credential that the parsed
    body would have masked."""
    if not body:
        return None
    media = (content_type or "").split(";")[0].strip().lower()
    text = body.decode("utf-8", errors="replace")
    if "json" in media:
        try:
            parsed = masker.value(json.loads(text, parse_constant=_refuse))  # NaN would break the journal's own JSON
        except (ValueError, RecursionError):
            text = masker.text(text)  # kept as text: the journal shows what was sent, valid or not
        else:
            if len(body) <= limit:
                return parsed
            text = json.dumps(parsed, ensure_ascii=False)
    elif media == "application/x-www-form-urlencoded":
        text = masker.form(text)
    else:
        text = masker.text(text)
    return cut(text, limit)


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
