"""The conformance suite's pytest options and hooks (re-exported by ``conformance.plugin``).

Import-light on purpose: pytest loads this in every run of every project that has
recall-sim installed. Nothing heavy is imported unless ``--callback-url`` is given.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from recall_sim.conformance.context import Progress
    from recall_sim.conformance.run import ConformanceRun
    from recall_sim.simulator.observation import Observation

__all__ = [
    "CLI_ROUTE_KEY",
    "RUN_KEY",
    "in_own_options",
    "pytest_addoption",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
]

RUN_KEY: pytest.StashKey[ConformanceRun] = pytest.StashKey()
# pytest's own --junitxml file, as its junitxml plugin resolves it (None: not written).
JUNIT_KEY: pytest.StashKey[Path | None] = pytest.StashKey()
SUITE = Path(__file__).with_name("suite.py")
# `recall-sim check`'s preflight call, handed to the run as its baseline (one call, not two).
PREFLIGHT_KEY: pytest.StashKey[Observation] = pytest.StashKey()
# Set by `recall-sim check` for its own pytest run: reasons name check's options there.
CLI_ROUTE_KEY: pytest.StashKey[bool] = pytest.StashKey()
# check's options that the plugin spells --callback-NAME: reasons and fixes name them, and
# a plugin user must read the plugin's own names.
_CHECK_OPTIONS = re.compile(
    r"(?<![\w-])--(client-id|expect-user-id|other-user-url|secret-param|secret-path-segment|"
    r"signing-secret|zoom-admin|burst|freshness-window|fuzz-examples|seed|strict|rule|"
    r"report-json|report-html|show-secrets)(?![\w-])"
)
# Whether the verdict table is coloured: decided once, at configure, on the terminal's stream.
MARKUP_KEY: pytest.StashKey[bool] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "recall-sim", "recall-sim conformance suite for an access-token callback"
    )
    group.addoption("--callback-url", help="run the conformance suite against this callback URL")
    group.addoption("--callback-client-id", help="the Zoom OAuth app's client id")
    group.addoption("--callback-expect-user-id", help="the Zoom user id the URL's token is for")
    group.addoption("--callback-other-user-url", help="another user's callback URL")
    group.addoption(
        "--callback-secret-param",
        action="append",
        default=[],
        help="a query parameter that carries the credential (repeatable)",
    )
    group.addoption(
        "--callback-secret-path-segment",
        type=int,
        help="index of the path segment that carries the credential",
    )
    group.addoption("--callback-signing-secret", help="the Recall verification secret (whsec_...)")
    group.addoption("--callback-zoom-admin", help="the fake Zoom's control base URL")
    group.addoption("--callback-burst", type=int, default=20, help="concurrent calls in load.burst")
    group.addoption(
        "--callback-freshness-window",
        type=float,
        default=35.0,
        help="seconds of repeated calls for freshness.refresh-before-expiry",
    )
    group.addoption(
        "--callback-fuzz-examples", type=int, default=120, help="wrong credentials Hypothesis tries"
    )
    group.addoption("--callback-seed", type=int, help="Hypothesis seed for credential fuzzing")
    group.addoption("--callback-strict", action="store_true", help="warnings fail the run")
    group.addoption(
        "--callback-rule",
        action="append",
        default=[],
        help="run only this rule id or group (repeatable)",
    )
    group.addoption("--callback-report-json", help="write the JSON report here")
    group.addoption(
        "--callback-color",
        choices=("auto", "always", "never"),
        help="colour the verdict table (default: as pytest's --color; NO_COLOR is respected)",
    )
    group.addoption(
        "--callback-report-html", help="write the HTML report here (causes, timeline, rules)"
    )
    group.addoption(
        "--callback-show-secrets",
        action="store_true",
        help="print tokens and secrets whole (never in CI)",
    )


def in_own_options(config: pytest.Config, text: str) -> str:
    """``text`` with check's option names as this route spells them: unchanged under
    ``recall-sim check``, ``--callback-...`` under ``pytest --callback-url``."""
    if config.stash.get(CLI_ROUTE_KEY, False):
        return text
    return _CHECK_OPTIONS.sub(r"--callback-\1", text)


def pytest_configure(config: pytest.Config) -> None:
    url = config.getoption("--callback-url", default=None)
    if not url:
        return
    from recall_sim.conformance.config import CheckConfig, UsageError
    from recall_sim.conformance.run import ConformanceRun

    option = config.getoption
    try:
        check = CheckConfig(
            url=url,
            client_id=option("--callback-client-id"),
            expect_user_id=option("--callback-expect-user-id"),
            other_user_url=option("--callback-other-user-url"),
            secret_params=tuple(option("--callback-secret-param")),
            secret_path_segment=option("--callback-secret-path-segment"),
            signing_secret=option("--callback-signing-secret"),
            zoom_admin=option("--callback-zoom-admin"),
            burst=option("--callback-burst"),
            freshness_window=option("--callback-freshness-window"),
            fuzz_examples=option("--callback-fuzz-examples"),
            seed=option("--callback-seed"),
            strict=option("--callback-strict"),
            show_secrets=option("--callback-show-secrets"),
            rules=tuple(option("--callback-rule")),
        ).validate()
        config.stash[JUNIT_KEY] = _check_output_paths(config)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    run = config.stash[RUN_KEY] = ConformanceRun(
        check, baseline=config.stash.get(PREFLIGHT_KEY, None)
    )
    _wire_terminal(config, run)
    if str(SUITE) not in config.args:
        config.args.append(str(SUITE))


def _wire_terminal(config: pytest.Config, run: ConformanceRun) -> None:
    """Colour for the verdict table, and long rules' progress on a terminal (none without).

    pytest's terminal reporter writes to the ``sys.stdout`` of this moment, before output
    capturing takes it over for each test, so progress goes there too.
    """
    import contextlib
    import sys

    from recall_sim.conformance.terminal import ProgressLine, can_rewrite, should_do_markup

    stream = sys.stdout
    # --callback-color wins; else pytest's own --color (yes/no/auto), so both agree.
    color = config.getoption("--callback-color") or {"yes": "always", "no": "never"}.get(
        getattr(config.option, "color", "auto"), "auto"
    )
    config.stash[MARKUP_KEY] = should_do_markup(stream, color)
    if not can_rewrite(stream) or hasattr(config, "workerinput"):  # xdist workers: no tty
        return
    writer = config.get_terminal_writer
    capture = config.pluginmanager.get_plugin("capturemanager")  # as pytest's live logging
    line = ProgressLine(
        stream,
        width=lambda: writer().fullwidth,
        column=lambda: writer().width_of_current_line,
        guard=capture.global_and_fixture_disabled if capture else contextlib.nullcontext,
    )

    class TerminalProgress:
        def update(self, progress: Progress) -> None:
            if config.pluginmanager.has_plugin("terminalreporter"):  # absent with -p no:terminal
                line.show(progress.line())

        def end(self, rule_id: str) -> None:
            line.clear()

    run.context.progress_listener = TerminalProgress()


def _check_output_paths(config: pytest.Config) -> Path | None:
    """Fail now, not after the whole suite, when a report could not be written."""
    from recall_sim.conformance.report import check_output_path, check_output_paths_differ

    outputs: list[tuple[str, Path]] = []
    for option in ("--callback-report-json", "--callback-report-html"):
        report_path = config.getoption(option)
        if report_path:
            outputs.append((option, Path(report_path)))
    junit: Path | None = None
    # Absent with -p no:junitxml; pytest-xdist workers leave the file to the controller.
    xmlpath = getattr(config.option, "xmlpath", None)
    if xmlpath and not hasattr(config, "workerinput"):
        # The same resolution as pytest's junitxml plugin, so both name one file.
        junit = Path(
            os.path.normpath(os.path.abspath(os.path.expanduser(os.path.expandvars(xmlpath))))
        )
        outputs.append(("--junitxml", junit))
    for option, path in outputs:
        check_output_path(option, path)
    for first, second in itertools.combinations(outputs, 2):
        check_output_paths_differ(first, second)
    return junit


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    run = terminalreporter.config.stash.get(RUN_KEY, None)
    if run is None or not run.report.results:
        return
    report = run.finish()
    config = terminalreporter.config

    def say(text: str) -> None:
        terminalreporter.write_line(in_own_options(config, text))

    # Causes first, each once: one cause often explains several failed rules (SPEC §8).
    if report.causes:
        count = len(report.causes)
        terminalreporter.write_sep("=", f"recall-sim: {count} cause{'s' if count > 1 else ''}")
        say(report.causes_text())
        terminalreporter.write_line("")
    explained = [r for r in report.results if r.outcome.value in ("fail", "warn")]
    if explained:
        terminalreporter.write_sep("=", "recall-sim: failures and warnings")
        for result in explained:
            say(result.explain(cause=report.cause_of(result.rule)))
            terminalreporter.write_line("")
    terminalreporter.write_sep("=", f"recall-sim conformance: {report.target}")
    markup = terminalreporter.config.stash.get(MARKUP_KEY, False)
    say(report.table(terminalreporter._tw.fullwidth, markup=markup))


# trylast: after pytest's junitxml plugin has written its file, which this may amend.
@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        run.interrupt()
    report = run.finish()
    path = session.config.getoption("--callback-report-json", default=None)
    if path:
        report.write_json(Path(path))
    junit = session.config.stash.get(JUNIT_KEY, None)
    if report.interrupted and junit is not None and junit.is_file():
        from recall_sim.conformance.report import mark_junit_interrupted

        mark_junit_interrupted(
            junit,
            rule=run.interrupted_during,
            message=f"recall-sim: {run.interruption(name_rules=False)}",
        )
    if junit is not None and junit.is_file():
        from recall_sim.conformance.renderers.junit import polish_junit

        config = session.config
        polish_junit(junit, report.to_json(), reword=lambda text: in_own_options(config, text))
    html_path = session.config.getoption("--callback-report-html", default=None)
    if html_path:
        from recall_sim.conformance.renderers.html import write_html

        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        write_html(report.to_json(), Path(html_path), say=reporter.write_line if reporter else None)
