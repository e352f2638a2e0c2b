"""Colour and progress (issue 12): the verdict table in colour only where asked or on a
terminal (NO_COLOR respected), reports never; long rules' progress rewritten in place on
a terminal, and nothing of it in a pipe."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from recall_sim.conformance.config import CheckConfig
from recall_sim.conformance.context import CheckContext, Progress
from recall_sim.conformance.report import Report, RuleReport
from recall_sim.conformance.terminal import ProgressLine, can_rewrite, should_do_markup
from recall_sim.simulator.rules import Outcome, Verdict
from tests.support.flawed_callback import callback_url

ESC = "\x1b["
GREEN_PASS = "\x1b[32mPASS"
_COLOUR_ENV = ("NO_COLOR", "FORCE_COLOR", "PY_COLORS", "TERM", "COLUMNS")


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _COLOUR_ENV:
        monkeypatch.delenv(name, raising=False)


# -- the one decision --------------------------------------------------------------------


@pytest.mark.usefixtures("plain_env")
def test_auto_colours_a_terminal_and_not_a_pipe():
    assert should_do_markup(FakeTTY(), "auto")
    assert not should_do_markup(io.StringIO(), "auto")
    assert not should_do_markup(object(), "auto")  # no isatty at all


@pytest.mark.usefixtures("plain_env")
@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # no-color.org: only a non-empty value counts
        ({"FORCE_COLOR": "1"}, False, True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ({"PY_COLORS": "1", "NO_COLOR": "1"}, False, True),  # pytest's switch, first
        ({"PY_COLORS": "0"}, True, False),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_auto_follows_the_environment(
    env: dict[str, str], tty: bool, expected: bool, monkeypatch: pytest.MonkeyPatch
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = FakeTTY() if tty else io.StringIO()
    assert should_do_markup(stream, "auto") is expected


@pytest.mark.usefixtures("plain_env")
def test_an_explicit_choice_overrides_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert should_do_markup(io.StringIO(), "always")  # no-color.org: the option wins
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not should_do_markup(FakeTTY(), "never")


@pytest.mark.usefixtures("plain_env")
def test_progress_needs_a_terminal_whatever_the_colour(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert can_rewrite(FakeTTY())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not can_rewrite(io.StringIO())
    monkeypatch.setenv("TERM", "dumb")
    assert not can_rewrite(FakeTTY())


# -- the table ---------------------------------------------------------------------------


def _report() -> Report:
    report = Report(target="http://x/cb", seed=1, started_at=0.0, finished_at=1.0)
    for rule, outcome in [
        ("contract.status-2xx", Outcome.PASS),
        ("contract.deadline-5s", Outcome.FAIL),
        ("contract.content-type", Outcome.WARN),
        ("auth.signature-required", Outcome.SKIP),
    ]:
        report.results.append(RuleReport(Verdict(rule, outcome, "why"), None, 0.1))
    return report


def test_the_table_colours_each_verdict_only_with_markup():
    coloured = _report().table(120, markup=True)
    for code, label in [("32", "PASS"), ("31", "FAIL"), ("33", "WARN"), ("34", "SKIP")]:
        assert f"{ESC}{code}m{label}" in coloured
    plain = _report().table(120)
    assert ESC not in plain
    # Colour codes take no columns: the reasons line up as in the plain table.
    strip = coloured.replace(ESC + "0m", "")
    for code in ("31", "32", "33", "34"):
        strip = strip.replace(f"{ESC}{code}m", "")
    assert strip == plain
    assert ESC not in json.dumps(_report().to_json())


# -- the progress line -------------------------------------------------------------------


def _line(stream: io.StringIO, clock: list[float], column: int = 7) -> ProgressLine:
    return ProgressLine(
        stream, width=lambda: 40, column=lambda: column, interval=0.25, clock=lambda: clock[0]
    )


def test_progress_is_rewritten_in_place_under_the_current_line_then_erased():
    stream, clock = FakeTTY(), [100.0]
    line = _line(stream, clock)
    line.show("freshness.refresh-before-expiry 1/35 s, 1 calls")
    clock[0] += 0.1
    line.show("dropped: too soon after the last")
    clock[0] += 0.3
    line.show("freshness.refresh-before-expiry 12/35 s, 24 calls")
    line.clear()
    written = stream.getvalue()
    first, second = written.split("\x1b[K")[:2]
    assert first == "\n" + "freshness.refresh-before-expiry 1/35 s, 1 calls"[:39]  # width - 1
    assert second == "\r" + "freshness.refresh-before-expiry 12/35 s, 24 calls"[:39]
    assert "dropped" not in written
    # Erased, one row up, back at the column where the output line ended (1-based: 8).
    assert written.endswith("\r\x1b[K\x1b[1A\x1b[8G")
    line.clear()  # nothing shown: nothing written
    assert stream.getvalue() == written


def test_the_context_reports_progress_to_its_listener_and_nowhere_without_one():
    ctx = CheckContext(CheckConfig(url="http://127.0.0.1:9/cb"))
    ctx.progress("load.burst", 3, 20, "calls")  # no listener: nothing happens
    seen: list[Progress | str] = []

    class Listener:
        def update(self, progress: Progress) -> None:
            seen.append(progress)

        def end(self, rule_id: str) -> None:
            seen.append(f"end {rule_id}")

    ctx.progress_listener = Listener()
    ctx.progress("freshness.refresh-before-expiry", 12.4, 35, "s", calls=24)
    ctx.progress("freshness.upstream-failure", 7, None, "calls (Zoom answering 500)")
    ctx.progress("auth.rejects-wrong-credential", 131, 130, "wrong credentials")
    ctx.end_progress("auth.rejects-wrong-credential")
    lines = [p.line() if isinstance(p, Progress) else p for p in seen]
    assert lines == [
        "freshness.refresh-before-expiry 12/35 s, 24 calls",
        "freshness.upstream-failure 7 calls (Zoom answering 500)",
        "auth.rejects-wrong-credential 131/131 wrong credentials",
        "end auth.rejects-wrong-credential",
    ]


# -- end to end: `recall-sim check` ------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _COLOUR_ENV}
    return {**env, "COLUMNS": "120", **extra}


def _check_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "recall_sim.simulator.cli", "check", *args]


def check(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _check_cmd(*args), capture_output=True, text=True, timeout=120, check=False, env=_env(**env)
    )


def check_on_a_terminal(*args: str, **env: str) -> tuple[int, str]:
    """Run ``check`` with its output on a pseudo-terminal; return its exit code and output."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        _check_cmd(*args),
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=_env(TERM="xterm", **env),
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child has closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return process.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def test_color_always_colours_the_table_but_never_the_reports(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    report_path, junit_path = tmp_path / "r.json", tmp_path / "j.xml"
    result = check(
        callback_url(serve_flawed(None)),
        "--rule",
        "contract",
        "--color",
        "always",
        "--report-json",
        str(report_path),
        "--junitxml",
        str(junit_path),
        NO_COLOR="1",  # the option wins over the environment (no-color.org)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert GREEN_PASS in result.stdout
    assert ESC not in report_path.read_text()
    assert ESC not in junit_path.read_text()


@pytest.mark.parametrize(
    ("args", "env"),
    [
        ((), {}),  # a pipe
        (("--color", "never"), {"FORCE_COLOR": "1"}),
    ],
    ids=["pipe", "color-never"],
)
def test_no_colour_in_a_pipe_or_with_color_never(
    args: tuple[str, ...], env: dict[str, str], serve_flawed: Callable[..., str]
):
    result = check(callback_url(serve_flawed(None)), "--rule", "contract", *args, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contract.status-2xx" in result.stdout
    assert ESC not in result.stdout + result.stderr


def test_on_a_terminal_the_table_is_coloured_unless_no_color(serve_flawed: Callable[..., str]):
    url = callback_url(serve_flawed(None))
    code, output = check_on_a_terminal(url, "--rule", "contract.status-2xx")
    assert code == 0, output
    assert GREEN_PASS in output
    code, output = check_on_a_terminal(url, "--rule", "contract.status-2xx", NO_COLOR="1")
    assert code == 0, output
    assert "PASS" in output and ESC + "32m" not in output


def test_progress_shows_on_a_terminal_and_not_in_a_pipe(serve_flawed: Callable[..., str]):
    url = callback_url(serve_flawed(None))
    args = (url, "--rule", "load.burst", "--burst", "5", "--color", "never")
    code, output = check_on_a_terminal(*args)
    assert code == 0, output
    assert "\nload.burst 1/5 calls\x1b[K" in output.replace("\r\n", "\n")
    assert "\x1b[1A" in output  # erased, and back on pytest's line
    piped = check(*args)
    assert piped.returncode == 0, piped.stdout + piped.stderr
    assert "5 calls" not in piped.stdout and "/5 calls" not in piped.stderr
    assert ESC not in piped.stdout


def test_the_plugin_follows_pytests_color_option_or_its_own(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    url = callback_url(serve_flawed(None))
    pytest_cmd = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q")

    def plugin_run(*args: str) -> str:
        result = subprocess.run(
            [*pytest_cmd, "--callback-url", url, "--callback-rule", "contract.status-2xx", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
            env=_env(),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    assert GREEN_PASS in plugin_run("--color", "yes")
    assert GREEN_PASS in plugin_run("--callback-color", "always")
    # pytest colours its own lines; the table follows --callback-color.
    own = plugin_run("--color", "yes", "--callback-color", "never")
    assert re.search(r"\ncontract\.status-2xx +PASS +", own)
    assert ESC not in plugin_run()
