"""The fake Zoom's logic through its Python API: codes, grants, rotation, expiry, revocation."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.zoom import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_USER_ID,
    ApiError,
    EventKind,
    FakeZoom,
    OAuthError,
    Outcome,
    TokenGrant,
    TokenRequest,
    ZoomSettings,
)
from recall_sim.simulator.zoom_jwt import decode_zoom_token, issuer_for

REDIRECT = "https://app.example/cb"


def _basic(client_id: str = DEFAULT_CLIENT_ID, secret: str = DEFAULT_CLIENT_SECRET) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _code(zoom: FakeZoom, *, user: str | None = None, redirect_uri: str = REDIRECT) -> str:
    location = zoom.authorize(client_id=DEFAULT_CLIENT_ID, redirect_uri=redirect_uri, user=user)
    return parse_qs(urlsplit(location).query)["code"][0]


def _exchange(zoom: FakeZoom, code: str, redirect_uri: str = REDIRECT) -> TokenGrant:
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return zoom.token(TokenRequest(params=params, authorization=_basic()))


def _refresh(zoom: FakeZoom, refresh_token: str) -> TokenGrant:
    params = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return zoom.token(TokenRequest(params=params, authorization=_basic()))


def _onboard(zoom: FakeZoom, user: str | None = None) -> TokenGrant:
    return _exchange(zoom, _code(zoom, user=user))


def test_code_exchange_issues_zoom_shaped_tokens(zoom: FakeZoom, clock: VirtualClock) -> None:
    grant = _onboard(zoom)

    access = decode_zoom_token(grant.access_token)
    refresh = decode_zoom_token(grant.refresh_token)
    assert access.header == {
        "sv": "000002",
        "alg": "HS512",
        "v": "2.0",
        "kid": access.header["kid"],
    }
    assert access.claims["iss"] == issuer_for(DEFAULT_CLIENT_ID)
    assert access.claims["uid"] == DEFAULT_USER_ID
    assert access.claims["aid"] == DEFAULT_ACCOUNT_ID
    assert access.claims["type"] == 0
    assert refresh.claims["type"] == 1
    assert access.claims["iat"] == int(clock.now())
    assert access.exp - access.claims["iat"] == 3600
    assert refresh.exp - refresh.claims["iat"] == 90 * 24 * 3600
    assert access.claims["auid"] == refresh.claims["auid"] == grant.grant_id
    assert grant.expires_in == 3599


def test_a_130_second_token_expires_when_the_clock_passes_exp(
    zoom: FakeZoom, clock: VirtualClock
) -> None:
    zoom.configure(access_token_lifetime=130)
    grant = _onboard(zoom)
    claims = decode_zoom_token(grant.access_token).claims

    assert claims["exp"] - claims["iat"] == 130
    assert grant.expires_in == 129
    clock.advance(129)
    assert zoom.api.me(grant.access_token)["id"] == DEFAULT_USER_ID
    clock.advance(1)
    with pytest.raises(ApiError) as caught:
        zoom.api.me(grant.access_token)
    assert (caught.value.status, caught.value.body()) == (
        401,
        {"code": 124, "message": "Access token is expired."},
    )


def test_refresh_rotates_and_a_spent_refresh_token_is_refused_and_journaled(
    zoom: FakeZoom,
) -> None:
    first = _onboard(zoom)
    second = _refresh(zoom, first.refresh_token)
    third = _refresh(zoom, second.refresh_token)

    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3
    assert first.grant_id == second.grant_id == third.grant_id
    with pytest.raises(OAuthError) as caught:
        _refresh(zoom, first.refresh_token)
    assert (caught.value.status, caught.value.body()) == (
        400,
        {"reason": "Invalid Token!", "error": "invalid_grant"},
    )
    [reuse] = zoom.refresh_token_reuses()
    assert reuse.kind is EventKind.REFRESH_TOKEN_REUSE
    assert reuse.user_id == DEFAULT_USER_ID
    assert reuse.grant_id == first.grant_id
    assert reuse.presented is not None and first.refresh_token not in reuse.presented
    assert reuse.presented.startswith(first.refresh_token[:8])
    # The grant is still usable (revoke_grant_on_refresh_token_reuse is off by default).
    _refresh(zoom, third.refresh_token)


def test_refreshes_journal_every_rotation(zoom: FakeZoom) -> None:
    grant = _onboard(zoom)
    for _ in range(3):
        grant = _refresh(zoom, grant.refresh_token)

    assert [e.kind for e in zoom.journal(outcome=Outcome.OK)] == [
        EventKind.AUTHORIZE,
        EventKind.CODE_EXCHANGE,
        EventKind.REFRESH,
        EventKind.REFRESH,
        EventKind.REFRESH,
    ]
    assert zoom.refresh_token_reuses() == []


def test_the_journal_never_holds_a_whole_token_or_code(zoom: FakeZoom) -> None:
    code = _code(zoom)
    first = _exchange(zoom, code)
    second = _refresh(zoom, first.refresh_token)
    with pytest.raises(OAuthError):
        _refresh(zoom, first.refresh_token)
    zoom.revoke(authorization=_basic(), params={"token": second.access_token})

    dumped = json.dumps([e.to_json() for e in zoom.journal()])
    secrets = [code, first.access_token, first.refresh_token, second.access_token]
    secrets += [second.refresh_token, DEFAULT_CLIENT_SECRET]
    assert not [s for s in secrets if s in dumped]
    assert "TokenGrant(" in repr(first) and first.access_token not in repr(first)


def test_concurrent_refreshes_with_one_token_let_exactly_one_through(zoom: FakeZoom) -> None:
    grant = _onboard(zoom)
    threads = 16
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            _refresh(zoom, grant.refresh_token)
            result = "ok"
        except OAuthError as exc:
            result = exc.reason
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=attempt) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert sorted(outcomes) == ["Invalid Token!"] * (threads - 1) + ["ok"]
    assert len(zoom.refresh_token_reuses()) == threads - 1


def test_previous_access_token_stays_valid_after_refresh_by_default(zoom: FakeZoom) -> None:
    first = _onboard(zoom)
    _refresh(zoom, first.refresh_token)

    assert zoom.authenticate(first.access_token).user_id == DEFAULT_USER_ID


def test_revoke_access_token_on_refresh_setting(zoom: FakeZoom) -> None:
    zoom.configure(revoke_access_token_on_refresh=True)
    first = _onboard(zoom)
    second = _refresh(zoom, first.refresh_token)

    with pytest.raises(ApiError) as caught:
        zoom.authenticate(first.access_token)
    assert caught.value.body() == {"code": 124, "message": "Invalid access token."}
    assert zoom.authenticate(second.access_token).grant_id == first.grant_id


def test_revoke_grant_on_refresh_token_reuse_setting(zoom: FakeZoom) -> None:
    zoom.configure(revoke_grant_on_refresh_token_reuse=True)
    first = _onboard(zoom)
    second = _refresh(zoom, first.refresh_token)
    with pytest.raises(OAuthError):
        _refresh(zoom, first.refresh_token)

    with pytest.raises(OAuthError, match="Invalid Token!"):
        _refresh(zoom, second.refresh_token)
    with pytest.raises(ApiError):
        zoom.authenticate(second.access_token)
    assert "grant revoked" in (zoom.refresh_token_reuses()[0].detail or "")


def test_refresh_tokens_expire(zoom: FakeZoom, clock: VirtualClock) -> None:
    zoom.configure(refresh_token_lifetime=600)
    grant = _onboard(zoom)
    clock.advance(600)

    with pytest.raises(OAuthError, match="Invalid Token!"):
        _refresh(zoom, grant.refresh_token)
    assert zoom.refresh_token_reuses() == []


def test_codes_are_single_use(zoom: FakeZoom) -> None:
    code = _code(zoom)
    _exchange(zoom, code)

    with pytest.raises(OAuthError) as caught:
        _exchange(zoom, code)
    assert caught.value.body() == {"reason": "Invalid authorization code", "error": "invalid_grant"}


def test_codes_live_five_minutes(zoom: FakeZoom, clock: VirtualClock) -> None:
    fresh, stale = _code(zoom), _code(zoom)
    clock.advance(299)
    _exchange(zoom, fresh)
    clock.advance(1)

    with pytest.raises(OAuthError, match="Invalid authorization code"):
        _exchange(zoom, stale)


def test_redirect_uri_must_match_exactly_and_a_mismatch_does_not_spend_the_code(
    zoom: FakeZoom,
) -> None:
    code = _code(zoom)
    with pytest.raises(OAuthError) as caught:
        _exchange(zoom, code, redirect_uri=REDIRECT + "/")
    assert caught.value.body() == {"reason": "Redirect URI mismatch.", "error": "invalid_request"}

    _exchange(zoom, code)


def test_a_code_belongs_to_the_app_it_was_issued_to(zoom: FakeZoom) -> None:
    other = zoom.register_app(client_id="otherApp", client_secret="other-secret")
    code = _code(zoom)
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}

    with pytest.raises(OAuthError, match="Invalid authorization code"):
        zoom.token(
            TokenRequest(params=params, authorization=_basic(other.client_id, "other-secret"))
        )


def test_pkce_verifier_is_checked(zoom: FakeZoom) -> None:
    verifier = "v" * 50
    # S256 of "v"*50, base64url without padding.
    import base64
    import hashlib

    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    location = zoom.authorize(
        client_id=DEFAULT_CLIENT_ID,
        redirect_uri=REDIRECT,
        code_challenge=challenge.decode(),
        code_challenge_method="S256",
    )
    code = parse_qs(urlsplit(location).query)["code"][0]
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}

    with pytest.raises(OAuthError, match="Invalid code_verifier"):
        zoom.token(
            TokenRequest(params={**params, "code_verifier": "w" * 50}, authorization=_basic())
        )
    grant = zoom.token(
        TokenRequest(params={**params, "code_verifier": verifier}, authorization=_basic())
    )
    assert grant.user_id == DEFAULT_USER_ID


def test_deauthorizing_a_user_kills_their_tokens_only(zoom: FakeZoom) -> None:
    alice = _onboard(zoom, user="alice")
    bob = _onboard(zoom, user="bob")

    assert zoom.deauthorize_user("alice") == 1
    with pytest.raises(ApiError) as caught:
        zoom.authenticate(alice.access_token)
    assert caught.value.body() == {"code": 124, "message": "Invalid access token."}
    with pytest.raises(OAuthError, match="Invalid Token!"):
        _refresh(zoom, alice.refresh_token)
    assert zoom.authenticate(bob.access_token).user_id == "bob"
    [event] = zoom.journal(kind=EventKind.DEAUTHORIZE)
    assert event.user_id == "alice"


def test_deauthorizing_on_one_app_leaves_the_other(zoom: FakeZoom) -> None:
    other = zoom.register_app(client_id="otherApp")
    on_default = zoom.issue_tokens()
    on_other = zoom.issue_tokens(client_id=other.client_id)

    assert zoom.deauthorize_user(DEFAULT_USER_ID, client_id=other.client_id) == 1
    assert zoom.authenticate(on_default.access_token).client_id == DEFAULT_CLIENT_ID
    with pytest.raises(ApiError):
        zoom.authenticate(on_other.access_token)


def test_users_are_picked_by_id_or_email_and_created_on_first_use(zoom: FakeZoom) -> None:
    by_id = _onboard(zoom, user="alice")
    by_email = _onboard(zoom, user="bob@example.org")
    again = _onboard(zoom, user="alice@example.com")

    assert by_id.user_id == "alice"
    assert zoom.user("alice") == zoom.user("alice@example.com")
    bob = zoom.user("bob@example.org")
    assert bob is not None and by_email.user_id == bob.id and len(bob.id) == 22
    assert again.user_id == "alice"
    assert by_id.account_id == DEFAULT_ACCOUNT_ID


def test_unknown_users_are_refused_when_auto_creation_is_off(zoom: FakeZoom) -> None:
    zoom.configure(auto_create_users=False)

    with pytest.raises(OAuthError, match="Unknown test user 'carol'"):
        _code(zoom, user="carol")


def test_the_consenting_user_setting_picks_the_default_consenter(zoom: FakeZoom) -> None:
    dana = zoom.register_user(email="dana@example.com", account_id="danaAccount")
    zoom.configure(consenting_user="dana@example.com")

    assert _onboard(zoom).user_id == dana.id
    zoom.configure(consenting_user=None)
    assert _onboard(zoom).user_id == DEFAULT_USER_ID


def test_registered_apps_and_users_get_tokens(zoom: FakeZoom) -> None:
    app = zoom.register_app(redirect_uris=(REDIRECT,))
    user = zoom.register_user(email="erin@example.com", account_id="erinAccount")
    grant = zoom.issue_tokens(user_id=user.id, client_id=app.client_id)

    claims = decode_zoom_token(grant.access_token).claims
    assert claims["iss"] == issuer_for(app.client_id)
    assert (claims["uid"], claims["aid"]) == (user.id, "erinAccount")
    with pytest.raises(OAuthError, match="Redirect URI mismatch"):
        zoom.authorize(client_id=app.client_id, redirect_uri="https://elsewhere.example/cb")


def test_bad_registrations_raise_clear_errors(zoom: FakeZoom) -> None:
    with pytest.raises(ValueError, match="already exists"):
        zoom.register_app(client_id=DEFAULT_CLIENT_ID)
    with pytest.raises(ValueError, match="already exists"):
        zoom.register_user(email="DEFAULT.user@example.com")
    with pytest.raises(ValueError, match="client_id must be"):
        zoom.register_app(client_id="has space")
    with pytest.raises(ValueError, match="no user"):
        zoom.issue_tokens(user_id="nobody")


def test_configure_rejects_bad_values_and_keeps_the_rest(zoom: FakeZoom) -> None:
    zoom.configure(access_token_lifetime=130)
    with pytest.raises(ValueError, match="access_token_lifetime must be between 1"):
        zoom.configure(access_token_lifetime=0)

    assert zoom.settings.access_token_lifetime == 130
    with pytest.raises(ValueError, match="whole number"):
        ZoomSettings(code_lifetime=1.5)  # type: ignore[arg-type]


def test_reset_restores_defaults_and_the_initial_settings(clock: VirtualClock) -> None:
    zoom = FakeZoom(clock=clock, settings=ZoomSettings(access_token_lifetime=200))
    grant = _onboard(zoom, user="frank")
    zoom.configure(access_token_lifetime=50)
    zoom.inject_fault("server_error", count=3)

    zoom.reset()

    assert zoom.settings.access_token_lifetime == 200
    assert zoom.faults() == [] and zoom.journal() == []
    assert zoom.user("frank") is None and zoom.user(DEFAULT_USER_ID) is not None
    assert zoom.app(DEFAULT_CLIENT_ID) is not None
    with pytest.raises(ApiError):
        zoom.authenticate(grant.access_token)
