"""The HTML report: one self-contained file that opens offline, e.g. from a CI artifact.

Input is the JSON report (`Report.to_json()`, or what `recall-sim report` builds from a
``serve`` journal), which is already redacted: this renders what it is given and adds no
value of its own, so no secret can appear here that the JSON report did not show.

As in coverage.py's HTML report, the JSON is first turned into small view models
(`Page`, `CauseView`, `RuleView`) and only then into HTML by a Jinja2 template with
autoescaping on. Top to bottom: the run, the causes (evidence, fix, the rules each
explains), the timeline charts on one time axis (`charts`), and every rule's verdict.

The charts are drawn by plotly.js's *basic* bundle (scatter, bar and pie; 1.1 MB), shipped
as package data. The full bundle that the plotly package embeds is 4.9 MB, more than
the ~2 MB an hour-long report may weigh; the basic one draws the same figure JSON
(`assets/README.md`). It is embedded once, and only when there is a timeline to draw.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from recall_sim.conformance.renderers.writer import write_report

if TYPE_CHECKING:
    import jinja2

__all__ = ["render_html", "script_safe_json", "write_html"]

_EVIDENCE_CHARS: Final = 20_000  # a rule's evidence is for reading, not for archiving
_CAUSE_VALUE_CHARS: Final = 400
_VERDICTS: Final = ("fail", "warn", "pass", "skip")


@dataclass(frozen=True)
class RuleRef:
    """A rule named under a cause: its id, its verdict in this run (if it ran) and a link."""

    rule: str
    verdict: str | None
    title: str
    anchor: str


@dataclass(frozen=True)
class CauseView:
    cause: str
    title: str
    detail: str
    fix: str
    evidence: Sequence[tuple[str, str]]
    rules: Sequence[RuleRef]


@dataclass(frozen=True)
class RuleView:
    rule: str
    verdict: str
    title: str
    detail: str
    fix: str
    evidence: str  # pretty JSON, cut at _EVIDENCE_CHARS
    reproduce: str | None
    duration_s: float | None
    anchor: str


@dataclass(frozen=True)
class Chart:
    figure_json: str  # already safe inside <script>
    points: Mapping[str, int]
    calls: int
    zoom_events: int


@dataclass(frozen=True)
class Page:
    target: str
    started_at: str
    duration_s: float | None
    seed: object
    requests_sent: object
    summary: Mapping[str, int]
    interrupted: bool
    notes: Sequence[str]
    causes: Sequence[CauseView] | None  # None: the report recorded no diagnosis at all
    rules: Sequence[RuleView]
    chart: Chart | None  # None: the report holds no timeline


def render_html(report: Mapping[str, Any]) -> str:
    """The whole page for one JSON report; raises only on a report of the wrong shape."""
    # Exactly what the JSON report holds (`Report.write_json` writes with default=str),
    # whatever mapping the caller built it from.
    page = build_page(json.loads(json.dumps(report, default=str)))
    template = _environment().get_template("report.html.j2")
    return template.render(
        page=page,
        css=_asset("report.css"),
        plotly_js=_plotly_js() if page.chart is not None else "",
    )


def write_html(
    report: Mapping[str, Any], path: Path, *, say: Callable[[str], None] | None = None
) -> Path:
    """Render and write atomically (see `write_report`): no half-written page is left."""
    return write_report(path, lambda: render_html(report), kind="HTML", say=say)


def build_page(report: Mapping[str, Any]) -> Page:
    results = [r for r in report.get("results") or [] if isinstance(r, Mapping)]
    rules = [_rule_view(r) for r in results]
    by_id = {r.rule: r for r in rules}
    raw_causes = report.get("causes")
    causes = None if raw_causes is None else [_cause_view(c, by_id) for c in raw_causes]
    summary = report.get("summary") or {v: sum(r.verdict == v for r in rules) for v in _VERDICTS}
    timeline = report.get("timeline")
    duration = report.get("duration_s")
    return Page(
        target=str(report.get("target", "")),
        started_at=str(report.get("started_at", "")),
        duration_s=None if duration is None else float(duration),
        seed=report.get("seed"),
        requests_sent=report.get("requests_sent"),
        summary={v: int(summary.get(v, 0)) for v in _VERDICTS},
        interrupted=bool(report.get("interrupted")),
        notes=[str(n) for n in report.get("notes") or []],
        causes=causes,
        # Failures first, as a reader scans for them; the run's order within a verdict.
        rules=sorted(rules, key=lambda r: _order(r.verdict)),
        chart=_chart(timeline) if isinstance(timeline, Mapping) else None,
    )


def _order(verdict: str) -> int:
    return _VERDICTS.index(verdict) if verdict in _VERDICTS else len(_VERDICTS)


def _anchor(rule: str) -> str:
    return "rule-" + re.sub(r"[^A-Za-z0-9_.-]", "-", rule)


def _rule_view(result: Mapping[str, Any]) -> RuleView:
    rule = str(result.get("rule", "?"))
    evidence = result.get("evidence") or {}
    shown = json.dumps(evidence, indent=2, ensure_ascii=False, default=str) if evidence else ""
    if len(shown) > _EVIDENCE_CHARS:
        shown = shown[:_EVIDENCE_CHARS] + "\n… (cut here; the JSON report has it all)"
    duration = result.get("duration_s")
    return RuleView(
        rule=rule,
        verdict=str(result.get("verdict", "?")),
        title=str(result.get("title", "")),
        detail=str(result.get("detail", "")),
        fix=str(result.get("fix") or ""),
        evidence=shown,
        reproduce=None if not result.get("reproduce") else str(result["reproduce"]),
        duration_s=None if duration is None else float(duration),
        anchor=_anchor(rule),
    )


def _cause_view(cause: Mapping[str, Any], rules: Mapping[str, RuleView]) -> CauseView:
    evidence = cause.get("evidence") or {}
    items = []
    for key, value in evidence.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        # A cause points into the timeline (call indices, Zoom seq numbers): the first
        # hundred or so say enough; the charts and the JSON report show the rest.
        if len(shown) > _CAUSE_VALUE_CHARS:
            shown = shown[:_CAUSE_VALUE_CHARS] + " …"
        items.append((str(key), shown))
    refs = []
    for rule_id in cause.get("rules") or []:
        known = rules.get(str(rule_id))
        refs.append(
            RuleRef(
                rule=str(rule_id),
                verdict=None if known is None else known.verdict,
                title="" if known is None else known.title,
                anchor=_anchor(str(rule_id)),
            )
        )
    return CauseView(
        cause=str(cause.get("cause", "")),
        title=str(cause.get("title", "")),
        detail=str(cause.get("detail", "")),
        fix=str(cause.get("fix", "")),
        evidence=items,
        rules=refs,
    )


def _chart(timeline: Mapping[str, Any]) -> Chart:
    from recall_sim.conformance.renderers.charts import figure_json

    text, data = figure_json(timeline)
    return Chart(
        figure_json=script_safe_json(text),
        points=data.points,
        calls=data.calls,
        zoom_events=data.zoom_events,
    )


def script_safe_json(text: str) -> str:
    """JSON that can sit inside ``<script>``: the HTML parser ends a script element at
    ``</script`` whatever the JavaScript means, and ``<!--`` changes how it reads on.
    ``<``, ``>`` and ``&`` as ``\\u`` escapes are the same JSON, and never markup.
    U+2028/U+2029 are escaped for older JavaScript engines that end a line there."""
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _script_safe_js(code: str) -> str:
    # The shipped bundle holds neither sequence (tests/test_html_report.py checks), but a
    # future bundle might: in a string, a regex or a comment, "<\/" and "<\!" read the same.
    code = re.sub(r"</(?=script)", r"<\\/", code, flags=re.IGNORECASE)
    return code.replace("<!--", "<\\!--")


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("recall_sim.conformance.renderers", "templates"),
        autoescape=True,  # every value is escaped unless the template says otherwise
        undefined=jinja2.StrictUndefined,  # a misspelt name is a bug, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def _asset(name: str) -> str:
    return (
        resources.files("recall_sim.conformance.renderers")
        .joinpath("assets", name)
        .read_text(encoding="utf-8")
    )


@functools.cache
def _plotly_js() -> str:
    return _script_safe_js(_asset("plotly-basic.min.js"))
