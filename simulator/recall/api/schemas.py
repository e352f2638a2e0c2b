"""The JSON shapes of the fake Recall's API (pydantic, at the HTTP boundary only).

Response models serialize the domain values and document the answers in the
OpenAPI schema; request models only document bodies, which are parsed by
`forms` to give DRF's error messages.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from recall_sim.simulator.recall.credentials import AccessToken
from recall_sim.simulator.recall.models import (
    AppLog,
    Credential,
    CredentialLog,
    OAuthApp,
    iso_timestamp,
)

__all__ = [
    "AccessTokenOut",
    "AppCreateIn",
    "AppLogOut",
    "AppUpdateIn",
    "CredentialCreateIn",
    "CredentialLogOut",
    "CredentialOut",
    "DuplicateOut",
    "ErrorOut",
    "OAuthAppOut",
    "PaginatedAppLogs",
    "PaginatedApps",
    "PaginatedCredentialLogs",
    "PaginatedCredentials",
    "request_body",
]


class OAuthAppOut(BaseModel):
    id: uuid.UUID
    kind: Literal["user_level", "account_level"]
    client_id: str
    client_secret: str
    webhook_secret: str
    webhook_last_validation: str | None
    created_at: str

    @classmethod
    def of(cls, app: OAuthApp) -> OAuthAppOut:
        last = app.webhook_last_validation
        return cls(
            id=app.id,
            kind=app.kind.value,
            client_id=app.client_id,
            client_secret=app.client_secret,
            webhook_secret=app.webhook_secret,
            webhook_last_validation=None if last is None else iso_timestamp(last),
            created_at=iso_timestamp(app.created_at),
        )


class CredentialOut(BaseModel):
    id: uuid.UUID
    oauth_app: uuid.UUID
    status: Literal["healthy", "unhealthy"]
    user_id: str | None
    account_id: str | None
    access_token_callback_url: str | None
    created_at: str
    meeting_sync_status: Literal["not_started", "in_progress", "completed", "failed"]

    @classmethod
    def of(cls, credential: Credential) -> CredentialOut:
        return cls(
            id=credential.id,
            oauth_app=credential.oauth_app,
            status=credential.status.value,
            user_id=credential.user_id,
            account_id=credential.account_id,
            access_token_callback_url=credential.access_token_callback_url,
            created_at=iso_timestamp(credential.created_at),
            meeting_sync_status=credential.meeting_sync_status.value,
        )


class CredentialLogOut(BaseModel):
    credential: uuid.UUID
    message: str
    created_at: str

    @classmethod
    def of(cls, log: CredentialLog) -> CredentialLogOut:
        return cls(
            credential=log.credential, message=log.message, created_at=iso_timestamp(log.created_at)
        )


class AppLogOut(BaseModel):
    oauth_app: uuid.UUID
    message: str
    created_at: str

    @classmethod
    def of(cls, log: AppLog) -> AppLogOut:
        return cls(
            oauth_app=log.oauth_app, message=log.message, created_at=iso_timestamp(log.created_at)
        )


class AccessTokenOut(BaseModel):
    token: str
    expires_at: str

    @classmethod
    def of(cls, token: AccessToken) -> AccessTokenOut:
        return cls(token=token.token, expires_at=iso_timestamp(token.expires_at))


class _Paginated(BaseModel):
    next: str | None
    previous: str | None


class PaginatedApps(_Paginated):
    results: list[OAuthAppOut]


class PaginatedCredentials(_Paginated):
    results: list[CredentialOut]


class PaginatedCredentialLogs(_Paginated):
    results: list[CredentialLogOut]


class PaginatedAppLogs(_Paginated):
    results: list[AppLogOut]


class ErrorOut(BaseModel):
    """``{"detail": ...}`` or, for a 400 about fields, ``{"<field>": ["<message>"]}``."""

    model_config = {"extra": "allow"}
    detail: str | None = None


class DuplicateOut(BaseModel):
    detail: str
    conflicting_zoom_user_id: str | None


class AppCreateIn(BaseModel):
    kind: Literal["user_level", "account_level"]
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=200)
    webhook_secret: str = Field(min_length=1, max_length=200)


class AppUpdateIn(BaseModel):
    client_secret: str = Field(default="", min_length=1, max_length=200)
    webhook_secret: str = Field(default="", min_length=1, max_length=200)


class CredentialCreateIn(BaseModel):
    oauth_app: uuid.UUID
    access_token_callback_url: str | None = Field(
        default=None, max_length=200, json_schema_extra={"format": "uri"}
    )
    authorization_code: dict[str, Any] | None = Field(
        default=None,
        description="Recall-managed OAuth; not simulated (answered with a 400 naming the field).",
    )


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """An ``openapi_extra`` declaring ``model`` as the JSON, form and multipart body."""
    schema = model.model_json_schema()
    media = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
    return {"requestBody": {"required": True, "content": {m: {"schema": schema} for m in media}}}
