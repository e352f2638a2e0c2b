"""``freshness.*``: the callback refreshes in time, without racing on Zoom's single-use refresh
token, and without late or bogus answers while Zoom's token endpoint fails.

A rule's verdict is its first failure, but it keeps calling after it, bounded (to the
end of its window, or a few calls under a fault): one bad token does not tell a refresh
timer from a cache that never refreshes, or a slow refresh from slowness at random. The
calls it makes meanwhile join the run's timeline, which the diagnosis (SPEC §8) reads.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.conformance.rules.load import burst
from recall_sim.conformance.zoom_admin import ZoomAdmin
from recall_sim.simulator.judge import MIN_VALIDITY, Judgement
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.redaction import redact_text
from recall_sim.simulator.rules import Outcome, Verdict

__all__ = ["check_concurrent_refresh", "check_refresh_before_expiry", "check_upstream_failure"]

_SHORT_LIVED_HINT = (
    "serve your callback against `recall-sim serve --zoom-token-lifetime 130` to exercise refresh"
)
_ANSWER_RULES_UNDER_FAULT = (
    "contract.deadline-5s",
    "contract.plain-token-body",
    "contract.jwt-access-token",
    "contract.min-validity-120s",
)


# Calls after the first bogus answer under a fault: what the callback answers next.
_MORE_CALLS_UNDER_FAULT = 2


def _interval(window: float) -> float:
    return max(0.5, min(2.0, window / 30))


def check_refresh_before_expiry(ctx: CheckContext) -> RuleResult:
    rid = "freshness.refresh-before-expiry"
    skip = ctx.skip_without_baseline(rid)
    if skip:
        return skip
    window = ctx.config.freshness_window
    base = ctx.baseline_token
    assert base is not None
    left = base.claims.exp - ctx.clock.now()
    if left > MIN_VALIDITY + window + 5:
        return RuleResult(
            Verdict(
                rid,
                Outcome.SKIP,
                f"{rid} not exercised: the token had {left:.0f} s left, so none can cross "
                f"the {MIN_VALIDITY:.0f} s floor within the {window:g} s window; "
                f"{_SHORT_LIVED_HINT}",
                {"remaining_validity_s": round(left)},
            )
        )
    served: dict[str, float] = {base.token: base.claims.exp}  # token -> exp
    crossings = 0
    refreshed = 0
    calls = 0
    failed_calls = 0
    first: tuple[float, Verdict, int] | None = None  # seconds in, what failed, at which call
    started = time.monotonic()
    # After the first failure it goes on calling to the end of the window (the bound the
    # user chose): whether, and on what schedule, the token is ever refreshed is what
    # tells a cache from a timer, and a timer shows only over several of its periods.
    while time.monotonic() - started < window:
        time.sleep(_interval(window))
        observation = ctx.call()
        calls += 1
        ctx.progress(rid, time.monotonic() - started, window, "s", calls=calls)
        now = ctx.clock.now()
        judged = ctx.grade(observation)
        due = [t for t, exp in served.items() if exp - now < MIN_VALIDITY]
        crossings += bool(due)
        if judged.token is not None and judged.claims is not None:
            if judged.token not in served:
                refreshed += 1
            served[judged.token] = judged.claims.exp
        if not judged.accepted:
            failed_calls += 1
            if first is None:
                first = (time.monotonic() - started, judged.failures[0], calls)
    if first is not None:
        seconds, failure, at_call = first
        return RuleResult(
            Verdict(
                rid,
                Outcome.FAIL,
                f"after {seconds:.0f} s of calls: {failure.rule}: {failure.detail}",
                {
                    **failure.evidence,
                    "calls": at_call,
                    "calls_observed": calls,
                    "failed_calls": failed_calls,
                    "new_tokens": refreshed,
                },
            ),
            ctx.curl(),
        )
    if crossings == 0:
        return RuleResult(
            Verdict(
                rid,
                Outcome.SKIP,
                f"{rid} not exercised: no served token fell under {MIN_VALIDITY:.0f} s "
                f"during the {window:g} s window; {_SHORT_LIVED_HINT}",
                {"calls": calls},
            )
        )
    return RuleResult(
        Verdict(
            rid,
            Outcome.PASS,
            f"{calls} calls over {window:g} s: {crossings} came when an earlier token was "
            f"under {MIN_VALIDITY:.0f} s, and every answer had at least {MIN_VALIDITY:.0f} s "
            f"({refreshed} new tokens)",
            {"calls": calls, "crossings": crossings, "new_tokens": refreshed},
        )
    )


def needs_zoom_admin(
    ctx: CheckContext, rule_id: str, why: str = "needs the simulator's Zoom admin"
) -> RuleResult | None:
    """A skip, saying ``why`` and how to give it, without ``--zoom-admin``; then the
    baseline's own skip, if it got no token."""
    if ctx.config.zoom_admin is None:
        return RuleResult(
            Verdict(
                rule_id,
                Outcome.SKIP,
                f"{why}; serve your callback against `recall-sim serve --zoom-token-lifetime "
                "130` (its Zoom at --zoom-port) and pass "
                "--zoom-admin http://127.0.0.1:8700/_sim/zoom",
            )
        )
    return ctx.skip_without_baseline(rule_id)


@contextmanager
def zoom_admin(ctx: CheckContext) -> Iterator[ZoomAdmin]:
    """The fake Zoom's admin client for this run (only after a rule checked it was given)."""
    assert ctx.config.zoom_admin is not None
    admin = ZoomAdmin(ctx.config.zoom_admin)
    try:
        yield admin
    finally:
        admin.close()


def check_concurrent_refresh(ctx: CheckContext) -> RuleResult:
    rid = "freshness.concurrent-refresh"
    skip = needs_zoom_admin(ctx, rid)
    if skip:
        return skip
    count = max(ctx.config.burst, 10)
    with zoom_admin(ctx) as admin:
        seq = admin.journal_seq()
        observations = burst(ctx, count, rule_id=rid)
        refreshes = admin.events_since(seq, kind="refresh")
        reuses = admin.refresh_token_reuses_since(seq)
    bad = [judged for judged in map(ctx.grade, observations) if not judged.accepted]
    evidence = {
        "requests": count,
        "refreshes": len(refreshes),
        "refresh_token_reuses": len(reuses),
        "reused": [e.get("presented") for e in reuses][:5],
    }
    if reuses:
        return RuleResult(
            Verdict(
                rid,
                Outcome.FAIL,
                f"{count} concurrent calls made Zoom see {len(reuses)} reuse(s) of a spent "
                f"refresh token ({len(refreshes)} refreshes): the refresh is not single-flight, "
                "and in production Zoom would have revoked the user's grant",
                evidence,
            ),
            f"seq {count} | xargs -P {count} -I{{}} {ctx.curl()}",
        )
    if bad:
        first = bad[0].failures[0]
        return RuleResult(
            Verdict(
                rid,
                Outcome.FAIL,
                f"{len(bad)} of {count} concurrent calls failed: {first.rule}: {first.detail}",
                evidence,
            ),
            f"seq {count} | xargs -P {count} -I{{}} {ctx.curl()}",
        )
    if not refreshes:
        return RuleResult(
            Verdict(
                rid,
                Outcome.SKIP,
                f"{rid} not exercised: no refresh was due during the burst of {count} calls; "
                f"{_SHORT_LIVED_HINT}",
                evidence,
            )
        )
    return RuleResult(
        Verdict(
            rid,
            Outcome.PASS,
            f"{count} concurrent calls: all valid, {len(refreshes)} refresh(es), "
            "no refresh token used twice",
            evidence,
        )
    )


def _bogus(judged: Judgement) -> str | None:
    """Why an answer under fault is unacceptable: late, or a 2xx that is not a valid token."""
    for verdict in judged.verdicts:
        if verdict.rule not in _ANSWER_RULES_UNDER_FAULT or verdict.outcome is not Outcome.FAIL:
            continue
        if verdict.rule == "contract.deadline-5s" or judged.observation.status in range(200, 300):
            return f"{verdict.rule}: {verdict.detail}"
    return None


_MAX_OUTAGE = 15.0  # seconds of 500s at most, waiting for every cached token to run out


def _outage_calls(ctx: CheckContext, label: str, statuses: list[str]) -> Iterator[Observation]:
    """Calls while Zoom answers 500: until every token the callback was seen to hold has
    fallen under the floor (so it can no longer serve a cached one), or at most 15 s."""
    base = ctx.baseline_token
    newest_exp = base.claims.exp if base is not None else 0.0
    started = time.monotonic()
    while True:
        observation = ctx.call()
        statuses.append(f"{label}: {observation.summary} in {observation.timings.total:.2f} s")
        found = ctx.token_in(observation)
        if found is not None:
            newest_exp = max(newest_exp, found.claims.exp)
        yield observation
        out_of_tokens = ctx.clock.now() > newest_exp - MIN_VALIDITY + 1
        if len(statuses) >= 3 and (out_of_tokens or time.monotonic() - started > _MAX_OUTAGE):
            return
        time.sleep(1.0)


def _stall_calls(ctx: CheckContext, label: str, statuses: list[str]) -> Iterator[Observation]:
    for _ in range(2):
        observation = ctx.call()
        statuses.append(f"{label}: {observation.summary} in {observation.timings.total:.2f} s")
        yield observation


def _answered(judgements: list[Judgement]) -> str:
    """What the calls were answered, counted: "3 x HTTP 401 without a token, ..."."""
    kinds: Counter[str] = Counter()
    for judged in judgements:
        observation = judged.observation
        if judged.accepted:
            kinds["a valid token"] += 1
        elif observation.status is None:
            error = observation.error.kind.value if observation.error else "no answer"
            kinds[f"no answer ({error})"] += 1
        elif judged.token is not None:
            kinds[f"HTTP {observation.status} with a token that failed the contract"] += 1
        else:
            kinds[f"HTTP {observation.status} without a token"] += 1
    return ", ".join(f"{count} x {kind}" for kind, count in kinds.most_common())


def _not_exercised(judgements: list[Judgement]) -> str:
    """Why no fault was hit, from what the callback answered meanwhile (never a guess)."""
    if judgements and all(j.accepted for j in judgements):
        return (
            f"it answered all {len(judgements)} calls with a valid token without asking "
            "Zoom (it served cached tokens)"
        )
    return (
        f"meanwhile it answered {_answered(judgements) or 'nothing'}, so it failed before "
        "any refresh reached Zoom and how it handles Zoom's failures is unknown; fix those "
        "answers first (see the failed rules, and the cause above when one is named)"
    )


def check_upstream_failure(ctx: CheckContext) -> RuleResult:
    rid = "freshness.upstream-failure"
    skip = needs_zoom_admin(ctx, rid)
    if skip:
        return skip
    phases = [
        ("Zoom answering 500", "server_error", 0.0, _outage_calls),
        ("Zoom stalling 6 s", "stall", 6.0, _stall_calls),
    ]
    statuses: list[str] = []
    judgements: list[Judgement] = []
    problem: tuple[str, Observation] | None = None  # the first bogus answer, and why
    with zoom_admin(ctx) as admin:
        seq = admin.journal_seq()
        try:
            for label, kind, seconds, calls in phases:
                admin.clear_faults()
                admin.inject_fault(kind, count=1000, seconds=seconds)
                for observation in calls(ctx, label, statuses):
                    ctx.progress(rid, len(statuses), None, f"calls ({label})")
                    judged = ctx.grade(observation)
                    judgements.append(judged)
                    if why := _bogus(judged):
                        problem = (f"while {label}: {why}", observation)
                        break
                if problem is not None:
                    # What it answers next, still under the fault, tells its causes apart.
                    for _ in range(_MORE_CALLS_UNDER_FAULT):
                        time.sleep(1.0)
                        observation = ctx.call()
                        statuses.append(
                            f"{label}: {observation.summary} in {observation.timings.total:.2f} s"
                        )
                        judgements.append(ctx.grade(observation))
                    break
        finally:
            admin.clear_faults()
        hits = admin.events_since(seq, kind="fault")
    if problem is not None:
        detail, observation = problem
        body = redact_text(observation.body.decode("utf-8", "replace"))[:200]
        return RuleResult(
            Verdict(rid, Outcome.FAIL, detail, {"calls": statuses, "body": body}), ctx.curl()
        )
    if not hits:
        return RuleResult(
            Verdict(
                rid,
                Outcome.SKIP,
                f"{rid} not exercised: the callback never called Zoom's token endpoint while "
                f"it failed; {_not_exercised(judgements)}; {_SHORT_LIVED_HINT}",
                {"calls": statuses},
            )
        )
    for _attempt in range(4):
        recovered = ctx.call()
        if ctx.grade(recovered).accepted:
            return RuleResult(
                Verdict(
                    rid,
                    Outcome.PASS,
                    f"{len(statuses)} calls during {len(hits)} token-endpoint faults were "
                    "timely and never a bogus 2xx; a valid token once the faults cleared",
                    {"calls": statuses, "fault_hits": len(hits)},
                )
            )
        time.sleep(1.0)
    return RuleResult(
        Verdict(
            rid,
            Outcome.FAIL,
            "the callback did not recover: after Zoom's token endpoint was healthy again, "
            f"it still answered HTTP {recovered.status} without a valid token",
            {"calls": statuses},
        ),
        ctx.curl(),
    )
