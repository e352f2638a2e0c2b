"""A callback that keeps Zoom tokens fresh against the fake Zoom, done right or with a flaw.

Used by the freshness gallery: the flaws are the ways real callbacks break on expiry
and refresh. URLs look like ``/cb?user-id=<uid>`` (no secret: only freshness is graded).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Self

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from recall_sim.simulator.testing import RunningSimulator

FRESHNESS_FLAWS = ("caches-until-expiry", "races-on-refresh", "empty-200-on-failure", "no-timeout")
MIN_VALIDITY = 120


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float


def _invalid_grant(response: httpx.Response) -> bool:
    try:
        return response.status_code == 400 and response.json().get("error") == "invalid_grant"
    except ValueError:
        return False


class RefreshingCallback:
    @classmethod
    def seeded(cls, sim: RunningSimulator, *, flaw: str | None = None) -> tuple[Self, str]:
        """A callback holding a fresh grant of ``sim``'s fake Zoom; it and the user's id."""
        app = sim.zoom.default_app
        grant = sim.zoom.issue_tokens()
        tokens = Tokens(grant.access_token, grant.refresh_token, time.time() + grant.expires_in)
        callback = cls(
            oauth_base=sim.zoom_oauth_base,
            client_id=app.client_id,
            client_secret=app.client_secret,
            tokens={grant.user_id: tokens},
            flaw=flaw,
        )
        return callback, grant.user_id

    def __init__(
        self,
        *,
        oauth_base: str,
        client_id: str,
        client_secret: str,
        tokens: dict[str, Tokens],
        flaw: str | None = None,
        margin: float = 300,
        zoom_timeout: float = 2.0,
    ) -> None:
        if flaw is not None and flaw not in FRESHNESS_FLAWS:
            raise ValueError(f"unknown flaw {flaw!r}")
        self.oauth_base = oauth_base
        self.auth = (client_id, client_secret)
        self.tokens = tokens
        self.flaw = flaw
        self.margin = 0 if flaw == "caches-until-expiry" else margin
        self.zoom_timeout = None if flaw == "no-timeout" else zoom_timeout
        self.locks: dict[str, asyncio.Lock] = {}

    async def _refresh(self, user_id: str) -> None:
        current = self.tokens[user_id]
        async with httpx.AsyncClient(timeout=self.zoom_timeout) as http:
            response = await http.post(
                self.oauth_base + "/oauth/token",
                data={"grant_type": "refresh_token", "refresh_token": current.refresh_token},
                auth=self.auth,
            )
        response.raise_for_status()
        body = response.json()
        self.tokens[user_id] = Tokens(
            body["access_token"], body["refresh_token"], time.time() + body["expires_in"]
        )

    async def _fresh(self, user_id: str) -> Tokens | None:
        if self.tokens[user_id].expires_at - time.time() >= self.margin:
            return self.tokens[user_id]
        try:
            if self.flaw == "races-on-refresh":
                await self._refresh(user_id)
            else:
                lock = self.locks.setdefault(user_id, asyncio.Lock())
                async with lock:
                    if self.tokens[user_id].expires_at - time.time() < self.margin:
                        await self._refresh(user_id)
        except httpx.HTTPStatusError as exc:
            if _invalid_grant(exc.response):
                # The user removed the app: forget them, so the call answers 404.
                self.tokens.pop(user_id, None)
                return None
            return self._fallback(user_id)
        except (httpx.HTTPError, ValueError, KeyError):
            return self._fallback(user_id)
        return self.tokens.get(user_id)

    def _fallback(self, user_id: str) -> Tokens | None:
        """After a transient Zoom failure: the cached token while it is still valid enough."""
        current = self.tokens.get(user_id)
        if current is None:  # forgotten meanwhile (invalid_grant)
            return None
        if current.expires_at - time.time() >= MIN_VALIDITY:
            return current
        return None

    async def endpoint(self, request: Request) -> Response:
        user_id = request.query_params.get("user-id", "")
        if user_id not in self.tokens:
            return PlainTextResponse("unknown user", 404)
        tokens = await self._fresh(user_id)
        if user_id not in self.tokens:
            return PlainTextResponse("unknown user", 404)
        if tokens is None:
            if self.flaw == "empty-200-on-failure":
                return PlainTextResponse("", 200)
            return PlainTextResponse("token temporarily unavailable", 503)
        return PlainTextResponse(tokens.access_token, headers={"Cache-Control": "no-store"})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/cb", self.endpoint)])
