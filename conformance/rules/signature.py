"""``auth.signature-*``: with a Recall verification secret, unsigned, mis-signed and stale
requests yield no token (Standard Webhooks, SPEC §1.7)."""

from __future__ import annotations

import base64

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.signing import SIGNATURE_TOLERANCE, signature_headers

__all__ = ["check_signature_freshness", "check_signature_required"]

_WRONG_SECRET = "whsec_" + base64.b64encode(b"recall-sim: not the real secret!").decode()


def _needs_secret(ctx: CheckContext, rule_id: str) -> RuleResult | None:
    if ctx.config.signing_secret is None:
        return RuleResult(
            Verdict(
                rule_id,
                Outcome.SKIP,
                "no signing secret; pass --signing-secret whsec_... (your Recall workspace's "
                "verification secret) to check that unsigned requests are refused",
            )
        )
    return ctx.skip_without_baseline(rule_id)


def _refuses_all(
    ctx: CheckContext, rule_id: str, attempts: list[tuple[str, dict[str, str]]]
) -> RuleResult:
    for label, headers in attempts:
        observation = ctx.call(headers=headers)
        if ctx.token_in(observation) is not None:
            return RuleResult(
                Verdict(
                    rule_id,
                    Outcome.FAIL,
                    f"a request with {label} got a token (HTTP {observation.status})",
                    {"request": label, "status": observation.status},
                ),
                ctx.curl(headers=headers),
            )
        ctx.record_rejection(label, observation, headers=headers)
    labels = ", ".join(label for label, _ in attempts)
    return RuleResult(Verdict(rule_id, Outcome.PASS, f"refused: {labels}"))


def check_signature_required(ctx: CheckContext) -> RuleResult:
    rid = "auth.signature-required"
    skip = _needs_secret(ctx, rid)
    if skip:
        return skip
    now = ctx.clock.now()
    good = ctx.headers()
    forged = signature_headers(_WRONG_SECRET, timestamp=now)
    other_id = {**good, "webhook-id": good["webhook-id"] + "x"}
    attempts = [
        ("no signature headers", {}),
        ("a signature made with another secret", forged),
        ("a valid signature for another message id", other_id),
        ("an empty signature", {**good, "webhook-signature": ""}),
    ]
    return _refuses_all(ctx, rid, attempts)


def check_signature_freshness(ctx: CheckContext) -> RuleResult:
    rid = "auth.signature-freshness"
    skip = _needs_secret(ctx, rid)
    if skip:
        return skip
    now = ctx.clock.now()
    late = SIGNATURE_TOLERANCE + 60
    attempts = [
        (f"a correct signature {late} s old", ctx.headers(timestamp=now - late)),
        (f"a correct signature {late} s in the future", ctx.headers(timestamp=now + late)),
    ]
    return _refuses_all(ctx, rid, attempts)
