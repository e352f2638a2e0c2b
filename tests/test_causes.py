"""`diagnose`: one synthetic timeline per cause (SPEC §8), and the look-alikes it must not
confuse (a timer with a cache, a race with a refused refresh, slow at random with slow
while refreshing), a healthy callback with none, the rules each cause lists, its JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace

import pytest

from recall_sim.simulator.causes import (
    CAUSES,
    MAX_EVIDENCE_POINTS,
    Cause,
    CauseId,
    diagnose,
)
from recall_sim.simulator.diagnosis_stats import reduce_timeline
from recall_sim.simulator.timeline import BodyKind, CallPoint, Timeline, ZoomEventPoint

CLIENT_ID = "cLiEnTiD0123456789abcd"
ISSUER = f"zm:cid:{CLIENT_ID}"
T0 = 1_700_000_000.0
MIN_VALIDITY = "contract.min-validity-120s"


def token_id(name: str) -> str:
    """A fingerprint as `redaction.fingerprint` makes them (12 hex digits)."""
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()[:12]


def shown(name: str) -> str:
    """A token as the timeline holds it: redacted, with its fingerprint."""
    return f"eyJ{name}aaaa…zz{name}9 ({token_id(name)})"


def call(
    index: int,
    at: float,
    *,
    token: str | None = "A",
    remaining: float | None = 3000.0,
    answer_s: float = 0.05,
    status: int | None = 200,
    body_kind: BodyKind | None = None,
    issuer: str | None = ISSUER,
    signed: bool = False,
    body_hint: str = "",
    error: str | None = None,
    failed: Sequence[str] | None = None,
) -> CallPoint:
    """A call at ``T0 + at``; its failed rules follow from what it answered unless given."""
    ok = status is not None and 200 <= status < 300
    has_token = ok and token is not None
    if failed is None:
        rules = []
        if not ok:
            rules.append("contract.status-2xx")
        if answer_s >= 5.0:
            rules.append("contract.deadline-5s")
        if has_token and remaining is not None and remaining < 120:
            rules.append(MIN_VALIDITY)
        if has_token and issuer is not None and issuer != ISSUER:
            rules.append("contract.issuer-client-id")
        if ok and not has_token:
            rules.append("contract.plain-token-body")
        failed = rules
    kind: BodyKind = body_kind or ("token" if has_token else "none" if status is None else "empty")
    return CallPoint(
        index=index,
        at=T0 + at,
        answer_s=answer_s,
        status=status,
        error=error,
        body_kind=kind,
        token=shown(token) if has_token and token else None,
        token_id=token_id(token) if has_token and token else None,
        remaining_s=remaining if has_token else None,
        issuer=issuer if has_token else None,
        user_id="uSeR" if has_token else None,
        failed_rules=tuple(failed),
        warned_rules=(),
        signed=signed,
        body_hint=body_hint,
    )


def event(
    seq: int,
    at: float,
    kind: str = "refresh",
    outcome: str = "ok",
    *,
    issued: str | None = None,
    presented: str | None = None,
    error: str | None = None,
    reason: str | None = None,
    status: int | None = None,
) -> ZoomEventPoint:
    return ZoomEventPoint(
        seq=seq,
        at=T0 + at,
        kind=kind,
        outcome=outcome,
        status=status if status is not None else (200 if outcome == "ok" else 400),
        client_id=CLIENT_ID,
        user_id="uSeR",
        error=error,
        reason=reason,
        presented=None if presented is None else shown(presented),
        issued_access_token=None if issued is None else shown(issued),
    )


def timeline(
    calls: Iterable[CallPoint],
    events: Iterable[ZoomEventPoint] = (),
    *,
    zoom: bool = True,
    signing_secret_given: bool = False,
) -> Timeline:
    return Timeline(
        calls=tuple(calls),
        zoom_events=tuple(events),
        client_id=CLIENT_ID,
        signing_secret_given=signing_secret_given,
        zoom_observed=zoom,
    )


def ids(causes: Sequence[Cause]) -> list[CauseId]:
    return [c.cause for c in causes]


def only(causes: Sequence[Cause], cause: CauseId) -> Cause:
    assert ids(causes) == [cause], [c.to_json() for c in causes]
    return causes[0]


# -- scenarios ------------------------------------------------------------------------


def healthy(zoom: bool = True) -> Timeline:
    """600 s tokens refreshed on demand with 300 s left, a call every 10 s, fast answers."""
    calls, events, issued_at, name = [], [event(1, -1.0, "direct_grant", issued="A")], -1.0, "A"
    names = iter("BCDEFGHIJK")
    for n in range(120):
        at = n * 10.0
        if 600 - (at - issued_at) < 300:
            name, issued_at = next(names), at + 0.02
            events.append(event(len(events) + 1, issued_at, issued=name, presented=name.lower()))
        calls.append(call(n, at, token=name, remaining=600 - (at + 0.05 - issued_at)))
    return timeline(calls, events if zoom else (), zoom=zoom)


def cached(zoom: bool = True, *, lifetime: float = 300.0, spacing: float = 10.0) -> Timeline:
    """One 300 s token served every 10 s until it expires; nothing asked Zoom since."""
    count = int(lifetime / spacing)
    calls = [call(n, n * spacing, remaining=lifetime - n * spacing - 0.05) for n in range(count)]
    return timeline(calls, [event(1, -0.5, "direct_grant", issued="A")] if zoom else (), zoom=zoom)


def lazy_at_expiry() -> Timeline:
    """Refreshes only once its 300 s token expired, during the call that needs a new one."""
    calls, events, issued_at, name = [], [event(1, -1.0, "direct_grant", issued="A")], -1.0, "A"
    names = iter("BCDEFG")
    for n in range(100):
        at = n * 10.0
        if 300 - (at - issued_at) <= 0:
            name, issued_at = next(names), at + 0.02
            events.append(event(len(events) + 1, issued_at, issued=name, presented=name.lower()))
        calls.append(call(n, at, token=name, remaining=300 - (at + 0.05 - issued_at)))
    return timeline(calls, events)


def timer(
    zoom: bool = True,
    *,
    period: float = 100.0,
    lifetime: float = 150.0,
    spacing: float = 10.0,
    answer_s: float = 0.05,
    phase: float = 5.0,
) -> Timeline:
    """A timer refreshes every ``period`` s from ``phase`` on, whatever the token has left;
    a call every ``spacing`` s serves whatever the timer left."""
    calls, events = [], [event(1, -1.0, "direct_grant", issued="A")]
    names = "ABCDEFGHIJKLMNOP"
    for n in range(int(5 * period / spacing)):
        at = n * spacing
        generation = int((at - phase) // period) + 1 if at >= phase else 0
        issued_at = phase + (generation - 1) * period if generation else -1.0
        remaining = lifetime - (at + answer_s - issued_at)
        calls.append(call(n, at, token=names[generation], remaining=remaining, answer_s=answer_s))
    for generation in range(1, 5):
        name = names[generation]
        issued = phase + (generation - 1) * period
        events.append(event(len(events) + 1, issued, issued=name, presented=name.lower()))
    return timeline(calls, events if zoom else (), zoom=zoom)


def refused_refresh(error: str, reason: str, kind: str = "refresh") -> Timeline:
    """A 300 s token served until due; each refresh then refused; the callback answers 401."""
    calls: list[CallPoint] = []
    events = [event(1, -0.5, "direct_grant", issued="A")]
    for n in range(40):
        at = n * 10.0
        if 300 - at - 0.05 > 200:
            calls.append(call(n, at, remaining=300 - at - 0.05))
            continue
        events.append(
            event(len(events) + 1, at + 0.02, kind, "rejected", error=error, reason=reason)
        )
        calls.append(call(n, at, token=None, status=401))
    return timeline(calls, events)


# -- one test per cause -----------------------------------------------------------------


def test_a_healthy_callback_has_no_cause() -> None:
    assert diagnose(healthy()) == []
    assert diagnose(healthy(zoom=False)) == []
    assert diagnose(Timeline()) == []


def test_a_cache_served_past_its_refresh_point() -> None:
    cause = only(diagnose(cached()), CauseId.CACHED_PAST_EXPIRY)
    assert "no refresh request reached Zoom" in cause.detail
    stale = [n for n in range(30) if 300 - n * 10 - 0.05 < 120]
    assert cause.evidence["calls"] == stale[:MAX_EVIDENCE_POINTS]
    assert cause.evidence["calls_more"] == len(stale) - MAX_EVIDENCE_POINTS
    assert cause.evidence["last_remaining_s"] == pytest.approx(9.95)
    assert cause.rules == (MIN_VALIDITY,)


def test_a_cache_is_named_without_zoom_saying_zoom_was_not_seen() -> None:
    cause = only(diagnose(cached(zoom=False)), CauseId.CACHED_PAST_EXPIRY)
    assert "Zoom side was not observed" in cause.detail
    assert cause.evidence["zoom_observed"] is False


def test_a_token_served_once_is_a_cache_only_when_held_since_zoom_issued_it() -> None:
    held = timeline([call(0, 200.0, remaining=100.0)], [event(1, 0.0, "direct_grant", issued="A")])
    assert ids(diagnose(held)) == [CauseId.CACHED_PAST_EXPIRY]
    # Issued during the call that served it (Zoom's tokens are short): nothing was cached.
    fresh = timeline([call(0, 200.0, remaining=100.0)], [event(1, 200.01, issued="A")])
    assert diagnose(fresh) == []


def test_the_refresh_that_issued_a_held_token_is_not_a_refresh_since() -> None:
    issued_by_refresh = timeline(
        [call(0, 200.0, remaining=100.0)], [event(1, 0.0, issued="A", presented="r")]
    )
    assert ids(diagnose(issued_by_refresh)) == [CauseId.CACHED_PAST_EXPIRY]


def test_a_cache_that_asked_zoom_is_not_a_cache() -> None:
    base = cached()
    rejected = event(
        2, 250.0, "refresh", "rejected", error="invalid_grant", reason="Invalid Token!"
    )
    asked = timeline(base.calls, (*base.zoom_events, rejected))
    assert CauseId.CACHED_PAST_EXPIRY not in ids(diagnose(asked))


def test_a_lazy_refresh_at_expiry_is_a_cache_not_a_timer() -> None:
    # Its rotations are periodic too, but each comes from a call, at the token's expiry.
    assert ids(diagnose(lazy_at_expiry())) == [CauseId.CACHED_PAST_EXPIRY]


def test_a_refresh_timer_shows_its_period() -> None:
    cause = only(diagnose(timer()), CauseId.REFRESH_TIMER)
    assert cause.evidence["period_s"] == pytest.approx(100.0)
    assert cause.evidence["token_lifetime_s"] == pytest.approx(150.0, abs=0.5)
    assert cause.evidence["unprompted_refreshes"] == 4
    assert cause.evidence["zoom_seq"] == [2, 3, 4, 5]
    assert "every 100 s" in cause.detail
    assert MIN_VALIDITY in cause.rules


def test_a_timer_is_told_while_calls_cover_every_instant() -> None:
    # A call every 0.5 s taking 0.5 s: each refresh lands inside a call, which still
    # answers with the old token. On demand, the waiting call would carry the new one.
    busy = timer(period=10.0, lifetime=125.0, spacing=0.5, answer_s=0.5, phase=5.2)
    cause = only(diagnose(busy), CauseId.REFRESH_TIMER)
    assert cause.evidence["period_s"] == pytest.approx(10.0)
    assert cause.evidence["unprompted_refreshes"] == 4


def test_a_timer_is_not_called_a_cache() -> None:
    assert CauseId.CACHED_PAST_EXPIRY not in ids(diagnose(timer()))


def test_a_timer_without_zoom_is_told_by_the_expired_tokens_it_serves() -> None:
    # Longer than the token lives: between expiry and the timer, dead tokens are served.
    cause = only(diagnose(timer(zoom=False, period=200.0, lifetime=130.0)), CauseId.REFRESH_TIMER)
    assert cause.evidence["period_s"] == pytest.approx(200.0, abs=10)
    assert cause.evidence["expired_answers"] > 0
    assert "the token changed every" in cause.detail


def test_a_timer_that_keeps_tokens_fresh_is_no_cause() -> None:
    # Recall's sample: a 20-minute timer against 60-minute tokens never serves a stale one.
    fresh = timer(period=100.0, lifetime=400.0)
    assert diagnose(fresh) == []
    # A stale token from before the timer started is not the timer's doing.
    old = timeline([call(0, 0.0, token="Q", remaining=100.0), *fresh.calls[1:]], fresh.zoom_events)
    assert CauseId.REFRESH_TIMER not in ids(diagnose(old))


@pytest.mark.parametrize(
    ("kind", "error", "reason", "words"),
    [
        ("refresh", "invalid_request", "Missing refresh_token.", "no refresh token"),
        ("refresh", "invalid_grant", "Invalid Token!", "malformed, unknown"),
        ("token_request", "invalid_client", "Invalid client_id or client_secret", "client secret"),
    ],
)
def test_a_refused_refresh_shows_zoom_s_reason_and_what_the_callback_answered(
    kind: str, error: str, reason: str, words: str
) -> None:
    cause = only(diagnose(refused_refresh(error, reason, kind)), CauseId.REFRESH_FAILED)
    assert words in cause.detail
    assert reason in cause.detail
    assert cause.evidence["answered_after"] == {"401": 30}
    assert cause.evidence["zoom_seq"][0] == 2
    assert "contract.status-2xx" in cause.rules


def test_what_the_callback_answered_after_a_refusal_ends_at_the_next_granted_refresh() -> None:
    calls = [call(n, n * 10.0, remaining=300 - n * 10.0) for n in range(10)]
    calls += [call(n, n * 10.0, token=None, status=503) for n in range(10, 13)]
    calls += [call(n, n * 10.0, token="B", remaining=590.0) for n in range(13, 20)]
    events = [
        event(1, -0.5, "direct_grant", issued="A"),
        event(2, 100.02, "refresh", "rejected", error="invalid_client", reason="Invalid client"),
        event(3, 130.02, issued="B", presented="r"),
    ]
    cause = only(diagnose(timeline(calls, events)), CauseId.REFRESH_FAILED)
    assert cause.evidence["answered_after"] == {"503": 3, "200": 1}  # call 13 got the fix
    assert cause.evidence["calls"] == [10, 11, 12, 13]


def test_a_refresh_that_never_reaches_zoom_is_a_failed_refresh() -> None:
    base = refused_refresh("invalid_request", "Missing refresh_token.")
    silent = timeline(base.calls, base.zoom_events[:1])
    cause = only(diagnose(silent), CauseId.REFRESH_FAILED)
    assert "no refresh request reached Zoom" in cause.detail
    unobserved = only(diagnose(timeline(base.calls, zoom=False)), CauseId.REFRESH_FAILED)
    assert "not observed" in unobserved.detail
    assert unobserved.evidence["answered_after"] == {"401": 30}


def test_a_refresh_that_fails_in_the_callback_is_named_before_the_token_runs_out() -> None:
    # It refreshes with 128 s left, fails before calling Zoom, and answers 401; the run
    # ends before the token would fall under 120 s.
    calls = [call(n, n * 1.0, remaining=130.0 - n) for n in range(3)]
    calls += [call(n, n * 1.0, token=None, status=401) for n in range(3, 8)]
    cause = only(diagnose(timeline(calls)), CauseId.REFRESH_FAILED)
    assert cause.evidence["answered_after"] == {"401": 5}


def test_refusals_long_before_the_token_was_due_are_no_failed_refresh() -> None:
    # It stopped with 2900 s left: whatever made it refuse, it was not a refresh.
    calls = [call(n, n * 10.0) for n in range(5)]
    calls += [call(n, n * 10.0, token=None, status=401) for n in range(5, 10)]
    assert diagnose(timeline(calls, zoom=False)) == []


def test_refusals_after_the_user_removed_the_app_are_no_cause() -> None:
    base = refused_refresh("invalid_grant", "Invalid Token!")
    removed = event(99, 99.0, "deauthorize")
    assert diagnose(timeline(base.calls, (*base.zoom_events, removed))) == []


def race(*, concurrent: bool) -> Timeline:
    """Token A due at 100 s; five calls then refresh with one refresh token ``r``."""
    calls = [call(n, n * 10.0, remaining=300 - n * 10.0) for n in range(10)]
    spread = 0.0 if concurrent else 1.0  # sequential calls, one after another
    burst = [
        call(10 + k, 100.0 + k * spread, token="B", remaining=599.0, answer_s=0.4) for k in range(5)
    ]
    events = [
        event(1, -0.5, "direct_grant", issued="A"),
        event(2, 100.1, issued="B", presented="r"),
        event(
            3,
            100.1 + 2.2 * spread,
            "refresh_token_reuse",
            "rejected",
            presented="r",
            error="invalid_grant",
            reason="Invalid Token!",
        ),
    ]
    return timeline([*calls, *burst], events)


def test_a_refresh_race_is_one_refresh_token_presented_twice_in_a_burst() -> None:
    cause = only(diagnose(race(concurrent=True)), CauseId.REFRESH_RACE)
    assert cause.evidence["zoom_seq"] == [2, 3]
    assert cause.evidence["presentations"] == 2
    assert cause.evidence["overlapping_calls"] == 5
    assert "freshness.concurrent-refresh" not in cause.rules
    with_rules = diagnose(race(concurrent=True), failed_rules=["freshness.concurrent-refresh"])
    assert with_rules[0].rules == ("freshness.concurrent-refresh",)


def test_a_race_is_not_called_a_failed_refresh_and_a_sequential_reuse_is_not_a_race() -> None:
    assert CauseId.REFRESH_FAILED not in ids(diagnose(race(concurrent=True)))
    cause = only(diagnose(race(concurrent=False)), CauseId.REFRESH_FAILED)
    assert "reused a refresh token" in cause.detail


def test_a_journal_alone_tells_a_burst_by_time() -> None:
    def presented_twice(gap: float) -> Timeline:
        return timeline(
            [],
            [
                event(1, 10.0, issued="B", presented="r"),
                event(
                    2,
                    10.0 + gap,
                    "refresh_token_reuse",
                    "rejected",
                    presented="r",
                    error="invalid_grant",
                    reason="Invalid Token!",
                ),
            ],
        )

    assert ids(diagnose(presented_twice(0.05))) == [CauseId.REFRESH_RACE]
    assert ids(diagnose(presented_twice(60.0))) == [CauseId.REFRESH_FAILED]


def test_later_refusals_of_a_grant_the_race_revoked_stay_with_the_race() -> None:
    base = race(concurrent=True)
    revoked = event(4, 160.0, "refresh", "rejected", error="invalid_grant", reason="Invalid Token!")
    assert ids(diagnose(timeline(base.calls, (*base.zoom_events, revoked)))) == [
        CauseId.REFRESH_RACE
    ]


def upstream_failure(body: BodyKind, *, zoom: bool = True) -> Timeline:
    """A 300 s token refreshed when due; Zoom's endpoint then fails on every request: the
    callback answers 503 (right) for a while, then 200 with ``body`` (wrong)."""
    calls, events = [], [event(1, -0.5, "direct_grant", issued="A")]
    for n in range(36):
        at = n * 10.0
        if at < 180:
            calls.append(call(n, at, remaining=300 - at - 0.05))
            continue
        events.append(event(len(events) + 1, at + 0.01, "fault", "fault", status=None))
        if at < 300:
            calls.append(call(n, at, token=None, status=503))
        else:
            calls.append(call(n, at, token=None, status=200, body_kind=body))
    return timeline(calls, events if zoom else (), zoom=zoom)


def test_an_empty_success_after_a_failed_upstream_call() -> None:
    cause = only(diagnose(upstream_failure("empty")), CauseId.EMPTY_SUCCESS)
    assert cause.evidence["calls"] == list(range(30, 36))
    assert cause.evidence["bodies"] == {"empty": 6}
    assert cause.evidence["zoom_seq"] == list(range(14, 20))  # each call's own fault
    assert "contract.plain-token-body" in cause.rules
    unobserved = only(diagnose(upstream_failure("other", zoom=False)), CauseId.EMPTY_SUCCESS)
    assert "expired" in unobserved.detail


def test_a_non_token_body_without_an_upstream_failure_is_no_empty_success() -> None:
    # A callback that answers JSON from the start breaks the contract, for no cause here.
    calls = [call(n, n * 10.0, token=None, body_kind="other") for n in range(6)]
    assert diagnose(timeline(calls, [event(1, -1.0, "direct_grant", issued="A")])) == []
    # Zoom failed, then a refresh succeeded: an empty 200 after that is not the failure's.
    recovered = timeline(
        [call(0, 0.0), call(1, 30.0, token=None, body_kind="empty")],
        [
            event(1, -1.0, "direct_grant", issued="A"),
            event(2, 10.0, "fault", "fault"),
            event(3, 20.0, issued="B", presented="r"),
        ],
    )
    assert diagnose(recovered) == []
    # Without Zoom, while the last token still lives, there is no failure to blame.
    assert diagnose(timeline(recovered.calls, zoom=False)) == []


SLOW = {3: 4.2, 7: 5.6, 11: 3.9, 15: 6.0, 18: 4.8}


def slow_random(zoom: bool = True) -> Timeline:
    """A fast callback with 5 of 20 answers slow at random; refreshes come on fast calls."""
    calls, events = [], [event(1, -1.0, "direct_grant", issued="A")]
    names = "ABCDE"
    for n in range(20):
        generation = n // 5
        if n % 5 == 0 and n:
            events.append(event(len(events) + 1, n * 10.0 + 0.01, issued=names[generation]))
        remaining = 3000.0 - (n % 5) * 10
        calls.append(
            call(
                n,
                n * 10.0,
                token=names[generation],
                remaining=remaining,
                answer_s=SLOW.get(n, 0.05),
            )
        )
    return timeline(calls, events if zoom else (), zoom=zoom)


def slow_inline(zoom: bool = True) -> Timeline:
    """Fast, except the calls that refresh: each waits 3-4 s on Zoom's token endpoint."""
    calls, events = [], [event(1, -1.0, "direct_grant", issued="A")]
    names = "ABCDE"
    for n in range(20):
        generation = n // 5
        refreshing = n % 5 == 0 and n > 0
        if refreshing:
            events.append(event(len(events) + 1, n * 10.0 + 3.0, issued=names[generation]))
        answer = 3.6 if refreshing else 0.05
        calls.append(call(n, n * 10.0, token=names[generation], remaining=3000.0, answer_s=answer))
    return timeline(calls, events if zoom else (), zoom=zoom)


def test_slow_at_random_shows_the_spread() -> None:
    cause = only(diagnose(slow_random()), CauseId.SLOW_AT_RANDOM)
    assert cause.evidence["calls"] == sorted(SLOW)
    assert cause.evidence["p50_s"] == pytest.approx(0.05)
    assert cause.evidence["p95_s"] > 5.0
    assert cause.evidence["slow_share"] == pytest.approx(0.25)
    assert cause.evidence["over_budget_share"] == pytest.approx(0.1)
    assert cause.rules == ("contract.deadline-5s",)


def test_slow_while_refreshing_inline() -> None:
    cause = only(diagnose(slow_inline()), CauseId.SLOW_REFRESH_INLINE)
    assert cause.evidence["calls"] == [5, 10, 15]
    assert cause.evidence["zoom_seq"] == [2, 3, 4]
    unobserved = only(diagnose(slow_inline(zoom=False)), CauseId.SLOW_REFRESH_INLINE)
    assert "new token" in unobserved.detail


def test_a_slow_answer_that_queued_behind_a_refresh_waited_on_it() -> None:
    # Call 5 refreshes: Zoom answers at once, the callback then stores the token slowly,
    # and Recall gives up on call 5. Call 6 queues behind that refresh and is the first
    # to carry its token: slow because of the refresh, though no request reached Zoom
    # while it waited.
    calls = [call(n, n * 1.0, token="A", remaining=3000.0) for n in range(5)]
    calls += [
        call(5, 5.0, token=None, status=None, error="deadline-before-headers", answer_s=5.0),
        call(6, 10.5, token="B", remaining=3000.0, answer_s=3.0),
    ]
    calls += [call(n, n * 1.0 + 8.0, token="B", remaining=3000.0) for n in range(7, 10)]
    queued = timeline(
        calls, [event(1, -1.0, "direct_grant", issued="A"), event(2, 5.01, issued="B")]
    )
    cause = only(diagnose(queued), CauseId.SLOW_REFRESH_INLINE)
    assert cause.evidence["calls"] == [5, 6]
    assert cause.evidence["waited_on_refresh"] == 2


def test_slow_at_random_and_slow_refresh_inline_are_told_apart() -> None:
    assert CauseId.SLOW_REFRESH_INLINE not in ids(diagnose(slow_random()))
    assert CauseId.SLOW_REFRESH_INLINE not in ids(diagnose(slow_random(zoom=False)))
    assert CauseId.SLOW_AT_RANDOM not in ids(diagnose(slow_inline()))
    # A few calls are no spread: two slow answers of four say nothing yet.
    few = timeline(slow_random().calls[:4])
    assert diagnose(few) == []


def test_a_stall_the_harness_injected_is_not_the_callback_s_slowness() -> None:
    calls = [call(n, n * 10.0, answer_s=3.0 if n in {4, 5} else 0.05) for n in range(10)]
    stalls = [event(1, 40.5, "fault", "fault"), event(2, 50.5, "fault", "fault")]
    assert diagnose(timeline(calls, stalls)) == []
    # ...unless it let the stall run past the budget: then it never bounded the Zoom call.
    hung = [call(n, n * 10.0, answer_s=5.2 if n in {4, 5} else 0.05) for n in range(10)]
    assert ids(diagnose(timeline(hung, stalls))) == [CauseId.SLOW_REFRESH_INLINE]


def test_a_stall_the_harness_injected_is_its_own_even_with_a_refresh_beside_it() -> None:
    # An OBF callback refreshes its access token, then waits on the stalled OBF endpoint:
    # the refresh is real, but the slowness is the harness's stall (within the budget).
    calls = [call(n, n * 10.0, answer_s=2.6 if n in {4, 5} else 0.05) for n in range(10)]
    events = [
        event(1, 40.2, issued="B"),
        event(2, 40.3, "fault", "fault"),
        event(3, 50.2, issued="C"),
        event(4, 50.3, "fault", "fault"),
    ]
    assert diagnose(timeline(calls, events)) == []


def test_a_refresh_just_after_a_stalled_answer_is_not_one_it_waited_for() -> None:
    # The reference callback under an injected stall: one answer waits 2.5 s and gives up
    # with a 503; the next call's refresh reaches Zoom 6 ms after that answer ended.
    calls = [call(n, n * 10.0) for n in range(10)]
    calls[4] = call(4, 40.0, token=None, status=503, answer_s=2.5)
    events = [
        event(1, 40.1, "fault", "fault"),
        event(2, 42.506, issued="B"),
    ]
    assert diagnose(timeline(calls, events)) == []


def test_signatures_required_but_not_sent() -> None:
    hint = "missing webhook-signature header"
    named = [call(n, n, token=None, status=401, body_hint=hint) for n in range(3)]
    cause = only(diagnose(timeline(named)), CauseId.SIGNATURE_REQUIRED)
    assert cause.evidence["named_signature"] == 3
    assert cause.rules == ("contract.status-2xx",)
    # Without words: every unsigned call refused while the run had no secret.
    silent = [call(n, n, token=None, status=403) for n in range(3)]
    assert ids(diagnose(timeline(silent))) == [CauseId.SIGNATURE_REQUIRED]


def test_refusals_are_no_signature_cause_when_the_run_signed_or_a_call_got_through() -> None:
    signed = [call(n, n, token=None, status=401, signed=True) for n in range(3)]
    assert diagnose(timeline(signed, signing_secret_given=True)) == []
    # The auth rules' unsigned probes are refused, naming the signature: that is right.
    probes = [call(n, n, token=None, status=401, body_hint="bad signature") for n in range(3)]
    assert diagnose(timeline([call(9, 9, signed=True), *probes], signing_secret_given=True)) == []
    assert diagnose(timeline([call(9, 9), *probes])) == []
    # Signed and still refused for the signature: the secret is wrong, not missing.
    wrong = [
        call(n, n, token=None, status=401, signed=True, body_hint="bad signature") for n in range(3)
    ]
    assert diagnose(timeline([*wrong, *probes], signing_secret_given=True)) == []
    # A 500 is not a refusal.
    assert diagnose(timeline([call(0, 0, token=None, status=500)])) == []


def test_a_token_of_another_app() -> None:
    calls = [call(n, n * 10.0, issuer="zm:cid:SomeOtherApp") for n in range(3)]
    cause = only(diagnose(timeline(calls)), CauseId.WRONG_APP)
    assert cause.evidence["issuers"] == ["zm:cid:SomeOtherApp"]
    assert cause.evidence["expected_issuer"] == ISSUER
    assert cause.rules == ("contract.issuer-client-id",)
    no_client = Timeline(calls=tuple(calls))
    assert diagnose(no_client) == []


# -- the reduce step ---------------------------------------------------------------------


def test_the_reduced_timeline_finds_calls_in_flight_and_requests_by_time() -> None:
    calls = [
        call(0, 0.0, answer_s=40.0, token="A"),  # a hang: still in flight at 30 s
        call(1, 10.0, answer_s=1.0, token="A"),
        call(2, 30.0, answer_s=1.0, token="B"),
    ]
    events = [
        event(1, -1.0, "direct_grant", issued="A"),
        event(2, 30.5, issued="B", presented="r"),
        event(3, 35.0, "fault", "fault"),
    ]
    stats = reduce_timeline(timeline(calls, events))
    assert [c.index for c in stats.overlapping_calls(T0 + 25, T0 + 26)] == [0]
    assert [c.index for c in stats.overlapping_calls(T0 + 30.2, T0 + 30.3)] == [0, 2]
    assert [e.seq for e in stats.requests_between(T0 + 30, T0 + 40)] == [2, 3]
    assert [e.seq for e in stats.requests_during(calls[2])] == [2]
    last = stats.last_event_before(T0 + 34)
    assert last is not None and last.seq == 2
    assert stats.last_event_before(T0) is None
    [rotation] = stats.rotations
    assert rotation.token_id == token_id("B")
    assert stats.prompted(rotation)  # call 2 waited on it and answered with its token
    assert stats.spans[token_id("A")].issued_seq == 1
    assert stats.new_token_calls == frozenset({2})


# -- rules, order, shape ----------------------------------------------------------------


def test_rules_are_the_run_s_failures_it_explains_plus_its_evidence_s() -> None:
    failed = ["load.burst", "contract.issuer-client-id", "freshness.refresh-before-expiry"]
    cause = only(diagnose(cached(), failed_rules=failed), CauseId.CACHED_PAST_EXPIRY)
    # In the catalog's order; the issuer rule is not the cache's to explain.
    assert cause.rules == (MIN_VALIDITY, "freshness.refresh-before-expiry", "load.burst")


def test_the_most_explanatory_cause_leads_then_the_most_harmful() -> None:
    base = cached()
    wrong = [call(99, 400.0, token="Z", issuer="zm:cid:Other")]
    both = timeline([*base.calls, *wrong], base.zoom_events)
    assert ids(diagnose(both)) == [CauseId.WRONG_APP, CauseId.CACHED_PAST_EXPIRY]
    failed = ["freshness.refresh-before-expiry", "load.burst", "contract.issuer-client-id"]
    assert ids(diagnose(both, failed_rules=failed)) == [
        CauseId.CACHED_PAST_EXPIRY,
        CauseId.WRONG_APP,
    ]


def test_each_cause_once_and_json_in_spec_shape() -> None:
    base = cached()
    wrong = [call(99, 400.0, token="Z", issuer="zm:cid:Other")]
    causes = diagnose(timeline([*base.calls, *wrong], base.zoom_events))
    assert len(set(ids(causes))) == len(causes)
    for cause in causes:
        data = json.loads(json.dumps(cause.to_json()))
        assert list(data) == ["cause", "title", "detail", "evidence", "fix", "rules"]
        assert data["cause"] == cause.cause.value
        assert data["title"] == CAUSES[cause.cause].title
        assert data["fix"] == CAUSES[cause.cause].fix
        assert isinstance(data["evidence"]["calls"], list)
        assert isinstance(data["evidence"]["zoom_seq"], list)
        assert data["rules"] == list(cause.rules)


def test_every_cause_has_a_predicate_and_a_rank() -> None:
    # A new CauseId without a predicate would silently never be named.
    found = {
        *ids(diagnose(cached())),
        *ids(diagnose(timer())),
        *ids(diagnose(refused_refresh("invalid_grant", "Invalid Token!"))),
        *ids(diagnose(upstream_failure("empty"))),
        *ids(diagnose(race(concurrent=True))),
        *ids(diagnose(slow_random())),
        *ids(diagnose(slow_inline())),
        *ids(diagnose(timeline([call(0, 0, token=None, status=401)]))),
        *ids(diagnose(timeline([call(0, 0, issuer="zm:cid:Other")]))),
        *ids(diagnose(obf_cached())),
    }
    assert found == set(CauseId)


def obf_cached() -> Timeline:
    """Two bots' OBF calls answered with one token; the second fails obf.fresh-per-call."""
    first = replace(call(0, 0, token="OBF", remaining=None, issuer=None), label="bot_obf")
    second = replace(
        call(1, 60, token="OBF", remaining=None, issuer=None, failed=["obf.fresh-per-call"]),
        label="bot_obf",
    )
    return timeline([first, second])


def test_an_obf_token_served_twice_is_named_with_the_rule_it_explains() -> None:
    found = only(diagnose(obf_cached(), failed_rules=["obf.fresh-per-call"]), CauseId.OBF_REUSED)
    assert found.rules == ("obf.fresh-per-call",)
    assert found.evidence["calls"] == [0, 1]
    assert found.evidence["reused_tokens"] == 1 and found.evidence["most_serves"] == 2
    # Access tokens served on many calls are a healthy cache, not this cause.
    assert CauseId.OBF_REUSED not in ids(diagnose(timeline([call(0, 0), call(1, 60)])))
