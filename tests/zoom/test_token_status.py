"""`FakeZoom.token_status` and ``POST /_sim/zoom/tokens/inspect``: whether the REST API would
accept a token, for which app and user, and why not; and the fake Recall grading it
(``contract.token-live``) through `FakeRecall.attach_token_inspector`."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.recall import FakeRecall
from recall_sim.simulator.recall.errors import CallbackRejected
from recall_sim.simulator.recall.models import CredentialStatus
from recall_sim.simulator.recall.settings import RecallSettings
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.zoom import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_USER_ID,
    FakeZoom,
)
from recall_sim.simulator.zoom_jwt import mint_zoom_token
from tests.zoom.flows import bearer


def _basic() -> str:
    pair = f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def test_a_fresh_token_is_live_for_its_app_and_user(zoom: FakeZoom) -> None:
    grant = zoom.issue_tokens()
    status = zoom.token_status(grant.access_token)
    assert (status.live, status.client_id, status.user_id, status.reason) == (
        True,
        DEFAULT_CLIENT_ID,
        DEFAULT_USER_ID,
        None,
    )


def test_revoked_deauthorized_and_expired_tokens_are_not_live(
    zoom: FakeZoom, clock: VirtualClock
) -> None:
    revoked = zoom.issue_tokens()
    assert zoom.revoke(authorization=_basic(), params={"token": revoked.access_token})
    assert zoom.token_status(revoked.access_token).reason == "revoked (POST /oauth/revoke)"

    removed = zoom.issue_tokens()
    zoom.deauthorize_user(DEFAULT_USER_ID)
    status = zoom.token_status(removed.access_token)
    assert not status.live
    assert status.user_id == DEFAULT_USER_ID
    assert "deauthorized" in (status.reason or "")

    expiring = zoom.issue_tokens()
    clock.advance(4000)
    assert zoom.token_status(expiring.access_token).reason == "expired"


def test_refresh_tokens_unknown_and_foreign_tokens_are_not_live(zoom: FakeZoom) -> None:
    grant = zoom.issue_tokens()
    assert zoom.token_status(grant.refresh_token).reason == "a refresh token, not an access token"
    foreign = mint_zoom_token(
        signing_key="another Zoom's signing key " * 4,
        client_id=DEFAULT_CLIENT_ID,
        user_id=DEFAULT_USER_ID,
        account_id="acct",
        issued_at=int(zoom.clock.now()),
        lifetime=3600,
        token_type=0,
        grant_id="g",
    )
    status = zoom.token_status(foreign)
    assert (status.live, status.issued_here) == (False, False)
    assert zoom.token_liveness(foreign) is None  # the fake Recall does not grade it
    zoom.reset()
    assert zoom.token_status(grant.access_token).issued_here  # signed here, now unknown


def test_the_api_refuses_exactly_what_token_status_calls_dead(
    client: TestClient, zoom: FakeZoom
) -> None:
    grant = zoom.issue_tokens()
    assert client.get("/zoom/v2/users/me", headers=bearer(grant.access_token)).status_code == 200
    zoom.deauthorize_user(DEFAULT_USER_ID)
    assert client.get("/zoom/v2/users/me", headers=bearer(grant.access_token)).status_code == 401


def test_inspect_control_answers_without_echoing_the_token(
    client: TestClient, zoom: FakeZoom
) -> None:
    other = zoom.register_app(client_id="otherApp")
    grant = zoom.issue_tokens(client_id=other.client_id)
    response = client.post("/_sim/zoom/tokens/inspect", json={"token": grant.access_token})
    assert response.status_code == 200
    assert response.json() == {
        "live": True,
        "client_id": "otherApp",
        "user_id": DEFAULT_USER_ID,
        "reason": None,
        "issued_here": True,
    }
    assert grant.access_token not in response.text
    client.post(f"/_sim/zoom/users/{DEFAULT_USER_ID}/deauthorize", json={})
    dead = client.post("/_sim/zoom/tokens/inspect", json={"token": grant.access_token}).json()
    assert dead["live"] is False
    assert "deauthorized" in dead["reason"]


def test_inspect_control_is_guarded_and_wants_json(client: TestClient, zoom: FakeZoom) -> None:
    token = zoom.issue_tokens().access_token
    assert client.post("/_sim/zoom/tokens/inspect", data={"token": token}).status_code >= 400
    cross_site = client.post(
        "/_sim/zoom/tokens/inspect",
        json={"token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    assert token not in cross_site.text


# -- the fake Recall grades contract.token-live with the fake Zoom's answer -----------------


class _Static:
    """A callback that serves whatever token it is given (a cache that never checks Zoom)."""

    def __init__(self) -> None:
        self.token = ""

    async def endpoint(self, request: Request) -> PlainTextResponse:
        return PlainTextResponse(self.token, headers={"Cache-Control": "no-store"})


@pytest.fixture
def static_callback() -> Iterator[tuple[_Static, str]]:
    callback = _Static()
    with ThreadedServer(Starlette(routes=[Route("/cb", callback.endpoint)])) as server:
        yield callback, f"{server.url}/cb"


def test_the_fake_recall_refuses_a_dead_token_on_create_and_validate(
    static_callback: tuple[_Static, str],
) -> None:
    zoom = FakeZoom()  # a real-time clock, as the fake Recall's
    callback, url = static_callback
    recall = FakeRecall(settings=RecallSettings(poll_interval=0))
    recall.attach_token_inspector(zoom.token_liveness)
    try:
        app = recall.create_app(client_id=DEFAULT_CLIENT_ID)
        callback.token = zoom.issue_tokens().access_token
        created = recall.create_credential(oauth_app=app.id, access_token_callback_url=url)
        credential = created.credential

        zoom.deauthorize_user(DEFAULT_USER_ID)
        with pytest.raises(CallbackRejected) as caught:
            recall.validate(credential.id)
        assert "contract.token-live" in caught.value.failed_rules
        assert "deauthorized" in caught.value.detail
        assert callback.token not in caught.value.detail
        assert recall.get_credential(credential.id).consecutive_failures == 1

        other = zoom.register_app(client_id="otherApp")
        callback.token = zoom.issue_tokens(client_id=other.client_id).access_token
        with pytest.raises(CallbackRejected) as refused:
            recall.create_credential(oauth_app=app.id, access_token_callback_url=url)
        assert "otherApp" in refused.value.detail

        callback.token = zoom.issue_tokens().access_token  # the user connected again
        assert recall.validate(credential.id).status is CredentialStatus.HEALTHY
    finally:
        recall.close()
