"""State shared by the rules of one run: how to call the target, its baseline answer, and
every rejection seen, so each rule builds on the others instead of repeating their calls."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from recall_sim.conformance.config import CheckConfig
from recall_sim.conformance.url_parts import SecretPart, UrlParts
from recall_sim.simulator.clock import SYSTEM_CLOCK, Clock
from recall_sim.simulator.judge import Judgement, judge
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.prober import aprobe, probe
from recall_sim.simulator.redaction import JWT_PATTERN, mask_url
from recall_sim.simulator.reproduce import curl_command
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.signing import signature_headers
from recall_sim.simulator.zoom_jwt import TokenDecodeError, ZoomClaims, decode_zoom_token

__all__ = ["CheckContext", "FoundToken", "Rejection", "RuleResult"]


@dataclass(frozen=True)
class RuleResult:
    """A rule's verdict and how to reproduce what it saw."""

    verdict: Verdict
    reproduce: str | None = None


@dataclass(frozen=True)
class FoundToken:
    token: str
    claims: ZoomClaims


@dataclass(frozen=True)
class Rejection:
    """An answer to a request that should have been refused, and what that request was."""

    label: str
    observation: Observation
    url: str
    headers: Mapping[str, str] | None = None  # None: signed like Recall's, if signing


class CheckContext:
    """One run's view of the target; rules share it within a session."""

    def __init__(self, config: CheckConfig, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config
        self.clock = clock
        self.target = UrlParts.parse(config.url)
        self._rejections: list[Rejection] = []
        self._lock = threading.Lock()
        self.requests_sent = 0

    # -- calling the target -------------------------------------------------------------

    def headers(self, *, signed: bool = True, timestamp: float | None = None) -> dict[str, str]:
        """Recall's headers: signed when the run has a signing secret, unless asked not to."""
        if not signed or self.config.signing_secret is None:
            return {}
        moment = self.clock.now() if timestamp is None else timestamp
        return signature_headers(self.config.signing_secret, timestamp=moment)

    def call(
        self, url: str | None = None, *, headers: Mapping[str, str] | None = None
    ) -> Observation:
        """One probe, signed like Recall's unless ``headers`` are given."""
        with self._lock:
            self.requests_sent += 1
        chosen = self.headers() if headers is None else dict(headers)
        return probe(
            url or self.config.url, deadline=self.config.deadline, headers=chosen, clock=self.clock
        )

    async def acall(
        self, url: str | None = None, *, headers: Mapping[str, str] | None = None
    ) -> Observation:
        with self._lock:
            self.requests_sent += 1
        chosen = self.headers() if headers is None else dict(headers)
        return await aprobe(
            url or self.config.url, deadline=self.config.deadline, headers=chosen, clock=self.clock
        )

    def grade(self, observation: Observation, *, expected_user_id: str | None = None) -> Judgement:
        return judge(
            observation,
            client_id=self.config.client_id,
            expected_user_id=expected_user_id or self.config.expect_user_id,
            clock=self.clock,
        )

    def mask(self, url: str) -> str:
        """A URL with this run's secret parts masked (and the usual secret-looking ones)."""
        return mask_url(
            url,
            secret_params=[str(p.key) for p in self.secret_parts if p.kind == "query"],
            secret_path_segments=[int(p.key) for p in self.secret_parts if p.kind == "path"],
            show=self.config.show_secrets,
        )

    def curl(self, url: str | None = None, headers: Mapping[str, str] | None = None) -> str:
        """A curl command for a request like ours, secrets masked unless --show-secrets."""
        target = url or self.config.url
        return curl_command(
            target,
            deadline=self.config.deadline,
            headers=dict(headers) if headers is not None else self.headers(),
            secret_params=[str(p.key) for p in self.secret_parts if p.kind == "query"],
            secret_path_segments=[int(p.key) for p in self.secret_parts if p.kind == "path"],
            # A signature it made is signed afresh from $SIGNING_SECRET when the command runs.
            signing_secret=self.config.signing_secret,
            show_secrets=self.config.show_secrets,
        )

    # -- the baseline: one valid call, as Recall makes it ------------------------------

    @cached_property
    def baseline(self) -> Judgement:
        return self.grade(self.call())

    @property
    def baseline_token(self) -> FoundToken | None:
        judged = self.baseline
        if judged.token is None or judged.claims is None:
            return None
        return FoundToken(judged.token, judged.claims)

    def skip_without_baseline(self, rule_id: str) -> RuleResult | None:
        """A skip when the valid request itself got no token: nothing to protect or compare."""
        if self.baseline_token is not None:
            return None
        detail = (
            "the valid request got no decodable token, so there is nothing to compare with; "
            "fix the contract.* failures first"
        )
        return RuleResult(Verdict(rule_id, Outcome.SKIP, detail, dict(self.baseline.evidence)))

    # -- reading answers ---------------------------------------------------------------

    @staticmethod
    def token_in(observation: Observation) -> FoundToken | None:
        """A decodable token anywhere in a 2xx body (bare, JSON-wrapped, or prefixed)."""
        status = observation.status
        if status is None or not 200 <= status < 300:
            return None
        text = observation.body.decode("utf-8", "replace")
        for match in JWT_PATTERN.finditer(text):
            try:
                return FoundToken(match.group(0), decode_zoom_token(match.group(0)))
            except TokenDecodeError:
                continue
        return None

    def unlocks_baseline_user(self, observation: Observation) -> FoundToken | None:
        """The token in the answer when it is the baseline's token or another of its user's."""
        found = self.token_in(observation)
        base = self.baseline_token
        if found is None or base is None:
            return None
        if found.token == base.token or (
            found.claims.user_id is not None and found.claims.user_id == base.claims.user_id
        ):
            return found
        return None

    # -- rejections, for the leak and internals rules ----------------------------------

    def record_rejection(
        self,
        label: str,
        observation: Observation,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        rejection = Rejection(label, observation, url or self.config.url, headers)
        with self._lock:
            self._rejections.append(rejection)

    def reproduce(self, rejection: Rejection) -> str:
        """The curl for a rejection; built only when one is reported (fuzzing makes hundreds)."""
        return self.curl(rejection.url, rejection.headers)

    @property
    def rejections(self) -> list[Rejection]:
        with self._lock:
            return list(self._rejections)

    def missing_credential_urls(self) -> list[tuple[str, str]]:
        """(label, URL) pairs: each secret part dropped, then every query parameter dropped."""
        urls = [
            (f"without {part.label}", self.target.with_part(part, ())) for part in self.secret_parts
        ]
        if self.target.query:
            urls.append(("without any query parameter", self.target.without_query().url()))
        return list(dict.fromkeys(urls))

    # -- where the credential is -------------------------------------------------------

    @cached_property
    def secret_parts(self) -> list[SecretPart]:
        named = self.target.named_parts(self.config.secret_params, self.config.secret_path_segment)
        if named or self.config.secret_params or self.config.secret_path_segment is not None:
            return named
        return self._parts_needed_for_a_token()

    def _parts_needed_for_a_token(self) -> list[SecretPart]:
        if self.baseline_token is None:
            return []
        needed = []
        for part in self.target.candidate_parts():
            url = self.target.with_part(part, ())
            observation = self.call(url)
            if self.token_in(observation) is None:
                needed.append(part)
        return needed

    def secret_parts_note(self) -> str:
        """Which parts were treated as secrets, why, and how to override that."""
        if not self.secret_parts:
            return (
                "no secret-bearing part found in the URL (no secret-looking query parameter, "
                "and no part whose removal denies the token); name it with --secret-param NAME "
                "or --secret-path-segment INDEX"
            )
        described = "; ".join(f"{p.label} ({p.reason})" for p in self.secret_parts)
        return (
            f"credential parts: {described}. Override with --secret-param NAME "
            "or --secret-path-segment INDEX"
        )
