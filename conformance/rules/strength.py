"""``auth.credential-strength``: the URL's secret is not a published default, and is long
and random enough that guessing it is hopeless (SPEC §6)."""

from __future__ import annotations

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.conformance.credential_strength import (
    FAIL_BELOW_BITS,
    WARN_BELOW_BITS,
    estimate_strength,
)
from recall_sim.simulator.rules import Outcome, Verdict

__all__ = ["check_credential_strength"]

RULE_ID = "auth.credential-strength"


def check_credential_strength(ctx: CheckContext) -> RuleResult:
    parts = ctx.secret_parts
    if not parts:
        return RuleResult(Verdict(RULE_ID, Outcome.SKIP, ctx.secret_parts_note()))
    graded = [(part, estimate_strength(part.value)) for part in parts]
    evidence = {
        part.label: {
            "length": strength.length,
            "alphabet": strength.alphabet,
            "estimated_bits": round(strength.bits, 1),
            "published_default": strength.published_default,
            "patterns": list(strength.patterns),
        }
        for part, strength in graded
    }
    published = [part.label for part, strength in graded if strength.published_default]
    if published:
        detail = (
            f"{' and '.join(published)} is a published default (from Recall's docs or sample "
            "apps, or a common placeholder): anyone can read it, so the URL is unprotected"
        )
        return RuleResult(Verdict(RULE_ID, Outcome.FAIL, detail, evidence))
    weakest_part, weakest = min(graded, key=lambda graded_part: graded_part[1].bits)
    summary = f"{weakest_part.label}: {weakest.describe()}"
    if weakest.bits < FAIL_BELOW_BITS:
        detail = f"{summary}; under {FAIL_BELOW_BITS} bits a secret can be guessed"
        return RuleResult(Verdict(RULE_ID, Outcome.FAIL, detail, evidence))
    if weakest.bits < WARN_BELOW_BITS:
        detail = f"{summary}; {WARN_BELOW_BITS} bits or more is the target for a URL secret"
        return RuleResult(Verdict(RULE_ID, Outcome.WARN, detail, evidence))
    strongest = ", ".join(f"{p.label}: about {s.bits:.0f} bits" for p, s in graded)
    return RuleResult(Verdict(RULE_ID, Outcome.PASS, strongest, evidence))
