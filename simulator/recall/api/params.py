"""Query parameters of the list endpoints: filters, ordering and the cursor, parsed with
django-filter's and DRF's answers, and documented (`*_PARAMETERS`) from the same rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

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
    Ordering,
)

__all__ = [
    "APP_LOG_PARAMETERS",
    "APP_PARAMETERS",
    "CREDENTIAL_LOG_PARAMETERS",
    "CREDENTIAL_PARAMETERS",
    "app_log_query",
    "app_query",
    "credential_log_query",
    "credential_query",
    "cursor_param",
    "documented",
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

    def ordering(self, field: str = "created_at") -> Ordering:
        """DRF's OrderingFilter: comma-separated terms, unknown ones dropped without an
        error; the first known term decides (``field`` the only one a client may order by,
        with "-" for descending), and with none, the view's default order (newest first)."""
        for term in (self.text("ordering") or "").split(","):
            term = term.strip()
            if term == field:
                return Ordering.OLDEST_FIRST
            if term == "-" + field:
                return Ordering.NEWEST_FIRST
        return Ordering.NEWEST_FIRST

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
        client_id=p.text("client_id"),
        kind=kind,
        created_after=after,
        created_before=before,
        ordering=p.ordering(),
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
        ordering=p.ordering(),
    )


def credential_log_query(
    params: Mapping[str, str], *, credential_exists: Callable[[uuid.UUID], bool]
) -> CredentialLogQuery:
    p = _Params(params)
    credential = p.reference("credential", credential_exists)
    after, before = p.created_range()
    p.check()
    return CredentialLogQuery(
        credential=credential, created_after=after, created_before=before, ordering=p.ordering()
    )


def app_log_query(
    params: Mapping[str, str], *, app_exists: Callable[[uuid.UUID], bool]
) -> AppLogQuery:
    p = _Params(params)
    oauth_app = p.reference("oauth_app", app_exists)
    after, before = p.created_range()
    p.check()
    return AppLogQuery(
        oauth_app=oauth_app, created_after=after, created_before=before, ordering=p.ordering()
    )


# The OpenAPI parameters of each list, written from the parsing rules above: an empty
# value is no filter, so every schema admits "" too.

_EMPTY: dict[str, Any] = {"type": "string", "maxLength": 0}
# RFC 3339 as Python (and Django) parse it: uppercase T and Z, no leap second, year >= 1.
_DATE_TIME: dict[str, Any] = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$",
}
_DATE: dict[str, Any] = {"type": "string", "format": "date", "pattern": r"^(?!0000)"}


def _parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _text(name: str) -> dict[str, Any]:
    return _parameter(name, {"type": "string"}, f"Only records whose {name} is exactly this.")


def _choice(name: str, choices: type[StrEnum]) -> dict[str, Any]:
    values = [c.value for c in choices]
    return _parameter(
        name,
        {"type": "string", "enum": ["", *values]},
        f"Only records with this {name}; any other value answers 400 "
        f'{{"{name}": ["{BAD_CHOICE.format("<value>")}"]}}.',
    )


def _reference(name: str, what: str) -> dict[str, Any]:
    return _parameter(
        name,
        {"anyOf": [{"type": "string", "format": "uuid"}, _EMPTY]},
        f"Only records of this {what}. The id must exist (other spellings of it, without "
        "hyphens or in braces, as Python's uuid.UUID reads them, name it too): any other "
        f'value answers 400 {{"{name}": ["{BAD_REFERENCE}"]}}.',
    )


def _instant(name: str, bound: str, *, records: str = "records created") -> dict[str, Any]:
    return _parameter(
        name,
        {"anyOf": [_DATE_TIME, _DATE, _EMPTY]},
        f"Only {records} {bound} this instant (inclusive): an RFC 3339 date-time or "
        "a date; the other ISO 8601 forms Python reads are taken too (without an offset, "
        f'in UTC). Anything else answers 400 {{"{name}": ["{BAD_DATETIME}"]}}.',
    )


_CREATED_RANGE = (
    _instant("created_at_after", "at or after"),
    _instant("created_at_before", "at or before"),
)
_ORDERING = _parameter(
    "ordering",
    {
        "type": "string",
        "default": Ordering.NEWEST_FIRST.value,
        "examples": [o.value for o in Ordering],
    },
    "`-created_at` (newest first, the default) or `created_at` (oldest first). As DRF's "
    "OrderingFilter: comma-separated terms, the first known one decides, unknown ones are "
    "ignored (no error), and with none known the default order applies.",
)
_CURSOR = _parameter(
    "cursor",
    {"type": "string"},
    "The opaque cursor of a `next` or `previous` link; any other value answers 404 "
    '{"detail": "Invalid cursor"}.',
)

APP_PARAMETERS = (
    _text("client_id"),
    _choice("kind", AppKind),
    *_CREATED_RANGE,
    _ORDERING,
    _CURSOR,
)
CREDENTIAL_PARAMETERS = (
    _reference("oauth_app", "Zoom OAuth app"),
    _text("user_id"),
    _text("account_id"),
    _choice("status", CredentialStatus),
    _choice("meeting_sync_status", MeetingSyncStatus),
    *_CREATED_RANGE,
    _ORDERING,
    _CURSOR,
)
CREDENTIAL_LOG_PARAMETERS = (
    _reference("credential", "Zoom OAuth credential"),
    *_CREATED_RANGE,
    _ORDERING,
    _CURSOR,
)
APP_LOG_PARAMETERS = (
    _reference("oauth_app", "Zoom OAuth app"),
    *_CREATED_RANGE,
    _ORDERING,
    _CURSOR,
)


def documented(parameters: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """An ``openapi_extra`` declaring ``parameters`` (the handlers read the query by hand)."""
    return {"parameters": list(parameters)}
