"""One conformance run: the shared context, each rule graded once, and the growing report."""

from __future__ import annotations

import time

from recall_sim.conformance.config import CheckConfig
from recall_sim.conformance.context import CheckContext
from recall_sim.conformance.report import Report, RuleReport
from recall_sim.conformance.rules.auth import run_seed
from recall_sim.conformance.rules.registry import CHECKS
from recall_sim.simulator.rules import Outcome

__all__ = ["ConformanceRun", "RuleFailure"]


class RuleFailure(AssertionError):
    """A rule failed (or warned under --strict); the message is the full explanation."""

    def __init__(self, result: RuleReport) -> None:
        super().__init__(result.explain())
        self.result = result


class ConformanceRun:
    def __init__(self, config: CheckConfig) -> None:
        self.config = config
        self.context = CheckContext(config)
        self.report = Report(
            target=self.context.mask(config.url),
            seed=run_seed(self.context),
            started_at=time.time(),
        )

    def grade(self, rule_id: str) -> RuleReport:
        """Run one rule's check and add its result to the report."""
        started = time.monotonic()
        result = CHECKS[rule_id](self.context)
        graded = RuleReport(result.verdict, result.reproduce, time.monotonic() - started)
        self.report.results.append(graded)
        self.report.requests_sent = self.context.requests_sent
        self.report.finished_at = time.time()
        return graded

    def finish(self) -> Report:
        self.report.finished_at = time.time()
        self.report.requests_sent = self.context.requests_sent
        if any(
            r.outcome is not Outcome.SKIP for r in self.report.results if r.rule.startswith("auth")
        ):
            self.report.notes.append(self.context.secret_parts_note())
        return self.report
