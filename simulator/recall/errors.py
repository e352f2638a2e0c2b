"""What the fake Recall refuses, as exceptions the HTTP layer turns into DRF-shaped answers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "CallbackRejected",
    "CredentialUnhealthy",
    "DuplicateCredential",
    "InvalidCursor",
    "InvalidInput",
    "NotFound",
    "RecallError",
    "ZoomRejected",
]


class RecallError(Exception):
    """Base of every refusal of the fake Recall."""


class NotFound(RecallError):
    """No record with that id (answered ``404 {"detail": "Not found."}``)."""

    def __init__(self, kind: str, record_id: uuid.UUID | str) -> None:
        super().__init__(f"no {kind} with id {record_id}")
        self.kind = kind
        self.record_id = str(record_id)


FieldErrors = Mapping[str, "Sequence[str] | FieldErrors"]


class InvalidInput(RecallError):
    """Field errors, DRF style: ``{"<field>": ["<message>", ...]}``, nested for a nested
    object (``{"authorization_code": {"code": ["This field is required."]}}``)."""

    def __init__(self, errors: FieldErrors) -> None:
        self.errors: dict[str, Any] = _plain(errors)
        super().__init__(_summary(self.errors))


def _plain(errors: FieldErrors) -> dict[str, Any]:
    return {
        name: _plain(value) if isinstance(value, Mapping) else list(value)
        for name, value in errors.items()
    }


def _summary(errors: Mapping[str, Any], prefix: str = "") -> str:
    return "; ".join(
        _summary(value, f"{prefix}{name}.")
        if isinstance(value, Mapping)
        else f"{prefix}{name}: {' '.join(value)}"
        for name, value in errors.items()
    )


class InvalidCursor(RecallError):
    """A ``cursor`` query value that this simulator did not hand out."""


class CallbackRejected(RecallError):
    """The access-token callback's answer failed a rule; ``detail`` names each failed rule."""

    def __init__(self, detail: str, *, failed_rules: Sequence[str]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.failed_rules = tuple(failed_rules)


class DuplicateCredential(RecallError):
    """The legacy refusal of a second credential for the same Zoom user or account."""

    def __init__(self, *, existing: uuid.UUID, user_id: str | None, account_id: str | None):
        self.existing = existing
        self.user_id = user_id
        self.account_id = account_id
        self.detail = (
            "A Zoom OAuth Credential already exists for this OAuth App and Zoom "
            f"account(user_id: {user_id}). Delete the existing credential ({existing}) "
            "before creating a new one, or re-enable it with its validate endpoint."
        )
        super().__init__(self.detail)


class ZoomRejected(RecallError):
    """Zoom refused what a Recall-managed credential needed (a code exchange, a refresh);
    ``detail`` names Zoom's error."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class CredentialUnhealthy(RecallError):
    """The credential is disabled until ``validate/`` succeeds (or, Recall-managed, the
    user is authorized again)."""

    def __init__(self, credential: uuid.UUID, failures: int, recall_managed: bool = False) -> None:
        self.credential = credential
        validate = f"POST /api/v2/zoom-oauth-credentials/{credential}/validate/"
        if recall_managed:
            self.detail = (
                f"Zoom OAuth Credential {credential} is unhealthy: Zoom refused to refresh "
                "its access token (see its credential logs); authorize the user again, or "
                f"call {validate} once Zoom accepts the grant."
            )
        else:
            self.detail = (
                f"Zoom OAuth Credential {credential} is unhealthy after {failures} consecutive "
                f"failed access token callback calls; fix the callback and call {validate} "
                "to re-enable it."
            )
        super().__init__(self.detail)
