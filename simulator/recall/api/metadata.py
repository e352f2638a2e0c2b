"""What ``OPTIONS`` answers on each endpoint: the body DRF's SimpleMetadata renders.

DRF describes a view (its name, description, renderers and parsers) and, where the
client may ``POST`` (the create endpoints), the serializer's fields. Recall's own
view names are not public; these follow DRF's naming (``<Model> List``/``Instance``,
extra actions by their name).
"""

from __future__ import annotations

from enum import StrEnum

from recall_sim.simulator.recall.api.forms import MAX_LENGTH
from recall_sim.simulator.recall.api.schemas import ChoiceOut, FieldInfoOut, MetadataOut
from recall_sim.simulator.recall.models import AppKind

__all__ = [
    "ACCESS_TOKEN",
    "APP_INSTANCE",
    "APP_LIST",
    "APP_LOG_LIST",
    "BOT_INSTANCE",
    "BOT_LIST",
    "CREDENTIAL_INSTANCE",
    "CREDENTIAL_LIST",
    "CREDENTIAL_LOG_LIST",
    "VALIDATE",
]

_RENDERS = ["application/json"]
_PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]


def _label(name: str) -> str:
    """Django's verbose name of a field, capitalized as DRF labels it."""
    return name.replace("_", " ").capitalize()


def _field(
    name: str,
    kind: str,
    *,
    required: bool = False,
    read_only: bool = False,
    max_length: int | None = None,
    choices: type[StrEnum] | None = None,
) -> tuple[str, FieldInfoOut]:
    # DRF lists choices only for fields a client writes.
    listed = None
    if choices is not None and not read_only:
        listed = [ChoiceOut(value=c.value, display_name=_label(c.value)) for c in choices]
    info = FieldInfoOut(
        type=kind,
        required=required,
        read_only=read_only,
        label=_label(name),
        max_length=max_length,
        choices=listed,
    )
    return name, info


def _view(name: str, fields: list[tuple[str, FieldInfoOut]] | None = None) -> MetadataOut:
    actions = None if fields is None else {"POST": dict(fields)}
    return MetadataOut(name=name, description="", renders=_RENDERS, parses=_PARSES, actions=actions)


_CREATED_AT = _field("created_at", "datetime", read_only=True)

APP_LIST = _view(
    "Zoom OAuth App List",
    [
        _field("id", "string", read_only=True),
        _field("kind", "choice", required=True, choices=AppKind),
        _field("client_id", "string", required=True, max_length=MAX_LENGTH),
        _field("client_secret", "string", required=True, max_length=MAX_LENGTH),
        _field("webhook_secret", "string", required=True, max_length=MAX_LENGTH),
        _field("webhook_last_validation", "datetime", read_only=True),
        _CREATED_AT,
    ],
)
APP_INSTANCE = _view("Zoom OAuth App Instance")
CREDENTIAL_LIST = _view(
    "Zoom OAuth Credential List",
    [
        _field("id", "string", read_only=True),
        _field("oauth_app", "field", required=True),
        _field("status", "choice", read_only=True),
        _field("user_id", "string", read_only=True),
        _field("account_id", "string", read_only=True),
        _field("access_token_callback_url", "url", required=False, max_length=MAX_LENGTH),
        _field("authorization_code", "nested object", required=False),
        _CREATED_AT,
        _field("meeting_sync_status", "choice", read_only=True),
    ],
)
CREDENTIAL_INSTANCE = _view("Zoom OAuth Credential Instance")
ACCESS_TOKEN = _view("Access token")
VALIDATE = _view("Validate")
CREDENTIAL_LOG_LIST = _view("Zoom OAuth Credential Log List")
APP_LOG_LIST = _view("Zoom OAuth App Log List")
BOT_LIST = _view(
    "Bot List",
    [
        _field("id", "string", read_only=True),
        _field("meeting_url", "url", required=True, max_length=MAX_LENGTH),
        _field("zoom", "nested object", required=False),
        _field("join_at", "datetime", required=False),
        _field("status_changes", "list", read_only=True),
    ],
)
BOT_INSTANCE = _view("Bot Instance")
