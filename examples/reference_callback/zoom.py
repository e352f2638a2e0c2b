"""Zoom's OAuth and REST endpoints, as the reference uses them (authorization code + PKCE).

Every call to Zoom runs under one ``asyncio.timeout`` covering connect, send and the
whole answer, so a stalled Zoom cannot hold a callback answer past Recall's 5 s
budget (SPEC 1.2); httpx's own timeouts are per operation and cannot bound a slow body.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx

__all__ = [
    "ZoomClient",
    "ZoomError",
    "ZoomGrant",
    "ZoomGrantRevoked",
    "ZoomNotFound",
    "ZoomProfile",
    "ZoomTokenRefused",
    "pkce_pair",
]


class ZoomError(Exception):
    """Zoom could not be reached, timed out, or answered unexpectedly (maybe transient)."""


class ZoomGrantRevoked(ZoomError):
    """Zoom refused the refresh token or code for good (``invalid_grant``): reconnect needed."""


class ZoomTokenRefused(ZoomError):
    """Zoom's API refused the access token (401): revoked, or the user removed the app."""


class ZoomNotFound(ZoomError):
    """Zoom's API answered 404: no such meeting or user."""


@dataclass(frozen=True)
class ZoomGrant:
    """A token answer; ``expires_in`` as Zoom sent it."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: float


@dataclass(frozen=True)
class ZoomProfile:
    user_id: str
    account_id: str
    email: str


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return verifier, challenge


class ZoomClient:
    """One shared HTTP client for Zoom; ``close()`` it at shutdown."""

    def __init__(
        self,
        *,
        oauth_base: str,
        api_base: str,
        client_id: str,
        client_secret: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._oauth_base = oauth_base.rstrip("/")
        self._api_base = api_base.rstrip("/")
        self._client_id = client_id
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self._timeout = timeout
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def close(self) -> None:
        await self._http.aclose()

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self._oauth_base}/oauth/authorize?{query}"

    async def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> ZoomGrant:
        return await self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> ZoomGrant:
        """Spend ``refresh_token`` (Zoom's are single-use) for a new pair."""
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def me(self, access_token: str) -> ZoomProfile:
        body = await self._json(
            "GET",
            f"{self._api_base}/users/me",
            headers={"Authorization": f"Bearer {access_token}"},
            api=True,
        )
        try:
            return ZoomProfile(str(body["id"]), str(body["account_id"]), str(body.get("email", "")))
        except (KeyError, TypeError):
            raise ZoomError("GET /users/me answered without id/account_id") from None

    async def obf_token(self, access_token: str, user_id: str) -> str:
        """A fresh OBF ("on behalf of") token for the user; single-use: never cache it."""
        return await self._minted(
            access_token, f"/users/{quote(user_id, safe='')}/token", "onbehalf"
        )

    async def zak(self, access_token: str) -> str:
        """The user's ZAK (Zoom Access Key), fetched for this join."""
        return await self._minted(access_token, "/users/me/token", "zak")

    async def join_token(self, access_token: str, meeting_id: str) -> str:
        """A local-recording join token for the meeting (it lives 120 s)."""
        path = f"/meetings/{quote(meeting_id, safe='')}/jointoken/local_recording"
        return await self._minted(access_token, path, None)

    async def _minted(self, access_token: str, path: str, token_type: str | None) -> str:
        body = await self._json(
            "GET",
            self._api_base + path,
            params={"type": token_type} if token_type else None,
            headers={"Authorization": f"Bearer {access_token}"},
            api=True,
        )
        token = body.get("token")
        if not isinstance(token, str) or not token:
            raise ZoomError(f"GET {path}: answer without a token")
        return token

    async def _token(self, form: dict[str, str]) -> ZoomGrant:
        body = await self._json(
            "POST", f"{self._oauth_base}/oauth/token", data=form, auth=self._auth
        )
        try:
            return ZoomGrant(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                expires_in=float(body["expires_in"]),
            )
        except (KeyError, TypeError, ValueError):
            raise ZoomError("token answer without access_token/refresh_token/expires_in") from None

    async def _json(
        self, method: str, url: str, *, api: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.request(method, url, **kwargs)
        except TimeoutError:
            raise ZoomError(
                f"{method} {_path(url)}: no answer within {self._timeout:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise ZoomError(f"{method} {_path(url)}: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if (
            response.status_code == 400
            and isinstance(body, dict)
            and body.get("error") == "invalid_grant"
        ):
            raise ZoomGrantRevoked(f"{method} {_path(url)}: invalid_grant")
        if api and response.status_code == 401:
            raise ZoomTokenRefused(f"{method} {_path(url)}: HTTP 401 (access token refused)")
        if api and response.status_code == 404:
            raise ZoomNotFound(f"{method} {_path(url)}: HTTP 404")
        if response.status_code != 200 or not isinstance(body, dict):
            # Zoom's error bodies hold no secrets, but keep logs short and predictable.
            reason = (body.get("reason") or body.get("message")) if isinstance(body, dict) else None
            raise ZoomError(
                f"{method} {_path(url)}: HTTP {response.status_code} {reason or ''}".strip()
            )
        return body


def _path(url: str) -> str:
    return httpx.URL(url).path
