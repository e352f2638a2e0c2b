"""Every option of ``check``, ``watch`` and ``probe`` in one table: flag, converter, default,
environment variable, config-file key and the commands that take it.

The argparse parsers, the pytest plugin's ``--callback-*`` options and the layered loader
(`recall_sim.simulator.commands.layers`) all read this table, so an option's name, type
check and default are written once. A value from the environment or a file goes through
the same converter as the flag.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from recall_sim.simulator.commands.arguments import (
    bounded,
    parse_secret_param,
    parse_secret_path_segment,
)
from recall_sim.simulator.redaction import SecretPolicy

if TYPE_CHECKING:
    from recall_sim.simulator.commands.layers import Resolved

__all__ = [
    "COLOR_CHOICES",
    "DEFAULT_BURST",
    "DEFAULT_DEADLINE",
    "DEFAULT_FRESHNESS_WINDOW",
    "DEFAULT_FUZZ_EXAMPLES",
    "DEFAULT_INTERVAL",
    "ENV_PREFIX",
    "KIND_CHOICES",
    "MAX_DURATION",
    "MAX_INTERVAL",
    "OPTIONS",
    "OUTPUT_FORMATS",
    "Command",
    "Option",
    "add_options",
    "options_for",
    "secret_policy",
]

Command = Literal["check", "watch", "probe"]
Kind = Literal["positional", "value", "flag", "list"]

ENV_PREFIX: Final = "RECALL_SIM_"
# Recall's budget (SPEC 1.2), as the prober's own default: the pytest plugin declares
# these options in every pytest run, so this table does not import the prober.
DEFAULT_DEADLINE: Final = 5.0
DEFAULT_BURST: Final = 20
DEFAULT_FRESHNESS_WINDOW: Final = 35.0
DEFAULT_FUZZ_EXAMPLES: Final = 120
DEFAULT_INTERVAL: Final = 5.0
MAX_INTERVAL: Final = 3600.0
MAX_DURATION: Final = 7 * 24 * 3600.0
COLOR_CHOICES: Final = ("auto", "always", "never")
# The token callbacks Recall calls (SPEC §7); `recall_sim.simulator.kinds.TokenKind` values,
# written out here because the pytest plugin reads this table in every pytest run.
KIND_CHOICES: Final = ("access-token", "obf", "zak", "join-token")
OUTPUT_FORMATS: Final = ("text", "github")

ALL: Final = frozenset({"check", "watch", "probe"})
CHECK: Final = frozenset({"check"})
CHECK_WATCH: Final = frozenset({"check", "watch"})


@dataclass(frozen=True)
class Option:
    """One option. ``name`` is the flag without ``--``, and the config-file key as it is;
    ``field`` the settings attribute; ``secret``: its value is never printed."""

    name: str
    field: str
    commands: frozenset[str]
    help: str
    kind: Kind = "value"
    convert: Callable[[str], Any] = str
    default: Any = None
    metavar: str | None = None
    secret: bool = False
    # A flag's value is checked by the command itself (a URL: its message masks the parts
    # named with --secret-param); values from the environment or a file are checked here.
    command_checks_flag: bool = False
    # check's options the pytest plugin takes as --callback-NAME; not JUnit XML (pytest's
    # own --junitxml) nor workflow annotations (printed by `recall-sim check` only).
    in_plugin: bool = True

    @property
    def flag(self) -> str:
        return "URL" if self.kind == "positional" else f"--{self.name}"

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper().replace("-", "_")

    @property
    def key(self) -> str:
        """The name in reports' ``config_sources``: the file key with underscores."""
        return self.name.replace("-", "_")


def _url(option: str) -> Callable[[str], str]:
    """The prober's own check; the message never repeats the URL (it carries the secret)."""

    def convert(text: str) -> str:
        from recall_sim.simulator.prober import url_problem

        problem = url_problem(text)
        if problem is not None:
            raise argparse.ArgumentTypeError(f"{option} is not callable: {problem}")
        return text

    return convert


def _signing_secret(text: str) -> str:
    from recall_sim.simulator.signing import check_signing_secret

    try:
        return check_signing_secret(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--signing-secret is malformed: {exc}") from None


def _whole(option: str) -> Callable[[str], int]:
    def convert(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{option} must be a whole number, got {text!r}"
            ) from None

    return convert


def _choice(option: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(
                f"{option} must be one of {', '.join(choices)}, got {text!r}"
            )
        return text

    return convert


def _seconds(option: str, low: float, high: float, *, inclusive: bool) -> Callable[[str], float]:
    bracket = "[" if inclusive else "("
    return bounded(
        float,
        low,
        high,
        low_inclusive=inclusive,
        malformed=f"{option} must be seconds, got {{text!r}}",
        out_of_range=f"{option} must be in {bracket}{low:g}, {high:g}] seconds, got {{text}}",
    )


def _count(option: str, low: int, high: int) -> Callable[[str], int]:
    return bounded(
        int,
        low,
        high,
        malformed=f"{option} must be a whole number, got {{text!r}}",
        out_of_range=f"{option} must be between {low} and {high}, got {{text}}",
    )


def _flag(name: str, field: str, commands: frozenset[str], help: str) -> Option:
    """An on/off option: off unless given."""
    return Option(name, field, commands, help, kind="flag", default=False)


def _path(
    name: str, field: str, commands: frozenset[str], help: str, *, in_plugin: bool = True
) -> Option:
    """An option naming a file to write."""
    return Option(name, field, commands, help, convert=Path, metavar="PATH", in_plugin=in_plugin)


OPTIONS: Final[tuple[Option, ...]] = (
    Option(
        "url",
        "url",
        ALL,
        "the access-token callback URL, as registered",
        kind="positional",
        convert=_url("URL"),
        metavar="URL",
        secret=True,
        command_checks_flag=True,
    ),
    Option(
        "kind",
        "kind",
        ALL,
        "which token callback the URL is: access-token (the credential's), or one a bot's "
        "Zoom join calls: obf, zak, join-token (SPEC §7)",
        convert=_choice("--kind", KIND_CHOICES),
        default="access-token",
        metavar="{access-token,obf,zak,join-token}",
    ),
    Option(
        "meeting-id",
        "meeting_id",
        CHECK,
        "the Zoom meeting id a join-token URL is for (join-token.* rules)",
        metavar="ID",
    ),
    Option("client-id", "client_id", ALL, "the Zoom OAuth app's client id (checks the issuer)"),
    Option("expect-user-id", "expect_user_id", ALL, "the Zoom user id the token must belong to"),
    Option(
        "other-user-url",
        "other_user_url",
        CHECK,
        "another user's callback URL (isolation rules)",
        convert=_url("--other-user-url"),
        metavar="URL",
        secret=True,
        command_checks_flag=True,
    ),
    Option(
        "secret-param",
        "secret_params",
        ALL,
        "a query (or ;matrix) parameter that carries the credential (repeatable); its value "
        "is masked in every output, besides the names that look like secrets",
        kind="list",
        convert=parse_secret_param,
        default=(),
        metavar="NAME",
    ),
    Option(
        "secret-path-segment",
        "secret_path_segment",
        ALL,
        "the path segment that carries the credential (0 = first, -1 = last)",
        convert=parse_secret_path_segment,
        metavar="INDEX",
    ),
    Option(
        "signing-secret",
        "signing_secret",
        ALL,
        "your Recall workspace's verification secret (whsec_...): calls are signed like "
        "Recall's, and check also tests that unsigned ones are refused; give it by environment",
        convert=_signing_secret,
        metavar="WHSEC",
        secret=True,
    ),
    Option(
        "zoom-admin",
        "zoom_admin",
        CHECK_WATCH,
        "the fake Zoom's control base, e.g. http://127.0.0.1:8700/_sim/zoom (freshness "
        "rules; its token-endpoint journal joins the timeline)",
        convert=_url("--zoom-admin"),
        metavar="URL",
        command_checks_flag=True,
    ),
    Option(
        "burst",
        "burst",
        CHECK,
        "concurrent calls in load.burst",
        convert=_count("--burst", 1, 500),
        default=DEFAULT_BURST,
        metavar="N",
    ),
    Option(
        "freshness-window",
        "freshness_window",
        CHECK,
        "seconds of repeated calls",
        convert=_seconds("--freshness-window", 1.0, 900.0, inclusive=True),
        default=DEFAULT_FRESHNESS_WINDOW,
        metavar="S",
    ),
    Option(
        "fuzz-examples",
        "fuzz_examples",
        CHECK,
        "wrong credentials to try",
        convert=_count("--fuzz-examples", 1, 5000),
        default=DEFAULT_FUZZ_EXAMPLES,
        metavar="N",
    ),
    Option(
        "seed",
        "seed",
        CHECK,
        "Hypothesis seed, to replay a run's credential fuzzing",
        convert=_whole("--seed"),
        metavar="N",
    ),
    Option(
        "rule",
        "rules",
        CHECK,
        "run only this rule id or group, e.g. auth or contract.deadline-5s (repeatable)",
        kind="list",
        default=(),
        metavar="ID_OR_GROUP",
    ),
    Option(
        "deadline",
        "deadline",
        frozenset({"probe"}),
        "seconds to wait for the answer; a longer wait shows how late a slow answer is, "
        "but the grade is always Recall's 5 s budget",
        convert=_seconds("--deadline", 0.0, 120.0, inclusive=False),
        default=DEFAULT_DEADLINE,
        metavar="S",
    ),
    Option(
        "interval",
        "interval",
        frozenset({"watch"}),
        "seconds from one call's start to the next",
        convert=_seconds("--interval", 0.0, MAX_INTERVAL, inclusive=False),
        default=DEFAULT_INTERVAL,
        metavar="S",
    ),
    Option(
        "duration",
        "duration",
        frozenset({"watch"}),
        "seconds to watch (default: until Ctrl-C)",
        convert=_seconds("--duration", 0.0, MAX_DURATION, inclusive=False),
        metavar="S",
    ),
    _flag(
        "until-fail",
        "until_fail",
        frozenset({"watch"}),
        "stop after the first call a rule fails on (with --duration: whichever first)",
    ),
    _flag("strict", "strict", CHECK_WATCH, "warnings fail the run too"),
    _flag("json", "as_json", frozenset({"probe"}), "print JSON"),
    _path("jsonl", "jsonl", frozenset({"watch"}), "write one JSON line per call, then a summary"),
    _path("report-json", "report_json", CHECK_WATCH, "write the JSON report here"),
    _path("junitxml", "junitxml", CHECK, "write JUnit XML (one case per rule)", in_plugin=False),
    _path(
        "report-html",
        "report_html",
        CHECK_WATCH,
        "write the HTML report here: causes, timeline charts, every rule (one offline file)",
    ),
    Option(
        "color",
        "color",
        CHECK_WATCH,
        "colour the output: auto (a terminal, unless NO_COLOR is set), always, never",
        convert=_choice("--color", COLOR_CHOICES),
        default="auto",
        metavar="{auto,always,never}",
    ),
    Option(
        "format",
        "output_format",
        CHECK,
        "text: the table and explanations; github: those, then a GitHub Actions "
        "::error/::warning annotation per failed or warned rule",
        convert=_choice("--format", OUTPUT_FORMATS),
        default="text",
        metavar="{text,github}",
        in_plugin=False,
    ),
    _flag(
        "show-secrets",
        "show_secrets",
        ALL,
        "print tokens and URL secrets whole (never in CI logs)",
    ),
)


def options_for(command: str) -> tuple[Option, ...]:
    """The table's rows for ``command``, in the table's order."""
    return tuple(option for option in OPTIONS if command in option.commands)


def secret_policy(values: Resolved) -> SecretPolicy:
    """What ``--secret-param`` and ``--secret-path-segment``, resolved, say to mask."""
    index = values["secret_path_segment"]
    return SecretPolicy(values["secret_params"], () if index is None else (index,))


def add_options(parser: argparse.ArgumentParser, command: Command) -> None:
    """Declare ``command``'s options on ``parser``; an option not given parses to None,
    so the layered loader can tell "not given" from "given the default". Values stay
    text: the loader converts every layer's alike, with one line on a mistake."""
    for option in options_for(command):
        help_text = f"{option.help} [env {option.env}{_default_text(option)}]"
        if option.kind == "positional":
            parser.add_argument(option.field, nargs="?", metavar=option.metavar, help=help_text)
        elif option.kind == "flag":
            parser.add_argument(
                option.flag, dest=option.field, action="store_true", default=None, help=help_text
            )
        else:
            parser.add_argument(
                option.flag,
                dest=option.field,
                action="append" if option.kind == "list" else "store",
                default=None,
                metavar=option.metavar,
                help=help_text,
            )
    parser.add_argument(
        "--config-file",
        type=Path,
        metavar="PATH",
        help="read options from this TOML file instead of discovering recall-sim.toml or "
        f"[tool.recall-sim] in pyproject.toml [env {ENV_PREFIX}CONFIG_FILE]",
    )
    parser.add_argument(
        "--no-config",
        action="store_true",
        default=None,
        help=f"read no config file [env {ENV_PREFIX}NO_CONFIG]",
    )


def _default_text(option: Option) -> str:
    default = option.default
    if default in (None, (), False):
        return ""
    return f"; default {default:g}" if isinstance(default, float) else f"; default {default}"
