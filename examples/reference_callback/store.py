"""SQLite storage: each user's Zoom tokens, callback-secret hashes and pending OAuth states.

Every write is committed before the call that made it returns, with
``synchronous=FULL``: when the refresher gets a rotated refresh token from Zoom, it
saves it here *before* the new access token is served, so a crash right after a
refresh never loses the only refresh token Zoom still accepts.

One connection, guarded by a lock; each statement takes well under a millisecond,
so the async handlers call it directly.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CallbackSecrets", "OAuthState", "TokenStore", "ZoomTokens", "ZoomUser"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS zoom_users (
    user_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    email TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    expires_at REAL NOT NULL,
    obtained_at REAL NOT NULL,
    reauthorization_required INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS callback_secrets (
    user_id TEXT PRIMARY KEY REFERENCES zoom_users(user_id) ON DELETE CASCADE,
    secret_hash TEXT,
    pending_secret_hash TEXT,
    recall_credential_id TEXT,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_states (
    state TEXT PRIMARY KEY,
    code_verifier TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class ZoomTokens:
    """A user's current Zoom tokens; ``expires_at``/``obtained_at`` are this machine's time."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    obtained_at: float

    def remaining(self, now: float) -> float:
        return self.expires_at - now


@dataclass(frozen=True)
class ZoomUser:
    user_id: str
    account_id: str
    email: str
    tokens: ZoomTokens
    reauthorization_required: bool = False


@dataclass(frozen=True)
class CallbackSecrets:
    """The hashes a user's callback accepts: the registered one and one being registered."""

    secret_hash: str | None
    pending_secret_hash: str | None
    recall_credential_id: str | None

    @property
    def hashes(self) -> tuple[str | None, str | None]:
        return (self.secret_hash, self.pending_secret_hash)


@dataclass(frozen=True)
class OAuthState:
    state: str
    code_verifier: str = field(repr=False)
    expires_at: float


class TokenStore:
    """The service's database; ``TokenStore(":memory:")`` for throwaway use."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on disk before it returns, even in WAL mode.
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, params: tuple[object, ...]) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(sql, params)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return cursor.rowcount

    def _read(self, sql: str, params: tuple[object, ...]) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._db.execute(sql, params).fetchone()
            return row

    # -- Zoom users and their tokens ---------------------------------------------------

    def save_user(self, user: ZoomUser) -> None:
        """Insert or replace a user after they connected (clears any reauthorization flag)."""
        t = user.tokens
        self._write(
            """INSERT INTO zoom_users (user_id, account_id, email, access_token, refresh_token,
                   expires_at, obtained_at, reauthorization_required, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)
               ON CONFLICT(user_id) DO UPDATE SET account_id = excluded.account_id,
                   email = excluded.email, access_token = excluded.access_token,
                   refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
                   obtained_at = excluded.obtained_at, reauthorization_required = 0,
                   updated_at = excluded.updated_at""",
            (
                user.user_id,
                user.account_id,
                user.email,
                t.access_token,
                t.refresh_token,
                t.expires_at,
                t.obtained_at,
                time.time(),
            ),
        )

    def user(self, user_id: str) -> ZoomUser | None:
        row = self._read(
            """SELECT user_id, account_id, email, access_token, refresh_token, expires_at,
                      obtained_at, reauthorization_required
               FROM zoom_users WHERE user_id = ?""",
            (user_id,),
        )
        if row is None:
            return None
        uid, account, email, access, refresh, expires_at, obtained_at, reauth = row
        return ZoomUser(
            user_id=str(uid),
            account_id=str(account),
            email=str(email),
            tokens=ZoomTokens(str(access), str(refresh), float(expires_at), float(obtained_at)),
            reauthorization_required=bool(reauth),
        )

    def tokens(self, user_id: str) -> ZoomTokens | None:
        user = self.user(user_id)
        return None if user is None else user.tokens

    def save_tokens(self, user_id: str, tokens: ZoomTokens) -> None:
        """Commit a refreshed pair; returns only once it is durable."""
        changed = self._write(
            """UPDATE zoom_users SET access_token = ?, refresh_token = ?, expires_at = ?,
                   obtained_at = ?, updated_at = ? WHERE user_id = ?""",
            (
                tokens.access_token,
                tokens.refresh_token,
                tokens.expires_at,
                tokens.obtained_at,
                time.time(),
                user_id,
            ),
        )
        if changed != 1:
            raise LookupError("no such user")

    def require_reauthorization(self, user_id: str) -> None:
        """Zoom refused the refresh token for good: stop presenting it until the user reconnects."""
        self._write(
            "UPDATE zoom_users SET reauthorization_required = 1, updated_at = ? WHERE user_id = ?",
            (time.time(), user_id),
        )

    # -- callback secrets --------------------------------------------------------------

    def secrets(self, user_id: str) -> CallbackSecrets | None:
        row = self._read(
            """SELECT secret_hash, pending_secret_hash, recall_credential_id
               FROM callback_secrets WHERE user_id = ?""",
            (user_id,),
        )
        if row is None:
            return None
        current, pending, credential = row
        return CallbackSecrets(
            None if current is None else str(current),
            None if pending is None else str(pending),
            None if credential is None else str(credential),
        )

    def begin_secret(self, user_id: str, secret_hash: str) -> None:
        """Accept a new secret alongside the registered one while Recall validates it."""
        self._write(
            """INSERT INTO callback_secrets (user_id, pending_secret_hash, updated_at)
               VALUES (?, ?, ?)
               ON CONFLICT(user_id) DO UPDATE SET
                   pending_secret_hash = excluded.pending_secret_hash,
                   updated_at = excluded.updated_at""",
            (user_id, secret_hash, time.time()),
        )

    def commit_secret(
        self, user_id: str, secret_hash: str, recall_credential_id: str | None
    ) -> None:
        """The new secret is registered: it replaces the old one, which stops working."""
        self._write(
            """UPDATE callback_secrets SET secret_hash = ?, pending_secret_hash = NULL,
                   recall_credential_id = COALESCE(?, recall_credential_id), updated_at = ?
               WHERE user_id = ?""",
            (secret_hash, recall_credential_id, time.time(), user_id),
        )

    def abandon_secret(self, user_id: str) -> None:
        """Registration failed: the pending secret is forgotten, the registered one stays."""
        self._write(
            """UPDATE callback_secrets SET pending_secret_hash = NULL, updated_at = ?
               WHERE user_id = ?""",
            (time.time(), user_id),
        )

    # -- OAuth states (CSRF protection and PKCE for the connect flow) -------------------

    def save_state(self, state: OAuthState) -> None:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM oauth_states WHERE expires_at < ?", (now,))
                self._db.execute(
                    "INSERT INTO oauth_states (state, code_verifier, expires_at) VALUES (?, ?, ?)",
                    (state.state, state.code_verifier, state.expires_at),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def take_state(self, state: str) -> OAuthState | None:
        """The pending state, removed (single use), or None when unknown or expired."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT code_verifier, expires_at FROM oauth_states WHERE state = ?", (state,)
                ).fetchone()
                self._db.execute("DELETE FROM oauth_states WHERE state = ?", (state,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        if row is None or float(row[1]) < time.time():
            return None
        return OAuthState(state, str(row[0]), float(row[1]))
