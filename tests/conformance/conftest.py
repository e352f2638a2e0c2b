"""Fixtures for the conformance gallery: flawed callbacks on 127.0.0.1, and a suite runner."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from recall_sim.conformance.api import check
from recall_sim.conformance.config import CheckConfig
from recall_sim.conformance.report import Report, RuleReport
from recall_sim.simulator.rules import Outcome

SIGNING_SECRET = "whsec_" + base64.b64encode(b"gallery-signing-secret-24b").decode()
FAST = {"fuzz_examples": 60, "burst": 12, "seed": 12345}


def verdict(report: Report, rule_id: str) -> RuleReport:
    return next(r for r in report.results if r.rule == rule_id)


def outcomes(report: Report) -> dict[str, Outcome]:
    return {r.rule: r.outcome for r in report.results}


@pytest.fixture
def run_suite() -> Callable[..., Report]:
    def run(url: str, **options: Any) -> Report:
        return check(CheckConfig(url=url, **{**FAST, **options}))

    return run
