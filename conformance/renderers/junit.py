"""The JUnit file that CI viewers show: pytest's ``--junitxml``, finished from the report.

pytest writes one ``<testcase>`` per rule; this pass, run once pytest has written the
file, makes it read right in GitHub's, GitLab's and Jenkins's test viewers:

- a WARN stays a passing test case (a warning must not fail the build, and a
  ``<skipped>`` would claim the rule did not run), but its name ends in ``(WARN)`` and it
  carries the explanation in ``<system-out>``. The name is the only field every viewer
  shows for a passing test (GitLab shows system output for failed tests only); Jenkins
  shows the ``<system-out>`` on the test's page. The cost: a rule that turns from PASS
  to WARN appears under a new name in a viewer's history.
- a skipped rule's message and text are the reason alone (pytest prefixes the text with
  its own file path and line);
- every test case has a ``classname`` (the plugin route leaves it empty when the suite
  file lies outside the rootdir);
- the suite gets the properties ``recall-sim.pass``/``fail``/``warn``/``skip`` (counts).

It only reads the JSON report (`Report.to_json()`), like every renderer.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["CLASSNAME", "WARN_SUFFIX", "polish_junit", "warning_text"]

CLASSNAME = "recall_sim.conformance.suite"
WARN_SUFFIX = " (WARN)"
_CASE = re.compile(r"^test_rule\[(?P<rule>[^\]]+)\]")


def warning_text(result: Mapping[str, Any]) -> str:
    """A warned rule, spelled out for a viewer: what, the fix, how to reproduce."""
    lines = [
        f"WARN {result['rule']} — {result.get('title', '')}",
        f"  what: {result.get('detail', '')}",
    ]
    if result.get("fix"):
        lines.append(f"  fix:  {result['fix']}")
    if result.get("reproduce"):
        lines.append(f"  reproduce: {result['reproduce']}")
    lines.append("  (a warning: the build does not fail on it unless run with --strict)")
    return "\n".join(lines)


def polish_junit(
    path: Path,
    report: Mapping[str, Any],
    *,
    reword: Callable[[str], str] = lambda text: text,
) -> None:
    """Rewrite pytest's JUnit file at ``path`` in place (see the module docstring).

    ``reword``: applied to every text taken from the report (the plugin route names its
    own ``--callback-...`` options in reasons).
    """
    results = {str(r["rule"]): r for r in report.get("results", [])}
    # The file is the one pytest wrote moments ago in this process, not outside input.
    tree = ET.parse(path)  # noqa: S314
    root = tree.getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    for suite in suites:
        for case in suite.iter("testcase"):
            _polish_case(case, results, reword)
        _add_counts(suite, report)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _polish_case(
    case: ET.Element, results: Mapping[str, Mapping[str, Any]], reword: Callable[[str], str]
) -> None:
    if not case.get("classname"):
        case.set("classname", CLASSNAME)
    # record_property's per-case properties are not xunit2; the report holds the verdicts.
    for properties in case.findall("properties"):
        case.remove(properties)
    match = _CASE.match(case.get("name", ""))
    result = results.get(match.group("rule")) if match else None
    if result is None:
        return
    skipped = case.find("skipped")
    if skipped is not None and result.get("verdict") == "skip":
        reason = reword(str(result.get("detail", "")))
        skipped.set("message", reason)
        skipped.text = reason
    if result.get("verdict") == "warn":
        name = case.get("name", "")
        if not name.endswith(WARN_SUFFIX):
            case.set("name", name + WARN_SUFFIX)
        out = case.find("system-out")
        text = reword(warning_text(result))
        if out is None:
            ET.SubElement(case, "system-out").text = text
        else:
            out.text = text + ("\n\n" + out.text if out.text else "")


def _add_counts(suite: ET.Element, report: Mapping[str, Any]) -> None:
    properties = suite.find("properties")
    if properties is None:
        properties = ET.Element("properties")
        suite.insert(0, properties)
    for verdict, count in dict(report.get("summary", {})).items():
        ET.SubElement(properties, "property", name=f"recall-sim.{verdict}", value=str(count))
