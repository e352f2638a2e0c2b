"""``recall-sim check`` in a real process with its secrets only in the environment or in a
config file's ``${VAR}``: no secret in any process's argv, and the report says where each
setting came from, never its value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conformance.conftest import SIGNING_SECRET
from tests.support.flawed_callback import SECRETS, callback_url
from tests.support.proc import argv_of, stat_fields
from tests.support.tokens import USER_ID

COMMAND = [sys.executable, "-m", "recall_sim.simulator.cli", "check"]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECALL_SIM_")}
    return {**env, **extra}


def _run(
    argv: list[str], cwd: Path, env: dict[str, str], *, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` to its end, its output captured as text."""
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _descendants(pid: int) -> set[int]:
    """``pid`` and every process below it, from /proc/*/stat's parent ids."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat_fields(entry.name)) is not None:
            parents[int(entry.name)] = int(fields[1])
    found = {pid}
    grew = True
    while grew:
        below = {child for child, parent in parents.items() if parent in found}
        grew = not below <= found
        found |= below
    return found


def _watch_argv(process: subprocess.Popen[str]) -> list[str]:
    """Every argv seen in the process tree while it runs, read from /proc/<pid>/cmdline."""
    seen: list[str] = []
    while process.poll() is None:
        seen.extend(filter(None, map(argv_of, _descendants(process.pid))))
        time.sleep(0.02)
    return seen


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_secrets_from_the_environment_never_reach_argv(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    base = serve_flawed(None, signing_secret=SIGNING_SECRET)
    url = callback_url(base)
    (tmp_path / ".git").mkdir()  # no config file above this directory is discovered
    report_path = tmp_path / "report.json"
    env = _clean_env(
        RECALL_SIM_URL=url,
        RECALL_SIM_SIGNING_SECRET=SIGNING_SECRET,
        RECALL_SIM_FUZZ_EXAMPLES="30",
        RECALL_SIM_SEED="7",
    )
    process = subprocess.Popen(
        [*COMMAND, "--rule", "contract", "--rule", "auth", "--report-json", str(report_path)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        argvs = _watch_argv(process)
        out, err = process.communicate(timeout=300)
    finally:
        process.kill()
    assert process.returncode == 0, out + err
    assert argvs, "the process ended before its argv could be read"
    assert any("recall_sim.simulator.cli check" in argv for argv in argvs)
    for argv in argvs:
        assert SECRETS[USER_ID] not in argv
        assert SIGNING_SECRET not in argv
    # It signed (the callback refuses unsigned calls), so the variable was used.
    assert "contract.status-2xx" in out
    for text in (out, err, report_path.read_text()):
        assert SECRETS[USER_ID] not in text and SIGNING_SECRET not in text
    report = json.loads(report_path.read_text())
    assert report["config_sources"] == {
        "url": "env RECALL_SIM_URL",
        "signing_secret": "env RECALL_SIM_SIGNING_SECRET",
        "fuzz_examples": "env RECALL_SIM_FUZZ_EXAMPLES",
        "seed": "env RECALL_SIM_SEED",
        "rule": "cli --rule",
        "report_json": "cli --report-json",
    }
    assert report["seed"] == 7
    assert "settings from: url (env RECALL_SIM_URL), signing_secret (env" in out


def test_a_config_file_with_variables_configures_the_check(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    base = serve_flawed(None, signing_secret=SIGNING_SECRET)
    (tmp_path / ".git").mkdir()
    (tmp_path / "recall-sim.toml").write_text(
        "# secrets come from the environment, by name\n"
        'url = "${CALLBACK_URL?}"\n'
        'signing-secret = "${RECALL_SIGNING_SECRET?}"\n'
        'rule = ["contract.status-2xx", "contract.plain-token-body"]\n'
        'report-json = "out/report.json"\n'
        "burts = 3\n"
    )
    work = tmp_path / "service"
    work.mkdir()
    env = _clean_env(CALLBACK_URL=callback_url(base), RECALL_SIGNING_SECRET=SIGNING_SECRET)
    result = _run(COMMAND, work, env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recall-sim check: warning: " in result.stderr
    assert "unknown key 'burts' (ignored)" in result.stderr
    report = json.loads((work / "out" / "report.json").read_text())
    assert [r["rule"] for r in report["results"]] == [
        "contract.status-2xx",
        "contract.plain-token-body",
    ]
    assert all(r["verdict"] == "pass" for r in report["results"])
    sources = report["config_sources"]
    assert set(sources) == {"url", "signing_secret", "rule", "report_json"}
    assert all(s.startswith("file ") and s.endswith("recall-sim.toml") for s in sources.values())
    assert SECRETS[USER_ID] not in result.stdout + result.stderr


def test_an_unset_required_variable_is_one_line_naming_file_and_key(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "recall-sim.toml").write_text('url = "${CALLBACK_URL?}"\n')
    result = _run(COMMAND, tmp_path, _clean_env())
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "recall-sim check: error: recall-sim.toml key 'url': environment variable "
        "CALLBACK_URL is not set (${CALLBACK_URL?})"
    ]


def test_a_bad_environment_value_is_one_line_naming_the_variable(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    secret = "whsec_!!!" + SECRETS[USER_ID]
    env = _clean_env(RECALL_SIM_URL="http://127.0.0.1:9/cb", RECALL_SIM_SIGNING_SECRET=secret)
    result = _run(COMMAND, tmp_path, env)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "recall-sim check: error: env RECALL_SIM_SIGNING_SECRET: --signing-secret is malformed"
    )
    assert SECRETS[USER_ID] not in result.stderr and "Traceback" not in result.stderr


def test_the_pytest_plugin_reads_the_environment_too(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    base = serve_flawed(None, signing_secret=SIGNING_SECRET)
    (tmp_path / ".git").mkdir()
    report_path = tmp_path / "r.json"
    env = _clean_env(RECALL_SIM_SIGNING_SECRET=SIGNING_SECRET, RECALL_SIM_RULE="contract")
    result = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--callback-url",
            callback_url(base),
            "--callback-report-json",
            str(report_path),
        ],
        tmp_path,
        env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(report_path.read_text())
    assert report["summary"]["fail"] == 0
    assert report["config_sources"]["signing_secret"] == "env RECALL_SIM_SIGNING_SECRET"
    assert report["config_sources"]["url"] == "cli --callback-url"


def test_watch_takes_its_url_from_the_environment_and_reports_the_sources(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    base = serve_flawed(None, signing_secret=SIGNING_SECRET)
    (tmp_path / ".git").mkdir()
    (tmp_path / "recall-sim.toml").write_text("interval = 0.3\nduration = 1\n")
    env = _clean_env(RECALL_SIM_URL=callback_url(base), RECALL_SIM_SIGNING_SECRET=SIGNING_SECRET)
    result = _run(
        [sys.executable, "-m", "recall_sim.simulator.cli", "watch", "--report-json", "w.json"],
        tmp_path,
        env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "w.json").read_text())
    assert report["config_sources"] == {
        "url": "env RECALL_SIM_URL",
        "signing_secret": "env RECALL_SIM_SIGNING_SECRET",
        "interval": "file recall-sim.toml",
        "duration": "file recall-sim.toml",
        "report_json": "cli --report-json",
    }
    assert report["requests_sent"] >= 2
    for text in (result.stdout, result.stderr, json.dumps(report)):
        assert SECRETS[USER_ID] not in text and SIGNING_SECRET not in text
