"""Options and argparse value types shared by the commands, so each reports a bad value alike."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

from recall_sim.simulator.redaction import SecretPolicy

__all__ = [
    "add_secret_arguments",
    "bounded",
    "parse_secret_param",
    "parse_secret_path_segment",
    "secret_policy",
]

N = TypeVar("N", int, float)


def bounded(
    parse: Callable[[str], N],
    low: N,
    high: N,
    *,
    malformed: str,
    out_of_range: str,
    low_inclusive: bool = True,
) -> Callable[[str], N]:
    """A ``type=`` for argparse: ``parse`` the text and keep it within ``[low, high]``.

    The messages are templates with ``{text}`` (what was typed) and ``{value}`` (parsed).
    """

    def convert(text: str) -> N:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(malformed.format(text=text, value=None)) from None
        above_low = low <= value if low_inclusive else low < value
        if not (above_low and value <= high):
            raise argparse.ArgumentTypeError(out_of_range.format(text=text, value=value))
        return value

    return convert


def parse_secret_param(text: str) -> str:
    name, equals, _ = text.partition("=")
    if equals:
        # NAME=VALUE by mistake: the value is the secret, so only the name is repeated back.
        raise argparse.ArgumentTypeError(
            f"--secret-param takes a parameter name, not NAME=VALUE: give {name!r}"
        )
    if not text or "&" in text or "#" in text:
        raise argparse.ArgumentTypeError(f"--secret-param must be a parameter name, got {text!r}")
    return text


def parse_secret_path_segment(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "--secret-path-segment must be a whole number (0 = first segment, -1 = last), "
            f"got {text!r}"
        ) from None


def add_secret_arguments(parser: argparse._ActionsContainer) -> None:
    """``--secret-param`` and ``--secret-path-segment``, the same for every command."""
    parser.add_argument(
        "--secret-param",
        action="append",
        default=[],
        type=parse_secret_param,
        metavar="NAME",
        help="a query (or ;matrix) parameter that carries the credential (repeatable); "
        "its value is masked in every output, besides the names that look like secrets",
    )
    parser.add_argument(
        "--secret-path-segment",
        type=parse_secret_path_segment,
        metavar="INDEX",
        help="the path segment that carries the credential (0 = first, -1 = last)",
    )


def secret_policy(args: argparse.Namespace) -> SecretPolicy:
    """What `add_secret_arguments` parsed, as the masking policy."""
    index: int | None = args.secret_path_segment
    return SecretPolicy(tuple(args.secret_param), () if index is None else (index,))
