"""The Markdown summary of a run: a CI job summary (``$GITHUB_STEP_SUMMARY``), a comment.

The verdict, the counts, the causes (each once, with the rules it explains and its fix),
then one table row per rule. Like every renderer, a pure function of the JSON report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["render_markdown", "verdict_of"]

_ICON = {"pass": "✅ PASS", "fail": "❌ FAIL", "warn": "⚠️ WARN", "skip": "⏭️ SKIP"}


def _cell(text: object, *, limit: int = 300) -> str:
    """One table cell: on one line, pipes escaped, cut at ``limit`` characters."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.replace("\\", "\\\\").replace("|", "\\|")


def verdict_of(report: Mapping[str, Any], *, strict: bool = False) -> str:
    """``fail``, ``warn`` or ``pass``: the run's overall verdict (warn fails under strict)."""
    summary = report.get("summary", {})
    if summary.get("fail", 0) or (strict and summary.get("warn", 0)):
        return "fail"
    return "warn" if summary.get("warn", 0) else "pass"


def render_markdown(report: Mapping[str, Any], *, strict: bool = False) -> str:
    """The whole summary, ending in a newline."""
    summary = report.get("summary", {})
    verdict = verdict_of(report, strict=strict)
    headline = {
        "fail": "❌ recall-sim: the callback does not conform",
        "warn": "⚠️ recall-sim: the callback conforms, with warnings",
        "pass": "✅ recall-sim: the callback conforms",
    }[verdict]
    lines = [
        f"## {headline}",
        "",
        f"Target `{_cell(report.get('target', ''))}`: "
        f"**{summary.get('pass', 0)}** passed, **{summary.get('fail', 0)}** failed, "
        f"**{summary.get('warn', 0)}** warned, **{summary.get('skip', 0)}** skipped "
        f"in {report.get('duration_s', 0)} s (seed {report.get('seed')})"
        + (", warnings fail (strict)" if strict else "")
        + ".",
    ]
    if report.get("interrupted"):
        lines += ["", "**Interrupted**: the rules not listed did not run."]
    causes = report.get("causes", [])
    if causes:
        lines += ["", "### Causes", ""]
        for cause in causes:
            rules = ", ".join(f"`{r}`" for r in cause.get("rules", []))
            lines.append(f"- **`{cause.get('cause')}`** — {_cell(cause.get('title', ''))}")
            lines.append(f"  - what: {_cell(cause.get('detail', ''), limit=600)}")
            if rules:
                lines.append(f"  - explains: {rules}")
            lines.append(f"  - fix: {_cell(cause.get('fix', ''), limit=600)}")
    lines += ["", "### Rules", "", "| rule | verdict | reason | fix |", "|---|---|---|---|"]
    for result in report.get("results", []):
        verdict_cell = _ICON.get(str(result.get("verdict")), str(result.get("verdict")))
        fix = result.get("fix") if result.get("verdict") in ("fail", "warn") else ""
        lines.append(
            f"| `{result.get('rule')}` | {verdict_cell} | {_cell(result.get('detail', ''))} "
            f"| {_cell(fix or '')} |"
        )
    for note in report.get("notes", []):
        lines += ["", f"> {_cell(note, limit=600)}"]
    return "\n".join(lines) + "\n"
