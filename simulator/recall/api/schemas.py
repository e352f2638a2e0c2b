"""The JSON shapes of the fake Recall's API (pydantic, at the HTTP boundary only).

Response models serialize the domain values and document the answers in the
OpenAPI schema; request bodies are parsed by `forms` (DRF's rules and messages), so
they are documented by JSON schemas written from `forms`' own patterns.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from recall_sim.simulator.recall import bots
from recall_sim.simulator.recall.api.forms import (
    DATETIME_PATTERN,
    HTTP_URL_PATTERN,
    MAX_LENGTH,
    STRING_PATTERN,
    URL_LENGTH_PATTERN,
    ZOOM_MEETING_URL_PATTERN,
)
from recall_sim.simulator.recall.credentials import AccessToken
from recall_sim.simulator.recall.models import (
    AppKind,
    AppLog,
    Credential,
    CredentialLog,
    MeetingMapping,
    OAuthApp,
    iso_timestamp,
)

__all__ = [
    "APP_CREATE_BODY",
    "APP_UPDATE_BODY",
    "BOT_CREATE_BODY",
    "CREDENTIAL_CREATE_BODY",
    "AccessTokenOut",
    "Bot",
    "BotMeetingUrl",
    "BotStatusChange",
    "ChoiceOut",
    "DetailOut",
    "DuplicateOut",
    "FieldErrorsOut",
    "FieldInfoOut",
    "MetadataOut",
    "PaginatedZoomMeetingToCredentialList",
    "PaginatedZoomOauthAppList",
    "PaginatedZoomOauthAppLogList",
    "PaginatedZoomOauthCredentialList",
    "PaginatedZoomOauthCredentialLogList",
    "ZoomMeetingToCredential",
    "ZoomOauthApp",
    "ZoomOauthAppLog",
    "ZoomOauthCredential",
    "ZoomOauthCredentialLog",
    "request_body",
]


# ISO 8601 with microseconds and "Z", as `iso_timestamp` writes them.
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]

# The resources' models (and so their schema components) are named as their paths
# name them (``/zoom-oauth-apps/`` serves ``ZoomOauthApp``), which is how generic
# tools, Schemathesis's stateful phase among them, tie a path to its records.


class ZoomOauthApp(BaseModel):
    id: uuid.UUID
    kind: Literal["user_level", "account_level"]
    client_id: str
    client_secret: str
    webhook_secret: str
    webhook_last_validation: Timestamp | None
    created_at: Timestamp

    @classmethod
    def of(cls, app: OAuthApp) -> ZoomOauthApp:
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


class ZoomOauthCredential(BaseModel):
    id: uuid.UUID
    oauth_app: uuid.UUID
    status: Literal["healthy", "unhealthy"]
    user_id: str | None
    account_id: str | None
    access_token_callback_url: str | None
    created_at: Timestamp
    meeting_sync_status: Literal["not_started", "in_progress", "completed", "failed"]

    @classmethod
    def of(cls, credential: Credential) -> ZoomOauthCredential:
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


class ZoomOauthCredentialLog(BaseModel):
    credential: uuid.UUID
    message: str
    created_at: Timestamp

    @classmethod
    def of(cls, log: CredentialLog) -> ZoomOauthCredentialLog:
        return cls(
            credential=log.credential, message=log.message, created_at=iso_timestamp(log.created_at)
        )


class ZoomOauthAppLog(BaseModel):
    oauth_app: uuid.UUID
    message: str
    created_at: Timestamp

    @classmethod
    def of(cls, log: AppLog) -> ZoomOauthAppLog:
        return cls(
            oauth_app=log.oauth_app, message=log.message, created_at=iso_timestamp(log.created_at)
        )


class AccessTokenOut(BaseModel):
    token: str
    expires_at: Timestamp

    @classmethod
    def of(cls, token: AccessToken) -> AccessTokenOut:
        return cls(token=token.token, expires_at=iso_timestamp(token.expires_at))


class _Paginated(BaseModel):
    next: str | None
    previous: str | None


class PaginatedZoomOauthAppList(_Paginated):
    results: list[ZoomOauthApp]


class PaginatedZoomOauthCredentialList(_Paginated):
    results: list[ZoomOauthCredential]


class PaginatedZoomOauthCredentialLogList(_Paginated):
    results: list[ZoomOauthCredentialLog]


class PaginatedZoomOauthAppLogList(_Paginated):
    results: list[ZoomOauthAppLog]


class DetailOut(BaseModel):
    """``{"detail": "..."}``: every refusal that is not about fields."""

    model_config = ConfigDict(extra="forbid")
    detail: str


class FieldErrorsOut(RootModel[dict[str, list[str] | dict[str, list[str]]]]):
    """``{"<field>": ["<message>", ...]}``: DRF's validation errors, every field at once
    (``non_field_errors`` for the body as a whole; a nested object's errors nested:
    ``{"authorization_code": {"code": ["..."]}}``)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})


class DuplicateOut(BaseModel):
    """A second credential for one Zoom user under the ``reject`` duplicate policy."""

    model_config = ConfigDict(extra="forbid")
    detail: str
    conflicting_zoom_user_id: str | None


class ChoiceOut(BaseModel):
    value: str
    display_name: str


class FieldInfoOut(BaseModel):
    """One serializer field, as DRF's SimpleMetadata describes it."""

    type: str
    required: bool
    read_only: bool
    label: str
    max_length: int | None = None
    choices: list[ChoiceOut] | None = None


class MetadataOut(BaseModel):
    """The body of an ``OPTIONS`` answer (DRF's SimpleMetadata): ``actions`` describes
    the fields a ``POST`` takes, on the endpoints that create."""

    name: str
    description: str
    renders: list[str]
    parses: list[str]
    actions: dict[str, dict[str, FieldInfoOut]] | None = None


# Request bodies. They are parsed by `forms` (DRF's rules and messages); these schemas
# say what that parsing accepts, in each of the three media types DRF parses.


def _char_field(description: str | None = None) -> dict[str, Any]:
    """A DRF CharField: a string of 1 to 200 characters once trimmed, without NUL, or a
    number, which DRF takes as its text."""
    schema: dict[str, Any] = {
        "anyOf": [{"type": "string", "pattern": STRING_PATTERN}, {"type": "number"}]
    }
    if description:
        schema["description"] = description
    return schema


APP_CREATE_BODY: dict[str, Any] = {
    "title": "AppCreateIn",
    "type": "object",
    "required": ["kind", "client_id", "client_secret", "webhook_secret"],
    "properties": {
        "kind": {"type": "string", "enum": [k.value for k in AppKind]},
        "client_id": _char_field(),
        "client_secret": _char_field("With customer-managed OAuth, a dummy value will do."),
        "webhook_secret": _char_field(),
    },
}
APP_UPDATE_BODY: dict[str, Any] = {
    "title": "AppUpdateIn",
    "type": "object",
    "description": "Only the secrets change; other fields are read-only and ignored, as in DRF.",
    "properties": {"client_secret": _char_field(), "webhook_secret": _char_field()},
}
_CALLBACK_URL_FIELD: dict[str, Any] = {
    "type": "string",
    # An http(s) URL of at most 200 characters once trimmed: two patterns, since
    # maxLength would count the whitespace DRF trims.
    "allOf": [{"pattern": HTTP_URL_PATTERN}, {"pattern": URL_LENGTH_PATTERN}],
    "description": (
        "Customer-managed OAuth: an http(s) URL, called at once; the credential is stored "
        'only when the answer passes (otherwise 400 {"detail": "..."} naming the rule '
        "that failed)."
    ),
}
_AUTHORIZATION_CODE_FIELD: dict[str, Any] = {
    "type": "object",
    "title": "AuthorizationCodeIn",
    "required": ["code", "redirect_uri"],
    "properties": {
        "code": _char_field("The code Zoom's redirect carried."),
        "redirect_uri": _char_field("Exactly the redirect_uri of the authorize request."),
        "code_verifier": {
            "anyOf": [_char_field(), {"type": "null"}],
            "description": "The PKCE verifier, when the authorize request had a challenge.",
        },
    },
    "description": (
        "Recall-managed OAuth: the code is exchanged at Zoom with the app's client_id and "
        "client_secret; Recall keeps the tokens and refreshes them itself. A code Zoom "
        'refuses answers 400 {"detail": "Zoom refused the authorization code: <error> ..."}.'
    ),
}
CREDENTIAL_CREATE_BODY: dict[str, Any] = {
    "title": "CredentialCreateIn",
    "type": "object",
    "required": ["oauth_app"],
    "properties": {
        "oauth_app": {
            "type": "string",
            "format": "uuid",
            "description": "The id of an existing Zoom OAuth app (any other id answers 400).",
        },
        "access_token_callback_url": {"anyOf": [_CALLBACK_URL_FIELD, {"type": "null"}]},
        "authorization_code": {"anyOf": [_AUTHORIZATION_CODE_FIELD, {"type": "null"}]},
    },
    "description": "Exactly one of access_token_callback_url and authorization_code.",
    "oneOf": [
        {
            "required": ["access_token_callback_url"],
            "properties": {"access_token_callback_url": _CALLBACK_URL_FIELD},
        },
        {
            "required": ["authorization_code"],
            "properties": {"authorization_code": _AUTHORIZATION_CODE_FIELD},
        },
    ],
}


def request_body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """An ``openapi_extra`` declaring ``schema`` as the JSON, form and multipart body."""
    media = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
    return {
        "requestBody": {"required": required, "content": {m: {"schema": schema} for m in media}}
    }


class ZoomMeetingToCredential(BaseModel):
    """A Zoom meeting number and the credential whose token serves it (no ``id``, as in
    Recall's answers)."""

    meeting_id: int
    credential: uuid.UUID
    synced_at: Timestamp

    @classmethod
    def of(cls, mapping: MeetingMapping) -> ZoomMeetingToCredential:
        return cls(
            meeting_id=mapping.meeting_id,
            credential=mapping.credential,
            synced_at=iso_timestamp(mapping.synced_at),
        )


class PaginatedZoomMeetingToCredentialList(_Paginated):
    results: list[ZoomMeetingToCredential]


# Bots (``/api/v1/bot/``): the documented fields this simulator has something to say in.


class BotMeetingUrl(BaseModel):
    """The meeting a bot's ``meeting_url`` names, as Recall's bot objects show it."""

    meeting_id: str
    meeting_password: str | None
    platform: Literal["zoom"]


class BotStatusChange(BaseModel):
    code: Literal[tuple(c.value for c in bots.BotCode)]  # type: ignore[valid-type]
    message: str | None
    created_at: Timestamp
    sub_code: str | None


class Bot(BaseModel):
    """A bot: its meeting, when it joins, and how joining went (``status_changes``)."""

    id: uuid.UUID
    meeting_url: BotMeetingUrl
    join_at: Timestamp | None
    status_changes: list[BotStatusChange]

    @classmethod
    def of(cls, bot: bots.Bot) -> Bot:
        return cls(
            id=bot.id,
            meeting_url=BotMeetingUrl(
                meeting_id=bot.meeting.meeting_id,
                meeting_password=bot.meeting.password,
                platform="zoom",
            ),
            join_at=None if bot.join_at is None else iso_timestamp(bot.join_at),
            status_changes=[
                BotStatusChange(
                    code=change.code.value,
                    message=change.message,
                    created_at=iso_timestamp(change.created_at),
                    sub_code=change.sub_code,
                )
                for change in bot.status_changes
            ],
        )


def _bot_url_field(description: str) -> dict[str, Any]:
    return {"anyOf": [{**_CALLBACK_URL_FIELD, "description": description}, {"type": "null"}]}


BOT_CREATE_BODY: dict[str, Any] = {
    "title": "BotCreateIn",
    "type": "object",
    "required": ["meeting_url"],
    "properties": {
        "meeting_url": {
            "type": "string",
            "pattern": ZOOM_MEETING_URL_PATTERN,
            "maxLength": MAX_LENGTH,
            "description": "A Zoom meeting URL (https://zoom.us/j/<meeting number>?pwd=...); "
            "the simulator's bots join Zoom meetings only.",
        },
        "zoom": {
            "anyOf": [
                {
                    "type": "object",
                    "title": "BotZoomIn",
                    "properties": {
                        "obf_token_url": _bot_url_field(
                            "Called with a GET just before the bot joins; answers a fresh "
                            "OBF token as plain text."
                        ),
                        "zak_url": _bot_url_field(
                            "Called with a GET just before the bot joins; answers a ZAK as "
                            "plain text."
                        ),
                        "join_token_url": _bot_url_field(
                            "Called with a GET just before the bot joins; answers the "
                            "meeting's join token for local recording as plain text, or 404 "
                            "when none can be generated."
                        ),
                    },
                },
                {"type": "null"},
            ]
        },
        "join_at": {
            "anyOf": [{"type": "string", "pattern": DATETIME_PATTERN}, {"type": "null"}],
            "description": "When the bot joins (ISO 8601; a time without an offset is UTC), on "
            "the simulation clock; absent or null: at once. A pattern-valid but impossible "
            'date (February 30) answers 400 {"join_at": [...]}.',
        },
    },
}
