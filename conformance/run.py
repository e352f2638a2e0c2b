"""One conformance run: the shared context, each rule graded once, and the growing report,
led by the causes diagnosed from the run's timeline (SPEC §8)."""

from __future__ import annotations

import time

from recall_sim.conformance.config import CheckConfig
from recall_sim.conformance.context import CheckContext
from recall_sim.conformance.report import Report, RuleReport
from recall_sim.conformance.rules.auth import run_seed
from recall_sim.conformance.rules.registry import CHECKS
from recall_sim.conformance.zoom_admin import ZoomAdmin, ZoomAdminError
from recall_sim.simulator.causes import diagnose
from recall_sim.simulator.kinds import ASSUMED_BUDGET_NOTE, TokenKind
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.timeline import ZoomEventPoint

__all__ = ["ConformanceRun", "RuleFailure"]

# The run's first call can predate its first look at the fake Zoom's journal (the
# preflight's answer becomes the baseline), so events this close before it, among the
# last few before the run began, are its events too.
_LOOKBACK_EVENTS = 50
_LOOKBACK_S = 1.0
# Reading the journal at the end must not hold up a finished (or Ctrl-C'd) run for long.
_JOURNAL_TIMEOUT_S = 5.0


class RuleFailure(AssertionError):
    """A rule failed (or warned under --strict); the message is the full explanation."""

    def __init__(self, result: RuleReport) -> None:
        super().__init__(result.explain())
        self.result = result


class ConformanceRun:
    def __init__(self, config: CheckConfig, *, baseline: Observation | None = None) -> None:
        """``baseline``: a valid call already made (``check``'s preflight), reused so the
        target is called, and a hanging one waited for, once."""
        self.config = config
        self.context = CheckContext(config)
        if baseline is not None:
            self.context.adopt_baseline(baseline)
        self.report = Report(
            target=self.context.mask(config.url),
            seed=run_seed(self.context),
            started_at=time.time(),
            config_sources=dict(config.config_sources),
            kind=config.kind,
        )
        if config.token_kind is not TokenKind.ACCESS_TOKEN:
            self.report.notes.append(ASSUMED_BUDGET_NOTE.format(kind=config.kind))
        self.running: str | None = None  # the rule being graded right now
        self.interrupted_during: str | None = None
        self._noted_secret_parts = False
        self._noted_interruption = False
        self._zoom_seq: int | None = None  # the fake Zoom's journal seq before the first rule
        self._zoom_problem: str | None = None  # why its journal could not be read
        self._noted_zoom_problem = False
        self._diagnosed: tuple[int, int] | None = None  # (rules, calls) the causes are from

    def grade(self, rule_id: str) -> RuleReport:
        """Run one rule's check and add its result to the report.

        On Ctrl-C the rule has no verdict: the report keeps the rules that finished,
        is marked interrupted, and the KeyboardInterrupt goes on to the caller.
        """
        self._watch_zoom()
        started = time.monotonic()
        self.running = rule_id
        self.context.rule = rule_id
        try:
            result = CHECKS[rule_id](self.context)
        except KeyboardInterrupt:
            self.interrupt()
            raise
        finally:
            self.running = None
            self.context.rule = None
            self.context.end_progress(rule_id)
        graded = RuleReport(
            result.verdict, result.reproduce, time.monotonic() - started, result.fix
        )
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
        """Bring the report up to date, causes included; safe to call more than once."""
        self.report.finished_at = time.time()
        self.report.requests_sent = self.context.requests_sent
        self._diagnose()
        if not self._noted_secret_parts and any(
            r.outcome is not Outcome.SKIP for r in self.report.results if r.rule.startswith("auth")
        ):
            self.report.notes.append(self.context.secret_parts_note())
            self._noted_secret_parts = True
        if self.report.interrupted and not self._noted_interruption:
            self.report.notes.append(self.interruption(name_rules=False))
            self._noted_interruption = True
        if self._zoom_problem is not None and not self._noted_zoom_problem:
            self.report.notes.append(
                f"the fake Zoom's journal could not be read ({self._zoom_problem}); the "
                "causes were looked for in the callback's answers alone"
            )
            self._noted_zoom_problem = True
        return self.report

    # -- the diagnosis -----------------------------------------------------------------

    def _watch_zoom(self) -> None:
        """Note where the fake Zoom's journal stands before the first rule (once), so the
        timeline holds this run's events and not a long `serve`'s history."""
        if self.config.zoom_admin is None or self._zoom_seq is not None or self._zoom_problem:
            return
        admin = ZoomAdmin(self.config.zoom_admin, timeout=_JOURNAL_TIMEOUT_S)
        try:
            self._zoom_seq = admin.journal_seq()
        except ZoomAdminError as exc:
            self._zoom_problem = str(exc)
        finally:
            admin.close()

    def _zoom_events(self, first_call_at: float | None) -> list[ZoomEventPoint] | None:
        """The fake Zoom's events of this run, oldest first; None when not read."""
        if self.config.zoom_admin is None or self._zoom_seq is None:
            return None
        start = self._zoom_seq
        admin = ZoomAdmin(self.config.zoom_admin, timeout=_JOURNAL_TIMEOUT_S)
        try:
            points = admin.points_since(max(0, start - _LOOKBACK_EVENTS))
        except ZoomAdminError as exc:
            self._zoom_problem = str(exc)
            return None
        finally:
            admin.close()
        earliest = None if first_call_at is None else first_call_at - _LOOKBACK_S
        return [p for p in points if p.seq > start or (earliest is not None and p.at >= earliest)]

    def _diagnose(self) -> None:
        """Name the causes from the timeline so far; again only when it has grown."""
        recorder = self.context.recorder
        key = (len(self.report.results), recorder.count)
        if key == self._diagnosed:
            return
        self._diagnosed = key
        calls = recorder.timeline().calls
        events = self._zoom_events(calls[0].at if calls else None)
        timeline = recorder.timeline(
            zoom_events=events or (),
            client_id=self.config.client_id,
            signing_secret_given=self.config.signing_secret is not None,
            zoom_observed=events is not None,
            budget_s=self.config.deadline,  # what each call had, so "slow" is a share of it
        )
        failed = [r.rule for r in self.report.results if r.outcome in (Outcome.FAIL, Outcome.WARN)]
        self.report.timeline = timeline
        try:
            self.report.causes = diagnose(timeline, failed_rules=failed)
        except Exception as exc:
            # A bug in the diagnosis must not cost the run its per-rule report; say so.
            self.report.causes = []
            note = f"the diagnosis failed ({type(exc).__name__}: {exc})"
            if note not in self.report.notes:
                self.report.notes.append(note)
