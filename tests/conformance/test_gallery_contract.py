"""Every answer-rule breakage in the callback gallery fails (or warns) its rule in the suite."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from recall_sim.conformance.report import Report
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.serving import ThreadedServer
from tests.conformance.conftest import verdict
from tests.support.tokens import CLIENT_ID

Run = Callable[..., Report]


@pytest.mark.parametrize(
    ("path", "rule_id", "outcome"),
    [
        ("/json", "contract.plain-token-body", Outcome.FAIL),
        ("/quoted", "contract.plain-token-body", Outcome.FAIL),
        ("/bearer", "contract.plain-token-body", Outcome.FAIL),
        ("/html", "contract.plain-token-body", Outcome.FAIL),
        ("/two-lines", "contract.plain-token-body", Outcome.FAIL),
        ("/empty", "contract.plain-token-body", Outcome.FAIL),
        ("/bom", "contract.plain-token-body", Outcome.FAIL),
        ("/whitespace", "contract.plain-token-body", Outcome.WARN),
        ("/refresh-token", "contract.jwt-access-token", Outcome.FAIL),
        ("/not-jwt", "contract.jwt-access-token", Outcome.FAIL),
        ("/wrong-issuer", "contract.issuer-client-id", Outcome.FAIL),
        ("/good?validity=100", "contract.min-validity-120s", Outcome.FAIL),
        ("/good?validity=140", "contract.min-validity-120s", Outcome.WARN),
        ("/good?uid=someoneElse0123456789ab", "contract.expected-user", Outcome.FAIL),
        ("/redirect", "contract.no-redirect", Outcome.FAIL),
        ("/status?code=500", "contract.status-2xx", Outcome.FAIL),
        ("/json-content-type", "contract.content-type", Outcome.WARN),
        ("/no-cache-header", "hygiene.no-store", Outcome.WARN),
    ],
)
def test_broken_answer_is_graded_by_its_rule(
    path: str, rule_id: str, outcome: Outcome, callback_server: ThreadedServer, run_suite: Run
):
    report = run_suite(
        callback_server.url + path,
        client_id=CLIENT_ID,
        expect_user_id="uSeR0123456789abcdefgh",
        rules=("contract", "hygiene.https", "hygiene.no-store"),
    )
    graded = verdict(report, rule_id)
    assert graded.outcome is outcome, graded.detail
    if outcome is Outcome.FAIL:
        assert report.exit_code(strict=False) == 1
    else:
        assert report.exit_code(strict=False) == 0
        assert report.exit_code(strict=True) == 1


def test_a_bom_before_the_token_is_named_and_not_blamed_on_the_jwt(
    callback_server: ThreadedServer, run_suite: Run
):
    report = run_suite(callback_server.url + "/bom", rules=("contract",))
    body = verdict(report, "contract.plain-token-body")
    assert body.outcome is Outcome.FAIL
    assert "U+FEFF" in body.detail and "byte offset 0" in body.detail
    jwt_rule = verdict(report, "contract.jwt-access-token")
    assert jwt_rule.outcome is Outcome.SKIP  # not "header is not base64url"
    assert "base64url" not in jwt_rule.detail


@pytest.mark.slow
def test_slow_and_dripping_answers_fail_the_deadline(
    callback_server: ThreadedServer, run_suite: Run
):
    for path in ("/slow?delay=6", "/drip?seconds=7"):
        report = run_suite(callback_server.url + path, rules=("contract.deadline-5s",))
        graded = verdict(report, "contract.deadline-5s")
        assert graded.outcome is Outcome.FAIL, graded.detail
        assert "gave up at 5.0" in graded.detail
