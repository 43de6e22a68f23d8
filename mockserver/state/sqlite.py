"""State in SQLite files every worker opens.

``--workers N`` gives its workers one temporary file; ``--state sqlite:///path/state.db`` names a
file that also outlives the server. WAL mode lets readers and one writer work at the same time;
counters are incremented inside SQL, and what must happen together runs in one transaction, so
concurrent workers never lose an update.

Several workers write at once (every request adds a journal entry), so two things keep them from
waiting on each other: the journal has a file of its own (``state.journal.db`` beside
``state.db``), so writing it never disturbs readers of the rules; and a statement that finds the
file locked is tried again after a fraction of a millisecond, where SQLite's own busy handler
would sleep a whole millisecond or more.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from mockserver.jobs.model import Job, job_id
from mockserver.state.base import Breaker, Limits, State, StateFull, StateUnavailable, encode, resources_full

T = TypeVar("T")
# The journal deletes entries beyond its size once every so many records.
_TRIM_EVERY = 64
# The first pause between tries of a statement that found the file locked; it keeps trying for
# ``Limits.timeout`` in all.
_FIRST_PAUSE = 0.0001
# Workers starting together open the file at once: opening it may wait longer than a request.
_START_PATIENCE = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, vendor TEXT NOT NULL,
    kind TEXT NOT NULL, session TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_kind ON jobs (vendor, kind, session, seq);
CREATE TABLE IF NOT EXISTS rules (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, session TEXT,
    body TEXT NOT NULL, matched INTEGER NOT NULL DEFAULT 0, applied INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
    body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (seq INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, vendor TEXT NOT NULL,
    collection TEXT NOT NULL, id TEXT NOT NULL, body TEXT, UNIQUE (session, vendor, collection, id));
CREATE TABLE IF NOT EXISTS resource_numbers (session TEXT NOT NULL, vendor TEXT NOT NULL, collection TEXT NOT NULL,
    number INTEGER NOT NULL, PRIMARY KEY (session, vendor, collection));
"""
# Drops the oldest entries beyond the journal's byte limit.
_TRIM_BYTES = """DELETE FROM journal WHERE id <= (SELECT id FROM (SELECT id, SUM(length(body)) OVER (ORDER BY id DESC) AS total
    FROM journal) WHERE total > ? ORDER BY id DESC LIMIT 1)"""
_JOURNAL_SCHEMA = "CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT, body TEXT NOT NULL);"


class SqliteState(State):
    def __init__(self, path: str, seed: int, limits: Limits) -> None:
        super().__init__(seed, limits)
        self.path = path
        self._lock = threading.Lock()  # one connection pair per process, shared by the event loop and threads
        self._rules: list[tuple[str, dict[str, Any]]] | None = None  # see rules()
        self._rules_version = -1
        self._breaker = Breaker(self.ping_directly)
        self._db = self._connect(path, _SCHEMA)
        self._journal = self._connect(_journal_path(path), _JOURNAL_SCHEMA)
        self.batch_journal = True

    def _connect(self, path: str, schema: str) -> sqlite3.Connection:
        try:
            # timeout=0: a locked file raises at once, and _run tries again after a short pause.
            db = sqlite3.connect(path, timeout=0, check_same_thread=False, isolation_level=None)
            self._retrying(lambda: db.execute("PRAGMA journal_mode=WAL"), _START_PATIENCE)
            # No fsync per commit (WAL stays consistent); the request journal needs none at all.
            db.execute("PRAGMA synchronous=OFF" if schema is _JOURNAL_SCHEMA else "PRAGMA synchronous=NORMAL")
            self._retrying(lambda: db.executescript(schema), _START_PATIENCE)
            return db
        except sqlite3.Error as exc:
            raise StateUnavailable(f"cannot open the state file {path}: {exc}") from exc

    def _retrying(self, work: Callable[[], T], patience: float | None = None) -> T:
        deadline, pause = time.monotonic() + (patience or self.limits.timeout), _FIRST_PAUSE
        while True:
            try:
                return work()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.005)

    def _run(self, work: Callable[[sqlite3.Connection], T], journal: bool = False) -> T:
        """``work`` on the state (or journal) connection: tried again while the file is locked."""
        return self._breaker.call(lambda: self._direct(work, journal))

    def _direct(self, work: Callable[[sqlite3.Connection], T], journal: bool = False) -> T:
        db = self._journal if journal else self._db
        with self._lock:
            try:
                return self._retrying(lambda: work(db))
            except sqlite3.Error as exc:
                raise StateUnavailable(f"the state file {self.path} failed: {exc}") from exc

    def ping(self) -> None:
        self._breaker.call(self.ping_directly)

    def ping_directly(self) -> None:
        """Whether both files take a write now (a reader alone would not see another process's lock)."""

        def write_lock(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")

        self._direct(write_lock)
        self._direct(write_lock, journal=True)

    @property
    def down(self) -> str | None:
        return self._breaker.down

    def _transaction(self, work: Callable[[sqlite3.Connection], T], journal: bool = False) -> T:
        """``work`` as one transaction (BEGIN IMMEDIATE takes the write lock at once)."""

        def atomically(db: sqlite3.Connection) -> T:
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

        return self._run(atomically, journal)

    def secret(self) -> str:
        # Read at every link signed or checked (jobs.links.LinkKey): a write only when there is none.
        def read(db: sqlite3.Connection) -> str:
            row = db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
            if row is None:
                db.execute("INSERT OR IGNORE INTO meta VALUES ('secret', ?)", (secrets.token_hex(16),))
                row = db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
            return str(row[0])

        return self._run(read)

    # --- jobs ------------------------------------------------------------------------------------
    def new_job(self, job: Job) -> Job:
        vendor, kind = job.vendor, job.kind

        def store(db: sqlite3.Connection) -> Job:
            seq = db.execute(
                "INSERT INTO jobs (vendor, kind, session, body) VALUES (?, ?, ?, '')", (vendor, kind, job.session)
            ).lastrowid
            assert seq is not None  # a plain INSERT always adds its row
            stored = replace(job, id=job_id(self.seed, vendor, seq))
            db.execute("UPDATE jobs SET id = ?, body = ? WHERE seq = ?", (stored.id, json.dumps(stored.public()), seq))
            # Keep the newest jobs of this vendor and kind.
            db.execute(
                "DELETE FROM jobs WHERE vendor = ? AND kind = ? AND seq <= (SELECT seq FROM jobs WHERE"
                " vendor = ? AND kind = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                (vendor, kind, vendor, kind, self.limits.jobs),
            )
            return stored

        return self._transaction(store)

    def job(self, vendor: str, job_id: str) -> Job | None:
        row = self._run(lambda db: db.execute("SELECT body FROM jobs WHERE id = ? AND vendor = ?", (job_id, vendor)).fetchone())
        return Job(**json.loads(row[0])) if row else None

    def vendor_jobs(self, vendor: str) -> list[Job]:
        rows = self._run(lambda db: db.execute("SELECT body FROM jobs WHERE vendor = ? ORDER BY seq", (vendor,)).fetchall())
        return [Job(**json.loads(body)) for (body,) in rows]

    def jobs(self, vendor: str, kind: str, offset: int, limit: int, session: str | None) -> tuple[list[Job], int]:
        where = "vendor = ? AND kind = ? AND session IS ?"

        def read(db: sqlite3.Connection) -> tuple[list[Any], int]:
            rows = db.execute(
                f"SELECT body FROM jobs WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?", (vendor, kind, session, limit, offset)
            ).fetchall()
            return rows, db.execute(f"SELECT COUNT(*) FROM jobs WHERE {where}", (vendor, kind, session)).fetchone()[0]

        rows, total = self._run(read)
        return [Job(**json.loads(body)) for (body,) in rows], total

    def clear_jobs(self, session: str | None) -> None:
        def clear(db: sqlite3.Connection) -> None:
            if session is None:
                db.execute("DELETE FROM jobs")
                db.execute("DELETE FROM sqlite_sequence WHERE name = 'jobs'")
            else:
                db.execute("DELETE FROM jobs WHERE session = ?", (session,))

        self._run(clear)

    # --- journal ---------------------------------------------------------------------------------
    def record(self, entries: Sequence[dict[str, Any]]) -> None:
        rows = [(entry.get("session"), encode(entry)) for entry in entries]

        def add(db: sqlite3.Connection) -> None:
            db.executemany("INSERT INTO journal (session, body) VALUES (?, ?)", rows)
            (last,) = db.execute("SELECT last_insert_rowid()").fetchone()
            if last // _TRIM_EVERY != (last - len(rows)) // _TRIM_EVERY:  # trimming now and then spares statements
                db.execute("DELETE FROM journal WHERE id <= ?", (last - self.limits.journal,))
                db.execute(_TRIM_BYTES, (self.limits.journal_bytes,))

        if rows:
            self._transaction(add, journal=True)  # one commit for the batch

    def entries(self) -> list[dict[str, Any]]:
        rows = self._run(
            lambda db: db.execute(
                "SELECT id, body FROM journal WHERE id > (SELECT MAX(id) FROM journal) - ? ORDER BY id DESC",
                (self.limits.journal,),
            ).fetchall(),
            journal=True,
        )
        kept, size = [], 0
        for entry_id, body in rows:  # newest first: what the byte limit keeps, as if trimmed just now
            size += len(body)
            if size > self.limits.journal_bytes:
                break
            kept.append({"id": entry_id, **json.loads(body)})
        return kept[::-1]

    def clear_journal(self, session: str | None) -> None:
        if session is None:
            self._run(lambda db: db.execute("DELETE FROM journal"), journal=True)
        else:
            self._run(lambda db: db.execute("DELETE FROM journal WHERE session = ?", (session,)), journal=True)

    # --- fault rules -----------------------------------------------------------------------------
    def add_rule(self, rule: dict[str, Any], rule_id: str | None = None, replace: bool = True) -> str:
        self._rules = None
        session = (rule.get("match") or {}).get("session")

        def store(db: sqlite3.Connection) -> str:
            (count,) = db.execute("SELECT COUNT(*) FROM rules").fetchone()
            exists = rule_id is not None and db.execute("SELECT 1 FROM rules WHERE id = ?", (rule_id,)).fetchone()
            if exists and not replace:
                return rule_id  # type: ignore[return-value]
            if not exists and count >= self.limits.rules:
                raise StateFull(
                    f"there are already {count} fault rules, the most a server keeps; "
                    "delete some (DELETE /__mock/faults/{id}) or reset"
                )
            named = rule_id
            if named is None:
                db.execute("INSERT INTO meta VALUES ('rule_ids', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1")
                named = "rule-" + db.execute("SELECT value FROM meta WHERE key = 'rule_ids'").fetchone()[0]
            db.execute("DELETE FROM rules WHERE id = ?", (named,))
            db.execute("INSERT INTO rules (id, session, body) VALUES (?, ?, ?)", (named, session, json.dumps(rule)))
            return named

        return self._transaction(store)

    def rules(self) -> list[tuple[str, dict[str, Any]]]:
        # Read on every request, so kept until the state changes: SQLite's data_version says
        # whether another worker changed it.
        version = self._run(lambda db: db.execute("PRAGMA data_version").fetchone()[0])
        if self._rules is None or version != self._rules_version:
            self._rules, self._rules_version = self._read_rules(), version
        return self._rules

    def _read_rules(self) -> list[tuple[str, dict[str, Any]]]:
        rows = self._run(lambda db: db.execute("SELECT id, body FROM rules ORDER BY seq").fetchall())
        return [(rule_id, json.loads(body)) for rule_id, body in rows]

    def counters(self) -> dict[str, tuple[int, int]]:
        rows = self._run(lambda db: db.execute("SELECT id, matched, applied FROM rules").fetchall())
        return {rule_id: (matched, applied) for rule_id, matched, applied in rows}

    def bump(self, rule_id: str, counter: str) -> int:
        column = {"matched": "matched", "applied": "applied"}[counter]
        row = self._run(
            lambda db: db.execute(
                f"UPDATE rules SET {column} = {column} + 1 WHERE id = ? RETURNING {column}", (rule_id,)
            ).fetchone()
        )
        return row[0] if row else 0

    def remove_rule(self, rule_id: str) -> bool:
        self._rules = None
        return self._run(lambda db: db.execute("DELETE FROM rules WHERE id = ?", (rule_id,)).rowcount > 0)

    def clear_rules(self, session: str | None) -> None:
        self._rules = None

        def clear(db: sqlite3.Connection) -> None:
            if session is None:
                db.execute("DELETE FROM rules")
                db.execute("DELETE FROM meta WHERE key = 'rule_ids'")
            else:
                db.execute("DELETE FROM rules WHERE session = ?", (session,))

        self._run(clear)

    # --- sessions --------------------------------------------------------------------------------
    def put_session(self, session: dict[str, Any], replace: bool = True) -> None:
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"

        def store(db: sqlite3.Connection) -> None:
            inserted = db.execute(f"{verb} INTO sessions (id, body) VALUES (?, ?)", (session["id"], json.dumps(session)))
            # An ignored INSERT adds no row, and its lastrowid is another statement's: trim only after a real one.
            if inserted.rowcount > 0 and inserted.lastrowid is not None:
                db.execute("DELETE FROM sessions WHERE seq <= ?", (inserted.lastrowid - self.limits.sessions,))

        self._run(store)

    def session(self, session_id: str) -> dict[str, Any] | None:
        row = self._run(lambda db: db.execute("SELECT body FROM sessions WHERE id = ?", (session_id,)).fetchone())
        return json.loads(row[0]) if row else None

    def sessions(self) -> list[dict[str, Any]]:
        rows = self._run(lambda db: db.execute("SELECT body FROM sessions ORDER BY seq").fetchall())
        return [json.loads(body) for (body,) in rows]

    def delete_session(self, session_id: str) -> bool:
        return self._run(lambda db: db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0)

    def clear_sessions(self) -> None:
        self._run(lambda db: db.execute("DELETE FROM sessions"))

    # --- resources -------------------------------------------------------------------------------
    def resource_number(self, vendor: str, session: str | None, collection: str) -> int:
        def bump(db: sqlite3.Connection) -> int:
            db.execute(
                "INSERT INTO resource_numbers VALUES (?, ?, ?, 1) ON CONFLICT DO UPDATE SET number = number + 1",
                (_session_key(session), vendor, collection),
            )
            row = db.execute(
                "SELECT number FROM resource_numbers WHERE session = ? AND vendor = ? AND collection = ?",
                (_session_key(session), vendor, collection),
            ).fetchone()
            return int(row[0])

        return self._transaction(bump)

    def put_resource(
        self, vendor: str, session: str | None, collection: str, resource_id: str, record: dict[str, Any] | None, new: bool
    ) -> bool:
        where = (_session_key(session), vendor, collection, resource_id)
        body = None if record is None else encode(record)

        def store(db: sqlite3.Connection) -> bool:
            if not new:
                changed = db.execute(
                    "UPDATE resources SET body = ? WHERE session = ? AND vendor = ? AND collection = ? AND id = ?", (body, *where)
                )
                if changed.rowcount:
                    return True
            elif db.execute(
                "SELECT 1 FROM resources WHERE session = ? AND vendor = ? AND collection = ? AND id = ?", where
            ).fetchone():
                return False
            kept = db.execute("SELECT COUNT(*) FROM resources WHERE session = ?", (where[0],)).fetchone()[0]
            if kept >= self.limits.resources:
                raise StateFull(resources_full(kept, session))
            total = db.execute("SELECT COUNT(*) FROM resources").fetchone()[0]
            if total >= self.limits.resources_total:
                raise StateFull(resources_full(total, session, everywhere=True))
            db.execute("INSERT INTO resources (session, vendor, collection, id, body) VALUES (?, ?, ?, ?, ?)", (*where, body))
            return True

        return self._transaction(store)

    def resource(self, vendor: str, session: str | None, collection: str, resource_id: str) -> tuple[bool, dict[str, Any] | None]:
        row = self._run(
            lambda db: db.execute(
                "SELECT body FROM resources WHERE session = ? AND vendor = ? AND collection = ? AND id = ?",
                (_session_key(session), vendor, collection, resource_id),
            ).fetchone()
        )
        if row is None:
            return False, None
        return True, None if row[0] is None else json.loads(row[0])

    def resources(self, vendor: str, session: str | None, collection: str) -> list[tuple[str, dict[str, Any] | None]]:
        rows = self._run(
            lambda db: db.execute(
                "SELECT id, body FROM resources WHERE session = ? AND vendor = ? AND collection = ? ORDER BY seq",
                (_session_key(session), vendor, collection),
            ).fetchall()
        )
        return [(str(rid), None if body is None else json.loads(body)) for rid, body in rows]

    def clear_resources(self, session: str | None) -> None:
        def clear(db: sqlite3.Connection) -> None:
            if session is None:
                db.execute("DELETE FROM resources")
                db.execute("DELETE FROM resource_numbers")
            else:
                db.execute("DELETE FROM resources WHERE session = ?", (_session_key(session),))
                db.execute("DELETE FROM resource_numbers WHERE session = ?", (_session_key(session),))

        self._transaction(clear)

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._journal.close()


def _session_key(session: str | None) -> str:
    """A session's key in the resource tables: NULL is never equal in SQL, so outside-any is "-"."""
    return "-" if session is None else "=" + session


def _journal_path(path: str) -> str:
    """``state.db`` keeps its journal in ``state.journal.db`` beside it."""
    file = Path(path)
    return str(file.with_name(f"{file.stem}.journal{file.suffix or '.db'}"))
