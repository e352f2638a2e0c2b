"""``--help`` shows examples and exit codes; the results table keeps advice whole in CI logs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from recall_sim.conformance.report import Report, RuleReport
from recall_sim.simulator.cli import main
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.signing import SIGNATURE_HINT
from tests.conformance.conftest import SIGNING_SECRET
from tests.support.flawed_callback import callback_url

ADVICE = (
    "every one of 3 unsigned calls was refused (401 x3) and none got a token; "
    "the callback may require Recall's signature: pass --signing-secret, "
    "and keep the secret in RECALL_SIM_SIGNING_SECRET rather than on the command line "
    "so that it never shows in the process list of a shared CI runner"
)


def _help(*args: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_main_help_shows_examples_exit_codes_and_configuration(
    capsys: pytest.CaptureFixture[str],
):
    out = _help(capsys=capsys)
    assert "examples:\n  recall-sim probe " in out
    assert "exit codes (probe, check, watch):" in out
    for line in ("  0    no rule failed", "  1    at least one rule failed", "  2    usage"):
        assert line in out
    assert "RECALL_SIM_SIGNING_SECRET" in out


@pytest.mark.parametrize("command", ["probe", "check", "watch", "serve", "report"])
def test_each_command_help_shows_examples_and_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
):
    out = _help(command, capsys=capsys)
    assert f"examples:\n  recall-sim {command} " in out or f"  recall-sim {command} " in out
    assert "exit codes" in out
    if command in ("probe", "check", "watch"):
        flat = " ".join(out.split())  # argparse wraps option help
        assert "URL the access-token callback URL, as registered [env RECALL_SIM_URL]" in flat
        assert "[env RECALL_SIM_SIGNING_SECRET]" in flat
        assert "--config-file PATH" in out and "--no-config" in out


def _report() -> Report:
    report = Report(target="http://x/cb?auth_token=***", seed=1, started_at=0.0)
    verdict = Verdict("contract.status-2xx", Outcome.FAIL, ADVICE)
    report.results.append(RuleReport(verdict, None, 0.1))
    report.results.append(RuleReport(Verdict("hygiene.https", Outcome.PASS, "ok"), None, 0.1))
    return report


def test_without_a_terminal_the_table_prints_every_reason_whole():
    table = _report().table(80)
    [line] = [line for line in table.splitlines() if "contract.status-2xx" in line]
    assert line.endswith(ADVICE)
    assert "…" not in table


def test_on_a_terminal_long_reasons_wrap_under_their_column():
    table = _report().table(80, terminal=True)
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines)
    start = next(i for i, line in enumerate(lines) if "contract.status-2xx" in line)
    column = lines[start].index("FAIL") + len("FAIL     ")
    wrapped = [lines[start][column:]]
    for line in lines[start + 1 :]:
        if not line.startswith(" " * column):
            break
        wrapped.append(line[column:])
    assert len(wrapped) > 1
    assert " ".join(wrapped) == ADVICE


def test_check_prints_long_reasons_whole_into_a_pipe(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    # A callback that wants signed calls fails status-2xx unsigned, with a long reason
    # ending in the advice; the CI log (a pipe, no terminal, 80 columns) holds it whole.
    url = callback_url(serve_flawed(None, signing_secret=SIGNING_SECRET))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECALL_SIM_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "recall_sim.simulator.cli",
            "check",
            url,
            "--rule",
            "contract.status-2xx",
            "--no-config",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**env, "COLUMNS": "80"},
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = [
        line for line in result.stdout.splitlines() if line.startswith("contract.status-2xx ")
    ]
    assert line.endswith(SIGNATURE_HINT)
    assert len(line) > 120
