"""Freshness rules against the fake Zoom: a callback that refreshes right passes them, and
each classic refresh bug fails its rule. Tokens live 130 s, as in the README's recipe."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from recall_sim.conformance.report import Report
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.testing import RunningSimulator, running_simulator
from recall_sim.simulator.zoom import ZoomSettings
from tests.conformance.conftest import outcomes, verdict
from tests.support.refreshing_callback import RefreshingCallback

pytestmark = pytest.mark.slow

LIFETIME = 130
WINDOW = 14.0

ServeRefreshing = Callable[..., str]


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(zoom_settings=ZoomSettings(access_token_lifetime=LIFETIME)) as running:
        yield running


@pytest.fixture
def serve_refreshing(sim: RunningSimulator) -> Iterator[ServeRefreshing]:
    servers: list[ThreadedServer] = []

    def start(flaw: str | None = None) -> str:
        callback, user_id = RefreshingCallback.seeded(sim, flaw=flaw)
        server = ThreadedServer(callback.app()).start()
        servers.append(server)
        return f"{server.url}/cb?user-id={user_id}"

    yield start
    for server in servers:
        server.stop()


def run_freshness(
    run_suite: Callable[..., Report], sim: RunningSimulator, url: str, *rules: str
) -> Report:
    return run_suite(
        url,
        rules=rules or ("freshness",),
        zoom_admin=sim.control_url + "/zoom",
        freshness_window=WINDOW,
        burst=15,
        client_id=sim.zoom.default_app.client_id,
    )


def test_well_built_callback_passes_every_freshness_rule(
    sim: RunningSimulator, serve_refreshing: ServeRefreshing, run_suite: Callable[..., Report]
):
    report = run_freshness(run_suite, sim, serve_refreshing())
    graded = outcomes(report)
    assert graded == {
        "freshness.refresh-before-expiry": Outcome.PASS,
        "freshness.concurrent-refresh": Outcome.PASS,
        "freshness.upstream-failure": Outcome.PASS,
        "freshness.deauthorized-user": Outcome.PASS,  # last: it revokes the user's grant
    }, [r.detail for r in report.results]
    assert sim.zoom.refresh_token_reuses() == []


def test_caching_until_expiry_fails_refresh_before_expiry(
    sim: RunningSimulator, serve_refreshing: ServeRefreshing, run_suite: Callable[..., Report]
):
    report = run_freshness(
        run_suite, sim, serve_refreshing("caches-until-expiry"), "freshness.refresh-before-expiry"
    )
    graded = verdict(report, "freshness.refresh-before-expiry")
    assert graded.outcome is Outcome.FAIL, graded.detail
    assert "contract.min-validity-120s" in graded.detail


def test_racing_refresh_fails_concurrent_refresh(
    sim: RunningSimulator, serve_refreshing: ServeRefreshing, run_suite: Callable[..., Report]
):
    report = run_freshness(
        run_suite, sim, serve_refreshing("races-on-refresh"), "freshness.concurrent-refresh"
    )
    graded = verdict(report, "freshness.concurrent-refresh")
    assert graded.outcome is Outcome.FAIL, graded.detail
    assert "reuse" in graded.detail
    assert graded.evidence["refresh_token_reuses"] >= 1


@pytest.mark.parametrize(
    ("flaw", "words"),
    [("empty-200-on-failure", "contract.plain-token-body"), ("no-timeout", "contract.deadline-5s")],
)
def test_bad_answers_under_upstream_failure_fail(
    flaw: str,
    words: str,
    sim: RunningSimulator,
    serve_refreshing: ServeRefreshing,
    run_suite: Callable[..., Report],
):
    report = run_freshness(run_suite, sim, serve_refreshing(flaw), "freshness.upstream-failure")
    graded = verdict(report, "freshness.upstream-failure")
    assert graded.outcome is Outcome.FAIL, graded.detail
    assert words in graded.detail
    assert sim.zoom.faults() == []  # the rule always clears the faults it injected


def test_long_lived_tokens_skip_with_the_recipe(
    sim: RunningSimulator, serve_refreshing: ServeRefreshing, run_suite: Callable[..., Report]
):
    sim.zoom.configure(access_token_lifetime=3600)
    report = run_freshness(run_suite, sim, serve_refreshing(), "freshness.refresh-before-expiry")
    graded = verdict(report, "freshness.refresh-before-expiry")
    assert graded.outcome is Outcome.SKIP
    assert "--zoom-token-lifetime 130" in graded.detail
