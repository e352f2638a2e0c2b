"""``load.burst``: N concurrent valid requests all pass the answer rules.

Its fix says what failed: the catalog's advice (concurrency) only where the failures
point there, since a burst also fails when every single call would (an expired token).
"""

from __future__ import annotations

import asyncio
from collections import Counter

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.simulator.judge import Judgement
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.rules import Outcome, Verdict

__all__ = ["burst", "check_burst"]

_VALIDITY = "contract.min-validity-120s"
_DEADLINE = "contract.deadline-5s"


def burst(ctx: CheckContext, count: int, *, rule_id: str | None = None) -> list[Observation]:
    """``count`` valid calls started together, each signed like Recall's; ``rule_id``:
    report progress under it as the answers come in (a slow target makes that seconds)."""
    answered = 0

    async def one() -> Observation:
        nonlocal answered
        observation = await ctx.acall()
        answered += 1
        if rule_id is not None:
            ctx.progress(rule_id, answered, count, "calls")
        return observation

    async def all_at_once() -> list[Observation]:
        return list(await asyncio.gather(*(one() for _ in range(count))))

    return asyncio.run(all_at_once())


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _fix(
    ctx: CheckContext, judged: list[Judgement], count: int, latency: dict[str, float]
) -> str | None:
    """What to do, from what failed; None where the catalog's concurrency advice fits."""
    failing = [j for j in judged if j.failures]
    bad = len(failing)
    rules = {v.rule for j in failing for v in j.failures}
    if rules == {_VALIDITY}:
        return (
            f"{bad} of {count} answers failed only {_VALIDITY}: they carried tokens with "
            "under 120 s left. That is about when the callback refreshes, not about "
            f"concurrent calls: fix the refresh as {_VALIDITY} says (a cause above, when "
            "one is named, says why the tokens were stale)."
        )
    # A call cut at the deadline fails contract.status-2xx too: lateness is the one fault.
    if all(_DEADLINE in {v.rule for v in j.failures} for j in failing):
        return (
            f"{bad} of {count} answers took longer than 5 s (p50 {latency['p50']} s, p95 "
            f"{latency['p95']} s, max {latency['max']} s): bound whatever an answer waits on "
            "(a refresh, a database, a worker pool) well under 5 s; a cause above, when one "
            "is named, says which."
        )
    alone = {v.rule for v in ctx.baseline.failures}
    if rules <= alone:
        return (
            f"{bad} of {count} answers failed {', '.join(sorted(rules))}, as the single "
            "valid call did: fix those rules first; nothing here points at concurrency."
        )
    return None


def check_burst(ctx: CheckContext) -> RuleResult:
    rid = "load.burst"
    skip = ctx.skip_without_baseline(rid)
    if skip:
        return skip
    count = ctx.config.burst
    observations = burst(ctx, count, rule_id=rid)
    judged = [ctx.grade(observation) for observation in observations]
    failed_rules: Counter[str] = Counter()
    first_failure: str | None = None
    for judgement in judged:
        for verdict in judgement.failures:
            failed_rules[verdict.rule] += 1
            first_failure = first_failure or f"{verdict.rule}: {verdict.detail}"
    totals = [o.timings.total for o in observations]
    latency = {
        "p50": round(_percentile(totals, 0.5), 3),
        "p95": round(_percentile(totals, 0.95), 3),
        "max": round(max(totals), 3),
    }
    evidence = {
        "requests": count,
        "failed_by_rule": dict(failed_rules),
        "latency_s": latency,
        "statuses": dict(Counter(str(o.status) for o in observations)),
    }
    bad = sum(1 for judgement in judged if judgement.failures)
    if bad:
        return RuleResult(
            Verdict(
                rid,
                Outcome.FAIL,
                f"{bad} of {count} concurrent requests failed the contract; first: {first_failure}",
                evidence,
            ),
            f"seq {count} | xargs -P {count} -I{{}} {ctx.curl()}",
            _fix(ctx, judged, count, latency),
        )
    return RuleResult(
        Verdict(
            rid,
            Outcome.PASS,
            f"{count} concurrent requests all passed (p95 {latency['p95']} s)",
            evidence,
        )
    )
