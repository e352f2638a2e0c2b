"""Causes: why a callback failed over time, named from its answers and the fake Zoom's journal.

A failed rule is a symptom; a cause is what the callback's author must change (SPEC §8).
`diagnose` turns a `Timeline` into causes in three steps, after Schemathesis's
warnings and Hypothesis's explain phase: reduce the timeline to a few statistics,
test each cause's named predicate against them, and keep only causes whose
evidence is present. Each cause carries evidence that points back into the
timeline (call indices, Zoom journal ``seq`` numbers), so renderers can quote it.
It does no I/O; the thresholds are named constants below.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from recall_sim.simulator import cause_predicates as expiry
from recall_sim.simulator import cause_predicates_answers as answers
from recall_sim.simulator import cause_predicates_refresh as refresh
from recall_sim.simulator.cause_predicates import Finding
from recall_sim.simulator.diagnosis_stats import TimelineStats, reduce_timeline
from recall_sim.simulator.timeline import Timeline

__all__ = ["CAUSES", "MAX_EVIDENCE_POINTS", "SEVERITY", "Cause", "CauseId", "CauseInfo", "diagnose"]

# Evidence quotes this many calls and Zoom events at most; the rest are counted.
MAX_EVIDENCE_POINTS: Final = 10


class CauseId(StrEnum):
    """Stable ids (SPEC §8): users put them in config and grep for them in CI logs."""

    CACHED_PAST_EXPIRY = "cause.cached-past-expiry"
    REFRESH_TIMER = "cause.refresh-timer"
    REFRESH_FAILED = "cause.refresh-failed"
    EMPTY_SUCCESS = "cause.empty-success"
    REFRESH_RACE = "cause.refresh-race"
    SLOW_AT_RANDOM = "cause.slow-at-random"
    SLOW_REFRESH_INLINE = "cause.slow-refresh-inline"
    SIGNATURE_REQUIRED = "cause.signature-required"
    WRONG_APP = "cause.wrong-app"
    OBF_REUSED = "cause.obf-reused"


@dataclass(frozen=True)
class CauseInfo:
    """A cause's catalog entry: what it is, the one fix, and the rules it can explain."""

    title: str
    fix: str
    explains: tuple[str, ...]


_FRESHNESS = (
    "freshness.refresh-before-expiry",
    "freshness.concurrent-refresh",
    "freshness.upstream-failure",
)
_EXPIRY_SYMPTOMS = ("contract.min-validity-120s", *_FRESHNESS, "load.burst")
_ANSWER_SYMPTOMS = (
    "contract.status-2xx",
    "contract.plain-token-body",
    "contract.jwt-access-token",
    "contract.min-validity-120s",
)

CAUSES: Mapping[CauseId, CauseInfo] = {
    CauseId.CACHED_PAST_EXPIRY: CauseInfo(
        "The callback serves a cached token past its refresh point",
        "Refresh when the cached token has less than a margin left (e.g. 5 minutes, "
        "never under 150 s) before serving it, instead of serving it until it expires.",
        _EXPIRY_SYMPTOMS,
    ),
    CauseId.REFRESH_TIMER: CauseInfo(
        "Refreshes run on a fixed timer, not on the token's expiry",
        "Refresh on demand from the token's own expiry (refresh when less than a margin "
        "is left), not on a fixed schedule that can be longer than a token lives.",
        _EXPIRY_SYMPTOMS,
    ),
    CauseId.REFRESH_FAILED: CauseInfo(
        "Zoom refused the callback's refresh request",
        "Send the refresh token you stored last (Zoom rotates it on every refresh: save "
        "the new one before serving), under the field name you read it back with, with "
        "your app's client id and secret in HTTP Basic.",
        (*_ANSWER_SYMPTOMS, *_FRESHNESS, "load.burst"),
    ),
    CauseId.EMPTY_SUCCESS: CauseInfo(
        "A 2xx without a token after a failed upstream call",
        "When you cannot get a token, answer an error status (e.g. 503) without a body "
        "that looks like one, never a 2xx: Recall treats a 2xx body as the token.",
        (*_ANSWER_SYMPTOMS, "freshness.upstream-failure", "token.upstream-failure"),
    ),
    CauseId.REFRESH_RACE: CauseInfo(
        "Concurrent calls refresh at once and reuse one refresh token",
        "Make the refresh single-flight per user (a lock or a shared in-flight future), "
        "and re-read the stored token after taking the lock: Zoom's refresh tokens are "
        "single-use, and a reuse can revoke the user's grant.",
        ("freshness.concurrent-refresh", "load.burst", *_ANSWER_SYMPTOMS),
    ),
    CauseId.SLOW_AT_RANDOM: CauseInfo(
        "Answers are slow at random, unrelated to refreshes",
        "Find what blocks the request path (a cold start, a slow database or network "
        "call, a saturated worker pool) and bound it well under 5 s; precompute the "
        "token so the answer is a read.",
        ("contract.deadline-5s", "contract.status-2xx", "load.burst"),
    ),
    CauseId.SLOW_REFRESH_INLINE: CauseInfo(
        "Answers wait for Zoom's token endpoint while a refresh runs",
        "Refresh ahead of time in the background while the current token still has a "
        "margin, and bound the Zoom call (a timeout well under 5 s) so no answer waits "
        "on it.",
        (
            "contract.deadline-5s",
            "contract.status-2xx",
            "load.burst",
            *_FRESHNESS,
            "token.upstream-failure",
        ),
    ),
    CauseId.SIGNATURE_REQUIRED: CauseInfo(
        "The callback requires Recall's signature, and the run did not sign",
        "Pass the Recall workspace's verification secret with --signing-secret whsec_... "
        "(in the simulator: set the fake Recall's verification secret) so each call carries "
        "the Standard Webhooks headers Recall sends; if the callback does not check "
        "signatures, check the credential in its URL.",
        ("contract.status-2xx", *_ANSWER_SYMPTOMS[1:]),
    ),
    CauseId.WRONG_APP: CauseInfo(
        "The token names another Zoom app",
        "Use the client id and secret of the Zoom app registered with Recall (its "
        "zm:cid:<client_id> is the token's iss), for this user's grant.",
        ("contract.issuer-client-id", "contract.token-live"),
    ),
    CauseId.OBF_REUSED: CauseInfo(
        "The OBF callback serves one token more than once",
        "Mint a new OBF token from Zoom on every call (GET /v2/users/{userId}/token?"
        "type=onbehalf) and never cache it: OBF tokens are single-use, so a cached one "
        "fails every bot after the first.",
        ("obf.fresh-per-call",),
    ),
}


@dataclass(frozen=True)
class Cause:
    """One named cause with the evidence that identifies it.

    ``evidence`` holds statistics and pointers: ``calls`` (timeline call indices) and
    ``zoom_seq`` (the fake Zoom journal's ``seq`` numbers) where they apply.
    ``rules``: the rule ids of this run that it explains.
    """

    cause: CauseId
    detail: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    rules: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return CAUSES[self.cause].title

    @property
    def fix(self) -> str:
        return CAUSES[self.cause].fix

    def to_json(self) -> dict[str, Any]:
        """SPEC §8's shape: ``{"cause", "title", "detail", "evidence", "fix", "rules"}``."""
        return {
            "cause": self.cause.value,
            "title": self.title,
            "detail": self.detail,
            "evidence": dict(self.evidence),
            "fix": self.fix,
            "rules": list(self.rules),
        }


def diagnose(timeline: Timeline, *, failed_rules: Collection[str] = ()) -> list[Cause]:
    """The causes ``timeline`` shows, most explanatory first; empty for a healthy callback.

    ``failed_rules``: the rules that failed or warned in the run (check, watch), so each
    cause lists those it explains; causes found from the timeline alone still appear.
    """
    stats = reduce_timeline(timeline)
    by_index = {call.index: call for call in timeline.calls}
    found = []
    for cause_id, predicate in _PREDICATES:
        finding = predicate(stats)
        if finding is not None:
            found.append(_cause(cause_id, finding, failed_rules, by_index))
    found.sort(key=lambda c: (-len(c.rules), SEVERITY.index(c.cause)))
    return found


# Ties in rules explained go to the cause that does most harm: what blocks every call,
# what can revoke the user's grant or hands Recall a non-token as a success, then
# refreshes that fail or come late, then slowness.
SEVERITY: Final = (
    CauseId.WRONG_APP,
    CauseId.SIGNATURE_REQUIRED,
    CauseId.REFRESH_RACE,
    CauseId.OBF_REUSED,
    CauseId.EMPTY_SUCCESS,
    CauseId.REFRESH_FAILED,
    CauseId.REFRESH_TIMER,
    CauseId.CACHED_PAST_EXPIRY,
    CauseId.SLOW_REFRESH_INLINE,
    CauseId.SLOW_AT_RANDOM,
)

_PREDICATES: Final[tuple[tuple[CauseId, Callable[[TimelineStats], Finding | None]], ...]] = (
    (CauseId.WRONG_APP, answers.wrong_app),
    (CauseId.SIGNATURE_REQUIRED, answers.signature_required),
    (CauseId.REFRESH_RACE, refresh.refresh_race),
    (CauseId.OBF_REUSED, answers.obf_reused),
    (CauseId.EMPTY_SUCCESS, refresh.empty_success),
    (CauseId.REFRESH_FAILED, refresh.refresh_failed),
    (CauseId.REFRESH_TIMER, expiry.refresh_timer),
    (CauseId.CACHED_PAST_EXPIRY, expiry.cached_past_expiry),
    (CauseId.SLOW_REFRESH_INLINE, answers.slow_refresh_inline),
    (CauseId.SLOW_AT_RANDOM, answers.slow_at_random),
)


def _capped(values: tuple[int, ...]) -> tuple[list[int], int]:
    return list(values[:MAX_EVIDENCE_POINTS]), max(0, len(values) - MAX_EVIDENCE_POINTS)


def _cause(
    cause_id: CauseId,
    finding: Finding,
    failed_rules: Collection[str],
    calls: Mapping[int, Any],
) -> Cause:
    """The finding as a cause: capped pointers, then its statistics, and the rules it
    explains (those that failed in the run, plus those failing on its evidence calls)."""
    seen = set(failed_rules)
    for index in finding.calls:
        call = calls.get(index)
        if call is not None:
            seen.update(call.failed_rules, call.warned_rules)
    explains = CAUSES[cause_id].explains
    shown_calls, more_calls = _capped(finding.calls)
    shown_seq, more_seq = _capped(finding.zoom_seq)
    evidence = {
        "calls": shown_calls,
        "calls_more": more_calls,
        "zoom_seq": shown_seq,
        "zoom_seq_more": more_seq,
        **finding.stats,
    }
    return Cause(
        cause=cause_id,
        detail=finding.detail,
        evidence=evidence,
        rules=tuple(rule for rule in dict.fromkeys(explains) if rule in seen),
    )
