"""Run the suite from Python, without pytest: ``check(config) -> Report``."""

from __future__ import annotations

from conformance.config import CheckConfig, select_rules
from conformance.report import Report
from conformance.rules.registry import RUN_ORDER
from conformance.run import ConformanceRun

__all__ = ["check"]


def check(config: CheckConfig) -> Report:
    """Grade every selected rule in run order and return the report (raises UsageError)."""
    run = ConformanceRun(config.validate())
    selected = set(select_rules(config.rules))
    for rule_id in RUN_ORDER:
        if rule_id in selected:
            run.grade(rule_id)
    return run.finish()
