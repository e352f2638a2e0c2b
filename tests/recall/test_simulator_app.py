"""The fake Recall inside the whole simulator: mounted beside the fake Zoom, one clock,
one reset, the poller started by the app's lifespan."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from recall_sim.simulator.app import Simulator, build_app
from recall_sim.simulator.recall import RecallSettings
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.zoom import ZoomSettings

KEY = "simulator-app-key-0123"


@pytest.fixture
def sim() -> Simulator:
    return Simulator.create(
        zoom_settings=ZoomSettings(access_token_lifetime=130),
        recall_settings=RecallSettings(api_key=KEY, poll_interval=0),
    )


@pytest.fixture
def served(sim: Simulator) -> Iterator[str]:
    with ThreadedServer(build_app(sim)) as server:
        yield server.url


def test_a_callback_serving_fake_zoom_tokens_registers_then_expires_on_the_shared_clock(
    sim: Simulator, served: str
) -> None:
    grant = sim.zoom.issue_tokens()  # a 130 s access token for the default user and app

    async def callback(request: Request) -> PlainTextResponse:
        return PlainTextResponse(grant.access_token, headers={"Cache-Control": "no-store"})

    with (
        ThreadedServer(Starlette(routes=[Route("/token", callback)])) as customer,
        httpx.Client(base_url=served, headers={"Authorization": f"Token {KEY}"}) as http,
    ):
        app = http.post(
            "/api/v2/zoom-oauth-apps/",
            json={
                "kind": "user_level",
                "client_id": sim.zoom.default_app.client_id,
                "client_secret": "dummy",
                "webhook_secret": "dummy",
            },
        ).json()
        created = http.post(
            "/api/v2/zoom-oauth-credentials/",
            json={"oauth_app": app["id"], "access_token_callback_url": customer.url + "/token"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["user_id"] == sim.zoom.default_user.id

        sim.clock.advance(15)  # the cached token now has 115 s left
        summary = http.post("/_sim/recall/poll").json()
        assert summary["rejected"] == 1
        [call] = http.get("/_sim/recall/journal", params={"purpose": "poll"}).json()["calls"]
        assert call["failed_rules"] == ["contract.min-validity-120s"]


def test_health_lists_recall_and_the_app_lifespan_runs_the_poller(
    sim: Simulator, served: str
) -> None:
    with httpx.Client(base_url=served) as http:
        assert "recall" in http.get("/_sim/health").json()["components"]
        assert http.get("/_sim/recall/state").json()["polling"] is True
    assert sim.recall.polling


def test_the_simulator_reset_resets_the_fake_recall_too(sim: Simulator, served: str) -> None:
    sim.recall.create_app(client_id="any")
    with httpx.Client(base_url=served, headers={"Authorization": f"Token {KEY}"}) as http:
        assert len(http.get("/api/v2/zoom-oauth-apps/").json()["results"]) == 1
        assert http.post("/_sim/reset").status_code == 200
        assert http.get("/api/v2/zoom-oauth-apps/").json()["results"] == []
        # The key survives the reset: clients keep working.
        assert http.get("/api/v2/zoom-oauth-apps/").status_code == 200


def test_the_recall_api_keeps_drf_errors_inside_the_simulator(served: str) -> None:
    with httpx.Client(base_url=served) as http:
        assert http.get("/api/v2/zoom-oauth-apps/").json() == {
            "detail": "Authentication credentials were not provided."
        }
        assert http.get("/api/v2/nothing-here/").json() == {"detail": "Not found."}
        schema = http.get("/api/v2/openapi.json").json()
        assert "/zoom-oauth-credentials/{id}/access-token/" in schema["paths"]
