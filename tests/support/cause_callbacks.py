"""Callbacks that break in the ways SPEC §8's causes name, for the causes gallery.

Each is the freshness gallery's `RefreshingCallback` (refresh on demand against the fake
Zoom, single-flight, serve the old token while it has 120 s) with one thing done the
way real callbacks get it wrong. URLs look like ``/cb?user-id=<uid>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.support.refreshing_callback import RefreshingCallback, Tokens

__all__ = [
    "MisnamedFieldCallback",
    "SlowAtRandomCallback",
    "SlowInlineRefreshCallback",
    "TimerRefreshCallback",
]


class TimerRefreshCallback(RefreshingCallback):
    """Refreshes every ``period`` seconds on a timer and serves whatever it holds, as
    Recall's sample app does with its 20-minute timer (scaled down here): a token that
    lives less than the period plus 120 s is served stale until the timer fires."""

    def __init__(self, *, period: float, **options: Any) -> None:
        super().__init__(**options)
        self.period = period

    async def _fresh(self, user_id: str) -> Tokens | None:
        return self.tokens[user_id]  # never looks at the expiry: the timer refreshes

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            for user_id in list(self.tokens):
                # A failed refresh keeps the old token, as a timer job that logs and moves on.
                with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                    await self._refresh(user_id)

    def app(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            timer = asyncio.create_task(self._tick())
            yield
            timer.cancel()

        return Starlette(routes=[Route("/cb", self.endpoint)], lifespan=lifespan)


@dataclass
class _Record:
    """A stored grant as a JavaScript app keeps it: a loose bag of fields."""

    fields: dict[str, object]


class MisnamedFieldCallback:
    """Stores the refresh token as ``refresh_Token`` and reads it back as ``refreshToken``
    (a public app's bug): every refresh has no refresh token, and it answers 401.

    ``checks_locally``: it notices the missing value and gives up before calling Zoom;
    otherwise it sends the refresh without one, and Zoom refuses it. It serves the stored
    access token while more than ``margin`` seconds are left (refresh on demand is right).
    """

    def __init__(
        self,
        *,
        oauth_base: str,
        client_id: str,
        client_secret: str,
        tokens: dict[str, Tokens],
        margin: float,
        checks_locally: bool = False,
    ) -> None:
        self.oauth_base = oauth_base
        self.auth = (client_id, client_secret)
        self.margin = margin
        self.checks_locally = checks_locally
        self.records = {
            user_id: _Record(
                {
                    "accessToken": t.access_token,
                    "refresh_Token": t.refresh_token,  # the typo: written under this name
                    "expiresAt": t.expires_at,
                }
            )
            for user_id, t in tokens.items()
        }

    async def _refresh(self, record: _Record) -> None:
        refresh_token = record.fields.get("refreshToken")  # ... and read under this one
        if self.checks_locally and not refresh_token:
            raise ValueError("no refresh token stored")
        form = {"grant_type": "refresh_token"}
        if refresh_token:
            form["refresh_token"] = str(refresh_token)
        async with httpx.AsyncClient(timeout=2.0) as http:
            response = await http.post(self.oauth_base + "/oauth/token", data=form, auth=self.auth)
        response.raise_for_status()
        body = response.json()
        record.fields.update(
            accessToken=body["access_token"],
            refreshToken=body["refresh_token"],
            expiresAt=time.time() + body["expires_in"],
        )

    async def endpoint(self, request: Request) -> Response:
        record = self.records.get(request.query_params.get("user-id", ""))
        if record is None:
            return PlainTextResponse("unknown user", 404)
        expires_at = record.fields["expiresAt"]
        assert isinstance(expires_at, float)
        if expires_at - time.time() < self.margin:
            try:
                await self._refresh(record)
            except (httpx.HTTPError, ValueError):
                return PlainTextResponse("Unauthorized", 401)  # what the public app answers
        return PlainTextResponse(
            str(record.fields["accessToken"]), headers={"Cache-Control": "no-store"}
        )

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/cb", self.endpoint)])


class SlowAtRandomCallback(RefreshingCallback):
    """A share of its answers take ``delay`` seconds (a cold start, a slow query), whatever
    the token's state; seeded, so a run replays the same share."""

    def __init__(
        self, *, share: float, delay: tuple[float, float], seed: int, **options: Any
    ) -> None:
        super().__init__(**options)
        self.share = share
        self.delay = delay
        self.random = random.Random(seed)

    async def endpoint(self, request: Request) -> Response:
        if self.random.random() < self.share:
            await asyncio.sleep(self.random.uniform(*self.delay))
        return await super().endpoint(request)


class SlowInlineRefreshCallback(RefreshingCallback):
    """Refreshes on demand, inline, and the refresh is slow (it stores the rotated token in
    a slow database afterwards): the call that finds a refresh due waits for all of it."""

    def __init__(self, *, refresh_delay: float, **options: Any) -> None:
        super().__init__(**options)
        self.refresh_delay = refresh_delay

    async def _refresh(self, user_id: str) -> None:
        await super()._refresh(user_id)
        await asyncio.sleep(self.refresh_delay)
