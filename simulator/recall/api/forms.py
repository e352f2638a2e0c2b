"""Request bodies validated field by field, with Django REST Framework's messages.

Every field is checked and every error reported at once, as DRF does, so a client
sees ``{"client_id": ["This field is required."], "kind": ["\\"x\\" is not a valid choice."]}``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlsplit

from recall_sim.simulator.recall.bots import INVALID_MEETING_URL, BotZoom, zoom_meeting
from recall_sim.simulator.recall.errors import InvalidInput
from recall_sim.simulator.recall.models import AppKind, parse_uuid
from recall_sim.simulator.recall.recall_managed import AuthorizationCode

__all__ = [
    "HTTP_URL_PATTERN",
    "MAX_LENGTH",
    "NFKC_NETLOC_BREAKERS",
    "STRING_PATTERN",
    "URL_LENGTH_PATTERN",
    "AppCreate",
    "AppUpdate",
    "BotCreate",
    "CredentialCreate",
    "parse_app_create",
    "parse_app_update",
    "parse_bot_create",
    "parse_credential_create",
]

MAX_LENGTH = 200
_ECHO = 100  # characters of a rejected value shown back in an error message

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
NOT_STRING = "Not a valid string."
NO_NULL_CHARS = "Null characters are not allowed."
TOO_LONG = f"Ensure this field has no more than {MAX_LENGTH} characters."
BAD_URL = "Enter a valid URL."
BAD_DATETIME = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
# The date-times `_Fields.datetime` reads (DRF's ISO 8601 input, as its message says).
DATETIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?$"
)
# A Zoom meeting URL as `bots.zoom_meeting` reads it (at most 200 characters).
ZOOM_MEETING_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9-]+\.)*[Zz][Oo][Oo][Mm]\.[Uu][Ss]"
    r"/([jsw]|wc/join|wc)/[0-9]{9,11}(/join)?/?(\?[^#\x00-\x20\x7f-\uffff]*)?$"
)
EXACTLY_ONE = (
    "Provide exactly one of access_token_callback_url (customer-managed OAuth) or "
    "authorization_code (Recall-managed OAuth)."
)

E = TypeVar("E", bound=StrEnum)

# The request schemas' patterns, written to accept what `_Fields.string` does. Every
# character Python's str.strip() and str.isspace() treat as whitespace is spelled out,
# because \s differs between regex engines (Python's, ECMA's, Rust's).
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NOT_SPACE_OR_NUL = rf"[^\x00{_SPACE}]"
# A CharField: no NUL character, and 1 to 200 characters once trimmed.
STRING_PATTERN = (
    rf"^[{_SPACE}]*({_NOT_SPACE_OR_NUL}|{_NOT_SPACE_OR_NUL}[^\x00]{{0,{MAX_LENGTH - 2}}}"
    rf"{_NOT_SPACE_OR_NUL})[{_SPACE}]*$"
)
# A URL field's length: 1 to 200 characters once trimmed, none of them whitespace.
URL_LENGTH_PATTERN = rf"^[{_SPACE}]*[^{_SPACE}]{{1,{MAX_LENGTH}}}[{_SPACE}]*$"
_PORT = r"0*([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
# Characters whose NFKC form holds one of "/?#@:": urlsplit refuses a network location
# holding them (lookalike delimiters).
NFKC_NETLOC_BREAKERS = (
    "\u2047\u2048\u2049\u2100\u2101\u2105\u2106\u2a74\ufe13\ufe16\ufe55\ufe56\ufe5f"
    "\ufe6b\uff03\uff0f\uff1a\uff1f\uff20"
)
_NETLOC_END = rf"/?#\x00{_SPACE}{NFKC_NETLOC_BREAKERS}"
_H16 = "[0-9A-Fa-f]{1,4}"
# An IPv6 address in its text forms (RFC 4291), without an embedded IPv4 part or a zone.
_IPV6 = "|".join(
    [
        rf"({_H16}:){{7}}{_H16}",
        rf"({_H16}:){{1,7}}:",
        rf"({_H16}:){{1,6}}:{_H16}",
        rf"({_H16}:){{1,5}}(:{_H16}){{1,2}}",
        rf"({_H16}:){{1,4}}(:{_H16}){{1,3}}",
        rf"({_H16}:){{1,3}}(:{_H16}){{1,4}}",
        rf"({_H16}:){{1,2}}(:{_H16}){{1,5}}",
        rf"{_H16}:(:{_H16}){{1,6}}",
        rf":((:{_H16}){{1,7}}|:)",
    ]
)
# An http(s) URL as `_is_http_url` reads it (its length is `URL_LENGTH_PATTERN`'s):
# optional user info, a host (a name, or an IPv6 address in brackets), an optional
# port in range, then anything without whitespace; whitespace around it is trimmed.
# Exact for URLs without brackets in the network location; of the bracketed forms
# urlsplit also takes (an IPv6 address with an IPv4 part or a zone, "[v1.x]", brackets
# in the user info), none is described, so every URL the pattern admits is accepted.
HTTP_URL_PATTERN = (
    rf"^[{_SPACE}]*[Hh][Tt][Tt][Pp][Ss]?://([^\[\]{_NETLOC_END}]*@)?"
    rf"(\[({_IPV6})\]|[^:@\[\]{_NETLOC_END}]+)"
    rf"(:({_PORT})?)?([/?#]{_NOT_SPACE_OR_NUL}*)?[{_SPACE}]*$"
)


def _echo(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= _ECHO else text[:_ECHO] + "…"


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _is_http_url(value: str) -> bool:
    if any(ch.isspace() for ch in value):
        return False
    # The scheme must come first: urlsplit would skip leading control characters,
    # which Django's URLValidator (and so Recall) refuses.
    if not value[:8].lower().startswith(("http://", "https://")):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        return False
    return bool(parts.hostname)


_ABSENT = object()  # a field that is missing or null (its error already noted)


class _Fields:
    """Reads fields from parsed body data, collecting DRF-style errors per field."""

    def __init__(self, data: Mapping[str, Any], *, partial: bool = False) -> None:
        self.data = data
        self.partial = partial
        self.errors: dict[str, list[str]] = {}
        self._nested: dict[str, _Fields] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def _given(self, name: str) -> Any:
        """The field's value, or `_ABSENT` once a missing (required) or null one is noted."""
        if name not in self.data:
            if not self.partial:
                self.fail(name, REQUIRED)
            return _ABSENT
        value = self.data[name]
        if value is None:
            self.fail(name, NOT_NULL)
            return _ABSENT
        return value

    def string(self, name: str, *, url: bool = False) -> str | None:
        value = self._given(name)
        if value is _ABSENT:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(name, NOT_STRING)
            return None
        text = str(value)
        if _has_lone_surrogate(text):
            self.fail(name, NOT_STRING)
            return None
        if "\x00" in text:
            self.fail(name, NO_NULL_CHARS)
            return None
        text = text.strip()  # DRF's CharField trims whitespace by default
        if not text:
            self.fail(name, NOT_BLANK)
            return None
        if len(text) > MAX_LENGTH:
            self.fail(name, TOO_LONG)
            return None
        if url and not _is_http_url(text):
            self.fail(name, BAD_URL)
            return None
        return text

    def datetime(self, name: str) -> float | None:
        """A DRF DateTimeField in ISO 8601, as a Unix time (a naive time is UTC)."""
        value = self._given(name)
        if value is _ABSENT:
            return None
        text = value.strip() if isinstance(value, str) else ""
        if not re.fullmatch(DATETIME_PATTERN, text):
            self.fail(name, BAD_DATETIME)
            return None
        try:
            parsed = datetime.fromisoformat(text.upper().replace(" ", "T"))
        except ValueError:  # 2026-02-30, 25:00
            self.fail(name, BAD_DATETIME)
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()

    def choice(self, name: str, choices: type[E]) -> E | None:
        value = self._given(name)
        if value is _ABSENT:
            return None
        try:
            return choices(str(value))
        except ValueError:
            self.fail(name, f'"{_echo(value)}" is not a valid choice.')
            return None

    def reference(self, name: str, exists: Callable[[uuid.UUID], bool]) -> uuid.UUID | None:
        """A primary key of another record (DRF's PrimaryKeyRelatedField with a UUID key)."""
        value = self._given(name)
        if value is _ABSENT:
            return None
        if isinstance(value, str):
            parsed = parse_uuid(value.strip())
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**128:
            parsed = uuid.UUID(int=value)
        else:
            self.fail(name, f"Incorrect type. Expected pk value, received {type(value).__name__}.")
            return None
        if parsed is None:
            self.fail(name, f"“{_echo(value)}” is not a valid UUID.")
            return None
        if not exists(parsed):
            self.fail(name, f'Invalid pk "{_echo(value)}" - object does not exist.')
            return None
        return parsed

    def nested(self, name: str) -> _Fields | None:
        """The fields of a nested object (DRF's nested serializer); its errors nest."""
        value = self.data[name]
        if not isinstance(value, Mapping):
            got = type(value).__name__
            self.fail(name, f"Invalid data. Expected a dictionary, but got {got}.")
            return None
        child = _Fields(value)
        self._nested[name] = child
        return child

    def all_errors(self) -> dict[str, Any]:
        found: dict[str, Any] = dict(self.errors)
        for name, child in self._nested.items():
            if child_errors := child.all_errors():
                found[name] = child_errors
        return found

    def check(self) -> None:
        if errors := self.all_errors():
            raise InvalidInput(errors)


@dataclass(frozen=True)
class AppCreate:
    kind: AppKind
    client_id: str
    client_secret: str
    webhook_secret: str


@dataclass(frozen=True)
class AppUpdate:
    client_secret: str | None
    webhook_secret: str | None


@dataclass(frozen=True)
class CredentialCreate:
    """Exactly one of the two: a callback URL (customer-managed) or a code (Recall-managed)."""

    oauth_app: uuid.UUID
    access_token_callback_url: str | None
    authorization_code: AuthorizationCode | None


def parse_app_create(data: Mapping[str, Any]) -> AppCreate:
    fields = _Fields(data)
    kind = fields.choice("kind", AppKind)
    client_id = fields.string("client_id")
    client_secret = fields.string("client_secret")
    webhook_secret = fields.string("webhook_secret")
    fields.check()
    assert kind and client_id and client_secret and webhook_secret
    return AppCreate(kind, client_id, client_secret, webhook_secret)


def parse_app_update(data: Mapping[str, Any]) -> AppUpdate:
    """PATCH: only the secrets can change; other fields are read-only and ignored, as in DRF."""
    fields = _Fields(data, partial=True)
    client_secret = fields.string("client_secret")
    webhook_secret = fields.string("webhook_secret")
    fields.check()
    return AppUpdate(client_secret, webhook_secret)


def parse_credential_create(
    data: Mapping[str, Any], *, app_exists: Callable[[uuid.UUID], bool]
) -> CredentialCreate:
    fields = _Fields(data)
    oauth_app = fields.reference("oauth_app", app_exists)
    has_url = data.get("access_token_callback_url") is not None
    has_code = data.get("authorization_code") is not None
    url = fields.string("access_token_callback_url", url=True) if has_url else None
    code = _authorization_code(fields) if has_code else None
    fields.check()
    if has_url == has_code:
        raise InvalidInput({"non_field_errors": [EXACTLY_ONE]})
    assert oauth_app is not None and (url is not None or code is not None)
    return CredentialCreate(oauth_app, url, code)


def _authorization_code(fields: _Fields) -> AuthorizationCode | None:
    nested = fields.nested("authorization_code")
    if nested is None:
        return None
    code = nested.string("code")
    redirect_uri = nested.string("redirect_uri")
    verifier = None
    if nested.data.get("code_verifier") is not None:
        verifier = nested.string("code_verifier")
    if code is None or redirect_uri is None:
        return None
    return AuthorizationCode(code, redirect_uri, verifier)


@dataclass(frozen=True)
class BotCreate:
    """``POST /api/v1/bot/``: the Zoom meeting, its token callbacks and when to join."""

    meeting_url: str
    zoom: BotZoom
    join_at: float | None


_BOT_ZOOM_URLS = ("obf_token_url", "zak_url", "join_token_url")


def parse_bot_create(data: Mapping[str, Any]) -> BotCreate:
    fields = _Fields(data)
    meeting_url = fields.string("meeting_url", url=True)
    if meeting_url is not None and zoom_meeting(meeting_url) is None:
        fields.fail("meeting_url", INVALID_MEETING_URL)
    urls: dict[str, str | None] = dict.fromkeys(_BOT_ZOOM_URLS)
    if data.get("zoom") is not None and (nested := fields.nested("zoom")) is not None:
        for name in _BOT_ZOOM_URLS:
            if nested.data.get(name) is not None:
                urls[name] = nested.string(name, url=True)
    join_at = fields.datetime("join_at") if data.get("join_at") is not None else None
    fields.check()
    assert meeting_url is not None
    return BotCreate(meeting_url, BotZoom(**urls), join_at)
