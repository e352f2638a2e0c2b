"""State shared by the rules of one run: how to call the target, its baseline answer, and
every rejection seen, so each rule builds on the others instead of repeating their calls."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from recall_sim.conformance.config import CheckConfig
from recall_sim.conformance.url_parts import SecretPart, UrlParts
from recall_sim.simulator.clock import SYSTEM_CLOCK, Clock
from recall_sim.simulator.judge import Judgement, judge
from recall_sim.simulator.observation import ErrorKind, Observation
from recall_sim.simulator.prober import aprobe, probe
from recall_sim.simulator.redaction import JWT_PATTERN, mask_url
from recall_sim.simulator.reproduce import curl_command
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.signing import signature_headers
from recall_sim.simulator.timeline import TimelineRecorder
from recall_sim.simulator.zoom_jwt import TokenDecodeError, ZoomClaims, decode_zoom_token

__all__ = [
    "CheckContext",
    "FoundToken",
    "Progress",
    "ProgressListener",
    "Rejection",
    "RuleResult",
]

# No HTTP answer at all, and none to expect from another call: nothing listens, or the
# connection dies. A non-HTTP or oversized answer came back quickly, so it is not here.
_NO_ANSWER = frozenset(
    {
        ErrorKind.CONNECTION_REFUSED,
        ErrorKind.CONNECTION_RESET,
        ErrorKind.CONNECT_ERROR,
        ErrorKind.DNS_FAILURE,
        ErrorKind.TLS_ERROR,
    }
)


@dataclass(frozen=True)
class RuleResult:
    """A rule's verdict and how to reproduce what it saw."""

    verdict: Verdict
    reproduce: str | None = None
    fix: str | None = None  # instead of the catalog's, when this run showed it would mislead


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


@dataclass(frozen=True)
class Progress:
    """How far a long rule has got, e.g. ``freshness.refresh-before-expiry 12/35 s, 24 calls``."""

    rule: str
    done: float
    total: float | None  # None: open-ended (e.g. calls until the cached tokens run out)
    unit: str
    calls: int | None = None

    def line(self) -> str:
        if self.total is None:
            amount = f"{self.done:.0f} {self.unit}"
        else:  # Hypothesis may try a few more than asked (explicit examples, shrinking)
            amount = f"{self.done:.0f}/{max(self.total, self.done):.0f} {self.unit}"
        calls = f", {self.calls} calls" if self.calls is not None else ""
        return f"{self.rule} {amount}{calls}"


class ProgressListener(Protocol):
    """Shows progress (a terminal); rules only report it, so a run without one is unchanged."""

    def update(self, progress: Progress) -> None: ...

    def end(self, rule_id: str) -> None: ...


@dataclass(frozen=True)
class _StoppedClock:
    """A clock stopped at one instant, to grade an earlier call as of when its answer ended."""

    instant: float

    def now(self) -> float:
        return self.instant


class CheckContext:
    """One run's view of the target; rules share it within a session."""

    def __init__(self, config: CheckConfig, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config
        self.clock = clock
        self.target = UrlParts.parse(config.url)
        self._rejections: list[Rejection] = []
        self._lock = threading.Lock()
        self.requests_sent = 0
        # Every graded call, for the diagnosis (SPEC §8): the run's timeline of answers.
        self.recorder = TimelineRecorder()
        self.rule: str | None = None  # the rule being graded; labels the calls it grades
        self.progress_listener: ProgressListener | None = None
        self._handed_baseline: Observation | None = None

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

    def grade(
        self,
        observation: Observation,
        *,
        expected_user_id: str | None = None,
        label: str | None = None,
    ) -> Judgement:
        """Grade a valid call as Recall would, and add it to the run's timeline.

        Only valid calls are graded here (mutated credentials are not), so the timeline
        shows the callback as Recall sees it. Grade each observation once: each grading
        is one point on the timeline.
        """
        judged = judge(
            observation,
            client_id=self.config.client_id,
            expected_user_id=expected_user_id or self.config.expect_user_id,
            clock=self.clock,
            kind=self.config.token_kind,
        )
        self.record(judged, label=label)
        return judged

    def record(self, judged: Judgement, *, label: str | None = None) -> None:
        """Add a graded call to the timeline, labelled with the rule that made it."""
        sent = {name.lower() for name, _ in judged.observation.request_headers}
        self.recorder.record(
            judged, signed="webhook-signature" in sent, label=label or self.rule or "call"
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

    # -- progress, for a terminal ------------------------------------------------------

    def progress(
        self, rule_id: str, done: float, total: float | None, unit: str, *, calls: int | None = None
    ) -> None:
        """Report how far a long rule has got (shown in a terminal; a no-op otherwise)."""
        listener = self.progress_listener
        if listener is not None:
            listener.update(Progress(rule_id, done, total, unit, calls))

    def end_progress(self, rule_id: str) -> None:
        """The rule is graded: its progress line goes, before its verdict is shown."""
        listener = self.progress_listener
        if listener is not None:
            listener.end(rule_id)

    # -- the baseline: one valid call, as Recall makes it ------------------------------

    def adopt_baseline(self, observation: Observation) -> None:
        """Take a valid call already made (``check``'s preflight) as the baseline, so a
        slow or hanging target pays the deadline once, not twice. Call before any rule."""
        with self._lock:
            self.requests_sent += 1
        self._handed_baseline = observation

    @cached_property
    def baseline(self) -> Judgement:
        handed = self._handed_baseline
        if handed is None:
            return self.grade(self.call(), label="baseline")
        # Graded as of when its answer ended, as a fresh call is graded the moment it
        # returns: the time pytest took to start must not count against the token.
        judged = judge(
            handed,
            client_id=self.config.client_id,
            expected_user_id=self.config.expect_user_id,
            clock=_StoppedClock(handed.started_at + handed.timings.total),
            kind=self.config.token_kind,
        )
        self.record(judged, label="baseline")
        return judged

    @property
    def baseline_unanswered(self) -> str | None:
        """Why the baseline call got no answer (it hung, or nothing answered), else None.

        Every further call to such a target would wait for nothing as long: against a
        port that accepts and hangs, 5 s a call, 20 s in hygiene.no-error-internals alone.
        """
        observation = self.baseline.observation
        error = observation.error
        if error is None:
            return None
        kind, within = error.kind, f"within {observation.deadline:g} s"
        if kind.is_deadline and observation.status is not None:
            return f"the baseline call's answer did not end {within} ({kind.value})"
        if kind.is_deadline:
            return f"the baseline call got no answer {within} ({kind.value})"
        if observation.status is None and kind in _NO_ANSWER:
            return f"the baseline call got no answer ({kind.value})"
        return None

    def skip_without_answer(self, rule_id: str) -> RuleResult | None:
        """A skip, at once, when the baseline call got no answer: nothing to mutate."""
        why = self.baseline_unanswered
        if why is None:
            return None
        error = self.baseline.observation.error
        late = error is not None and error.kind.is_deadline
        first = "contract.deadline-5s" if late else "contract.status-2xx"
        detail = f"{why}: nothing to mutate; fix {first} first"
        return RuleResult(Verdict(rule_id, Outcome.SKIP, detail, dict(self.baseline.evidence)))

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
        unanswered = self.skip_without_answer(rule_id)
        if unanswered is not None:
            return unanswered
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
