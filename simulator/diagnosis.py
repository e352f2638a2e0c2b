"""Turn one probe and its judgement into a report a person can act on (``recall-sim probe``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from recall_sim.simulator.judge import MIN_VALIDITY, Judgement
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.redaction import (
    NO_NAMED_SECRETS,
    SecretPolicy,
    mask_headers,
    redact_text,
    redact_token,
)
from recall_sim.simulator.reproduce import Reproduction, reproduction
from recall_sim.simulator.rules import Outcome

__all__ = ["diagnosis_json", "diagnosis_text"]

_BAR = 40
_MARK = {Outcome.PASS: "PASS", Outcome.FAIL: "FAIL", Outcome.WARN: "WARN", Outcome.SKIP: "skip"}


def diagnosis_text(
    judgement: Judgement, *, show_secrets: bool = False, secrets: SecretPolicy = NO_NAMED_SECRETS
) -> str:
    """``secrets``: the parts the user named as secret (``--secret-param`` and the like)."""
    obs = judgement.observation
    lines = [f"recall-sim probe  GET {secrets.mask_url(obs.url, show=show_secrets)}", ""]
    lines += _answer_lines(obs, show_secrets)
    waited = "" if obs.deadline == judgement.budget else f"; waited up to {obs.deadline:g} s"
    lines += ["", f"Timeline (Recall's budget: {judgement.budget:g} s{waited})"]
    lines += _timeline_lines(obs, judgement.budget)
    lines += ["", *_token_lines(judgement, show_secrets)]
    lines += ["", *_skew_lines(obs)]
    lines += ["", "Rules"]
    width = max(len(v.rule) for v in judgement.verdicts)
    lines += [f"  {_MARK[v.outcome]}  {v.rule:<{width}}  {v.detail}" for v in judgement.verdicts]
    to_fix = [v for v in judgement.verdicts if v.outcome in (Outcome.FAIL, Outcome.WARN)]
    if to_fix:
        lines += ["", "How to fix"]
        lines += [f"  {v.rule}: {v.fix}" for v in to_fix]
    lines += ["", "Reproduce"]
    lines += [f"  {line}" for line in _reproduction(obs, show_secrets, secrets).lines()]
    counts = {o: sum(v.outcome is o for v in judgement.verdicts) for o in Outcome}
    verdict = "REJECTED by Recall's rules" if judgement.failures else "accepted by Recall's rules"
    lines += [
        "",
        f"Result: {verdict}: {counts[Outcome.FAIL]} failed, {counts[Outcome.WARN]} warned, "
        f"{counts[Outcome.PASS]} passed, {counts[Outcome.SKIP]} skipped",
    ]
    text: str = _without("\n".join(lines) + "\n", _url_secrets(obs, show_secrets, secrets))
    return text


def _reproduction(obs: Observation, show_secrets: bool, secrets: SecretPolicy) -> Reproduction:
    return reproduction(
        obs.url,
        deadline=obs.deadline,
        headers=obs.request_headers,
        secret_params=secrets.params,
        secret_path_segments=secrets.path_segments,
        show_secrets=show_secrets,
    )


def _url_secrets(obs: Observation, show_secrets: bool, secrets: SecretPolicy) -> tuple[str, ...]:
    return () if show_secrets else secrets.values(obs.url)


def _without(shown: Any, hidden: tuple[str, ...]) -> Any:
    """Every string in ``shown`` without the URL's secret values, wherever the answer echoed
    them (a redirect to the same URL, a body quoting the request): the judge masks with the
    name heuristic only, and knows nothing of the names the user gave."""
    if not hidden:
        return shown
    if isinstance(shown, str):
        return redact_text(shown, secrets=hidden)
    if isinstance(shown, dict):
        return {k: _without(v, hidden) for k, v in shown.items()}
    if isinstance(shown, list | tuple):
        return [_without(v, hidden) for v in shown]
    return shown


def _answer_lines(obs: Observation, show_secrets: bool) -> list[str]:
    if obs.status is None:
        kind = obs.error.kind.value if obs.error else "no-answer"
        message = obs.error.message if obs.error else ""
        return [f"Answer  none ({kind}): {message}"]
    ctype = obs.header("content-type") or "no Content-Type"
    size = f"{len(obs.body)}{'+' if obs.body_truncated else ''} bytes"
    lines = [f"Answer  HTTP {obs.status}  {ctype}  {size}"]
    if obs.error is not None:
        lines.append(f"  incomplete ({obs.error.kind.value}): {obs.error.message}")
    body = redact_text(obs.body.decode("utf-8", "replace"), show=show_secrets)
    lines.append(f"  body: {_printable(body[:200]) if body else '(empty)'}")
    return lines


def _printable(text: str) -> str:
    """Text with every character a terminal would not print as itself (controls, a byte
    order mark, zero-width spaces) shown as its escape, and nothing else changed."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _claim_text(value: object) -> str:
    # A claim as the token's JSON has it (a list is ["a"], not Python's ['a']).
    return _printable(value if isinstance(value, str) else json.dumps(value))


def _timeline_lines(obs: Observation, budget: float) -> list[str]:
    scale = max(obs.deadline, budget)  # a longer wait shows how far past the budget it went

    def bar(at: float) -> str:
        filled = min(_BAR, round(at / scale * _BAR))
        return "|" + "#" * filled + " " * (_BAR - filled) + "|"

    t = obs.timings
    points = [("connected", t.connect), ("headers", t.first_byte), ("complete", t.total)]
    lines = []
    for label, at in points:
        if at is None:
            lines.append(f"  {label:<10} {'never':>8}")
        else:
            lines.append(f"  {label:<10} {at:7.3f} s {bar(at)}")
    if obs.error is not None and obs.error.kind.is_deadline:
        lines.append(f"  cut at {t.total:.3f} s: {obs.error.message}")
    elif obs.status is not None and t.total < budget:
        lines.append(f"  {budget - t.total:.3f} s to spare")
    elif obs.status is not None:
        lines.append(f"  {t.total - budget:.3f} s over Recall's budget: Recall gave up before this")
    return lines


def _token_lines(judgement: Judgement, show_secrets: bool) -> list[str]:
    if judgement.token is None:
        return ["Token  none found in the answer"]
    lines = [f"Token  {redact_token(judgement.token, show=show_secrets)}"]
    claims = judgement.claims
    if claims is None:
        return [*lines, "  not a decodable JWT (see contract.jwt-access-token)"]
    shown = {k: claims.claims.get(k) for k in ("iss", "uid", "aid", "type", "aud")}
    lines += [f"  {k:<4} {_claim_text(v)}" for k, v in shown.items() if v is not None]
    for name in ("iat", "exp"):
        value = claims.claims.get(name)
        if isinstance(value, int | float):
            lines.append(f"  {name:<4} {value} ({_iso(value)})")
    if judgement.remaining is not None:
        left = judgement.remaining
        floor = f"Recall's floor is {MIN_VALIDITY:.0f} s"
        if left <= 0:
            lines.append(f"  validity expired {-left:.0f} s ago; {floor} -> EXPIRED")
        else:
            state = "OK" if left >= MIN_VALIDITY else "TOO SOON"
            lines.append(f"  validity {left:.0f} s left; {floor} -> {state}")
    return lines


def _skew_lines(obs: Observation) -> list[str]:
    skew = obs.clock_skew
    if skew is None:
        return ["Clock skew  unknown (no Date header)"]
    if abs(skew) <= 1:
        return ["Clock skew  none measurable (server Date within its 1 s resolution of ours)"]
    note = "" if abs(skew) < 5 else "  <- large: the server computes validity on another clock"
    return [f"Clock skew  server Date is {skew:+.1f} s from this machine (1 s resolution){note}"]


def _iso(epoch: float) -> str:
    try:
        return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return "out of range"


def diagnosis_json(
    judgement: Judgement, *, show_secrets: bool = False, secrets: SecretPolicy = NO_NAMED_SECRETS
) -> dict[str, Any]:
    """The observation plus ``results`` in the per-rule shape of the JSON report (SPEC §4)."""
    obs = judgement.observation
    reproduce = _reproduction(obs, show_secrets, secrets).one_line()
    body = obs.body.decode("utf-8", "replace")
    observation: dict[str, Any] = {
        "url": secrets.mask_url(obs.url, show=show_secrets),
        "started_at": _iso(obs.started_at),
        "deadline_s": obs.deadline,
        "budget_s": judgement.budget,
        "status": obs.status,
        "headers": mask_headers(dict(obs.headers), show=show_secrets),
        "body": redact_text(body, show=show_secrets),
        "body_bytes": len(obs.body),
        "body_truncated": obs.body_truncated,
        "timings_s": {
            "connect": obs.timings.connect,
            "first_byte": obs.timings.first_byte,
            "total": obs.timings.total,
        },
        "error": None
        if obs.error is None
        else {"kind": obs.error.kind.value, "message": obs.error.message},
        "server_date": obs.header("date"),
        "clock_skew_s": obs.clock_skew,
        "token": None
        if judgement.token is None
        else redact_token(judgement.token, show=show_secrets),
        "claims": None if judgement.claims is None else judgement.claims.claims,
        "remaining_validity_s": judgement.remaining,
    }
    failed = any(v.outcome is Outcome.FAIL for v in judgement.verdicts)
    report = {
        "observation": observation,
        "accepted": not failed,
        "results": [
            v.as_dict(reproduce=reproduce if v.outcome in (Outcome.FAIL, Outcome.WARN) else None)
            for v in judgement.verdicts
        ],
    }
    shown: dict[str, Any] = _without(report, _url_secrets(obs, show_secrets, secrets))
    return shown
