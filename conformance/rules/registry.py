"""Every rule id (SPEC §4, §6, §7) mapped to its check, in the order a run grades them.

A rule that does not grade the run's ``--kind`` (SPEC §7: the access token's claim and
freshness rules, another kind's own rules) is still reported, as a skip that names the
kind it is for, so every report (table, JSON, JUnit) holds one result per catalogued rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.conformance.rules import (
    auth,
    freshness,
    hygiene,
    isolation,
    kind_faults,
    kinds,
    liveness,
    load,
    signature,
    strength,
)
from recall_sim.conformance.rules.answer import answer_rule
from recall_sim.simulator.judge import ANSWER_RULES
from recall_sim.simulator.kinds import applies, not_applicable
from recall_sim.simulator.rules import RULES, Outcome, Verdict

__all__ = ["CHECKS", "RUN_ORDER"]

Check = Callable[[CheckContext], RuleResult]

_OTHERS: dict[str, Check] = {
    "auth.rejects-missing-credential": auth.check_rejects_missing_credential,
    "auth.rejects-wrong-credential": auth.check_rejects_wrong_credential,
    "auth.no-token-in-rejection": auth.check_no_token_in_rejection,
    "auth.credential-strength": strength.check_credential_strength,
    "auth.signature-required": signature.check_signature_required,
    "auth.signature-freshness": signature.check_signature_freshness,
    "isolation.distinct-users": isolation.check_distinct_users,
    "isolation.per-user-secret": isolation.check_per_user_secret,
    "freshness.refresh-before-expiry": freshness.check_refresh_before_expiry,
    "freshness.concurrent-refresh": freshness.check_concurrent_refresh,
    "freshness.upstream-failure": freshness.check_upstream_failure,
    "contract.token-live": liveness.check_token_live,
    "freshness.deauthorized-user": liveness.check_deauthorized_user,
    "obf.fresh-per-call": kinds.check_fresh_per_call,
    "obf.minted-for-user": kinds.check_minted_for_user,
    "zak.valid-for-user": kinds.check_zak_valid_for_user,
    "join-token.for-meeting": kinds.check_join_token_for_meeting,
    "join-token.404-when-unavailable": kind_faults.check_404_when_unavailable,
    "token.upstream-failure": kind_faults.check_kind_upstream_failure,
    "load.burst": load.check_burst,
    "hygiene.no-error-internals": hygiene.check_no_error_internals,
}


def _for_kinds(rule_id: str, check: Check) -> Check:
    """``check``, or a skip naming the kind ``rule_id`` is for when the run checks another."""

    def graded(ctx: CheckContext) -> RuleResult:
        kind = ctx.config.token_kind
        if not applies(rule_id, kind):
            return RuleResult(Verdict(rule_id, Outcome.SKIP, not_applicable(rule_id, kind)))
        return check(ctx)

    graded.__name__ = check.__name__
    return graded


CHECKS: Mapping[str, Check] = {
    rule_id: _for_kinds(
        rule_id, answer_rule(rule_id) if rule_id in ANSWER_RULES else _OTHERS[rule_id]
    )
    for rule_id in RULES
}


def _run_order() -> tuple[str, ...]:
    """Catalog order, except that the leak check runs after every rule that collects rejections,
    and the deauthorizations last: they kill the user's grant (join-token's restores it,
    but a callback may have dropped the user's tokens), and every rule after them would
    see a callback with no live token."""
    last = ("join-token.404-when-unavailable", "freshness.deauthorized-user")
    order = [r for r in RULES if r not in ("auth.no-token-in-rejection", *last)]
    order.insert(order.index("freshness.refresh-before-expiry"), "auth.no-token-in-rejection")
    return (*order, *last)


RUN_ORDER = _run_order()
