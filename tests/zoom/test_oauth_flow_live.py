"""Zoom's documented flow over real sockets: a plain client, unchanged but for base URLs."""

from __future__ import annotations

import threading

import httpx

from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.testing import RunningSimulator
from recall_sim.simulator.zoom import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_USER_ID,
    EventKind,
)
from recall_sim.simulator.zoom_jwt import decode_zoom_token, issuer_for
from tests.zoom import flows
from tests.zoom.zoom_oauth_client import ZoomOAuthClient, redirect_receiver


def _client(sim: RunningSimulator, redirect_uri: str) -> ZoomOAuthClient:
    return ZoomOAuthClient(
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        redirect_uri=redirect_uri,
        oauth_base=sim.zoom_oauth_base,
        api_base=sim.zoom_api_base,
    )


def test_authorize_code_token_refresh_refresh(recall_sim: RunningSimulator) -> None:
    done = threading.Event()
    client = _client(recall_sim, redirect_uri="set below, once the receiver has a port")
    receiver = ThreadedServer(redirect_receiver(client, done))
    client.redirect_uri = f"{receiver.url}/oauth/zoom/callback"
    with receiver:
        # The browser: follow the consent redirect to the customer's redirect endpoint.
        with httpx.Client(follow_redirects=True, trust_env=False) as browser:
            landing = browser.get(client.authorize_url())
        assert landing.text == "Zoom connected"
        assert done.is_set()

    first = client.tokens
    assert first is not None and first.expires_in == 3599
    assert first.api_url == recall_sim.zoom_oauth_base
    assert client.get("/users/me").json()["id"] == DEFAULT_USER_ID
    second = client.refresh()
    third = client.refresh()

    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3
    claims = decode_zoom_token(third.access_token).claims
    assert claims["iss"] == issuer_for(DEFAULT_CLIENT_ID)
    assert client.get("/users/me").status_code == 200
    kinds = [e.kind for e in recall_sim.zoom.journal()]
    assert kinds == [
        EventKind.AUTHORIZE,
        EventKind.CODE_EXCHANGE,
        EventKind.REFRESH,
        EventKind.REFRESH,
    ]
    assert recall_sim.zoom.refresh_token_reuses() == []


def test_several_users_onboard_as_distinct_zoom_users(recall_sim: RunningSimulator) -> None:
    with httpx.Client(base_url=recall_sim.url, trust_env=False) as http:
        alice = flows.onboard(http, user="alice")
        bob = flows.onboard(http, user="bob@example.com")
        default = flows.onboard(http)

    uids = {decode_zoom_token(t["access_token"]).user_id for t in (alice, bob, default)}
    assert len(uids) == 3


def _race(url: str, refresh_token: str, contenders: int) -> list[httpx.Response]:
    """``contenders`` clients, each on its own connection, refresh with one token at once."""
    barrier = threading.Barrier(contenders)
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def attempt() -> None:
        with httpx.Client(base_url=url, trust_env=False) as own:
            barrier.wait()
            response = flows.refresh(own, refresh_token)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=attempt) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_concurrent_refreshes_over_sockets_exactly_one_wins(recall_sim: RunningSimulator) -> None:
    with httpx.Client(base_url=recall_sim.url, trust_env=False) as http:
        tokens = flows.onboard(http)
    contenders, rounds = 8, 3
    for _ in range(rounds):
        results = _race(recall_sim.url, tokens["refresh_token"], contenders)

        winners = [r for r in results if r.status_code == 200]
        losers = [r for r in results if r.status_code != 200]
        assert len(results) == contenders
        assert len(winners) == 1, [r.text for r in results]
        assert {(r.status_code, r.text) for r in losers} == {
            (400, '{"reason":"Invalid Token!","error":"invalid_grant"}')
        }
        tokens = winners[0].json()

    assert len(recall_sim.zoom.refresh_token_reuses()) == rounds * (contenders - 1)


def test_the_fixture_resets_between_tests(recall_sim: RunningSimulator) -> None:
    assert recall_sim.zoom.journal() == []
    assert recall_sim.zoom.user("alice") is None
