"""``recall-sim check URL``: the conformance suite through pytest, with CI-friendly exit codes.

0 no rule failed (warnings allowed unless --strict), 1 a rule failed, 2 a usage or
environment error found before any rule ran (SPEC §4), 130 interrupted (Ctrl-C), with
the reports of the rules that finished marked as interrupted.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from typing import TYPE_CHECKING

from recall_sim.conformance.config import CheckConfig, CheckSettings, UsageError, check_settings
from recall_sim.simulator.commands.layers import load_or_exit
from recall_sim.simulator.commands.options import add_options

if TYPE_CHECKING:
    from collections.abc import Generator

    import pytest

    from recall_sim.simulator.observation import Observation

__all__ = ["CheckSettings", "add_arguments", "run", "run_check"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as `recall-sim` answers Ctrl-C everywhere
# Errors that mean "nothing is listening there", as opposed to a callback that misbehaves.
_UNREACHABLE = {"dns-failure", "connection-refused", "invalid-url", "connect-error"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, "check")  # one table for check, watch, probe and the pytest plugin


def run(args: argparse.Namespace) -> int:
    return run_check(check_settings(load_or_exit("check", args)))


def run_check(settings: CheckSettings) -> int:
    """Validate, make sure the target is there, then run the suite; return the exit code."""
    try:
        config = settings.config.validate()
        _check_outputs(settings)
        baseline = _preflight(config)
    except UsageError as exc:
        print(f"recall-sim check: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return _interrupted("interrupted before any rule ran")
    import pytest

    from recall_sim.conformance.pytest_options import RUN_KEY, SUITE

    guard = _ctrl_c_guard()
    handoff = _handoff(settings, baseline)
    code = pytest.main(_pytest_args(settings, str(SUITE)), plugins=[guard, handoff])
    run = guard.config.stash.get(RUN_KEY, None) if guard.config is not None else None
    if run is not None and (run.report.interrupted or code == pytest.ExitCode.INTERRUPTED):
        return _interrupted(run.interruption())
    if code == pytest.ExitCode.INTERRUPTED:
        return _interrupted("interrupted before any rule ran")
    if run is not None and settings.output_format == "github":
        from recall_sim.conformance.renderers.github import render_annotations

        annotations = render_annotations(run.finish().to_json(), strict=config.strict)
        if annotations:
            print(annotations, flush=True)
    if code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return int(code)
    return EXIT_USAGE


def _interrupted(line: str) -> int:
    print(f"recall-sim check: {line}", file=sys.stderr)
    # CPython 3.11 remembers a KeyboardInterrupt that landed in exec()'d code (Hypothesis
    # and dataclasses generate code that way) even once it was handled, and under
    # `python -m` turns the exit status into death by SIGINT. Running exec() once more
    # resets that memory, so the status is 130 however the command was started.
    exec("None")  # noqa: S102 - a constant, no input involved
    return EXIT_INTERRUPTED


def _check_outputs(settings: CheckSettings) -> None:
    """A report that cannot be written is a usage error now, not a traceback after the run."""
    from recall_sim.conformance.report import check_output_path, check_output_paths_differ

    outputs = [
        ("--report-json", settings.report_json),
        ("--junitxml", settings.junitxml),
        ("--report-html", settings.report_html),
    ]
    given = [(option, path) for option, path in outputs if path is not None]
    for option, path in given:
        check_output_path(option, path)
    for first, second in itertools.combinations(given, 2):
        check_output_paths_differ(first, second)


class _CtrlC:
    """A pytest plugin for ``check``'s own run: Ctrl-C while rules run ends the suite as
    if it had finished, so every report is written (marked interrupted) and the command
    prints one line instead of pytest's KeyboardInterrupt banner and trace.

    Built by `_ctrl_c_guard`, because pytest is imported only once a run starts.
    """

    config: pytest.Config | None


def _ctrl_c_guard() -> _CtrlC:
    import pytest

    from recall_sim.conformance.pytest_options import RUN_KEY

    class Guard(_CtrlC):
        def __init__(self) -> None:
            self.config = None

        def pytest_configure(self, config: pytest.Config) -> None:
            self.config = config

        @pytest.hookimpl(wrapper=True)
        def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
            try:
                return (yield)
            except KeyboardInterrupt:
                run = session.config.stash.get(RUN_KEY, None)
                if run is not None:
                    run.interrupt()
                return True

    return Guard()


def _handoff(settings: CheckSettings, observation: Observation) -> object:
    """A pytest plugin that gives the run its settings, resolved once here (never turned
    back into flags, so no secret is ever an argument), and the preflight's call as its
    baseline, so the target is called once for both (a hanging one costs 5 s once)."""
    import pytest

    from recall_sim.conformance.pytest_options import CLI_ROUTE_KEY, PREFLIGHT_KEY, SETTINGS_KEY

    class Handoff:
        # tryfirst: the suite's own pytest_configure builds the run from the stash.
        @pytest.hookimpl(tryfirst=True)
        def pytest_configure(self, config: pytest.Config) -> None:
            config.stash[SETTINGS_KEY] = settings
            config.stash[PREFLIGHT_KEY] = observation
            config.stash[CLI_ROUTE_KEY] = True  # reasons name check's own options

    return Handoff()


def _preflight(config: CheckConfig) -> Observation:
    """Exit-2 conditions: nothing listening at the target or at the Zoom admin. The
    call it makes is the run's baseline (`_handoff`)."""
    from recall_sim.conformance.context import CheckContext
    from recall_sim.conformance.zoom_admin import ZoomAdmin, ZoomAdminError

    context = CheckContext(config)
    observation = context.call()
    if observation.error is not None and observation.error.kind.value in _UNREACHABLE:
        raise UsageError(
            f"target {context.mask(config.url)} unreachable before any rule ran "
            f"({observation.error.kind.value}): {observation.error.message}"
        )
    if config.zoom_admin is not None:
        admin = ZoomAdmin(config.zoom_admin)
        try:
            admin.check()
        except ZoomAdminError as exc:
            raise UsageError(str(exc)) from None
        finally:
            admin.close()
    return observation


def _pytest_args(settings: CheckSettings, suite: str) -> list[str]:
    """pytest's own options; the suite's settings go through `_handoff`."""
    args = [
        suite,
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=no",
        "-rN",
        "--no-header",
        "-o",
        "junit_family=xunit2",
        "-o",
        "junit_suite_name=recall-sim",
        "-o",
        "addopts=",
        # The suite's verdicts are its report; pytest's own warnings (e.g. on assertion
        # rewriting of modules the preflight imported) are noise in a CI log.
        "-p",
        "no:warnings",
        # pytest's own colour follows ours, so its summary line and our table agree.
        "--color",
        {"always": "yes", "never": "no"}.get(settings.color, "auto"),
    ]
    if settings.junitxml is not None:
        args += ["--junitxml", str(settings.junitxml)]
    return args
