"""Recall-managed OAuth: the fake Recall holds a user's Zoom tokens and refreshes them itself.

A credential created from an ``authorization_code`` has no callback. The fake Recall
exchanges the code at Zoom (the app's ``client_id:client_secret`` in HTTP Basic, the
PKCE ``code_verifier`` when given), stores the pair, and refreshes it before the access
token runs low, rotating the single-use refresh token. Refreshes of one credential are
single-flight: callers that find the token low wait for the one refresh in progress and
share its result, so a burst of ``access-token/`` calls spends the refresh token once,
the race this harness exists to catch in callbacks.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.recall.models import AppKind, OAuthApp, ZoomTokens
from recall_sim.simulator.recall.store import RecallStore
from recall_sim.simulator.recall.zoom_client import ZoomClient, ZoomRefused
from recall_sim.simulator.zoom_jwt import TokenDecodeError, decode_zoom_token

__all__ = [
    "REFRESH_WHEN_LEFT_S",
    "AuthorizationCode",
    "Authorized",
    "RecallManagedOAuth",
]

# A token with less than this left is refreshed before it is handed out or at a poll,
# so access-token/ answers with far more than the 120 s Recall needs (Zoom's tokens
# live 3600 s; a fake Zoom set to shorter lifetimes gets what it mints).
REFRESH_WHEN_LEFT_S = 300.0


@dataclass(frozen=True)
class AuthorizationCode:
    """``authorization_code`` of a credential create: what the user's consent produced."""

    code: str
    redirect_uri: str
    code_verifier: str | None = None


@dataclass(frozen=True)
class Authorized:
    """A code exchanged: the tokens and whose they are (by the app's kind)."""

    tokens: ZoomTokens
    user_id: str | None
    account_id: str | None


class RecallManagedOAuth:
    """Code exchange and self-refresh for Recall-managed credentials."""

    def __init__(
        self, *, store: RecallStore, clock: Clock, zoom: Callable[[], ZoomClient | None]
    ) -> None:
        self._store = store
        self._clock = clock
        self._zoom = zoom
        # asyncio locks belong to one loop; the blocking twins run each call on a new one.
        self._gates: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[uuid.UUID, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def _client(self) -> ZoomClient:
        zoom = self._zoom()
        if zoom is None:
            raise ZoomRefused(
                status=None,
                error="no_zoom",
                reason="this fake Recall has no Zoom to exchange codes with; run it inside "
                "the simulator (recall-sim serve, the pytest fixture or Simulator)",
            )
        return zoom

    async def authorize(self, app: OAuthApp, code: AuthorizationCode) -> Authorized:
        """Exchange ``code`` at Zoom; ZoomRefused names Zoom's error (nothing is stored)."""
        tokens = await self._client().exchange_code(
            client_id=app.client_id,
            client_secret=app.client_secret,
            code=code.code,
            redirect_uri=code.redirect_uri,
            code_verifier=code.code_verifier,
        )
        try:
            claims = decode_zoom_token(tokens.access_token)
        except TokenDecodeError as exc:
            raise ZoomRefused(
                status=200, error="undecodable_token", reason=f"Zoom's access token: {exc}"
            ) from None
        if app.kind is AppKind.USER_LEVEL:
            return Authorized(tokens, user_id=claims.user_id, account_id=None)
        return Authorized(tokens, user_id=None, account_id=claims.account_id)

    def _gate(self, credential_id: uuid.UUID) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        gates = self._gates.setdefault(loop, {})
        return gates.setdefault(credential_id, asyncio.Lock())

    async def token(
        self, credential_id: uuid.UUID, app: OAuthApp, *, refresh: bool = False
    ) -> ZoomTokens:
        """The stored tokens, refreshed first when low (or when ``refresh``); ZoomRefused
        when Zoom refuses the refresh (the stored pair is kept: the refresh token is
        unspent unless Zoom said otherwise)."""
        async with self._gate(credential_id):
            stored = self._store.get_tokens(credential_id)
            if stored is None:
                raise ZoomRefused(
                    status=None,
                    error="no_tokens",
                    reason="the credential holds no Zoom tokens; re-authorize the user",
                )
            left = stored.expires_at - self._clock.now()
            if not refresh and left >= REFRESH_WHEN_LEFT_S:
                return stored
            fresh = await self._client().refresh(
                client_id=app.client_id,
                client_secret=app.client_secret,
                refresh_token=stored.refresh_token,
            )
            self._store.save_tokens(credential_id, fresh)
            return fresh
