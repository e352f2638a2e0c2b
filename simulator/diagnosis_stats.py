"""The diagnosis's reduce step: a `Timeline` boiled down to the few statistics causes are
read from (tokens and how long each was served, rotations, Zoom token requests, answer
times), so each predicate in `recall_sim.simulator.cause_predicates` is a short test.

Pure: no I/O, no clock. Only redacted values pass through (token fingerprints).
"""

from __future__ import annotations

import bisect
import itertools
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from recall_sim.simulator.judge import DEADLINE_WARN, MIN_VALIDITY, RECALL_BUDGET
from recall_sim.simulator.timeline import CallPoint, Timeline, ZoomEventPoint

__all__ = [
    "EVENT_SLACK_S",
    "FAILED_OUTCOMES",
    "FINGERPRINT",
    "SLOW_SHARE_OF_BUDGET",
    "TOKEN_REQUEST_KINDS",
    "AnswerStats",
    "Rotation",
    "TimelineStats",
    "TokenSpan",
    "answer_end",
    "is_2xx",
    "reduce_timeline",
]

# Events of a request the callback made at Zoom's token endpoint. A fault is journaled
# when an injected fault takes a token request, so it too means "a request reached Zoom".
TOKEN_REQUEST_KINDS: Final = frozenset({"refresh", "refresh_token_reuse", "token_request", "fault"})
FAILED_OUTCOMES: Final = frozenset({"rejected", "fault", "abandoned"})
# An answer that took at least this share of its budget is slow: 2.5 s of Recall's 5 s,
# where the judge starts to warn (a simulated Recall's shorter budget scales with it).
SLOW_SHARE_OF_BUDGET: Final = DEADLINE_WARN / RECALL_BUDGET
# Two clocks (the prober's and the fake Zoom's) and microsecond rounding in journals:
# an event this close to a call's window counts as inside it. Small, because callers
# poll often (every 0.5 s): wide windows would cover every instant.
EVENT_SLACK_S: Final = 0.05
_DEADLINE_ERRORS: Final = frozenset({"deadline-before-headers", "deadline-during-body"})
# How a redacted token names its fingerprint (`recall_sim.simulator.redaction`).
FINGERPRINT: Final = re.compile(r"sha256:[0-9a-f]{12}")


def is_2xx(call: CallPoint) -> bool:
    return call.status is not None and 200 <= call.status < 300


def answer_end(call: CallPoint) -> float:
    """When the call's answer was complete (or cut)."""
    return call.at + call.answer_s


@dataclass(frozen=True)
class TokenSpan:
    """One token (by fingerprint) and every call that served it, oldest first.

    ``expires_at``: when it expires, from a serve's remaining validity. ``issued_at`` /
    ``issued_seq``: the Zoom event that issued it, when the fake Zoom was observed.
    """

    token_id: str
    token: str | None
    serves: tuple[CallPoint, ...]
    expires_at: float | None
    issued_at: float | None
    issued_seq: int | None

    @property
    def first_at(self) -> float:
        return self.serves[0].at

    @property
    def stale(self) -> tuple[CallPoint, ...]:
        """The serves Recall refuses: under 120 s left (or expired)."""
        return tuple(
            c for c in self.serves if c.remaining_s is not None and c.remaining_s < MIN_VALIDITY
        )

    @property
    def lifetime_s(self) -> float | None:
        """How long it lived: from its issue (or, unobserved, its first serve) to expiry."""
        if self.expires_at is None:
            return None
        start = self.issued_at if self.issued_at is not None else self.first_at
        return self.expires_at - start


@dataclass(frozen=True)
class Rotation:
    """A new token came into use: an ok refresh at Zoom, or (unobserved) a new fingerprint."""

    at: float
    seq: int | None = None  # the Zoom event
    index: int | None = None  # the call that first served the new token
    token_id: str | None = None  # the new access token's fingerprint


@dataclass(frozen=True)
class AnswerStats:
    """Answer times over the calls that got an answer or ran out of time."""

    times: tuple[float, ...]
    p50: float | None
    p95: float | None
    slow_threshold_s: float
    slow: tuple[CallPoint, ...]
    over_budget: int


@dataclass(frozen=True)
class TimelineStats:
    """The reduced timeline. Lookups by time bisect sorted tuples: `watch` diagnoses an
    hour of calls again and again, so nothing here is quadratic in the calls."""

    timeline: Timeline
    calls: tuple[CallPoint, ...]  # by start time
    tokens: tuple[TokenSpan, ...]  # by first serve
    rotations: tuple[Rotation, ...]
    token_requests: tuple[ZoomEventPoint, ...]  # TOKEN_REQUEST_KINDS, by time
    answers: AnswerStats
    call_spacing_s: float | None  # median gap between consecutive call starts
    new_token_calls: frozenset[int]  # indices of calls that served a token unseen before
    spans: Mapping[str, TokenSpan] = field(default_factory=dict)  # by token_id
    _request_times: tuple[float, ...] = ()
    _call_starts: tuple[float, ...] = ()
    _longest_answer_s: float = 0.0

    @property
    def zoom_observed(self) -> bool:
        return self.timeline.zoom_observed

    def requests_between(
        self, start: float, end: float, *, after: float = EVENT_SLACK_S
    ) -> tuple[ZoomEventPoint, ...]:
        """Token requests that reached Zoom in [start, end], with the clocks' slack."""
        low = bisect.bisect_left(self._request_times, start - EVENT_SLACK_S)
        high = bisect.bisect_right(self._request_times, end + after)
        return self.token_requests[low:high]

    def requests_during(self, call: CallPoint) -> tuple[ZoomEventPoint, ...]:
        """The token requests that reached Zoom while ``call`` waited for its answer.

        None after its answer ended: Zoom answers a refresh before the callback can answer
        with its token, so a later request (the next call's refresh, milliseconds after a
        stalled answer) is not one this call waited for.
        """
        return self.requests_between(call.at, answer_end(call), after=0.0)

    def overlapping_calls(self, start: float, end: float) -> list[CallPoint]:
        """Calls in flight at some moment of [start, end]."""
        low = bisect.bisect_left(self._call_starts, start - self._longest_answer_s)
        high = bisect.bisect_right(self._call_starts, end + EVENT_SLACK_S)
        return [c for c in self.calls[low:high] if answer_end(c) >= start]

    def prompted(self, rotation: Rotation) -> bool:
        """Whether a call asked for this refresh: one was waiting while it reached Zoom and
        answered with the token it issued. A timer's refresh lands between calls, and its
        token is first served by a later call."""
        span = None if rotation.token_id is None else self.spans.get(rotation.token_id)
        return span is not None and any(
            c.at - EVENT_SLACK_S <= rotation.at <= answer_end(c) + EVENT_SLACK_S
            for c in span.serves
        )

    def last_event_before(self, instant: float) -> ZoomEventPoint | None:
        """The last token request that reached Zoom by ``instant``."""
        count = bisect.bisect_right(self._request_times, instant + EVENT_SLACK_S)
        return self.token_requests[count - 1] if count else None


def _percentile(ordered: Sequence[float], share: float) -> float:
    """Linear interpolation between closest ranks (``ordered`` sorted, not empty)."""
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _answers(calls: Sequence[CallPoint], budget_s: float) -> AnswerStats:
    # Connection refused or a DNS failure says nothing about answer times.
    timed = [c for c in calls if c.status is not None or c.error in _DEADLINE_ERRORS]
    times = tuple(sorted(c.answer_s for c in timed))
    threshold = budget_s * SLOW_SHARE_OF_BUDGET
    slow = tuple(c for c in timed if c.answer_s >= threshold or c.error in _DEADLINE_ERRORS)
    return AnswerStats(
        times=times,
        p50=_percentile(times, 0.5) if times else None,
        p95=_percentile(times, 0.95) if times else None,
        slow_threshold_s=threshold,
        slow=slow,
        over_budget=sum(1 for c in timed if c.answer_s >= budget_s or c.error in _DEADLINE_ERRORS),
    )


def _fingerprint(shown: str | None) -> str | None:
    """The fingerprint in a redacted token ("first8…last4 (sha256:…)"): a call's token_id."""
    found = None if shown is None else FINGERPRINT.search(shown)
    return None if found is None else found.group(0)


def _tokens(calls: Sequence[CallPoint], events: Sequence[ZoomEventPoint]) -> list[TokenSpan]:
    serves: dict[str, list[CallPoint]] = {}
    for call in calls:
        if call.token_id is not None:
            serves.setdefault(call.token_id, []).append(call)
    issuing: dict[str, ZoomEventPoint] = {}
    for event in events:
        token_id = _fingerprint(event.issued_access_token)
        if token_id is not None:
            issuing.setdefault(token_id, event)
    spans = []
    for token_id, served in serves.items():
        timed = next((c for c in served if c.remaining_s is not None), None)
        expires = (
            None
            if timed is None or timed.remaining_s is None
            else answer_end(timed) + timed.remaining_s
        )
        issued = issuing.get(token_id)
        spans.append(
            TokenSpan(
                token_id=token_id,
                token=served[0].token,
                serves=tuple(served),
                expires_at=expires,
                issued_at=None if issued is None else issued.at,
                issued_seq=None if issued is None else issued.seq,
            )
        )
    return spans


def reduce_timeline(timeline: Timeline) -> TimelineStats:
    calls = tuple(sorted(timeline.calls, key=lambda c: (c.at, c.index)))
    events = tuple(sorted(timeline.zoom_events, key=lambda e: (e.at, e.seq)))
    tokens = _tokens(calls, events)
    first_serves = [span.serves[0] for span in tokens]
    if timeline.zoom_observed:
        rotations = tuple(
            Rotation(at=e.at, seq=e.seq, token_id=_fingerprint(e.issued_access_token))
            for e in events
            if e.kind == "refresh" and e.outcome == "ok"
        )
    else:
        # The first token seen was not a rotation: it is where the timeline starts.
        rotations = tuple(
            Rotation(at=c.at, index=c.index, token_id=c.token_id) for c in first_serves[1:]
        )
    starts = tuple(c.at for c in calls)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    requests = tuple(e for e in events if e.kind in TOKEN_REQUEST_KINDS)
    return TimelineStats(
        timeline=timeline,
        calls=calls,
        tokens=tuple(tokens),
        rotations=rotations,
        token_requests=requests,
        answers=_answers(calls, timeline.budget_s),
        call_spacing_s=statistics.median(gaps) if gaps else None,
        new_token_calls=frozenset(c.index for c in first_serves[1:]),
        spans={span.token_id: span for span in tokens},
        _request_times=tuple(e.at for e in requests),
        _call_starts=starts,
        _longest_answer_s=max((c.answer_s for c in calls), default=0.0),
    )
