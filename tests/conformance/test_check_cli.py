"""``recall-sim check`` end to end in a subprocess: exit codes, reports, no secrets printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recall_sim.simulator.rules import RULES
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
    assert len(report["results"]) == len(RULES)
    assert all(
        set(r) >= {"rule", "verdict", "title", "detail", "evidence", "reproduce"}
        for r in report["results"]
    )
    assert SECRETS[USER_ID] not in report_path.read_text()

    cases = ET.parse(junit_path).getroot().iter("testcase")
    assert len(list(cases)) == len(RULES)


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
        (["ftp://example.com/cb"], "the scheme is ftp; it must be http:// or https://"),
        (["http://[::1/cb?auth_token=hunter2hunter2"], "has an unmatched IPv6 bracket"),
        (["URL", "--zoom-admin", "127.0.0.1:8700/_sim/zoom"], "--zoom-admin is not callable"),
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


# -- report paths that cannot be written: exit 2 before anything runs ---------------------


def _refuses_new_files(directory: Path) -> bool:
    try:
        os.close(os.open(directory / ".recall-sim-probe", os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    except PermissionError:
        return True
    except OSError:
        return False
    (directory / ".recall-sim-probe").unlink()
    return False


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory where creating a file is refused: a read-only one, or /sys for root."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        # root ignores the mode bits; sysfs refuses new files to everyone.
        found = next((d for d in (locked, Path("/sys")) if _refuses_new_files(d)), None)
        if found is None:
            pytest.skip("no directory here refuses new files")
        yield found
    finally:
        locked.chmod(0o755)


BAD_PATHS = {
    # kind: (how to make the path, the words of the one-line error)
    "directory": (lambda tmp, locked: tmp, "is a directory"),
    "parent-is-a-file": (lambda tmp, locked: tmp / "a-file" / "out", "is not a directory"),
    "permission-denied": (lambda tmp, locked: locked / "out", "permission denied"),
    "parent-cannot-be-made": (lambda tmp, locked: locked / "new" / "out", "permission denied"),
}


@pytest.fixture
def bad_output(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    kind = request.param
    make, words = BAD_PATHS[kind]
    (tmp_path / "a-file").write_text("not a directory\n")
    needs_locked = kind in ("permission-denied", "parent-cannot-be-made")
    locked = request.getfixturevalue("unwritable_dir") if needs_locked else tmp_path
    return make(tmp_path, locked), words


@pytest.mark.parametrize("bad_output", sorted(BAD_PATHS), indirect=True)
@pytest.mark.parametrize("option", ["--report-json", "--junitxml"])
def test_unwritable_report_path_exits_2_before_any_rule_runs(
    option: str, bad_output: tuple[Path, str], serve_flawed: Callable[..., str]
):
    path, words = bad_output
    result = check(callback_url(serve_flawed(None)), "--rule", "contract", option, str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert option in lines[0] and str(path) in lines[0] and words in lines[0]
    assert "Traceback" not in result.stderr
    assert "contract.status-2xx" not in result.stdout  # no rule ran


def test_report_paths_are_checked_before_the_target_is_called(tmp_path: Path):
    result = check(
        "http://127.0.0.1:9/cb?auth_token=hunter2hunter2", "--report-json", str(tmp_path)
    )
    assert result.returncode == 2
    assert "--report-json" in result.stderr and "is a directory" in result.stderr
    assert "unreachable" not in result.stderr


def test_one_file_for_both_reports_is_a_usage_error(tmp_path: Path):
    same = str(tmp_path / "report")
    result = check("http://127.0.0.1:9/cb", "--report-json", same, "--junitxml", same)
    assert result.returncode == 2
    assert "--report-json and --junitxml both name" in result.stderr


def test_missing_report_directories_are_created_and_the_check_leaves_nothing_behind(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    # The path check alone (the run stops at the preflight) leaves no file or directory.
    stopped = check(
        "http://127.0.0.1:9/cb",
        "--report-json",
        str(tmp_path / "a" / "b" / "r.json"),
        "--junitxml",
        str(tmp_path / "c" / "j.xml"),
    )
    assert stopped.returncode == 2 and "unreachable" in stopped.stderr
    assert list(tmp_path.iterdir()) == []
    # A run creates the missing directories, as pytest's --junitxml and coverage.py do.
    result = check(
        callback_url(serve_flawed(None)),
        "--rule",
        "contract",
        "--report-json",
        str(tmp_path / "a" / "b" / "r.json"),
        "--junitxml",
        str(tmp_path / "c" / "j.xml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((tmp_path / "a" / "b" / "r.json").read_text())["interrupted"] is False
    assert (tmp_path / "c" / "j.xml").is_file()


def test_an_existing_report_file_is_checked_without_being_changed(tmp_path: Path):
    existing = tmp_path / "r.json"
    existing.write_text("previous run\n")
    result = check("http://127.0.0.1:9/cb", "--report-json", str(existing))
    assert "unreachable" in result.stderr  # the path passed its check
    assert existing.read_text() == "previous run\n"


def _plugin_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )


@pytest.mark.parametrize("bad_output", sorted(BAD_PATHS), indirect=True)
@pytest.mark.parametrize("option", ["--callback-report-json", "--junitxml"])
def test_plugin_refuses_an_unwritable_report_path_at_configure_time(
    option: str, bad_output: tuple[Path, str], serve_flawed: Callable[..., str], tmp_path: Path
):
    path, words = bad_output
    work = tmp_path / "work"
    work.mkdir()
    url = callback_url(serve_flawed(None))
    result = _plugin_run(
        work, "--callback-url", url, "--callback-rule", "contract", option, str(path)
    )
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    if option == "--junitxml" and words == "is a directory":
        words = "must be a filename"  # pytest's own check on its option comes first
    assert f"ERROR: {option} " in result.stderr and words in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "contract.status-2xx" not in result.stdout  # no rule ran
