"""Ctrl-C during a conformance run: exit 130 from ``recall-sim check``, and reports that
say the run was interrupted instead of passing for a short clean run."""

from __future__ import annotations

import asyncio
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from recall_sim.conformance import api
from recall_sim.conformance.config import CheckConfig
from recall_sim.conformance.report import mark_junit_interrupted
from recall_sim.conformance.rules import registry
from recall_sim.conformance.run import ConformanceRun
from recall_sim.simulator.serving import ThreadedServer
from tests.support.flawed_callback import FlawedCallback, callback_url

# Ten contract rules (token-live skips: no --zoom-admin), then auth.rejects-missing-credential:
# all quick. The next rule, auth.rejects-wrong-credential, makes hundreds of slow calls: the
# interruption lands there.
FINISHED_BEFORE_SIGINT = 11
PROGRESS = re.compile(r"[.sFEx]*")


@pytest.fixture(scope="module")
def slow_callback() -> Iterator[str]:
    """A correct callback that takes 0.15 s per answer, so a full run takes minutes."""
    inner = FlawedCallback(None).app()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(0.15)
        await inner(scope, receive, send)

    with ThreadedServer(app) as server:
        yield callback_url(server.url)


def _start(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        # Progress dots must arrive as each rule finishes, not when the pipe's buffer fills.
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # A shell's background job ignores SIGINT, and Python keeps an ignored SIGINT
        # ignored: restore the default so the child turns it into KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _interrupt_after_rules(proc: subprocess.Popen[bytes], count: int) -> tuple[str, str]:
    """Send SIGINT once pytest's progress line shows ``count`` finished rules."""
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + 120
    while len(PROGRESS.match(seen.decode(errors="replace")).group()) < count:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"run ended or stalled before {count} rules:\n{seen + out!r}\n{err!r}")
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            seen += os.read(proc.stdout.fileno(), 4096)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return (seen + out).decode(), err.decode()


def _assert_reports_say_interrupted(report_path: Path, junit_path: Path) -> None:
    report = json.loads(report_path.read_text())
    assert report["interrupted"] is True
    assert len(report["results"]) >= FINISHED_BEFORE_SIGINT
    assert sum(report["summary"].values()) == len(report["results"])
    assert any("interrupted" in note for note in report["notes"])

    suite = ET.parse(junit_path).getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("errors", "0")) >= 1
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["interrupted"] == "true"
    errors = [case for case in suite.iter("testcase") if case.find("error") is not None]
    assert len(errors) == 1
    assert "interrupted" in (errors[0].find("error").get("message") or "")


def test_ctrl_c_exits_130_with_one_line_and_reports_marked_interrupted(
    slow_callback: str, tmp_path: Path
):
    report_path, junit_path = tmp_path / "r.json", tmp_path / "j.xml"
    proc = _start(
        "-m",
        "recall_sim.simulator.cli",
        "check",
        slow_callback,
        "--fuzz-examples",
        "1000",
        "--report-json",
        str(report_path),
        "--junitxml",
        str(junit_path),
        cwd=tmp_path,
    )
    out, err = _interrupt_after_rules(proc, FINISHED_BEFORE_SIGINT)
    assert proc.returncode == 130, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("recall-sim check: interrupted")
    assert "contract.status-2xx" in lines[0] and "auth.rejects-missing-credential" in lines[0]
    assert "KeyboardInterrupt" not in out + err and "Traceback" not in err
    assert "INTERRUPTED" in out  # the table's last line
    _assert_reports_say_interrupted(report_path, junit_path)


def test_ctrl_c_in_a_plain_pytest_run_marks_the_reports_too(slow_callback: str, tmp_path: Path):
    report_path, junit_path = tmp_path / "r.json", tmp_path / "j.xml"
    proc = _start(
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--callback-url",
        slow_callback,
        "--callback-fuzz-examples",
        "1000",
        "--callback-report-json",
        str(report_path),
        "--junitxml",
        str(junit_path),
        cwd=tmp_path,
    )
    out, err = _interrupt_after_rules(proc, FINISHED_BEFORE_SIGINT)
    # pytest's own conventions here: its banner and its "interrupted" exit code, or death
    # by SIGINT when CPython 3.11 remembers the interrupt (see conformance/cli.py).
    assert proc.returncode in (pytest.ExitCode.INTERRUPTED, -signal.SIGINT), out + err
    _assert_reports_say_interrupted(report_path, junit_path)


INTERRUPTING_CLI = """
from recall_sim.conformance.rules import registry
from recall_sim.simulator.cli import main

# Ctrl-C inside code that exec() runs, as when it lands in Hypothesis's generated wrappers.
registry.CHECKS["contract.plain-token-body"] = lambda ctx: exec("raise KeyboardInterrupt")
raise SystemExit(main())
"""


def test_an_interrupt_in_execd_code_still_exits_130_under_python_m(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    # Deterministic, no signal timing: CPython 3.11 would otherwise end `python -m` by
    # SIGINT (-2) once a KeyboardInterrupt was raised in exec()'d code.
    (tmp_path / "interrupting_cli.py").write_text(INTERRUPTING_CLI)
    report_path, junit_path = tmp_path / "r.json", tmp_path / "j.xml"
    options = [
        "--rule",
        "contract",
        "--report-json",
        str(report_path),
        "--junitxml",
        str(junit_path),
    ]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "interrupting_cli",
            "check",
            callback_url(serve_flawed(None)),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 130, result.stdout + result.stderr
    assert result.stderr.strip() == (
        "recall-sim check: interrupted during contract.plain-token-body; 3 rules finished "
        "(contract.status-2xx, contract.deadline-5s, contract.no-redirect), the rest did not run"
    )
    report = json.loads(report_path.read_text())
    assert report["interrupted"] is True
    assert report["summary"] == {"pass": 3, "fail": 0, "warn": 0, "skip": 0}
    suite = ET.parse(junit_path).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("errors"), suite.get("tests")) == ("1", "4")
    error = suite.find("testcase[@name='test_rule[contract.plain-token-body]']/error")
    assert error is not None
    assert error.get("message") == (
        "recall-sim: interrupted during contract.plain-token-body; 3 rules finished, "
        "the rest did not run"
    )


def _interrupting(rule_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def check(ctx: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setitem(registry.CHECKS, rule_id, check)


def test_api_check_lets_ctrl_c_through_with_a_note(
    serve_flawed: Callable[..., str], monkeypatch: pytest.MonkeyPatch
):
    _interrupting("contract.content-type", monkeypatch)
    config = CheckConfig(url=callback_url(serve_flawed(None)), rules=("contract",))
    with pytest.raises(KeyboardInterrupt) as raised:
        api.check(config)
    notes = getattr(raised.value, "__notes__", [])
    assert notes == [
        "recall-sim: interrupted during contract.content-type; 8 rules finished "
        "(contract.status-2xx, contract.deadline-5s, contract.no-redirect, "
        "contract.plain-token-body, contract.jwt-access-token, contract.issuer-client-id, "
        "contract.min-validity-120s, contract.expected-user), the rest did not run"
    ]


def test_an_interrupted_rule_leaves_the_report_consistent(
    serve_flawed: Callable[..., str], monkeypatch: pytest.MonkeyPatch
):
    _interrupting("contract.no-redirect", monkeypatch)
    run = ConformanceRun(CheckConfig(url=callback_url(serve_flawed(None))))
    run.grade("contract.status-2xx")
    with pytest.raises(KeyboardInterrupt):
        run.grade("contract.no-redirect")
    assert run.running is None
    assert run.interrupted_during == "contract.no-redirect"
    shape = run.finish().to_json()
    assert shape["interrupted"] is True
    assert [r["rule"] for r in shape["results"]] == ["contract.status-2xx"]
    assert shape["summary"] == {"pass": 1, "fail": 0, "warn": 0, "skip": 0}
    assert shape["requests_sent"] == run.context.requests_sent
    # finish() again (pytest calls it from two hooks) adds no second note.
    assert run.finish().to_json()["notes"] == shape["notes"]


def test_a_finished_run_says_it_was_not_interrupted(serve_flawed: Callable[..., str]):
    report = api.check(CheckConfig(url=callback_url(serve_flawed(None)), rules=("hygiene.https",)))
    assert report.to_json()["interrupted"] is False


def test_junit_of_a_run_interrupted_before_any_rule_finished(tmp_path: Path):
    junit = tmp_path / "j.xml"
    junit.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        '<testsuite name="recall-sim" errors="0" failures="0" skipped="0" tests="0" time="0.1">'
        "</testsuite></testsuites>"
    )
    mark_junit_interrupted(junit, rule=None, message="interrupted before any rule finished")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("errors"), suite.get("tests")) == ("1", "1")
    case = suite.find("testcase")
    assert case is not None and case.get("name") == "interrupted"
    assert case.find("error") is not None
