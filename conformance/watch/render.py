"""The watch's text, as pure functions of its state: a line per call or Zoom event, the
rolling status, and the final diagnosis. The displays only decide where text goes."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from recall_sim.conformance.terminal import paint
from recall_sim.conformance.watch.state import WatchState
from recall_sim.simulator.judge import DEADLINE_WARN, MIN_VALIDITY, RECALL_BUDGET, VALIDITY_WARN
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.timeline import CallPoint, ZoomEventPoint

__all__ = [
    "PLAIN",
    "Style",
    "cut",
    "render_call_line",
    "render_final",
    "render_status",
    "render_zoom_line",
    "seconds",
]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{12}")
_MAX_LISTED = 4  # rules or causes named in one status line before "and N more"
_ENDED_BY = {
    "duration": "--duration",
    "first-failure": "the first failure, --until-fail",
    "ctrl-c": "Ctrl-C",
}


@dataclass(frozen=True)
class Style:
    """Colour on or off, decided once (`recall_sim.conformance.terminal.should_do_markup`)."""

    color: bool = False

    def __call__(self, text: str, *styles: str) -> str:
        return paint(text, *styles) if self.color else text


PLAIN = Style(False)


def seconds(value: float) -> str:
    """A duration as a person reads it: ``12 ms`` under a second, else ``1.23 s``."""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` visible characters, keeping its ANSI codes whole: a line
    of the live area must never wrap, or rewriting it in place would leave debris."""
    if width <= 0:
        return ""
    out: list[str] = []
    visible = 0
    position = 0
    styled = False
    for match in _ANSI.finditer(text):
        chunk = text[position : match.start()]
        room = width - visible
        if len(chunk) > room:
            out.append(chunk[: max(room - 1, 0)] + "…")
            return "".join(out) + ("\x1b[0m" if styled else "")
        out.append(chunk)
        visible += len(chunk)
        out.append(match.group(0))
        styled = match.group(0) != "\x1b[0m"
        position = match.end()
    chunk = text[position:]
    if visible + len(chunk) > width:
        return "".join(out) + chunk[: max(width - visible - 1, 0)] + "…"
    return "".join(out) + chunk


def _clock(at: float) -> str:
    # UTC with a Z, as the fake Zoom's and fake Recall's journals stamp their events.
    return time.strftime("%H:%M:%S", time.gmtime(at)) + "Z"


def render_call_line(point: CallPoint, *, rotated: bool = False, style: Style = PLAIN) -> str:
    """``12:00:05Z #7  200  12 ms/5 s  sha256:…  131 s left  ok``: one call, at a glance."""
    if point.status is not None:
        status = style(str(point.status), "green" if 200 <= point.status < 300 else "red")
    else:
        status = style(point.error or "no answer", "red")
    answer = seconds(point.answer_s)
    if point.answer_s > RECALL_BUDGET:
        answer = style(answer, "red")
    elif point.answer_s > DEADLINE_WARN:
        answer = style(answer, "yellow")
    token = point.token_id or "no token"
    if rotated:
        token += " " + style("(new)", "blue")
    left = point.remaining_s
    if left is None:
        validity = "-"
    else:
        validity = f"{left:.0f} s left" if left >= 0 else f"expired {-left:.0f} s ago"
        if left < MIN_VALIDITY:
            validity = style(validity, "red")
        elif left < VALIDITY_WARN:
            validity = style(validity, "yellow")
    verdicts = []
    if point.failed_rules:
        verdicts.append(style("FAIL " + ", ".join(point.failed_rules), "red", "bold"))
    if point.warned_rules:
        verdicts.append(style("WARN " + ", ".join(point.warned_rules), "yellow"))
    verdict = "; ".join(verdicts) or style("ok", "green")
    return (
        f"{_clock(point.at)} #{point.index:<4} {status}  {answer}/{RECALL_BUDGET:g} s  "
        f"{token}  {validity}  {verdict}"
    )


def render_zoom_line(event: ZoomEventPoint, *, style: Style = PLAIN) -> str:
    """A fake Zoom journal event between the calls: ``zoom  refresh ok  ...``."""
    outcome = event.outcome
    shown = style(outcome, "green") if outcome == "ok" else style(outcome.upper(), "red")
    parts = [f"{_clock(event.at)} {style('zoom', 'blue')}  {event.kind} {shown}"]
    if event.status is not None:
        parts.append(f"HTTP {event.status}")
    for label, value in (
        ("fault", event.fault),
        ("error", event.error),
        ("why", event.reason),
        ("presented", _fingerprint(event.presented)),
        ("issued", _fingerprint(event.issued_access_token)),
    ):
        if value:
            parts.append(f"{label} {value}")
    return "  ".join(parts)


def _fingerprint(redacted: str | None) -> str | None:
    """A journal's redacted token by its fingerprint alone: the call lines show tokens that
    way, so an issued token can be matched to the calls that served it."""
    if redacted is None:
        return None
    found = _FINGERPRINT.search(redacted)
    return found.group(0) if found else redacted


def _progress(state: WatchState) -> str:
    total = "" if state.duration is None else f"/{state.duration:g}"
    text = f"{state.elapsed:.0f}{total} s"
    if state.until_fail:
        text += ", until the first failure"
    elif state.duration is None:
        text += " (Ctrl-C ends)"
    return text


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def render_status(state: WatchState, *, style: Style = PLAIN) -> str:
    """The rolling summary: progress and answer times, failures by rule, causes so far."""
    times = state.answer_times
    p50, p95 = times.quantile(0.5), times.quantile(0.95)
    failed = state.failed_calls
    head = [
        style("watch", "bold") + f" {_progress(state)}",
        f"{state.calls} calls",
        style(f"{failed} failed", "red") if failed else "0 failed",
    ]
    if p50 is not None and p95 is not None:
        head.append(f"p50 {seconds(p50)} p95 {seconds(p95)} (max {seconds(times.maximum)})")
    rotations = "rotation" if state.rotations == 1 else "rotations"
    head.append(f"{state.rotations} token {rotations}")
    if state.min_validity is not None:
        head.append(f"min validity {state.min_validity:.0f} s")
    lines = [" · ".join(head)]
    failures = [f"{rule} ×{n}" for rule, n in state.failures_by_rule().items()]
    warnings = [f"{rule} ×{n}" for rule, n in state.warnings_by_rule().items()]
    lines.append(
        "failures: "
        + (style(_listed(failures), "red") if failures else "none")
        + (f" · warnings: {_listed(warnings)}" if warnings else "")
    )
    causes = [c.cause.value for c in state.causes]
    lines.append("causes so far: " + (style(_listed(causes), "red", "bold") if causes else "none"))
    if state.zoom_observed:
        lines.append(_zoom_summary(state))
    return "\n".join(lines)


def _zoom_summary(state: WatchState) -> str:
    events = state.zoom_events
    refreshed = events[("refresh", "ok")]
    refused = sum(n for (kind, outcome), n in events.items() if outcome == "rejected")
    faults = sum(n for (kind, outcome), n in events.items() if kind == "fault")
    reuses = sum(n for (kind, _), n in events.items() if kind == "refresh_token_reuse")
    text = (
        f"zoom: {refreshed} refreshes ok, {refused} refused, {faults} faults, "
        f"{reuses} refresh-token reuses"
    )
    if state.zoom_error:
        text += f" · journal unreadable: {state.zoom_error}"
    return text


def render_final(
    state: WatchState,
    *,
    reports: Sequence[str] = (),
    notes: Sequence[str] = (),
    style: Style = PLAIN,
) -> str:
    """The final diagnosis: what was watched, the causes with their fix, the rules, then
    ``notes`` (what the grades assume)."""
    ended = _ENDED_BY.get(state.stopped_by or "", "an error")
    lines = [
        style("Watched", "bold")
        + f" {state.target} for {state.elapsed:.1f} s: {state.calls} calls, "
        f"{state.accepted} accepted, {state.failed_calls} failed (ended by {ended})"
    ]
    if state.interrupted:
        lines.append(style("INTERRUPTED before the asked end: the reports cover what ran", "red"))
    times = state.answer_times
    p50, p95 = times.quantile(0.5), times.quantile(0.95)
    if p50 is not None and p95 is not None:
        lines.append(
            f"answer time: p50 {seconds(p50)}, p95 {seconds(p95)}, max {seconds(times.maximum)}"
            f" (budget {RECALL_BUDGET:g} s; {times.over_warn} over {DEADLINE_WARN:g} s, "
            f"{times.over_budget} over {RECALL_BUDGET:g} s)"
        )
    validity = "" if state.min_validity is None else f", min validity {state.min_validity:.0f} s"
    lines.append(f"tokens: {state.rotations} rotations{validity}")
    if state.zoom_observed:
        lines.append(_zoom_summary(state))
    lines += ["", style("Causes", "bold")]
    if not state.causes:
        lines.append("  none found")
    for cause in state.causes:
        lines.append("  " + style(f"{cause.cause.value}", "red", "bold") + f" — {cause.title}")
        lines.append(f"    what: {cause.detail}")
        lines.append(f"    fix:  {cause.fix}")
        if cause.rules:
            lines.append(f"    explains: {', '.join(cause.rules)}")
    lines += ["", style("Rules", "bold") + " (over every call)"]
    order = {Outcome.FAIL: 0, Outcome.WARN: 1, Outcome.PASS: 2, Outcome.SKIP: 3}
    tallies = sorted(state.rules.values(), key=lambda t: order[t.outcome])
    width = max((len(t.rule) for t in tallies), default=0)
    for tally in tallies:
        outcome = tally.outcome
        counts = tally.counts
        graded = sum(counts.values()) - counts[Outcome.SKIP]
        if outcome is Outcome.FAIL and tally.first_fail is not None:
            call, verdict = tally.first_fail
            label = style("FAIL", "red", "bold")
            text = f"{counts[Outcome.FAIL]}/{graded} calls; first #{call}: {verdict.detail}"
        elif outcome is Outcome.WARN and tally.first_warn is not None:
            call, verdict = tally.first_warn
            label = style("WARN", "yellow")
            text = f"{counts[Outcome.WARN]}/{graded} calls; first #{call}: {verdict.detail}"
        elif outcome is Outcome.SKIP:
            label = "skip"
            text = tally.last_verdict.detail if tally.last_verdict else ""
        else:
            label = style("PASS", "green")
            text = f"{counts[Outcome.PASS]}/{graded} calls"
        lines.append(f"  {label}  {tally.rule:<{width}}  {text}")
    if notes:
        lines += ["", *(f"Note: {note}" for note in notes)]
    if reports:
        lines += ["", "Reports: " + ", ".join(reports)]
    return "\n".join(lines) + "\n"
