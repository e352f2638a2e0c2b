"""What a watch has seen so far, kept as running aggregates so an hour costs no more memory
than a minute: counts, a fixed-size histogram of answer times, and per rule only its
first failure and warning. The timeline itself is the recorder's (bounded) business.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from recall_sim.simulator.causes import Cause
from recall_sim.simulator.judge import DEADLINE_WARN, RECALL_BUDGET
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.timeline import CallPoint, ZoomEventPoint

__all__ = ["AnswerTimes", "RuleTally", "StopReason", "WatchState"]

# Why a watch ended: its --duration ran out, --until-fail saw a failure, or Ctrl-C.
StopReason = Literal["duration", "first-failure", "ctrl-c"]

_BINS_PER_S: Final = 1000  # 1 ms bins (a multiplication: 0.02 s lands in bin 20, not 19)
# Answers are cut at the 5 s deadline, so 10 s of 1 ms bins hold every call; the last
# bin takes anything slower (a prober that overran its deadline by scheduling).
_BINS: Final = 10_000


class AnswerTimes:
    """Percentiles of answer times in constant memory: 1 ms bins, exact count and maximum."""

    def __init__(self) -> None:
        self._bins = [0] * (_BINS + 1)
        self.count = 0
        self.minimum = math.inf
        self.maximum = 0.0
        self.over_warn = 0  # slower than 2.5 s: contract.deadline-5s warns
        self.over_budget = 0  # slower than 5 s, or cut there

    def add(self, seconds: float) -> None:
        self._bins[min(int(seconds * _BINS_PER_S), _BINS)] += 1
        self.count += 1
        self.minimum = min(self.minimum, seconds)
        self.maximum = max(self.maximum, seconds)
        self.over_warn += seconds > DEADLINE_WARN
        self.over_budget += seconds > RECALL_BUDGET

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile (nearest rank), to the millisecond; None before any call."""
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        if rank >= self.count:
            return self.maximum  # known exactly, no bin needed
        seen = 0
        for index, count in enumerate(self._bins):
            seen += count
            if seen >= rank:
                # The bin's lower edge, within what was really seen.
                return min(max(index / _BINS_PER_S, self.minimum), self.maximum)
        return self.maximum


@dataclass
class RuleTally:
    """One answer rule over every call: counts per outcome, and the first failure and
    warning (with the call they came from) as the evidence a report quotes."""

    rule: str
    counts: Counter[Outcome] = field(default_factory=Counter)
    first_fail: tuple[int, Verdict] | None = None
    first_warn: tuple[int, Verdict] | None = None
    last_fail_call: int | None = None
    last_verdict: Verdict | None = None

    def add(self, call: int, verdict: Verdict) -> None:
        self.counts[verdict.outcome] += 1
        self.last_verdict = verdict
        if verdict.outcome is Outcome.FAIL:
            self.last_fail_call = call
            if self.first_fail is None:
                self.first_fail = (call, verdict)
        elif verdict.outcome is Outcome.WARN and self.first_warn is None:
            self.first_warn = (call, verdict)

    @property
    def outcome(self) -> Outcome:
        """Fail if it failed on any call, else warn if it warned on any, else skip if it was
        never graded (skipped on every call), else pass."""
        if self.counts[Outcome.FAIL]:
            return Outcome.FAIL
        if self.counts[Outcome.WARN]:
            return Outcome.WARN
        if self.counts[Outcome.SKIP] == sum(self.counts.values()):
            return Outcome.SKIP
        return Outcome.PASS

    def to_json(self, *, reproduce: str | None) -> dict[str, Any]:
        """The JSON report's per-rule shape (SPEC §4), with counts over the calls."""
        total = sum(self.counts.values())
        outcome = self.outcome
        shown: Verdict | None
        if outcome is Outcome.FAIL and self.first_fail is not None:
            call, shown = self.first_fail
            detail = (
                f"failed on {self.counts[Outcome.FAIL]} of {total} calls (first #{call}, "
                f"last #{self.last_fail_call}); first: {shown.detail}"
            )
        elif outcome is Outcome.WARN and self.first_warn is not None:
            call, shown = self.first_warn
            detail = (
                f"warned on {self.counts[Outcome.WARN]} of {total} calls (first #{call}); "
                f"first: {shown.detail}"
            )
        elif outcome is Outcome.SKIP:
            shown = self.last_verdict
            detail = shown.detail if shown is not None else "not graded"
        else:
            shown = None
            detail = f"passed on all {self.counts[Outcome.PASS]} graded calls of {total}"
        verdict = Verdict(self.rule, outcome, detail, {} if shown is None else dict(shown.evidence))
        return {
            **verdict.as_dict(reproduce=reproduce),
            "counts": {o.value: self.counts[o] for o in Outcome},
        }


@dataclass
class WatchState:
    """Everything the live view, the summaries and the reports read, updated call by call.

    ``elapsed`` is set by the loop (the renderers stay pure functions of the state).
    """

    target: str
    interval: float
    duration: float | None = None
    until_fail: bool = False
    strict: bool = False
    zoom_observed: bool = False
    elapsed: float = 0.0
    calls: int = 0
    accepted: int = 0
    answer_times: AnswerTimes = field(default_factory=AnswerTimes)
    rules: dict[str, RuleTally] = field(default_factory=dict)
    last_token: str | None = None
    rotations: int = 0
    min_validity: float | None = None
    last_point: CallPoint | None = None
    zoom_events: Counter[tuple[str, str]] = field(default_factory=Counter)
    zoom_error: str | None = None
    causes: tuple[Cause, ...] = ()
    stopped_by: StopReason | None = None
    interrupted: bool = False

    def add_call(self, point: CallPoint, verdicts: Sequence[Verdict]) -> bool:
        """Count one call; True when its token differs from the previous call's (a rotation)."""
        self.calls += 1
        self.accepted += point.accepted
        self.answer_times.add(point.answer_s)
        for verdict in verdicts:
            tally = self.rules.get(verdict.rule)
            if tally is None:  # once per rule, not a throwaway tally per call and rule
                tally = self.rules[verdict.rule] = RuleTally(verdict.rule)
            tally.add(point.index, verdict)
        rotated = False
        if point.token_id is not None:
            rotated = self.last_token is not None and point.token_id != self.last_token
            self.rotations += rotated
            self.last_token = point.token_id
        if point.remaining_s is not None:
            low = self.min_validity
            self.min_validity = point.remaining_s if low is None else min(low, point.remaining_s)
        self.last_point = point
        return rotated

    def add_zoom_events(self, events: Iterable[ZoomEventPoint]) -> None:
        for event in events:
            self.zoom_events[(event.kind, event.outcome)] += 1

    def failures_by_rule(self) -> dict[str, int]:
        """Rule id -> calls it failed on, most first."""
        failing = {
            r: t.counts[Outcome.FAIL] for r, t in self.rules.items() if t.counts[Outcome.FAIL]
        }
        return dict(sorted(failing.items(), key=lambda item: -item[1]))

    def warnings_by_rule(self) -> dict[str, int]:
        warned = {
            r: t.counts[Outcome.WARN] for r, t in self.rules.items() if t.counts[Outcome.WARN]
        }
        return dict(sorted(warned.items(), key=lambda item: -item[1]))

    @property
    def failed_calls(self) -> int:
        return self.calls - self.accepted

    def flagged_rules(self) -> tuple[str, ...]:
        """Rules that failed or warned on some call: what the diagnosis is asked to explain."""
        return tuple(r for r, t in self.rules.items() if t.outcome in (Outcome.FAIL, Outcome.WARN))

    def failing(self) -> bool:
        """The run's verdict so far is a failure: a rule failed (or, with --strict, warned)."""
        bad = {Outcome.FAIL, Outcome.WARN} if self.strict else {Outcome.FAIL}
        return any(t.outcome in bad for t in self.rules.values())

    def summary(self) -> dict[str, int]:
        """Rules per aggregate verdict, the JSON report's ``summary``."""
        counts = dict.fromkeys((o.value for o in Outcome), 0)
        for tally in self.rules.values():
            counts[tally.outcome.value] += 1
        return counts
