"""Recall's Zoom OAuth endpoints: find or create the OAuth app, create a user's credential.

Creating a credential with an ``access_token_callback_url`` makes Recall call that URL
at once, before it answers (SPEC 1.8, 3): the callback must already accept the new
secret, and this request waits for Recall's own call, so its timeout is long.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["RecallClient", "RecallError", "RegisteredCredential"]

# With customer-managed OAuth Recall never uses the app's client secret or webhook
# secret (it gets tokens from the callback), so the reference does not share them.
_UNUSED_SECRET = "unused-customer-managed-oauth"


class RecallError(Exception):
    """Recall refused or could not be reached; the message is safe to log (no secrets)."""


@dataclass(frozen=True)
class RegisteredCredential:
    id: str
    user_id: str | None
    status: str | None


class RecallClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float,
        oauth_app_id: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base = base_url.rstrip("/") + "/api/v2"
        self._oauth_app_id = oauth_app_id
        self._http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Token {api_key}"},
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def oauth_app_id(self, client_id: str) -> str:
        """The Recall Zoom OAuth app for ``client_id``: configured, found, or created once."""
        if self._oauth_app_id is None:
            found = await self._request("GET", "/zoom-oauth-apps/", params={"client_id": client_id})
            results = found.get("results") or []
            if results:
                self._oauth_app_id = str(results[0]["id"])
            else:
                created = await self._request(
                    "POST",
                    "/zoom-oauth-apps/",
                    json={
                        "kind": "user_level",
                        "client_id": client_id,
                        "client_secret": _UNUSED_SECRET,
                        "webhook_secret": _UNUSED_SECRET,
                    },
                )
                self._oauth_app_id = str(created["id"])
        return self._oauth_app_id

    async def create_credential(
        self, *, oauth_app_id: str, callback_url: str
    ) -> RegisteredCredential:
        """Register ``callback_url``; Recall calls it before answering and refuses a bad one."""
        body = await self._request(
            "POST",
            "/zoom-oauth-credentials/",
            json={"oauth_app": oauth_app_id, "access_token_callback_url": callback_url},
        )
        return RegisteredCredential(
            id=str(body["id"]), user_id=body.get("user_id"), status=body.get("status")
        )

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, self._base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise RecallError(f"{method} {path}: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 300 or not isinstance(body, dict):
            # Recall's 400 names the failed rule; it never echoes the callback's secret
            # whole (it masks the URL), but cap it anyway.
            detail = body.get("detail", body) if isinstance(body, dict) else response.text
            raise RecallError(f"{method} {path}: HTTP {response.status_code}: {str(detail)[:300]}")
        return body
