"""``load.burst``: N concurrent valid requests all pass the answer rules."""

from __future__ import annotations

import asyncio
from collections import Counter

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.rules import Outcome, Verdict

__all__ = ["burst", "check_burst"]


def burst(ctx: CheckContext, count: int) -> list[Observation]:
    """``count`` valid calls started together, each signed like Recall's."""

    async def all_at_once() -> list[Observation]:
        return list(await asyncio.gather(*(ctx.acall() for _ in range(count))))

    return asyncio.run(all_at_once())


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def check_burst(ctx: CheckContext) -> RuleResult:
    rid = "load.burst"
    skip = ctx.skip_without_baseline(rid)
    if skip:
        return skip
    count = ctx.config.burst
    observations = burst(ctx, count)
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
        )
    return RuleResult(
        Verdict(
            rid,
            Outcome.PASS,
            f"{count} concurrent requests all passed (p95 {latency['p95']} s)",
            evidence,
        )
    )
