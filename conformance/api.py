"""Run the suite from Python, without pytest: ``check(config) -> Report``."""

from __future__ import annotations

from recall_sim.conformance.config import CheckConfig, select_rules
from recall_sim.conformance.report import Report
from recall_sim.conformance.rules.registry import RUN_ORDER
from recall_sim.conformance.run import ConformanceRun

__all__ = ["check"]


def check(config: CheckConfig) -> Report:
    """Grade every selected rule in run order and return the report (raises UsageError)."""
    run = ConformanceRun(config.validate())
    selected = set(select_rules(config.rules))
    for rule_id in RUN_ORDER:
        if rule_id in selected:
            run.grade(rule_id)
    return run.finish()
