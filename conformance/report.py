"""What a run found: the terminal table, the failure details and the JSON report (SPEC §4)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recall_sim.simulator.rules import Outcome, Verdict

__all__ = ["Report", "RuleReport"]

_LABEL = {Outcome.PASS: "PASS", Outcome.FAIL: "FAIL", Outcome.WARN: "WARN", Outcome.SKIP: "SKIP"}


@dataclass(frozen=True)
class RuleReport:
    """A rule's verdict in a run, with how to reproduce it and how long it took."""

    verdict: Verdict
    reproduce: str | None
    duration_s: float

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
        return self.verdict.fix

    def to_json(self) -> dict[str, Any]:
        shape = self.verdict.as_dict(reproduce=self.reproduce)
        return {**shape, "duration_s": round(self.duration_s, 3)}

    def explain(self) -> str:
        """A failure or warning, spelled out for a CI log."""
        lines = [f"{_LABEL[self.outcome]} {self.rule} — {self.title}", f"  what: {self.detail}"]
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
            "started_at": datetime.fromtimestamp(self.started_at, UTC)
            .isoformat()
            .replace("+00:00", "Z"),
            "duration_s": round(self.duration_s, 3),
            "seed": self.seed,
            "requests_sent": self.requests_sent,
            "summary": self.summary(),
            "notes": self.notes,
            "results": [r.to_json() for r in self.results],
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")

    def table(self, width: int | None = None) -> str:
        """One line per rule: id, verdict, one-line reason, cut to the terminal's width."""
        # CI logs report 80 columns but do not wrap; keep reasons readable there.
        width = max(width or shutil.get_terminal_size((120, 24)).columns, 120)
        rule_width = max((len(r.rule) for r in self.results), default=10)
        reason_width = width - rule_width - 11
        lines = [f"{'rule':<{rule_width}}  verdict  reason", "-" * min(width, 160)]
        for result in self.results:
            reason = " ".join(result.detail.split())
            if len(reason) > reason_width:
                reason = reason[: reason_width - 1] + "…"
            lines.append(f"{result.rule:<{rule_width}}  {_LABEL[result.outcome]:<7}  {reason}")
        counts = self.summary()
        lines.append("-" * min(width, 160))
        lines.append(
            f"{counts['pass']} passed, {counts['fail']} failed, {counts['warn']} warned, "
            f"{counts['skip']} skipped in {self.duration_s:.1f} s "
            f"({self.requests_sent} requests, seed {self.seed})"
        )
        return "\n".join(lines)
