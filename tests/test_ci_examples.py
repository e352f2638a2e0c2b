"""The CI examples (examples/ci/) call recall-sim with options it has: every ``recall-sim``
command in them parses with the real command line, so the examples cannot drift."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from recall_sim.simulator.cli import _parser_for

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "ci"
VARIABLE = re.compile(r"\$\{?(\w+)\}?")
URLS = {"SIM": "http://127.0.0.1:8700", "ZOOM": "http://127.0.0.1:8701", "APP": "http://a:3000"}


def _scripts(document: Any) -> list[str]:
    """Every shell script in a workflow: GitHub's ``run:`` and GitLab's script lines."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "run" and isinstance(value, str):
                found.append(value)
            elif key in ("script", "before_script") and isinstance(value, list):
                found.extend(str(line) for line in value)
            else:
                found.extend(_scripts(value))
    elif isinstance(document, list):
        for item in document:
            found.extend(_scripts(item))
    return found


def _commands(path: Path) -> list[list[str]]:
    commands = []
    for script in _scripts(yaml.safe_load(path.read_text())):
        joined = script.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.strip()
            if not line.startswith(("recall-sim ", "nohup recall-sim ")):
                continue
            line = line.split(" > ", 1)[0].split(" # ", 1)[0].rstrip("& ")
            expanded = VARIABLE.sub(lambda m: URLS.get(m.group(1), "placeholder"), line)
            words = shlex.split(expanded)
            commands.append(words[words.index("recall-sim") + 1 :])
    return commands


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_every_recall_sim_command_in_the_examples_parses(name: str) -> None:
    commands = _commands(EXAMPLES / name)
    used = {argv[0] for argv in commands}
    assert used == {"serve", "wait", "connect", "check"} or used == {"serve", "wait", "connect"}
    for argv in commands:
        if argv[0] == "check" and not any(a.startswith("http") for a in argv[1:]):
            # The URL from RECALL_SIM_URL (layered configuration): given here as the argument.
            argv = ["check", "http://127.0.0.1:3000/cb", *argv[1:]]
        _parser_for(argv).parse_args(argv)  # SystemExit(2) on an option recall-sim lacks


def test_the_github_example_serves_with_a_ready_file_and_uses_the_action() -> None:
    text = (EXAMPLES / "github-actions.yml").read_text()
    assert "--ready-file" in text and "--zoom-port" in text
    workflow = yaml.safe_load(text)
    steps = workflow["jobs"]["recall-sim"]["steps"]
    check = next(step for step in steps if step.get("id") == "check")
    action_inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    assert set(check["with"]) <= action_inputs
    assert {"report-json", "report-html", "report-junit", "zoom-admin"} <= set(check["with"])
