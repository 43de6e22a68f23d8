"""A small client for the ``/__mock`` control plane, for tests and CI scripts (standard library only).

control = MockControl("http://127.0.0.1:8000", session="test-42")
control.add_fault(vendor="botpress", status=503, times=2)
...  # exercise your client with headers=control.session_headers()
assert control.count(vendor="botpress", status=503) == 2
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, TypedDict
from urllib.parse import quote, urlencode, urlsplit

__all__ = ["MockControl", "MockControlError", "MockServerUnreachable", "JournalEntry", "FaultRule", "Session"]

# The journal keeps at most this many entries per request (the control plane's limit).
MAX_JOURNAL_PAGE = 10_000


class JournalEntry(TypedDict):
    """One journaled vendor request (see /__mock/openapi.json, schema Entry); the journal keeps
    its entries in this shape."""

    id: int
    time: str
    session: str | None
    vendor: str
    operationId: str | None
    method: str
    path: str
    route: str | None
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int
    durationMs: float
    fault: str | None
    reason: str | None  # why it was refused (the error's message); None when answered
    warnings: list[str]  # what the vendor ignored that the client likely meant (an undeclared parameter)
    errorType: str | None  # the vendor's name for the error it answered (Botpress's type, ...), if any
    verdict: dict[str, Any] | None  # with --upstream: the real vendor's exchange checked against the spec


class FaultRule(TypedDict):
    """A fault rule as stored, with its counters."""

    id: str
    match: dict[str, Any]
    action: dict[str, Any]
    probability: float
    times: int | None
    matched: int
    applied: int
    remaining: int | None


class Session(TypedDict):
    id: str
    seed: int | None
    now: str | None
    world: dict[str, Any] | None  # the entities it declares, per vendor


class MockControlError(Exception):
    """The control plane refused a call; the message is the server's."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class MockServerUnreachable(ConnectionError):
    """No mock server answered at the control client's URL (not started, stopped, or another port)."""


class MockControl:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        session: str | None = None,
        timeout: float = 10,
        admin_token: str | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be the mock server's root URL, like http://127.0.0.1:8000; got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = timeout
        self.admin_token = admin_token

    # --- sessions ------------------------------------------------------------------------------
    def for_session(self, session: str) -> MockControl:
        """The same server, scoped to another session."""
        return MockControl(self.base_url, session, self.timeout, self.admin_token)

    def session_headers(self) -> dict[str, str]:
        """Headers that put a vendor request in this client's session."""
        return {"X-Mock-Session": self.session} if self.session else {}

    def configure_session(self, seed: int | None = None, now: str | None = None, world: dict[str, Any] | None = None) -> Session:
        """Give this session its own seed, clock (``now`` as RFC 3339, e.g. 2025-06-01T12:00:00Z)
        and declared world (per vendor, as in the config file's ``world``); what is not given is unset."""
        body = {"seed": seed, "now": now, "world": world}
        return self._call("PUT", f"/sessions/{quote(self._session(), safe='')}", body=body)

    def declare_world(self, world: dict[str, Any]) -> Session:
        """Declare this session's own entities per vendor (``{"chatcaptain": {"chatbots": [...]}}``),
        keeping its seed and clock: parallel tests may each declare a different account."""
        current = self.session_settings()
        seed, now = (current["seed"], current["now"]) if current else (None, None)
        return self.configure_session(seed=seed, now=now, world=world)

    def session_settings(self) -> Session | None:
        """This session's seed and clock, or None when it sets none."""
        try:
            return self._call("GET", f"/sessions/{quote(self._session(), safe='')}")
        except MockControlError as error:
            if error.status == 404:
                return None
            raise

    def end_session(self) -> None:
        """Forget this session: its settings, journal entries, fault rules and jobs."""
        self._call("DELETE", f"/sessions/{quote(self._session(), safe='')}")

    # --- health and reset ----------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def reset(self) -> None:
        """Back to the start-up state: journal, fault rules, sessions and jobs, or only this client's session's."""
        self._call("POST", "/reset", query={"session": self.session})

    # --- journal -------------------------------------------------------------------------------
    def journal(
        self,
        *,
        vendor: str | None = None,
        operation_id: str | None = None,
        method: str | None = None,
        status: int | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = MAX_JOURNAL_PAGE,
    ) -> list[JournalEntry]:
        """Journaled requests of this session (or all, without a session), oldest first: the most
        recent ``limit`` of them (every kept one by default)."""
        query = self._filters(vendor, operation_id, method, status, since, until) | {"limit": limit}
        return self._call("GET", "/journal", query=query)["entries"]

    def count(
        self,
        *,
        vendor: str | None = None,
        operation_id: str | None = None,
        method: str | None = None,
        status: int | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> int:
        return self._call("GET", "/journal/count", query=self._filters(vendor, operation_id, method, status, since, until))[
            "count"
        ]

    def clear_journal(self) -> None:
        self._call("DELETE", "/journal", query={"session": self.session})

    def coverage(self, vendor: str | None = None) -> dict[str, Any]:
        """Contract coverage from the journal (see /__mock/openapi.json, getCoverage): of this
        client's session, or of every request when it has none; of one vendor, or of all."""
        return self._call("GET", "/coverage", query={"session": self.session, "vendor": vendor})

    # --- the synthetic world -----------------------------------------------------------------
    def world(self, vendor: str, seed: int | None = None) -> dict[str, Any]:
        """A vendor's entities (General Bots' bots, ChatBot.com's stories, the declared ones, ...)
        as this client's session sees them (the server's when it has none), or for ``seed``."""
        return self._call("GET", f"/world/{quote(vendor, safe='')}", query={"seed": seed, "session": self.session})["entities"]

    # --- faults --------------------------------------------------------------------------------
    def add_fault(
        self,
        *,
        vendor: str | None = None,
        operation_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
        rate_limit: bool = False,
        latency_ms: int | tuple[int, int] | None = None,
        drop: bool = False,
        malformed: bool = False,
        probability: float = 1.0,
        times: int | None = None,
    ) -> FaultRule:
        """Add a fault rule (scoped to this client's session, if it has one); returns it with its id."""
        match = {
            k: v
            for k, v in {
                "vendor": vendor,
                "operationId": operation_id,
                "method": method,
                "path": path,
                "headers": headers,
                "session": self.session,
            }.items()
            if v is not None
        }
        latency: Any = {"min": latency_ms[0], "max": latency_ms[1]} if isinstance(latency_ms, tuple) else latency_ms
        action = {
            k: v
            for k, v in {
                "status": status,
                "rateLimit": rate_limit or None,
                "latencyMs": latency,
                "drop": drop or None,
                "malformed": malformed or None,
            }.items()
            if v is not None
        }
        rule: dict[str, Any] = {"match": match, "action": action, "probability": probability}
        if times is not None:
            rule["times"] = times
        return self._call("POST", "/faults", body=rule)

    def faults(self) -> list[FaultRule]:
        """The fault rules of this session (every rule, without a session)."""
        return self._call("GET", "/faults", query={"session": self.session})["rules"]

    def remove_fault(self, rule_id: str) -> None:
        self._call("DELETE", f"/faults/{quote(rule_id, safe='')}")

    def clear_faults(self) -> None:
        """Remove this session's fault rules (every rule, without a session)."""
        self._call("DELETE", "/faults", query={"session": self.session})

    # --- plumbing ------------------------------------------------------------------------------
    def _session(self) -> str:
        if not self.session:
            raise ValueError("this client has no session: MockControl(url, session='...') or .for_session('...')")
        return self.session

    def _filters(
        self,
        vendor: str | None,
        operation_id: str | None,
        method: str | None,
        status: int | None,
        since: str | None,
        until: str | None,
    ) -> dict[str, Any]:
        return {
            "vendor": vendor,
            "operationId": operation_id,
            "method": method,
            "status": status,
            "since": since,
            "until": until,
            "session": self.session,
        }

    def _call(self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None) -> Any:
        url = f"{self.base_url}/__mock{path}"
        query = {k: v for k, v in (query or {}).items() if v is not None}
        if query:
            url += "?" + urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        if self.admin_token:
            headers["X-Mock-Admin-Token"] = self.admin_token
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")
            try:
                detail = json.loads(detail)["message"]
            except (ValueError, KeyError, TypeError):
                pass
            raise MockControlError(error.code, detail) from None
        except (urllib.error.URLError, OSError) as error:  # refused, reset, timed out, unknown host
            reason = getattr(error, "reason", error)
            raise MockServerUnreachable(
                f"no mock server answers at {self.base_url} ({reason}); start one with `mockserver serve`, "
                "or pass the URL it listens on"
            ) from None
        return json.loads(payload) if payload else None


def merge_coverage(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One coverage report from several (say, one per test session) of the same server: an
    operation is covered when it is covered in any; calls and statuses add up."""
    if not reports:
        raise ValueError("no coverage report to merge")
    merged: dict[str, Any] = {"definition": reports[0]["definition"], "vendors": {}}
    typos: dict[tuple[str, str, str], dict[str, Any]] = {}
    for report in reports:
        for vendor, found in report["vendors"].items():
            mine = merged["vendors"].setdefault(vendor, {"operations": {}})
            for op_id, op in found["operations"].items():
                kept = mine["operations"].setdefault(
                    op_id, {**op, "calls": 0, "covered": False, "statuses": {}, "error_types": {}}
                )
                kept["calls"] += op["calls"]
                kept["covered"] = kept["covered"] or op["covered"]
                for code, count in op["statuses"].items():
                    kept["statuses"][code] = kept["statuses"].get(code, 0) + count
                for kind, count in op["error_types"].items():
                    kept["error_types"][kind] = kept["error_types"].get(kind, 0) + count
                kept["statuses_not_seen"] = [c for c in kept["statuses_not_seen"] if c in op["statuses_not_seen"]]
        for typo in report["typos"]:
            key = (typo["vendor"], typo["operationId"], typo["parameter"])
            typos.setdefault(key, {**typo, "requests": 0})["requests"] += typo["requests"]
    total = covered = 0
    for found in merged["vendors"].values():
        operations = found["operations"].values()
        found["operations_total"], found["operations_covered"] = len(operations), sum(1 for op in operations if op["covered"])
        found["percent"] = round(100 * found["operations_covered"] / found["operations_total"], 1) if operations else 100.0
        total, covered = total + found["operations_total"], covered + found["operations_covered"]
    merged["operations_total"], merged["operations_covered"] = total, covered
    merged["percent"] = round(100 * covered / total, 1) if total else 100.0
    merged["uncovered"] = [
        f"{vendor} {op_id}"
        for vendor, found in merged["vendors"].items()
        for op_id, op in found["operations"].items()
        if not op["covered"]
    ]
    merged["typos"] = list(typos.values())
    return merged
