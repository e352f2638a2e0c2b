"""The causes gallery (SPEC §8, issue 12): each deliberately broken callback, run against the
fake Zoom, makes the report lead with its cause, that cause's fix, and the failed rules it
explains; correct callbacks, the reference among them, get no cause.

Each test has its own simulator and callback on free ports (parallel-safe), and runs only
the rules that show its cause, with windows of seconds. Token lifetimes are scaled down
with the fake Zoom's setting, so that "stale after N minutes" happens after N seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from examples.reference_callback import Service, create_app
from recall_sim.conformance.api import check
from recall_sim.conformance.config import CheckConfig
from recall_sim.conformance.report import Report
from recall_sim.simulator.causes import CAUSES, CauseId
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.testing import RunningSimulator, running_simulator
from tests.conformance.conftest import SIGNING_SECRET, verdict
from tests.examples.conftest import Clock, Reference, reference_settings
from tests.support.cause_callbacks import (
    MisnamedFieldCallback,
    SlowAtRandomCallback,
    SlowInlineRefreshCallback,
    TimerRefreshCallback,
)
from tests.support.flawed_callback import FlawedCallback, callback_url
from tests.support.refreshing_callback import RefreshingCallback, Tokens
from tests.support.tokens import CLIENT_ID

Serve = Callable[[Starlette], str]


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with running_simulator() as running:
        yield running


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Serve an app on a free port; its base URL. Stopped after the test."""
    servers: list[ThreadedServer] = []

    def start(app: Starlette) -> str:
        server = ThreadedServer(app).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def seeded(sim: RunningSimulator, lifetime: int, client_id: str | None = None) -> dict[str, Any]:
    """A callback's start: tokens of ``lifetime`` seconds, just issued, and the app's keys."""
    sim.zoom.configure(access_token_lifetime=lifetime)
    app = sim.zoom.app(client_id) if client_id else sim.zoom.default_app
    assert app is not None
    grant = sim.zoom.issue_tokens(client_id=app.client_id)
    tokens = Tokens(grant.access_token, grant.refresh_token, time.time() + grant.expires_in)
    return {
        "oauth_base": sim.zoom_oauth_base,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "tokens": {grant.user_id: tokens},
    }


def user_url(base: str, options: dict[str, Any]) -> str:
    (user_id,) = options["tokens"]
    return f"{base}/cb?user-id={user_id}"


def run(sim: RunningSimulator, url: str, *rules: str, **options: Any) -> Report:
    """The suite through `conformance.api.check`, with the fake Zoom's admin, on these rules."""
    settings: dict[str, Any] = {
        "zoom_admin": sim.control_url + "/zoom",
        "client_id": sim.zoom.default_app.client_id,
        "burst": 12,
        "fuzz_examples": 20,
        "seed": 12345,
        "rules": rules,
        **options,
    }
    return check(CheckConfig(url=url, **settings))


def shown(report: Report) -> str:
    """What a failed assertion prints: the causes, notes and every verdict."""
    return json.dumps(
        {
            "causes": [c.to_json() for c in report.causes],
            "notes": report.notes,
            "results": [(r.rule, r.outcome.value, r.detail) for r in report.results],
        },
        indent=1,
        default=str,
    )


def assert_leads(report: Report, cause: CauseId, *rules: str) -> None:
    """The report names ``cause`` first, with its catalog fix and the failed ``rules``."""
    assert report.causes, shown(report)
    first = report.causes[0]
    assert first.cause is cause, shown(report)
    assert first.fix == CAUSES[cause].fix
    failed = {r.rule for r in report.results if r.outcome in (Outcome.FAIL, Outcome.WARN)}
    for rule in rules:
        assert rule in failed, shown(report)
        assert rule in first.rules, shown(report)
    # It explains only what this run saw fail or warn: a rule, or a call the rules made.
    calls = report.timeline.calls
    seen = failed | {rule for call in calls for rule in (*call.failed_rules, *call.warned_rules)}
    assert set(first.rules) <= seen, shown(report)
    # Once, at the top of the JSON report and of the terminal text, with the same fix.
    document = report.to_json()
    assert document["causes"][0]["cause"] == cause.value
    assert document["causes"][0]["fix"] == CAUSES[cause].fix
    assert [c["cause"] for c in document["causes"]].count(cause.value) == 1
    assert report.causes_text().startswith(f"CAUSE {cause.value} — {CAUSES[cause].title}")


def assert_no_cause(report: Report) -> None:
    assert report.causes == [], shown(report)
    assert report.to_json()["causes"] == []
    assert not [r for r in report.results if r.outcome is Outcome.FAIL], shown(report)


# -- the answer: fast, one call is enough -------------------------------------------------


def test_signatures_required_but_not_passed(serve: Serve, sim: RunningSimulator) -> None:
    base = serve(FlawedCallback(signing_secret=SIGNING_SECRET).app())
    report = run(sim, callback_url(base), "contract", client_id=CLIENT_ID)
    assert_leads(report, CauseId.SIGNATURE_REQUIRED, "contract.status-2xx")
    # With the secret, the same callback gets no cause: the run was the problem.
    signed = run(
        sim, callback_url(base), "contract", signing_secret=SIGNING_SECRET, client_id=CLIENT_ID
    )
    assert signed.causes == [], shown(signed)


def test_the_wrong_client_id(serve: Serve, sim: RunningSimulator) -> None:
    other = sim.zoom.register_app(name="another app")
    options = seeded(sim, 3600, client_id=other.client_id)
    base = serve(RefreshingCallback(**options).app())
    report = run(sim, user_url(base, options), "contract")
    assert_leads(report, CauseId.WRONG_APP, "contract.issuer-client-id")
    assert other.client_id in report.causes[0].detail


# -- refreshes that fail -------------------------------------------------------------------


@pytest.mark.slow
def test_a_misnamed_refresh_token_field(serve: Serve, sim: RunningSimulator) -> None:
    options = seeded(sim, 130)
    callback = MisnamedFieldCallback(margin=128, **options)  # a refresh is due after 2 s
    base = serve(callback.app())
    report = run(
        sim,
        user_url(base, options),
        "contract",
        "freshness.refresh-before-expiry",
        freshness_window=8,
    )
    assert_leads(report, CauseId.REFRESH_FAILED, "freshness.refresh-before-expiry")
    cause = report.causes[0]
    assert "401" in cause.detail  # what the callback answered afterwards
    assert "Missing refresh_token" in cause.detail  # what Zoom said
    assert cause.evidence.get("zoom_seq"), shown(report)


@pytest.mark.slow
def test_an_empty_200_after_a_failed_refresh(serve: Serve, sim: RunningSimulator) -> None:
    options = seeded(sim, 125)  # a cached token outlives the outage by 5 s at most
    base = serve(RefreshingCallback(flaw="empty-200-on-failure", **options).app())
    report = run(sim, user_url(base, options), "contract", "freshness.upstream-failure")
    assert_leads(report, CauseId.EMPTY_SUCCESS, "freshness.upstream-failure")
    graded = verdict(report, "freshness.upstream-failure")
    assert graded.detail.startswith("while Zoom answering 500: contract.plain-token-body")
    # It kept calling after the first empty 200, still under the fault, to see what came next.
    upstream = [c for c in report.timeline.calls if c.label == "freshness.upstream-failure"]
    empties = [c for c in upstream if c.body_kind == "empty" and c.status == 200]
    assert len(empties) >= 2, shown(report)
    assert sim.zoom.faults() == []


@pytest.mark.slow
def test_a_refresh_race(serve: Serve, sim: RunningSimulator) -> None:
    options = seeded(sim, 130)  # under the 300 s margin: every call refreshes
    base = serve(RefreshingCallback(flaw="races-on-refresh", **options).app())
    report = run(sim, user_url(base, options), "freshness.concurrent-refresh", "load.burst")
    assert_leads(report, CauseId.REFRESH_RACE, "freshness.concurrent-refresh")
    assert report.causes[0].evidence.get("zoom_seq"), shown(report)


# -- refreshes that come late, or never --------------------------------------------------


@pytest.mark.slow
def test_a_cache_that_is_never_refreshed(serve: Serve, sim: RunningSimulator) -> None:
    options = seeded(sim, 125)  # under 120 s after 5 s
    base = serve(RefreshingCallback(flaw="caches-until-expiry", **options).app())
    report = run(
        sim,
        user_url(base, options),
        "freshness.refresh-before-expiry",
        "load.burst",
        freshness_window=10,
    )
    assert_leads(
        report,
        CauseId.CACHED_PAST_EXPIRY,
        "freshness.refresh-before-expiry",
        "load.burst",
    )
    assert not sim.zoom.journal(kind="refresh")  # the evidence: nothing reached Zoom
    # The rule kept observing after its first stale token, up to its window.
    refresh = verdict(report, "freshness.refresh-before-expiry")
    assert refresh.detail.split(": ", 1)[1].startswith("contract.min-validity-120s")
    assert refresh.evidence["calls_observed"] > refresh.evidence["calls"]
    assert refresh.evidence["failed_calls"] >= 2
    # load.burst says what failed, and does not blame concurrency (the cause says why).
    burst = verdict(report, "load.burst")
    assert "failed only contract.min-validity-120s" in burst.fix
    assert "concurren" not in burst.fix.replace("not about concurrent calls", "")
    assert burst.to_json()["fix"] == burst.fix


@pytest.mark.slow
def test_a_refresh_timer(serve: Serve, sim: RunningSimulator) -> None:
    # Recall's sample refreshes every 20 minutes while the recipe's tokens live 130 s, so
    # each is served expired until the timer fires. Scaled down: every 4 s, 2 s tokens.
    options = seeded(sim, 2)
    base = serve(TimerRefreshCallback(period=4.0, **options).app())
    report = run(
        sim,
        user_url(base, options),
        "freshness.refresh-before-expiry",
        "load.burst",
        freshness_window=14,
    )
    assert_leads(report, CauseId.REFRESH_TIMER, "freshness.refresh-before-expiry", "load.burst")
    period = report.causes[0].evidence.get("period_s")
    assert period is not None and abs(period - 4.0) < 0.5, shown(report)
    assert "every 4" in report.causes[0].detail  # the period is shown


# -- answers that are slow ---------------------------------------------------------------


@pytest.mark.slow
def test_slow_at_random(serve: Serve, sim: RunningSimulator) -> None:
    options = seeded(sim, 3600)  # no refresh is due: slowness has nothing to do with Zoom
    callback = SlowAtRandomCallback(share=0.3, delay=(4.0, 6.0), seed=7, **options)
    base = serve(callback.app())
    report = run(sim, user_url(base, options), "contract.deadline-5s", "load.burst", burst=20)
    assert_leads(report, CauseId.SLOW_AT_RANDOM, "load.burst")
    assert not sim.zoom.journal(kind="refresh")
    assert "concurren" not in verdict(report, "load.burst").fix


@pytest.mark.slow
def test_slow_only_while_refreshing_inline(serve: Serve, sim: RunningSimulator) -> None:
    options = seeded(sim, 130)
    # A refresh is due 2 s after each token is issued, and every refresh takes 5.5 s.
    callback = SlowInlineRefreshCallback(refresh_delay=5.5, margin=128, **options)
    base = serve(callback.app())
    report = run(
        sim, user_url(base, options), "freshness.refresh-before-expiry", freshness_window=12
    )
    assert_leads(report, CauseId.SLOW_REFRESH_INLINE, "freshness.refresh-before-expiry")
    assert "within 5 s" in verdict(report, "freshness.refresh-before-expiry").detail


# -- correct callbacks: no cause ---------------------------------------------------------


@pytest.mark.slow
def test_a_callback_that_refreshes_right_has_no_cause(serve: Serve, sim: RunningSimulator) -> None:
    options = seeded(sim, 125)  # an outage outlasts a cached token after 5 s
    base = serve(RefreshingCallback(**options).app())
    report = run(
        sim, user_url(base, options), "contract", "freshness", "load.burst", freshness_window=8
    )
    assert_no_cause(report)
    assert verdict(report, "freshness.upstream-failure").outcome is Outcome.PASS
    timeline = report.timeline
    assert timeline.zoom_observed and timeline.zoom_events
    assert {c.label for c in timeline.calls} >= {
        "baseline",
        "freshness.refresh-before-expiry",
        "freshness.concurrent-refresh",
        "freshness.upstream-failure",
        "load.burst",
    }


@pytest.mark.slow
def test_the_reference_callback_has_no_cause(sim: RunningSimulator, tmp_path: Path) -> None:
    sim.zoom.configure(access_token_lifetime=125)
    settings = reference_settings(sim, tmp_path / "reference.sqlite3")
    service = Service.build(settings, clock=Clock())
    port = int(settings.public_base_url.rsplit(":", 1)[1])
    server = ThreadedServer(create_app(settings, service=service), port=port).start()
    try:
        reference = Reference(settings, service, server, Clock())
        url = reference.callback_url(reference.connect("alice@example.com"))
        report = run(sim, url, "contract", "freshness", "load.burst", freshness_window=8)
    finally:
        server.stop()
    assert_no_cause(report)


# -- the texts the causes replace -------------------------------------------------------


@pytest.mark.slow
def test_upstream_failure_says_what_it_saw_when_the_refresh_fails_before_zoom(
    serve: Serve, sim: RunningSimulator
) -> None:
    options = seeded(sim, 125)  # due 2 s in; every token has run out 5 s in
    callback = MisnamedFieldCallback(margin=122, checks_locally=True, **options)
    base = serve(callback.app())
    report = run(sim, user_url(base, options), "freshness.upstream-failure")
    graded = verdict(report, "freshness.upstream-failure")
    assert graded.outcome is Outcome.SKIP, graded.detail
    assert "served cached tokens" not in graded.detail
    assert "x HTTP 401 without a token" in graded.detail
    assert "failed before any refresh reached Zoom" in graded.detail


def test_check_prints_the_causes_first_each_once_and_writes_them_to_json(
    serve: Serve, sim: RunningSimulator, tmp_path: Path
) -> None:
    """Through the CLI (and so the pytest plugin): causes, then failures, then the table."""
    base = serve(FlawedCallback(signing_secret=SIGNING_SECRET).app())
    report_path = tmp_path / "report.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "recall_sim",
            "check",
            callback_url(base),
            "--rule",
            "contract",
            "--report-json",
            str(report_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = completed.stdout
    assert completed.returncode == 1, out + completed.stderr
    cause = CauseId.SIGNATURE_REQUIRED.value
    assert out.count(f"CAUSE {cause}") == 1, out
    first_cause = out.index(f"CAUSE {cause}")
    assert first_cause < out.index("recall-sim: failures and warnings") < out.index("verdict")
    assert f"fix:   {CAUSES[CauseId.SIGNATURE_REQUIRED].fix}" in out
    assert "explains: contract.status-2xx" in out
    assert f"cause: {cause} (above)" in out  # the failed rule points back at it
    document = json.loads(report_path.read_text())
    assert document["causes"][0]["cause"] == cause
    assert set(document["causes"][0]) == {"cause", "title", "detail", "evidence", "fix", "rules"}
    assert document["timeline"]["calls"][0]["label"] == "baseline"
    assert document["timeline"]["zoom_observed"] is False
