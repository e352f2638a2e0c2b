"""The logic of the repository's GitHub Action (``action.yml``), runnable anywhere.

``python -m recall_sim.conformance.github_action`` reads the action's inputs from the
environment (``INPUT_URL``, ``INPUT_CLIENT_ID``, ...; ``action.yml`` maps each input to its
variable, so a secret URL is never on a command line), runs ``recall-sim check`` in this
process with ``--format github``, then:

- appends the Markdown summary (verdict, counts, causes, one row per rule) to
  ``$GITHUB_STEP_SUMMARY``;
- writes the outputs ``exit-code``, ``verdict`` (pass, warn, fail or error), ``passed``,
  ``failed``, ``warned``, ``skipped`` and the report paths ``report-json``,
  ``report-html``, ``report-junit`` (empty when not written) to ``$GITHUB_OUTPUT``;
- exits with check's own code (0, 1, 2 or 130; SPEC §4), so the step fails when a rule did.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recall_sim.conformance.renderers.markdown import render_markdown, verdict_of

__all__ = ["ActionInputs", "check_argv", "main", "run_action"]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class InputError(ValueError):
    """An input the action cannot use (exit 2, before anything runs)."""


@dataclass(frozen=True)
class ActionInputs:
    url: str
    kind: str = ""
    meeting_id: str = ""
    client_id: str = ""
    expect_user_id: str = ""
    other_user_url: str = ""
    signing_secret: str = ""
    zoom_admin: str = ""
    rules: tuple[str, ...] = ()
    strict: bool = False
    freshness_window: str = ""
    report_json: str = ""
    report_html: str = ""
    report_junit: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ActionInputs:
        def get(name: str) -> str:
            return environ.get(f"INPUT_{name}", "").strip()

        url = get("URL")
        if not url:
            raise InputError("input 'url' is empty: pass your callback URL, e.g. from a secret")
        strict = get("STRICT").lower()
        if strict not in _TRUE | _FALSE:
            raise InputError(f"input 'strict' must be true or false, got {strict!r}")
        return cls(
            url=url,
            kind=get("KIND"),
            meeting_id=get("MEETING_ID"),
            client_id=get("CLIENT_ID"),
            expect_user_id=get("EXPECT_USER_ID"),
            other_user_url=get("OTHER_USER_URL"),
            signing_secret=get("SIGNING_SECRET"),
            zoom_admin=get("ZOOM_ADMIN"),
            # Space-, comma- or newline-separated, as YAML block scalars make them.
            rules=tuple(r for r in re.split(r"[\s,]+", get("RULES")) if r),
            strict=strict in _TRUE,
            freshness_window=get("FRESHNESS_WINDOW"),
            report_json=get("REPORT_JSON"),
            report_html=get("REPORT_HTML"),
            report_junit=get("REPORT_JUNIT"),
        )


def check_argv(inputs: ActionInputs, *, report_json: Path) -> list[str]:
    """The ``recall-sim`` arguments for these inputs (run in-process: no process list)."""
    argv = ["check", inputs.url, "--format", "github", "--report-json", str(report_json)]
    options = [
        ("--kind", inputs.kind),
        ("--meeting-id", inputs.meeting_id),
        ("--client-id", inputs.client_id),
        ("--expect-user-id", inputs.expect_user_id),
        ("--other-user-url", inputs.other_user_url),
        ("--signing-secret", inputs.signing_secret),
        ("--zoom-admin", inputs.zoom_admin),
        ("--freshness-window", inputs.freshness_window),
        ("--report-html", inputs.report_html),
        ("--junitxml", inputs.report_junit),
    ]
    for flag, value in options:
        if value:
            argv += [flag, value]
    for rule in inputs.rules:
        argv += ["--rule", rule]
    if inputs.strict:
        argv.append("--strict")
    return argv


def run_action(environ: Mapping[str, str]) -> int:
    """Run the action with ``environ`` as its environment; the exit code."""
    try:
        inputs = ActionInputs.from_environ(environ)
    except InputError as exc:
        print(f"::error title=recall-sim action::{exc}", flush=True)
        _finish(environ, code=2, report=None, strict=False, paths={})
        return 2
    temporary = Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir())
    json_path = Path(inputs.report_json or temporary / f"recall-sim-{secrets.token_hex(4)}.json")
    json_path = json_path.absolute()
    json_path.unlink(missing_ok=True)  # a stale report must not pass for this run's
    code = _run_check(check_argv(inputs, report_json=json_path))
    report = _read_report(json_path) if code in (0, 1, 130) else None
    paths = {
        "report-json": str(json_path) if inputs.report_json and json_path.is_file() else "",
        "report-html": _written(inputs.report_html),
        "report-junit": _written(inputs.report_junit),
    }
    _finish(environ, code=code, report=report, strict=inputs.strict, paths=paths)
    if not inputs.report_json:
        json_path.unlink(missing_ok=True)
    return code


def _run_check(argv: list[str]) -> int:
    from recall_sim.simulator.cli import main as recall_sim

    sys.stdout.flush()
    try:
        return recall_sim(argv)
    except SystemExit as exc:  # argparse's usage errors
        return exc.code if isinstance(exc.code, int) else 2


def _read_report(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _written(path: str) -> str:
    return str(Path(path).absolute()) if path and Path(path).is_file() else ""


def _finish(
    environ: Mapping[str, str],
    *,
    code: int,
    report: Mapping[str, Any] | None,
    strict: bool,
    paths: Mapping[str, str],
) -> None:
    if report is not None:
        summary = render_markdown(report, strict=strict)
        verdict = verdict_of(report, strict=strict)
        counts = report.get("summary", {})
    else:
        summary = (
            f"## ⛔ recall-sim could not run the check (exit {code})\n\n"
            "A usage or environment error before any rule ran: a bad input, or nothing "
            "answering at the URL. The step's log says which.\n"
        )
        verdict, counts = "error", {}
    outputs = {
        "exit-code": str(code),
        "verdict": verdict,
        "passed": str(counts.get("pass", "")),
        "failed": str(counts.get("fail", "")),
        "warned": str(counts.get("warn", "")),
        "skipped": str(counts.get("skip", "")),
        **paths,
    }
    _append(environ.get("GITHUB_STEP_SUMMARY"), summary + "\n")
    _append(environ.get("GITHUB_OUTPUT"), "".join(_output(k, v) for k, v in outputs.items()))
    if not environ.get("GITHUB_STEP_SUMMARY"):
        print(summary)


def _output(name: str, value: str) -> str:
    # The multi-line form with a random delimiter: no value can end it early.
    delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(text)


def main() -> int:
    return run_action(os.environ)


if __name__ == "__main__":
    raise SystemExit(main())
