"""`FakeZoom`: the fake Zoom's Python API, shared by its HTTP routes, fixtures and tests."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.zoom.api import ZoomApi
from recall_sim.simulator.zoom.client_auth import authenticate_client
from recall_sim.simulator.zoom.consent import ConsentScreen
from recall_sim.simulator.zoom.directory import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SCOPES,
    DEFAULT_USER_EMAIL,
    DEFAULT_USER_ID,
    Directory,
    ZoomApp,
    ZoomMeeting,
    ZoomUser,
    derived_user_id,
)
from recall_sim.simulator.zoom.errors import OAuthError
from recall_sim.simulator.zoom.faults import (
    AppliedFault,
    Fault,
    FaultEndpoint,
    FaultKind,
    FaultPlan,
    FaultStatus,
)
from recall_sim.simulator.zoom.issuer import TokenIssuer
from recall_sim.simulator.zoom.journal import EventKind, Journal, JournalEvent, Outcome
from recall_sim.simulator.zoom.minted import MintedKind, MintedToken, MintedTokens
from recall_sim.simulator.zoom.settings import ZoomSettings
from recall_sim.simulator.zoom.tokens import (
    AccessContext,
    TokenGrant,
    TokenRequest,
    TokenStatus,
)

__all__ = ["SIM_USER_PARAM", "FakeZoom"]

# The authorize parameter naming the consenting test user; prefixed so that no real
# OAuth client sends it by accident.
SIM_USER_PARAM: Final = "sim_user"


class _Unset:
    """Marks a `configure` argument the caller did not pass (None is a real value there)."""


_UNSET: Final = _Unset()


class FakeZoom:
    """An OAuth token issuer and REST API shaped like Zoom's, with controls for tests.

    Time comes from ``clock`` (a `VirtualClock`, so tests advance it instead of
    sleeping). A default app and user exist from the start and after every `reset`.
    """

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        settings: ZoomSettings | None = None,
        default_app: ZoomApp | None = None,
        default_user: ZoomUser | None = None,
        signing_key: str | None = None,
    ) -> None:
        self._clock = clock if clock is not None else VirtualClock()
        self._initial_settings = settings if settings is not None else ZoomSettings()
        self._settings = self._initial_settings
        self._default_app = default_app or ZoomApp(
            client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, name="default app"
        )
        self._default_user = default_user or ZoomUser(
            id=DEFAULT_USER_ID,
            account_id=DEFAULT_ACCOUNT_ID,
            email=DEFAULT_USER_EMAIL,
            first_name="Default",
            last_name="User",
            created_at=self._clock.now(),
        )
        self._signing_key = signing_key or secrets.token_hex(32)
        self._directory = Directory()
        self._journal = Journal(self._clock)
        self._faults = FaultPlan()
        self._issuer = TokenIssuer(
            directory=self._directory,
            journal=self._journal,
            clock=self._clock,
            settings=lambda: self._settings,
            signing_key=self._signing_key,
        )
        self._minted = MintedTokens()
        self._api = ZoomApi(
            issuer=self._issuer,
            directory=self._directory,
            clock=self._clock,
            signing_key=self._signing_key,
            journal=self._journal,
            minted=self._minted,
        )
        self._consent = ConsentScreen(
            directory=self._directory,
            issuer=self._issuer,
            settings=lambda: self._settings,
            default_user=self._default_user,
            register_user=self.register_user,
        )
        self._install_defaults()

    def _install_defaults(self) -> None:
        self._directory.add_app(self._default_app)
        self._directory.add_user(self._default_user)

    def reset(self) -> None:
        """Forget every app, user, token, fault and journal event; restore defaults and the
        settings given at construction. The clock is not touched (it may be shared)."""
        self._faults.clear()
        self._issuer.clear()
        self._minted.clear()
        self._directory.clear()
        self._journal.clear()
        self._settings = self._initial_settings
        self._install_defaults()

    # -- settings and clock ---------------------------------------------------------

    @property
    def clock(self) -> VirtualClock:
        return self._clock

    @property
    def settings(self) -> ZoomSettings:
        return self._settings

    def configure(
        self,
        *,
        access_token_lifetime: int | None = None,
        refresh_token_lifetime: int | None = None,
        code_lifetime: int | None = None,
        revoke_access_token_on_refresh: bool | None = None,
        revoke_grant_on_refresh_token_reuse: bool | None = None,
        auto_create_users: bool | None = None,
        consenting_user: str | _Unset | None = _UNSET,
        api_url: str | _Unset | None = _UNSET,
    ) -> ZoomSettings:
        """Change some settings (the rest stay); raise ValueError naming a bad value."""
        changes: dict[str, Any] = {
            name: value
            for name, value in {
                "access_token_lifetime": access_token_lifetime,
                "refresh_token_lifetime": refresh_token_lifetime,
                "code_lifetime": code_lifetime,
                "revoke_access_token_on_refresh": revoke_access_token_on_refresh,
                "revoke_grant_on_refresh_token_reuse": revoke_grant_on_refresh_token_reuse,
                "auto_create_users": auto_create_users,
            }.items()
            if value is not None
        }
        if not isinstance(consenting_user, _Unset):
            changes["consenting_user"] = consenting_user
        if not isinstance(api_url, _Unset):
            changes["api_url"] = api_url
        self._settings = replace(self._settings, **changes)
        return self._settings

    # -- apps, users, meetings ------------------------------------------------------

    @property
    def default_app(self) -> ZoomApp:
        return self._default_app

    @property
    def default_user(self) -> ZoomUser:
        return self._default_user

    def register_app(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        name: str = "recall-sim app",
        redirect_uris: tuple[str, ...] = (),
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
    ) -> ZoomApp:
        """Register an OAuth app; missing credentials are generated."""
        app = ZoomApp(
            client_id=client_id or secrets.token_urlsafe(16)[:22],
            client_secret=client_secret or secrets.token_urlsafe(24)[:32],
            name=name,
            redirect_uris=tuple(redirect_uris),
            scopes=tuple(scopes),
        )
        return self._directory.add_app(app)

    def apps(self) -> list[ZoomApp]:
        return self._directory.apps()

    def app(self, client_id: str) -> ZoomApp | None:
        return self._directory.app(client_id)

    def register_user(
        self,
        *,
        user_id: str | None = None,
        email: str | None = None,
        account_id: str | None = None,
        first_name: str = "Test",
        last_name: str = "User",
        user_type: int = 2,
    ) -> ZoomUser:
        """Register a user. Without an id, the id is derived from the email (stable across
        runs); without an email, one is made from the id; the account defaults to the
        default user's."""
        if email is None:
            email = f"{user_id or 'user-' + secrets.token_hex(4)}@example.com"
        user = ZoomUser(
            id=user_id or derived_user_id(email),
            account_id=account_id or self._default_user.account_id,
            email=email,
            first_name=first_name,
            last_name=last_name,
            user_type=user_type,
            created_at=self._clock.now(),
        )
        return self._directory.add_user(user)

    def users(self) -> list[ZoomUser]:
        return self._directory.users()

    def user(self, id_or_email: str) -> ZoomUser | None:
        return self._directory.find_user(id_or_email)

    def add_meeting(
        self,
        user_id: str,
        *,
        topic: str = "Test meeting",
        start_time: float | None = None,
        duration_minutes: int = 30,
    ) -> ZoomMeeting:
        """Schedule a meeting hosted by a user, listed by ``/v2/users/me/meetings``."""
        now = self._clock.now()
        return self._directory.add_meeting(
            host_id=user_id,
            topic=topic,
            start_time=now + 3600 if start_time is None else start_time,
            duration_minutes=duration_minutes,
            now=now,
        )

    def consenting_user(self, hint: str | None = None) -> ZoomUser:
        """The user who consents on authorize (see `ConsentScreen.consenting_user`)."""
        return self._consent.consenting_user(hint)

    # -- OAuth ----------------------------------------------------------------------

    def authorize(
        self,
        *,
        client_id: str | None,
        redirect_uri: str | None,
        response_type: str | None = "code",
        state: str | None = None,
        user: str | None = None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> str:
        """Consent on a user's behalf (``user``: id or email) and return the redirect URL
        carrying the code; raises `OAuthError`."""
        return self._consent.authorize(
            client_id=client_id,
            redirect_uri=redirect_uri,
            response_type=response_type,
            state=state,
            user=user,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
        )

    def token(self, request: TokenRequest) -> TokenGrant:
        """``POST /oauth/token`` after parsing; raises `OAuthError`."""
        return self._issuer.token(request)

    def record_token_rejection(self, error: OAuthError) -> None:
        """Journal a token request the HTTP layer refused before it reached the issuer."""
        self._issuer.record_rejection(error)

    def revoke(self, *, authorization: str | None, params: Mapping[str, str]) -> bool:
        """``POST /oauth/revoke``: revoke the token's whole grant; False if the token is unknown."""
        try:
            app = authenticate_client(self._directory, authorization=authorization, params=params)
            token = params.get("token")
            if not token:
                raise OAuthError.invalid_request("Missing token.")
        except OAuthError as exc:
            self._journal.record(
                EventKind.REVOKE,
                Outcome.REJECTED,
                status=exc.status,
                error=exc.error,
                reason=exc.reason,
            )
            raise
        return self._issuer.revoke(app=app, token=token)

    def issue_tokens(
        self, *, user_id: str | None = None, client_id: str | None = None
    ) -> TokenGrant:
        """Tokens for a user on an app (defaults: the default user and app) without the
        authorize/code dance, e.g. to seed a callback under test with a refresh token."""
        user = self._directory.user(user_id) if user_id else self._default_user
        app = self._directory.app(client_id) if client_id else self._default_app
        if user is None:
            raise ValueError(f"no user with id {user_id!r}")
        if app is None:
            raise ValueError(f"no app with client_id {client_id!r}")
        return self._issuer.issue_direct(app=app, user=user)

    def deauthorize_user(self, user_id: str, *, client_id: str | None = None) -> int:
        """Revoke every grant of a user (on one app, or on all), as when the user removes the
        app; their access and refresh tokens stop working. Returns the number revoked."""
        return self._issuer.revoke_user_grants(user_id, client_id=client_id)

    def restore_user(self, user_id: str, *, client_id: str | None = None) -> int:
        """Undo `deauthorize_user` (the user reconnects): the grants it revoked, and their
        tokens, work again. Returns the number restored."""
        return self._issuer.restore_user_grants(user_id, client_id=client_id)

    # -- the REST API ---------------------------------------------------------------

    def authenticate(self, access_token: str) -> AccessContext:
        """Whom an access token speaks for; raises `ApiError` (Zoom's 401) otherwise."""
        return self._issuer.authenticate(access_token)

    def token_status(self, token: str) -> TokenStatus:
        """Whether ``GET /v2/users/me`` would accept ``token`` (live), for which app and user,
        and why not: unknown, revoked, deauthorized, superseded, expired, a refresh token."""
        return self._issuer.status(token)

    def token_liveness(self, token: str) -> TokenStatus | None:
        """`token_status` for a token this fake Zoom signed; None for any other token (the
        fake Recall grades ``contract.token-live`` only on tokens that came from here)."""
        status = self._issuer.status(token)
        return status if status.issued_here else None

    @property
    def api(self) -> ZoomApi:
        """The REST API's resources, each call authenticated by an access token."""
        return self._api

    # -- OBF tokens, ZAKs and join tokens ------------------------------------------

    def minted_tokens(self, kind: MintedKind | str | None = None) -> list[MintedToken]:
        """Every OBF token, ZAK and join token minted (oldest first), or those of ``kind``."""
        return self._minted.all(None if kind is None else MintedKind(kind))

    def minted_token(self, token: str) -> MintedToken | None:
        """What the fake Zoom minted ``token`` as (kind, user, meeting, time, uses); None
        when it did not mint it."""
        return self._minted.find(token)

    def use_token(self, token: str) -> MintedToken | None:
        """Present ``token`` as a bot joining a meeting would: counts one use; returns the
        record as it was before (``used`` already: an OBF token presented twice), or None
        for a token Zoom never minted."""
        return self._minted.use(token, at=self._clock.now())

    # -- faults ---------------------------------------------------------------------

    def inject_fault(
        self,
        kind: FaultKind | str,
        *,
        count: int = 1,
        probability: float = 1.0,
        seed: int | None = None,
        seconds: float = 1.0,
        retry_after: int = 1,
        endpoint: FaultEndpoint | str = FaultEndpoint.TOKEN,
    ) -> FaultStatus:
        """Make the next ``count`` requests to ``endpoint`` misbehave (each with
        ``probability``); endpoints: ``token`` (``/oauth/token``, the default), ``obf``,
        ``zak`` and ``join_token`` (the REST endpoints minting those tokens).

        Kinds: ``server_error`` (500), ``rate_limited`` (429 with ``Retry-After:
        retry_after``), ``stall`` (wait ``seconds``, then answer normally; a request whose
        client hung up meanwhile is journaled as abandoned and not processed),
        ``malformed_body`` (200 with truncated JSON), ``drop_connection`` (headers, then
        the connection closes before the body).
        """
        try:
            fault_kind = FaultKind(kind)
        except ValueError:
            kinds = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {kinds}") from None
        try:
            target = FaultEndpoint(endpoint)
        except ValueError:
            endpoints = ", ".join(e.value for e in FaultEndpoint)
            raise ValueError(
                f"unknown fault endpoint {endpoint!r}; expected one of {endpoints}"
            ) from None
        fault = Fault(
            kind=fault_kind,
            count=count,
            probability=probability,
            seed=seed,
            seconds=seconds,
            retry_after=retry_after,
            endpoint=target,
        )
        return self._faults.add(fault)

    def faults(self) -> list[FaultStatus]:
        """Faults still covering requests, in the order they apply."""
        return self._faults.active()

    def clear_faults(self) -> None:
        self._faults.clear()

    def take_fault(self, endpoint: FaultEndpoint = FaultEndpoint.TOKEN) -> AppliedFault | None:
        """Count one request to ``endpoint`` against its faults (the HTTP layer calls this)."""
        applied = self._faults.take(endpoint)
        if applied is not None:
            where = "" if endpoint is FaultEndpoint.TOKEN else f" on the {endpoint.value} endpoint"
            self._journal.record(
                EventKind.FAULT,
                Outcome.FAULT,
                fault=applied.fault.kind.value,
                detail=f"fault #{applied.fault_id}, hit {applied.hit}: "
                f"{applied.fault.describe()}{where}",
            )
        return applied

    def record_abandoned(self, applied: AppliedFault) -> None:
        self._journal.record(
            EventKind.TOKEN_REQUEST,
            Outcome.ABANDONED,
            fault=applied.fault.kind.value,
            detail="the client hung up during the stall; the request was not processed",
        )

    # -- journal --------------------------------------------------------------------

    def journal(
        self,
        *,
        kind: EventKind | str | None = None,
        outcome: Outcome | str | None = None,
        user_id: str | None = None,
        client_id: str | None = None,
        grant_id: str | None = None,
        since: int | None = None,
    ) -> list[JournalEvent]:
        """Journal events in order, filtered (``since``: only events with a greater ``seq``)."""
        return self._journal.events(
            kind=kind,
            outcome=outcome,
            user_id=user_id,
            client_id=client_id,
            grant_id=grant_id,
            since=since,
        )

    def refresh_token_reuses(
        self, *, user_id: str | None = None, since: int | None = None
    ) -> list[JournalEvent]:
        """Every presentation of an already-spent refresh token: empty means none was reused."""
        return self.journal(kind=EventKind.REFRESH_TOKEN_REUSE, user_id=user_id, since=since)

    @property
    def journal_seq(self) -> int:
        """The latest event's ``seq``; pass it as ``since`` to read only what follows."""
        return self._journal.last_seq
