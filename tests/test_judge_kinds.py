"""The judge for the other token kinds (SPEC §7): the access token's claim rules skip,
naming the kind, while the JWT is still decoded for the rules that compare tokens."""

from __future__ import annotations

import pytest

from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.judge import ANSWER_RULES, judge
from recall_sim.simulator.kinds import ACCESS_TOKEN_ONLY, TokenKind, applies, not_applicable
from recall_sim.simulator.rules import RULES, Outcome
from tests.test_judge import NOW, observation, token

CLAIM_RULES = sorted(ACCESS_TOKEN_ONLY & set(ANSWER_RULES))


@pytest.mark.parametrize("kind", [TokenKind.OBF, TokenKind.ZAK, TokenKind.JOIN_TOKEN])
def test_other_kinds_skip_the_claim_rules_but_keep_the_decoded_token(kind: TokenKind):
    body = token(validity=60)  # under the access token's floor: no matter for these kinds
    judged = judge(
        observation(body),
        client_id="another-app",
        expected_user_id="someone-else",
        clock=VirtualClock(start=NOW, frozen=True),
        kind=kind,
    )
    assert [v.rule for v in judged.verdicts] == list(ANSWER_RULES)
    for rule_id in CLAIM_RULES:
        verdict = judged.verdict(rule_id)
        assert verdict.outcome is Outcome.SKIP
        assert "is for the access-token kind" in verdict.detail
        assert f"--kind {kind.value}" in verdict.detail
    assert judged.accepted and judged.token == body
    assert judged.claims is not None and judged.claims.exp == NOW + 60
    deadline = judged.verdict("contract.deadline-5s")
    assert deadline.outcome is Outcome.PASS
    assert f"assumed for the {kind.value} kind" in deadline.detail
    assert deadline.evidence["budget_assumed"] is True


def test_the_access_token_kind_is_graded_as_before():
    judged = judge(observation(token(validity=60)), clock=VirtualClock(start=NOW, frozen=True))
    assert judged.verdict("contract.min-validity-120s").outcome is Outcome.FAIL
    assert "assumed" not in judged.verdict("contract.deadline-5s").detail


def test_every_rule_applies_to_some_kind_and_says_which_when_it_does_not():
    for rule_id in RULES:
        kinds = [k for k in TokenKind if applies(rule_id, k)]
        assert kinds, rule_id
        for kind in set(TokenKind) - set(kinds):
            reason = not_applicable(rule_id, kind)
            assert rule_id in reason and "--kind" in reason
