"""The conformance suite's pytest options and hooks (re-exported by ``conformance.plugin``).

Import-light on purpose: pytest loads this in every run of every project that has
recall-sim installed. Nothing heavy is imported unless ``--callback-url`` is given.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from recall_sim.conformance.config import CheckSettings
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
# The run's settings: handed over by `recall-sim check`, or resolved from --callback-*.
SETTINGS_KEY: pytest.StashKey[CheckSettings] = pytest.StashKey()
# Whether the verdict table is coloured: decided once, at configure, on the terminal's stream.
MARKUP_KEY: pytest.StashKey[bool] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--callback-<option>`` for each of ``check``'s options in the one options table
    (``--callback-url`` for the URL; JUnit XML is pytest's own ``--junitxml``)."""
    from recall_sim.simulator.commands.options import options_for

    group = parser.getgroup(
        "recall-sim", "recall-sim conformance suite for an access-token callback"
    )
    for option in options_for("check"):
        if not option.in_plugin:
            continue
        help_text = f"{option.help} [env {option.env}]"
        if option.kind == "flag":
            group.addoption(_flag(option.name), action="store_true", default=None, help=help_text)
        else:
            action = "append" if option.kind == "list" else "store"
            group.addoption(_flag(option.name), action=action, default=None, help=help_text)


def _flag(name: str) -> str:
    return f"--callback-{name}"


@functools.cache
def _check_options() -> re.Pattern[str]:
    """check's options as flags in text (``--zoom-admin``), from the one options table."""
    from recall_sim.simulator.commands.options import options_for

    names = "|".join(re.escape(o.name) for o in options_for("check") if o.in_plugin)
    return re.compile(rf"(?<![\w-])--({names})(?![\w-])")


def in_own_options(config: pytest.Config, text: str) -> str:
    """``text`` with check's option names as this route spells them: unchanged under
    ``recall-sim check``, ``--callback-...`` under ``pytest --callback-url``, where reasons
    and fixes must name the plugin's own options."""
    if config.stash.get(CLI_ROUTE_KEY, False):
        return text
    return _check_options().sub(r"--callback-\1", text)


def pytest_configure(config: pytest.Config) -> None:
    settings = config.stash.get(SETTINGS_KEY, None)  # `recall-sim check` resolved them
    if settings is None:
        if not config.getoption("--callback-url", default=None):
            return
        settings = _settings_from_options(config)
        config.stash[SETTINGS_KEY] = settings
    from recall_sim.conformance.config import UsageError
    from recall_sim.conformance.run import ConformanceRun

    try:
        check = settings.config.validate()
        config.stash[JUNIT_KEY] = _check_output_paths(config, settings)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    run = config.stash[RUN_KEY] = ConformanceRun(
        check, baseline=config.stash.get(PREFLIGHT_KEY, None)
    )
    _wire_terminal(config, run, settings)
    if str(SUITE) not in config.args:
        config.args.append(str(SUITE))


def _settings_from_options(config: pytest.Config) -> CheckSettings:
    """The ``--callback-*`` flags over ``RECALL_SIM_*`` and the config file, as ``check``."""
    from recall_sim.conformance.config import check_settings
    from recall_sim.simulator.commands.layers import ConfigError, resolve
    from recall_sim.simulator.commands.options import options_for

    given = {
        option.field: config.getoption(_flag(option.name))
        for option in options_for("check")
        if option.in_plugin
    }
    try:
        resolved = resolve(
            "check",
            given,
            environ=os.environ,
            cwd=Path.cwd(),
            flag_name=lambda option: _flag(option.name),
        )
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    for warning in resolved.warnings:
        config.issue_config_time_warning(pytest.PytestConfigWarning(warning), stacklevel=2)
    return check_settings(resolved)


def _wire_terminal(config: pytest.Config, run: ConformanceRun, settings: CheckSettings) -> None:
    """Colour for the verdict table, and long rules' progress on a terminal (none without).

    pytest's terminal reporter writes to the ``sys.stdout`` of this moment, before output
    capturing takes it over for each test, so progress goes there too.
    """
    import contextlib
    import sys

    from recall_sim.conformance.terminal import ProgressLine, can_rewrite, should_do_markup

    stream = sys.stdout
    # --callback-color wins; else pytest's own --color (yes/no/auto), so both agree.
    color = settings.color
    if color == "auto":
        color = {"yes": "always", "no": "never"}.get(
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


def _check_output_paths(config: pytest.Config, settings: CheckSettings) -> Path | None:
    """Fail now, not after the whole suite, when a report could not be written."""
    from recall_sim.conformance.report import check_output_path, check_output_paths_differ

    outputs: list[tuple[str, Path]] = []
    for option, report_path in (
        ("--callback-report-json", settings.report_json),
        ("--callback-report-html", settings.report_html),
    ):
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
    kind = "" if report.kind == "access-token" else f" (--kind {report.kind})"
    terminalreporter.write_sep("=", f"recall-sim conformance: {report.target}{kind}")
    for note in report.notes:  # SPEC §7: the assumed budget of these kinds, said every time
        if kind and "is an assumption" in note:
            terminalreporter.write_line(f"note: {note}")
    if report.sources_text():
        terminalreporter.write_line(report.sources_text())
    markup = terminalreporter.config.stash.get(MARKUP_KEY, False)
    table = report.table(
        terminalreporter._tw.fullwidth, markup=markup, terminal=terminalreporter.isatty()
    )
    say(table)


# trylast: after pytest's junitxml plugin has written its file, which this may amend.
@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        run.interrupt()
    report = run.finish()
    settings = session.config.stash[SETTINGS_KEY]
    if settings.report_json:
        report.write_json(Path(settings.report_json))
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
    html_path = settings.report_html
    if html_path:
        from recall_sim.conformance.renderers.html import write_html

        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        write_html(report.to_json(), Path(html_path), say=reporter.write_line if reporter else None)
