"""The JUnit file as CI viewers read it: WARN visible but passing, clean skip reasons,
classnames set, xunit2 without warnings, on both routes (``check`` and the plugin)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from recall_sim.conformance.renderers.junit import polish_junit
from tests.support.flawed_callback import SECRETS, callback_url
from tests.support.tokens import USER_ID

ROOT = Path(__file__).resolve().parent.parent.parent
RULES = ["contract", "hygiene", "isolation"]


def _cases(path: Path) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in ET.parse(path).getroot().iter("testcase")}


def _check(url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    rules = [arg for rule in RULES for arg in ("--rule", rule)]
    return subprocess.run(
        [sys.executable, "-m", "recall_sim", "check", url, *rules, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )


def _assert_clean_cases(cases: dict[str, ET.Element], report: dict[str, object]) -> None:
    details = {r["rule"]: r["detail"] for r in report["results"]}  # type: ignore[attr-defined]
    for name, case in cases.items():
        assert case.get("classname") == "recall_sim.conformance.suite", name
        assert case.find("properties") is None, name  # not xunit2
        skipped = case.find("skipped")
        if skipped is not None:
            rule = name.removeprefix("test_rule[").removesuffix("]")
            assert skipped.get("message") == skipped.text
            assert ".py:" not in (skipped.text or "")  # no pytest-internal path
            assert not (skipped.text or "").startswith(rule)
            assert rule in details


def test_check_writes_a_warn_as_a_visible_passing_case(
    serve_flawed: Callable[..., str], tmp_path: Path
) -> None:
    junit, report_path = tmp_path / "junit.xml", tmp_path / "report.json"
    result = _check(
        callback_url(serve_flawed(None)),
        tmp_path,
        "--junitxml",
        str(junit),
        "--report-json",
        str(report_path),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(report_path.read_text())
    cases = _cases(junit)
    warned = cases["test_rule[hygiene.https] (WARN)"]
    assert warned.find("failure") is None and warned.find("skipped") is None
    out = warned.findtext("system-out") or ""
    assert out.startswith("WARN hygiene.https — ")
    assert "fix:  Serve the callback over TLS" in out
    assert "--strict" in out
    assert SECRETS[USER_ID] not in junit.read_text()
    assert "test_rule[contract.status-2xx]" in cases  # passing rules keep their names
    skipped = cases["test_rule[contract.expected-user]"].find("skipped")
    assert skipped is not None
    assert skipped.text == "no expected user; pass --expect-user-id with the Zoom user id"
    _assert_clean_cases(cases, report)
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    counts = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert counts == {
        "recall-sim.pass": str(report["summary"]["pass"]),
        "recall-sim.fail": "0",
        "recall-sim.warn": "1",
        "recall-sim.skip": str(report["summary"]["skip"]),
    }


def test_under_strict_a_warn_fails_the_case(
    serve_flawed: Callable[..., str], tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    result = _check(
        callback_url(serve_flawed(None)), tmp_path, "--strict", "--junitxml", str(junit)
    )

    assert result.returncode == 1
    warned = _cases(junit)["test_rule[hygiene.https] (WARN)"]
    assert warned.find("failure") is not None
    assert (warned.findtext("system-out") or "").startswith("WARN hygiene.https")


def test_the_plugin_route_writes_clean_xunit2_without_warnings(
    serve_flawed: Callable[..., str], tmp_path: Path
) -> None:
    junit, report_path = tmp_path / "plugin.xml", tmp_path / "report.json"
    rules = [arg for rule in RULES for arg in ("--callback-rule", rule)]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "junit_family=xunit2",
            "--callback-url",
            callback_url(serve_flawed(None)),
            *rules,
            "--callback-report-json",
            str(report_path),
            f"--junitxml={junit}",
            "-rs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,  # outside this repository: a user's project
    )

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "warning" not in out.splitlines()[-1]  # "10 passed, 5 skipped in 0.1s"
    assert "PytestWarning" not in out and "record_property" not in out
    # The plugin's reasons name the plugin's options, in the terminal and in the file.
    assert "pass --callback-expect-user-id with the Zoom user id" in out
    assert " --expect-user-id" not in out
    cases = _cases(junit)
    _assert_clean_cases(cases, json.loads(report_path.read_text()))
    skipped = cases["test_rule[contract.expected-user]"].find("skipped")
    assert skipped is not None
    assert skipped.text == "no expected user; pass --callback-expect-user-id with the Zoom user id"
    warned = cases["test_rule[hygiene.https] (WARN)"]
    assert "--callback-strict" in (warned.findtext("system-out") or "")


def test_polish_keeps_pytests_own_output_and_classnames(tmp_path: Path) -> None:
    path = tmp_path / "j.xml"
    path.write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="s" tests="2">'
        '<testcase classname="" name="test_rule[hygiene.https]">'
        "<system-out>captured</system-out></testcase>"
        '<testcase classname="x" name="test_rule[contract.expected-user]">'
        '<skipped message="contract.expected-user: r">/a/b.py:1: contract.expected-user: r'
        "</skipped></testcase></testsuite></testsuites>"
    )
    report = {
        "summary": {"pass": 0, "fail": 0, "warn": 1, "skip": 1},
        "results": [
            {"rule": "hygiene.https", "verdict": "warn", "title": "T", "detail": "d", "fix": "f"},
            {"rule": "contract.expected-user", "verdict": "skip", "title": "U", "detail": "r"},
        ],
    }

    polish_junit(path, report)
    cases = _cases(path)
    warned = cases["test_rule[hygiene.https] (WARN)"]
    assert warned.get("classname") == "recall_sim.conformance.suite"
    assert (warned.findtext("system-out") or "").endswith("\n\ncaptured")
    skipped = cases["test_rule[contract.expected-user]"].find("skipped")
    assert skipped is not None and (skipped.text, skipped.get("message")) == ("r", "r")
    assert cases["test_rule[contract.expected-user]"].get("classname") == "x"
