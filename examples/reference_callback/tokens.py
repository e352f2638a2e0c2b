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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from .credentials import token_fingerprint
from .store import TokenStore, ZoomTokens
from .zoom import ZoomClient, ZoomError, ZoomGrantRevoked

__all__ = ["MIN_VALIDITY", "SERVE_GUARD", "TokenService"]

MIN_VALIDITY = 120.0  # Recall's floor (SPEC 1.4)
SERVE_GUARD = 2.0  # for the answer's trip to Recall and a little clock skew

log = logging.getLogger("reference_callback.tokens")


class TokenService:
    """``await access_token(user_id)``: a token with at least 122 s left, or None."""

    def __init__(
        self,
        store: TokenStore,
        zoom: ZoomClient,
        *,
        margin: float = 300.0,
        zoom_timeout: float = 2.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._zoom = zoom
        self._margin = margin
        self._zoom_timeout = zoom_timeout
        self._clock = clock
        self._inflight: dict[str, asyncio.Task[ZoomTokens]] = {}

    @property
    def refresh_margin(self) -> float:
        """Seconds before expiry at which a token is refreshed."""
        return max(self._margin, MIN_VALIDITY + SERVE_GUARD + self._zoom_timeout)

    def is_due(self, tokens: ZoomTokens) -> bool:
        return tokens.remaining(self._clock()) < self.refresh_margin

    def is_servable(self, tokens: ZoomTokens) -> bool:
        return tokens.remaining(self._clock()) >= MIN_VALIDITY + SERVE_GUARD

    async def access_token(self, user_id: str) -> str | None:
        """The user's access token, refreshed first when due; None when none is valid."""
        tokens = self._store.tokens(user_id)
        if tokens is None:
            return None
        if self.is_due(tokens):
            flight = self._refresh_flight(user_id)
            if self.is_servable(tokens):
                return tokens.access_token  # the refresh goes on in the background
            # Shielded: a caller that goes away (Recall hung up) must not cancel the
            # refresh the others wait for, nor lose a rotated refresh token. A failure
            # was logged once by the flight; what is stored is judged below.
            with contextlib.suppress(ZoomError):
                tokens = await asyncio.shield(flight)
        # Measured now, after any wait: a stalled Zoom has used up some of the time.
        if not self.is_servable(tokens):
            return None
        return tokens.access_token

    async def aclose(self) -> None:
        """Let refreshes in flight finish (bounded by the Zoom timeout) so none is lost."""
        pending = list(self._inflight.values())
        if pending:
            await asyncio.wait(pending, timeout=self._zoom_timeout + 1)

    def _refresh_flight(self, user_id: str) -> asyncio.Task[ZoomTokens]:
        """The user's refresh in flight, started if there is none."""
        task = self._inflight.get(user_id)
        if task is None:
            task = asyncio.create_task(self._refresh(user_id), name=f"zoom-refresh:{user_id}")
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

    async def _refresh(self, user_id: str) -> ZoomTokens:
        user = self._store.user(user_id)
        if user is None:
            raise ZoomError("user disconnected")
        if not self.is_due(user.tokens):
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
