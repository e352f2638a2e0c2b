"""The fake Recall: Zoom OAuth apps and credentials, callback validation, polling, the journal.

State and logic are plain Python (no FastAPI); the HTTP adapters live in
``recall_sim.simulator.recall.api``.
"""

from __future__ import annotations

from recall_sim.simulator.recall.caller import CallResult
from recall_sim.simulator.recall.credentials import AccessToken, CredentialCreated
from recall_sim.simulator.recall.errors import (
    CallbackRejected,
    CredentialUnhealthy,
    DuplicateCredential,
    InvalidCursor,
    InvalidInput,
    NotFound,
    RecallError,
)
from recall_sim.simulator.recall.fake import FakeRecall
from recall_sim.simulator.recall.journal import CallPurpose, CallRecord
from recall_sim.simulator.recall.models import (
    AppKind,
    AppLog,
    Credential,
    CredentialLog,
    CredentialStatus,
    MeetingSyncStatus,
    OAuthApp,
)
from recall_sim.simulator.recall.pagination import Cursor, Page
from recall_sim.simulator.recall.poller import PollRound
from recall_sim.simulator.recall.queries import (
    AppLogQuery,
    AppQuery,
    CredentialLogQuery,
    CredentialQuery,
)
from recall_sim.simulator.recall.settings import DuplicatePolicy, RecallSettings

__all__ = [
    "AccessToken",
    "AppKind",
    "AppLog",
    "AppLogQuery",
    "AppQuery",
    "CallPurpose",
    "CallRecord",
    "CallResult",
    "CallbackRejected",
    "Credential",
    "CredentialCreated",
    "CredentialLog",
    "CredentialLogQuery",
    "CredentialQuery",
    "CredentialStatus",
    "CredentialUnhealthy",
    "Cursor",
    "DuplicateCredential",
    "DuplicatePolicy",
    "FakeRecall",
    "InvalidCursor",
    "InvalidInput",
    "MeetingSyncStatus",
    "NotFound",
    "OAuthApp",
    "Page",
    "PollRound",
    "RecallError",
    "RecallSettings",
]
