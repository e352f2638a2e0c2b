"""What a run found: the terminal table, the failure details and the JSON report (SPEC §4).

Also where the reports go: `check_output_path` proves a report can be written before
any rule runs, and `mark_junit_interrupted` keeps an interrupted run's JUnit file from
reading as a clean pass.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recall_sim.conformance.config import UsageError
from recall_sim.conformance.terminal import paint
from recall_sim.simulator.causes import Cause
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.timeline import Timeline

__all__ = [
    "Report",
    "RuleReport",
    "check_output_path",
    "check_output_paths_differ",
    "explain_cause",
    "mark_junit_interrupted",
]

_LABEL = {Outcome.PASS: "PASS", Outcome.FAIL: "FAIL", Outcome.WARN: "WARN", Outcome.SKIP: "SKIP"}
_COLOUR = {Outcome.PASS: "green", Outcome.FAIL: "red", Outcome.WARN: "yellow", Outcome.SKIP: "blue"}


@dataclass(frozen=True)
class RuleReport:
    """A rule's verdict in a run, with how to reproduce it and how long it took."""

    verdict: Verdict
    reproduce: str | None
    duration_s: float
    # A fix fitted to what this run saw, where the catalog's would mislead (load.burst's
    # concurrency advice when the burst failed on validity); None: the catalog's.
    fix_override: str | None = None

    @property
    def rule(self) -> str:
        return self.verdict.rule

    @property
    def outcome(self) -> Outcome:
        return self.verdict.outcome

    @property
    def detail(self) -> str:
        return self.verdict.detail

    @property
    def evidence(self) -> Mapping[str, Any]:
        return self.verdict.evidence

    @property
    def title(self) -> str:
        return self.verdict.title

    @property
    def fix(self) -> str:
        return self.fix_override or self.verdict.fix

    def to_json(self) -> dict[str, Any]:
        shape = self.verdict.as_dict(reproduce=self.reproduce)
        if self.fix_override and shape.get("fix"):
            shape["fix"] = self.fix_override
        return {**shape, "duration_s": round(self.duration_s, 3)}

    def explain(self, *, cause: str | None = None) -> str:
        """A failure or warning, spelled out for a CI log; ``cause``: the cause (printed
        above it) that explains it, so the reader goes there first."""
        lines = [f"{_LABEL[self.outcome]} {self.rule} — {self.title}", f"  what: {self.detail}"]
        if cause is not None:
            lines.append(f"  cause: {cause} (above)")
        lines.append(f"  fix:  {self.fix}")
        interesting = {k: v for k, v in self.evidence.items() if k != "claims"}
        if interesting:
            shown = json.dumps(interesting, default=str)
            lines.append("  evidence: " + (shown if len(shown) < 600 else shown[:600] + "…"))
        if self.reproduce:
            lines.append(f"  reproduce: {self.reproduce}")
        return "\n".join(lines)


@dataclass
class Report:
    target: str
    seed: int
    started_at: float
    results: list[RuleReport] = field(default_factory=list)
    finished_at: float | None = None
    requests_sent: int = 0
    notes: list[str] = field(default_factory=list)
    # Stopped (Ctrl-C) before every selected rule ran: `results` holds only the rules
    # that finished, so a reader must not take the counts for a whole run.
    interrupted: bool = False
    # Why rules failed (SPEC §8), most explanatory first, and what they were found from.
    causes: list[Cause] = field(default_factory=list)
    timeline: Timeline = field(default_factory=Timeline)
    config_sources: Mapping[str, str] = field(default_factory=dict)
    kind: str = "access-token"  # which token callback was checked (SPEC §7)

    def sources_text(self) -> str:
        """Where the settings came from, for the terminal (empty when all are defaults)."""
        if not self.config_sources:
            return ""
        shown = ", ".join(f"{key} ({where})" for key, where in self.config_sources.items())
        return f"settings from: {shown}"

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys((o.value for o in Outcome), 0)
        for result in self.results:
            counts[result.outcome.value] += 1
        return counts

    @property
    def duration_s(self) -> float:
        end = self.finished_at if self.finished_at is not None else self.started_at
        return max(0.0, end - self.started_at)

    def exit_code(self, *, strict: bool) -> int:
        bad = {Outcome.FAIL, Outcome.WARN} if strict else {Outcome.FAIL}
        return 1 if any(r.outcome in bad for r in self.results) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "started_at": datetime.fromtimestamp(self.started_at, UTC)
            .isoformat()
            .replace("+00:00", "Z"),
            "duration_s": round(self.duration_s, 3),
            "seed": self.seed,
            "requests_sent": self.requests_sent,
            "summary": self.summary(),
            "interrupted": self.interrupted,
            "notes": self.notes,
            # Where each setting that is not the default came from, never its value.
            "config_sources": dict(self.config_sources),
            "causes": [cause.to_json() for cause in self.causes],
            "results": [r.to_json() for r in self.results],
            "timeline": self.timeline.to_json(),
        }

    def cause_of(self, rule_id: str) -> str | None:
        """The id of the first cause that explains ``rule_id``, if any."""
        return next((c.cause.value for c in self.causes if rule_id in c.rules), None)

    def causes_text(self) -> str:
        """Every cause, once, for a terminal or a CI log (empty when none was found)."""
        return "\n\n".join(explain_cause(cause) for cause in self.causes)

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")

    def table(
        self, width: int | None = None, *, markup: bool = False, terminal: bool = False
    ) -> str:
        """One line per rule: id, verdict, one-line reason; ``markup``: verdicts in colour
        (for a terminal only; reports never have it).

        ``terminal``: a long reason wraps under its column, to ``width``. Otherwise (a CI
        log, a file) every reason is printed whole on its line: a log does not wrap, and
        the advice at the end of a reason is what the reader needs.
        """
        width = max(width or shutil.get_terminal_size((120, 24)).columns, 60)
        rule_width = max((len(r.rule) for r in self.results), default=10)
        indent = rule_width + 11  # rule, two spaces, verdict padded to 7, two spaces
        reason_width = max(width - indent, 20)
        lines = [f"{'rule':<{rule_width}}  verdict  reason", "-" * min(width, 160)]
        for result in self.results:
            reason = " ".join(result.detail.split())
            label = f"{_LABEL[result.outcome]:<7}"  # padded first: escape codes take no columns
            if markup:
                label = paint(label, _COLOUR[result.outcome])
            parts = textwrap.wrap(reason, reason_width) if terminal else [reason]
            lines.append(f"{result.rule:<{rule_width}}  {label}  {parts[0] if parts else ''}")
            lines += [" " * indent + part for part in parts[1:]]
        counts = self.summary()
        lines.append("-" * min(width, 160))
        lines.append(
            f"{counts['pass']} passed, {counts['fail']} failed, {counts['warn']} warned, "
            f"{counts['skip']} skipped in {self.duration_s:.1f} s "
            f"({self.requests_sent} requests, seed {self.seed})"
            + ("; INTERRUPTED: the rules not listed did not run" if self.interrupted else "")
        )
        return "\n".join(lines)


_EVIDENCE_ITEMS = 5  # list items quoted per evidence key; the JSON report has them all
_EVIDENCE_CHARS = 600


def explain_cause(cause: Cause) -> str:
    """A cause, spelled out: what it is, what showed it, the rules it explains, the fix."""
    lines = [f"CAUSE {cause.cause.value} — {cause.title}", f"  what:  {cause.detail}"]
    if cause.rules:
        lines.append(f"  explains: {', '.join(cause.rules)}")
    lines.append(f"  fix:   {cause.fix}")
    if cause.evidence:
        shown = json.dumps(_key_evidence(cause.evidence), default=str)
        if len(shown) > _EVIDENCE_CHARS:
            shown = shown[:_EVIDENCE_CHARS] + "…"
        lines.append(f"  evidence: {shown}")
    return "\n".join(lines)


def _key_evidence(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The evidence with long lists cut (as Hypothesis's explain phase says "and N more"):
    the first few items make the point, and the JSON report keeps every one."""
    shown: dict[str, Any] = {}
    for key, value in evidence.items():
        if isinstance(value, list | tuple) and len(value) > _EVIDENCE_ITEMS:
            value = [*value[:_EVIDENCE_ITEMS], f"… {len(value) - _EVIDENCE_ITEMS} more"]
        shown[key] = value
    return shown


def check_output_path(option: str, path: Path) -> None:
    """Raise UsageError unless a report can be written at ``path``, leaving nothing behind.

    Missing parent directories are fine: they are created when the report is written,
    as pytest's own --junitxml and coverage.py do. The check really opens the file
    (and creates the missing directories), because permission bits alone do not tell:
    root ignores them, and read-only or virtual file systems refuse anyway.
    """
    target = Path(os.path.realpath(path))  # a symlink is written through, so check its target
    if target.is_dir():
        raise UsageError(f"{option} {path} is a directory; give a file path inside it")
    existing = target.parent
    missing: list[Path] = []
    while not os.path.lexists(existing):
        missing.append(existing)
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{option} {path} cannot be created: {existing} is not a directory")
    created: list[Path] = []
    probe: Path | None = None
    try:
        for directory in reversed(missing):
            directory.mkdir()
            created.append(directory)
        if target.exists():
            if target.is_file():
                # Append mode without writing: the file, its content and mtime stay as they are.
                os.close(os.open(target, os.O_WRONLY | os.O_APPEND))
        else:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            probe = target
    except OSError as exc:
        raise UsageError(f"{option} {path} is not writable: {_why(exc, target)}") from None
    finally:
        if probe is not None:
            probe.unlink(missing_ok=True)
        for directory in reversed(created):
            try:
                directory.rmdir()
            except OSError:  # something else wrote there meanwhile: theirs to keep
                break


def check_output_paths_differ(first: tuple[str, Path], second: tuple[str, Path]) -> None:
    """Two reports at one path would overwrite each other: a usage error."""
    (first_option, first_path), (second_option, second_path) = first, second
    if os.path.realpath(first_path) == os.path.realpath(second_path):
        raise UsageError(
            f"{first_option} and {second_option} both name {first_path}; "
            "give each report its own file"
        )


def _why(exc: OSError, target: Path) -> str:
    reason = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "read-only file system",
        errno.ENOSPC: "no space left on the device",
    }.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    # Name the culprit when it is not the file itself, e.g. a directory that could not be made.
    if exc.filename and Path(exc.filename) != target:
        return f"{reason} ({exc.filename})"
    return reason


def mark_junit_interrupted(path: Path, *, rule: str | None, message: str) -> None:
    """Make an interrupted run's JUnit file say so, where CI viewers look.

    pytest writes only the test cases that finished, which reads as a clean (if short)
    run. This adds an ``<error>`` test case (the rule that was running, else one named
    ``interrupted``), counts it in the suite's ``errors`` and ``tests``, and adds the
    suite property ``interrupted=true``. Every JUnit viewer shows an errored case.
    """
    # The file is the one pytest wrote moments ago in this process, not outside input.
    tree = ET.parse(path)  # noqa: S314
    root = tree.getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        return
    properties = suite.find("properties")
    if properties is None:
        properties = ET.Element("properties")
        suite.insert(0, properties)
    ET.SubElement(properties, "property", name="interrupted", value="true")
    sibling = suite.find("testcase")
    classname = sibling.get("classname", "") if sibling is not None else ""
    case = ET.SubElement(
        suite,
        "testcase",
        classname=classname or "recall_sim.conformance.suite",
        name=f"test_rule[{rule}]" if rule else "interrupted",
        time="0",
    )
    ET.SubElement(case, "error", type="KeyboardInterrupt", message=message).text = message
    for counter in ("errors", "tests"):
        suite.set(counter, str(int(suite.get(counter, "0")) + 1))
    tree.write(path, encoding="utf-8", xml_declaration=True)
