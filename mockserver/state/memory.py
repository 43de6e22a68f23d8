"""State in this process's memory (``--state memory``, the default for one worker).

Plain Python collections, no database: nothing but this process reads them, so nothing needs
encoding or a statement per request. It keeps the same contract as the shared stores
(tests/test_state_contract.py): ids, order, limits and counters come out alike, so a seed's
fault sequence and job ids are the same on every store.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from mockserver.jobs.model import Job, job_id
from mockserver.state.base import Limits, State, StateFull, encode, resources_full


class MemoryState(State):
    def __init__(self, seed: int, limits: Limits) -> None:
        super().__init__(seed, limits)
        self._secret = secrets.token_hex(16)
        self._job_numbers = itertools.count(1)
        self._jobs: dict[tuple[str, str], OrderedDict[str, Job]] = {}  # (vendor, kind) -> id -> job, oldest first
        # (id, session, the entry as JSON, its UTF-8 bytes): text, not dicts, so that a full journal
        # is nothing the garbage collector has to visit.
        self._entries: deque[tuple[int, str | None, str, int]] = deque()
        self._entry_bytes = 0
        self._entry_ids = itertools.count(1)
        self._rules: OrderedDict[str, dict[str, Any]] = OrderedDict()  # in the order they were added
        self._counters: dict[str, list[int]] = {}
        self._rule_names = 0  # unnamed rules count on their own: rule-1 is the first of them
        self._rule_list: list[tuple[str, dict[str, Any]]] | None = None  # rules(), until they change
        self._sessions: OrderedDict[str, dict[str, Any]] = OrderedDict()
        # session -> (vendor, collection, id) -> record (None: deleted), in the order first written
        self._resources: dict[str | None, dict[tuple[str, str, str], dict[str, Any] | None]] = {}
        self._numbers: dict[str | None, dict[tuple[str, str], int]] = {}

    def secret(self) -> str:
        return self._secret

    # --- jobs ------------------------------------------------------------------------------------
    def new_job(self, job: Job) -> Job:
        stored = replace(job, id=job_id(self.seed, job.vendor, next(self._job_numbers)))
        kept = self._jobs.setdefault((job.vendor, job.kind), OrderedDict())
        kept[stored.id] = stored
        while len(kept) > self.limits.jobs:
            kept.popitem(last=False)
        return stored

    def job(self, vendor: str, job_id: str) -> Job | None:
        for (owner, _), kept in self._jobs.items():
            if owner == vendor and job_id in kept:
                return kept[job_id]
        return None

    def jobs(self, vendor: str, kind: str, offset: int, limit: int, session: str | None) -> tuple[list[Job], int]:
        found = [job for job in reversed(self._jobs.get((vendor, kind), {}).values()) if job.session == session]
        return found[offset : offset + limit], len(found)

    def vendor_jobs(self, vendor: str) -> list[Job]:
        found = [job for (owner, _), kept in self._jobs.items() if owner == vendor for job in kept.values()]
        return sorted(found, key=lambda job: job.created)

    def clear_jobs(self, session: str | None) -> None:
        if session is None:
            self._jobs.clear()
            self._job_numbers = itertools.count(1)  # as on a fresh server
            return
        for kept in self._jobs.values():
            for gone in [number for number, job in kept.items() if job.session == session]:
                del kept[gone]

    # --- journal ---------------------------------------------------------------------------------
    def record(self, entries: Sequence[dict[str, Any]]) -> None:
        for entry in entries:
            # Text, not orjson's bytes: those hold a 4 KiB buffer however short the entry.
            text = encode(entry)
            size = len(text) if text.isascii() else len(text.encode())  # its UTF-8 bytes
            self._entries.append((next(self._entry_ids), entry.get("session"), text, size))
            self._entry_bytes += size
        while self._entries and (len(self._entries) > self.limits.journal or self._entry_bytes > self.limits.journal_bytes):
            self._entry_bytes -= self._entries.popleft()[3]

    def entries(self) -> list[dict[str, Any]]:
        # The standard decoder, as the other stores: orjson reads an integer beyond 64 bits as a float.
        return [{"id": entry_id, **json.loads(text)} for entry_id, _, text, _ in self._entries]

    def clear_journal(self, session: str | None) -> None:
        self._entries = deque() if session is None else deque(e for e in self._entries if e[1] != session)
        self._entry_bytes = sum(size for *_, size in self._entries)

    # --- fault rules -----------------------------------------------------------------------------
    def add_rule(self, rule: dict[str, Any], rule_id: str | None = None, replace: bool = True) -> str:
        if rule_id is not None and rule_id in self._rules and not replace:
            return rule_id
        if (rule_id is None or rule_id not in self._rules) and len(self._rules) >= self.limits.rules:
            raise StateFull(
                f"there are already {len(self._rules)} fault rules, the most a server keeps; "
                "delete some (DELETE /__mock/faults/{id}) or reset"
            )
        if rule_id is None:
            self._rule_names += 1
            rule_id = f"rule-{self._rule_names}"
        self._rules.pop(rule_id, None)  # a replaced rule goes to the end, with its counters zeroed
        self._rules[rule_id] = rule
        self._counters[rule_id] = [0, 0]
        self._rule_list = None
        return rule_id

    def rules(self) -> list[tuple[str, dict[str, Any]]]:
        if self._rule_list is None:  # read on every request: built once per change
            self._rule_list = list(self._rules.items())
        return self._rule_list

    def counters(self) -> dict[str, tuple[int, int]]:
        return {rule_id: (matched, applied) for rule_id, (matched, applied) in self._counters.items()}

    def bump(self, rule_id: str, counter: str) -> int:
        counts = self._counters.get(rule_id)
        if counts is None:
            return 0
        index = {"matched": 0, "applied": 1}[counter]
        counts[index] += 1
        return counts[index]

    def remove_rule(self, rule_id: str) -> bool:
        self._rule_list = None
        self._counters.pop(rule_id, None)
        return self._rules.pop(rule_id, None) is not None

    def clear_rules(self, session: str | None) -> None:
        self._rule_list = None
        if session is None:
            self._rules.clear()
            self._counters.clear()
            self._rule_names = 0
            return
        for gone in [rule_id for rule_id, rule in self._rules.items() if (rule.get("match") or {}).get("session") == session]:
            self.remove_rule(gone)

    # --- sessions --------------------------------------------------------------------------------
    def put_session(self, session: dict[str, Any], replace: bool = True) -> None:
        if not replace and session["id"] in self._sessions:
            return
        self._sessions.pop(session["id"], None)  # a replaced session counts as the newest
        self._sessions[session["id"]] = session
        while len(self._sessions) > self.limits.sessions:
            self._sessions.popitem(last=False)

    def session(self, session_id: str) -> dict[str, Any] | None:
        return self._sessions.get(session_id)

    def sessions(self) -> list[dict[str, Any]]:
        return list(self._sessions.values())

    def delete_session(self, session_id: str) -> bool:
        return self._sessions.pop(session_id, None) is not None

    def clear_sessions(self) -> None:
        self._sessions.clear()

    # --- resources -------------------------------------------------------------------------------
    def resource_number(self, vendor: str, session: str | None, collection: str) -> int:
        numbers = self._numbers.setdefault(session, {})
        numbers[vendor, collection] = numbers.get((vendor, collection), 0) + 1
        return numbers[vendor, collection]

    def put_resource(
        self, vendor: str, session: str | None, collection: str, resource_id: str, record: dict[str, Any] | None, new: bool
    ) -> bool:
        kept = self._resources.setdefault(session, {})
        key = (vendor, collection, resource_id)
        if key in kept:
            if new:
                return False
        elif len(kept) >= self.limits.resources:
            raise StateFull(resources_full(len(kept), session))
        elif (total := sum(map(len, self._resources.values()))) >= self.limits.resources_total:
            raise StateFull(resources_full(total, session, everywhere=True))
        # Through JSON, as the other stores: the caller's dict is never shared with a later reader.
        kept[key] = None if record is None else json.loads(encode(record))
        return True

    def resource(self, vendor: str, session: str | None, collection: str, resource_id: str) -> tuple[bool, dict[str, Any] | None]:
        kept = self._resources.get(session, {})
        key = (vendor, collection, resource_id)
        if key not in kept:
            return False, None
        record = kept[key]
        return True, None if record is None else json.loads(encode(record))

    def resources(self, vendor: str, session: str | None, collection: str) -> list[tuple[str, dict[str, Any] | None]]:
        return [
            (rid, None if record is None else json.loads(encode(record)))
            for (owner, where, rid), record in self._resources.get(session, {}).items()
            if owner == vendor and where == collection
        ]

    def clear_resources(self, session: str | None) -> None:
        if session is None:
            self._resources.clear()
            self._numbers.clear()
        else:
            self._resources.pop(session, None)
            self._numbers.pop(session, None)
