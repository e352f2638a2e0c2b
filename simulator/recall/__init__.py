"""The fake Recall: Zoom OAuth apps and credentials, callback validation, polling, the journal.

State and logic are plain Python (no FastAPI); the HTTP adapters live in
``simulator.recall.api``.
"""

from __future__ import annotations

from simulator.recall.caller import CallResult
from simulator.recall.credentials import AccessToken, CredentialCreated
from simulator.recall.errors import (
    CallbackRejected,
    CredentialUnhealthy,
    DuplicateCredential,
    InvalidCursor,
    InvalidInput,
    NotFound,
    RecallError,
)
from simulator.recall.fake import FakeRecall
from simulator.recall.journal import CallPurpose, CallRecord
from simulator.recall.models import (
    AppKind,
    AppLog,
    Credential,
    CredentialLog,
    CredentialStatus,
    MeetingSyncStatus,
    OAuthApp,
)
from simulator.recall.pagination import Cursor, Page
from simulator.recall.poller import PollRound
from simulator.recall.queries import AppLogQuery, AppQuery, CredentialLogQuery, CredentialQuery
from simulator.recall.settings import DuplicatePolicy, RecallSettings

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
