"""Counted, seeded faults for Zoom's endpoints: how a test makes Zoom misbehave on cue.

A fault targets one endpoint (default: the token endpoint) and covers its next
``count`` requests; each covered request misbehaves with ``probability`` (1.0: every
one), decided by a generator seeded with ``seed``, so a flaky-Zoom scenario replays
exactly. Faults queue per endpoint: the first one still covering that endpoint's
requests applies; once its count is spent the next one takes over.
"""

from __future__ import annotations

import random
import secrets
import threading
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

__all__ = ["AppliedFault", "Fault", "FaultEndpoint", "FaultKind", "FaultPlan", "FaultStatus"]

_MAX_COUNT = 10_000
_MAX_STALL_SECONDS = 120.0
_MAX_RETRY_AFTER = 86_400


class FaultKind(StrEnum):
    SERVER_ERROR = "server_error"  # 500 with a Zoom-shaped body
    RATE_LIMITED = "rate_limited"  # 429 with Retry-After
    STALL = "stall"  # wait `seconds`, then answer normally
    MALFORMED_BODY = "malformed_body"  # 200 with truncated JSON
    DROP_CONNECTION = "drop_connection"  # headers, then the connection closes mid-body


class FaultEndpoint(StrEnum):
    """Which of Zoom's endpoints a fault hits."""

    TOKEN = "token"  # noqa: S105 - POST /oauth/token
    OBF = "obf"  # GET /v2/users/{id}/token?type=onbehalf
    ZAK = "zak"  # GET /v2/users/{id}/token?type=zak and /v2/users/me/zak
    JOIN_TOKEN = "join_token"  # noqa: S105 - GET /v2/meetings/{id}/jointoken/local_recording


@dataclass(frozen=True)
class Fault:
    """What to inject, where, and for how many requests."""

    kind: FaultKind
    count: int = 1
    probability: float = 1.0
    seed: int | None = None
    seconds: float = 1.0  # stall only
    retry_after: int = 1  # rate_limited only
    endpoint: FaultEndpoint = FaultEndpoint.TOKEN

    def __post_init__(self) -> None:
        if not isinstance(self.kind, FaultKind):
            kinds = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"fault kind must be one of {kinds}; got {self.kind!r}")
        if not isinstance(self.endpoint, FaultEndpoint):
            endpoints = ", ".join(e.value for e in FaultEndpoint)
            raise ValueError(f"fault endpoint must be one of {endpoints}; got {self.endpoint!r}")
        if isinstance(self.count, bool) or not 1 <= self.count <= _MAX_COUNT:
            raise ValueError(f"count must be between 1 and {_MAX_COUNT}, got {self.count!r}")
        if not 0.0 < self.probability <= 1.0:
            raise ValueError(f"probability must be in (0, 1], got {self.probability!r}")
        if not 0.0 <= self.seconds <= _MAX_STALL_SECONDS:
            raise ValueError(
                f"seconds must be between 0 and {_MAX_STALL_SECONDS}, got {self.seconds!r}"
            )
        if not 0 <= self.retry_after <= _MAX_RETRY_AFTER:
            raise ValueError(
                f"retry_after must be between 0 and {_MAX_RETRY_AFTER}, got {self.retry_after!r}"
            )

    def describe(self) -> str:
        if self.kind is FaultKind.STALL:
            return f"stall {self.seconds:g} s"
        if self.kind is FaultKind.RATE_LIMITED:
            return f"429, Retry-After {self.retry_after}"
        return self.kind.value


@dataclass(frozen=True)
class AppliedFault:
    """A fault that hit one request: which fault, and which hit of it this is."""

    fault_id: int
    fault: Fault
    hit: int


@dataclass(frozen=True)
class FaultStatus:
    """A queued fault's progress; ``fault.seed`` is the seed actually used."""

    id: int
    fault: Fault
    remaining: int
    applied: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.fault.kind.value,
            "endpoint": self.fault.endpoint.value,
            "count": self.fault.count,
            "probability": self.fault.probability,
            "seed": self.fault.seed,
            "seconds": self.fault.seconds,
            "retry_after": self.fault.retry_after,
            "remaining": self.remaining,
            "applied": self.applied,
        }


class _Queued:
    def __init__(self, fault_id: int, fault: Fault) -> None:
        self.id = fault_id
        self.fault = fault
        self.remaining = fault.count
        self.applied = 0
        # Not for security: a seeded generator makes a flaky scenario replay exactly.
        self.rng = random.Random(fault.seed)  # noqa: S311

    def status(self) -> FaultStatus:
        return FaultStatus(
            id=self.id, fault=self.fault, remaining=self.remaining, applied=self.applied
        )


class FaultPlan:
    """The queue of faults waiting for token requests; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []
        self._next_id = 1

    def add(self, fault: Fault) -> FaultStatus:
        """Queue a fault; a missing seed is drawn now and reported, so the run can replay."""
        if fault.seed is None:
            fault = replace(fault, seed=secrets.randbelow(2**32))
        with self._lock:
            queued = _Queued(self._next_id, fault)
            self._next_id += 1
            self._queue.append(queued)
            return queued.status()

    def take(self, endpoint: FaultEndpoint = FaultEndpoint.TOKEN) -> AppliedFault | None:
        """Count one request to ``endpoint`` against its head fault; the fault if this
        request gets it."""
        with self._lock:
            head = next((q for q in self._queue if q.fault.endpoint is endpoint), None)
            if head is None:
                return None
            head.remaining -= 1
            if head.remaining == 0:
                self._queue.remove(head)
            if head.rng.random() >= head.fault.probability:
                return None
            head.applied += 1
            return AppliedFault(fault_id=head.id, fault=head.fault, hit=head.applied)

    def active(self) -> list[FaultStatus]:
        with self._lock:
            return [q.status() for q in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
