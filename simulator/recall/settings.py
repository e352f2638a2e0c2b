"""The fake Recall's tunable behaviour, including the choices Recall's public docs leave open."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from recall_sim.simulator.redaction import NO_NAMED_SECRETS, SecretPolicy, redact_token
from recall_sim.simulator.signing import check_signing_secret

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "FIXED_AT_START",
    "DuplicatePolicy",
    "RecallSettings",
    "new_api_key",
]

DEFAULT_POLL_INTERVAL = 60.0
# Settings that name credentials or files, or say which secrets to mask: chosen when the
# server starts, never changed over HTTP (a control request could otherwise lock the user
# out, aim a write anywhere, or unmask a secret in every later log and journal line).
FIXED_AT_START = frozenset({"api_key", "journal_path", "url_secrets"})


def new_api_key() -> str:
    """A key shaped like Recall's: 40 hex characters."""
    return secrets.token_hex(20)


class DuplicatePolicy(StrEnum):
    """What a second create for the same (app, Zoom user) or (app, Zoom account) does."""

    UPDATE = "update"  # Recall's documented behaviour: update and return the existing one
    REJECT = "reject"  # the legacy 400 with ``conflicting_zoom_user_id``


# Far above any sensible count, far below what a deque or semaphore can hold.
_MAX_INT = 1_000_000_000
_FLOATS = ("callback_deadline", "poll_interval", "poll_jitter")
_POSITIVE_INTS = (
    "poll_concurrency",
    "unhealthy_after",
    "rate_limit_per_minute",
    "list_rate_limit_per_minute",
    "page_size",
    "max_body_bytes",
    "journal_size",
)


@dataclass(frozen=True)
class RecallSettings:
    """Settings of a `FakeRecall`; change them with `FakeRecall.configure`.

    ``api_key``: the workspace's key (``Authorization: Token <key>``); random by default.
    ``verification_secret``: ``whsec_<base64>``; when set, every callback call carries
    Standard Webhooks headers signed with it.
    ``callback_deadline``: the whole-exchange budget of each callback call (Recall: 5 s).
    ``poll_interval``: seconds between scheduled polls of every healthy credential
    (``0`` turns scheduled polling off; triggered polls still work).
    ``poll_jitter``: each call in a poll round starts after a random delay in
    ``[0, poll_jitter]`` s, spreading the calls as a real fleet of workers would.
    ``poll_concurrency``: at most this many callback calls in flight at once.
    ``unhealthy_after``: consecutive failed calls that turn a credential ``unhealthy``.
    ``duplicate_credentials``: see `DuplicatePolicy`.
    ``rate_limits``: enforce ``rate_limit_per_minute`` per workspace and
    ``list_rate_limit_per_minute`` on list endpoints (429 with ``Retry-After``); off
    by default so test suites are not throttled.
    ``page_size``: results per page of list endpoints.
    ``max_body_bytes``: larger request bodies get 413 (Django's default upload cap).
    ``journal_path``: a JSON Lines file each call is appended to as it is made (one
    flushed line per call); opened at start, never truncated, untouched by a reset.
    ``journal_size``: how many calls the journal keeps (oldest dropped first).
    ``url_secrets``: the callback URL parts to mask besides those that look secret
    (``recall-sim serve --secret-param/--secret-path-segment``), in every 400 ``detail``,
    app and credential log and journal line.
    """

    api_key: str = field(default_factory=new_api_key)
    verification_secret: str | None = None
    callback_deadline: float = 5.0
    poll_interval: float = DEFAULT_POLL_INTERVAL
    poll_jitter: float = 0.0
    poll_concurrency: int = 100
    unhealthy_after: int = 3
    duplicate_credentials: DuplicatePolicy = DuplicatePolicy.UPDATE
    rate_limits: bool = False
    rate_limit_per_minute: int = 300
    list_rate_limit_per_minute: int = 60
    page_size: int = 50
    max_body_bytes: int = 2_621_440
    journal_path: str | None = None
    journal_size: int = 10_000
    url_secrets: SecretPolicy = NO_NAMED_SECRETS

    def __post_init__(self) -> None:
        if not isinstance(self.api_key, str) or not self.api_key.strip():
            raise ValueError("api_key must be a non-empty string")
        if any(ch.isspace() for ch in self.api_key):
            raise ValueError("api_key must not contain whitespace")
        if self.verification_secret is not None:
            try:
                check_signing_secret(self.verification_secret)
            except (ValueError, AttributeError) as exc:
                raise ValueError(f"verification_secret is not usable: {exc}") from None
        for name in _FLOATS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number of seconds, got {value!r}")
            if not math.isfinite(value) or not 0 <= value <= 366 * 86_400:
                raise ValueError(f"{name} must be between 0 and one year in seconds, got {value!r}")
        if not 0 < self.callback_deadline <= 120:
            raise ValueError(
                f"callback_deadline must be in (0, 120] seconds, got {self.callback_deadline!r}"
            )
        for name in _POSITIVE_INTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_INT:
                raise ValueError(f"{name} must be a whole number in [1, {_MAX_INT}], got {value!r}")
        if not isinstance(self.duplicate_credentials, DuplicatePolicy):
            allowed = ", ".join(p.value for p in DuplicatePolicy)
            raise ValueError(
                f"duplicate_credentials must be one of {allowed}, "
                f"got {self.duplicate_credentials!r}"
            )
        if not isinstance(self.rate_limits, bool):
            raise ValueError(f"rate_limits must be true or false, got {self.rate_limits!r}")
        if self.journal_path is not None and not isinstance(self.journal_path, str):
            raise ValueError(f"journal_path must be a path or null, got {self.journal_path!r}")
        if not isinstance(self.url_secrets, SecretPolicy):
            raise ValueError(f"url_secrets must be a SecretPolicy, got {self.url_secrets!r}")

    def updated(self, changes: Mapping[str, Any]) -> RecallSettings:
        """A copy with ``changes`` applied; unknown names and bad values raise ValueError."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(known)}")
        values = dict(changes)
        policy = values.get("duplicate_credentials")
        if isinstance(policy, str) and not isinstance(policy, DuplicatePolicy):
            # An unknown name stays a string; __post_init__ then names the allowed values.
            with contextlib.suppress(ValueError):
                values["duplicate_credentials"] = DuplicatePolicy(policy)
        return dataclasses.replace(self, **values)

    def public_view(self) -> dict[str, Any]:
        """The settings as JSON, with the key and the secret shown only as fingerprints."""
        data = dataclasses.asdict(self)
        data["api_key"] = redact_token(self.api_key)
        if self.verification_secret is not None:
            data["verification_secret"] = redact_token(self.verification_secret)
        data["duplicate_credentials"] = self.duplicate_credentials.value
        return data
