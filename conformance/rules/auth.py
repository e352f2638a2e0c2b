"""``auth.*`` credential rules: the URL without, or with a wrong, credential yields no token,
and no rejection leaks one."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import seed as hypothesis_seed

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.conformance.mutations import Mutation, classic_mutations, credential_mutations
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.redaction import JWT_PATTERN, redact_text
from recall_sim.simulator.rules import Outcome, Verdict

__all__ = [
    "FUZZ_TIME_BUDGET",
    "check_no_token_in_rejection",
    "check_rejects_missing_credential",
    "check_rejects_wrong_credential",
    "run_seed",
]

FUZZ_TIME_BUDGET = 30.0
_LEAK_WINDOW = 16  # this many consecutive characters of the token count as a leak


def check_rejects_missing_credential(ctx: CheckContext) -> RuleResult:
    rid = "auth.rejects-missing-credential"
    skip = ctx.skip_without_baseline(rid)
    if skip:
        return skip
    tried = []
    for label, url in ctx.missing_credential_urls():
        observation = ctx.call(url)
        tried.append(f"{label}: {observation.summary}")
        found = ctx.token_in(observation)
        if found is not None:
            return RuleResult(
                Verdict(
                    rid,
                    Outcome.FAIL,
                    f"the URL {label} still got a token (for Zoom user {found.claims.user_id}); "
                    f"requested {ctx.mask(url)}",
                    {
                        "request": ctx.mask(url),
                        "status": observation.status,
                        "secret_parts": ctx.secret_parts_note(),
                    },
                ),
                ctx.curl(url),
            )
        ctx.record_rejection(label, observation, url)
    if not tried:
        return RuleResult(Verdict(rid, Outcome.SKIP, ctx.secret_parts_note()))
    return RuleResult(
        Verdict(
            rid,
            Outcome.PASS,
            f"{len(tried)} requests without the credential got no token",
            {"tried": tried, "secret_parts": ctx.secret_parts_note()},
        )
    )


class CredentialAccepted(Exception):
    """A wrong credential unlocked the user's token (raised inside Hypothesis to shrink it)."""

    def __init__(self, mutation: Mutation, url: str, observation: Observation) -> None:
        super().__init__(repr(mutation))
        self.mutation = mutation
        self.url = url
        self.observation = observation


@dataclass
class _FuzzStats:
    attempts: int = 0
    out_of_time: bool = False


def run_seed(ctx: CheckContext) -> int:
    """The run's Hypothesis seed: the one given, else a fresh one that the report prints."""
    if ctx.config.seed is not None:
        return ctx.config.seed
    return _fresh_seed


_fresh_seed = random.SystemRandom().randrange(2**31)


def check_rejects_wrong_credential(ctx: CheckContext) -> RuleResult:
    rid = "auth.rejects-wrong-credential"
    skip = ctx.skip_without_baseline(rid)
    if skip:
        return skip
    parts = ctx.secret_parts
    if not parts:
        return RuleResult(Verdict(rid, Outcome.SKIP, ctx.secret_parts_note()))
    seed = run_seed(ctx)
    stats = _FuzzStats()
    # For the progress line: the classic mistakes first, then the generated ones.
    planned = ctx.config.fuzz_examples + sum(len(classic_mutations(p)) for p in parts)
    started = time.monotonic()

    def attempt(mutation: Mutation) -> None:
        if time.monotonic() - started > FUZZ_TIME_BUDGET:
            stats.out_of_time = True
            return
        stats.attempts += 1
        ctx.progress(rid, stats.attempts, planned, "wrong credentials")
        url = ctx.target.with_part(mutation.part, mutation.raw_values)
        observation = ctx.call(url)
        if ctx.unlocks_baseline_user(observation) is not None:
            raise CredentialAccepted(mutation, url, observation)
        ctx.record_rejection(f"wrong credential ({mutation.description})", observation, url)

    test = given(credential_mutations(parts))(attempt)
    for part in parts:
        for classic in classic_mutations(part):
            test = example(classic)(test)
    test = settings(
        max_examples=ctx.config.fuzz_examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
        verbosity=Verbosity.quiet,
    )(test)
    test = hypothesis_seed(seed)(test)
    try:
        test()
    except (CredentialAccepted, BaseExceptionGroup) as raised:
        # A flaky find (accepted once, not on replay) arrives wrapped in a group.
        accepted = _accepted_in(raised)
        mutation = accepted.mutation
        detail = (
            f"a wrong credential unlocked the user's token: {mutation.part.label} "
            f"{mutation.description} (Hypothesis seed {seed}, shrunk to the smallest mutation)"
        )
        evidence = {
            "mutation_kind": mutation.kind,
            "mutation": mutation.description,
            "request": ctx.mask(accepted.url),
            "status": accepted.observation.status,
            "seed": seed,
            "secret_parts": ctx.secret_parts_note(),
        }
        reproduce = f"{ctx.curl(accepted.url)}  # recall-sim check ... --seed {seed}"
        return RuleResult(Verdict(rid, Outcome.FAIL, detail, evidence), reproduce)
    note = " (stopped at the time budget)" if stats.out_of_time else ""
    return RuleResult(
        Verdict(
            rid,
            Outcome.PASS,
            f"{stats.attempts} wrong credentials (changed, truncated, extended, case-flipped, "
            f"percent-encoded, unicode, duplicated) got no token{note}; seed {seed}",
            {"attempts": stats.attempts, "seed": seed, "secret_parts": ctx.secret_parts_note()},
        )
    )


def _accepted_in(raised: BaseException) -> CredentialAccepted:
    if isinstance(raised, CredentialAccepted):
        return raised
    if isinstance(raised, BaseExceptionGroup):
        for inner in raised.exceptions:
            try:
                return _accepted_in(inner)
            except LookupError:
                continue
    raise LookupError("no accepted credential in the exception") from raised


def check_no_token_in_rejection(ctx: CheckContext) -> RuleResult:
    rid = "auth.no-token-in-rejection"
    skip = ctx.skip_without_baseline(rid)
    if skip:
        return skip
    if not ctx.rejections:
        check_rejects_missing_credential(ctx)  # makes the rejections this rule inspects
    base = ctx.baseline_token
    assert base is not None
    windows = {base.token[i : i + _LEAK_WINDOW] for i in range(len(base.token) - _LEAK_WINDOW + 1)}
    for rejection in ctx.rejections:
        leak = _leak_in(rejection.observation, windows)
        if leak is not None:
            return RuleResult(
                Verdict(
                    rid,
                    Outcome.FAIL,
                    f"the rejection of a request {rejection.label} (HTTP "
                    f"{rejection.observation.status}) contains {leak}",
                    {
                        "status": rejection.observation.status,
                        "body": redact_text(
                            rejection.observation.body.decode("utf-8", "replace"),
                            secrets=[base.token],
                        )[:300],
                    },
                ),
                ctx.reproduce(rejection),
            )
    if not ctx.rejections:
        why = (
            "every request without or with a wrong credential got a token (see auth.rejects-*)"
            if ctx.secret_parts
            else ctx.secret_parts_note()
        )
        return RuleResult(Verdict(rid, Outcome.SKIP, f"no rejection to inspect: {why}"))
    return RuleResult(
        Verdict(
            rid,
            Outcome.PASS,
            f"{len(ctx.rejections)} rejections hold no JWT and no part of the valid token",
        )
    )


def _leak_in(observation: Observation, windows: set[str]) -> str | None:
    """What of a token a rejection shows, in its body or headers, or None."""
    places = [("the body", observation.body.decode("utf-8", "replace"))]
    places += [(f"header {name}", value) for name, value in observation.headers]
    for where, text in places:
        if JWT_PATTERN.search(text):
            return f"a JWT in {where}"
        if any(window in text for window in windows):
            return f"part of the valid token in {where}"
    return None
