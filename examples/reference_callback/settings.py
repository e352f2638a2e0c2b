"""The reference callback's settings: environment variables, a few overridable on the command line.

Secrets (the Zoom client secret, the Recall API key, the Recall verification secret)
come only from the environment, never from flags, so they do not show up in ``ps``.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["ENVIRONMENT", "Settings", "SettingsError"]


class SettingsError(ValueError):
    """A missing or malformed setting; the message names the variable and what is wrong."""


# Environment variable -> Settings field. The README lists them with their meaning.
ENVIRONMENT: Mapping[str, str] = {
    "ZOOM_CLIENT_ID": "zoom_client_id",
    "ZOOM_CLIENT_SECRET": "zoom_client_secret",
    "ZOOM_OAUTH_BASE": "zoom_oauth_base",
    "ZOOM_API_BASE": "zoom_api_base",
    "CALLBACK_PUBLIC_BASE_URL": "public_base_url",
    "RECALL_API_BASE": "recall_api_base",
    "RECALL_API_KEY": "recall_api_key",
    "RECALL_ZOOM_OAUTH_APP_ID": "recall_oauth_app_id",
    "RECALL_VERIFICATION_SECRET": "verification_secret",
    "CALLBACK_DATABASE_PATH": "database_path",
    "ZOOM_REFRESH_MARGIN": "refresh_margin",
    "ZOOM_TIMEOUT": "zoom_timeout",
    "ZOOM_CHECK_INTERVAL": "zoom_check_interval",
    "RECALL_TIMEOUT": "recall_timeout",
    "CALLBACK_HOST": "host",
    "CALLBACK_PORT": "port",
}
_FLOATS = ("refresh_margin", "zoom_timeout", "zoom_check_interval", "recall_timeout")


@dataclass(frozen=True)
class Settings:
    """Everything the service needs. ``Settings.from_env()`` reads the environment."""

    zoom_client_id: str
    zoom_client_secret: str = field(repr=False)
    public_base_url: str
    zoom_oauth_base: str = "https://zoom.us"
    zoom_api_base: str = "https://api.zoom.us/v2"
    recall_api_base: str = "https://us-east-1.recall.ai"
    recall_api_key: str | None = field(default=None, repr=False)
    recall_oauth_app_id: str | None = None
    verification_secret: str | None = field(default=None, repr=False)
    database_path: str = "reference_callback.sqlite3"
    refresh_margin: float = 300.0
    zoom_timeout: float = 2.5
    # At most this often per user, a served token is checked with Zoom (GET /users/me) in
    # the background, so a user who removed the app is noticed within seconds.
    zoom_check_interval: float = 2.0
    recall_timeout: float = 20.0
    host: str = "127.0.0.1"
    port: int = 8000

    def __post_init__(self) -> None:
        for name in ("zoom_client_id", "zoom_client_secret"):
            if not getattr(self, name):
                raise SettingsError(f"{_variable(name)} is required")
        for name in ("public_base_url", "zoom_oauth_base", "zoom_api_base", "recall_api_base"):
            _check_url(_variable(name), getattr(self, name))
        for name in _FLOATS:
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise SettingsError(f"{_variable(name)} must be a positive number, got {value!r}")
        # Recall gives the callback 5 s; the Zoom call must leave time for the rest.
        if self.zoom_timeout > 4.0:
            raise SettingsError(
                "ZOOM_TIMEOUT must be at most 4 s, to answer within Recall's 5 s; "
                f"got {self.zoom_timeout}"
            )
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"CALLBACK_PORT must be between 0 and 65535, got {self.port}")
        if self.verification_secret is not None:
            _check_whsec(self.verification_secret)

    @property
    def redirect_uri(self) -> str:
        """Where Zoom sends the user back; register it in the Zoom app's OAuth settings."""
        return self.public_base_url.rstrip("/") + "/zoom/oauth-callback"

    @property
    def callback_base(self) -> str:
        """The access-token callback URL without its per-user query."""
        return self.public_base_url.rstrip("/") + "/zoom/access-token"

    @property
    def registers_with_recall(self) -> bool:
        return self.recall_api_key is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``environ`` (default ``os.environ``); ``overrides`` win (CLI flags)."""
        source = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for variable, name in ENVIRONMENT.items():
            raw = source.get(variable)
            if raw is None or raw == "":
                continue
            values[name] = _convert(variable, name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for required in ("zoom_client_id", "zoom_client_secret", "public_base_url"):
            if required not in values:
                raise SettingsError(f"{_variable(required)} is required")
        try:
            return cls(**values)  # type: ignore[arg-type]
        except TypeError as exc:
            raise SettingsError(str(exc)) from None


def _variable(name: str) -> str:
    """The environment variable of a Settings field, for messages."""
    return next(v for v, n in ENVIRONMENT.items() if n == name)


def _convert(variable: str, name: str, raw: str) -> object:
    if name in _FLOATS:
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{variable} must be a number of seconds, got {raw!r}") from None
    if name == "port":
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{variable} must be a port number, got {raw!r}") from None
    return raw


def _check_url(variable: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{variable} must be an http(s) URL, got {value!r}")
    if parts.query or parts.fragment:
        raise SettingsError(f"{variable} must have no query or fragment, got {value!r}")


def _check_whsec(secret: str) -> None:
    if not secret.startswith("whsec_"):
        raise SettingsError("RECALL_VERIFICATION_SECRET must look like whsec_<base64>")
    payload = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(
            "RECALL_VERIFICATION_SECRET: the part after whsec_ is not base64"
        ) from None
    if len(key) < 16:
        raise SettingsError("RECALL_VERIFICATION_SECRET is too short (under 16 bytes)")
