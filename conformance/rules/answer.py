"""The answer rules (``contract.*``, ``hygiene.https``, ``hygiene.no-store``), read off the
judge's grading of the baseline call: one call, graded exactly as the fake Recall grades it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.simulator.judge import ANSWER_RULES
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.signing import unsigned_refusal_hint

__all__ = ["answer_rule"]


def answer_rule(rule_id: str) -> Callable[[CheckContext], RuleResult]:
    """The check for one answer rule."""
    if rule_id not in ANSWER_RULES:
        raise KeyError(f"{rule_id!r} is not an answer rule")

    def check(ctx: CheckContext) -> RuleResult:
        verdict = ctx.baseline.verdict(rule_id)
        shown = verdict.outcome in (Outcome.FAIL, Outcome.WARN)
        hint = None
        if rule_id == "contract.status-2xx" and verdict.outcome is Outcome.FAIL:
            signed = ctx.config.signing_secret is not None
            hint = unsigned_refusal_hint(ctx.baseline.observation.status, signed=signed)
        if hint is None:
            return RuleResult(verdict, ctx.curl() if shown else None)
        # The refusal may be the signature's, not the URL's: say so where the reader looks.
        verdict = replace(verdict, detail=f"{verdict.detail}; {hint}")
        return RuleResult(verdict, ctx.curl(), fix=f"{hint}. Otherwise: {verdict.fix}")

    check.__name__ = "check_" + rule_id.replace(".", "_").replace("-", "_")
    return check
