"""The fake Zoom: an OAuth issuer and REST API whose lifetimes, clock and faults tests control.

State and logic live in plain modules (no FastAPI); the ``routes_*`` modules are the
HTTP adapters. `FakeZoom` is the public Python API.
"""

from __future__ import annotations

from recall_sim.simulator.zoom.directory import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_USER_EMAIL,
    DEFAULT_USER_ID,
    ZoomApp,
    ZoomMeeting,
    ZoomUser,
)
from recall_sim.simulator.zoom.errors import ApiError, OAuthError
from recall_sim.simulator.zoom.fake import SIM_USER_PARAM, FakeZoom
from recall_sim.simulator.zoom.faults import Fault, FaultEndpoint, FaultKind, FaultStatus
from recall_sim.simulator.zoom.journal import EventKind, JournalEvent, Outcome
from recall_sim.simulator.zoom.minted import MintedKind, MintedToken
from recall_sim.simulator.zoom.settings import ZoomSettings
from recall_sim.simulator.zoom.tokens import AccessContext, TokenGrant, TokenRequest, TokenStatus

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_USER_EMAIL",
    "DEFAULT_USER_ID",
    "SIM_USER_PARAM",
    "AccessContext",
    "ApiError",
    "EventKind",
    "FakeZoom",
    "Fault",
    "FaultEndpoint",
    "FaultKind",
    "FaultStatus",
    "JournalEvent",
    "MintedKind",
    "MintedToken",
    "OAuthError",
    "Outcome",
    "TokenGrant",
    "TokenRequest",
    "TokenStatus",
    "ZoomApp",
    "ZoomMeeting",
    "ZoomSettings",
    "ZoomUser",
]
