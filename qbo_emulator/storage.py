"""SQLite storage: companies, entities (JSON documents), tokens, requestids, webhooks, logs.

One connection is shared by all server threads and every access goes through one
re-entrant lock, so a whole API write (validation, save, webhook enqueue) is atomic.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from contextlib import contextmanager

from . import index
from .clock import utc_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS companies (
    realm_id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL,
    next_id INTEGER NOT NULL DEFAULT 100, next_doc INTEGER NOT NULL DEFAULT 1001,
    faults TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS entities (
    realm_id TEXT NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,
    PRIMARY KEY (realm_id, entity, id));
CREATE TABLE IF NOT EXISTS apps (
    client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, redirect_uris TEXT NOT NULL,
    webhook_url TEXT, verifier_token TEXT, webhook_format TEXT NOT NULL DEFAULT 'cloudevents');
CREATE TABLE IF NOT EXISTS connections (
    client_id TEXT NOT NULL, realm_id TEXT NOT NULL, PRIMARY KEY (client_id, realm_id));
CREATE TABLE IF NOT EXISTS codes (
    code TEXT PRIMARY KEY, client_id TEXT, realm_id TEXT, redirect_uri TEXT, scope TEXT,
    expires_at TEXT, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS grants (
    grant_id INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT, realm_id TEXT, scope TEXT,
    refresh_expires_at TEXT, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, grant_id INTEGER NOT NULL, realm_id TEXT,
    client_id TEXT, created_at TEXT NOT NULL, expires_at TEXT, superseded_at TEXT);
CREATE TABLE IF NOT EXISTS requestids (
    realm_id TEXT NOT NULL, client_id TEXT NOT NULL, requestid TEXT NOT NULL,
    req_hash TEXT NOT NULL, status INTEGER, body BLOB, content_type TEXT, created_at TEXT,
    PRIMARY KEY (realm_id, client_id, requestid));
CREATE TABLE IF NOT EXISTS webhook_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, realm_id TEXT, client_id TEXT, entity TEXT,
    entity_id TEXT, operation TEXT, occurred_at TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT, status TEXT NOT NULL DEFAULT 'pending', last_error TEXT,
    delivered_at TEXT, deleted_id TEXT, injected TEXT);
CREATE TABLE IF NOT EXISTS request_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, realm_id TEXT, client_id TEXT, method TEXT,
    path TEXT, requestid TEXT, status INTEGER, at TEXT);
"""


class Store:
    """All emulator state, guarded by one lock."""

    def __init__(self, path: str, clock, indexed: dict | None = None):
        """`indexed`: entity -> the fields kept in the `fields` index (see index.py)."""
        if path not in ("", ":memory:") and not path.startswith("file:"):
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.clock = clock
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None
        )
        self.conn.row_factory = sqlite3.Row
        self._depth = 0
        self._after_commit: list = []
        self.indexed = indexed or {}
        with self.lock:
            # WAL + NORMAL: far fewer fsyncs; an emulator can afford to lose the last write on a crash.
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
            self._add_columns("webhook_events", ("deleted_id", "injected"))
            self.conn.executescript(index.SCHEMA)

    def _add_columns(self, table: str, columns) -> None:
        """Bring a data file written by an older emulator up to the current columns."""
        have = {row["name"] for row in self.conn.execute(f"PRAGMA table_info({table})")}
        for column in columns:
            if column not in have:
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    def needs_reindex(self) -> bool:
        """True when the data file predates the current index tables (they are then rebuilt)."""
        return self.one("PRAGMA user_version")[0] < index.VERSION

    def mark_indexed(self) -> None:
        self.execute(f"PRAGMA user_version = {index.VERSION}")

    @contextmanager
    def tx(self):
        """Run a transaction; nested calls join the outer one."""
        with self.lock:
            if self._depth == 0:
                self.conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self.conn.execute("ROLLBACK")
                    self._after_commit.clear()
                raise
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("COMMIT")
                callbacks, self._after_commit = self._after_commit, []
                for callback in callbacks:
                    callback()

    @contextmanager
    def savepoint(self):
        """A nested rollback point inside the current transaction (one batch item)."""
        with self.tx():
            self.conn.execute("SAVEPOINT item")
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK TO item")
                self.conn.execute("RELEASE item")
                raise
            self.conn.execute("RELEASE item")

    def after_commit(self, callback) -> None:
        self._after_commit.append(callback)

    def execute(self, sql: str, params=()):
        with self.lock:
            return self.conn.execute(sql, params)

    def one(self, sql: str, params=()):
        with self.lock:
            return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params=()):
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def now_iso(self) -> str:
        return utc_iso(self.clock.now())

    # Companies -------------------------------------------------------------

    def company(self, realm_id: str):
        return self.one("SELECT * FROM companies WHERE realm_id = ?", (realm_id,))

    def companies(self):
        return self.all("SELECT * FROM companies ORDER BY created_at, realm_id")

    def next_id(self, realm_id: str) -> str:
        with self.tx():
            row = self.one("SELECT next_id FROM companies WHERE realm_id = ?", (realm_id,))
            self.execute(
                "UPDATE companies SET next_id = next_id + 1 WHERE realm_id = ?", (realm_id,)
            )
            return str(row["next_id"])

    def next_doc_number(self, realm_id: str) -> str:
        with self.tx():
            row = self.one("SELECT next_doc FROM companies WHERE realm_id = ?", (realm_id,))
            self.execute(
                "UPDATE companies SET next_doc = next_doc + 1 WHERE realm_id = ?", (realm_id,)
            )
            return str(row["next_doc"])

    def get_faults(self, realm_id: str) -> dict:
        row = self.company(realm_id)
        return json.loads(row["faults"]) if row else {}

    def set_faults(self, realm_id: str, faults: dict) -> None:
        self.execute(
            "UPDATE companies SET faults = ? WHERE realm_id = ?", (json.dumps(faults), realm_id)
        )

    # Entities --------------------------------------------------------------

    def get(self, realm_id: str, entity: str, entity_id: str, include_deleted: bool = False):
        row = self.one(
            "SELECT data, deleted FROM entities WHERE realm_id = ? AND entity = ? AND id = ?",
            (realm_id, entity, str(entity_id)),
        )
        if row is None or (row["deleted"] and not include_deleted):
            return None
        return json.loads(row["data"])

    def is_deleted(self, realm_id: str, entity: str, entity_id: str) -> bool:
        row = self.one(
            "SELECT deleted FROM entities WHERE realm_id = ? AND entity = ? AND id = ?",
            (realm_id, entity, str(entity_id)),
        )
        return bool(row and row["deleted"])

    def get_many(self, realm_id: str, entity: str, ids) -> list[dict]:
        """Live objects with these ids, in Id order."""
        rows = []
        for part in index.chunks(sorted(set(map(str, ids)))):
            marks = ",".join("?" * len(part))
            rows += self.all(
                f"SELECT id, data FROM entities WHERE realm_id = ? AND entity = ? AND deleted = 0 "
                f"AND id IN ({marks})",
                (realm_id, entity, *part),
            )
        rows.sort(key=lambda r: int(r["id"]) if r["id"].isdigit() else 0)
        return [json.loads(r["data"]) for r in rows]

    def count(self, realm_id: str, entity: str) -> int:
        return self.one(
            "SELECT COUNT(*) FROM entities WHERE realm_id = ? AND entity = ? AND deleted = 0",
            (realm_id, entity),
        )[0]

    def page(self, realm_id: str, entity: str, offset: int, limit: int) -> list[dict]:
        """Live objects in Id order, `limit` of them from `offset` (uses the entities_in_order index)."""
        rows = self.all(
            "SELECT data FROM entities WHERE realm_id = ? AND entity = ? AND deleted = 0 "
            "ORDER BY CAST(id AS INTEGER) LIMIT ? OFFSET ?",
            (realm_id, entity, limit, offset),
        )
        return [json.loads(r["data"]) for r in rows]

    def list(self, realm_id: str, entity: str, include_deleted: bool = False) -> list[dict]:
        sql = "SELECT data, deleted FROM entities WHERE realm_id = ? AND entity = ?"
        if not include_deleted:
            sql += " AND deleted = 0"
        rows = self.all(sql + " ORDER BY CAST(id AS INTEGER)", (realm_id, entity))
        out = []
        for row in rows:
            obj = json.loads(row["data"])
            if include_deleted and row["deleted"]:
                obj["status"] = "Deleted"
            out.append(obj)
        return out

    def changed_since(self, realm_id: str, entity: str, since_iso: str, limit: int = -1):
        """(object, deleted) changed at or after `since_iso`, oldest change first, at most `limit`."""
        rows = self.all(
            "SELECT data, deleted, updated_at FROM entities WHERE realm_id = ? AND entity = ? "
            "AND updated_at >= ? ORDER BY updated_at, CAST(id AS INTEGER) LIMIT ?",
            (realm_id, entity, since_iso, limit),
        )
        return [(json.loads(r["data"]), bool(r["deleted"])) for r in rows]

    def put(self, realm_id: str, entity: str, obj: dict, deleted: bool = False) -> None:
        """Store one object and its index rows (a deleted one is kept as a tombstone, unindexed)."""
        with self.lock:
            self.execute(
                "INSERT INTO entities (realm_id, entity, id, data, deleted, updated_at) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT (realm_id, entity, id) DO UPDATE SET data = excluded.data, "
                "deleted = excluded.deleted, updated_at = excluded.updated_at",
                (realm_id, entity, str(obj["Id"]), json.dumps(obj), int(deleted), self.now_iso()),
            )
            index.write(self, realm_id, entity, obj, deleted, self.indexed.get(entity, ()))

    def wipe_company(self, realm_id: str) -> None:
        with self.tx():
            self.execute("DELETE FROM entities WHERE realm_id = ?", (realm_id,))
            index.wipe(self, realm_id)
            self.execute("DELETE FROM requestids WHERE realm_id = ?", (realm_id,))
            self.execute(
                "UPDATE companies SET next_id = 100, next_doc = 1001, faults = '{}' WHERE realm_id = ?",
                (realm_id,),
            )

    # Request log -----------------------------------------------------------

    def log_request(self, realm_id, client_id, method, path, requestid, status) -> None:
        self.execute(
            "INSERT INTO request_log (realm_id, client_id, method, path, requestid, status, at) "
            "VALUES (?,?,?,?,?,?,?)",
            (realm_id, client_id, method, path, requestid, status, self.now_iso()),
        )

    def request_log(self, realm_id: str | None = None, limit: int = 1000) -> list[dict]:
        sql = "SELECT * FROM request_log"
        params: tuple = ()
        if realm_id:
            sql += " WHERE realm_id = ?"
            params = (realm_id,)
        rows = self.all(sql + " ORDER BY id DESC LIMIT ?", params + (limit,))
        return [dict(r) for r in reversed(rows)]
