"""The watch's files: JSON lines as it goes, then the JSON and HTML reports.

The JSON report has the shape of ``check``'s (SPEC §4, §8): ``target``, ``started_at``,
``duration_s``, ``summary``, ``results`` (each answer rule over every call: it fails
if it failed on any call, with the counts), ``causes``, ``timeline`` and
``interrupted``. Everything written passes through `scrub`, so a URL secret echoed by
the callback (in a refusal's body, quoted as evidence) never reaches a file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from recall_sim.conformance.config import UsageError
from recall_sim.conformance.renderers.writer import write_report
from recall_sim.conformance.report import check_output_path, check_output_paths_differ
from recall_sim.conformance.watch.settings import WatchSettings
from recall_sim.conformance.watch.state import WatchState
from recall_sim.simulator.causes import Cause
from recall_sim.simulator.judge import RECALL_BUDGET
from recall_sim.simulator.kinds import ASSUMED_BUDGET_NOTE, TokenKind
from recall_sim.simulator.redaction import redact_text
from recall_sim.simulator.reproduce import curl_command
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.signing import signature_headers
from recall_sim.simulator.timeline import CallPoint, Timeline, ZoomEventPoint
from recall_sim.simulator.timestamps import iso_timestamp

__all__ = [
    "HtmlRenderer",
    "JsonLines",
    "Scrubber",
    "build_report",
    "check_outputs",
    "html_renderer",
    "write_html",
    "write_json",
]

HtmlRenderer = Callable[[dict[str, Any]], str]


def assumptions(settings: WatchSettings) -> list[str]:
    """What the grades assume beyond Recall's documents (SPEC §7), for the report's notes
    and the final diagnosis alike."""
    if settings.kind is TokenKind.ACCESS_TOKEN:
        return []
    return [ASSUMED_BUDGET_NOTE.format(kind=settings.kind.value)]


def check_outputs(settings: WatchSettings) -> None:
    """Every report path writable and distinct, before the first call (UsageError if not)."""
    outputs = [
        ("--jsonl", settings.jsonl),
        ("--report-json", settings.report_json),
        ("--report-html", settings.report_html),
    ]
    given = [(option, path) for option, path in outputs if path is not None]
    for option, path in given:
        check_output_path(option, path)
    for i, first in enumerate(given):
        for second in given[i + 1 :]:
            check_output_paths_differ(first, second)


def html_renderer() -> HtmlRenderer:
    """The HTML report renderer, resolved before the run so a missing one is a usage error
    now rather than a lost hour of watching."""
    try:
        from recall_sim.conformance.renderers.html import render_html
    except ImportError as exc:
        raise UsageError(f"--report-html: the HTML renderer is unavailable ({exc})") from None
    renderer: HtmlRenderer = render_html
    return renderer


class Scrubber:
    """Removes the URL's secret values from every string of a JSON shape.

    The judge and the timeline redact tokens; only this run knows which URL parts the
    user named as secret, and a callback may quote its own URL in an answer.
    """

    def __init__(self, settings: WatchSettings) -> None:
        self._hidden = () if settings.show_secrets else settings.secrets.values(settings.url)

    def text(self, text: str) -> str:
        return redact_text(text, secrets=self._hidden) if self._hidden else text

    def __call__(self, shown: Any) -> Any:
        if not self._hidden:
            return shown
        if isinstance(shown, str):
            return self.text(shown)
        if isinstance(shown, dict):
            return {k: self(v) for k, v in shown.items()}
        if isinstance(shown, list | tuple):
            return [self(v) for v in shown]
        return shown


class JsonLines:
    """``--jsonl``: a line per call and per Zoom event as they happen, then the summary.

    Each line is flushed, so a killed run keeps every call it made.
    """

    def __init__(self, file: IO[str], scrub: Scrubber) -> None:
        self._file = file
        self._scrub = scrub

    @classmethod
    def open(cls, path: Path, scrub: Scrubber) -> JsonLines:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path.open("w", encoding="utf-8"), scrub)

    def call(self, point: CallPoint, verdicts: Sequence[Verdict]) -> None:
        problems = [
            {"rule": v.rule, "verdict": v.outcome.value, "detail": v.detail}
            for v in verdicts
            if v.outcome in (Outcome.FAIL, Outcome.WARN)
        ]
        verdict = "fail" if point.failed_rules else "warn" if point.warned_rules else "pass"
        self._write({"type": "call", **point.to_json(), "verdict": verdict, "problems": problems})

    def zoom_events(self, events: Iterable[ZoomEventPoint]) -> None:
        for event in events:
            self._write({"type": "zoom", **event.to_json()})

    def summary(self, report: dict[str, Any]) -> None:
        # The timeline is already here, line by line.
        self._write({"type": "summary", **{k: v for k, v in report.items() if k != "timeline"}})

    def close(self) -> None:
        self._file.close()

    def _write(self, line: dict[str, Any]) -> None:
        self._file.write(json.dumps(self._scrub(line), default=str) + "\n")
        self._file.flush()


def build_report(
    settings: WatchSettings,
    state: WatchState,
    *,
    started_at: float,
    timeline: Timeline,
    causes: Sequence[Cause],
    scrub: Scrubber,
) -> dict[str, Any]:
    """The JSON report: ``check``'s shape, over every call of the watch."""
    reproduce = _reproduce(settings)
    notes = []
    if state.interrupted:
        notes.append(f"interrupted (Ctrl-C) after {state.elapsed:.1f} s of the asked run")
    if state.zoom_error:
        notes.append(f"the fake Zoom's journal could not be read: {state.zoom_error}")
    notes += assumptions(settings)
    report = {
        "target": settings.masked_url(),
        "kind": settings.kind.value,
        "started_at": iso_timestamp(started_at),
        "duration_s": round(state.elapsed, 3),
        "seed": None,  # no randomness: kept so check's readers find every key
        "requests_sent": state.calls,
        "interval_s": settings.interval,
        "stopped_by": state.stopped_by,
        "summary": state.summary(),
        "interrupted": state.interrupted,
        "notes": notes,
        "config_sources": dict(settings.config_sources),
        "results": [tally.to_json(reproduce=reproduce) for tally in state.rules.values()],
        "causes": [cause.to_json() for cause in causes],
        "timeline": timeline.to_json(),
    }
    scrubbed: dict[str, Any] = scrub(report)
    return scrubbed


def write_json(path: Path, report: dict[str, Any]) -> None:
    """Atomically, like every report (`recall_sim.conformance.renderers.writer`)."""
    write_report(path, lambda: json.dumps(report, indent=2, default=str) + "\n", kind="JSON")


def write_html(path: Path, report: dict[str, Any], renderer: HtmlRenderer) -> None:
    write_report(path, lambda: renderer(report), kind="HTML")


def _reproduce(settings: WatchSettings) -> str:
    """One call as the watch makes it; a signature is recomputed from $SIGNING_SECRET."""
    headers: dict[str, str] = {}
    if settings.signing_secret is not None:
        headers = signature_headers(settings.signing_secret, timestamp=time.time())
    return curl_command(
        settings.url,
        deadline=RECALL_BUDGET,
        headers=headers,
        secret_params=settings.secrets.params,
        secret_path_segments=settings.secrets.path_segments,
        signing_secret=settings.signing_secret,
        show_secrets=settings.show_secrets,
    )
