"""examples/ci/github-actions.yml, played step by step on 127.0.0.1 as a runner would.

Each ``run:`` step runs in ``bash --noprofile --norc -eo pipefail`` (the job's ``shell:
bash``) with the job's ``env`` and everything earlier steps appended to ``$GITHUB_ENV``,
in a workspace of its own, with the fixed ports replaced by free ones. Two steps cannot
run here as written and are stood in for: the install step (this clone's ``.venv`` is
on ``PATH`` instead) and ``node server.js`` (the reference callback, which reads the same
variables). The ``uses: .../recall-sim`` step runs ``action.yml``'s check step with the
``with:`` inputs, as the runner maps them to ``INPUT_*``.

While anything runs, every process of every step's session is sampled from
``/proc/<pid>/cmdline``: no secret may be in any argv. Afterwards every file the steps
wrote is searched for the secrets too.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from recall_sim.simulator.kinds import TokenKind, applies
from recall_sim.simulator.rules import RULES
from tests.support.github_files import parse_github_file
from tests.support.proc import argv_of, stat_fields

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_PATH = ROOT / "examples" / "ci" / "github-actions.yml"
WORKFLOW: dict[str, Any] = yaml.safe_load(WORKFLOW_PATH.read_text())
JOB: dict[str, Any] = WORKFLOW["jobs"]["recall-sim"]
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
# The workflow's fixed ports, each replaced by a free one for this run.
PORTS = ("8700", "8701", "3000")
STEP_TIMEOUT = 240.0  # a bound for a hung step, not a target: the check takes about a minute
# Set by a team that wants the controls locked even on loopback: the steps must work with it.
CONTROL_TOKEN = "ci-workflow-control-token-0123456789abcdef"
# Steps that only a GitHub runner performs: nothing to play here.
RUNNER_ONLY = (
    "actions/checkout@",
    "actions/setup-node@",
    "actions/setup-python@",
    "actions/upload-artifact@",
    "mikepenz/action-junit-report@",
)
APP_COMMAND = "nohup node server.js"
REFERENCE_COMMAND = 'nohup "$RECALL_SIM_TEST_PYTHON" -m examples.reference_callback'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _session_of(pid: str) -> int | None:
    fields = stat_fields(pid)
    return None if fields is None else int(fields[3])  # state, ppid, pgrp, session


@dataclass
class ArgvSampler:
    """Every argv seen, until stopped, of each process in the sessions being watched."""

    sessions: set[int] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or _session_of(entry.name) not in self.sessions:
                continue
            if argv := argv_of(entry.name):
                self.seen.add(argv)

    def run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.02)

    @contextmanager
    def running(self) -> Iterator[ArgvSampler]:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(timeout=5)


@dataclass
class Runner:
    """The job: its environment, workspace and the sessions of the steps it ran."""

    workspace: Path
    temp: Path
    env: dict[str, str]
    sampler: ArgvSampler
    logs: list[str] = field(default_factory=list)
    last_outputs: dict[str, str] = field(default_factory=dict)  # the last step's $GITHUB_OUTPUT

    def run_script(self, name: str, script: str, *, extra: Mapping[str, str] = {}) -> str:
        """Run one step's script as the runner does; its output (the step's log)."""
        files = {kind: self.temp / f"{kind}-{len(self.logs)}" for kind in ("env", "output")}
        for file in files.values():
            file.write_text("")
        step_env = {
            **self.env,
            **extra,
            "GITHUB_ENV": str(files["env"]),
            "GITHUB_OUTPUT": str(files["output"]),
        }
        process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.workspace,
            env=step_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own session: background children are found by it
        )
        self.sampler.sessions.add(process.pid)
        try:
            out, _ = process.communicate(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate(timeout=10)
            pytest.fail(f"step {name!r} did not finish in {STEP_TIMEOUT:g} s:\n{out}")
        self.sampler.sample()  # whatever it left running in the background, at least once
        self.logs.append(f"--- {name} (exit {process.returncode})\n{out}")
        assert process.returncode == 0, "\n".join(self.logs)
        self.env.update(parse_github_file(files["env"].read_text()))
        self.last_outputs = parse_github_file(files["output"].read_text())
        return out

    def stop_everything(self) -> None:
        """End every step's session (serve and the app run on in the background)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            alive = []
            for session in self.sampler.sessions:
                try:
                    os.killpg(session, sig)
                    alive.append(session)
                except ProcessLookupError:
                    continue
            give_up = time.monotonic() + 10
            while alive and time.monotonic() < give_up:
                alive = [s for s in alive if _group_alive(s)]
                time.sleep(0.05)
            if not alive:
                return


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    # A zombie leader (its parent has not reaped it) counts as gone.
    return any(
        _session_of(entry.name) == group and "Z" not in _state_of(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
    )


def _state_of(pid: str) -> str:
    fields = stat_fields(pid)
    return "Z" if fields is None else fields[0]


def _with_free_ports(text: str, ports: Mapping[str, int]) -> str:
    for fixed, free in ports.items():
        text = re.sub(rf"(?<=[:\s=]){fixed}\b", str(free), text)
    return text


def _resolve(value: str, env: Mapping[str, str]) -> str:
    """A ``with:`` value's ``${{ env.NAME }}`` expressions (the only kind the example uses)."""

    def one(match: re.Match[str]) -> str:
        context, _, name = match.group(1).partition(".")
        assert context == "env", f"the example's inputs use only env.*, got {match.group(0)}"
        return env[name]

    return EXPRESSION.sub(one, value)


def _action_check_step(runner: Runner, step: Mapping[str, Any]) -> str:
    """``uses: <org>/recall-sim@...``: action.yml's check step with this step's inputs."""
    check = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "check")
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    given = {name: _resolve(str(value), runner.env) for name, value in step["with"].items()}
    assert set(given) <= set(ACTION["inputs"]), "an input action.yml does not have"
    inputs = {**defaults, **given}
    values = {f"inputs.{k}": v for k, v in inputs.items()}
    # The install step's output: this clone's interpreter, where recall_sim is installed.
    values["steps.install.outputs.python"] = sys.executable
    env = {
        name: EXPRESSION.sub(lambda m: values[m.group(1)], v) for name, v in check["env"].items()
    }
    summary = runner.temp / "step-summary.md"
    summary.write_text("")
    out = runner.run_script(
        "recall-sim check (action.yml)",
        check["run"],
        extra={**env, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTION_PATH": str(ROOT)},
    )
    return out


def _app_step(runner: Runner, script: str) -> str:
    """The callback app's step, with the reference callback in place of ``node server.js``."""
    assert script.count(APP_COMMAND) == 1
    # The reference reads the variables the example sets (CALLBACK_PORT, ZOOM_OAUTH_BASE,
    # RECALL_API_KEY, ...); its database goes to the runner's temp, not the workspace.
    standing_in = script.replace(APP_COMMAND, REFERENCE_COMMAND + " --log-level warning")
    extra = {
        "RECALL_SIM_TEST_PYTHON": sys.executable,
        "PYTHONPATH": str(ROOT),
        "CALLBACK_DATABASE_PATH": str(runner.temp / "app.sqlite3"),
    }
    return runner.run_script("Start the callback app (the reference)", standing_in, extra=extra)


def _secret_parts(url: str) -> list[str]:
    return [value for name, value in parse_qsl(urlsplit(url).query) if name == "auth_token"]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_the_github_workflow_runs_on_127_0_0_1_with_no_secret_in_argv_or_files(
    tmp_path: Path,
) -> None:
    workspace, temp = tmp_path / "workspace", tmp_path / "runner-temp"
    workspace.mkdir()
    temp.mkdir()
    (workspace / ".git").mkdir()  # no recall-sim.toml above the workspace is discovered
    ports = {fixed: free_port() for fixed in PORTS}
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RECALL_SIM_") and not k.upper().endswith("_PROXY")
    }
    job_env = {name: _with_free_ports(str(value), ports) for name, value in JOB["env"].items()}
    env = {
        **base_env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(temp),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "NO_PROXY": "127.0.0.1,localhost",
        "RECALL_SIM_CONTROL_TOKEN": CONTROL_TOKEN,
        **job_env,
    }
    assert JOB["defaults"]["run"]["shell"] == "bash"  # what bash -eo pipefail stands for
    runner = Runner(workspace, temp, env, ArgvSampler())
    played: list[str] = []
    ready_text = ""
    with runner.sampler.running():
        try:
            for step in JOB["steps"]:
                name = str(step.get("name", step.get("uses")))
                uses = str(step.get("uses", ""))
                if uses.startswith(RUNNER_ONLY):
                    continue
                if "/recall-sim@" in uses:
                    _action_check_step(runner, step)
                    played.append("check")
                    continue
                script = _with_free_ports(step["run"], ports)
                if re.search(r"^\s*python -m pip install .*recall-sim", script, re.M):
                    played.append("install")  # this clone's .venv is on PATH instead
                    continue
                if APP_COMMAND in script:
                    _app_step(runner, script)
                    played.append("app")
                    continue
                out = runner.run_script(name, script)
                if "recall-sim serve" in script:
                    ready_text = out  # the step cats the ready file
                    ready_path = temp / "recall-sim.json"
                    assert ready_path.is_file()
                    played.append("serve")
                elif "recall-sim connect" in script:
                    played.append("connect")
                else:
                    played.append("keys")
        finally:
            runner.stop_everything()

    # The workflow's steps, in this order, all played.
    assert played == ["install", "keys", "serve", "app", "connect", "check"], played

    env, outputs, logs = runner.env, runner.last_outputs, "\n".join(runner.logs)
    ready = json.loads(ready_text[ready_text.index("{") : ready_text.rindex("}") + 1])
    assert ready["url"] == env["SIM"]
    assert ready["zoom_base_url"] == env["ZOOM"]
    assert ready["control_token"]["source"] == "RECALL_SIM_CONTROL_TOKEN"
    assert "connected alice: landed on" in logs and "zoom user id: bob" in logs

    # check passed (exit 0: no rule failed), the summary holds the verdict table.
    assert outputs["exit-code"] == "0", logs
    other_kinds = [r for r in RULES if not applies(r, TokenKind.ACCESS_TOKEN)]
    # Only the other kinds' rules skip (SPEC §7): every access-token rule was graded.
    assert outputs["failed"] == "0" and outputs["skipped"] == str(len(other_kinds)), logs
    assert outputs["verdict"] in ("pass", "warn")
    summary = (temp / "step-summary.md").read_text()
    assert summary.startswith("## ⚠️ recall-sim: the callback conforms")
    for rule in (
        "contract.token-live",
        "freshness.refresh-before-expiry",
        "auth.signature-required",
    ):
        assert re.search(rf"^\| `{re.escape(rule)}` \| ✅ PASS \|", summary, re.M), rule
    for name, suffix in [("report-json", "json"), ("report-html", "html"), ("report-junit", "xml")]:
        assert outputs[name] == str(workspace / "reports" / f"recall-sim.{suffix}")
        assert Path(outputs[name]).stat().st_size > 0
    report = json.loads((workspace / "reports" / "recall-sim.json").read_text())
    graded = {r["rule"]: r["verdict"] for r in report["results"]}
    assert set(other_kinds) == {rule for rule, v in graded.items() if v == "skip"}
    assert set(graded.values()) <= {"pass", "warn", "skip"}

    # No secret in any argv, ever; the URLs' secrets, the keys and the control token.
    urls = [env["CALLBACK_URL_ALICE"], env["CALLBACK_URL_BOB"]]
    secrets = {
        "RECALL_SIM_API_KEY": env["RECALL_SIM_API_KEY"],
        "RECALL_SIM_VERIFICATION_SECRET": env["RECALL_SIM_VERIFICATION_SECRET"],
        "RECALL_SIM_CONTROL_TOKEN": CONTROL_TOKEN,
        **{f"auth_token {n}": s for n, s in enumerate(p for u in urls for p in _secret_parts(u))},
    }
    assert len(secrets) == 5, secrets.keys()
    argvs = runner.sampler.seen
    assert any("recall-sim serve" in a for a in argvs)
    assert any("examples.reference_callback" in a for a in argvs)
    assert any("recall_sim.conformance.github_action" in a for a in argvs)
    client_secret = env["ZOOM_CLIENT_SECRET"]
    for argv in argvs:
        for what, secret in {**secrets, "ZOOM_CLIENT_SECRET": client_secret}.items():
            assert secret not in argv, f"{what} in the argv {argv[:60]}..."

    # Nor in anything the steps printed or wrote. Not searched: $GITHUB_ENV, the runner's
    # own channel for values between steps, and the app's database, which holds its tokens.
    written = [
        path
        for folder in (workspace, temp)
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith(("env-", "app.sqlite3"))
    ]
    assert {p.name for p in written} >= {
        "recall-sim.json",  # the report in the workspace; serve removed its ready file
        "recall-sim.html",
        "recall-sim.xml",
        "recall-sim.log",
        "app.log",
        "step-summary.md",
    }
    for path in written:
        text = path.read_text(errors="replace")
        for what, secret in secrets.items():
            assert secret not in text, f"{what} in {path}"
    # The logs hold them only in the steps' own ::add-mask:: commands, which the runner takes
    # out of the log; recall-sim printed none of them, masked or not.
    masks = re.findall(r"^::add-mask::(.*)$", logs, re.M)
    assert set(masks) == {env["RECALL_SIM_API_KEY"], env["RECALL_SIM_VERIFICATION_SECRET"], *urls}
    printed = re.sub(r"^::add-mask::.*$", "", logs, flags=re.M)
    for what, secret in secrets.items():
        assert secret not in printed, f"{what} in a step's log"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_the_sampler_sees_what_a_step_leaves_running_in_the_background(tmp_path: Path) -> None:
    # The argv check above must be able to fail: a secret on the command line of a process
    # a step left behind (as serve and the app are) is seen.
    runner = Runner(tmp_path, tmp_path, {"PATH": os.environ["PATH"]}, ArgvSampler())
    with runner.sampler.running():
        try:
            runner.run_script(
                "leaves one behind", 'nohup bash -c "sleep 30; :" marker-a1b2c3 >/dev/null 2>&1 &'
            )
        finally:
            runner.stop_everything()
    assert any("marker-a1b2c3" in argv for argv in runner.sampler.seen)
    assert not any(_group_alive(session) for session in runner.sampler.sessions)
