"""What a conformance run was asked to do, validated before any rule runs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from recall_sim.conformance.url_parts import UrlParts
from recall_sim.simulator.prober import url_problem
from recall_sim.simulator.rules import RULES
from recall_sim.simulator.signing import check_signing_secret

__all__ = ["CheckConfig", "UsageError", "select_rules"]

DEFAULT_BURST = 20
DEFAULT_FRESHNESS_WINDOW = 35.0
DEFAULT_FUZZ_EXAMPLES = 120


class UsageError(Exception):
    """The caller's mistake, found before any rule ran: exit 2 with this one line."""


@dataclass(frozen=True)
class CheckConfig:
    """The options of ``recall-sim check`` / ``pytest --callback-url``."""

    url: str
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

    def validate(self) -> CheckConfig:
        """Raise UsageError naming the bad option and its value; return self when all is well."""
        _check_http_url("URL", self.url)
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
