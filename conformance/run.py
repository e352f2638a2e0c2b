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
        self.running: str | None = None  # the rule being graded right now
        self.interrupted_during: str | None = None
        self._noted_secret_parts = False
        self._noted_interruption = False

    def grade(self, rule_id: str) -> RuleReport:
        """Run one rule's check and add its result to the report.

        On Ctrl-C the rule has no verdict: the report keeps the rules that finished,
        is marked interrupted, and the KeyboardInterrupt goes on to the caller.
        """
        started = time.monotonic()
        self.running = rule_id
        try:
            result = CHECKS[rule_id](self.context)
        except KeyboardInterrupt:
            self.interrupt()
            raise
        finally:
            self.running = None
        graded = RuleReport(result.verdict, result.reproduce, time.monotonic() - started)
        self.report.results.append(graded)
        self.report.requests_sent = self.context.requests_sent
        self.report.finished_at = time.time()
        return graded

    def interrupt(self) -> None:
        """Record that the run stopped early (idempotent; the first call names the rule)."""
        if not self.report.interrupted:
            self.report.interrupted = True
            self.interrupted_during = self.running
        self.report.requests_sent = self.context.requests_sent
        self.report.finished_at = time.time()

    def interruption(self, *, name_rules: bool = True) -> str:
        """One line: where the run stopped and which rules finished (by name, or a count
        where the finished rules are listed anyway, as in a report)."""
        finished = [r.rule for r in self.report.results]
        during = f" during {self.interrupted_during}" if self.interrupted_during else ""
        if not finished:
            return f"interrupted{during} before any rule finished"
        count = f"{len(finished)} rule{'s' if len(finished) != 1 else ''}"
        named = f" ({', '.join(finished)})" if name_rules else ""
        return f"interrupted{during}; {count} finished{named}, the rest did not run"

    def finish(self) -> Report:
        """Bring the report up to date; safe to call more than once."""
        self.report.finished_at = time.time()
        self.report.requests_sent = self.context.requests_sent
        if not self._noted_secret_parts and any(
            r.outcome is not Outcome.SKIP for r in self.report.results if r.rule.startswith("auth")
        ):
            self.report.notes.append(self.context.secret_parts_note())
            self._noted_secret_parts = True
        if self.report.interrupted and not self._noted_interruption:
            self.report.notes.append(self.interruption(name_rules=False))
            self._noted_interruption = True
        return self.report
