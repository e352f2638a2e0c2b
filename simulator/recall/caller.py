"""One call to an access-token callback, made and graded exactly like Recall's.

The prober makes the call (hard total deadline) and the judge grades the answer;
this module adds only what is Recall's own: the Standard Webhooks signature, the
app's client id and expected user, the journal entry and the rejection message.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.connections import AsyncNetwork, open_stream
from recall_sim.simulator.judge import Judgement, judge
from recall_sim.simulator.prober import aprobe
from recall_sim.simulator.recall.journal import CallJournal, CallPurpose, CallRecord
from recall_sim.simulator.recall.settings import RecallSettings
from recall_sim.simulator.redaction import NO_NAMED_SECRETS, SecretPolicy, redact_text
from recall_sim.simulator.signing import signature_headers

__all__ = ["CallResult", "CallbackCaller", "rejection_detail"]


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

    def link(self, result: CallResult, credential: uuid.UUID) -> None:
        """Attach the credential a create produced to that call's journal record."""
        self._journal.link(result.record.seq, credential)

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
        headers = self._signature_headers(settings.verification_secret)
        observation = await aprobe(
            url,
            deadline=settings.callback_deadline,
            headers=headers,
            network=self._network,
            clock=self._clock,
        )
        # The simulated Recall's budget is its setting (short in tests), not the fixed 5 s.
        judgement = judge(
            observation,
            client_id=client_id,
            expected_user_id=expected_user_id,
            clock=self._clock,
            budget=settings.callback_deadline,
        )
        record = self._journal.record(
            judgement,
            purpose=purpose,
            credential=credential,
            oauth_app=oauth_app,
            signed=headers is not None,
            secrets=settings.url_secrets,
        )
        return CallResult(judgement=judgement, record=record, secrets=settings.url_secrets)
