"""``contract.token-live`` and ``freshness.deauthorized-user`` against the fake Zoom: a token
Zoom refuses fails, though it decodes and has time left; a callback that keeps serving its
cached token after the user removed the app fails; the reference callback passes both."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from recall_sim.conformance.report import Report
from recall_sim.simulator.redaction import fingerprint
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.testing import RunningSimulator, running_simulator
from tests.conformance.conftest import verdict
from tests.examples.conftest import StartReference, start_reference
from tests.support.refreshing_callback import RefreshingCallback

__all__ = ["start_reference"]  # the reference's fixture, used here too

pytestmark = pytest.mark.slow

RULES = ("contract.token-live", "freshness.deauthorized-user")
WINDOW = 6.0


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with running_simulator() as running:  # hour-long tokens: no refresh hides a dead one
        yield running


class _Cached:
    """Serves one token it was given, until it expires: never asks Zoom whether it still works."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def endpoint(self, request: Request) -> PlainTextResponse:
        return PlainTextResponse(self.token, headers={"Cache-Control": "no-store"})


@pytest.fixture
def serve() -> Iterator[Callable[[Starlette], str]]:
    servers: list[ThreadedServer] = []

    def start(app: Starlette) -> str:
        server = ThreadedServer(app).start()
        servers.append(server)
        return f"{server.url}/cb"

    yield start
    for server in servers:
        server.stop()


def _cached(serve: Callable[[Starlette], str], token: str) -> str:
    return serve(Starlette(routes=[Route("/cb", _Cached(token).endpoint)]))


def _run(
    run_suite: Callable[..., Report], sim: RunningSimulator, url: str, **options: object
) -> Report:
    given: dict[str, object] = {
        "rules": RULES,
        "zoom_admin": sim.control_url + "/zoom",
        "client_id": sim.zoom.default_app.client_id,
        "freshness_window": WINDOW,
    }
    return run_suite(url, **{**given, **options})


def test_without_the_zoom_admin_both_skip_saying_what_they_need(
    sim: RunningSimulator, serve: Callable[[Starlette], str], run_suite: Callable[..., Report]
):
    url = _cached(serve, sim.zoom.issue_tokens().access_token)
    report = run_suite(url, rules=RULES)
    for rule_id in RULES:
        graded = verdict(report, rule_id)
        assert graded.outcome is Outcome.SKIP, graded.detail
        assert "--zoom-admin" in graded.detail


def test_a_cached_token_served_after_deauthorization_fails_deauthorized_user(
    sim: RunningSimulator, serve: Callable[[Starlette], str], run_suite: Callable[..., Report]
):
    grant = sim.zoom.issue_tokens()
    report = _run(run_suite, sim, _cached(serve, grant.access_token))
    assert verdict(report, "contract.token-live").outcome is Outcome.PASS  # graded first
    graded = verdict(report, "freshness.deauthorized-user")
    assert graded.outcome is Outcome.FAIL, graded.detail
    assert "kept serving the dead token" in graded.detail
    assert fingerprint(grant.access_token) in graded.detail  # named, never shown
    assert grant.access_token not in str(report.results)
    assert "reconnect" in graded.detail
    assert not sim.zoom.token_status(grant.access_token).live


def test_a_token_minted_for_another_app_fails_token_live(
    sim: RunningSimulator, serve: Callable[[Starlette], str], run_suite: Callable[..., Report]
):
    other = sim.zoom.register_app(name="another app")
    token = sim.zoom.issue_tokens(client_id=other.client_id).access_token
    report = _run(run_suite, sim, _cached(serve, token), rules=("contract.token-live",))
    graded = verdict(report, "contract.token-live")
    assert graded.outcome is Outcome.FAIL, graded.detail
    assert other.client_id in graded.detail
    assert graded.evidence["live"] is True  # live, but for the wrong app


def test_a_revoked_token_fails_token_live_though_it_decodes_with_time_left(
    sim: RunningSimulator, serve: Callable[[Starlette], str], run_suite: Callable[..., Report]
):
    app = sim.zoom.default_app
    token = sim.zoom.issue_tokens().access_token
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    assert sim.zoom.revoke(authorization=f"Basic {basic}", params={"token": token})
    rules = ("contract.token-live", "contract.min-validity-120s")
    report = _run(run_suite, sim, _cached(serve, token), rules=rules)
    graded = verdict(report, "contract.token-live")
    assert graded.outcome is Outcome.FAIL, graded.detail
    assert "revoked" in graded.detail
    assert verdict(report, "contract.min-validity-120s").outcome is Outcome.PASS


def test_the_refreshing_callback_is_live_but_keeps_its_token_when_zoom_refuses_the_refresh(
    sim: RunningSimulator, serve: Callable[[Starlette], str], run_suite: Callable[..., Report]
):
    """The freshness gallery's good callback passes token-live. It learns of a removed app
    only from a refused refresh: with 130 s tokens it refreshes on every call and passes
    (test_gallery_freshness), but with hour-long tokens it never asks Zoom within the window
    and keeps serving the dead token, so it fails, naming it."""
    callback, user_id = RefreshingCallback.seeded(sim)
    served_token = callback.tokens[user_id].access_token
    url = serve(callback.app()) + f"?user-id={user_id}"
    report = _run(run_suite, sim, url)
    assert verdict(report, "contract.token-live").outcome is Outcome.PASS
    graded = verdict(report, "freshness.deauthorized-user")
    assert graded.outcome is Outcome.FAIL, graded.detail
    assert fingerprint(served_token) in graded.detail


def test_the_reference_callback_passes_both_and_answers_404_until_the_user_reconnects(
    sim: RunningSimulator, start_reference: StartReference, run_suite: Callable[..., Report]
):
    ref = start_reference()
    user_id = ref.connect("alice@example.com")
    url = ref.callback_url(user_id)
    report = _run(run_suite, sim, url, expect_user_id=user_id)
    for rule_id in RULES:
        graded = verdict(report, rule_id)
        assert graded.outcome is Outcome.PASS, (rule_id, graded.detail)
    assert "HTTP 404" in verdict(report, "freshness.deauthorized-user").detail
    answer = httpx.get(url, trust_env=False)
    assert (answer.status_code, answer.text) == (404, "zoom not connected")

    assert ref.connect("alice@example.com") == user_id  # the user reconnects: restored
    served = httpx.get(url, trust_env=False)
    assert served.status_code == 200
    assert sim.zoom.token_status(served.text).live
