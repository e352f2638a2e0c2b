"""One call to an access-token callback, made and graded exactly like Recall's.

The prober makes the call (hard total deadline) and the judge grades the answer;
this module adds only what is Recall's own: the Standard Webhooks signature, the
app's client id and expected user, the journal entry and the rejection message.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.connections import AsyncNetwork, open_stream
from recall_sim.simulator.judge import Judgement, judge
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.prober import aprobe
from recall_sim.simulator.recall.journal import CallJournal, CallPurpose, CallRecord
from recall_sim.simulator.recall.settings import RecallSettings
from recall_sim.simulator.redaction import (
    NO_NAMED_SECRETS,
    SecretPolicy,
    redact_text,
    redact_token,
)
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.signing import signature_headers

__all__ = [
    "CallResult",
    "CallbackCaller",
    "TokenInspector",
    "TokenLiveness",
    "grade_token_live",
    "rejection_detail",
]

TOKEN_LIVE = "contract.token-live"  # noqa: S105 - a rule id


class TokenLiveness(Protocol):
    """What the fake Zoom says about a token (`FakeZoom.token_status`'s shape)."""

    @property
    def live(self) -> bool: ...

    @property
    def client_id(self) -> str | None: ...

    @property
    def user_id(self) -> str | None: ...

    @property
    def reason(self) -> str | None: ...


# A token -> its liveness, or None when the token did not come from that Zoom (not graded).
TokenInspector = Callable[[str], TokenLiveness | None]


def grade_token_live(
    judgement: Judgement,
    inspector: TokenInspector | None,
    *,
    client_id: str,
    expected_user_id: str | None = None,
) -> Judgement:
    """``judgement`` plus a ``contract.token-live`` verdict when its token came from the Zoom
    ``inspector`` asks (SPEC §6): a revoked, deauthorized or other app's token fails."""
    token = judgement.token
    if inspector is None or token is None or judgement.claims is None:
        return judgement
    status = inspector(token)
    if status is None:
        return judgement
    shown = redact_token(token)
    problems = []
    if not status.live:
        problems.append(f"Zoom refuses the token {shown}: {status.reason}")
    if status.client_id is not None and status.client_id != client_id:
        problems.append(f"Zoom issued it to app {status.client_id!r}, not {client_id!r}")
    if expected_user_id and status.user_id is not None and status.user_id != expected_user_id:
        problems.append(f"Zoom issued it for user {status.user_id!r}, not {expected_user_id!r}")
    evidence = {
        "token": shown,
        "live": status.live,
        "zoom_client_id": status.client_id,
        "zoom_user_id": status.user_id,
        "reason": status.reason,
    }
    verdict = (
        Verdict(TOKEN_LIVE, Outcome.FAIL, "; ".join(problems), evidence)
        if problems
        else Verdict(TOKEN_LIVE, Outcome.PASS, f"Zoom accepts {shown}", evidence)
    )
    return replace(judgement, verdicts=(*judgement.verdicts, verdict))


def rejection_detail(judgement: Judgement, *, secrets: SecretPolicy = NO_NAMED_SECRETS) -> str:
    """Each failed rule's finding followed by its id, e.g. "... at least 120 s (contract.min-…)".

    ``secrets``: the URL parts the user named; their values are hidden in the findings too,
    which quote the answer (a redirect to the same URL carries them).
    """
    url = judgement.observation.url
    hidden = secrets.values(url)
    findings = "; ".join(
        f"{redact_text(v.detail, secrets=hidden)} ({v.rule})" for v in judgement.failures
    )
    return f"Access token callback {secrets.mask_url(url)} was rejected: {findings}"


@dataclass(frozen=True)
class CallResult:
    """The judgement of one call and its journal record."""

    judgement: Judgement
    record: CallRecord
    secrets: SecretPolicy = NO_NAMED_SECRETS  # what the call's outputs mask

    @property
    def accepted(self) -> bool:
        return self.judgement.accepted

    @property
    def failed_rules(self) -> tuple[str, ...]:
        return tuple(v.rule for v in self.judgement.failures)

    @property
    def detail(self) -> str:
        """Why the answer was rejected, naming each failed rule ('' when accepted)."""
        return "" if self.accepted else rejection_detail(self.judgement, secrets=self.secrets)


class CallbackCaller:
    """Calls callbacks with the current settings' deadline and signature, journaling each call.

    ``network`` opens callback connections (unit tests substitute canned answers).
    """

    def __init__(
        self,
        *,
        clock: Clock,
        journal: CallJournal,
        settings: Callable[[], RecallSettings],
        network: AsyncNetwork = open_stream,
    ) -> None:
        self._clock = clock
        self._journal = journal
        self._settings = settings
        self._network = network
        # Set inside the simulator (`FakeRecall.attach_token_inspector`): grades token-live.
        self.token_inspector: TokenInspector | None = None

    @staticmethod
    def _signature_headers(secret: str | None) -> dict[str, str] | None:
        if secret is None:
            return None
        # The machine's clock, not the simulation clock: the receiver checks the
        # timestamp against its own wall clock, and a virtual clock moved forward to
        # expire tokens must not make every signature look five minutes ahead.
        return signature_headers(secret, timestamp=time.time())

    def recent(self, credential: uuid.UUID, *, limit: int) -> list[CallRecord]:
        """The credential's last ``limit`` calls, oldest first (what a log's cause reads)."""
        return self._journal.records(credential=credential, limit=limit)

    def recent_to(self, url: str, *, purpose: CallPurpose, limit: int) -> list[CallRecord]:
        """The last ``limit`` calls of ``purpose`` to ``url`` (masked as the journal masks
        it), oldest first: the history a bot's failed call is diagnosed from."""
        masked = self._settings().url_secrets.mask_url(url)
        return [r for r in self._journal.records(purpose=purpose) if r.url == masked][-limit:]

    def link(self, result: CallResult, credential: uuid.UUID) -> None:
        """Attach the credential a create produced to that call's journal record."""
        self._journal.link(result.record.seq, credential)

    async def observe(self, url: str) -> tuple[Observation, bool]:
        """One GET of ``url`` as Recall makes it (the settings' deadline, signed when a
        verification secret is set), not graded: for calls whose answer is graded by rules
        of their own (a bot's token callbacks). Returns the observation and whether it was
        signed; `record` journals the graded call."""
        return await self._get(url, self._settings())

    def record(
        self,
        judgement: Judgement,
        *,
        purpose: CallPurpose,
        signed: bool,
        bot: uuid.UUID | None = None,
        notes: tuple[str, ...] = (),
    ) -> CallResult:
        """Journal a call made with `observe` and graded by its caller."""
        return self._journaled(
            judgement,
            self._settings().url_secrets,
            purpose=purpose,
            signed=signed,
            bot=bot,
            notes=notes,
        )

    async def _get(self, url: str, settings: RecallSettings) -> tuple[Observation, bool]:
        """The GET both `observe` and `call` make: the observation and whether it was signed."""
        headers = self._signature_headers(settings.verification_secret)
        observation = await aprobe(
            url,
            deadline=settings.callback_deadline,
            headers=headers,
            network=self._network,
            clock=self._clock,
        )
        return observation, headers is not None

    def _journaled(
        self,
        judgement: Judgement,
        secrets: SecretPolicy,
        *,
        purpose: CallPurpose,
        signed: bool,
        credential: uuid.UUID | None = None,
        oauth_app: uuid.UUID | None = None,
        bot: uuid.UUID | None = None,
        notes: tuple[str, ...] = (),
    ) -> CallResult:
        record = self._journal.record(
            judgement,
            purpose=purpose,
            credential=credential,
            oauth_app=oauth_app,
            signed=signed,
            secrets=secrets,
            bot=bot,
            notes=notes,
        )
        return CallResult(judgement=judgement, record=record, secrets=secrets)

    async def call(
        self,
        url: str,
        *,
        purpose: CallPurpose,
        client_id: str,
        expected_user_id: str | None = None,
        credential: uuid.UUID | None = None,
        oauth_app: uuid.UUID | None = None,
    ) -> CallResult:
        settings = self._settings()
        observation, signed = await self._get(url, settings)
        # The simulated Recall's budget is its setting (short in tests), not the fixed 5 s.
        judgement = judge(
            observation,
            client_id=client_id,
            expected_user_id=expected_user_id,
            clock=self._clock,
            budget=settings.callback_deadline,
        )
        judgement = grade_token_live(
            judgement,
            self.token_inspector,
            client_id=client_id,
            expected_user_id=expected_user_id,
        )
        return self._journaled(
            judgement,
            settings.url_secrets,
            purpose=purpose,
            signed=signed,
            credential=credential,
            oauth_app=oauth_app,
        )
