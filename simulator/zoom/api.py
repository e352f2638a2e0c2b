"""The fake's REST API (``/v2/...``): each call authenticates its access token, then answers.

The endpoints that mint tokens for Recall's other callbacks (OBF, ZAK, join token)
check the scope, the user and the meeting as Zoom does, record every token minted
(`MintedTokens`) and journal every request, minted or refused, so a callback's
answer can be traced to what Zoom gave it.
"""

from __future__ import annotations

from typing import Any

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.zoom import resources
from recall_sim.simulator.zoom.directory import Directory, ZoomUser
from recall_sim.simulator.zoom.errors import ApiError
from recall_sim.simulator.zoom.issuer import TokenIssuer
from recall_sim.simulator.zoom.journal import EventKind, Journal, Outcome
from recall_sim.simulator.zoom.minted import MintedKind, MintedTokens
from recall_sim.simulator.zoom.tokens import AccessContext

__all__ = ["MAX_TTL", "USER_TOKEN_LIFETIMES", "ZoomApi"]

# Zoom's defaults: OBF tokens and ZAKs live 2 h, the deprecated SDK token 14 days; a
# ``ttl`` may ask for up to a year.
USER_TOKEN_LIFETIMES = {
    MintedKind.OBF: 7200,
    MintedKind.ZAK: 7200,
    MintedKind.USER_TOKEN: 14 * 86_400,
}
MAX_TTL = 365 * 86_400
_SCOPES = {
    MintedKind.OBF: "user:read:token",
    MintedKind.USER_TOKEN: "user:read:token",
    MintedKind.ZAK: "user:read:zak",
    MintedKind.JOIN_TOKEN: "meeting:read:local_recording_token",
}


class ZoomApi:
    """Zoom's REST resources for the user an access token speaks for; raises `ApiError`."""

    def __init__(
        self,
        *,
        issuer: TokenIssuer,
        directory: Directory,
        clock: Clock,
        signing_key: str,
        journal: Journal,
        minted: MintedTokens,
    ) -> None:
        self._issuer = issuer
        self._directory = directory
        self._clock = clock
        self._signing_key = signing_key
        self._journal = journal
        self._minted = minted

    def _caller(self, access_token: str) -> tuple[AccessContext, ZoomUser]:
        context = self._issuer.authenticate(access_token)
        user = self._directory.user(context.user_id)
        if user is None:  # removed by a reset while the token was in flight
            raise ApiError.invalid_token()
        return context, user

    def me(self, access_token: str) -> dict[str, Any]:
        """``GET /v2/users/me``."""
        _, user = self._caller(access_token)
        return resources.user_profile(user, now=self._clock.now())

    def my_meetings(self, access_token: str) -> dict[str, Any]:
        """``GET /v2/users/me/meetings``."""
        _, user = self._caller(access_token)
        return resources.meeting_list(self._directory.meetings(user.id))

    def my_token(self, access_token: str, token_type: str) -> dict[str, str]:
        """``GET /v2/users/me/token?type=...`` (and ``/v2/users/me/zak`` with ``zak``)."""
        return self.user_token(access_token, "me", token_type)

    def user_token(
        self, access_token: str, user_ref: str, token_type: str, ttl: str | None = None
    ) -> dict[str, str]:
        """``GET /v2/users/{userId}/token?type=onbehalf|zak|token[&ttl=]``; a user-level
        app asks for its own user (``me``, its id or its email)."""
        context: AccessContext | None = None
        try:
            context, user = self._caller(access_token)
            kind = _user_token_kind(token_type)
            _require_scope(context, kind)
            target = self._own_user(user, user_ref)
            lifetime = _lifetime(kind, ttl)
            now = self._clock.now()
            token = resources.user_token(
                kind.value, user=target, now=now, lifetime=lifetime, signing_key=self._signing_key
            )
        except ApiError as refused:
            self._journal_refusal(refused, context, what=f"{token_type[:20]} token")
            raise
        self._mint(token, kind, context, target.id, expires_at=now + lifetime)
        return {"token": token}

    def local_recording_token(self, access_token: str, meeting_id: str) -> dict[str, Any]:
        """``GET /v2/meetings/{id}/jointoken/local_recording``: for a meeting Zoom knows
        (scheduled, or a user's PMI)."""
        context: AccessContext | None = None
        try:
            context, user = self._caller(access_token)
            _require_scope(context, MintedKind.JOIN_TOKEN)
            if not self._directory.meeting_exists(meeting_id):
                raise ApiError(
                    status=404, code=3001, message=f"Meeting does not exist: {meeting_id[:40]}."
                )
            now = self._clock.now()
            body = resources.local_recording_token(
                meeting_id, user=user, now=now, signing_key=self._signing_key
            )
        except ApiError as refused:
            self._journal_refusal(refused, context, what="join token", meeting_id=meeting_id)
            raise
        expires_at = now + resources.LOCAL_RECORDING_TOKEN_LIFETIME
        self._mint(body["token"], MintedKind.JOIN_TOKEN, context, user.id, expires_at, meeting_id)
        return body

    def _own_user(self, user: ZoomUser, user_ref: str) -> ZoomUser:
        if user_ref in ("me", user.id) or user_ref.lower() == user.email.lower():
            return user
        if self._directory.find_user(user_ref) is None:
            raise ApiError(status=404, code=1001, message=f"User does not exist: {user_ref[:64]}.")
        raise ApiError(status=400, code=200, message="No permission.")

    def _mint(
        self,
        token: str,
        kind: MintedKind,
        context: AccessContext,
        user_id: str,
        expires_at: float,
        meeting_id: str | None = None,
    ) -> None:
        minted = self._minted.record(
            token,
            kind=kind,
            client_id=context.client_id,
            user_id=user_id,
            minted_at=self._clock.now(),
            expires_at=expires_at,
            meeting_id=meeting_id,
        )
        lifetime = round(minted.expires_at - minted.minted_at)
        self._journal.record(
            EventKind.MINT,
            Outcome.OK,
            status=200,
            client_id=context.client_id,
            user_id=user_id,
            grant_id=context.grant_id,
            issued_token=token,
            meeting_id=meeting_id,
            detail=f"{kind.value} token minted, valid {lifetime} s",
        )

    def _journal_refusal(
        self,
        refused: ApiError,
        context: AccessContext | None,
        *,
        what: str,
        meeting_id: str | None = None,
    ) -> None:
        self._journal.record(
            EventKind.MINT,
            Outcome.REJECTED,
            status=refused.status,
            client_id=None if context is None else context.client_id,
            user_id=None if context is None else context.user_id,
            error=str(refused.code),
            reason=refused.message,
            meeting_id=meeting_id,
            detail=f"{what} refused",
        )


def _user_token_kind(token_type: str) -> MintedKind:
    if token_type not in resources.USER_TOKEN_TYPES:
        raise ApiError(status=400, code=300, message=f"Invalid type: {token_type[:40]!r}.")
    return MintedKind(token_type)


def _require_scope(context: AccessContext, kind: MintedKind) -> None:
    scope = _SCOPES[kind]
    if scope not in context.scopes:
        raise ApiError(
            status=400,
            code=4711,
            message=f"Invalid access token, does not contain scopes:[{scope}].",
        )


def _lifetime(kind: MintedKind, ttl: str | None) -> int:
    if ttl is None or kind is MintedKind.USER_TOKEN:
        return USER_TOKEN_LIFETIMES[kind]
    if not (ttl.isascii() and ttl.isdigit()) or not 1 <= int(ttl) <= MAX_TTL:
        raise ApiError(
            status=400, code=300, message=f"Invalid field: ttl must be 1 to {MAX_TTL} seconds."
        )
    return int(ttl)
