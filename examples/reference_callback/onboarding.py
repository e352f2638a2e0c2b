"""Connecting a user: Zoom's authorization-code flow, then registering their callback with Recall.

1. ``start()``: a single-use ``state`` (CSRF) and a PKCE verifier are stored; the
   browser goes to Zoom's authorize page.
2. ``finish()``: the code is exchanged, ``GET /users/me`` says who connected, the
   tokens are stored, and (when a Recall API key is set) a fresh per-user secret is
   made and the user's callback URL registered with Recall. Recall calls that URL
   before it answers, so the new secret is accepted (as *pending*) first; once
   Recall accepted the URL it replaces the old secret, and if Recall refused it
   the old one stays.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from .credentials import callback_url, hash_secret, new_secret
from .recall import RecallClient, RecallError
from .settings import Settings
from .store import OAuthState, TokenStore, ZoomTokens, ZoomUser
from .zoom import ZoomClient, pkce_pair

__all__ = ["ConnectError", "Connected", "Onboarding"]

STATE_LIFETIME = 600.0  # seconds a user has to come back from Zoom's consent page

log = logging.getLogger("reference_callback.onboarding")


class ConnectError(Exception):
    """The connect flow cannot go on; the message is short and safe to show the user."""


@dataclass(frozen=True)
class Connected:
    user_id: str
    email: str
    recall_credential_id: str | None


class Onboarding:
    def __init__(
        self,
        settings: Settings,
        store: TokenStore,
        zoom: ZoomClient,
        recall: RecallClient | None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._settings = settings
        self._store = store
        self._zoom = zoom
        self._recall = recall

    def start(self) -> tuple[str, str]:
        """(state, Zoom authorize URL) for a new connect attempt."""
        state = secrets.token_urlsafe(24)
        verifier, challenge = pkce_pair()
        self._store.save_state(OAuthState(state, verifier, time.time() + STATE_LIFETIME))
        url = self._zoom.authorize_url(
            redirect_uri=self._settings.redirect_uri, state=state, code_challenge=challenge
        )
        return state, url

    async def finish(self, *, code: str, state: str) -> Connected:
        pending = self._store.take_state(state)
        if pending is None:
            raise ConnectError("unknown or expired connect attempt; start again")
        started = self._clock()
        grant = await self._zoom.exchange_code(
            code=code, redirect_uri=self._settings.redirect_uri, code_verifier=pending.code_verifier
        )
        profile = await self._zoom.me(grant.access_token)
        self._store.save_user(
            ZoomUser(
                user_id=profile.user_id,
                account_id=profile.account_id,
                email=profile.email,
                tokens=ZoomTokens(
                    grant.access_token,
                    grant.refresh_token,
                    expires_at=started + grant.expires_in,
                    obtained_at=started,
                ),
            )
        )
        log.info("user %s connected Zoom", profile.user_id)
        credential_id = await self.register(profile.user_id) if self._recall else None
        return Connected(profile.user_id, profile.email, credential_id)

    async def register(self, user_id: str) -> str:
        """Give the user a new callback secret and register its URL with Recall."""
        assert self._recall is not None
        secret = new_secret()
        digest = hash_secret(secret)
        self._store.begin_secret(user_id, digest)
        try:
            app_id = await self._recall.oauth_app_id(self._settings.zoom_client_id)
            credential = await self._recall.create_credential(
                oauth_app_id=app_id,
                callback_url=callback_url(self._settings.callback_base, user_id, secret),
            )
        except RecallError as exc:
            self._store.abandon_secret(user_id)
            reason = str(exc).replace(secret, "***")
            log.error("Recall refused the callback of user %s: %s", user_id, reason)
            raise ConnectError(f"Recall did not accept the callback: {reason}") from None
        except BaseException:
            self._store.abandon_secret(user_id)
            raise
        self._store.commit_secret(user_id, digest, credential.id)
        log.info("user %s registered with Recall as credential %s", user_id, credential.id)
        return credential.id
