"""Every SPEC §4 rule id mapped to its check, in the order a run grades them."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.conformance.rules import (
    auth,
    freshness,
    hygiene,
    isolation,
    liveness,
    load,
    signature,
    strength,
)
from recall_sim.conformance.rules.answer import answer_rule
from recall_sim.simulator.judge import ANSWER_RULES
from recall_sim.simulator.rules import RULES

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
    "load.burst": load.check_burst,
    "hygiene.no-error-internals": hygiene.check_no_error_internals,
}

CHECKS: Mapping[str, Check] = {
    rule_id: answer_rule(rule_id) if rule_id in ANSWER_RULES else _OTHERS[rule_id]
    for rule_id in RULES
}


def _run_order() -> tuple[str, ...]:
    """Catalog order, except that the leak check runs after every rule that collects rejections,
    and the deauthorization last: it kills the user's grant, and every rule after it would
    see a callback with no live token."""
    last = "freshness.deauthorized-user"
    order = [r for r in RULES if r not in ("auth.no-token-in-rejection", last)]
    order.insert(order.index("freshness.refresh-before-expiry"), "auth.no-token-in-rejection")
    return (*order, last)


RUN_ORDER = _run_order()
