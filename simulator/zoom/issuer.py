"""The token issuer: authorization codes, grants, rotating single-use refresh tokens, revocation.

One lock guards every state change, so two requests presenting the same refresh
token cannot both spend it: exactly one gets new tokens, the other is a reuse.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import NoReturn

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.redaction import mask_url
from recall_sim.simulator.zoom.client_auth import authenticate_client
from recall_sim.simulator.zoom.directory import Directory, ZoomApp, ZoomUser
from recall_sim.simulator.zoom.errors import ApiError, OAuthError
from recall_sim.simulator.zoom.journal import EventKind, Journal, Outcome
from recall_sim.simulator.zoom.settings import ZoomSettings
from recall_sim.simulator.zoom.tokens import (
    AccessContext,
    AccessRecord,
    AuthorizationCode,
    Grant,
    RefreshRecord,
    TokenGrant,
    TokenRequest,
    TokenStatus,
    check_pkce,
)
from recall_sim.simulator.zoom_jwt import ACCESS, REFRESH, mint_zoom_token

__all__ = ["INVALID_CODE", "INVALID_REFRESH_TOKEN", "TokenIssuer"]

INVALID_REFRESH_TOKEN = "Invalid Token!"  # noqa: S105 (an error message, not a secret)
INVALID_CODE = "Invalid authorization code"


class TokenIssuer:
    """Codes, grants and tokens of a `FakeZoom`; safe to call from several threads."""

    def __init__(
        self,
        *,
        directory: Directory,
        journal: Journal,
        clock: Clock,
        settings: Callable[[], ZoomSettings],
        signing_key: str,
    ) -> None:
        self._directory = directory
        self._journal = journal
        self._clock = clock
        self._settings = settings
        self._signing_key = signing_key
        self._lock = threading.RLock()
        self._codes: dict[str, AuthorizationCode] = {}
        self._grants: dict[str, Grant] = {}
        self._access: dict[str, AccessRecord] = {}
        self._refresh: dict[str, RefreshRecord] = {}
        # Digests of every token minted, kept across `clear`: tells a token issued here and
        # forgotten by a reset from one this fake never issued (another Zoom's).
        self._minted: set[bytes] = set()

    def clear(self) -> None:
        with self._lock:
            self._codes.clear()
            self._grants.clear()
            self._access.clear()
            self._refresh.clear()

    # -- authorization codes -------------------------------------------------------

    def create_code(
        self,
        *,
        app: ZoomApp,
        user: ZoomUser,
        redirect_uri: str,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> str:
        """A single-use code for ``user``'s consent to ``app``, valid for the code lifetime."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = AuthorizationCode(
                client_id=app.client_id,
                user_id=user.id,
                account_id=user.account_id,
                redirect_uri=redirect_uri,
                expires_at=self._clock.now() + self._settings().code_lifetime,
                code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
            )
        self._journal.record(
            EventKind.AUTHORIZE,
            Outcome.OK,
            client_id=app.client_id,
            user_id=user.id,
            presented=code,
            detail=f"code issued for redirect_uri {mask_url(redirect_uri)}",
        )
        return code

    # -- the token endpoint --------------------------------------------------------

    def token(self, request: TokenRequest) -> TokenGrant:
        """Answer a token request, or raise `OAuthError`; every outcome is journaled."""
        params = request.params
        try:
            app = authenticate_client(
                self._directory, authorization=request.authorization, params=params
            )
        except OAuthError as exc:
            self.record_rejection(exc)
            raise
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(app, params)
        if grant_type == "refresh_token":
            return self._refresh_grant(app, params)
        error = (
            OAuthError.invalid_request("Missing grant type.")
            if not grant_type
            else OAuthError.unsupported_grant_type(
                "Grant type is not supported from token endpoint."
            )
        )
        self.record_rejection(error, client_id=app.client_id)
        raise error

    def record_rejection(self, error: OAuthError, *, client_id: str | None = None) -> None:
        """Journal a token request refused before its grant was known (also by the HTTP layer)."""
        self._journal.record(
            EventKind.TOKEN_REQUEST,
            Outcome.REJECTED,
            status=error.status,
            client_id=client_id,
            error=error.error,
            reason=error.reason,
        )

    def _exchange_code(self, app: ZoomApp, params: Mapping[str, str]) -> TokenGrant:
        code = params.get("code") or None
        with self._lock:
            record = self._codes.get(code) if code else None
            try:
                if code is None:
                    raise OAuthError.invalid_request("Missing code.")
                if (
                    record is None
                    or record.client_id != app.client_id
                    or self._clock.now() >= record.expires_at
                ):
                    raise OAuthError.invalid_grant(INVALID_CODE)
                if params.get("redirect_uri") != record.redirect_uri:
                    raise OAuthError.invalid_request("Redirect URI mismatch.")
                check_pkce(record, params.get("code_verifier"))
            except OAuthError as exc:
                self._journal.record(
                    EventKind.CODE_EXCHANGE,
                    Outcome.REJECTED,
                    status=exc.status,
                    client_id=app.client_id,
                    user_id=None if record is None else record.user_id,
                    error=exc.error,
                    reason=exc.reason,
                    presented=code,
                )
                raise
            # A failed attempt leaves the code usable; only a success spends it.
            del self._codes[code]
            grant = Grant(
                id=secrets.token_hex(32),
                client_id=app.client_id,
                user_id=record.user_id,
                account_id=record.account_id,
                scope=app.scope,
            )
            issued = self._mint_pair(grant)
            self._journal_issue(EventKind.CODE_EXCHANGE, issued, presented=code)
        return issued

    def _refresh_grant(self, app: ZoomApp, params: Mapping[str, str]) -> TokenGrant:
        token = params.get("refresh_token") or None
        if token is None:
            self._reject_refresh(app, OAuthError.invalid_request("Missing refresh_token."))
        invalid = OAuthError.invalid_grant(INVALID_REFRESH_TOKEN)
        with self._lock:
            record = self._refresh.get(token)
            grant = None if record is None else self._grants.get(record.grant_id)
            if record is None or grant is None or grant.client_id != app.client_id:
                self._reject_refresh(app, invalid, token)
            if record.spent_at is not None:
                self._reject_reuse(app, grant, record, token)
            if grant.revoked or self._clock.now() >= record.expires_at:
                self._reject_refresh(app, invalid, token, grant)
            self._refresh[token] = replace(record, spent_at=self._clock.now())
            if self._settings().revoke_access_token_on_refresh:
                # Every access token minted so far belongs to an older generation.
                grant = replace(grant, min_generation=grant.generation + 1)
            issued = self._mint_pair(grant)
            # Journaled under the lock, so the journal's order is the order of spending.
            self._journal_issue(EventKind.REFRESH, issued, presented=token)
        return issued

    def _reject_refresh(
        self,
        app: ZoomApp,
        error: OAuthError,
        token: str | None = None,
        grant: Grant | None = None,
    ) -> NoReturn:
        self._journal.record(
            EventKind.REFRESH,
            Outcome.REJECTED,
            status=error.status,
            client_id=app.client_id,
            user_id=None if grant is None else grant.user_id,
            grant_id=None if grant is None else grant.id,
            error=error.error,
            reason=error.reason,
            presented=token,
        )
        raise error

    def _reject_reuse(
        self, app: ZoomApp, grant: Grant, record: RefreshRecord, token: str
    ) -> NoReturn:
        error = OAuthError.invalid_grant(INVALID_REFRESH_TOKEN)
        detail = f"refresh token already spent at {record.spent_at:.3f}"
        if self._settings().revoke_grant_on_refresh_token_reuse and not grant.revoked:
            self._grants[grant.id] = replace(grant, revoked=True, revoked_by="refresh token reuse")
            detail += "; grant revoked (revoke_grant_on_refresh_token_reuse)"
        self._journal.record(
            EventKind.REFRESH_TOKEN_REUSE,
            Outcome.REJECTED,
            status=error.status,
            client_id=app.client_id,
            user_id=grant.user_id,
            grant_id=grant.id,
            error=error.error,
            reason=error.reason,
            presented=token,
            detail=detail,
        )
        raise error

    # -- tokens without the HTTP dance ---------------------------------------------

    def issue_direct(self, *, app: ZoomApp, user: ZoomUser) -> TokenGrant:
        """A fresh grant for ``user`` on ``app``, as if the user consented and the code was
        exchanged; for seeding a callback under test."""
        with self._lock:
            grant = Grant(
                id=secrets.token_hex(32),
                client_id=app.client_id,
                user_id=user.id,
                account_id=user.account_id,
                scope=app.scope,
            )
            issued = self._mint_pair(grant)
        self._journal_issue(EventKind.DIRECT_GRANT, issued)
        return issued

    def _mint_pair(self, grant: Grant) -> TokenGrant:
        # Called with the lock held; stores the grant with its next generation.
        settings = self._settings()
        issued_at = int(self._clock.now())
        grant = replace(grant, generation=grant.generation + 1)
        self._grants[grant.id] = grant

        def mint(lifetime: int, token_type: int) -> str:
            return mint_zoom_token(
                signing_key=self._signing_key,
                client_id=grant.client_id,
                user_id=grant.user_id,
                account_id=grant.account_id,
                issued_at=issued_at,
                lifetime=lifetime,
                token_type=token_type,
                grant_id=grant.id,
            )

        access = mint(settings.access_token_lifetime, ACCESS)
        refresh = mint(settings.refresh_token_lifetime, REFRESH)
        self._minted.update((_digest(access), _digest(refresh)))
        expires_at = issued_at + settings.access_token_lifetime
        self._access[access] = AccessRecord(
            grant_id=grant.id, generation=grant.generation, expires_at=expires_at
        )
        self._refresh[refresh] = RefreshRecord(
            grant_id=grant.id, expires_at=issued_at + settings.refresh_token_lifetime
        )
        return TokenGrant(
            access_token=access,
            refresh_token=refresh,
            expires_in=settings.expires_in,
            scope=grant.scope,
            client_id=grant.client_id,
            user_id=grant.user_id,
            account_id=grant.account_id,
            grant_id=grant.id,
            issued_at=issued_at,
            expires_at=expires_at,
        )

    def _journal_issue(
        self, kind: EventKind, issued: TokenGrant, *, presented: str | None = None
    ) -> None:
        self._journal.record(
            kind,
            Outcome.OK,
            status=200,
            client_id=issued.client_id,
            user_id=issued.user_id,
            grant_id=issued.grant_id,
            presented=presented,
            issued_access_token=issued.access_token,
            issued_refresh_token=issued.refresh_token,
        )

    # -- revocation and use --------------------------------------------------------

    def revoke(self, *, app: ZoomApp, token: str) -> bool:
        """Revoke the grant behind an access or refresh token of ``app``; False if unknown."""
        with self._lock:
            record = self._access.get(token) or self._refresh.get(token)
            grant = None if record is None else self._grants.get(record.grant_id)
            found = grant is not None and grant.client_id == app.client_id
            if grant is not None and found:
                self._grants[grant.id] = replace(grant, revoked=True, revoked_by="revoked")
        self._journal.record(
            EventKind.REVOKE,
            Outcome.OK if found else Outcome.REJECTED,
            status=200,
            client_id=app.client_id,
            user_id=grant.user_id if grant is not None and found else None,
            grant_id=grant.id if grant is not None and found else None,
            presented=token,
            detail=None if found else "unknown token; answered success as RFC 7009 asks",
        )
        return found

    def revoke_user_grants(self, user_id: str, *, client_id: str | None = None) -> int:
        """Revoke every live grant of a user (on one app, or all); how many were revoked."""
        with self._lock:
            doomed = [
                g
                for g in self._grants.values()
                if g.user_id == user_id
                and not g.revoked
                and (client_id is None or g.client_id == client_id)
            ]
            for grant in doomed:
                self._grants[grant.id] = replace(grant, revoked=True, revoked_by="deauthorized")
        self._journal.record(
            EventKind.DEAUTHORIZE,
            Outcome.OK,
            client_id=client_id,
            user_id=user_id,
            detail=f"{len(doomed)} grant(s) revoked",
        )
        return len(doomed)

    def restore_user_grants(self, user_id: str, *, client_id: str | None = None) -> int:
        """Undo `revoke_user_grants`: the grants a deauthorization revoked work again, as if
        the user reconnected the app (a test restoring what it took away)."""
        with self._lock:
            revived = [
                g
                for g in self._grants.values()
                if g.user_id == user_id
                and g.revoked_by == "deauthorized"
                and (client_id is None or g.client_id == client_id)
            ]
            for grant in revived:
                self._grants[grant.id] = replace(grant, revoked=False, revoked_by=None)
        self._journal.record(
            EventKind.DEAUTHORIZE,
            Outcome.OK,
            client_id=client_id,
            user_id=user_id,
            detail=f"{len(revived)} deauthorized grant(s) restored",
        )
        return len(revived)

    def status(self, token: str) -> TokenStatus:
        """Whether the REST API accepts ``token`` as a Bearer token, whose it is, and if not,
        why: the one place that decides it (`authenticate` and the inspect control use it)."""
        with self._lock:
            record = self._access.get(token)
            grant = None if record is None else self._grants.get(record.grant_id)
            refresh = None if record is not None else self._refresh.get(token)
            refresh_grant = None if refresh is None else self._grants.get(refresh.grant_id)
        if record is None or grant is None:
            if refresh_grant is not None:
                return TokenStatus(
                    False,
                    refresh_grant.client_id,
                    refresh_grant.user_id,
                    "a refresh token, not an access token",
                )
            if not self._minted_here(token):
                return TokenStatus(False, None, None, "not issued by this Zoom", issued_here=False)
            return TokenStatus(False, None, None, "unknown to this Zoom (issued before a reset?)")
        owner = (grant.client_id, grant.user_id)
        if grant.revoked:
            why = {
                "deauthorized": "the user removed (deauthorized) the app",
                "refresh token reuse": "its grant was revoked after a refresh token was reused",
            }.get(grant.revoked_by or "", "revoked (POST /oauth/revoke)")
            return TokenStatus(False, *owner, why)
        if record.generation < grant.min_generation:
            return TokenStatus(
                False, *owner, "superseded by a refresh (revoke_access_token_on_refresh)"
            )
        if self._clock.now() >= record.expires_at:
            return TokenStatus(False, *owner, "expired", expired=True)
        return TokenStatus(True, *owner, None)

    def _minted_here(self, token: str) -> bool:
        with self._lock:
            return _digest(token) in self._minted

    def authenticate(self, access_token: str) -> AccessContext:
        """Whom a Bearer token speaks for, or `ApiError` with Zoom's 401 body."""
        status = self.status(access_token)
        if not status.live:
            raise ApiError.expired_token() if status.expired else ApiError.invalid_token()
        with self._lock:
            record = self._access.get(access_token)
            grant = None if record is None else self._grants.get(record.grant_id)
        if record is None or grant is None:  # reset in between
            raise ApiError.invalid_token()
        return AccessContext(
            client_id=grant.client_id,
            user_id=grant.user_id,
            account_id=grant.account_id,
            grant_id=grant.id,
            expires_at=record.expires_at,
            scopes=tuple(grant.scope.split()),
        )


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
