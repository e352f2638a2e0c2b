"""GitHub Actions workflow annotations for a run: ``check --format github``.

One ``::error`` per failed rule and one ``::warning`` per warned rule, titled with the rule
and its title, carrying what was seen and the fix; GitHub shows them on the run's summary
page and on the pull request. Values are escaped as GitHub's runner unescapes them
(``%``, CR and LF in the message; also ``:`` and ``,`` in properties), so a detail can
never end an annotation early or start a workflow command of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["escape_data", "escape_property", "render_annotations"]

_COMMAND = {"fail": "error", "warn": "warning"}


def escape_data(text: str) -> str:
    """A workflow command's message, escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (e.g. ``title``), escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_annotations(report: Mapping[str, Any], *, strict: bool = False) -> str:
    """One annotation line per failed or warned rule (empty when there is none).

    ``strict``: warnings fail the run, so they are errors too.
    """
    causes = {
        rule: str(cause.get("cause", ""))
        for cause in report.get("causes", [])
        for rule in cause.get("rules", [])
    }
    lines = []
    for result in report.get("results", []):
        verdict = str(result.get("verdict"))
        if verdict not in _COMMAND:
            continue
        command = "error" if strict else _COMMAND[verdict]
        rule = str(result.get("rule"))
        title = f"recall-sim {verdict.upper()} {rule}: {result.get('title', '')}"
        message = [str(result.get("detail", ""))]
        if rule in causes:
            message.append(f"cause: {causes[rule]}")
        if result.get("fix"):
            message.append(f"fix: {result['fix']}")
        lines.append(
            f"::{command} title={escape_property(title)}::{escape_data(chr(10).join(message))}"
        )
    return "\n".join(lines)
