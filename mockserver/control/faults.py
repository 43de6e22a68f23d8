"""Fault rules: make matching requests fail, slow down, drop or return garbage.

A rule matches on vendor, operationId, method, a path glob, request headers and session, and
acts with a status (in the vendor's error body), latency, a dropped connection or a malformed
body. ``probability`` draws from a stream keyed by (seed, rule, match count), so a fixed seed
gives the same sequence of hits every run; ``times`` limits a rule to the next N matches.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace as replace_field
from typing import Any

from mockserver.control.document import document
from mockserver.errors import ConfigError
from mockserver.generation.rng import keyed_random
from mockserver.state import State, StateFull

# What a rule may say is stated once, in the control plane's document; the start-up config's
# rules, which do not come through the API, are checked against the same figures.
_RULE = document()["components"]["schemas"]["FaultRuleSpec"]["properties"]
MATCH_KEYS = set(_RULE["match"]["properties"])
ACTION_KEYS = set(_RULE["action"]["properties"])
STATUSES = (_RULE["action"]["properties"]["status"]["minimum"], _RULE["action"]["properties"]["status"]["maximum"])
MAX_LATENCY_MS = _RULE["action"]["properties"]["latencyMs"]["oneOf"][0]["maximum"]


@dataclass(frozen=True)
class FaultRule:
    id: str
    match: dict[str, Any]
    action: dict[str, Any]
    probability: float = 1.0
    times: int | None = None
    hit: int = 0  # which firing of the rule this is (1 for the first), set when it fires

    def body(self) -> dict[str, Any]:
        """The rule as a client writes it (and as the state store keeps it)."""
        return {"match": self.match, "action": self.action, "probability": self.probability, "times": self.times}

    def public(self, matched: int, applied: int) -> dict[str, Any]:
        applied = applied if self.times is None else min(applied, self.times)
        remaining = None if self.times is None else self.times - applied
        return {"id": self.id, **self.body(), "matched": matched, "applied": applied, "remaining": remaining}


class FaultRules:
    """The rules in the state store, so every worker and server applies the same ones."""

    def __init__(self, state: State, operations: Mapping[str, frozenset[str]]) -> None:
        self._state = state
        self._operations = operations  # vendor -> its operationIds: what a rule may name
        self._parsed: dict[str, FaultRule] = {}  # by stored JSON: parse each rule once

    def add(self, spec: Mapping[str, Any], rule_id: str | None = None, replace: bool = True) -> FaultRule:
        rule = parse_rule(spec, "")
        self.check_names(rule.match.get("vendor"), rule.match.get("operationId"))
        try:
            stored = self._state.add_rule(rule.body(), rule_id, replace)
        except StateFull as exc:
            raise ConfigError(str(exc)) from None
        return replace_field(rule, id=stored)

    def check_names(self, vendor: Any, operation: Any) -> None:
        """A rule may name only what this server serves, and an operation of the vendor it names."""
        if vendor is not None and vendor not in self._operations:
            raise ConfigError(f"'match.vendor' {vendor!r} is not served here; vendors: {', '.join(self._operations)}")
        known = self._operations.get(vendor, frozenset()) if vendor else frozenset().union(*self._operations.values())
        if operation is not None and operation not in known:
            listed = f"its operations: {', '.join(sorted(known))}" if vendor else "`mockserver routes` lists them"
            raise ConfigError(
                f"'match.operationId' {str(operation)[:100]!r} is no operation of {vendor or 'any vendor served'}; {listed}"
            )

    def public(self, session: str | None = None) -> list[dict[str, Any]]:
        """Every rule with its counters, or the rules of one session."""
        counters = self._state.counters()
        return [
            rule.public(*counters.get(rule.id, (0, 0)))
            for rule in self._current()
            if session is None or rule.match.get("session") == session
        ]

    def any(self) -> bool:
        """Whether any rule is in force (read on every request: the store keeps this cheap)."""
        return bool(self._state.rules())

    def remove(self, rule_id: str) -> bool:
        return self._state.remove_rule(rule_id)

    def clear(self, session: str | None = None) -> None:
        """Remove every rule, or one session's. After a full clear rule ids start again at rule-1, so
        the same rules added again draw the same probability streams."""
        self._state.clear_rules(session)

    def pick(
        self, vendor: str, operation_id: str | None, method: str, path: str, headers: Mapping[str, str], session: str | None
    ) -> FaultRule | None:
        """The first rule that matches and fires for this request (counting it)."""
        for rule in self._current():
            if not _matches(rule.match, vendor, operation_id, method, path, headers, session):
                continue
            matched = self._state.bump(rule.id, "matched")
            if matched == 0:
                continue  # removed meanwhile
            if rule.probability < 1 and keyed_random(self._state.seed, "fault", rule.id, matched).random() >= rule.probability:
                continue
            applied = self._state.bump(rule.id, "applied")
            # Counted atomically in the store: with several workers, exactly `times` requests win.
            if rule.times is not None and applied > rule.times:
                continue
            return replace_field(rule, hit=applied)
        return None

    def _current(self) -> list[FaultRule]:
        rules = []
        for rule_id, body in self._state.rules():
            key = rule_id + json.dumps(body, sort_keys=True)
            if key not in self._parsed:
                if len(self._parsed) > 4 * self._state.limits.rules:
                    self._parsed.clear()
                self._parsed[key] = replace_field(parse_rule(body, rule_id), id=rule_id)
            rules.append(self._parsed[key])
        return rules


def parse_rule(spec: Mapping[str, Any], rule_id: str) -> FaultRule:
    """Check a rule as a client sent it; errors say which field is wrong and what is allowed."""
    if not isinstance(spec, Mapping):
        raise ConfigError("a fault rule is a JSON object with 'match' and 'action'")
    unknown = set(spec) - {"match", "action", "probability", "times"}
    if unknown:
        raise ConfigError(f"unknown fault rule field(s) {sorted(unknown)}; allowed: match, action, probability, times")
    match, action = spec.get("match", {}), spec.get("action")
    if not isinstance(match, Mapping) or set(match) - MATCH_KEYS:
        raise ConfigError(f"'match' takes only {sorted(MATCH_KEYS)}")
    if "headers" in match and not (
        isinstance(match["headers"], Mapping) and all(isinstance(v, str) for v in match["headers"].values())
    ):
        raise ConfigError("'match.headers' maps header names to exact string values")
    if not isinstance(action, Mapping) or not action or set(action) - ACTION_KEYS:
        raise ConfigError(f"'action' is required and takes only {sorted(ACTION_KEYS)}")
    # JSON has one number type: 503.0 is the integer 503.
    action = {k: _whole(v) for k, v in action.items()}
    if isinstance(action.get("latencyMs"), Mapping):
        action["latencyMs"] = {k: _whole(v) for k, v in action["latencyMs"].items()}
    latency = action.get("latencyMs")
    acts = (
        action.get("status")
        or action.get("drop")
        or action.get("malformed")
        or action.get("rateLimit")
        or (latency if isinstance(latency, int) else isinstance(latency, Mapping) and latency.get("max"))
    )
    if not acts:
        # A rule that does nothing would still stop the rules after it: the first match acts.
        raise ConfigError("'action' does nothing: give a status, rateLimit: true, latencyMs, drop: true or malformed: true")
    spec = {**spec, "times": _whole(spec.get("times"))}
    status = action.get("status")
    if status is not None and not (isinstance(status, int) and STATUSES[0] <= status <= STATUSES[1]):
        raise ConfigError(f"'action.status' must be an error status from {STATUSES[0]} to {STATUSES[1]}, got {status!r}")
    latency = action.get("latencyMs")
    if latency is not None and not _latency_ok(latency):
        raise ConfigError(f'\'action.latencyMs\' is milliseconds (0-{MAX_LATENCY_MS}) or {{"min": ms, "max": ms}}')
    probability = spec.get("probability", 1.0)
    if not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
        raise ConfigError(f"'probability' must be a number from 0 to 1, got {probability!r}")
    times = spec.get("times")
    if times is not None and not (isinstance(times, int) and times >= 1):
        raise ConfigError(f"'times' must be a whole number >= 1 (the next N matching requests), got {times!r}")
    headers = {k.lower(): v for k, v in match.get("headers", {}).items()}
    return FaultRule(rule_id, {**match, **({"headers": headers} if headers else {})}, dict(action), float(probability), times)


def latency_of(rule: FaultRule, seed: int) -> int:
    latency = rule.action.get("latencyMs")
    if isinstance(latency, Mapping):
        low, high = sorted((latency["min"], latency["max"]))  # a reversed range is read as meant
        return keyed_random(seed, "latency", rule.id, rule.hit).randint(low, high)
    return int(latency or 0)


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _latency_ok(latency: Any) -> bool:
    if isinstance(latency, int):
        return 0 <= latency <= MAX_LATENCY_MS
    return (
        isinstance(latency, Mapping)
        and set(latency) == {"min", "max"}
        and all(isinstance(v, int) and 0 <= v <= MAX_LATENCY_MS for v in latency.values())
    )


def _matches(
    match: Mapping[str, Any],
    vendor: str,
    operation_id: str | None,
    method: str,
    path: str,
    headers: Mapping[str, str],
    session: str | None,
) -> bool:
    if "vendor" in match and match["vendor"] != vendor:
        return False
    if "operationId" in match and match["operationId"] != operation_id:
        return False
    if "method" in match and match["method"].upper() != method:
        return False
    if "path" in match and not fnmatch.fnmatchcase(path, match["path"]):
        return False
    if "session" in match and match["session"] != session:
        return False
    return all(headers.get(name) == value for name, value in match.get("headers", {}).items())
