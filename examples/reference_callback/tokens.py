"""Fresh Zoom access tokens on demand: refresh when due, once per user at a time, within budget.

The rules this module keeps (SPEC §1, §4):

- Recall rejects a token with under 120 s left (1.4), so a token is served only
  with ``MIN_VALIDITY + SERVE_GUARD`` seconds left, measured when it is served.
- A token is refreshed when less than the margin is left (default 300 s, and
  never under ``MIN_VALIDITY + SERVE_GUARD + zoom_timeout``, so that a refresh has
  time to finish, or time out, while the old token is still servable). Tokens
  that live less than the margin (the demo's 130 s) are refreshed on every call.
- While the current token is still servable, a due refresh runs in the background
  and the call is answered at once; only a call with no servable token waits for
  the refresh, at most ``zoom_timeout`` (1.2: the answer must come within 5 s).
- Single flight per user: every call that finds a refresh due shares the one in
  flight. Zoom's refresh tokens are single-use, and a second refresh with the
  same token would be refused (``freshness.concurrent-refresh``).
- The rotated refresh token is committed to the store before the new access
  token is returned to anyone.
- A user who removed the app is noticed within seconds (``freshness.deauthorized-user``):
  at most every ``check_interval`` seconds a served token is checked with Zoom
  (``GET /users/me``) in the background; when Zoom refuses it, the token is refreshed at
  once, and when Zoom refuses the refresh too (``invalid_grant``) the user is marked for
  reconnection and ``access_token`` raises `UserDisconnected` (the app answers 404).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from .credentials import token_fingerprint
from .store import TokenStore, ZoomTokens
from .zoom import ZoomClient, ZoomError, ZoomGrantRevoked, ZoomTokenRefused

__all__ = ["MIN_VALIDITY", "SERVE_GUARD", "TokenService", "UserDisconnected"]

MIN_VALIDITY = 120.0  # Recall's floor (SPEC 1.4)
SERVE_GUARD = 2.0  # for the answer's trip to Recall and a little clock skew

log = logging.getLogger("reference_callback.tokens")


class UserDisconnected(Exception):
    """Zoom refused the user's grant for good: they must connect Zoom again."""


class TokenService:
    """``await access_token(user_id)``: a token with at least 122 s left, or None;
    `UserDisconnected` when the user removed the app."""

    def __init__(
        self,
        store: TokenStore,
        zoom: ZoomClient,
        *,
        margin: float = 300.0,
        zoom_timeout: float = 2.5,
        check_interval: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._zoom = zoom
        self._margin = margin
        self._zoom_timeout = zoom_timeout
        self._clock = clock
        self._inflight: dict[str, asyncio.Task[ZoomTokens]] = {}
        self._check_interval = check_interval
        self._checked: dict[str, float] = {}  # user -> when their token was last checked
        self._checks: set[asyncio.Task[None]] = set()

    @property
    def refresh_margin(self) -> float:
        """Seconds before expiry at which a token is refreshed."""
        return max(self._margin, MIN_VALIDITY + SERVE_GUARD + self._zoom_timeout)

    def is_due(self, tokens: ZoomTokens) -> bool:
        return tokens.remaining(self._clock()) < self.refresh_margin

    def is_servable(self, tokens: ZoomTokens) -> bool:
        return tokens.remaining(self._clock()) >= MIN_VALIDITY + SERVE_GUARD

    async def access_token(self, user_id: str) -> str | None:
        """The user's access token, refreshed first when due; None when none is valid.

        Raises `UserDisconnected` once Zoom has refused the user's grant.
        """
        user = self._store.user(user_id)
        if user is None:
            return None
        if user.reauthorization_required:
            raise UserDisconnected(user_id)
        tokens = user.tokens
        if self.is_due(tokens):
            flight = self._refresh_flight(user_id)
            if self.is_servable(tokens):
                self._check_soon(user_id, tokens.access_token)
                return tokens.access_token  # the refresh goes on in the background
            # Shielded: a caller that goes away (Recall hung up) must not cancel the
            # refresh the others wait for, nor lose a rotated refresh token. A failure
            # was logged once by the flight; what is stored is judged below.
            try:
                tokens = await asyncio.shield(flight)
            except ZoomGrantRevoked:
                raise UserDisconnected(user_id) from None
            except ZoomError:
                pass
        # Measured now, after any wait: a stalled Zoom has used up some of the time.
        if not self.is_servable(tokens):
            return None
        self._check_soon(user_id, tokens.access_token)
        return tokens.access_token

    def _check_soon(self, user_id: str, access_token: str) -> None:
        """Check the served token with Zoom in the background, at most every interval."""
        now = self._clock()
        if now - self._checked.get(user_id, float("-inf")) < self._check_interval:
            return
        self._checked[user_id] = now
        task = asyncio.create_task(self._check(user_id, access_token), name=f"zoom-check:{user_id}")
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _check(self, user_id: str, access_token: str) -> None:
        try:
            await self._zoom.me(access_token)
        except ZoomTokenRefused:
            stored = self._store.tokens(user_id)
            if stored is None or stored.access_token != access_token:
                return  # replaced meanwhile
            log.warning("Zoom refused the access token of user %s; refreshing now", user_id)
            with contextlib.suppress(ZoomError):
                await self._refresh_flight(user_id, force=True)
        except ZoomError as exc:
            log.info("could not check the token of user %s with Zoom: %s", user_id, exc)

    async def aclose(self) -> None:
        """Let refreshes in flight finish (bounded by the Zoom timeout) so none is lost."""
        pending: list[asyncio.Task[object]] = [*self._inflight.values(), *self._checks]
        if pending:
            await asyncio.wait(pending, timeout=self._zoom_timeout + 1)

    def _refresh_flight(self, user_id: str, *, force: bool = False) -> asyncio.Task[ZoomTokens]:
        """The user's refresh in flight, started if there is none (``force``: even when the
        token is not due, because Zoom refused it)."""
        task = self._inflight.get(user_id)
        if task is None:
            task = asyncio.create_task(
                self._refresh(user_id, force=force), name=f"zoom-refresh:{user_id}"
            )
            self._inflight[user_id] = task
            task.add_done_callback(lambda done: self._landed(user_id, done))
        return task

    def _landed(self, user_id: str, task: asyncio.Task[ZoomTokens]) -> None:
        if self._inflight.get(user_id) is task:
            del self._inflight[user_id]
        if task.cancelled():
            return
        error = task.exception()  # retrieved, so asyncio does not report it again
        if error is not None and not isinstance(error, ZoomError):
            # Zoom's failures were logged by the flight; anything else (the database) here.
            log.error("refresh for user %s failed", user_id, exc_info=error)

    async def _refresh(self, user_id: str, *, force: bool = False) -> ZoomTokens:
        user = self._store.user(user_id)
        if user is None:
            raise ZoomError("user disconnected")
        if not force and not self.is_due(user.tokens):
            return user.tokens  # refreshed by the flight that just landed
        if user.reauthorization_required:
            raise ZoomGrantRevoked("the user must reconnect Zoom")
        started = self._clock()
        try:
            grant = await self._zoom.refresh(user.tokens.refresh_token)
        except ZoomGrantRevoked:
            # Presenting a refused refresh token again would only look like theft to Zoom.
            self._store.require_reauthorization(user_id)
            log.error("Zoom refused the refresh token of user %s: they must reconnect", user_id)
            raise
        except ZoomError as exc:
            log.warning("refresh failed for user %s: %s", user_id, exc)
            raise
        # Expiry counted from when the request was sent: never later than Zoom's own.
        fresh = ZoomTokens(
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=started + grant.expires_in,
            obtained_at=started,
        )
        self._store.save_tokens(user_id, fresh)  # durable before anyone is given the token
        log.info(
            "refreshed Zoom token for user %s: %s, valid %.0f s",
            user_id,
            token_fingerprint(fresh.access_token),
            grant.expires_in,
        )
        return fresh
