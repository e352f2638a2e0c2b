"""How the fake Recall talks to Zoom: over HTTP, at Zoom's own paths, as Recall does.

Recall-managed OAuth exchanges a code and refreshes tokens at ``/oauth/token`` with the
app's ``client_id:client_secret`` in HTTP Basic; meeting sync reads ``/v2/users/me`` and
``/v2/users/me/meetings`` with the user's Bearer token. Inside the simulator the client
is wired to the fake Zoom's ASGI app (no socket); ``base_url`` may also name any fake
Zoom served at Zoom's paths (``serve --zoom-port``).

Zoom's refusals become `ZoomRefused`, whose ``describe()`` names Zoom's own error, so
the fake Recall's 400s and credential logs can say exactly what Zoom said.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from typing import Any

import httpx

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.recall.models import ZoomTokens

__all__ = ["ZoomClient", "ZoomRefused", "ZoomTokens"]

# Zoom's endpoints answer in milliseconds; a stalled one (an injected fault) must not
# hold a credential create or a poll forever.
_TIMEOUT_S = 10.0


class ZoomRefused(Exception):
    """Zoom answered with an error, or not at all.

    ``error`` is Zoom's OAuth error (``invalid_grant``...), its REST API code as text
    (``"124"``), or ``"unreachable"``/``"timeout"``; ``reason`` is Zoom's message.
    ``permanent``: retrying cannot help (the grant is gone: re-authorize the user).
    """

    def __init__(self, *, status: int | None, error: str, reason: str) -> None:
        super().__init__(self.describe_parts(status, error, reason))
        self.status = status
        self.error = error
        self.reason = reason

    @staticmethod
    def describe_parts(status: int | None, error: str, reason: str) -> str:
        answered = "no answer" if status is None else f"HTTP {status}"
        return f"{error} ({reason}; {answered})"

    def describe(self) -> str:
        return self.describe_parts(self.status, self.error, self.reason)

    @property
    def permanent(self) -> bool:
        return self.error in ("invalid_grant", "invalid_client", "124")


class ZoomClient:
    """Zoom's OAuth token endpoint and REST API, as one vendor (Recall) calls them."""

    def __init__(
        self,
        *,
        base_url: str,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._clock = clock
        self._transport = transport

    def _client(self) -> httpx.AsyncClient:
        # One per call: the fake Recall's blocking twins run each call on its own loop.
        return httpx.AsyncClient(
            base_url=self._base_url,
            transport=self._transport,
            timeout=_TIMEOUT_S,
            trust_env=False,
            follow_redirects=False,
        )

    async def exchange_code(
        self,
        *,
        client_id: str,
        client_secret: str,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
    ) -> ZoomTokens:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        return await self._token(client_id, client_secret, form)

    async def refresh(
        self, *, client_id: str, client_secret: str, refresh_token: str
    ) -> ZoomTokens:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return await self._token(client_id, client_secret, form)

    async def get_json(
        self, path: str, *, access_token: str, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """``GET /v2/...`` with the Bearer token; ZoomRefused on any non-2xx answer."""
        headers = {"Authorization": f"Bearer {access_token}"}
        response = await self._send("GET", path, headers=headers, params=params)
        body = _json_object(response)
        if response.is_success and body is not None:
            return body
        code = None if body is None else body.get("code")
        message = None if body is None else body.get("message")
        raise ZoomRefused(
            status=response.status_code,
            error=str(code) if code is not None else "unexpected_answer",
            reason=str(message) if message is not None else _snippet(response),
        )

    async def _token(self, client_id: str, client_secret: str, form: dict[str, str]) -> ZoomTokens:
        pair = f"{client_id}:{client_secret}".encode()
        headers = {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        now = self._clock.now()
        response = await self._send("POST", "/oauth/token", headers=headers, data=form)
        body = _json_object(response) or {}
        if response.is_success:
            try:
                return ZoomTokens(
                    access_token=str(body["access_token"]),
                    refresh_token=str(body["refresh_token"]),
                    expires_at=now + float(body["expires_in"]),
                    scope=str(body.get("scope", "")),
                )
            except (KeyError, TypeError, ValueError):
                pass
        raise ZoomRefused(
            status=response.status_code,
            error=str(body.get("error") or "unexpected_answer"),
            reason=str(body.get("reason") or _snippet(response)),
        )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        params: Mapping[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            async with self._client() as client:
                # An in-process transport ignores httpx's timeouts; this one holds for both.
                return await asyncio.wait_for(
                    client.request(method, path, headers=headers, params=params, data=data),
                    timeout=_TIMEOUT_S,
                )
        except (TimeoutError, httpx.TimeoutException):
            raise ZoomRefused(
                status=None, error="timeout", reason=f"Zoom did not answer within {_TIMEOUT_S:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise ZoomRefused(status=None, error="unreachable", reason=str(exc)) from None


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:120] or "an empty body"
