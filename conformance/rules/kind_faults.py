"""The other token callbacks when Zoom cannot give a token (SPEC §7):
``join-token.404-when-unavailable`` (the user removed the app, or the meeting is unknown)
and ``token.upstream-failure`` (the kind's Zoom endpoint fails or stalls).

Both change the fake Zoom through ``--zoom-admin`` and put it back afterwards: the
deauthorized user's grants are restored, the injected faults cleared.
"""

from __future__ import annotations

import time
from typing import Any

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.conformance.rules.freshness import zoom_admin
from recall_sim.conformance.rules.kinds import minted_problem, needs_minted_record
from recall_sim.conformance.url_parts import UrlParts
from recall_sim.conformance.zoom_admin import ZoomAdmin, ZoomAdminError
from recall_sim.simulator.judge import Judgement
from recall_sim.simulator.kinds import KINDS
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.redaction import redact_text, redact_token
from recall_sim.simulator.rules import Outcome, Verdict

__all__ = ["UNKNOWN_MEETING_ID", "check_404_when_unavailable", "check_kind_upstream_failure"]

# A meeting id no Zoom account has (the fake Zoom's ids are 10 or 11 digits from 8...).
UNKNOWN_MEETING_ID = "10000000001"
_CALLS_PER_FAULT = 2
_RECOVERY_CALLS = 4


def _unknown_meeting_url(ctx: CheckContext) -> str | None:
    """The URL with its meeting id (--meeting-id, as a query value or a path segment)
    replaced by one Zoom does not know; None when the URL does not carry it."""
    meeting = ctx.config.meeting_id
    if meeting is None:
        return None
    unknown = UNKNOWN_MEETING_ID if meeting != UNKNOWN_MEETING_ID else "10000000002"
    parts = UrlParts.parse(ctx.config.url)
    for part in parts.candidate_parts():
        if part.value == meeting:
            return parts.with_part(part, (unknown,))
    return None


def _graded(observation: Observation) -> tuple[Outcome, str]:
    status = observation.status
    body = observation.body.decode("utf-8", "replace").strip()
    if status is None:
        error = observation.error.kind.value if observation.error else "no answer"
        return Outcome.FAIL, f"no answer ({error}); Recall expects 404"
    if 200 <= status < 300:
        return Outcome.FAIL, f"HTTP {status} with {'an empty body' if not body else 'a body'}"
    if status == 404:
        return Outcome.PASS, "HTTP 404"
    return Outcome.WARN, f"HTTP {status}, not the 404 Recall documents for 'no token'"


def _worst(outcomes: list[Outcome]) -> Outcome:
    for outcome in (Outcome.FAIL, Outcome.WARN):
        if outcome in outcomes:
            return outcome
    return Outcome.PASS


def check_404_when_unavailable(ctx: CheckContext) -> RuleResult:
    rid = "join-token.404-when-unavailable"
    skip = needs_minted_record(ctx, rid)
    if skip:
        return skip
    base = ctx.baseline_token
    assert base is not None
    seen: list[tuple[str, Outcome, str, Observation, str]] = []  # label, outcome, why, obs, url
    unknown_url = _unknown_meeting_url(ctx)
    if unknown_url is not None:
        observation = ctx.call(unknown_url)
        ctx.record_rejection("an unknown meeting", observation, unknown_url)
        seen.append(("an unknown meeting", *_graded(observation), observation, unknown_url))
    try:
        with zoom_admin(ctx) as admin:
            disconnected = _while_disconnected(ctx, admin, base.token)
    except ZoomAdminError as exc:
        return RuleResult(Verdict(rid, Outcome.SKIP, f"{rid} not graded: {exc}"))
    if isinstance(disconnected, str):
        return RuleResult(Verdict(rid, Outcome.SKIP, disconnected))
    observation, restored = disconnected
    seen.append(("the user disconnected", *_graded(observation), observation, ctx.config.url))
    evidence: dict[str, Any] = {
        "calls": [f"{label}: {obs.summary}" for label, _, _, obs, _ in seen],
        "restored_grants": restored,
    }
    if unknown_url is None:
        evidence["unknown_meeting"] = (
            "not tried: the URL does not carry --meeting-id as a query value or path segment"
        )
    outcome = _worst([o for _, o, _, _, _ in seen])
    detail = "; ".join(f"with {label}: {why}" for label, _, why, _, _ in seen)
    if outcome is Outcome.PASS:
        return RuleResult(Verdict(rid, outcome, detail, evidence))
    if outcome is Outcome.FAIL:
        detail += (
            ". Recall documents: with a 2xx that holds no valid join token the bot fails to "
            "join; answer 404 when no token can be generated"
        )
    _label, _, _, shown, url = next(s for s in seen if s[1] is outcome)
    evidence["body"] = redact_text(shown.body.decode("utf-8", "replace"))[:200]
    return RuleResult(Verdict(rid, outcome, detail, evidence), ctx.curl(url))


def _while_disconnected(
    ctx: CheckContext, admin: ZoomAdmin, token: str
) -> tuple[Observation, int] | str:
    """One call while the token's user has removed the app; their grants restored after.
    A reason to skip when the fake Zoom does not know whose the token is."""
    record = admin.inspect_minted(token)
    user_id, client_id = record.get("user_id"), record.get("client_id")
    if not record.get("minted") or user_id is None:
        shown = redact_token(token, show=ctx.config.show_secrets)
        return (
            f"join-token.404-when-unavailable not exercised: the fake Zoom never minted "
            f"{shown}, so whose grant to revoke is unknown; fix join-token.for-meeting first"
        )
    admin.deauthorize_user(str(user_id), client_id=client_id)
    try:
        observation = ctx.call()
        ctx.record_rejection("the user disconnected", observation)
    finally:
        restored = admin.restore_user(str(user_id), client_id=client_id)
    return observation, restored


def _bogus(ctx: CheckContext, admin: ZoomAdmin, judged: Judgement) -> str | None:
    """Why an answer under a fault is unacceptable: late, or a 2xx without a valid token."""
    deadline = judged.verdict("contract.deadline-5s")
    if deadline.outcome is Outcome.FAIL:
        return f"contract.deadline-5s: {deadline.detail}"
    status = judged.observation.status
    if status is None or not 200 <= status < 300:
        return None
    body = judged.verdict("contract.plain-token-body")
    if body.outcome is Outcome.FAIL or judged.token is None:
        return f"HTTP {status} without a token: {body.detail}"
    kind = ctx.config.token_kind
    shown = redact_token(judged.token, show=ctx.config.show_secrets)
    record = admin.inspect_minted(judged.token)
    problem = minted_problem(record, kind, shown)
    if problem is None and float(record.get("remaining_s") or 0.0) <= 0:
        problem = f"{shown} has expired"
    return None if problem is None else f"HTTP {status} with a token that is not valid: {problem}"


def check_kind_upstream_failure(ctx: CheckContext) -> RuleResult:
    rid = "token.upstream-failure"
    skip = needs_minted_record(ctx, rid)
    if skip:
        return skip
    kind = ctx.config.token_kind
    endpoint = KINDS[kind].fault_endpoint
    phases = (("Zoom answering 500", "server_error", 0.0), ("Zoom stalling 6 s", "stall", 6.0))
    calls: list[str] = []
    problem: tuple[str, Observation] | None = None
    try:
        with zoom_admin(ctx) as admin:
            seq = admin.journal_seq()
            try:
                for label, fault, seconds in phases:
                    admin.clear_faults()
                    admin.inject_fault(fault, count=1000, seconds=seconds, endpoint=endpoint)
                    for _ in range(_CALLS_PER_FAULT):
                        observation = ctx.call()
                        calls.append(f"{label}: {observation.summary} in {_took(observation)}")
                        ctx.progress(rid, len(calls), None, f"calls ({label})")
                        why = _bogus(ctx, admin, ctx.grade(observation, label=rid))
                        if why is not None:
                            problem = (
                                f"while {label} on {KINDS[kind].zoom_endpoint}: {why}",
                                observation,
                            )
                            break
                    if problem is not None:
                        break
            finally:
                admin.clear_faults()
            hits = admin.events_since(seq, kind="fault")
            recovered = None if problem else _recovered(ctx, admin)
    except ZoomAdminError as exc:
        return RuleResult(Verdict(rid, Outcome.SKIP, f"{rid} not graded: {exc}"))
    evidence: dict[str, Any] = {"calls": calls, "fault_hits": len(hits), "endpoint": endpoint}
    if problem is not None:
        detail, observation = problem
        evidence["body"] = redact_text(observation.body.decode("utf-8", "replace"))[:200]
        return RuleResult(Verdict(rid, Outcome.FAIL, detail, evidence), ctx.curl())
    if not hits:
        detail = (
            f"{rid} not exercised: the callback never called {KINDS[kind].zoom_endpoint} while "
            f"it failed (it answered: {'; '.join(calls)}); a {kind.value} callback should ask "
            "Zoom on every call"
        )
        return RuleResult(Verdict(rid, Outcome.SKIP, detail, evidence))
    if recovered is not None:
        evidence["after"] = recovered
        detail = (
            "the callback did not recover: once Zoom was healthy again it still answered "
            f"without a valid token ({recovered})"
        )
        return RuleResult(Verdict(rid, Outcome.FAIL, detail, evidence), ctx.curl())
    detail = (
        f"{len(calls)} calls during {len(hits)} faults on {KINDS[kind].zoom_endpoint} were "
        "answered within the budget and never with a bogus 2xx; a valid token once the "
        "faults cleared"
    )
    return RuleResult(Verdict(rid, Outcome.PASS, detail, evidence))


def _recovered(ctx: CheckContext, admin: ZoomAdmin) -> str | None:
    """None once a call gets a valid token again; else what the last call answered."""
    last = "no call"
    for _attempt in range(_RECOVERY_CALLS):
        observation = ctx.call()
        judged = ctx.grade(observation, label="token.upstream-failure")
        if judged.accepted and judged.token is not None and _bogus(ctx, admin, judged) is None:
            return None
        last = observation.summary
        time.sleep(1.0)
    return last


def _took(observation: Observation) -> str:
    return f"{observation.timings.total:.2f} s"
