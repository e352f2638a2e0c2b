"""What ``recall-sim watch`` was asked to do, validated before the first call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recall_sim.conformance.config import CheckConfig, UsageError
from recall_sim.conformance.terminal import COLOR_CHOICES, ColorChoice
from recall_sim.simulator.commands.options import DEFAULT_INTERVAL, MAX_DURATION, MAX_INTERVAL
from recall_sim.simulator.kinds import TokenKind
from recall_sim.simulator.prober import url_problem
from recall_sim.simulator.redaction import MASK, NO_NAMED_SECRETS, SecretPolicy

__all__ = ["DEFAULT_INTERVAL", "MAX_DURATION", "MAX_INTERVAL", "WatchSettings"]


@dataclass(frozen=True)
class WatchSettings:
    """The options of ``recall-sim watch``.

    ``duration``: seconds to watch (None: until Ctrl-C, or the first failure with
    ``until_fail``; both given: whichever comes first). ``secrets``: the URL parts named
    with ``--secret-param``/``--secret-path-segment``, masked in every output.
    """

    url: str
    client_id: str | None = None
    expect_user_id: str | None = None
    kind: TokenKind = TokenKind.ACCESS_TOKEN  # which token callback (SPEC §7)
    signing_secret: str | None = None
    zoom_admin: str | None = None
    secrets: SecretPolicy = NO_NAMED_SECRETS
    show_secrets: bool = False
    strict: bool = False
    interval: float = DEFAULT_INTERVAL
    duration: float | None = None
    until_fail: bool = False
    jsonl: Path | None = None
    report_json: Path | None = None
    report_html: Path | None = None
    color: ColorChoice = "auto"
    # Where each option that is not the default came from ("env RECALL_SIM_URL"), never
    # the value: for the reports.
    config_sources: tuple[tuple[str, str], ...] = ()

    @property
    def open_ended(self) -> bool:
        """Only Ctrl-C ends the run, so Ctrl-C is its normal end, not an interruption."""
        return self.duration is None and not self.until_fail

    def masked_url(self) -> str:
        return self.secrets.mask_url(self.url, show=self.show_secrets)

    def validate(self) -> WatchSettings:
        """Raise UsageError naming the bad option; return self when all is well.

        The URL, the signing secret, the Zoom admin and the named secret parts are
        checked by ``check``'s own validation, so both commands refuse alike.
        """
        path_segments = self.secrets.path_segments
        CheckConfig(
            url=self.url,
            client_id=self.client_id,
            expect_user_id=self.expect_user_id,
            secret_params=self.secrets.params,
            secret_path_segment=path_segments[0] if path_segments else None,
            signing_secret=self.signing_secret,
            zoom_admin=self.zoom_admin,
        ).validate()
        problem = url_problem(self.url)
        if problem is not None:
            shown = self.masked_url()
            which = "" if shown == MASK else f" {shown!r}"
            raise UsageError(f"URL{which} is not callable: {problem}")
        if not 0 < self.interval <= MAX_INTERVAL:
            raise UsageError(
                f"--interval must be in (0, {MAX_INTERVAL:g}] seconds, got {self.interval:g}"
            )
        if self.duration is not None and not 0 < self.duration <= MAX_DURATION:
            raise UsageError(
                f"--duration must be in (0, {MAX_DURATION:g}] seconds, got {self.duration:g}"
            )
        if self.color not in COLOR_CHOICES:
            raise UsageError(
                f"--color must be one of {', '.join(COLOR_CHOICES)}, got {self.color!r}"
            )
        return self
