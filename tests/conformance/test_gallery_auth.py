"""The gallery: each deliberately flawed callback is graded by the rule it breaks, and the
well-built one passes every rule it can be graded on without the fake Zoom."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from recall_sim.conformance.report import Report
from recall_sim.simulator.kinds import TokenKind, applies
from recall_sim.simulator.rules import Outcome
from tests.conformance.conftest import SIGNING_SECRET, outcomes, verdict
from tests.support.flawed_callback import SECRETS, callback_url
from tests.support.tokens import CLIENT_ID, OTHER_USER_ID, USER_ID

Serve = Callable[..., str]
Run = Callable[..., Report]


def full_options(base: str, flaw: str | None = None) -> dict[str, object]:
    return {
        "client_id": CLIENT_ID,
        "expect_user_id": USER_ID,
        "other_user_url": callback_url(base, OTHER_USER_ID, flaw),
    }


def test_good_callback_passes_every_rule_but_https_and_freshness(
    serve_flawed: Serve, run_suite: Run
):
    base = serve_flawed(None, signing_secret=SIGNING_SECRET)
    report = run_suite(callback_url(base), signing_secret=SIGNING_SECRET, **full_options(base))
    graded = outcomes(report)
    # Without --zoom-admin: the freshness rules and contract.token-live skip.
    freshness = {r for r in graded if r.startswith("freshness.")} | {"contract.token-live"}
    # And the rules of the other token kinds (SPEC §7): this is an access-token callback.
    freshness |= {r for r in graded if not applies(r, TokenKind.ACCESS_TOKEN)}
    assert {r for r, o in graded.items() if o is Outcome.SKIP} == freshness
    assert {r for r, o in graded.items() if o is Outcome.WARN} == {"hygiene.https"}
    assert not [r for r, o in graded.items() if o is Outcome.FAIL]
    assert report.exit_code(strict=False) == 0
    assert report.exit_code(strict=True) == 1  # the http:// warning
    text = json.dumps(report.to_json())
    for secret in SECRETS.values():
        assert secret not in text


@pytest.mark.parametrize(
    ("flaw", "rule_id", "outcome", "words"),
    [
        ("no-auth", "auth.rejects-missing-credential", Outcome.FAIL, "still got a token"),
        ("prefix-auth", "auth.rejects-wrong-credential", Outcome.FAIL, "prefix"),
        ("case-insensitive", "auth.rejects-wrong-credential", Outcome.FAIL, "case"),
        ("normalizing", "auth.rejects-wrong-credential", Outcome.FAIL, "variant"),
        ("leaky-401", "auth.no-token-in-rejection", Outcome.FAIL, "JWT in the body"),
        ("stack-trace-500", "hygiene.no-error-internals", Outcome.WARN, "Traceback"),
        ("same-token-all-users", "isolation.distinct-users", Outcome.FAIL, "same token"),
        ("shared-secret", "isolation.per-user-secret", Outcome.WARN, "same secret"),
        ("secret-not-bound-to-user", "isolation.per-user-secret", Outcome.FAIL, "not checked"),
        ("fails-under-concurrency", "load.burst", Outcome.FAIL, "concurrent requests failed"),
    ],
)
def test_flawed_callback_is_graded_by_its_rule(
    flaw: str, rule_id: str, outcome: Outcome, words: str, serve_flawed: Serve, run_suite: Run
):
    base = serve_flawed(flaw)
    group = rule_id.split(".")[0]
    rules = (group, "auth") if group != "auth" else (group,)
    report = run_suite(callback_url(base, flaw=flaw), rules=rules, **full_options(base, flaw))
    graded = verdict(report, rule_id)
    assert graded.outcome is outcome, graded.detail
    assert words in graded.detail
    if outcome is Outcome.FAIL:
        assert report.exit_code(strict=False) == 1
        assert graded.reproduce and "curl" in graded.reproduce


@pytest.mark.parametrize(
    ("flaw", "rule_id"),
    [
        ("no-signature-check", "auth.signature-required"),
        ("stale-signature-ok", "auth.signature-freshness"),
    ],
)
def test_signature_flaws_fail_their_rule(
    flaw: str, rule_id: str, serve_flawed: Serve, run_suite: Run
):
    base = serve_flawed(flaw, signing_secret=SIGNING_SECRET)
    report = run_suite(callback_url(base), signing_secret=SIGNING_SECRET, rules=("auth",))
    graded = verdict(report, rule_id)
    assert graded.outcome is Outcome.FAIL, graded.detail
    assert SIGNING_SECRET not in json.dumps(report.to_json())


def test_wrong_credential_failure_is_shrunk_and_replayable_by_seed(
    serve_flawed: Serve, run_suite: Run
):
    base = serve_flawed("prefix-auth")
    url = callback_url(base, flaw="prefix-auth")
    first = verdict(
        run_suite(url, rules=("auth.rejects-wrong-credential",), seed=7),
        "auth.rejects-wrong-credential",
    )
    again = verdict(
        run_suite(url, rules=("auth.rejects-wrong-credential",), seed=7),
        "auth.rejects-wrong-credential",
    )
    assert first.outcome is Outcome.FAIL
    assert first.detail == again.detail  # the same seed finds the same smallest mutation
    assert first.evidence["seed"] == 7
    assert "--seed 7" in (first.reproduce or "")
    assert SECRETS[USER_ID] not in json.dumps(first.to_json())


def test_secret_parts_are_found_by_dropping_parts_and_overridable(
    serve_flawed: Serve, run_suite: Run
):
    base = serve_flawed(None, secret_param="k")  # a name that does not look like a secret
    url = callback_url(base, secret_param="k") + "&lang=en"
    report = run_suite(url, rules=("auth.rejects-missing-credential",))
    graded = verdict(report, "auth.rejects-missing-credential")
    assert graded.outcome is Outcome.PASS, graded.detail
    parts = graded.evidence["secret_parts"]
    assert 'query parameter "k" (needed for a token)' in parts
    assert 'query parameter "user-id" (needed for a token)' in parts
    assert "lang" not in parts
    named = run_suite(url, rules=("auth.rejects-missing-credential",), secret_params=("k",))
    parts = verdict(named, "auth.rejects-missing-credential").evidence["secret_parts"]
    assert parts.startswith('credential parts: query parameter "k" (named by --secret-param)')
