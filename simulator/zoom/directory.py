"""Registered Zoom apps, users and their meetings: who may ask for tokens, and for whom."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import threading
from dataclasses import dataclass

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_SCOPES",
    "DEFAULT_USER_EMAIL",
    "DEFAULT_USER_ID",
    "Directory",
    "ZoomApp",
    "ZoomMeeting",
    "ZoomUser",
    "derived_account_id",
    "derived_user_id",
]

# Deterministic defaults, so that a callback configured once keeps working across
# restarts of `recall-sim serve`. Each is 22 characters, the length of Zoom's ids.
DEFAULT_CLIENT_ID = "simDefaultClientId0001"
DEFAULT_CLIENT_SECRET = "simDefaultClientSecret0000000001"  # noqa: S105 (a fake's published default)
DEFAULT_USER_ID = "simDefaultUser00000001"
DEFAULT_ACCOUNT_ID = "simDefaultAccount00001"
DEFAULT_USER_EMAIL = "default.user@example.com"
DEFAULT_SCOPES = (
    "meeting:read:list_meetings",
    "meeting:read:local_recording_token",
    "user:read:user",
    "user:read:token",
    "user:read:zak",
)

_ID_CHARS = frozenset(string.ascii_letters + string.digits + "-_")


def _derived_id(namespace: str, key: str) -> str:
    digest = hashlib.sha256(f"{namespace}:{key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def derived_user_id(email: str) -> str:
    """A stable 22-character user id for an email, so ``sim_user=alice`` means the same user."""
    return _derived_id("user", email.lower())


def derived_account_id(user_id: str) -> str:
    return _derived_id("account", user_id)


@dataclass(frozen=True)
class ZoomApp:
    """An OAuth app: a client id and secret, and the redirect URIs it may use.

    An empty ``redirect_uris`` accepts any redirect URI, so tests need not register one.
    """

    client_id: str
    client_secret: str
    name: str = "recall-sim app"
    redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    def allows_redirect(self, redirect_uri: str) -> bool:
        return not self.redirect_uris or redirect_uri in self.redirect_uris

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)


@dataclass(frozen=True)
class ZoomUser:
    """A Zoom user who can consent to apps; ``id`` and ``account_id`` land in tokens."""

    id: str
    account_id: str
    email: str
    first_name: str = "Test"
    last_name: str = "User"
    user_type: int = 2  # Zoom: 1 Basic, 2 Licensed
    created_at: float = 0.0

    @property
    def pmi(self) -> int:
        """A 10-digit personal meeting id, stable per user."""
        digest = int.from_bytes(hashlib.sha256(self.id.encode()).digest()[:8], "big")
        return 1_000_000_000 + digest % 9_000_000_000


@dataclass(frozen=True)
class ZoomMeeting:
    id: int
    uuid: str
    host_id: str
    topic: str
    start_time: float
    duration_minutes: int
    created_at: float


def _check_id(kind: str, value: str) -> None:
    if not value or len(value) > 64 or not set(value) <= _ID_CHARS:
        raise ValueError(
            f"{kind} must be 1-64 characters of letters, digits, '-' or '_', got {value!r}"
        )


class Directory:
    """Apps, users and meetings, safe to use from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._apps: dict[str, ZoomApp] = {}
        self._users: dict[str, ZoomUser] = {}
        self._meetings: dict[str, list[ZoomMeeting]] = {}

    def clear(self) -> None:
        with self._lock:
            self._apps.clear()
            self._users.clear()
            self._meetings.clear()

    def add_app(self, app: ZoomApp) -> ZoomApp:
        _check_id("client_id", app.client_id)
        if not app.client_secret:
            raise ValueError("client_secret must not be empty")
        with self._lock:
            if app.client_id in self._apps:
                raise ValueError(f"an app with client_id {app.client_id!r} already exists")
            self._apps[app.client_id] = app
        return app

    def app(self, client_id: str) -> ZoomApp | None:
        with self._lock:
            return self._apps.get(client_id)

    def apps(self) -> list[ZoomApp]:
        with self._lock:
            return list(self._apps.values())

    def add_user(self, user: ZoomUser) -> ZoomUser:
        _check_id("user id", user.id)
        _check_id("account_id", user.account_id)
        if "@" not in user.email:
            raise ValueError(f"email must contain '@', got {user.email!r}")
        with self._lock:
            if user.id in self._users:
                raise ValueError(f"a user with id {user.id!r} already exists")
            if any(u.email.lower() == user.email.lower() for u in self._users.values()):
                raise ValueError(f"a user with email {user.email!r} already exists")
            self._users[user.id] = user
        return user

    def user(self, user_id: str) -> ZoomUser | None:
        with self._lock:
            return self._users.get(user_id)

    def find_user(self, id_or_email: str) -> ZoomUser | None:
        """The user with this id, else the one with this email (case-insensitive)."""
        with self._lock:
            if id_or_email in self._users:
                return self._users[id_or_email]
            wanted = id_or_email.lower()
            return next((u for u in self._users.values() if u.email.lower() == wanted), None)

    def users(self) -> list[ZoomUser]:
        with self._lock:
            return list(self._users.values())

    def add_meeting(
        self, *, host_id: str, topic: str, start_time: float, duration_minutes: int, now: float
    ) -> ZoomMeeting:
        with self._lock:
            if host_id not in self._users:
                raise ValueError(f"no user with id {host_id!r}")
            meeting = ZoomMeeting(
                id=10_000_000_000 + secrets.randbelow(89_999_999_999),
                uuid=base64.b64encode(secrets.token_bytes(16)).decode(),
                host_id=host_id,
                topic=topic,
                start_time=start_time,
                duration_minutes=duration_minutes,
                created_at=now,
            )
            self._meetings.setdefault(host_id, []).append(meeting)
            return meeting

    def meetings(self, host_id: str) -> list[ZoomMeeting]:
        with self._lock:
            return list(self._meetings.get(host_id, ()))

    def meeting_exists(self, meeting_id: str) -> bool:
        """A scheduled meeting's id, or a user's personal meeting id (PMI)."""
        with self._lock:
            scheduled = any(
                str(m.id) == meeting_id for hosted in self._meetings.values() for m in hosted
            )
            return scheduled or any(str(u.pmi) == meeting_id for u in self._users.values())
