"""``recall-sim probe URL``: one call the way Recall makes it, then a diagnosis."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass

from recall_sim.simulator.commands.layers import load_or_exit
from recall_sim.simulator.commands.options import add_options, secret_policy
from recall_sim.simulator.diagnosis import diagnosis_json, diagnosis_text
from recall_sim.simulator.judge import judge
from recall_sim.simulator.kinds import ASSUMED_BUDGET_NOTE, TokenKind
from recall_sim.simulator.prober import DEFAULT_DEADLINE, probe, url_problem
from recall_sim.simulator.redaction import MASK, NO_NAMED_SECRETS, SecretPolicy
from recall_sim.simulator.signing import signature_headers, unsigned_refusal_hint

__all__ = ["ProbeSettings", "add_arguments", "run", "run_probe"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class ProbeSettings:
    url: str
    client_id: str | None = None
    expect_user_id: str | None = None
    kind: TokenKind = TokenKind.ACCESS_TOKEN  # which token callback (SPEC §7)
    deadline: float = DEFAULT_DEADLINE
    as_json: bool = False
    show_secrets: bool = False
    secrets: SecretPolicy = NO_NAMED_SECRETS  # --secret-param / --secret-path-segment
    signing_secret: str | None = None  # sign the GET like Recall (Standard Webhooks)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, "probe")


def run(args: argparse.Namespace) -> int:
    values = load_or_exit("probe", args)
    settings = ProbeSettings(
        url=values["url"],
        client_id=values["client_id"],
        expect_user_id=values["expect_user_id"],
        kind=TokenKind(values["kind"]),
        deadline=values["deadline"],
        as_json=values["as_json"],
        show_secrets=values["show_secrets"],
        secrets=secret_policy(values),
        signing_secret=values["signing_secret"],
    )
    return run_probe(settings)


def run_probe(settings: ProbeSettings) -> int:
    """Probe, print the diagnosis, and return the exit code (0 accepted, 1 a rule failed)."""
    problem = url_problem(settings.url)
    if problem is not None:
        # The prober's own check, so every URL it would refuse is refused here with exit 2.
        shown = settings.secrets.mask_url(settings.url, show=settings.show_secrets)
        which = "" if shown == MASK else f" {shown!r}"  # unparseable: the problem names the part
        print(f"recall-sim probe: error: URL{which} is not callable: {problem}", file=sys.stderr)
        return EXIT_USAGE
    headers = None
    if settings.signing_secret is not None:
        headers = signature_headers(settings.signing_secret, timestamp=time.time())
    observation = probe(settings.url, deadline=settings.deadline, headers=headers)
    hint = unsigned_refusal_hint(observation.status, signed=headers is not None)
    judgement = judge(
        observation,
        client_id=settings.client_id,
        expected_user_id=settings.expect_user_id,
        kind=settings.kind,
    )
    assumed = None
    if settings.kind is not TokenKind.ACCESS_TOKEN:
        assumed = ASSUMED_BUDGET_NOTE.format(kind=settings.kind.value)
    if settings.as_json:
        report = diagnosis_json(
            judgement, show_secrets=settings.show_secrets, secrets=settings.secrets
        )
        if hint is not None:
            report["hint"] = hint
        if assumed is not None:
            report["kind"], report["note"] = settings.kind.value, assumed
        print(json.dumps(report, indent=2, default=str))
    else:
        text = diagnosis_text(
            judgement, show_secrets=settings.show_secrets, secrets=settings.secrets
        )
        sys.stdout.write(text + (f"Hint: {hint}\n" if hint is not None else ""))
        if assumed is not None:
            sys.stdout.write(f"Note: {assumed}\n")
    return EXIT_OK if judgement.accepted else EXIT_FAILED
