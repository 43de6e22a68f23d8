"""State in SQLite: in memory for one process (the default; its journal is then a bounded deque),
or a file every worker opens.

``--workers N`` gives its workers one temporary file; ``--state sqlite:///path/state.db`` names a
file that also outlives the server. WAL mode lets readers and one writer work at the same time;
each statement is its own transaction, and counters are incremented inside SQL, so concurrent
workers never lose an update.
"""

from __future__ import annotations

import itertools
import json
import secrets
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from mockserver.jobs.model import Job, job_id
from mockserver.state.base import Limits, State, StateFull, StateUnavailable, encode

# The journal deletes entries beyond its size once every so many records.
_TRIM_EVERY = 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, vendor TEXT NOT NULL,
    kind TEXT NOT NULL, session TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_kind ON jobs (vendor, kind, session, seq);
CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rules (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, session TEXT,
    body TEXT NOT NULL, matched INTEGER NOT NULL DEFAULT 0, applied INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
    body TEXT NOT NULL);
"""


class SqliteState(State):
    def __init__(self, path: str, seed: int, limits: Limits) -> None:
        super().__init__(seed, limits)
        self.path = path
        # One connection per process, shared by the event loop and any worker threads.
        self._lock = threading.Lock()
        self._rules: list[tuple[str, dict[str, Any]]] | None = None  # see rules()
        # In memory, nothing but this process reads the journal: a bounded deque of the entries
        # themselves spares encoding and a statement per request. A file's journal is a table.
        self._entries: deque[dict[str, Any]] | None = deque(maxlen=limits.journal) if path == ":memory:" else None
        self._entry_ids = itertools.count(1)
        try:
            self._db = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
            if path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")  # no fsync per commit; WAL stays consistent
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StateUnavailable(f"cannot open the state file {path}: {exc}") from exc

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise StateUnavailable(f"the state file {self.path} failed: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Statements that must see and change the store as one (BEGIN IMMEDIATE takes the write lock)."""
        with self._sql() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def secret(self) -> str:
        with self._sql() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('secret', ?)", (secrets.token_hex(16),))
            return db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()[0]

    # --- jobs ------------------------------------------------------------------------------------
    def new_job(self, job: Job) -> Job:
        vendor, kind = job.vendor, job.kind
        with self._transaction() as db:
            seq = db.execute("INSERT INTO jobs (vendor, kind, session, body) VALUES (?, ?, ?, '')",
                             (vendor, kind, job.session)).lastrowid
            job = replace(job, id=job_id(self.seed, vendor, seq))
            db.execute("UPDATE jobs SET id = ?, body = ? WHERE seq = ?", (job.id, json.dumps(job.public()), seq))
            # Keep the newest jobs of this vendor and kind.
            db.execute("DELETE FROM jobs WHERE vendor = ? AND kind = ? AND seq <= (SELECT seq FROM jobs WHERE"
                       " vendor = ? AND kind = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                       (vendor, kind, vendor, kind, self.limits.jobs))
        return job

    def job(self, vendor: str, job_id: str) -> Job | None:
        with self._sql() as db:
            row = db.execute("SELECT body FROM jobs WHERE id = ? AND vendor = ?", (job_id, vendor)).fetchone()
        return Job(**json.loads(row[0])) if row else None

    def jobs(self, vendor: str, kind: str, offset: int, limit: int, session: str | None) -> tuple[list[Job], int]:
        where = "vendor = ? AND kind = ? AND session IS ?"
        with self._sql() as db:
            rows = db.execute(f"SELECT body FROM jobs WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                              (vendor, kind, session, limit, offset)).fetchall()
            (total,) = db.execute(f"SELECT COUNT(*) FROM jobs WHERE {where}", (vendor, kind, session)).fetchone()
        return [Job(**json.loads(body)) for (body,) in rows], total

    def clear_jobs(self, session: str | None) -> None:
        with self._sql() as db:
            if session is None:
                db.execute("DELETE FROM jobs")
                db.execute("DELETE FROM sqlite_sequence WHERE name = 'jobs'")
            else:
                db.execute("DELETE FROM jobs WHERE session = ?", (session,))

    # --- journal ---------------------------------------------------------------------------------
    def record(self, entry: dict[str, Any]) -> int:
        if self._entries is not None:
            entry_id = next(self._entry_ids)
            self._entries.append({"id": entry_id, **entry})
            return entry_id
        with self._sql() as db:
            entry_id = db.execute("INSERT INTO journal (session, body) VALUES (?, ?)",
                                  (entry.get("session"), encode(entry))).lastrowid
            if entry_id % _TRIM_EVERY == 0:  # trimming in batches spares a statement per request
                db.execute("DELETE FROM journal WHERE id <= ?", (entry_id - self.limits.journal,))
        return entry_id

    def entries(self) -> list[dict[str, Any]]:
        if self._entries is not None:
            return list(self._entries)
        with self._sql() as db:
            rows = db.execute("SELECT id, body FROM journal WHERE id > (SELECT MAX(id) FROM journal) - ? ORDER BY id",
                              (self.limits.journal,)).fetchall()
        return [{"id": entry_id, **json.loads(body)} for entry_id, body in rows]

    def clear_journal(self, session: str | None) -> None:
        if self._entries is not None:
            kept = [] if session is None else [e for e in self._entries if e.get("session") != session]
            self._entries.clear()
            self._entries.extend(kept)
            return
        with self._sql() as db:
            if session is None:
                db.execute("DELETE FROM journal")
            else:
                db.execute("DELETE FROM journal WHERE session = ?", (session,))

    # --- fault rules -----------------------------------------------------------------------------
    def add_rule(self, rule: dict[str, Any], rule_id: str | None = None, replace: bool = True) -> str:
        self._rules = None
        session = (rule.get("match") or {}).get("session")
        with self._transaction() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM rules").fetchone()
            exists = rule_id is not None and db.execute("SELECT 1 FROM rules WHERE id = ?", (rule_id,)).fetchone()
            if exists and not replace:
                return rule_id  # type: ignore[return-value]
            if not exists and count >= self.limits.rules:
                raise StateFull(f"there are already {count} fault rules, the most a server keeps; "
                                "delete some (DELETE /__mock/faults/{id}) or reset")
            if rule_id is None:
                db.execute("INSERT INTO meta VALUES ('rule_ids', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1")
                rule_id = "rule-" + db.execute("SELECT value FROM meta WHERE key = 'rule_ids'").fetchone()[0]
            db.execute("DELETE FROM rules WHERE id = ?", (rule_id,))
            db.execute("INSERT INTO rules (id, session, body) VALUES (?, ?, ?)", (rule_id, session, json.dumps(rule)))
        return rule_id

    def rules(self) -> list[tuple[str, dict[str, Any]]]:
        # Read on every request. In memory nothing but this process changes the rules, so they
        # are kept until it does; in a file other workers may change them at any time.
        if self._rules is not None:
            return self._rules
        with self._sql() as db:
            rows = db.execute("SELECT id, body FROM rules ORDER BY seq").fetchall()
        rules = [(rule_id, json.loads(body)) for rule_id, body in rows]
        if self.path == ":memory:":
            self._rules = rules
        return rules

    def counters(self) -> dict[str, tuple[int, int]]:
        with self._sql() as db:
            return {rule_id: (m, a) for rule_id, m, a in db.execute("SELECT id, matched, applied FROM rules")}

    def bump(self, rule_id: str, counter: str) -> int:
        column = {"matched": "matched", "applied": "applied"}[counter]
        with self._sql() as db:
            row = db.execute(f"UPDATE rules SET {column} = {column} + 1 WHERE id = ? RETURNING {column}", (rule_id,)).fetchone()
        return row[0] if row else 0

    def remove_rule(self, rule_id: str) -> bool:
        self._rules = None
        with self._sql() as db:
            return db.execute("DELETE FROM rules WHERE id = ?", (rule_id,)).rowcount > 0

    def clear_rules(self, session: str | None) -> None:
        self._rules = None
        with self._sql() as db:
            if session is None:
                db.execute("DELETE FROM rules")
                db.execute("DELETE FROM meta WHERE key = 'rule_ids'")
            else:
                db.execute("DELETE FROM rules WHERE session = ?", (session,))

    # --- sessions --------------------------------------------------------------------------------
    def put_session(self, session: dict[str, Any], replace: bool = True) -> None:
        with self._sql() as db:
            verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
            seq = db.execute(f"{verb} INTO sessions (id, body) VALUES (?, ?)", (session["id"], json.dumps(session))).lastrowid
            db.execute("DELETE FROM sessions WHERE seq <= ?", (seq - self.limits.sessions,))

    def session(self, session_id: str) -> dict[str, Any] | None:
        with self._sql() as db:
            row = db.execute("SELECT body FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def sessions(self) -> list[dict[str, Any]]:
        with self._sql() as db:
            return [json.loads(body) for (body,) in db.execute("SELECT body FROM sessions ORDER BY seq")]

    def delete_session(self, session_id: str) -> bool:
        with self._sql() as db:
            return db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    def clear_sessions(self) -> None:
        with self._sql() as db:
            db.execute("DELETE FROM sessions")

    def close(self) -> None:
        with self._lock:
            self._db.close()
