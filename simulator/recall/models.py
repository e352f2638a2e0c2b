"""The fake Recall's records: OAuth apps, credentials and their logs, as frozen values."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

# Re-exported: the format is shared with both journals, so it lives with the values.
from recall_sim.simulator.timestamps import iso_timestamp

__all__ = [
    "AppKind",
    "AppLog",
    "Credential",
    "CredentialLog",
    "CredentialStatus",
    "MeetingMapping",
    "MeetingSyncStatus",
    "OAuthApp",
    "ZoomTokens",
    "iso_timestamp",
    "parse_uuid",
    "to_microseconds",
]


class AppKind(StrEnum):
    USER_LEVEL = "user_level"
    ACCOUNT_LEVEL = "account_level"


class CredentialStatus(StrEnum):
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


class MeetingSyncStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


def to_microseconds(instant: float) -> float:
    """``instant`` rounded to the microsecond, as stored, so a record equals itself reloaded."""
    return round(instant * 1_000_000) / 1_000_000


def parse_uuid(text: str) -> uuid.UUID | None:
    """The UUID in ``text`` (any case, with or without hyphens), or None when it is not one."""
    try:
        return uuid.UUID(text)
    except (ValueError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class OAuthApp:
    """A Zoom OAuth app registered with Recall (``zoom-oauth-apps/``)."""

    id: uuid.UUID
    kind: AppKind
    client_id: str
    client_secret: str
    webhook_secret: str
    created_at: float
    webhook_last_validation: float | None = None


@dataclass(frozen=True)
class Credential:
    """One Zoom user's (or account's) credential (``zoom-oauth-credentials/``).

    ``access_token_callback_url`` is None for Recall-managed OAuth (the fake Recall
    holds the tokens). ``consecutive_failures`` and ``last_called_at`` are the
    simulator's bookkeeping for the health rule; Recall does not show them.
    """

    id: uuid.UUID
    oauth_app: uuid.UUID
    access_token_callback_url: str | None
    user_id: str | None
    account_id: str | None
    created_at: float
    status: CredentialStatus = CredentialStatus.HEALTHY
    meeting_sync_status: MeetingSyncStatus = MeetingSyncStatus.NOT_STARTED
    consecutive_failures: int = 0
    last_called_at: float | None = None

    @property
    def recall_managed(self) -> bool:
        return self.access_token_callback_url is None


@dataclass(frozen=True)
class CredentialLog:
    """A message about a credential, e.g. one failed callback call."""

    credential: uuid.UUID
    message: str
    created_at: float


@dataclass(frozen=True)
class AppLog:
    """A message about an app, e.g. a credential create whose callback was rejected."""

    oauth_app: uuid.UUID
    message: str
    created_at: float


@dataclass(frozen=True)
class ZoomTokens:
    """A Recall-managed credential's Zoom tokens: the pair, and when the access token
    expires (Unix time). Zoom's secrets: never shown whole (SPEC §5)."""

    access_token: str
    refresh_token: str
    expires_at: float
    scope: str

    def __repr__(self) -> str:
        return f"ZoomTokens(expires_at={self.expires_at!r}, scope={self.scope!r})"


@dataclass(frozen=True)
class MeetingMapping:
    """A Zoom meeting a credential can fetch join tokens for (``zoom-meetings-to-credentials/``):
    one of the user's scheduled meetings, or their personal meeting id, as the last
    successful meeting sync found it."""

    meeting_id: int
    credential: uuid.UUID
    synced_at: float
