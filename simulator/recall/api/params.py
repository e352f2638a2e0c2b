"""Query parameters of the list endpoints: filters and the cursor, with django-filter's errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from recall_sim.simulator.recall.errors import InvalidInput
from recall_sim.simulator.recall.models import (
    AppKind,
    CredentialStatus,
    MeetingSyncStatus,
    parse_uuid,
)
from recall_sim.simulator.recall.pagination import Cursor, decode_cursor
from recall_sim.simulator.recall.queries import (
    AppLogQuery,
    AppQuery,
    CredentialLogQuery,
    CredentialQuery,
)

__all__ = [
    "app_log_query",
    "app_query",
    "credential_log_query",
    "credential_query",
    "cursor_param",
]

E = TypeVar("E", bound=StrEnum)
BAD_CHOICE = "Select a valid choice. {} is not one of the available choices."
BAD_REFERENCE = "Select a valid choice. That choice is not one of the available choices."
BAD_DATETIME = "Enter a valid date/time."


def _shown(value: str) -> str:
    return value if len(value) <= 100 else value[:100] + "…"


class _Params:
    def __init__(self, params: Mapping[str, str]) -> None:
        self.params = params
        self.errors: dict[str, list[str]] = {}

    def text(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value else None  # an empty filter means no filter, as in django-filter

    def choice(self, name: str, choices: type[E]) -> E | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return choices(value)
        except ValueError:
            self.errors[name] = [BAD_CHOICE.format(_shown(value))]
            return None

    def reference(self, name: str, exists: Callable[[uuid.UUID], bool]) -> uuid.UUID | None:
        value = self.text(name)
        if value is None:
            return None
        parsed = parse_uuid(value)
        if parsed is None or not exists(parsed):
            self.errors[name] = [BAD_REFERENCE]
            return None
        return parsed

    def instant(self, name: str) -> float | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value.strip())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)  # Django's default time zone here is UTC
            return moment.timestamp()
        except (ValueError, OverflowError, OSError):
            self.errors[name] = [BAD_DATETIME]
            return None

    def created_range(self) -> tuple[float | None, float | None]:
        return self.instant("created_at_after"), self.instant("created_at_before")

    def check(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def cursor_param(params: Mapping[str, str]) -> Cursor | None:
    """The ``cursor`` parameter; InvalidCursor (404 "Invalid cursor") when not one of ours."""
    value = params.get("cursor")
    return decode_cursor(value) if value else None


def app_query(params: Mapping[str, str]) -> AppQuery:
    p = _Params(params)
    kind = p.choice("kind", AppKind)
    after, before = p.created_range()
    p.check()
    return AppQuery(
        client_id=p.text("client_id"), kind=kind, created_after=after, created_before=before
    )


def credential_query(
    params: Mapping[str, str], *, app_exists: Callable[[uuid.UUID], bool]
) -> CredentialQuery:
    p = _Params(params)
    oauth_app = p.reference("oauth_app", app_exists)
    status = p.choice("status", CredentialStatus)
    sync = p.choice("meeting_sync_status", MeetingSyncStatus)
    after, before = p.created_range()
    p.check()
    return CredentialQuery(
        oauth_app=oauth_app,
        user_id=p.text("user_id"),
        account_id=p.text("account_id"),
        status=status,
        meeting_sync_status=sync,
        created_after=after,
        created_before=before,
    )


def credential_log_query(
    params: Mapping[str, str], *, credential_exists: Callable[[uuid.UUID], bool]
) -> CredentialLogQuery:
    p = _Params(params)
    credential = p.reference("credential", credential_exists)
    after, before = p.created_range()
    p.check()
    return CredentialLogQuery(credential=credential, created_after=after, created_before=before)


def app_log_query(
    params: Mapping[str, str], *, app_exists: Callable[[uuid.UUID], bool]
) -> AppLogQuery:
    p = _Params(params)
    oauth_app = p.reference("oauth_app", app_exists)
    after, before = p.created_range()
    p.check()
    return AppLogQuery(oauth_app=oauth_app, created_after=after, created_before=before)
