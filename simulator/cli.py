"""The ``recall-sim`` command: a thin argparse layer over each command's typed ``run``.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported only when their command runs, so
``recall-sim probe`` never pays for the simulator's or the suite's imports.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
from collections.abc import Sequence

from recall_sim.simulator.commands.help import MAIN_EPILOG, help_epilog

__all__ = ["main"]

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "probe": (
        "recall_sim.simulator.commands.probe",
        "call a callback URL once, the way Recall does, and diagnose it",
    ),
    "serve": (
        "recall_sim.simulator.commands.serve",
        "run the fake Recall and fake Zoom on 127.0.0.1",
    ),
    "wait": (
        "recall_sim.simulator.commands.wait",
        "wait until a URL answers (a service started in the background in CI)",
    ),
    "connect": (
        "recall_sim.simulator.commands.connect",
        "onboard a test user into your app through the fake Zoom, without a browser",
    ),
    "check": ("recall_sim.conformance.cli", "run the conformance suite against a callback URL"),
    "report": (
        "recall_sim.conformance.journal_report",
        "write the HTML report (causes, timeline charts, rules) of a serve journal",
    ),
    "watch": (
        "recall_sim.conformance.watch.cli",
        "call a callback URL again and again, the way Recall does, and show it live",
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = _parser_for(args_list)
    args = parser.parse_args(args_list)
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        code: int = module.run(args)
    except KeyboardInterrupt:
        return 130
    return code


def _parser_for(argv: list[str]) -> argparse.ArgumentParser:
    """A parser whose requested subcommand has its full options loaded (others stay lazy)."""
    requested = next((arg for arg in argv if not arg.startswith("-")), None)
    parser = argparse.ArgumentParser(
        prog="recall-sim",
        description=(
            "Simulate Recall.ai's side of customer-managed Zoom OAuth "
            "and check access-token callbacks."
        ),
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"recall-sim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=help_epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == requested:
            importlib.import_module(module_name).add_arguments(command_parser)
    return parser


def _version() -> str:
    # The installed distribution's version, so it can never disagree with pip's.
    try:
        return importlib.metadata.version("recall-sim")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


if __name__ == "__main__":
    raise SystemExit(main())
