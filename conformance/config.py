"""What a conformance run was asked to do, validated before any rule runs."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from recall_sim.conformance.url_parts import UrlParts
from recall_sim.simulator.commands.options import (
    DEFAULT_BURST,
    DEFAULT_FRESHNESS_WINDOW,
    DEFAULT_FUZZ_EXAMPLES,
)
from recall_sim.simulator.kinds import TokenKind
from recall_sim.simulator.prober import url_problem
from recall_sim.simulator.rules import RULES
from recall_sim.simulator.signing import check_signing_secret

if TYPE_CHECKING:
    from recall_sim.simulator.commands.layers import Resolved

__all__ = [
    "DEFAULT_BURST",
    "DEFAULT_FRESHNESS_WINDOW",
    "DEFAULT_FUZZ_EXAMPLES",
    "CheckConfig",
    "CheckSettings",
    "UsageError",
    "check_settings",
    "select_rules",
]


class UsageError(Exception):
    """The caller's mistake, found before any rule ran: exit 2 with this one line."""


@dataclass(frozen=True)
class CheckConfig:
    """The options of ``recall-sim check`` / ``pytest --callback-url``."""

    url: str
    kind: str = TokenKind.ACCESS_TOKEN.value  # which token callback (SPEC §7), --kind
    meeting_id: str | None = None  # the meeting a join-token URL is for
    client_id: str | None = None
    expect_user_id: str | None = None
    other_user_url: str | None = None
    secret_params: tuple[str, ...] = ()
    secret_path_segment: int | None = None
    signing_secret: str | None = None
    zoom_admin: str | None = None
    burst: int = DEFAULT_BURST
    freshness_window: float = DEFAULT_FRESHNESS_WINDOW
    fuzz_examples: int = DEFAULT_FUZZ_EXAMPLES
    seed: int | None = None
    strict: bool = False
    show_secrets: bool = False
    rules: tuple[str, ...] = ()
    deadline: float = 5.0
    # Where each option that is not the default came from ("env RECALL_SIM_URL",
    # "file recall-sim.toml"), never the value: the reports say it.
    config_sources: tuple[tuple[str, str], ...] = ()

    @property
    def token_kind(self) -> TokenKind:
        return TokenKind(self.kind)

    def validate(self) -> CheckConfig:
        """Raise UsageError naming the bad option and its value; return self when all is well."""
        _check_http_url("URL", self.url)
        if self.kind not in {k.value for k in TokenKind}:
            kinds = ", ".join(k.value for k in TokenKind)
            raise UsageError(f"--kind must be one of {kinds}, got {self.kind!r}")
        if self.other_user_url is not None:
            _check_http_url("--other-user-url", self.other_user_url)
            if self.other_user_url == self.url:
                raise UsageError(
                    "--other-user-url is the same URL as the target; give another user's "
                    "callback URL so isolation can be checked"
                )
        if self.zoom_admin is not None:
            _check_http_url("--zoom-admin", self.zoom_admin)
        if self.signing_secret is not None:
            try:
                check_signing_secret(self.signing_secret)
            except ValueError as exc:
                raise UsageError(f"--signing-secret is malformed: {exc}") from None
        if not 1 <= self.burst <= 500:
            raise UsageError(f"--burst must be between 1 and 500, got {self.burst}")
        if not 1 <= self.freshness_window <= 900:
            raise UsageError(
                f"--freshness-window must be between 1 and 900 s, got {self.freshness_window:g}"
            )
        if not 1 <= self.fuzz_examples <= 5000:
            raise UsageError(
                f"--fuzz-examples must be between 1 and 5000, got {self.fuzz_examples}"
            )
        self._check_secret_parts()
        select_rules(self.rules)
        return self

    def _check_secret_parts(self) -> None:
        """A named part the URL lacks would leave the auth rules nothing to mutate."""
        parts = UrlParts.parse(self.url)
        for name in self.secret_params:
            if parts.raw_query_value(name) is None:
                present = [unquote(n) for n, v in parts.query if v is not None]
                have = ", ".join(present) if present else "none"
                raise UsageError(
                    f"--secret-param {name}: the URL has no such query parameter (it has: {have})"
                )
        index = self.secret_path_segment
        if index is not None and parts.segment_index(index) is None:
            count = len(parts.segments)
            raise UsageError(
                f"--secret-path-segment {index}: the URL has {count} path segment(s); "
                "count from 0 (or from -1, the last)"
            )


@dataclass(frozen=True)
class CheckSettings:
    """A run of ``recall-sim check`` or ``pytest --callback-url``: the suite's config and
    where its reports go."""

    config: CheckConfig
    report_json: Path | None = None
    junitxml: Path | None = None
    report_html: Path | None = None
    color: str = "auto"  # the verdict table's colour: auto, always or never
    # "github": also print one workflow annotation per failed or warned rule.
    output_format: str = "text"


def check_settings(resolved: Resolved) -> CheckSettings:
    """``check``'s options, as the layered loader resolved them from the options table."""
    names = [f.name for f in fields(CheckConfig) if f.name in resolved.values]
    config = CheckConfig(
        **{name: resolved[name] for name in names},
        config_sources=tuple(resolved.sources.items()),
    )
    return CheckSettings(
        config,
        report_json=resolved["report_json"],
        junitxml=resolved["junitxml"],
        report_html=resolved["report_html"],
        color=resolved["color"],
        output_format=resolved["output_format"],
    )


def _check_http_url(option: str, url: str) -> None:
    """The prober's own check, so check, watch and probe refuse a URL in the same words."""
    problem = url_problem(url)
    if problem is not None:
        raise UsageError(f"{option} is not callable: {problem}")


def select_rules(selectors: tuple[str, ...]) -> tuple[str, ...]:
    """Rule ids matching the selectors (a rule id or a group such as ``auth``); all if none."""
    if not selectors:
        return tuple(RULES)
    chosen: list[str] = []
    for selector in selectors:
        matches = [r for r in RULES if r == selector or r.startswith(selector.rstrip(".") + ".")]
        if not matches:
            groups = sorted({r.split(".")[0] for r in RULES})
            raise UsageError(
                f"--rule {selector!r} matches no rule; "
                f"use a rule id or a group ({', '.join(groups)})"
            )
        chosen += [m for m in matches if m not in chosen]
    return tuple(r for r in RULES if r in chosen)
