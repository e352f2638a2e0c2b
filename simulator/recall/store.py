"""Where the fake Recall keeps apps, credentials and logs: SQLite, in memory or in a file.

One implementation serves both modes, so ``--state PATH`` cannot behave differently
from the default. A file database runs in WAL mode with ``synchronous=NORMAL``:
every write is committed before the caller answers, and WAL survives the process
being killed (only an OS crash could lose the last commits).
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from recall_sim.simulator.recall.models import (
    AppKind,
    AppLog,
    Credential,
    CredentialLog,
    CredentialStatus,
    MeetingMapping,
    MeetingSyncStatus,
    OAuthApp,
    ZoomTokens,
)
from recall_sim.simulator.recall.pagination import Cursor, Page, paginate
from recall_sim.simulator.recall.queries import (
    AppLogQuery,
    AppQuery,
    CredentialLogQuery,
    CredentialQuery,
    MeetingMappingQuery,
    Ordering,
)

__all__ = ["MEMORY", "RecallStore"]

MEMORY = ":memory:"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS apps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    webhook_last_validation_us INTEGER,
    created_at_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    oauth_app TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    callback_url TEXT NOT NULL,
    user_id TEXT,
    account_id TEXT,
    status TEXT NOT NULL,
    meeting_sync_status TEXT NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    last_called_at_us INTEGER,
    created_at_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS credentials_by_app ON credentials (oauth_app);
CREATE TABLE IF NOT EXISTS credential_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    credential TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    created_at_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS credential_logs_by_credential ON credential_logs (credential);
CREATE TABLE IF NOT EXISTS app_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    oauth_app TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    created_at_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS app_logs_by_app ON app_logs (oauth_app);
CREATE TABLE IF NOT EXISTS managed_tokens (
    credential TEXT PRIMARY KEY REFERENCES credentials(id) ON DELETE CASCADE,
    access_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meeting_mappings (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    credential TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
    meeting_id INTEGER NOT NULL,
    synced_at_us INTEGER NOT NULL,
    UNIQUE (credential, meeting_id)
);
"""
_TABLES = (
    "meeting_mappings",
    "managed_tokens",
    "app_logs",
    "credential_logs",
    "credentials",
    "apps",
)
# A Recall-managed credential has no callback URL; the column predates it and stays
# NOT NULL so that earlier state files remain valid, so "" stands for none.
_NO_CALLBACK = ""

T = TypeVar("T")

_SchemaObjects = dict[tuple[str, str], tuple[str, ...]]


def _schema_objects(db: sqlite3.Connection) -> _SchemaObjects:
    """(type, name) -> columns of each table, index, view and trigger in ``db``.

    SQLite's own objects (``sqlite_sequence``, automatic indexes) are left out: they
    come and go with ours. Reads only.
    """
    rows = db.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()
    objects: _SchemaObjects = {}
    for kind, name in rows:
        pragma = "pragma_index_info" if kind == "index" else "pragma_table_info"
        sql = f"SELECT name FROM {pragma}(?)"  # noqa: S608 - one of two constant names
        columns = db.execute(sql, (name,)).fetchall()
        objects[(kind, name)] = tuple(str(column) for (column,) in columns)
    return objects


@functools.cache
def _expected_schema() -> _SchemaObjects:
    """What `_SCHEMA` creates, read back from a scratch database so it cannot drift."""
    scratch = sqlite3.connect(MEMORY)
    try:
        scratch.executescript(_SCHEMA)
        return _schema_objects(scratch)
    finally:
        scratch.close()


def _us(instant: float | None) -> int | None:
    return None if instant is None else round(instant * 1_000_000)


def _seconds(micros: int | None) -> float | None:
    return None if micros is None else micros / 1_000_000


def _app(row: sqlite3.Row) -> OAuthApp:
    return OAuthApp(
        id=uuid.UUID(row["id"]),
        kind=AppKind(row["kind"]),
        client_id=row["client_id"],
        client_secret=row["client_secret"],
        webhook_secret=row["webhook_secret"],
        created_at=row["created_at_us"] / 1_000_000,
        webhook_last_validation=_seconds(row["webhook_last_validation_us"]),
    )


def _credential(row: sqlite3.Row) -> Credential:
    return Credential(
        id=uuid.UUID(row["id"]),
        oauth_app=uuid.UUID(row["oauth_app"]),
        access_token_callback_url=row["callback_url"] or None,
        user_id=row["user_id"],
        account_id=row["account_id"],
        created_at=row["created_at_us"] / 1_000_000,
        status=CredentialStatus(row["status"]),
        meeting_sync_status=MeetingSyncStatus(row["meeting_sync_status"]),
        consecutive_failures=row["consecutive_failures"],
        last_called_at=_seconds(row["last_called_at_us"]),
    )


def _credential_log(row: sqlite3.Row) -> CredentialLog:
    return CredentialLog(
        credential=uuid.UUID(row["credential"]),
        message=row["message"],
        created_at=row["created_at_us"] / 1_000_000,
    )


def _meeting_mapping(row: sqlite3.Row) -> MeetingMapping:
    return MeetingMapping(
        meeting_id=row["meeting_id"],
        credential=uuid.UUID(row["credential"]),
        synced_at=row["synced_at_us"] / 1_000_000,
    )


def _app_log(row: sqlite3.Row) -> AppLog:
    return AppLog(
        oauth_app=uuid.UUID(row["oauth_app"]),
        message=row["message"],
        created_at=row["created_at_us"] / 1_000_000,
    )


class _Where:
    """SQL conditions built from a query value; only column names written here are used."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def equals(self, column: str, value: object) -> _Where:
        if value is not None:
            self.clauses.append(f"{column} = ?")
            self.params.append(str(value))
        return self

    def created(self, after: float | None, before: float | None) -> _Where:
        if after is not None:
            self.clauses.append("created_at_us >= ?")
            self.params.append(_us(after))
        if before is not None:
            self.clauses.append("created_at_us <= ?")
            self.params.append(_us(before))
        return self

    def synced(self, after: float | None, before: float | None) -> _Where:
        if after is not None:
            self.clauses.append("synced_at_us >= ?")
            self.params.append(_us(after))
        if before is not None:
            self.clauses.append("synced_at_us <= ?")
            self.params.append(_us(before))
        return self


class RecallStore:
    """Thread-safe persistence of the fake Recall's records (``path`` or `MEMORY`)."""

    def __init__(self, path: str | Path = MEMORY) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            # Read-only until the file is known to be ours (or empty): a wrong --state
            # path must be refused without a byte of it changed, WAL mode included.
            self._check_schema()
        except BaseException:
            self._db.close()
            raise
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = ON")
        if self.path != MEMORY:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def _check_schema(self) -> None:
        """Raise RuntimeError, naming the file and why, unless it is empty or recall-sim's.

        Ours means: a schema version this recall-sim writes, and only objects `_SCHEMA`
        creates, with its columns (a subset, as a start interrupted mid-schema leaves).
        """
        try:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            found = _schema_objects(self._db)
        except sqlite3.DatabaseError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_NOTADB:
                raise  # locked, unreadable...: SQLite's own words say it best
            raise RuntimeError(f"state file {self.path} is not a SQLite database") from None
        if version not in (0, _SCHEMA_VERSION):
            raise RuntimeError(
                f"state file {self.path} has schema version {version}; "
                f"this recall-sim writes version {_SCHEMA_VERSION}: use a new --state path"
            )
        expected = _expected_schema()
        strangers = sorted(
            f"{kind} {name!r}" + (" with other columns" if (kind, name) in expected else "")
            for (kind, name), columns in found.items()
            if expected.get((kind, name)) != columns
        )
        if strangers:
            more = len(strangers) - 3
            named = ", ".join(strangers[:3]) + (f" and {more} more" if more > 0 else "")
            raise RuntimeError(
                f"state file {self.path} is not a recall-sim state file (it has {named}); "
                "nothing was written to it: use a new --state path"
            )

    @property
    def persistent(self) -> bool:
        return self.path != MEMORY

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def clear(self) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            for table in _TABLES:
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - constant table names
            self._db.execute("COMMIT")

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def _one(self, sql: str, params: Sequence[Any]) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, params).fetchone()
            return row

    def _page(
        self,
        table: str,
        where: _Where,
        mapper: Callable[[sqlite3.Row], T],
        *,
        cursor: Cursor | None,
        size: int,
        ordering: Ordering,
    ) -> Page[T]:
        # Records are stamped created_at just before they are inserted, so seq order is
        # created_at order (unless the clock steps back): seq serves both orderings, and
        # a cursor's position means the same in either.
        def fetch(
            older_than: int | None, newer_than: int | None, newest_first: bool, limit: int
        ) -> list[tuple[int, T]]:
            clauses, params = list(where.clauses), list(where.params)
            if older_than is not None:
                clauses.append("seq < ?")
                params.append(older_than)
            if newer_than is not None:
                clauses.append("seq > ?")
                params.append(newer_than)
            condition = " AND ".join(clauses) or "1"
            order = "DESC" if newest_first else "ASC"
            sql = f"SELECT * FROM {table} WHERE {condition} ORDER BY seq {order} LIMIT ?"  # noqa: S608 - fixed names, values bound
            with self._lock:
                rows = self._db.execute(sql, [*params, limit]).fetchall()
            return [(row["seq"], mapper(row)) for row in rows]

        newest_first = ordering is Ordering.NEWEST_FIRST
        return paginate(fetch, cursor=cursor, size=size, newest_first=newest_first)

    # apps

    def add_app(self, app: OAuthApp) -> None:
        self._write(
            "INSERT INTO apps (id, kind, client_id, client_secret, webhook_secret, "
            "webhook_last_validation_us, created_at_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                str(app.id),
                app.kind.value,
                app.client_id,
                app.client_secret,
                app.webhook_secret,
                _us(app.webhook_last_validation),
                _us(app.created_at),
            ),
        )

    def get_app(self, app_id: uuid.UUID) -> OAuthApp | None:
        row = self._one("SELECT * FROM apps WHERE id = ?", (str(app_id),))
        return None if row is None else _app(row)

    def update_app(self, app: OAuthApp) -> bool:
        return (
            self._write(
                "UPDATE apps SET client_secret = ?, webhook_secret = ?, "
                "webhook_last_validation_us = ? WHERE id = ?",
                (
                    app.client_secret,
                    app.webhook_secret,
                    _us(app.webhook_last_validation),
                    str(app.id),
                ),
            )
            == 1
        )

    def delete_app(self, app_id: uuid.UUID) -> bool:
        return self._write("DELETE FROM apps WHERE id = ?", (str(app_id),)) == 1

    def apps(self, query: AppQuery, *, cursor: Cursor | None, size: int) -> Page[OAuthApp]:
        where = (
            _Where()
            .equals("client_id", query.client_id)
            .equals("kind", query.kind and query.kind.value)
            .created(query.created_after, query.created_before)
        )
        return self._page("apps", where, _app, cursor=cursor, size=size, ordering=query.ordering)

    # credentials

    def add_credential(self, credential: Credential) -> bool:
        """Insert; False when its app no longer exists (deleted while its callback ran)."""
        try:
            self._insert_credential(credential)
        except sqlite3.IntegrityError:
            return False
        return True

    def _insert_credential(self, credential: Credential) -> None:
        self._write(
            "INSERT INTO credentials (id, oauth_app, callback_url, user_id, account_id, status, "
            "meeting_sync_status, consecutive_failures, last_called_at_us, created_at_us) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(credential.id),
                str(credential.oauth_app),
                credential.access_token_callback_url or _NO_CALLBACK,
                credential.user_id,
                credential.account_id,
                credential.status.value,
                credential.meeting_sync_status.value,
                credential.consecutive_failures,
                _us(credential.last_called_at),
                _us(credential.created_at),
            ),
        )

    def update_credential(self, credential: Credential) -> bool:
        """Write every mutable field; False when the credential was deleted meanwhile."""
        changed = self._write(
            "UPDATE credentials SET callback_url = ?, user_id = ?, account_id = ?, status = ?, "
            "meeting_sync_status = ?, consecutive_failures = ?, last_called_at_us = ? "
            "WHERE id = ?",
            (
                credential.access_token_callback_url or _NO_CALLBACK,
                credential.user_id,
                credential.account_id,
                credential.status.value,
                credential.meeting_sync_status.value,
                credential.consecutive_failures,
                _us(credential.last_called_at),
                str(credential.id),
            ),
        )
        return changed == 1

    def record_accepted_call(
        self, credential_id: uuid.UUID, at: float, *, restore_health: bool
    ) -> bool:
        """An accepted callback call: no failures in a row now, last called ``at`` (and
        healthy again when ``restore_health``); False when the credential is gone."""
        sql = "UPDATE credentials SET consecutive_failures = 0, last_called_at_us = ?"
        params: tuple[Any, ...] = (_us(at),)
        if restore_health:
            sql += ", status = ?"
            params += (CredentialStatus.HEALTHY.value,)
        return self._write(sql + " WHERE id = ?", (*params, str(credential_id))) == 1

    def save_tokens(self, credential_id: uuid.UUID, tokens: ZoomTokens) -> bool:
        """Keep a Recall-managed credential's Zoom tokens (replacing any); False when the
        credential is gone."""
        try:
            self._write(
                "INSERT OR REPLACE INTO managed_tokens (credential, access_token, "
                "refresh_token, scope, expires_at_us) VALUES (?, ?, ?, ?, ?)",
                (
                    str(credential_id),
                    tokens.access_token,
                    tokens.refresh_token,
                    tokens.scope,
                    _us(tokens.expires_at),
                ),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def get_tokens(self, credential_id: uuid.UUID) -> ZoomTokens | None:
        row = self._one("SELECT * FROM managed_tokens WHERE credential = ?", (str(credential_id),))
        if row is None:
            return None
        return ZoomTokens(
            access_token=row["access_token"],
            refresh_token=row["refresh_token"],
            expires_at=row["expires_at_us"] / 1_000_000,
            scope=row["scope"],
        )

    def forget_tokens(self, credential_id: uuid.UUID) -> None:
        self._write("DELETE FROM managed_tokens WHERE credential = ?", (str(credential_id),))

    def get_credential(self, credential_id: uuid.UUID) -> Credential | None:
        row = self._one("SELECT * FROM credentials WHERE id = ?", (str(credential_id),))
        return None if row is None else _credential(row)

    def find_credential(
        self, oauth_app: uuid.UUID, *, user_id: str | None = None, account_id: str | None = None
    ) -> Credential | None:
        """The app's credential for that Zoom user (or, without a user, that account)."""
        if user_id is not None:
            sql = "SELECT * FROM credentials WHERE oauth_app = ? AND user_id = ? LIMIT 1"
            row = self._one(sql, (str(oauth_app), user_id))
        else:
            sql = "SELECT * FROM credentials WHERE oauth_app = ? AND account_id = ? LIMIT 1"
            row = self._one(sql, (str(oauth_app), account_id))
        return None if row is None else _credential(row)

    def delete_credential(self, credential_id: uuid.UUID) -> bool:
        return self._write("DELETE FROM credentials WHERE id = ?", (str(credential_id),)) == 1

    def all_credentials(self, *, status: CredentialStatus | None = None) -> list[Credential]:
        """Every credential in creation order (the poller's work list)."""
        with self._lock:
            if status is None:
                rows = self._db.execute("SELECT * FROM credentials ORDER BY seq").fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM credentials WHERE status = ? ORDER BY seq", (status.value,)
                ).fetchall()
        return [_credential(row) for row in rows]

    def credentials(
        self, query: CredentialQuery, *, cursor: Cursor | None, size: int
    ) -> Page[Credential]:
        where = (
            _Where()
            .equals("oauth_app", query.oauth_app)
            .equals("user_id", query.user_id)
            .equals("account_id", query.account_id)
            .equals("status", query.status and query.status.value)
            .equals(
                "meeting_sync_status", query.meeting_sync_status and query.meeting_sync_status.value
            )
            .created(query.created_after, query.created_before)
        )
        return self._page(
            "credentials", where, _credential, cursor=cursor, size=size, ordering=query.ordering
        )

    # logs

    def add_credential_log(self, log: CredentialLog) -> None:
        self._write(
            "INSERT INTO credential_logs (credential, message, created_at_us) VALUES (?, ?, ?)",
            (str(log.credential), log.message, _us(log.created_at)),
        )

    def add_app_log(self, log: AppLog) -> None:
        self._write(
            "INSERT INTO app_logs (oauth_app, message, created_at_us) VALUES (?, ?, ?)",
            (str(log.oauth_app), log.message, _us(log.created_at)),
        )

    def credential_logs(
        self, query: CredentialLogQuery, *, cursor: Cursor | None, size: int
    ) -> Page[CredentialLog]:
        where = (
            _Where()
            .equals("credential", query.credential)
            .created(query.created_after, query.created_before)
        )
        return self._page(
            "credential_logs",
            where,
            _credential_log,
            cursor=cursor,
            size=size,
            ordering=query.ordering,
        )

    def app_logs(self, query: AppLogQuery, *, cursor: Cursor | None, size: int) -> Page[AppLog]:
        where = (
            _Where()
            .equals("oauth_app", query.oauth_app)
            .created(query.created_after, query.created_before)
        )
        return self._page(
            "app_logs", where, _app_log, cursor=cursor, size=size, ordering=query.ordering
        )

    # meeting sync

    def set_meeting_sync_status(self, credential_id: uuid.UUID, status: MeetingSyncStatus) -> bool:
        """Only the sync status, so a sync never overwrites what a callback call counted;
        False when the credential is gone."""
        sql = "UPDATE credentials SET meeting_sync_status = ? WHERE id = ?"
        return self._write(sql, (status.value, str(credential_id))) == 1

    def replace_meeting_mappings(
        self, credential_id: uuid.UUID, meeting_ids: Sequence[int], synced_at: float
    ) -> bool:
        """The credential's mappings become exactly ``meeting_ids``, all synced at
        ``synced_at``, in one transaction (rewritten, so insertion order stays sync order);
        False, with nothing changed, when the credential is gone."""
        rows = [(str(credential_id), m, _us(synced_at)) for m in dict.fromkeys(meeting_ids)]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "DELETE FROM meeting_mappings WHERE credential = ?", (str(credential_id),)
                )
                self._db.executemany(
                    "INSERT INTO meeting_mappings (credential, meeting_id, synced_at_us) "
                    "VALUES (?, ?, ?)",
                    rows,
                )
                exists = self._db.execute(
                    "SELECT 1 FROM credentials WHERE id = ?", (str(credential_id),)
                ).fetchone()
            except sqlite3.IntegrityError:
                exists = None
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT" if exists else "ROLLBACK")
        return exists is not None

    def meeting_mappings(
        self, query: MeetingMappingQuery, *, cursor: Cursor | None, size: int
    ) -> Page[MeetingMapping]:
        where = (
            _Where()
            .equals("credential", query.credential)
            .equals("meeting_id", query.meeting_id)
            .synced(query.synced_after, query.synced_before)
        )
        return self._page(
            "meeting_mappings",
            where,
            _meeting_mapping,
            cursor=cursor,
            size=size,
            ordering=query.ordering,
        )
