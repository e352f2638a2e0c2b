"""The diagnosis's predicates: one per cause (SPEC §8), each a short test over `TimelineStats`.

Each returns a `Finding` (the detail sentence, the calls and Zoom events that are its
evidence, the statistics that identify it) or None. Pairs of causes with alike symptoms
are told apart in one module, where both tests are in view: here a refresh timer from a
cache (a timer rotates tokens on its own schedule); in `cause_predicates_refresh` a
refresh race from a refused refresh (the race needs concurrent calls); in
`cause_predicates_answers` slowness at random from slowness while refreshing (whether the
slow answers waited on Zoom). This module also holds every threshold, as named
constants, and what the three share. No I/O.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Final

from recall_sim.simulator.diagnosis_stats import (
    EVENT_SLACK_S,
    TimelineStats,
    TokenSpan,
    answer_end,
)
from recall_sim.simulator.judge import MIN_VALIDITY, RECALL_BUDGET
from recall_sim.simulator.timeline import CallPoint

__all__ = [
    "BURST_WINDOW_S",
    "END_OF_GRANT_KINDS",
    "EXPIRED_SLACK_S",
    "INLINE_LINK_SHARE",
    "LIKELY_REFRESH_MARGIN_S",
    "MIN_CALLS_FOR_SPREAD",
    "MIN_REFUSED_AFTER_DUE",
    "MIN_SLOW_CALLS",
    "MIN_TIMER_REFRESHES",
    "REFUSED_STATUSES",
    "SIGNATURE_WORDS",
    "TIMER_PERIOD_TOLERANCE",
    "Finding",
    "answer_counts",
    "cached_past_expiry",
    "call_indices",
    "counts_text",
    "refresh_timer",
    "seconds_text",
]

# Three refreshes (two intervals) before a schedule can be called fixed.
MIN_TIMER_REFRESHES: Final = 3
# Intervals within this share of their median are "the same period" (scheduler jitter).
TIMER_PERIOD_TOLERANCE: Final = 0.25
# A token served with more than this past its expiry was served by no expiry check at all
# (a lazy "refresh once expired" check serves tokens down to ~0 s, never past).
EXPIRED_SLACK_S: Final = 1.0
# Two presentations of one refresh token this close together belong to one burst: a
# burst of Recall's calls all fall within one answer budget.
BURST_WINDOW_S: Final = RECALL_BUDGET
# Answer times say something about spread only over a handful of calls.
MIN_CALLS_FOR_SPREAD: Final = 5
MIN_SLOW_CALLS: Final = 2
# When at least this share of the slow answers waited on Zoom, the refresh is why.
INLINE_LINK_SHARE: Final = 0.5
# Calls refused after a refresh fell due before "the refresh fails" beats chance.
MIN_REFUSED_AFTER_DUE: Final = 2
# Callbacks refresh on demand within a margin before expiry (commonly 1 to 5 minutes):
# one that stops serving a token with less than this left stopped at its refresh.
LIKELY_REFRESH_MARGIN_S: Final = 600.0
REFUSED_STATUSES: Final = frozenset({401, 403})
SIGNATURE_WORDS: Final = ("signature", "webhook")
# After the user removed the app in Zoom, Zoom refusing the grant is right, and so is
# the callback refusing Recall. (A revoke is not here: callbacks revoke their own old
# tokens, and that must not hide a refresh that fails.)
END_OF_GRANT_KINDS: Final = frozenset({"deauthorize"})


@dataclass(frozen=True)
class Finding:
    """What a predicate found: a sentence, pointers into the timeline, and statistics."""

    detail: str
    calls: tuple[int, ...] = ()
    zoom_seq: tuple[int, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)


def seconds_text(value: float) -> str:
    return f"{value:.1f} s" if abs(value) < 10 else f"{value:.0f} s"


def call_indices(calls: Iterable[CallPoint]) -> tuple[int, ...]:
    return tuple(sorted({c.index for c in calls}))


def _answered(call: CallPoint) -> str:
    return str(call.status) if call.status is not None else (call.error or "no answer")


def answer_counts(calls: Iterable[CallPoint]) -> dict[str, int]:
    return dict(Counter(_answered(c) for c in calls))


def counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{answer} ×{n}" for answer, n in counts.items())


# -- expiry: a cache, a timer ---------------------------------------------------------


def refresh_timer(stats: TimelineStats) -> Finding | None:
    """Rotations on a fixed period that tokens do not outlive fresh, unrelated to expiry:
    refreshes no call asked for (seen at Zoom), or expired tokens served meanwhile."""
    rotations = stats.rotations
    if len(rotations) < MIN_TIMER_REFRESHES:
        return None
    intervals = [b.at - a.at for a, b in pairwise(rotations)]
    period = statistics.median(intervals)
    # Rotations read from calls are only as exact as the calls are frequent.
    jitter = 0.0 if stats.zoom_observed else (stats.call_spacing_s or 0.0)
    if period <= 0 or any(
        abs(i - period) > TIMER_PERIOD_TOLERANCE * period + jitter for i in intervals
    ):
        return None
    stale = [c for span in stats.tokens for c in span.stale]
    lifetimes = [s.lifetime_s for s in stats.tokens if s.lifetime_s is not None]
    if not stale or not lifetimes:
        return None
    lifetime = max(lifetimes)
    if lifetime - MIN_VALIDITY >= period:
        return None  # every token is replaced while it still has 120 s: stale is elsewhere
    expired = [c for c in stale if c.remaining_s is not None and c.remaining_s < -EXPIRED_SLACK_S]
    unprompted = [r for r in rotations if r.seq is not None and not stats.prompted(r)]
    if not expired and 2 * len(unprompted) < len(rotations):
        return None  # refreshes track calls and expiry: a lazy cache, not a timer
    why = (
        f"{len(unprompted)} of {len(rotations)} refreshes were asked for by no call"
        if 2 * len(unprompted) >= len(rotations)
        else f"{len(expired)} calls were served an already expired token"
    )
    source = "refreshes reached Zoom" if stats.zoom_observed else "the token changed"
    return Finding(
        detail=(
            f"{source} every {seconds_text(period)} (±{TIMER_PERIOD_TOLERANCE:.0%}) over "
            f"{len(rotations)} rotations, but tokens live {seconds_text(lifetime)}, so each "
            f"falls under {MIN_VALIDITY:.0f} s after {seconds_text(lifetime - MIN_VALIDITY)} "
            f"and is served stale until the next one ({len(stale)} stale answers); {why}: "
            "the schedule ignores the token's expiry"
        ),
        calls=call_indices(stale),
        zoom_seq=tuple(r.seq for r in rotations if r.seq is not None),
        stats={
            "period_s": round(period, 1),
            "intervals_s": [round(i, 1) for i in intervals],
            "token_lifetime_s": round(lifetime, 1),
            "stale_answers": len(stale),
            "expired_answers": len(expired),
            "unprompted_refreshes": len(unprompted),
        },
    )


def cached_past_expiry(stats: TimelineStats) -> Finding | None:
    """One token served ever closer to expiry and under 120 s, with no refresh request
    reaching Zoom meanwhile (unknown without the fake Zoom: said so)."""
    if refresh_timer(stats) is not None:
        return None  # a timer also serves one token stale between rotations
    hits: list[tuple[TokenSpan, CallPoint, CallPoint]] = []
    for span in stats.tokens:
        stale = span.stale
        if not stale:
            continue
        last = stale[-1]
        first = span.serves[0]
        if first is not last:
            held, since = True, answer_end(first)  # served before, and again with less left
        else:
            # One serve: held since Zoom issued it, before this call even started.
            issued = span.issued_at
            held = issued is not None and issued < last.at - EVENT_SLACK_S
            since = issued if issued is not None else last.at
        if not held:
            continue
        if stats.zoom_observed and [
            e for e in stats.requests_between(since, answer_end(last)) if e.seq != span.issued_seq
        ]:
            continue  # it did ask Zoom: a refused or ignored refresh, not a cache
        hits.append((span, first, last))
    if not hits:
        return None
    token, first, last = hits[0][0].token, hits[0][1], hits[0][2]
    zoom = (
        "and no refresh request reached Zoom meanwhile"
        if stats.zoom_observed
        else "(the Zoom side was not observed: run with --zoom-admin to see its refreshes)"
    )
    stale_calls = [c for span, _, _ in hits for c in span.stale]
    more = f" ({len(hits)} tokens in all)" if len(hits) > 1 else ""
    return Finding(
        detail=(
            f"token {token} was served from {seconds_text(first.remaining_s or 0.0)} left "
            f"down to {seconds_text(last.remaining_s or 0.0)}, under Recall's "
            f"{MIN_VALIDITY:.0f} s, {zoom}{more}"
        ),
        calls=call_indices(stale_calls),
        stats={
            "token": token,
            "first_remaining_s": first.remaining_s,
            "last_remaining_s": last.remaining_s,
            "stale_answers": len(stale_calls),
            "tokens": len(hits),
            "zoom_observed": stats.zoom_observed,
        },
    )
