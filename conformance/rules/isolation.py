"""``isolation.*``: two users' URLs give two users' tokens, and one user's secret does not
unlock another user."""

from __future__ import annotations

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.conformance.url_parts import UrlParts
from recall_sim.simulator.rules import Outcome, Verdict

__all__ = ["check_distinct_users", "check_per_user_secret"]


def _needs_other(ctx: CheckContext, rule_id: str) -> RuleResult | None:
    if ctx.config.other_user_url is None:
        return RuleResult(
            Verdict(
                rule_id,
                Outcome.SKIP,
                "no second user; pass --other-user-url with another user's callback URL",
            )
        )
    return ctx.skip_without_baseline(rule_id)


def check_distinct_users(ctx: CheckContext) -> RuleResult:
    rid = "isolation.distinct-users"
    skip = _needs_other(ctx, rid)
    if skip:
        return skip
    assert ctx.config.other_user_url is not None and ctx.baseline_token is not None
    other = ctx.call(ctx.config.other_user_url)
    found = ctx.token_in(other)
    mine = ctx.baseline_token
    if found is None:
        return RuleResult(
            Verdict(
                rid,
                Outcome.FAIL,
                f"the other user's URL got no token ({other.summary}); check it alone "
                "with recall-sim probe",
                {"status": other.status},
            ),
            ctx.curl(ctx.config.other_user_url),
        )
    if found.token == mine.token or found.claims.user_id == mine.claims.user_id:
        same = "the same token" if found.token == mine.token else "a token of the same user"
        return RuleResult(
            Verdict(
                rid,
                Outcome.FAIL,
                f"both URLs returned {same} (uid {mine.claims.user_id})",
                {"uid": mine.claims.user_id},
            ),
            ctx.curl(ctx.config.other_user_url),
        )
    return RuleResult(
        Verdict(
            rid,
            Outcome.PASS,
            f"users {mine.claims.user_id} and {found.claims.user_id} got their own tokens",
        )
    )


def check_per_user_secret(ctx: CheckContext) -> RuleResult:
    rid = "isolation.per-user-secret"
    skip = _needs_other(ctx, rid)
    if skip:
        return skip
    if not ctx.secret_parts:
        return RuleResult(Verdict(rid, Outcome.SKIP, ctx.secret_parts_note()))
    assert ctx.config.other_user_url is not None
    other = UrlParts.parse(ctx.config.other_user_url)
    crossed = ctx.target
    shared = True
    for part in ctx.secret_parts:
        if part.kind == "query":
            value = other.raw_query_value(str(part.key))
        else:
            index = int(part.key)
            value = other.segments[index] if index < len(other.segments) else None
        if value is None:
            return RuleResult(
                Verdict(
                    rid,
                    Outcome.SKIP,
                    f"the other user's URL has no {part.label}; the two URLs differ in shape",
                )
            )
        shared = shared and value == part.raw_value
        crossed = UrlParts.parse(crossed.with_part(part, (value,)))
    url = crossed.url()
    observation = ctx.call(url)
    if ctx.unlocks_baseline_user(observation) is None:
        ctx.record_rejection("with another user's secret", observation, url)
        return RuleResult(
            Verdict(rid, Outcome.PASS, "the other user's secret does not unlock this user")
        )
    if shared:
        return RuleResult(
            Verdict(
                rid,
                Outcome.WARN,
                "both users' URLs carry the same secret: one leaked URL gives every user's token",
                {"request": ctx.mask(url)},
            ),
            ctx.curl(url),
        )
    return RuleResult(
        Verdict(
            rid,
            Outcome.FAIL,
            "the other user's secret unlocked this user's token: the secret is not checked "
            "against the user",
            {"request": ctx.mask(url)},
        ),
        ctx.curl(url),
    )
