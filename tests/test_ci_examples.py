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


# Variables that hold a secret in the examples: none may be an argument of a program, since
# a process's argv is public (ps, /proc/<pid>/cmdline). Builtins (printf, echo, export) and
# environment assignments before a command are not argv.
SECRET_VARIABLES = re.compile(
    r"\$\{?(RECALL_SIM_API_KEY|RECALL_SIM_VERIFICATION_SECRET|RECALL_SIM_SIGNING_SECRET|"
    r"RECALL_SIM_CONTROL_TOKEN|RECALL_SIM_URL|RECALL_SIM_OTHER_USER_URL|CALLBACK_URL\w*|"
    r"key|whsec|url)\b"
)
PROGRAMS = ("recall-sim", "nohup", "curl", "jq", "node", "openssl", "python", "npm")


def _program_segments(path: Path) -> list[str]:
    """Each piece of a pipeline or command substitution that runs a program, its
    ``NAME=value`` prefix (the program's environment) removed."""
    segments = []
    for script in _scripts(yaml.safe_load(path.read_text())):
        joined = script.replace("\\\n", " ").replace("\n", " ; ")
        for piece in re.split(r"\$\(|\||;|&&|\)\"", joined):
            words = piece.strip().split()
            while words and re.match(r"^\w+=", words[0]):
                words.pop(0)
            if words and words[0].startswith(PROGRAMS):
                segments.append(" ".join(words))
    return segments


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_no_secret_is_an_argument_of_any_program_in_the_examples(name: str) -> None:
    segments = _program_segments(EXAMPLES / name)
    assert any(s.startswith("curl") for s in segments)
    assert any(s.startswith("nohup node") for s in segments)
    for segment in segments:
        assert not SECRET_VARIABLES.search(segment), segment


def test_the_gitlab_example_runs_the_github_examples_commands() -> None:
    github, gitlab = (_commands(EXAMPLES / n) for n in ("github-actions.yml", "gitlab-ci.yml"))

    # GitHub checks through the action (tests/examples/test_ci_workflow.py plays it); the rest
    # is the same sequence, with the same options.
    def same(argv: list[str]) -> list[str]:  # where the ready file goes is the runner's
        return ["READY" if w.endswith("/recall-sim.json") else w for w in argv]

    assert [same(argv) for argv in gitlab if argv[0] != "check"] == [same(a) for a in github]
    assert [argv[0] for argv in github] == ["serve", "wait", "wait", "connect", "connect"]
