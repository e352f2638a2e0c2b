"""``contract.token-live`` and ``freshness.deauthorized-user``: the token is one Zoom accepts,
and stops being served once the user removes the app. Both ask the fake Zoom (``--zoom-admin``)
what its ``GET /v2/users/me`` would say about a token; a token is sent there in a JSON body
and never shown, only its fingerprint."""

from __future__ import annotations

import time
from typing import Any

from recall_sim.conformance.context import CheckContext, RuleResult
from recall_sim.conformance.rules.freshness import needs_zoom_admin, zoom_admin
from recall_sim.conformance.zoom_admin import ZoomAdminError
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.redaction import JWT_PATTERN, redact_text, redact_token
from recall_sim.simulator.rules import Outcome, Verdict

__all__ = ["DEAUTHORIZED_WINDOW_CAP", "check_deauthorized_user", "check_token_live"]

# The deauthorization window: --freshness-window, at most this long (and at least 3 s).
DEAUTHORIZED_WINDOW_CAP = 15.0
_MIN_WINDOW = 3.0
_CALL_INTERVAL = 0.5
_TRANSIENT_4XX = frozenset({408, 425, 429})
_RECONNECT = (
    "the user's grant on this app stays revoked in the fake Zoom (the user is kept): "
    "reconnect them to the callback (its Zoom connect flow) before the next run"
)


def _skip(rule_id: str, detail: str, evidence: dict[str, Any] | None = None) -> RuleResult:
    return RuleResult(Verdict(rule_id, Outcome.SKIP, detail, evidence or {}))


def check_token_live(ctx: CheckContext) -> RuleResult:
    rid = "contract.token-live"
    skip = needs_zoom_admin(ctx, rid)
    if skip:
        return skip
    base = ctx.baseline_token
    assert base is not None
    shown = redact_token(base.token, show=ctx.config.show_secrets)
    try:
        with zoom_admin(ctx) as admin:
            status = admin.inspect_token(base.token)
    except ZoomAdminError as exc:
        return _skip(rid, f"{rid} not graded: {exc}")
    evidence = {
        "token": shown,
        "live": status.get("live"),
        "zoom_client_id": status.get("client_id"),
        "zoom_user_id": status.get("user_id"),
        "reason": status.get("reason"),
    }
    problems: list[str] = []
    if not status.get("live"):
        problems.append(f"Zoom refuses the token {shown}: {status.get('reason')}")
    issuer = base.claims.issuer or ""
    wanted_app = ctx.config.client_id or issuer.removeprefix("zm:cid:")
    if status.get("client_id") is not None and status.get("client_id") != wanted_app:
        whose = "--client-id" if ctx.config.client_id else "its iss claim"
        problems.append(
            f"Zoom issued it to app {status.get('client_id')!r}, not {wanted_app!r} ({whose})"
        )
    wanted_user = ctx.config.expect_user_id
    if wanted_user and status.get("user_id") is not None and status.get("user_id") != wanted_user:
        problems.append(f"Zoom issued it for user {status.get('user_id')!r}, not {wanted_user!r}")
    if problems:
        detail = "; ".join(problems) + " (it decodes and has time left, but Zoom would refuse it)"
        return RuleResult(Verdict(rid, Outcome.FAIL, detail, evidence), ctx.curl())
    checked = "app " + repr(wanted_app)
    if wanted_user:
        checked += f" and user {wanted_user!r}"
    else:
        checked += " (pass --expect-user-id to check the user too)"
    return RuleResult(
        Verdict(rid, Outcome.PASS, f"Zoom accepts {shown}: live, for {checked}", evidence)
    )


def _window(ctx: CheckContext) -> float:
    return max(_MIN_WINDOW, min(ctx.config.freshness_window, DEAUTHORIZED_WINDOW_CAP))


def _carries_token(observation: Observation) -> bool:
    return JWT_PATTERN.search(observation.body.decode("utf-8", "replace")) is not None


def _stopped(observation: Observation) -> bool:
    """A 4xx without a token, not a transient one: Recall marks the credential unhealthy."""
    status = observation.status
    return (
        status is not None
        and 400 <= status < 500
        and status not in _TRANSIENT_4XX
        and not _carries_token(observation)
    )


def check_deauthorized_user(ctx: CheckContext) -> RuleResult:
    rid = "freshness.deauthorized-user"
    skip = needs_zoom_admin(ctx, rid)
    if skip:
        return skip
    base = ctx.baseline_token
    assert base is not None
    dead = redact_token(base.token, show=ctx.config.show_secrets)
    window = _window(ctx)
    calls: list[str] = []
    served_dead = 0
    outcome: tuple[Outcome, str, Observation | None] | None = None
    try:
        with zoom_admin(ctx) as admin:
            status = admin.inspect_token(base.token)
            user_id, client_id = status.get("user_id"), status.get("client_id")
            if not status.get("live") or user_id is None:
                return _skip(
                    rid,
                    f"{rid} not exercised: the callback's token {dead} is not live before the "
                    f"deauthorization ({status.get('reason')}); fix contract.token-live first",
                )
            revoked = admin.deauthorize_user(str(user_id), client_id=client_id)
    except ZoomAdminError as exc:
        return _skip(rid, f"{rid} not graded: {exc}")
    started = time.monotonic()
    last: Observation | None = None
    while outcome is None and time.monotonic() - started < window:
        # Not graded onto the run's timeline: failing now is what the rule asks for, and the
        # diagnosis must not read it as a fault of the callback.
        observation = ctx.call()
        last = observation
        seconds = time.monotonic() - started
        ctx.progress(rid, seconds, window, "s", calls=len(calls) + 1)
        calls.append(f"{seconds:.1f} s: {observation.summary}")
        found = ctx.token_in(observation)
        if found is not None and found.token == base.token:
            served_dead += 1
        elif found is None and observation.status is not None and 200 <= observation.status < 300:
            outcome = (
                Outcome.FAIL,
                f"{seconds:.1f} s after the user removed the app, it answered HTTP "
                f"{observation.status} without a token: answer 404 instead, so Recall marks "
                "the credential unhealthy",
                observation,
            )
        elif _stopped(observation):
            after = (
                f" after serving the dead token {dead} {served_dead} more time(s)"
                if served_dead
                else ""
            )
            outcome = (
                Outcome.PASS,
                f"{seconds:.1f} s after the user removed the app, it answered HTTP "
                f"{observation.status} without a token{after}; {_RECONNECT}",
                None,
            )
        if outcome is None:
            time.sleep(_CALL_INTERVAL)
    evidence: dict[str, Any] = {
        "dead_token": dead,
        "revoked_grants": revoked,
        "window_s": window,
        "calls": calls[-12:],
        "served_dead_token": served_dead,
    }
    if outcome is None:
        outcome = (Outcome.FAIL, _never_stopped(last, dead, served_dead, window), last)
    verdict, detail, shown = outcome
    if verdict is Outcome.FAIL:
        detail += f"; {_RECONNECT}"
        if shown is not None:
            body = redact_text(shown.body.decode("utf-8", "replace"))[:200]
            evidence["body"] = body
        return RuleResult(Verdict(rid, verdict, detail, evidence), ctx.curl())
    return RuleResult(Verdict(rid, verdict, detail, evidence))


def _never_stopped(last: Observation | None, dead: str, served_dead: int, window: float) -> str:
    if last is not None and served_dead and last.status is not None and last.status < 300:
        return (
            f"it kept serving the dead token {dead} for {window:g} s after the user removed "
            f"the app ({served_dead} call(s)): Zoom refuses it, and Recall keeps a credential "
            "that cannot work"
        )
    if last is None or last.status is None:
        error = last.error.kind.value if last is not None and last.error else "no answer"
        return f"it gave no answer after the user removed the app ({error})"
    if last.status >= 500:
        return (
            f"it answered HTTP {last.status} after the user removed the app: Recall takes a 5xx "
            "as transient; answer 404 once Zoom refuses the grant (invalid_grant)"
        )
    return (
        f"within {window:g} s after the user removed the app it never answered a 4xx without a "
        f"token (last: {last.summary})"
    )
