"""The conformance suite as pytest collects it: one test per selected rule, in run order."""

from __future__ import annotations

import pytest

from recall_sim.conformance.config import select_rules
from recall_sim.conformance.pytest_options import RUN_KEY, in_own_options
from recall_sim.conformance.rules.registry import RUN_ORDER
from recall_sim.conformance.run import ConformanceRun, RuleFailure
from recall_sim.simulator.rules import Outcome


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rule_id" not in metafunc.fixturenames:
        return
    run = metafunc.config.stash[RUN_KEY]
    selected = set(select_rules(run.config.rules))
    rules = [r for r in RUN_ORDER if r in selected]
    metafunc.parametrize("rule_id", rules, ids=rules)


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest) -> ConformanceRun:
    return request.config.stash[RUN_KEY]


def test_rule(
    rule_id: str, conformance_run: ConformanceRun, request: pytest.FixtureRequest
) -> None:
    __tracebackhide__ = True
    result = conformance_run.grade(rule_id)
    # No record_property: per-case properties are not xunit2, pytest's default JUnit
    # family; the JUnit file is finished from the report instead (renderers/junit.py).
    if result.outcome is Outcome.SKIP:
        pytest.skip(in_own_options(request.config, f"{rule_id}: {result.detail}"))
    if result.outcome is Outcome.FAIL or (
        result.outcome is Outcome.WARN and conformance_run.config.strict
    ):
        raise RuleFailure(result)
