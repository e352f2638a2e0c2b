"""The credential lifecycle: create, poll, validate and hand out tokens, each through one call.

Every call goes through `CallbackCaller` (prober + judge), so a create, a poll, a
``validate/`` and an ``access-token/`` grade the callback identically. Health is
one rule applied after every call: a failure writes a credential log entry naming
the rule (and its cause, when the credential's recent calls show one: `log_causes`) and
counts towards ``unhealthy_after``; only ``validate/`` re-enables.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from recall_sim.simulator.causes import Cause
from recall_sim.simulator.clock import Clock
from recall_sim.simulator.recall.caller import CallbackCaller, CallResult
from recall_sim.simulator.recall.errors import (
    CallbackRejected,
    CredentialUnhealthy,
    DuplicateCredential,
    NotFound,
    ZoomRejected,
)
from recall_sim.simulator.recall.journal import CallPurpose
from recall_sim.simulator.recall.log_causes import (
    RECENT_CALLS,
    ZoomEvents,
    failure_cause,
    with_cause,
)
from recall_sim.simulator.recall.models import (
    AppKind,
    AppLog,
    Credential,
    CredentialLog,
    CredentialStatus,
    OAuthApp,
    ZoomTokens,
    to_microseconds,
)
from recall_sim.simulator.recall.recall_managed import AuthorizationCode, RecallManagedOAuth
from recall_sim.simulator.recall.settings import DuplicatePolicy, RecallSettings
from recall_sim.simulator.recall.store import RecallStore
from recall_sim.simulator.recall.zoom_client import ZoomClient, ZoomRefused

__all__ = ["AccessToken", "CredentialCreated", "CredentialLifecycle"]

_IDENTITY_RULE = "contract.jwt-access-token"


@dataclass(frozen=True)
class CredentialCreated:
    """The stored credential; ``created`` is False when an existing one was updated instead."""

    credential: Credential
    created: bool


@dataclass(frozen=True)
class AccessToken:
    """What ``access-token/`` answers: the callback's token and its expiry (Unix time)."""

    token: str
    expires_at: float


class CredentialLifecycle:
    """Credential operations that call the callback; thread-safe, coroutine-based."""

    def __init__(
        self,
        *,
        store: RecallStore,
        caller: CallbackCaller,
        clock: Clock,
        settings: Callable[[], RecallSettings],
        zoom: Callable[[], ZoomClient | None] = lambda: None,
    ) -> None:
        self._store = store
        self._caller = caller
        self._clock = clock
        self._settings = settings
        self._managed = RecallManagedOAuth(store=store, clock=clock, zoom=zoom)
        # Guards check-then-write sequences (uniqueness, failure counting); never held
        # across an await, so a slow callback blocks nobody.
        self._lock = threading.Lock()
        # The fake Zoom's events, when it runs beside this Recall (the simulator sets it).
        self.zoom_events: ZoomEvents | None = None

    def _now(self) -> float:
        return to_microseconds(self._clock.now())

    def _app(self, app_id: uuid.UUID) -> OAuthApp:
        app = self._store.get_app(app_id)
        if app is None:
            raise NotFound("zoom oauth app", app_id)
        return app

    def _credential(self, credential_id: uuid.UUID) -> Credential:
        credential = self._store.get_credential(credential_id)
        if credential is None:
            raise NotFound("zoom oauth credential", credential_id)
        return credential

    async def create(self, app_id: uuid.UUID, callback_url: str) -> CredentialCreated:
        """Call the callback once, as Recall does at creation, and store the credential.

        Raises CallbackRejected (nothing stored, an app log entry written) when any
        rule fails, and DuplicateCredential under the legacy uniqueness policy.
        """
        app = self._app(app_id)
        result = await self._caller.call(
            callback_url, purpose=CallPurpose.CREATE, client_id=app.client_id, oauth_app=app.id
        )
        if not result.accepted:
            cause = self._cause(result, app, user_id=None, credential_id=None)
            self._reject_create(app, result.detail, result.failed_rules, log_note=cause)
        user_id, account_id = self._identity(app, result)
        return self._store_created(
            app,
            user_id=user_id,
            account_id=account_id,
            callback_url=callback_url,
            stored=lambda credential_id: self._caller.link(result, credential_id),
        )

    async def create_managed(self, app_id: uuid.UUID, code: AuthorizationCode) -> CredentialCreated:
        """Recall-managed OAuth: exchange the code at Zoom and keep the tokens.

        Raises ZoomRejected (nothing stored, an app log entry written) when Zoom refuses
        the code; re-authorizing a user updates their credential and makes it healthy.
        """
        app = self._app(app_id)
        try:
            authorized = await self._managed.authorize(app, code)
        except ZoomRefused as refused:
            detail = f"Zoom refused the authorization code: {refused.describe()}"
            self._store.add_app_log(
                AppLog(app.id, f"Failed to create a Zoom OAuth Credential: {detail}", self._now())
            )
            raise ZoomRejected(detail) from None
        if not (authorized.user_id or authorized.account_id):
            detail = "Zoom's access token names no user ('uid') or account ('aid')"
            raise ZoomRejected(detail)
        return self._store_created(
            app,
            user_id=authorized.user_id,
            account_id=authorized.account_id,
            callback_url=None,
            stored=lambda credential_id: self._store.save_tokens(credential_id, authorized.tokens),
        )

    def _store_created(
        self,
        app: OAuthApp,
        *,
        user_id: str | None,
        account_id: str | None,
        callback_url: str | None,
        stored: Callable[[uuid.UUID], object],
    ) -> CredentialCreated:
        """Insert the credential, or update the Zoom user's existing one (healthy again,
        of the new kind); ``stored`` then attaches what came with it (call, tokens)."""
        now = self._now()
        with self._lock:
            existing = self._store.find_credential(app.id, user_id=user_id, account_id=account_id)
            if existing is None:
                credential = Credential(
                    id=uuid.uuid4(),
                    oauth_app=app.id,
                    access_token_callback_url=callback_url,
                    user_id=user_id,
                    account_id=account_id,
                    created_at=now,
                    last_called_at=now,
                )
                if not self._store.add_credential(credential):
                    raise NotFound("zoom oauth app", app.id)  # deleted during the call
                stored(credential.id)
                return CredentialCreated(credential, created=True)
            if self._settings().duplicate_credentials is DuplicatePolicy.REJECT:
                raise DuplicateCredential(
                    existing=existing.id, user_id=user_id or existing.user_id, account_id=account_id
                )
            updated = dataclasses.replace(
                existing,
                access_token_callback_url=callback_url,
                status=CredentialStatus.HEALTHY,
                consecutive_failures=0,
                last_called_at=now,
            )
            self._store.update_credential(updated)
            if callback_url is not None:
                self._store.forget_tokens(updated.id)  # now customer-managed
            stored(updated.id)
            return CredentialCreated(updated, created=False)

    def _reject_create(
        self,
        app: OAuthApp,
        detail: str,
        failed_rules: tuple[str, ...],
        *,
        log_note: Cause | None = None,
    ) -> NoReturn:
        message = with_cause(f"Failed to create a Zoom OAuth Credential: {detail}", log_note)
        self._store.add_app_log(AppLog(app.id, message, self._now()))
        raise CallbackRejected(detail, failed_rules=failed_rules)

    def _cause(
        self,
        result: CallResult,
        app: OAuthApp,
        *,
        user_id: str | None,
        credential_id: uuid.UUID | None,
    ) -> Cause | None:
        """The cause of a failed call from the credential's recent calls (a create has
        only its own) and, inside the simulator, the fake Zoom's events."""
        history = (
            [] if credential_id is None else self._caller.recent(credential_id, limit=RECENT_CALLS)
        )
        settings = self._settings()
        return failure_cause(
            result,
            history,
            client_id=app.client_id,
            user_id=user_id,
            signing_secret_given=settings.verification_secret is not None,
            budget_s=settings.callback_deadline,
            zoom_events=self.zoom_events,
        )

    def _identity(self, app: OAuthApp, result: CallResult) -> tuple[str | None, str | None]:
        """(user_id, account_id) from the token: user-level apps learn the user, account-level
        the account; a token without that claim cannot be mapped to anyone."""
        claims = result.judgement.claims
        if app.kind is AppKind.USER_LEVEL:
            user_id = None if claims is None else claims.user_id
            if user_id:
                return user_id, None
            missing = "'uid' (the Zoom user id)"
        else:
            account_id = None if claims is None else claims.account_id
            if account_id:
                return None, account_id
            missing = "'aid' (the Zoom account id)"
        url = result.record.url  # masked as the user asked, like every other output
        detail = (
            f"Access token callback {url} was rejected: the token has no {missing} claim, "
            f"so Recall cannot tell whose token it is ({_IDENTITY_RULE})"
        )
        self._reject_create(app, detail, (_IDENTITY_RULE,))

    async def _call(self, credential: Credential, purpose: CallPurpose) -> CallResult:
        app = self._app(credential.oauth_app)
        assert credential.access_token_callback_url is not None  # customer-managed only
        expected_user = credential.user_id if app.kind is AppKind.USER_LEVEL else None
        return await self._caller.call(
            credential.access_token_callback_url,
            purpose=purpose,
            client_id=app.client_id,
            expected_user_id=expected_user,
            credential=credential.id,
            oauth_app=app.id,
        )

    def _apply(self, credential_id: uuid.UUID, result: CallResult, *, restore: bool) -> None:
        """Count the call towards the credential's health and log a failure (with its cause)."""
        if result.accepted:  # every poll of a working callback: one statement
            self._store.record_accepted_call(credential_id, self._now(), restore_health=restore)
            return
        cause = self._failure_cause(credential_id, result)
        purpose = result.record.purpose.value
        message = with_cause(
            f"Failed to retrieve an access token ({purpose}): {result.detail}", cause
        )
        self._count_failure(credential_id, message, remedy="fix the callback, then call validate")

    def _count_failure(
        self, credential_id: uuid.UUID, message: str, *, remedy: str, final: bool = False
    ) -> None:
        """Log one failure; at ``unhealthy_after`` in a row (at once when ``final``: retrying
        cannot help) the credential turns unhealthy, with a log entry saying so."""
        with self._lock:
            now = self._now()
            current = self._store.get_credential(credential_id)
            if current is None:
                return  # deleted while its token was being fetched
            failures = current.consecutive_failures + 1
            limit = 1 if final else self._settings().unhealthy_after
            status = CredentialStatus.UNHEALTHY if failures >= limit else current.status
            updated = dataclasses.replace(
                current, status=status, consecutive_failures=failures, last_called_at=now
            )
            self._store.add_credential_log(CredentialLog(current.id, message, now))
            if status is not current.status:
                what = "failure" if failures == 1 else f"{failures} consecutive failures"
                source = (
                    "Zoom token refresh" if current.recall_managed else "access token callback call"
                )
                self._store.add_credential_log(
                    CredentialLog(
                        current.id,
                        f"Credential marked unhealthy after {what} of the {source}; {remedy}.",
                        now,
                    )
                )
            self._store.update_credential(updated)

    def _failure_cause(self, credential_id: uuid.UUID, result: CallResult) -> Cause | None:
        # Before taking the lock: the diagnosis reads the journal, and counting needs none of it.
        credential = self._store.get_credential(credential_id)
        app = None if credential is None else self._store.get_app(credential.oauth_app)
        if credential is None or app is None:
            return None
        user_id = credential.user_id if app.kind is AppKind.USER_LEVEL else None
        return self._cause(result, app, user_id=user_id, credential_id=credential_id)

    async def poll(self, credential_id: uuid.UUID) -> bool | None:
        """One scheduled call (a refresh when due, for Recall-managed credentials): whether
        it succeeded, or None when the credential (or its app) is gone."""
        credential = self._store.get_credential(credential_id)
        if credential is None:
            return None
        try:
            if credential.recall_managed:
                await self._managed_token(credential, CallPurpose.POLL)
                return True
            result = await self._call(credential, CallPurpose.POLL)
        except NotFound:
            return None
        except ZoomRejected:
            return False  # counted and logged
        self._apply(credential.id, result, restore=False)
        return result.accepted

    async def validate(self, credential_id: uuid.UUID) -> Credential:
        """Re-check the callback (or, Recall-managed, refresh at Zoom); on success the
        credential is healthy again."""
        credential = self._credential(credential_id)
        if credential.recall_managed:
            await self._managed_token(credential, CallPurpose.VALIDATE)
            return self._credential(credential_id)
        result = await self._call(credential, CallPurpose.VALIDATE)
        self._apply(credential.id, result, restore=True)
        if not result.accepted:
            raise CallbackRejected(result.detail, failed_rules=result.failed_rules)
        return self._credential(credential_id)

    async def access_token(self, credential_id: uuid.UUID) -> AccessToken:
        """A token for the credential now, as Recall gets one before a bot joins: the
        callback's, or (Recall-managed) the stored one, refreshed when low."""
        credential = self._credential(credential_id)
        if credential.status is CredentialStatus.UNHEALTHY:
            raise CredentialUnhealthy(
                credential.id, credential.consecutive_failures, credential.recall_managed
            )
        if credential.recall_managed:
            tokens = await self._managed_token(credential, CallPurpose.ACCESS_TOKEN)
            return AccessToken(token=tokens.access_token, expires_at=tokens.expires_at)
        result = await self._call(credential, CallPurpose.ACCESS_TOKEN)
        self._apply(credential.id, result, restore=False)
        judgement = result.judgement
        if not result.accepted or judgement.token is None or judgement.claims is None:
            raise CallbackRejected(result.detail, failed_rules=result.failed_rules)
        return AccessToken(token=judgement.token, expires_at=judgement.claims.exp)

    async def _managed_token(self, credential: Credential, purpose: CallPurpose) -> ZoomTokens:
        """The stored tokens (refreshed when low, always for validate), counted towards
        health like a callback call; ZoomRejected when Zoom refused, once logged."""
        app = self._app(credential.oauth_app)
        try:
            tokens = await self._managed.token(
                credential.id, app, refresh=purpose is CallPurpose.VALIDATE
            )
        except ZoomRefused as refused:
            message = (
                f"Failed to refresh the Zoom access token ({purpose.value}): "
                f"Zoom answered {refused.describe()}"
            )
            remedy = "retry with validate"
            if refused.permanent:
                message += (
                    "; the grant is gone (the user removed the app, or it was revoked): "
                    "re-authorize the user, and the new authorization_code updates this credential"
                )
                remedy = "re-authorize the user to make it healthy again"
            self._count_failure(credential.id, message, remedy=remedy, final=refused.permanent)
            raise ZoomRejected(message) from None
        self._store.record_accepted_call(
            credential.id, self._now(), restore_health=purpose is CallPurpose.VALIDATE
        )
        return tokens
