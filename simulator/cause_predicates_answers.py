"""The diagnosis's predicates read from single answers and answer times: slowness (at
random, or while refreshing inline), a signature the run did not send, another Zoom app.

Same contract as `recall_sim.simulator.cause_predicates`: a `Finding` or None, named
thresholds, no I/O.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from recall_sim.simulator.cause_predicates import (
    INLINE_LINK_SHARE,
    MIN_CALLS_FOR_SPREAD,
    MIN_SLOW_CALLS,
    REFUSED_STATUSES,
    SIGNATURE_WORDS,
    Finding,
)
from recall_sim.simulator.diagnosis_stats import TimelineStats, is_2xx
from recall_sim.simulator.timeline import CallPoint
from recall_sim.simulator.zoom_jwt import issuer_for

__all__ = [
    "obf_reused",
    "signature_required",
    "slow_at_random",
    "slow_refresh_inline",
    "wrong_app",
]

# Events the harness injected: a slow answer during one is the fault's, even with a real
# refresh beside it (an OBF callback refreshes, then waits on the stalled OBF endpoint),
# unless the callback let it run past the budget (then it did not bound its call to Zoom).
_INJECTED: Final = frozenset({"fault", "abandoned"})


def _secs(value: float) -> str:
    return f"{value:.2f} s"


def _indices(calls: list[CallPoint]) -> tuple[int, ...]:
    return tuple(sorted({c.index for c in calls}))


def _slow_split(stats: TimelineStats) -> tuple[list[CallPoint], list[CallPoint], list[int]]:
    """(slow answers that waited on a refresh, the other slow answers, Zoom seqs waited on).

    A slow answer waited on a refresh when a token request reached Zoom while it waited
    (seen at Zoom), or when it carried a token never served before: it refreshed, or it
    queued behind a single-flight refresh another call started.
    """
    linked: list[CallPoint] = []
    unlinked: list[CallPoint] = []
    seqs: list[int] = []
    budget = stats.timeline.budget_s
    for call in stats.answers.slow:
        if stats.zoom_observed:
            waited = stats.requests_during(call)
            if waited and any(e.outcome in _INJECTED for e in waited) and call.answer_s < budget:
                continue  # slow because the harness stalled Zoom, and still within budget
            if waited:
                linked.append(call)
                seqs.extend(e.seq for e in waited)
                continue
        if call.index in stats.new_token_calls:
            linked.append(call)
            continue
        unlinked.append(call)
    return linked, unlinked, seqs


def _answer_stats(stats: TimelineStats, slow: int) -> dict[str, float | int | None]:
    answers = stats.answers
    count = len(answers.times)
    return {
        "answered": count,
        "p50_s": None if answers.p50 is None else round(answers.p50, 3),
        "p95_s": None if answers.p95 is None else round(answers.p95, 3),
        "max_s": round(max(answers.times), 3) if answers.times else None,
        "slow_threshold_s": round(answers.slow_threshold_s, 3),
        "slow_share": round(slow / count, 3) if count else 0.0,
        "over_budget_share": round(answers.over_budget / count, 3) if count else 0.0,
    }


def slow_refresh_inline(stats: TimelineStats) -> Finding | None:
    """Most slow answers waited on a refresh at Zoom (or were the ones with a new token)."""
    linked, unlinked, seqs = _slow_split(stats)
    if not linked or len(linked) < INLINE_LINK_SHARE * (len(linked) + len(unlinked)):
        return None
    how = (
        "a token request reached Zoom while each was waiting"
        if stats.zoom_observed
        else "each carried a new token (the Zoom side was not observed)"
    )
    slowest = max(c.answer_s for c in linked)
    return Finding(
        detail=(
            f"{len(linked)} of {len(linked) + len(unlinked)} slow answers (up to "
            f"{_secs(slowest)}; slow is {_secs(stats.answers.slow_threshold_s)} or more) came "
            f"while the callback refreshed: {how}"
        ),
        calls=_indices(linked),
        zoom_seq=tuple(sorted(set(seqs))),
        stats={
            **_answer_stats(stats, len(linked) + len(unlinked)),
            "waited_on_refresh": len(linked),
        },
    )


def slow_at_random(stats: TimelineStats) -> Finding | None:
    """Slow answers spread over the calls, with no link to refreshes."""
    linked, unlinked, _ = _slow_split(stats)
    slow = len(linked) + len(unlinked)
    if len(stats.answers.times) < MIN_CALLS_FOR_SPREAD or slow < MIN_SLOW_CALLS:
        return None
    if len(linked) >= INLINE_LINK_SHARE * slow:
        return None
    numbers = _answer_stats(stats, slow)
    return Finding(
        detail=(
            f"{slow} of {numbers['answered']} answers took {_secs(stats.answers.slow_threshold_s)} "
            f"or more (p50 {_secs(stats.answers.p50 or 0.0)}, p95 "
            f"{_secs(stats.answers.p95 or 0.0)}, {numbers['over_budget_share']:.0%} over the "
            f"{stats.timeline.budget_s:g} s budget); only {len(linked)} of them came with a refresh"
        ),
        calls=_indices(unlinked + linked),
        stats={**numbers, "waited_on_refresh": len(linked)},
    )


def signature_required(stats: TimelineStats) -> Finding | None:
    """Nothing got through, unsigned calls were refused, and either the refusals name a
    signature or the run had no secret to sign with."""
    timeline = stats.timeline
    if any(is_2xx(c) for c in stats.calls):
        return None
    if timeline.signing_secret_given and any(c.signed for c in stats.calls):
        return None  # the run signed: a refusal then has another reason
    unsigned = [c for c in stats.calls if not c.signed and c.status is not None]
    refused = [c for c in unsigned if c.status in REFUSED_STATUSES]
    named = [c for c in refused if any(w in c.body_hint.lower() for w in SIGNATURE_WORDS)]
    every = bool(refused) and len(refused) == len(unsigned) and not timeline.signing_secret_given
    if not named and not every:
        return None
    statuses = dict(Counter(str(c.status) for c in refused))
    why = (
        f"{len(named)} refusal(s) name a signature"
        if named
        else "none says why, so the callback may also refuse the URL's credential"
    )
    return Finding(
        detail=(
            f"every one of {len(unsigned)} unsigned call(s) was refused "
            f"({', '.join(f'{s} ×{n}' for s, n in statuses.items())}) and none got a token; "
            f"{why}"
        ),
        calls=_indices(refused),
        stats={
            "refused": statuses,
            "named_signature": len(named),
            "signing_secret_given": timeline.signing_secret_given,
        },
    )


def wrong_app(stats: TimelineStats) -> Finding | None:
    """A token's ``iss`` names another client id than the registered one."""
    client_id = stats.timeline.client_id
    if client_id is None:
        return None
    expected = issuer_for(client_id)
    wrong = [c for c in stats.calls if c.issuer is not None and c.issuer != expected]
    if not wrong:
        return None
    seen = sorted({c.issuer for c in wrong if c.issuer is not None})
    return Finding(
        detail=(
            f"{len(wrong)} token(s) were issued by {', '.join(seen)}; the registered app's "
            f"tokens say {expected}"
        ),
        calls=_indices(wrong),
        stats={"issuers": seen, "expected_issuer": expected},
    )


# The calls that hand out OBF tokens: the fake Recall's bots label theirs so; any other
# run shows it by grading obf.fresh-per-call.
OBF_CALL_LABEL: Final = "bot_obf"
_OBF_RULE: Final = "obf.fresh-per-call"


def obf_reused(stats: TimelineStats) -> Finding | None:
    """One OBF token served on two calls or more: single-use tokens, cached."""
    served: dict[str, list[CallPoint]] = {}
    for call in stats.calls:
        is_obf = call.label == OBF_CALL_LABEL or _OBF_RULE in (
            *call.failed_rules,
            *call.warned_rules,
        )
        if is_obf and call.token_id is not None and is_2xx(call):
            served.setdefault(call.token_id, []).append(call)
    repeated = [calls for calls in served.values() if len(calls) > 1]
    if not repeated:
        return None
    most = max(len(calls) for calls in repeated)
    return Finding(
        detail=(
            f"{len(repeated)} OBF token(s) served on more than one call (one {most} times): "
            "every call after a token's first hands Recall a used, single-use token"
        ),
        calls=_indices([call for calls in repeated for call in calls]),
        stats={"reused_tokens": len(repeated), "most_serves": most},
    )
