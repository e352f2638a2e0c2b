"""``recall-sim check`` end to end in a subprocess: exit codes, reports, no secrets printed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.flawed_callback import SECRETS, callback_url
from tests.support.tokens import CLIENT_ID, OTHER_USER_ID, USER_ID

JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recall_sim.simulator.cli", "check", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_good_callback_exits_0_with_table_json_and_junit(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    base = serve_flawed(None)
    report_path, junit_path = tmp_path / "report.json", tmp_path / "junit.xml"
    result = check(
        callback_url(base),
        "--client-id",
        CLIENT_ID,
        "--expect-user-id",
        USER_ID,
        "--other-user-url",
        callback_url(base, OTHER_USER_ID),
        "--fuzz-examples",
        "40",
        "--seed",
        "99",
        "--report-json",
        str(report_path),
        "--junitxml",
        str(junit_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert re.search(r"contract\.min-validity-120s +PASS", out)
    assert "seed 99" in out
    for secret in SECRETS.values():
        assert secret not in out
    assert not JWT.search(out)

    report = json.loads(report_path.read_text())
    assert set(report) >= {"target", "started_at", "duration_s", "seed", "summary", "results"}
    assert report["seed"] == 99
    assert report["summary"]["fail"] == 0
    assert len(report["results"]) == 23
    assert all(
        set(r) >= {"rule", "verdict", "title", "detail", "evidence", "reproduce"}
        for r in report["results"]
    )
    assert SECRETS[USER_ID] not in report_path.read_text()

    cases = ET.parse(junit_path).getroot().iter("testcase")
    assert len(list(cases)) == 23


def test_broken_callback_exits_1_and_names_the_rule(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    base = serve_flawed("prefix-auth")
    result = check(
        callback_url(base, flaw="prefix-auth"),
        "--rule",
        "auth",
        "--seed",
        "3",
        "--report-json",
        str(tmp_path / "r.json"),
    )
    assert result.returncode == 1
    assert "FAIL auth.rejects-wrong-credential" in result.stdout
    assert "reproduce: curl" in result.stdout
    assert SECRETS[USER_ID] not in result.stdout
    verdicts = {
        r["rule"]: r["verdict"] for r in json.loads((tmp_path / "r.json").read_text())["results"]
    }
    assert verdicts["auth.rejects-wrong-credential"] == "fail"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["http://127.0.0.1:9/cb?auth_token=hunter2hunter2"], "unreachable before any rule ran"),
        (["URL", "--other-user-url", "URL"], "--other-user-url is the same URL"),
        (["URL", "--signing-secret", "not-a-secret"], "--signing-secret is malformed"),
        (["URL", "--rule", "nonsense"], "matches no rule"),
        (["URL", "--burst", "0"], "--burst must be between"),
        (["ftp://example.com/cb"], "must be an http:// or https:// URL"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(
    args: list[str], words: str, serve_flawed: Callable[..., str]
):
    url = callback_url(serve_flawed(None))
    result = check(*[url if a == "URL" else a for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]
    assert "Traceback" not in result.stderr
    assert "hunter2hunter2" not in result.stderr


def test_plugin_runs_inside_a_plain_pytest_run(serve_flawed: Callable[..., str], tmp_path: Path):
    base = serve_flawed("no-auth")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--callback-url",
            callback_url(base, flaw="no-auth"),
            "--callback-rule",
            "auth",
            "--callback-fuzz-examples",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL auth.rejects-missing-credential" in result.stdout
    assert "FAILED" in result.stdout


def test_wrong_zoom_admin_is_a_usage_error_that_shows_the_expected_form(
    serve_flawed: Callable[..., str],
):
    base = serve_flawed(None)
    result = check(callback_url(base), "--zoom-admin", base)
    assert result.returncode == 2
    assert "/_sim/zoom" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
