"""Run the suite from Python, without pytest: ``check(config) -> Report``."""

from __future__ import annotations

from recall_sim.conformance.config import CheckConfig, select_rules
from recall_sim.conformance.report import Report
from recall_sim.conformance.rules.registry import RUN_ORDER
from recall_sim.conformance.run import ConformanceRun

__all__ = ["check"]


def check(config: CheckConfig) -> Report:
    """Grade every selected rule in run order and return the report (raises UsageError).

    Ctrl-C is the caller's to handle: the KeyboardInterrupt propagates, with a note
    saying which rule was running and which had finished.
    """
    run = ConformanceRun(config.validate())
    selected = set(select_rules(config.rules))
    try:
        for rule_id in RUN_ORDER:
            if rule_id in selected:
                run.grade(rule_id)
    except KeyboardInterrupt as exc:
        run.interrupt()
        run.finish()
        exc.add_note(f"recall-sim: {run.interruption()}")
        raise
    return run.finish()
