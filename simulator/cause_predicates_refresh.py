"""The diagnosis's predicates about refreshes Zoom refused or that failed upstream: a
refresh race, a failed refresh, and a 2xx without a token after an upstream failure.

A reused refresh token is a race only when the presentations fell in one burst of
concurrent calls; otherwise the callback keeps presenting a spent token, a failed
refresh. Same contract as `recall_sim.simulator.cause_predicates`: a `Finding` or None.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

from recall_sim.simulator.cause_predicates import (
    BURST_WINDOW_S,
    END_OF_GRANT_KINDS,
    LIKELY_REFRESH_MARGIN_S,
    MIN_REFUSED_AFTER_DUE,
    Finding,
    answer_counts,
    call_indices,
    counts_text,
    seconds_text,
)
from recall_sim.simulator.diagnosis_stats import (
    EVENT_SLACK_S,
    FAILED_OUTCOMES,
    TimelineStats,
    answer_end,
    is_2xx,
)
from recall_sim.simulator.judge import MIN_VALIDITY
from recall_sim.simulator.timeline import CallPoint, ZoomEventPoint

__all__ = ["empty_success", "refresh_failed", "refresh_race"]


def _concurrent(stats: TimelineStats, start: float, end: float) -> bool | None:
    """Whether calls overlapped around [start, end]; None when no call was there."""
    around = sorted(stats.overlapping_calls(start - BURST_WINDOW_S, end), key=lambda c: c.at)
    if not around:
        return None
    latest_end = answer_end(around[0])
    for call in around[1:]:
        if call.at < latest_end:
            return True
        latest_end = max(latest_end, answer_end(call))
    return False


def _race_events(stats: TimelineStats) -> list[tuple[ZoomEventPoint, ZoomEventPoint]]:
    """Bursts in which one refresh token was presented more than once, concurrently."""
    by_token: dict[str, list[ZoomEventPoint]] = {}
    for event in stats.token_requests:
        if event.kind in {"refresh", "refresh_token_reuse"} and event.presented:
            by_token.setdefault(event.presented, []).append(event)
    races: list[tuple[ZoomEventPoint, ZoomEventPoint]] = []
    for events in by_token.values():
        for a, b in pairwise(events):
            if b.at - a.at > BURST_WINDOW_S:
                continue
            # No call in sight (a journal alone): two presentations in one burst is a race.
            if _concurrent(stats, a.at, b.at) is not False:
                races.append((a, b))
    return races


def refresh_race(stats: TimelineStats) -> Finding | None:
    """One refresh token presented twice to Zoom within one burst of concurrent calls."""
    races = _race_events(stats)
    if not races:
        return None
    events = sorted({e for pair in races for e in pair}, key=lambda e: e.seq)
    start, end = events[0].at, events[-1].at
    burst = stats.overlapping_calls(start - BURST_WINDOW_S, end)
    reuses = [e for e in events if e.kind == "refresh_token_reuse" or e.outcome == "rejected"]
    return Finding(
        detail=(
            f"refresh token {events[0].presented} was presented {len(events)} times within "
            f"{seconds_text(end - start)} while {len(burst)} calls overlapped; Zoom spends a "
            f"refresh token once and refused {len(reuses)} reuse(s) "
            f"({events[-1].reason or events[-1].error or 'rejected'})"
        ),
        calls=call_indices(burst),
        zoom_seq=tuple(e.seq for e in events),
        stats={
            "presentations": len(events),
            "overlapping_calls": len(burst),
            "within_s": round(end - start, 3),
        },
    )


def _reason(event: ZoomEventPoint) -> str:
    """Zoom's refusal in words a callback author recognises."""
    if event.kind == "refresh_token_reuse":
        return "reused a refresh token already spent (Zoom rotates it on every refresh)"
    if event.error == "invalid_client":
        return "wrong client id or client secret (invalid_client)"
    if event.error == "invalid_request" and "refresh" in (event.reason or "").lower():
        return "no refresh token in the request (missing or misnamed field)"
    if event.error == "invalid_grant":
        return "a malformed, unknown, expired or revoked refresh token (invalid_grant)"
    return f"{event.error or 'rejected'}"


def _after_grant_ended(stats: TimelineStats) -> float | None:
    ends = [
        e.at
        for e in stats.timeline.zoom_events
        if e.kind in END_OF_GRANT_KINDS and e.outcome == "ok"
    ]
    return min(ends) if ends else None


def refresh_failed(stats: TimelineStats) -> Finding | None:
    """Zoom refused the callback's refresh (not in a race, not after the user removed
    the app), or, unseen at Zoom, the callback refused every call once a refresh fell due."""
    race_start = min((e.at for pair in _race_events(stats) for e in pair), default=None)
    grant_end = _after_grant_ended(stats)
    refused = [
        e
        for e in stats.token_requests
        if e.outcome == "rejected"
        and (grant_end is None or e.at < grant_end)  # refusing a dead grant is Zoom's job
        # The race's own reuse, and later invalid_grant refusals of the grant a reuse can
        # revoke, are the race's.
        and not (race_start is not None and e.at >= race_start and e.error == "invalid_grant")
    ]
    if refused:
        return _refused_at_zoom(stats, refused)
    return _refused_unobserved(stats, grant_end)


def _answered_after(stats: TimelineStats, refused: Sequence[ZoomEventPoint]) -> list[CallPoint]:
    """The calls from each refusal until the next refresh Zoom granted: what the callback
    answered while its refresh failed."""
    oks = [e.at for e in stats.token_requests if e.kind == "refresh" and e.outcome == "ok"]
    starts: list[float] = []
    ends: list[float] = []
    for event in sorted(refused, key=lambda e: e.at):
        following = bisect.bisect_right(oks, event.at)
        starts.append(event.at - EVENT_SLACK_S)
        ends.append(oks[following] if following < len(oks) else math.inf)
    after = []
    for call in stats.calls:
        # A later refusal recovers no sooner than an earlier one (ends never decrease), so
        # the last window opening before the answer is the one that reaches furthest.
        opened = bisect.bisect_right(starts, answer_end(call)) - 1
        if opened >= 0 and ends[opened] >= call.at:
            after.append(call)
    return after


def _refused_at_zoom(stats: TimelineStats, refused: Sequence[ZoomEventPoint]) -> Finding:
    after = _answered_after(stats, refused)
    reasons = Counter(_reason(e) for e in refused)
    zoom_words = sorted(
        {f"{e.status or ''} {e.error}: {e.reason}".strip() for e in refused if e.error}
    )
    answers = answer_counts(after)
    main = reasons.most_common(1)[0][0]
    return Finding(
        detail=(
            f"Zoom refused {len(refused)} refresh request(s): {main} "
            f"(Zoom said {'; '.join(zoom_words[:3]) or 'rejected'}); the callback then "
            f"answered {counts_text(answers) or 'nothing observed'}"
        ),
        calls=call_indices(after),
        zoom_seq=tuple(e.seq for e in refused),
        stats={"reasons": dict(reasons), "zoom_said": zoom_words, "answered_after": answers},
    )


def _refused_unobserved(stats: TimelineStats, grant_end: float | None) -> Finding | None:
    served = [s for s in stats.tokens if s.expires_at is not None]
    if not served:
        return None
    last = max(served, key=lambda s: s.serves[-1].at)
    assert last.expires_at is not None
    # Every call since the token was last served refused, and it stopped where a refresh
    # was due (within a usual margin of expiry, or past Recall's 120 s): the callback
    # stopped at its refresh and never got further.
    final = last.serves[-1]
    stopped = answer_end(final)
    after = [c for c in stats.calls if c.at >= stopped]
    near_due = (final.remaining_s is not None and final.remaining_s < LIKELY_REFRESH_MARGIN_S) or (
        bool(after) and after[-1].at >= last.expires_at - MIN_VALIDITY
    )
    if (
        len(after) < MIN_REFUSED_AFTER_DUE
        or not near_due
        or not all(c.status is not None and c.status >= 400 for c in after)
    ):
        return None
    if stats.zoom_observed:
        if grant_end is not None or stats.requests_between(stopped, answer_end(after[-1])):
            return None  # it asked Zoom (a fault, a dead grant): refusing is right then
        where = (
            "no refresh request reached Zoom: the refresh failed in the callback before sending it"
        )
    else:
        where = "the Zoom side was not observed (run with --zoom-admin to see Zoom's answer)"
    answers = answer_counts(after)
    return Finding(
        detail=(
            f"after token {last.token} fell due for a refresh, every call was refused "
            f"({counts_text(answers)}) and no new token was served; {where}"
        ),
        calls=call_indices(after),
        stats={"answered_after": answers, "zoom_observed": stats.zoom_observed},
    )


def empty_success(stats: TimelineStats) -> Finding | None:
    """A 2xx without a usable token right after an upstream failure (or, unobserved,
    after the last token expired)."""
    hits: list[CallPoint] = []
    seqs: set[int] = set()
    last_served: CallPoint | None = None  # the last call before this one with a token
    for call in stats.calls:
        no_token = call.body_kind in {"empty", "other"} or (
            call.body_kind == "token" and "contract.jwt-access-token" in call.failed_rules
        )
        if is_2xx(call) and no_token:
            if stats.zoom_observed:
                last = stats.last_event_before(answer_end(call))
                if last is not None and last.outcome in FAILED_OUTCOMES:
                    hits.append(call)
                    seqs.add(last.seq)
            elif last_served is not None and last_served.token_id is not None:
                expires = stats.spans[last_served.token_id].expires_at
                if expires is not None and expires <= answer_end(call):
                    hits.append(call)
        if call.token_id is not None:
            last_served = call
    if not hits:
        return None
    kinds = Counter(c.body_kind if c.body_kind != "token" else "not a JWT" for c in hits)
    events = ", ".join(map(str, sorted(seqs)))
    upstream = (
        f"each right after Zoom's token endpoint failed (events {events})"
        if stats.zoom_observed
        else "after the last token had expired (the Zoom side was not observed)"
    )
    return Finding(
        detail=(
            f"{len(hits)} answer(s) were {hits[0].status} with "
            f"{', '.join(f'{k} body ×{n}' for k, n in kinds.items())} {upstream}"
        ),
        calls=call_indices(hits),
        zoom_seq=tuple(sorted(seqs)),
        stats={"bodies": dict(kinds), "statuses": answer_counts(hits)},
    )
