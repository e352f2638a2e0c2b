"""The judge: every answer rule fails on a broken answer and passes on a good one."""

from __future__ import annotations

import json
import re

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
    deadline: float = 5.0,
) -> Observation:
    return Observation(
        url=url,
        started_at=NOW,
        deadline=deadline,
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
        ("e.abc.def", "not base64url"),  # only token characters, yet no JWT
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


# -- no misleading verdict (issue 11) -----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("\ufeff" + token(), "U+FEFF (ZERO WIDTH NO-BREAK SPACE) at byte offset 0"),
        (token()[:30] + "\u200b" + token()[30:], "U+200B (ZERO WIDTH SPACE) at byte offset 30"),
        ("\u00a0" + token() + "\u00a0", "U+00A0 (NO-BREAK SPACE) at byte offset 0"),
        (token() + "\x00", "U+0000 (NUL)"),
        ("\x1b[0m" + token(), "U+001B (a control character) at byte offset 0"),
        (token() + "\u2028", "U+2028 (LINE SEPARATOR)"),
        ("eyJ!!!.@@@@.####", "U+0021 (EXCLAMATION MARK) at byte offset 3"),
        (token()[:10] + "+" + token()[10:], "U+002B (PLUS SIGN) at byte offset 10"),
        (token()[:10] + "\t" + token()[10:], "U+0009 (TAB) at byte offset 10"),
        ("é" + token(), "U+00E9 (LATIN SMALL LETTER E WITH ACUTE) at byte offset 0"),
        ("  " + token()[:5] + "é", "at byte offset 7"),  # offsets count bytes, whitespace too
    ],
)
def test_a_token_body_holds_only_token_characters_and_names_any_other(body: str, named: str):
    result = judge(observation(body), clock=VirtualClock(start=NOW, frozen=True))
    verdict = result.verdict("contract.plain-token-body")
    assert verdict.outcome is Outcome.FAIL
    assert named in verdict.detail
    # The JWT rule is not reached, so it cannot blame the header's base64.
    jwt_rule = result.verdict("contract.jwt-access-token")
    assert jwt_rule.outcome is Outcome.SKIP
    assert "contract.plain-token-body" in jwt_rule.detail


def test_a_bom_body_fix_hint_names_the_byte_order_mark():
    verdict = judge(observation("\ufeff" + token())).verdict("contract.plain-token-body")
    assert "byte order mark" in verdict.fix


def test_surrounding_ascii_whitespace_still_only_warns():
    verdict = judge(observation(" \t\r\n" + token() + "\r\n")).verdict("contract.plain-token-body")
    assert verdict.outcome is Outcome.WARN


def test_the_budget_graded_is_recalls_5s_however_long_the_prober_waited():
    # A 6 s answer seen because the prober waited up to 10 s (probe --deadline 10).
    late = observation(token(), total=6.0, deadline=10.0)
    verdict = judge(late, clock=VirtualClock(start=NOW, frozen=True)).verdict(
        "contract.deadline-5s"
    )
    assert verdict.outcome is Outcome.FAIL
    assert "6.00 s" in verdict.detail and "gives up at 5 s" in verdict.detail


def test_an_answer_cut_after_a_longer_wait_fails_against_5s():
    cut = observation(
        status=None,
        total=10.0,
        deadline=10.0,
        error=ProbeFailure(ErrorKind.DEADLINE_BEFORE_HEADERS, "no response headers within 10 s"),
    )
    verdict = judge(cut).verdict("contract.deadline-5s")
    assert verdict.outcome is Outcome.FAIL
    assert "Recall's 5 s budget" in verdict.detail


def test_a_wait_shorter_than_the_budget_cannot_fail_the_deadline_rule():
    # probe --deadline 1 against a 2 s answer: Recall would have had it; nobody knows yet.
    cut = observation(
        status=None,
        total=1.0,
        deadline=1.0,
        error=ProbeFailure(ErrorKind.DEADLINE_BEFORE_HEADERS, "no response headers within 1 s"),
    )
    verdict = judge(cut).verdict("contract.deadline-5s")
    assert verdict.outcome is Outcome.SKIP
    assert "wait at least 5 s" in verdict.detail


def test_a_simulated_recall_grades_against_its_own_budget():
    # The fake Recall's callback_deadline setting is its budget (short in tests).
    cut = observation(
        status=None,
        total=1.5,
        deadline=1.5,
        error=ProbeFailure(ErrorKind.DEADLINE_BEFORE_HEADERS, "no response headers within 1.5 s"),
    )
    result = judge(cut, budget=1.5)
    assert result.verdict("contract.deadline-5s").outcome is Outcome.FAIL
    assert result.budget == 1.5
    assert (
        judge(observation(token(), total=1.6), budget=1.5).verdict("contract.deadline-5s").outcome
        is Outcome.FAIL
    )


def test_a_missing_cache_control_header_reads_as_words_not_none():
    verdict = judge(observation(token(), headers=(("content-type", "text/plain"),))).verdict(
        "hygiene.no-store"
    )
    assert verdict.outcome is Outcome.WARN
    assert verdict.detail.startswith("no Cache-Control header")
    assert "None" not in verdict.detail


def test_an_expired_token_says_how_long_ago():
    verdict = judge(observation(token(validity=-600)), clock=VirtualClock(start=NOW, frozen=True))
    assert "expired 600 s ago" in verdict.verdict("contract.min-validity-120s").detail


# Python reprs leaking into a sentence: None, bytes literals, a quoted value ('zm:cid:x').
# Quoting a literal the reader must type ('Bearer', '-', '_' and '.') is wording, not a repr.
_REPR = re.compile(r"\bNone\b|\bb'|\bb\"|bytearray\(|(?<![A-Za-z])'[^'\s]+'(?![A-Za-z])")
_QUOTED_LITERALS = ("'Bearer'", "'Bearer '", "'-', '_' and '.'", "'utf-8-sig'", "'exp'")

BROKEN_ANSWERS = [
    observation("x", status=500, headers=()),
    observation(status=None, error=ProbeFailure(ErrorKind.CONNECTION_REFUSED, "refused")),
    observation(status=302, headers=()),
    observation(status=302, headers=(("location", ""),)),
    observation(b""),
    observation(b"\xff\xfe token"),
    observation(json.dumps({"access_token": token(), "expires_in": 3599})),
    observation(json.dumps(token())),
    observation("Bearer " + token()),
    observation("\ufeff" + token(), headers=()),
    observation(token(), headers=(("content-type", ""), ("cache-control", ""))),
    observation(token(), headers=(("content-type", "application/json"),)),
    observation(token(token_type=REFRESH)),
    observation(token(client_id=OTHER_CLIENT_ID, user_id=OTHER_USER_ID), total=3.0),
    observation(token(validity=-5), url="http://callback.example/cb"),
    observation(token(validity=130)),
    observation(jwt_with_payload(b'{"uid": "u"}')),
    observation(jwt_with_payload(b"[1, 2]")),
    observation(token(), total=6.0, deadline=10.0),
]


@pytest.mark.parametrize("obs", BROKEN_ANSWERS)
def test_verdict_details_and_fixes_hold_no_python_reprs(obs: Observation):
    result = judge(
        obs,
        client_id=CLIENT_ID,
        expected_user_id=USER_ID,
        clock=VirtualClock(start=NOW, frozen=True),
    )
    for verdict in result.verdicts:
        for text in (verdict.detail, verdict.fix):
            for literal in _QUOTED_LITERALS:
                text = text.replace(literal, "")
            assert not _REPR.search(text), f"{verdict.rule}: {verdict.detail}"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b'{"exp": "tomorrow"}', 'the JSON string "tomorrow", not a number'),
        (b'{"exp": true}', "the JSON boolean true, not a number"),
        (b'{"exp": null}', "is null, not a number"),
        (b"[1, 2]", "payload is a JSON array, not an object"),
    ],
)
def test_token_decode_errors_name_json_types_not_python_reprs(payload: bytes, words: str):
    verdict = judge(observation(jwt_with_payload(payload))).verdict("contract.jwt-access-token")
    assert verdict.outcome is Outcome.FAIL
    assert words in verdict.detail
    assert not _REPR.search(verdict.detail.replace("'exp'", ""))
