"""``recall-sim watch URL``: the options, parsed into `WatchSettings` for `run_watch`."""

from __future__ import annotations

import argparse

from recall_sim.conformance.watch.session import run_watch
from recall_sim.conformance.watch.settings import WatchSettings
from recall_sim.simulator.commands.layers import load_or_exit
from recall_sim.simulator.commands.options import add_options, secret_policy
from recall_sim.simulator.kinds import TokenKind

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, "watch")  # one table for check, watch and probe


def run(args: argparse.Namespace) -> int:
    values = load_or_exit("watch", args)
    settings = WatchSettings(
        url=values["url"],
        client_id=values["client_id"],
        expect_user_id=values["expect_user_id"],
        kind=TokenKind(values["kind"]),
        signing_secret=values["signing_secret"],
        zoom_admin=values["zoom_admin"],
        secrets=secret_policy(values),
        show_secrets=values["show_secrets"],
        strict=values["strict"],
        interval=values["interval"],
        duration=values["duration"],
        until_fail=values["until_fail"],
        jsonl=values["jsonl"],
        report_json=values["report_json"],
        report_html=values["report_html"],
        color=values["color"],
        config_sources=tuple(values.sources.items()),
    )
    return run_watch(settings)
