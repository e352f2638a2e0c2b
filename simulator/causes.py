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

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from recall_sim.simulator.timeline import Timeline

__all__ = ["CAUSES", "Cause", "CauseId", "CauseInfo", "diagnose"]


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
        (*_ANSWER_SYMPTOMS, "freshness.upstream-failure"),
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
        ("contract.deadline-5s", "load.burst"),
    ),
    CauseId.SLOW_REFRESH_INLINE: CauseInfo(
        "Answers wait for Zoom's token endpoint while a refresh runs",
        "Refresh ahead of time in the background while the current token still has a "
        "margin, and bound the Zoom call (a timeout well under 5 s) so no answer waits "
        "on it.",
        ("contract.deadline-5s", "load.burst", *_FRESHNESS),
    ),
    CauseId.SIGNATURE_REQUIRED: CauseInfo(
        "The callback requires Recall's signature, and the run did not sign",
        "Pass the Recall workspace's verification secret with --signing-secret whsec_... "
        "so each call carries the Standard Webhooks headers Recall sends.",
        ("contract.status-2xx", *_ANSWER_SYMPTOMS[1:]),
    ),
    CauseId.WRONG_APP: CauseInfo(
        "The token names another Zoom app",
        "Use the client id and secret of the Zoom app registered with Recall (its "
        "zm:cid:<client_id> is the token's iss), for this user's grant.",
        ("contract.issuer-client-id",),
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
    raise NotImplementedError("diagnose: being written (issue 12)")
