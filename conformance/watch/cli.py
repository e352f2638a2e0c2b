"""``recall-sim watch URL``: the options, parsed into `WatchSettings` for `run_watch`."""

from __future__ import annotations

import argparse
from pathlib import Path

from recall_sim.conformance.terminal import COLOR_CHOICES
from recall_sim.conformance.watch.session import run_watch
from recall_sim.conformance.watch.settings import (
    DEFAULT_INTERVAL,
    MAX_DURATION,
    MAX_INTERVAL,
    WatchSettings,
)
from recall_sim.simulator.commands.arguments import add_secret_arguments, bounded, secret_policy

__all__ = ["add_arguments", "run"]

_interval = bounded(
    float,
    0.0,
    MAX_INTERVAL,
    low_inclusive=False,
    malformed="--interval must be seconds, got {text!r}",
    out_of_range=f"--interval must be in (0, {MAX_INTERVAL:g}] seconds, got {{text}}",
)
_duration = bounded(
    float,
    0.0,
    MAX_DURATION,
    low_inclusive=False,
    malformed="--duration must be seconds, got {text!r}",
    out_of_range=f"--duration must be in (0, {MAX_DURATION:g}] seconds, got {{text}}",
)

_EPILOG = """\
exit codes: 0 no rule failed on any call (warnings allowed unless --strict), 1 a rule
failed on some call, 2 usage or environment error (the target unreachable at the first
call), 130 Ctrl-C before the end asked with --duration or --until-fail. Without either,
Ctrl-C is how the watch ends: it writes the reports and exits 0 or 1 by the verdicts.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = _EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add = parser.add_argument
    add("url", metavar="URL", help="the access-token callback URL, as registered")
    add("--client-id", help="the Zoom OAuth app's client id (checks the token's issuer)")
    add("--expect-user-id", help="the Zoom user id the URL's token must belong to")
    add_secret_arguments(parser)  # the same options, with the same meaning, as check and probe
    add(
        "--signing-secret",
        metavar="WHSEC",
        help="your Recall workspace's verification secret (whsec_...): every call is signed",
    )
    add(
        "--zoom-admin",
        metavar="URL",
        help="the fake Zoom's control base, e.g. http://127.0.0.1:8700/_sim/zoom: its "
        "token-endpoint journal joins the timeline",
    )
    add(
        "--interval",
        type=_interval,
        default=DEFAULT_INTERVAL,
        metavar="S",
        help=f"seconds from one call's start to the next (default {DEFAULT_INTERVAL:g})",
    )
    add(
        "--duration",
        type=_duration,
        metavar="S",
        help="seconds to watch (default: until Ctrl-C)",
    )
    add(
        "--until-fail",
        action="store_true",
        help="stop after the first call a rule fails on (with --duration: whichever first)",
    )
    add("--strict", action="store_true", help="warnings fail the run too (and stop --until-fail)")
    add("--jsonl", type=Path, metavar="PATH", help="write one JSON line per call, then a summary")
    add("--report-json", type=Path, metavar="PATH", help="write the JSON report here at the end")
    add("--report-html", type=Path, metavar="PATH", help="write the HTML report here at the end")
    add(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        help="colour the output (default auto: a terminal, unless NO_COLOR is set)",
    )
    add(
        "--show-secrets",
        action="store_true",
        help="print URL secrets whole (never in CI logs); tokens stay fingerprinted",
    )


def run(args: argparse.Namespace) -> int:
    settings = WatchSettings(
        url=args.url,
        client_id=args.client_id,
        expect_user_id=args.expect_user_id,
        signing_secret=args.signing_secret,
        zoom_admin=args.zoom_admin,
        secrets=secret_policy(args),
        show_secrets=args.show_secrets,
        strict=args.strict,
        interval=args.interval,
        duration=args.duration,
        until_fail=args.until_fail,
        jsonl=args.jsonl,
        report_json=args.report_json,
        report_html=args.report_html,
        color=args.color,
    )
    return run_watch(settings)
