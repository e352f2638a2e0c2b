"""Filters and ordering of the list endpoints, as values the store turns into queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum

from recall_sim.simulator.recall.models import AppKind, CredentialStatus, MeetingSyncStatus

__all__ = [
    "AppLogQuery",
    "AppQuery",
    "CredentialLogQuery",
    "CredentialQuery",
    "MeetingMappingQuery",
    "Ordering",
]


class Ordering(Enum):
    """The order of a list: ``?ordering=-created_at`` (Recall's default) or ``created_at``.

    Records are stamped ``created_at`` just before they are inserted, so creation order
    is insertion order, which is what the store sorts and the cursors point into.
    """

    NEWEST_FIRST = "-created_at"
    OLDEST_FIRST = "created_at"


@dataclass(frozen=True)
class AppQuery:
    """``created_after``/``created_before`` are inclusive Unix times (django-filter's range)."""

    client_id: str | None = None
    kind: AppKind | None = None
    created_after: float | None = None
    created_before: float | None = None
    ordering: Ordering = Ordering.NEWEST_FIRST


@dataclass(frozen=True)
class CredentialQuery:
    oauth_app: uuid.UUID | None = None
    user_id: str | None = None
    account_id: str | None = None
    status: CredentialStatus | None = None
    meeting_sync_status: MeetingSyncStatus | None = None
    created_after: float | None = None
    created_before: float | None = None
    ordering: Ordering = Ordering.NEWEST_FIRST


@dataclass(frozen=True)
class CredentialLogQuery:
    credential: uuid.UUID | None = None
    created_after: float | None = None
    created_before: float | None = None
    ordering: Ordering = Ordering.NEWEST_FIRST


@dataclass(frozen=True)
class AppLogQuery:
    oauth_app: uuid.UUID | None = None
    created_after: float | None = None
    created_before: float | None = None
    ordering: Ordering = Ordering.NEWEST_FIRST


@dataclass(frozen=True)
class MeetingMappingQuery:
    """``meeting_id``: the number as text (django-filter compares it numerically, so
    ``1e3`` names meeting 1000); ``synced_after``/``synced_before``: inclusive Unix times.
    ``ordering`` here means by ``synced_at`` (a sync rewrites its credential's mappings, so
    insertion order is sync order)."""

    credential: uuid.UUID | None = None
    meeting_id: str | None = None
    synced_after: float | None = None
    synced_before: float | None = None
    ordering: Ordering = Ordering.NEWEST_FIRST
