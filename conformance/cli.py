"""``recall-sim check URL``: the conformance suite through pytest, with CI-friendly exit codes.

0 no rule failed (warnings allowed unless --strict), 1 a rule failed, 2 a usage or
environment error found before any rule ran (SPEC §4), 130 interrupted (Ctrl-C), with
the reports of the rules that finished marked as interrupted.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from recall_sim.conformance.config import (
    DEFAULT_BURST,
    DEFAULT_FRESHNESS_WINDOW,
    DEFAULT_FUZZ_EXAMPLES,
    CheckConfig,
    UsageError,
)
from recall_sim.conformance.terminal import COLOR_CHOICES
from recall_sim.simulator.commands.arguments import add_secret_arguments

if TYPE_CHECKING:
    from collections.abc import Generator

    import pytest

    from recall_sim.simulator.observation import Observation

__all__ = ["CheckSettings", "add_arguments", "run", "run_check"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
OUTPUT_FORMATS = ("text", "github")
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as `recall-sim` answers Ctrl-C everywhere
# Errors that mean "nothing is listening there", as opposed to a callback that misbehaves.
_UNREACHABLE = {"dns-failure", "connection-refused", "invalid-url", "connect-error"}


@dataclass(frozen=True)
class CheckSettings:
    config: CheckConfig
    report_json: Path | None = None
    junitxml: Path | None = None
    report_html: Path | None = None
    color: str = "auto"  # the verdict table's colour: auto, always or never
    # "github": also print one workflow annotation per failed or warned rule.
    output_format: str = "text"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", help="the access-token callback URL, as registered")
    add = parser.add_argument
    add("--client-id", help="the Zoom OAuth app's client id (checks the token's issuer)")
    add("--expect-user-id", help="the Zoom user id the URL's token must belong to")
    add("--other-user-url", help="another user's callback URL (isolation rules)")
    add_secret_arguments(parser)  # the same options, with the same meaning, as probe and serve
    add(
        "--signing-secret",
        metavar="WHSEC",
        help="your Recall workspace's verification secret (whsec_...): requests are signed, "
        "and unsigned ones must be refused",
    )
    add(
        "--zoom-admin",
        metavar="URL",
        help="the fake Zoom's control base, e.g. http://127.0.0.1:8700/_sim/zoom (freshness rules)",
    )
    add(
        "--burst",
        type=int,
        default=DEFAULT_BURST,
        metavar="N",
        help=f"concurrent calls in load.burst (default {DEFAULT_BURST})",
    )
    add(
        "--freshness-window",
        type=float,
        default=DEFAULT_FRESHNESS_WINDOW,
        metavar="S",
        help=f"seconds of repeated calls (default {DEFAULT_FRESHNESS_WINDOW:g})",
    )
    add(
        "--fuzz-examples",
        type=int,
        default=DEFAULT_FUZZ_EXAMPLES,
        metavar="N",
        help=f"wrong credentials to try (default {DEFAULT_FUZZ_EXAMPLES})",
    )
    add("--seed", type=int, help="Hypothesis seed, to replay a run's credential fuzzing")
    add("--strict", action="store_true", help="warnings fail the run too")
    add(
        "--rule",
        action="append",
        default=[],
        metavar="ID_OR_GROUP",
        help="run only this rule id or group, e.g. auth or contract.deadline-5s (repeatable)",
    )
    add("--report-json", type=Path, metavar="PATH", help="write the JSON report here")
    add("--junitxml", type=Path, metavar="PATH", help="write JUnit XML (one case per rule)")
    add(
        "--report-html",
        type=Path,
        metavar="PATH",
        help="write the HTML report here: causes, timeline charts, every rule (one offline file)",
    )
    add(
        "--show-secrets",
        action="store_true",
        help="print tokens and URL secrets whole (never in CI logs)",
    )
    add(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        help="colour the verdict table: auto (a terminal, unless NO_COLOR is set), always, never",
    )
    add(
        "--format",
        choices=OUTPUT_FORMATS,
        default="text",
        dest="output_format",
        help="text: the table and explanations; github: those, then a GitHub Actions "
        "::error/::warning annotation per failed or warned rule (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    config = CheckConfig(
        url=args.url,
        client_id=args.client_id,
        expect_user_id=args.expect_user_id,
        other_user_url=args.other_user_url,
        secret_params=tuple(args.secret_param),
        secret_path_segment=args.secret_path_segment,
        signing_secret=args.signing_secret,
        zoom_admin=args.zoom_admin,
        burst=args.burst,
        freshness_window=args.freshness_window,
        fuzz_examples=args.fuzz_examples,
        seed=args.seed,
        strict=args.strict,
        show_secrets=args.show_secrets,
        rules=tuple(args.rule),
    )
    return run_check(
        CheckSettings(
            config,
            args.report_json,
            args.junitxml,
            args.report_html,
            color=args.color,
            output_format=args.output_format,
        )
    )


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
    handoff = _baseline_handoff(baseline)
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


def _baseline_handoff(observation: Observation) -> object:
    """A pytest plugin that gives the run the preflight's call as its baseline, so the
    target is called once for both (a hanging one costs the 5 s deadline once)."""
    import pytest

    from recall_sim.conformance.pytest_options import CLI_ROUTE_KEY, PREFLIGHT_KEY

    class Handoff:
        # tryfirst: the suite's own pytest_configure builds the run from the stash.
        @pytest.hookimpl(tryfirst=True)
        def pytest_configure(self, config: pytest.Config) -> None:
            config.stash[PREFLIGHT_KEY] = observation
            config.stash[CLI_ROUTE_KEY] = True  # reasons name check's own options

    return Handoff()


def _preflight(config: CheckConfig) -> Observation:
    """Exit-2 conditions: nothing listening at the target or at the Zoom admin. The
    call it makes is the run's baseline (`_baseline_handoff`)."""
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
    config = settings.config
    args = [
        suite,
        "--callback-url",
        config.url,
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
    ]
    options: list[tuple[str, object]] = [
        # pytest's own colour follows ours, so its summary line and our table agree.
        ("--color", {"always": "yes", "never": "no"}.get(settings.color, "auto")),
        ("--callback-color", settings.color),
        ("--callback-client-id", config.client_id),
        ("--callback-expect-user-id", config.expect_user_id),
        ("--callback-other-user-url", config.other_user_url),
        ("--callback-secret-path-segment", config.secret_path_segment),
        ("--callback-signing-secret", config.signing_secret),
        ("--callback-zoom-admin", config.zoom_admin),
        ("--callback-burst", config.burst),
        ("--callback-freshness-window", config.freshness_window),
        ("--callback-fuzz-examples", config.fuzz_examples),
        ("--callback-seed", config.seed),
        ("--callback-report-json", settings.report_json),
        ("--junitxml", settings.junitxml),
        ("--callback-report-html", settings.report_html),
    ]
    options += [("--callback-secret-param", name) for name in config.secret_params]
    options += [("--callback-rule", rule) for rule in config.rules]
    for flag, value in options:
        if value is not None:
            args += [flag, str(value)]
    if config.strict:
        args.append("--callback-strict")
    if config.show_secrets:
        args.append("--callback-show-secrets")
    return args
