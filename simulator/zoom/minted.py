"""Every OBF token, ZAK and join token the fake Zoom mints: kind, user, meeting, time, use.

The conformance rules of the other token callbacks (SPEC §7) grade a callback's answer
against this record: was the token minted here, for whom, for which meeting, how long
before the call, and was it handed out before. Tokens are kept only as digests (SPEC
§5): a record can be looked up by the token, never turned back into it.
"""

from __future__ import annotations

import collections
import hashlib
import threading
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from recall_sim.simulator.redaction import redact_token
from recall_sim.simulator.timestamps import iso_timestamp

__all__ = ["MintedKind", "MintedToken", "MintedTokens"]

# Far more than any test or hour of `serve` mints; the oldest records go first.
MAX_MINTED = 10_000


class MintedKind(StrEnum):
    """What a minted token is for (the ``type`` Zoom was asked for)."""

    OBF = "onbehalf"
    ZAK = "zak"
    USER_TOKEN = "token"  # noqa: S105 - Zoom's deprecated SDK token type
    JOIN_TOKEN = "local_recording"  # noqa: S105 - a join token for local recording


@dataclass(frozen=True)
class MintedToken:
    """One minted token's record; ``fingerprint`` is its redacted form, never the token."""

    kind: MintedKind
    fingerprint: str
    client_id: str
    user_id: str
    minted_at: float
    expires_at: float
    meeting_id: str | None = None
    uses: int = 0
    first_used_at: float | None = None

    @property
    def used(self) -> bool:
        return self.uses > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "token": self.fingerprint,
            "client_id": self.client_id,
            "user_id": self.user_id,
            "meeting_id": self.meeting_id,
            "minted_at": iso_timestamp(self.minted_at),
            "expires_at": iso_timestamp(self.expires_at),
            "uses": self.uses,
            "first_used_at": None
            if self.first_used_at is None
            else iso_timestamp(self.first_used_at),
        }


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class MintedTokens:
    """The registry, thread-safe and bounded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: collections.OrderedDict[bytes, MintedToken] = collections.OrderedDict()

    def record(
        self,
        token: str,
        *,
        kind: MintedKind,
        client_id: str,
        user_id: str,
        minted_at: float,
        expires_at: float,
        meeting_id: str | None = None,
    ) -> MintedToken:
        minted = MintedToken(
            kind=kind,
            fingerprint=redact_token(token),
            client_id=client_id,
            user_id=user_id,
            minted_at=minted_at,
            expires_at=expires_at,
            meeting_id=meeting_id,
        )
        with self._lock:
            self._records[_digest(token)] = minted
            while len(self._records) > MAX_MINTED:
                self._records.popitem(last=False)
        return minted

    def find(self, token: str) -> MintedToken | None:
        with self._lock:
            return self._records.get(_digest(token))

    def use(self, token: str, *, at: float) -> MintedToken | None:
        """Count one use (a bot joining with it); the record as it was before, or None
        for a token not minted here."""
        key = _digest(token)
        with self._lock:
            before = self._records.get(key)
            if before is not None:
                first = before.first_used_at if before.used else at
                self._records[key] = replace(before, uses=before.uses + 1, first_used_at=first)
            return before

    def all(self, kind: MintedKind | None = None) -> list[MintedToken]:
        with self._lock:
            return [m for m in self._records.values() if kind is None or m.kind is kind]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
