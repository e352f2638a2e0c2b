"""``recall-sim probe URL``: one call the way Recall makes it, then a diagnosis."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from recall_sim.simulator.commands.arguments import add_secret_arguments, bounded, secret_policy
from recall_sim.simulator.diagnosis import diagnosis_json, diagnosis_text
from recall_sim.simulator.judge import judge
from recall_sim.simulator.prober import DEFAULT_DEADLINE, probe, url_problem
from recall_sim.simulator.redaction import MASK, NO_NAMED_SECRETS, SecretPolicy

__all__ = ["ProbeSettings", "add_arguments", "run", "run_probe"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class ProbeSettings:
    url: str
    client_id: str | None = None
    expect_user_id: str | None = None
    deadline: float = DEFAULT_DEADLINE
    as_json: bool = False
    show_secrets: bool = False
    secrets: SecretPolicy = NO_NAMED_SECRETS  # --secret-param / --secret-path-segment


_deadline = bounded(
    float,
    0.0,
    120.0,
    low_inclusive=False,
    malformed="--deadline must be seconds, got {text!r}",
    out_of_range="--deadline must be in (0, 120] seconds, got {text}",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", help="the access-token callback URL, as registered")
    parser.add_argument("--client-id", help="the Zoom OAuth app's client id (checks the issuer)")
    parser.add_argument("--expect-user-id", help="the Zoom user id the token must belong to")
    add_secret_arguments(parser)
    parser.add_argument(
        "--deadline",
        type=_deadline,
        default=DEFAULT_DEADLINE,
        help="seconds to wait for the answer (default 5); a longer wait shows how late a "
        "slow answer is, but the grade is always Recall's 5 s budget",
    )
    parser.add_argument("--json", dest="as_json", action="store_true", help="print JSON")
    parser.add_argument(
        "--show-secrets", action="store_true", help="print tokens and URL secrets whole"
    )


def run(args: argparse.Namespace) -> int:
    settings = ProbeSettings(
        url=args.url,
        client_id=args.client_id,
        expect_user_id=args.expect_user_id,
        deadline=args.deadline,
        as_json=args.as_json,
        show_secrets=args.show_secrets,
        secrets=secret_policy(args),
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
    observation = probe(settings.url, deadline=settings.deadline)
    judgement = judge(
        observation, client_id=settings.client_id, expected_user_id=settings.expect_user_id
    )
    if settings.as_json:
        report = diagnosis_json(
            judgement, show_secrets=settings.show_secrets, secrets=settings.secrets
        )
        print(json.dumps(report, indent=2, default=str))
    else:
        text = diagnosis_text(
            judgement, show_secrets=settings.show_secrets, secrets=settings.secrets
        )
        sys.stdout.write(text)
    return EXIT_OK if judgement.accepted else EXIT_FAILED
