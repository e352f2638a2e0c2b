"""The rules of the other token callbacks (SPEC §7): ``obf.fresh-per-call``,
``obf.minted-for-user``, ``zak.valid-for-user`` and ``join-token.for-meeting``.

Each grades the token a callback answers against the fake Zoom's record of what it
minted (``--zoom-admin``: ``POST /_sim/zoom/tokens/minted/inspect``): which kind, for
whom, for which meeting, how long before the call and how long it has left, measured on
the fake Zoom's own clock. Tokens are sent there in a JSON body and shown only as
fingerprints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.conformance.rules.freshness import needs_zoom_admin, zoom_admin
from recall_sim.conformance.zoom_admin import ZoomAdmin, ZoomAdminError
from recall_sim.simulator.kinds import KINDS, OBF_JUST_IN_TIME_S, TokenKind
from recall_sim.simulator.redaction import redact_token
from recall_sim.simulator.rules import Outcome, Verdict

__all__ = [
    "JOIN_TOKEN_WARN_S",
    "OBF_JUST_IN_TIME_S",
    "check_fresh_per_call",
    "check_join_token_for_meeting",
    "check_minted_for_user",
    "check_zak_valid_for_user",
    "minted_problem",
    "needs_minted_record",
    "zoom_admin",
]

# A join token lives 120 s; with less than this left it was not fetched when Recall called.
JOIN_TOKEN_WARN_S = 60.0
# Calls obf.fresh-per-call makes after the baseline: enough to see a token come back.
_FRESH_CALLS = 3


def _skip(rule_id: str, detail: str) -> RuleResult:
    return RuleResult(Verdict(rule_id, Outcome.SKIP, detail))


def needs_minted_record(ctx: CheckContext, rule_id: str) -> RuleResult | None:
    """A skip, saying why, when the rule cannot grade against the fake Zoom's record."""
    kind = ctx.config.token_kind.value
    why = (
        f"{rule_id} grades the {kind} token against the fake Zoom's record of what it "
        "minted, so it needs the simulator's Zoom admin"
    )
    return needs_zoom_admin(ctx, rule_id, why)


def minted_problem(record: dict[str, Any], kind: TokenKind, shown: str) -> str | None:
    """Why the record does not show a token of ``kind`` minted by the fake Zoom, or None."""
    if not record.get("minted"):
        return (
            f"the fake Zoom never minted {shown}: it is not {KINDS[kind].body} of "
            f"{KINDS[kind].zoom_endpoint}"
        )
    wanted = KINDS[kind].minted_kind
    if record.get("kind") != wanted:
        return f"{shown} is a {record.get('kind')} token, not {KINDS[kind].body} ({wanted})"
    return None


def _evidence(record: dict[str, Any], shown: str) -> dict[str, Any]:
    keys = ("kind", "user_id", "client_id", "meeting_id", "uses", "age_s", "remaining_s")
    return {"token": shown, "minted": bool(record.get("minted"))} | {
        k: record.get(k) for k in keys if record.get("minted")
    }


@dataclass(frozen=True)
class _Fresh:
    """One fresh call's token and the fake Zoom's record of it."""

    token: str
    shown: str
    record: dict[str, Any]


def _fresh_token(ctx: CheckContext, rule_id: str, admin: ZoomAdmin) -> _Fresh | RuleResult:
    """Call once more (these tokens are short-lived and minted per call), and look the
    token up at once: a failure when the call got no token."""
    observation = ctx.call()
    judged = ctx.grade(observation, label=rule_id)
    if judged.token is None:
        detail = f"a fresh call got no token ({observation.summary}), though the first did"
        return RuleResult(Verdict(rule_id, Outcome.FAIL, detail, dict(judged.evidence)), ctx.curl())
    shown = redact_token(judged.token, show=ctx.config.show_secrets)
    return _Fresh(judged.token, shown, admin.inspect_minted(judged.token))


def check_fresh_per_call(ctx: CheckContext) -> RuleResult:
    rid = "obf.fresh-per-call"
    skip = needs_minted_record(ctx, rid)
    if skip:
        return skip
    base = ctx.baseline_token
    assert base is not None
    seen = {base.token: "the first call"}
    calls: list[str] = []
    late: list[str] = []
    try:
        with zoom_admin(ctx) as admin:
            for number in range(2, _FRESH_CALLS + 2):
                fresh = _fresh_token(ctx, rid, admin)
                if isinstance(fresh, RuleResult):
                    return fresh
                ctx.progress(rid, number - 1, _FRESH_CALLS, "calls")
                record, shown = fresh.record, fresh.shown
                calls.append(f"call {number}: {shown}, minted {record.get('age_s')} s before")
                evidence = {**_evidence(record, shown), "calls": calls}
                if fresh.token in seen:
                    detail = (
                        f"call {number} returned {shown}, the OBF token {seen[fresh.token]} "
                        "got: OBF tokens are single-use, so a bot joining with it fails"
                    )
                    return RuleResult(Verdict(rid, Outcome.FAIL, detail, evidence), ctx.curl())
                seen[fresh.token] = f"call {number}"
                problem = minted_problem(record, TokenKind.OBF, shown)
                if problem is None and int(record.get("uses") or 0) > 0:
                    problem = f"{shown} was already used {record.get('uses')} time(s) by a bot"
                if problem is not None:
                    detail = f"call {number}: {problem}"
                    return RuleResult(Verdict(rid, Outcome.FAIL, detail, evidence), ctx.curl())
                if float(record.get("age_s") or 0.0) > OBF_JUST_IN_TIME_S:
                    late.append(f"call {number} ({record.get('age_s')} s)")
    except ZoomAdminError as exc:
        return _skip(rid, f"{rid} not graded: {exc}")
    if late:
        detail = (
            f"no token came back twice, but {', '.join(late)} got a token minted more than "
            f"{OBF_JUST_IN_TIME_S:g} s before the call: mint it just in time"
        )
        return RuleResult(Verdict(rid, Outcome.WARN, detail, {"calls": calls}), ctx.curl())
    return RuleResult(
        Verdict(
            rid,
            Outcome.PASS,
            f"{_FRESH_CALLS + 1} calls got {_FRESH_CALLS + 1} different OBF tokens, each "
            f"minted by Zoom within {OBF_JUST_IN_TIME_S:g} s before its call and unused",
            {"calls": calls},
        )
    )


def _graded_fresh(
    ctx: CheckContext, rid: str, kind: TokenKind
) -> tuple[_Fresh, list[str]] | RuleResult:
    """A fresh call's token with the problems common to every kind rule (not minted here,
    another kind); a skip when the fake Zoom cannot be asked."""
    try:
        with zoom_admin(ctx) as admin:
            fresh = _fresh_token(ctx, rid, admin)
    except ZoomAdminError as exc:
        return _skip(rid, f"{rid} not graded: {exc}")
    if isinstance(fresh, RuleResult):
        return fresh
    problem = minted_problem(fresh.record, kind, fresh.shown)
    return fresh, [] if problem is None else [problem]


def _verdict(
    ctx: CheckContext, rid: str, fresh: _Fresh, problems: list[str], passed: str
) -> RuleResult:
    evidence = _evidence(fresh.record, fresh.shown)
    if problems:
        return RuleResult(Verdict(rid, Outcome.FAIL, "; ".join(problems), evidence), ctx.curl())
    return RuleResult(Verdict(rid, Outcome.PASS, passed, evidence))


def _wrong_user(fresh: _Fresh, wanted: str, consequence: str) -> list[str]:
    """The problem when Zoom minted the token for a user other than the URL's."""
    minted_for = fresh.record.get("user_id")
    if minted_for == wanted:
        return []
    return [
        f"Zoom minted {fresh.shown} for user {minted_for!r}, but the URL is user {wanted!r}'s: "
        f"{consequence}"
    ]


def check_minted_for_user(ctx: CheckContext) -> RuleResult:
    rid = "obf.minted-for-user"
    skip = needs_minted_record(ctx, rid)
    if skip:
        return skip
    wanted = ctx.config.expect_user_id
    if wanted is None:
        return _skip(rid, "no expected user; pass --expect-user-id with the URL's Zoom user id")
    graded = _graded_fresh(ctx, rid, TokenKind.OBF)
    if isinstance(graded, RuleResult):
        return graded
    fresh, problems = graded
    if not problems:
        problems += _wrong_user(fresh, wanted, "the bot would join on behalf of someone else")
    return _verdict(ctx, rid, fresh, problems, f"Zoom minted {fresh.shown} for user {wanted!r}")


def check_zak_valid_for_user(ctx: CheckContext) -> RuleResult:
    rid = "zak.valid-for-user"
    skip = needs_minted_record(ctx, rid)
    if skip:
        return skip
    graded = _graded_fresh(ctx, rid, TokenKind.ZAK)
    if isinstance(graded, RuleResult):
        return graded
    fresh, problems = graded
    wanted = ctx.config.expect_user_id
    record = fresh.record
    if not problems:
        left = float(record.get("remaining_s") or 0.0)
        if left <= 0:
            problems.append(f"the ZAK {fresh.shown} expired {-left:.0f} s ago")
        if wanted is not None:
            problems += _wrong_user(fresh, wanted, "the bot would start as someone else")
    checked = f"user {wanted!r}" if wanted else "its user (pass --expect-user-id to check whose)"
    passed = f"the ZAK {fresh.shown} is live for {checked}, {record.get('remaining_s')} s left"
    return _verdict(ctx, rid, fresh, problems, passed)


def check_join_token_for_meeting(ctx: CheckContext) -> RuleResult:
    rid = "join-token.for-meeting"
    skip = needs_minted_record(ctx, rid)
    if skip:
        return skip
    meeting = ctx.config.meeting_id
    if meeting is None:
        return _skip(rid, "no meeting to compare with; pass --meeting-id with the URL's meeting")
    graded = _graded_fresh(ctx, rid, TokenKind.JOIN_TOKEN)
    if isinstance(graded, RuleResult):
        return graded
    fresh, problems = graded
    record = fresh.record
    left = float(record.get("remaining_s") or 0.0)
    if not problems:
        if record.get("meeting_id") != meeting:
            problems.append(
                f"Zoom minted {fresh.shown} for meeting {record.get('meeting_id')!r}, not "
                f"{meeting!r}: the bot could not join the meeting it was sent to"
            )
        if left <= 0:
            problems.append(f"the join token {fresh.shown} expired {-left:.0f} s ago")
    result = _verdict(
        ctx, rid, fresh, problems, f"{fresh.shown} is for meeting {meeting!r}, {left:.0f} s left"
    )
    if not problems and left < JOIN_TOKEN_WARN_S:
        detail = (
            f"{fresh.shown} is for meeting {meeting!r} but has only {left:.0f} s left of its "
            "120: fetch it from Zoom when Recall calls, not ahead"
        )
        return RuleResult(Verdict(rid, Outcome.WARN, detail, result.verdict.evidence), ctx.curl())
    return result
