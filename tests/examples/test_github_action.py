"""The GitHub Action (``action.yml``), its shell steps run locally as the runner would:
``${{ }}`` expressions resolved into each step's ``env``, ``bash -eo pipefail``, temporary
``GITHUB_STEP_SUMMARY``/``GITHUB_OUTPUT`` files, against the reference callback."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from recall_sim.simulator.testing import RunningSimulator
from tests.examples.conftest import StartReference
from tests.support.github_files import parse_github_file

ROOT = Path(__file__).resolve().parent.parent.parent
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = {step["id"]: step for step in ACTION["runs"]["steps"]}
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


@dataclass
class StepRun:
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]
    path_added: str


def run_step(
    step_id: str,
    tmp_path: Path,
    *,
    inputs: dict[str, str],
    context: dict[str, str] | None = None,
    path: str | None = None,
) -> StepRun:
    step = STEPS[step_id]
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    values = {**{f"inputs.{k}": v for k, v in {**defaults, **inputs}.items()}, **(context or {})}
    assert "${{" not in step["run"]  # expressions only in env: nothing injected into bash

    def resolve(match: re.Match[str]) -> str:
        return values[match.group(1)]

    files = {name: tmp_path / f"{step_id}-{name}" for name in ("summary", "output", "path")}
    for file in files.values():
        file.write_text("")
    env = {
        "PATH": path or os.environ["PATH"],
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
        "GITHUB_OUTPUT": str(files["output"]),
        "GITHUB_PATH": str(files["path"]),
        "NO_PROXY": "127.0.0.1,localhost",
        **{name: EXPRESSION.sub(resolve, str(value)) for name, value in step["env"].items()},
    }
    assert step["shell"] == "bash"
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return StepRun(
        done.returncode,
        done.stdout,
        done.stderr,
        files["summary"].read_text(),
        parse_github_file(files["output"].read_text()),
        files["path"].read_text(),
    )


def run_check_step(tmp_path: Path, **inputs: str) -> StepRun:
    python = {"steps.install.outputs.python": sys.executable}
    return run_step("check", tmp_path, inputs=inputs, context=python)


def test_the_action_checks_the_reference_and_writes_summary_and_outputs(
    sim: RunningSimulator, start_reference: StartReference, tmp_path: Path
) -> None:
    reference = start_reference()
    user_id = reference.connect("alice")
    url = reference.callback_url(user_id)
    secret = url.rsplit("=", 1)[1]

    step = run_check_step(
        tmp_path,
        url=url,
        **{
            "client-id": sim.zoom.default_app.client_id,
            "expect-user-id": user_id,
            "zoom-admin": f"{sim.control_url}/zoom",
            "rules": "contract\nhygiene, auth.rejects-missing-credential",
            "report-json": "reports/recall-sim.json",
            "report-html": "reports/recall-sim.html",
            "report-junit": "reports/recall-sim.xml",
        },
    )

    assert step.code == 0, step.stdout + step.stderr
    outputs = step.outputs
    assert outputs["exit-code"] == "0"
    assert outputs["verdict"] == "warn"  # http:// warns hygiene.https; nothing failed
    assert outputs["failed"] == "0" and int(outputs["warned"]) >= 1
    for name, file in [("report-json", "json"), ("report-html", "html"), ("report-junit", "xml")]:
        assert outputs[name] == str(tmp_path / "reports" / f"recall-sim.{file}")
        assert Path(outputs[name]).is_file()
    summary = step.summary
    assert summary.startswith("## ⚠️ recall-sim: the callback conforms, with warnings")
    assert "| `contract.token-live` | ✅ PASS |" in summary
    assert "| `hygiene.https` | ⚠️ WARN |" in summary
    assert "| `auth.rejects-missing-credential` | ✅ PASS |" in summary
    assert "::warning title=recall-sim WARN hygiene.https" in step.stdout
    for text in (step.stdout, step.stderr, summary, str(outputs)):
        assert secret not in text


def test_strict_turns_the_warning_into_a_failed_step(
    start_reference: StartReference, tmp_path: Path
) -> None:
    reference = start_reference()
    url = reference.callback_url(reference.connect("bob"))

    step = run_check_step(tmp_path, url=url, rules="hygiene", strict="true")

    assert step.code == 1
    assert (step.outputs["exit-code"], step.outputs["verdict"]) == ("1", "fail")
    assert step.outputs["report-json"] == ""  # not asked for: a temporary one, removed
    assert "::error title=recall-sim WARN hygiene.https" in step.stdout
    assert step.summary.startswith("## ❌ recall-sim: the callback does not conform")
    assert not list(tmp_path.glob("recall-sim-*.json"))


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"url": ""}, "input 'url' is empty"),
        ({"url": "http://127.0.0.1:9/cb?auth_token=hunter2hunter2"}, "unreachable"),
        ({"url": "http://127.0.0.1:9/cb", "strict": "maybe"}, "input 'strict' must be"),
    ],
)
def test_a_check_that_cannot_run_says_so_with_exit_2(
    inputs: dict[str, str], words: str, tmp_path: Path
) -> None:
    step = run_check_step(tmp_path, **inputs)

    assert step.code == 2
    assert (step.outputs["exit-code"], step.outputs["verdict"]) == ("2", "error")
    assert step.summary.startswith("## ⛔ recall-sim could not run the check (exit 2)")
    assert words in step.stdout + step.stderr
    assert "hunter2" not in step.stdout + step.stderr + step.summary


def test_the_install_step_installs_the_actions_own_checkout(tmp_path: Path) -> None:
    # A stand-in python: `-m venv DIR` makes DIR/bin/python, which logs what it is asked.
    log = tmp_path / "calls.log"
    fake = tmp_path / "fake-python"
    fake.write_text(
        "#!/bin/bash\n"
        f'echo "$0 $*" >> {log}\n'
        'if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; fi\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)

    step = run_step("install", tmp_path, inputs={"python": str(fake)})

    assert step.code == 0, step.stderr
    venv = tmp_path / "recall-sim-venv"
    calls = log.read_text().splitlines()
    assert calls[0] == f"{fake} -m venv {venv}"
    assert calls[1].startswith(f"{venv}/bin/python -m pip install")
    assert calls[1].endswith(f" {ROOT}")  # the action's checkout, not a registry's version
    assert step.outputs["python"] == f"{venv}/bin/python"
    assert step.path_added.strip() == f"{venv}/bin"


def test_every_output_comes_from_the_check_step() -> None:
    for name, spec in ACTION["outputs"].items():
        assert spec["value"] == f"${{{{ steps.check.outputs.{name} }}}}"
    assert set(ACTION["inputs"]) >= {"url", "client-id", "zoom-admin", "rules", "strict"}
    assert ACTION["inputs"]["url"]["required"] is True
