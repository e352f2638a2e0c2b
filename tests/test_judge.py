"""The judge: every answer rule fails on a broken answer and passes on a good one."""

from __future__ import annotations

import json

import pytest

from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.judge import ANSWER_RULES, judge
from recall_sim.simulator.observation import ErrorKind, Observation, ProbeFailure, Timings
from recall_sim.simulator.rules import RULES, Outcome
from recall_sim.simulator.zoom_jwt import REFRESH
from tests.support.tokens import (
    CLIENT_ID,
    OTHER_CLIENT_ID,
    OTHER_USER_ID,
    USER_ID,
    jwt_with_payload,
    zoom_token,
)

NOW = 1_800_000_000.0
GOOD_HEADERS = (("content-type", "text/plain; charset=utf-8"), ("cache-control", "no-store"))


def observation(
    body: bytes | str = b"",
    *,
    status: int | None = 200,
    headers: tuple[tuple[str, str], ...] = GOOD_HEADERS,
    total: float = 0.05,
    url: str = "https://callback.example/zoom-token?user-id=1&auth_token=s3cret-value",
    error: ProbeFailure | None = None,
    truncated: bool = False,
) -> Observation:
    return Observation(
        url=url,
        started_at=NOW,
        deadline=5.0,
        timings=Timings(connect=0.001, first_byte=total / 2, total=total),
        status=status,
        headers=headers,
        body=body.encode() if isinstance(body, str) else body,
        body_truncated=truncated,
        error=error,
    )


def token(validity: float = 3600, **kwargs: object) -> str:
    return zoom_token(validity=validity, now=NOW, **kwargs)  # type: ignore[arg-type]


def grade(obs: Observation, rule_id: str, **kwargs: str) -> Outcome:
    clock = VirtualClock(start=NOW, frozen=True)
    return judge(obs, clock=clock, **kwargs).verdict(rule_id).outcome  # type: ignore[arg-type]


def test_good_answer_passes_every_answer_rule():
    clock = VirtualClock(start=NOW, frozen=True)
    result = judge(observation(token()), client_id=CLIENT_ID, expected_user_id=USER_ID, clock=clock)
    assert [v.rule for v in result.verdicts] == list(ANSWER_RULES)
    assert {v.rule: v.outcome for v in result.verdicts} == dict.fromkeys(ANSWER_RULES, Outcome.PASS)
    assert result.accepted
    assert result.claims is not None and result.claims.user_id == USER_ID
    assert result.remaining == pytest.approx(3600)


def test_every_answer_rule_is_in_the_catalog():
    assert set(ANSWER_RULES) <= set(RULES)


@pytest.mark.parametrize(
    ("obs", "rule_id"),
    [
        (observation("x", status=500), "contract.status-2xx"),
        (
            observation(status=None, error=ProbeFailure(ErrorKind.CONNECTION_REFUSED, "refused")),
            "contract.status-2xx",
        ),
        (observation(token(), total=5.2), "contract.deadline-5s"),
        (
            observation(
                token()[:100],
                total=5.0,
                error=ProbeFailure(ErrorKind.DEADLINE_DURING_BODY, "cut"),
            ),
            "contract.deadline-5s",
        ),
        (observation(status=302, headers=(("location", "/elsewhere"),)), "contract.no-redirect"),
        (observation(json.dumps({"access_token": token()})), "contract.plain-token-body"),
        (observation(json.dumps(token())), "contract.plain-token-body"),
        (observation("Bearer " + token()), "contract.plain-token-body"),
        (observation(f"<html>{token()}</html>"), "contract.plain-token-body"),
        (observation(token() + "\n" + token()), "contract.plain-token-body"),
        (observation(""), "contract.plain-token-body"),
        (observation(b"\xff\xfe token"), "contract.plain-token-body"),
        (observation("A" * 65536, truncated=True), "contract.plain-token-body"),
        (observation(token(token_type=REFRESH)), "contract.jwt-access-token"),
        (observation("opaque-not-a-jwt"), "contract.jwt-access-token"),
        (observation(token(client_id=OTHER_CLIENT_ID)), "contract.issuer-client-id"),
        (observation(token(validity=100)), "contract.min-validity-120s"),
        (observation(token(validity=-10)), "contract.min-validity-120s"),
        (observation(token(user_id=OTHER_USER_ID)), "contract.expected-user"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_broken_answers_fail_their_rule(obs: Observation, rule_id: str):
    outcome = grade(obs, rule_id, client_id=CLIENT_ID, expected_user_id=USER_ID)
    assert outcome is Outcome.FAIL


@pytest.mark.parametrize(
    ("obs", "rule_id"),
    [
        (observation(token(), total=2.6), "contract.deadline-5s"),
        (observation("  " + token() + "\n"), "contract.plain-token-body"),
        (observation(token(validity=140)), "contract.min-validity-120s"),
        (
            observation(token(), headers=(("content-type", "application/json"),)),
            "contract.content-type",
        ),
        (observation(token(), headers=(("content-type", "text/plain"),)), "hygiene.no-store"),
        (observation(token(), url="http://callback.example/cb"), "hygiene.https"),
    ],
)
def test_marginal_answers_warn(obs: Observation, rule_id: str):
    assert grade(obs, rule_id, client_id=CLIENT_ID) is Outcome.WARN


@pytest.mark.parametrize(
    ("validity", "outcome"),
    [(119, Outcome.FAIL), (121, Outcome.WARN), (149, Outcome.WARN), (151, Outcome.PASS)],
)
def test_validity_thresholds(validity: float, outcome: Outcome):
    assert grade(observation(token(validity=validity)), "contract.min-validity-120s") is outcome


@pytest.mark.parametrize(
    ("total", "outcome"),
    [(2.5, Outcome.PASS), (2.51, Outcome.WARN), (4.99, Outcome.WARN), (5.0, Outcome.FAIL)],
)
def test_deadline_thresholds(total: float, outcome: Outcome):
    assert grade(observation(token(), total=total), "contract.deadline-5s") is outcome


def test_validity_is_measured_on_the_injected_clock():
    obs = observation(token(validity=3600))
    later = VirtualClock(start=NOW + 3500, frozen=True)
    verdict = judge(obs, clock=later).verdict("contract.min-validity-120s")
    assert verdict.outcome is Outcome.FAIL
    assert "expires in 100 s" in verdict.detail
    assert "at least 120 s" in verdict.detail


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("eyJ!!!.@@@@.####", "not a decodable JWT"),
        (jwt_with_payload(b"not json"), "not a decodable JWT"),
        (jwt_with_payload(b'{"uid": "u"}'), "no 'exp' claim"),
        (jwt_with_payload(b'{"exp": "tomorrow"}'), "not a number"),
        (jwt_with_payload(b'{"exp": true}'), "not a number"),
        (jwt_with_payload(b"[1, 2]"), "not a decodable JWT"),
        (jwt_with_payload(b'{"exp": 1}' + b" " * 40000), "characters"),
        ("a.b", "three dot-separated parts"),
    ],
)
def test_malformed_jwts_get_a_clear_verdict(body: str, words: str):
    result = judge(observation(body), clock=VirtualClock(start=NOW, frozen=True))
    verdict = result.verdict("contract.jwt-access-token")
    assert verdict.outcome is Outcome.FAIL
    assert words in verdict.detail
    assert result.verdict("contract.min-validity-120s").outcome is Outcome.SKIP


def test_skips_say_what_would_exercise_the_rule():
    result = judge(observation(token()))
    issuer = result.verdict("contract.issuer-client-id")
    user = result.verdict("contract.expected-user")
    assert issuer.outcome is Outcome.SKIP and "--client-id" in issuer.detail
    assert user.outcome is Outcome.SKIP and "--expect-user-id" in user.detail


def test_unreachable_target_names_the_error_class():
    failure = ProbeFailure(ErrorKind.DNS_FAILURE, "host name did not resolve")
    verdict = judge(observation(status=None, error=failure)).verdict("contract.status-2xx")
    assert verdict.outcome is Outcome.FAIL
    assert "dns-failure" in verdict.detail


def test_evidence_never_holds_the_whole_token():
    secret_token = token()
    result = judge(observation(json.dumps({"access_token": secret_token})))
    for verdict in result.verdicts:
        assert secret_token not in json.dumps(verdict.as_dict(), default=str)
        assert secret_token[:100] not in json.dumps(verdict.as_dict(), default=str)
