"""What the fake Recall refuses, as exceptions the HTTP layer turns into DRF-shaped answers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

__all__ = [
    "CallbackRejected",
    "CredentialUnhealthy",
    "DuplicateCredential",
    "InvalidCursor",
    "InvalidInput",
    "NotFound",
    "RecallError",
]


class RecallError(Exception):
    """Base of every refusal of the fake Recall."""


class NotFound(RecallError):
    """No record with that id (answered ``404 {"detail": "Not found."}``)."""

    def __init__(self, kind: str, record_id: uuid.UUID | str) -> None:
        super().__init__(f"no {kind} with id {record_id}")
        self.kind = kind
        self.record_id = str(record_id)


class InvalidInput(RecallError):
    """Field errors, DRF style: ``{"<field>": ["<message>", ...]}``."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors = {name: list(messages) for name, messages in errors.items()}
        summary = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in self.errors.items())
        super().__init__(summary)


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


class CredentialUnhealthy(RecallError):
    """The credential is disabled until ``validate/`` succeeds."""

    def __init__(self, credential: uuid.UUID, failures: int) -> None:
        self.credential = credential
        self.detail = (
            f"Zoom OAuth Credential {credential} is unhealthy after {failures} consecutive "
            "failed access token callback calls; fix the callback and call "
            f"POST /api/v2/zoom-oauth-credentials/{credential}/validate/ to re-enable it."
        )
        super().__init__(self.detail)
