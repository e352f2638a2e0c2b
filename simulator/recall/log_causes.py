"""The cause behind a failed callback call, for the fake Recall's credential and app logs.

When a call fails, the log line names the rule (`caller.rejection_detail`); this module
adds the cause (SPEC §8) when the credential's recent calls show one, from the same
`diagnose` that `check` and `watch` use. The calls come from the call journal (redacted
when made); inside the simulator, the fake Zoom's events join them through a hook the
simulator app sets (`FakeRecall.attach_zoom_journal`), so this package never imports
the fake Zoom. It runs only on a failure, over a bounded window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Final

from recall_sim.simulator.causes import Cause, diagnose
from recall_sim.simulator.diagnosis_stats import FINGERPRINT
from recall_sim.simulator.recall.caller import CallResult
from recall_sim.simulator.recall.journal import CallRecord
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.timeline import BodyKind, CallPoint, Timeline, ZoomEventPoint

__all__ = [
    "RECENT_CALLS",
    "ZOOM_LOOKBACK_S",
    "ZoomEvents",
    "failure_cause",
    "point_from_record",
    "with_cause",
]

# The credential's last calls the diagnosis reads: enough for a timer's few periods at a
# poll a minute, small enough that a failing credential's log costs nothing noticeable.
RECENT_CALLS: Final = 50
# Zoom events this long before the oldest call still count: the event that issued the
# oldest token served (a Zoom access token lives an hour).
ZOOM_LOOKBACK_S: Final = 3600.0
# At most this many Zoom events, the newest.
MAX_ZOOM_EVENTS: Final = 500

# The fake Zoom's events since a Unix time, as timeline points (set by the simulator app).
ZoomEvents = Callable[[float], Iterable[ZoomEventPoint]]

_EMPTY_BODY = ("body is empty", "body is only whitespace")
_PLAIN_BODY_RULE = "contract.plain-token-body"


def _body_kind(record: CallRecord) -> BodyKind:
    if record.status is None:
        return "none"
    if record.token is not None:
        return "token"
    # The journal keeps the judge's words, not the body: they say whether it was empty.
    for rule, _, detail in record.verdicts:
        if rule == _PLAIN_BODY_RULE and detail.startswith(_EMPTY_BODY):
            return "empty"
    return "other"


def point_from_record(record: CallRecord) -> CallPoint:
    """A journal record as a timeline point (its ``seq`` as the index).

    The journal keeps no issuer or body: those causes are read from the failing call
    itself, which `failure_cause` takes from its judgement.
    """
    found = None if record.token is None else FINGERPRINT.search(record.token)
    return CallPoint(
        index=record.seq,
        at=record.at,
        answer_s=record.total_s,
        status=record.status,
        error=None if record.error is None else record.error.split(":", 1)[0],
        body_kind=_body_kind(record),
        token=record.token,
        token_id=None if found is None else found.group(0),
        remaining_s=record.remaining_validity_s,
        issuer=None,
        user_id=None,
        failed_rules=tuple(r for r, outcome, _ in record.verdicts if outcome == Outcome.FAIL.value),
        warned_rules=tuple(r for r, outcome, _ in record.verdicts if outcome == Outcome.WARN.value),
        signed=record.signed,
        label=record.purpose.value,
    )


def _zoom_points(
    events: ZoomEvents, since: float, client_id: str, user_id: str | None
) -> tuple[ZoomEventPoint, ...]:
    # Events without a client or user (a fault, an unauthenticated request) may be this
    # callback's; those naming another app or user are not.
    mine = [
        e
        for e in events(since)
        if e.client_id in {None, client_id} and (user_id is None or e.user_id in {None, user_id})
    ]
    return tuple(mine[-MAX_ZOOM_EVENTS:])


def failure_cause(
    result: CallResult,
    history: Sequence[CallRecord],
    *,
    client_id: str,
    user_id: str | None,
    signing_secret_given: bool,
    budget_s: float,
    zoom_events: ZoomEvents | None,
) -> Cause | None:
    """The cause of ``result``'s failure, if the recent calls show one that explains a rule
    this call failed (a cause of other calls' troubles is not this call's)."""
    failed = result.failed_rules
    if not failed:
        return None
    current = CallPoint.from_judgement(
        result.record.seq,
        result.judgement,
        signed=result.record.signed,
        label=result.record.purpose.value,
    )
    earlier = [point_from_record(r) for r in history[-RECENT_CALLS:] if r.seq != current.index]
    calls = (*earlier, current)
    zoom: tuple[ZoomEventPoint, ...] = ()
    if zoom_events is not None:
        since = min(c.at for c in calls) - ZOOM_LOOKBACK_S
        zoom = _zoom_points(zoom_events, since, client_id, user_id)
    timeline = Timeline(
        calls=calls,
        zoom_events=zoom,
        client_id=client_id,
        signing_secret_given=signing_secret_given,
        zoom_observed=zoom_events is not None,
        budget_s=budget_s,
    )
    return next(
        (c for c in diagnose(timeline, failed_rules=failed) if set(c.rules) & set(failed)), None
    )


def with_cause(message: str, cause: Cause | None) -> str:
    """``message — cause.<id>: <title>``, or the message as it was."""
    return message if cause is None else f"{message} — {cause.cause.value}: {cause.title}"
