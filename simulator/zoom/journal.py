"""What happened at the fake's OAuth endpoints, so tests can assert on a callback's behaviour.

Tokens and codes are redacted on the way in (first 8 and last 4 characters plus a
fingerprint, SPEC §5), so no journal reader can ever see a whole one. Times are shown
as the fake Recall's journal shows them (`recall_sim.simulator.timestamps`), on the
simulation clock.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.redaction import redact_text, redact_token
from recall_sim.simulator.timestamps import iso_timestamp

__all__ = ["EventKind", "Journal", "JournalEvent", "Outcome"]

# Enough for any test and for hours of `serve`, without growing without bound.
MAX_EVENTS = 10_000


class EventKind(StrEnum):
    AUTHORIZE = "authorize"
    CODE_EXCHANGE = "code_exchange"
    REFRESH = "refresh"
    REFRESH_TOKEN_REUSE = "refresh_token_reuse"  # noqa: S105 (an event name)
    TOKEN_REQUEST = "token_request"  # noqa: S105 (refused before the grant type was known)
    REVOKE = "revoke"
    DEAUTHORIZE = "deauthorize"
    DIRECT_GRANT = "direct_grant"  # tokens issued through the Python API, not HTTP
    FAULT = "fault"
    MINT = "mint"  # an OBF token, ZAK or join token asked of the REST API


class Outcome(StrEnum):
    OK = "ok"
    REJECTED = "rejected"
    FAULT = "fault"
    ABANDONED = "abandoned"  # the client hung up during an injected stall


@dataclass(frozen=True)
class JournalEvent:
    """One event; token fields hold redacted forms, never whole tokens.

    ``at`` is Unix seconds here and ISO-8601 with ``Z`` in `to_json`, like every
    time the simulator shows.
    """

    seq: int
    at: float
    kind: EventKind
    outcome: Outcome
    status: int | None = None
    client_id: str | None = None
    user_id: str | None = None
    grant_id: str | None = None
    error: str | None = None
    reason: str | None = None
    presented: str | None = None
    issued_access_token: str | None = None
    issued_refresh_token: str | None = None
    fault: str | None = None
    detail: str | None = None
    issued_token: str | None = None  # an OBF token, ZAK or join token
    meeting_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = iso_timestamp(self.at)
        data["kind"] = self.kind.value
        data["outcome"] = self.outcome.value
        return data


def _redacted(token: str | None) -> str | None:
    return None if token is None else redact_token(token)


def _scrubbed(text: str | None) -> str | None:
    return None if text is None else redact_text(text)


class Journal:
    """An append-only, thread-safe event log with filtered reads."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._events: collections.deque[JournalEvent] = collections.deque(maxlen=MAX_EVENTS)
        self._seq = 0

    def record(
        self,
        kind: EventKind,
        outcome: Outcome,
        *,
        status: int | None = None,
        client_id: str | None = None,
        user_id: str | None = None,
        grant_id: str | None = None,
        error: str | None = None,
        reason: str | None = None,
        presented: str | None = None,
        issued_access_token: str | None = None,
        issued_refresh_token: str | None = None,
        fault: str | None = None,
        detail: str | None = None,
        issued_token: str | None = None,
        meeting_id: str | None = None,
    ) -> JournalEvent:
        """Append an event; pass whole tokens, they are redacted here."""
        with self._lock:
            self._seq += 1
            event = JournalEvent(
                seq=self._seq,
                at=self._clock.now(),
                kind=kind,
                outcome=outcome,
                status=status,
                client_id=client_id,
                user_id=user_id,
                grant_id=grant_id,
                error=error,
                reason=_scrubbed(reason),
                presented=_redacted(presented),
                issued_access_token=_redacted(issued_access_token),
                issued_refresh_token=_redacted(issued_refresh_token),
                fault=fault,
                detail=_scrubbed(detail),
                issued_token=_redacted(issued_token),
                meeting_id=meeting_id,
            )
            self._events.append(event)
            return event

    def events(
        self,
        *,
        kind: EventKind | str | None = None,
        outcome: Outcome | str | None = None,
        user_id: str | None = None,
        client_id: str | None = None,
        grant_id: str | None = None,
        since: int | None = None,
    ) -> list[JournalEvent]:
        """Events in order, filtered; ``since`` keeps those with ``seq`` greater than it."""
        with self._lock:
            snapshot = list(self._events)
        return [
            e
            for e in snapshot
            if (kind is None or e.kind == kind)
            and (outcome is None or e.outcome == outcome)
            and (user_id is None or e.user_id == user_id)
            and (client_id is None or e.client_id == client_id)
            and (grant_id is None or e.grant_id == grant_id)
            and (since is None or e.seq > since)
        ]

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self._seq = 0
