"""What happened over time on both sides of a callback: its answers, and the fake Zoom's events.

A `Timeline` is the one input of the diagnosis (`recall_sim.simulator.causes`): `check`,
`watch`, the HTML report and the fake Recall's credential logs all build one and hand it
over, so no consumer re-derives a cause. Points hold only redacted values (a token is
its fingerprint form, SPEC §5), so a timeline can be written to any report as it is.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from recall_sim.simulator.judge import RECALL_BUDGET, Judgement
from recall_sim.simulator.redaction import fingerprint, redact_text, redact_token
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.timestamps import iso_timestamp, parse_iso_timestamp

__all__ = [
    "BodyKind",
    "CallPoint",
    "JournalEventLike",
    "Timeline",
    "TimelineRecorder",
    "ZoomEventPoint",
]

BodyKind = Literal["token", "empty", "other", "none"]
# An hour watched at one call a second, with room: recorders drop the oldest beyond this.
MAX_POINTS: Final = 10_000
_HINT_CHARS: Final = 200


@dataclass(frozen=True)
class CallPoint:
    """One call to the callback, reduced to what the diagnosis and the charts read.

    ``at`` is Unix seconds on the judge's clock when the call started; ``answer_s``
    is how long the whole answer took (or how long until it was cut);
    ``remaining_s`` the token's validity left when the answer arrived. ``token`` is
    the redacted form and ``token_id`` a short fingerprint that identifies the same
    token across calls. ``body_hint`` is the start of a refusal's body and headers
    that could say why (redacted), for causes that read it.
    """

    index: int
    at: float
    answer_s: float
    status: int | None
    error: str | None  # an ErrorKind value when no complete answer arrived
    body_kind: BodyKind
    token: str | None
    token_id: str | None
    remaining_s: float | None
    issuer: str | None
    user_id: str | None
    failed_rules: tuple[str, ...]
    warned_rules: tuple[str, ...]
    signed: bool
    label: str = "call"  # what made the call: "baseline", "load.burst", "watch", ...
    body_hint: str = ""

    @classmethod
    def from_judgement(
        cls, index: int, judged: Judgement, *, signed: bool, label: str = "call"
    ) -> CallPoint:
        observation = judged.observation
        body = observation.body
        if observation.status is None:
            body_kind: BodyKind = "none"
        elif judged.token is not None:
            body_kind = "token"
        elif not body.strip():
            body_kind = "empty"
        else:
            body_kind = "other"
        hint = ""
        if observation.status is not None and not 200 <= observation.status < 300:
            authenticate = observation.header("www-authenticate") or ""
            text = body[:_HINT_CHARS].decode("utf-8", "replace")
            hint = redact_text(f"{authenticate} {text}".strip())[:_HINT_CHARS]
        claims = judged.claims
        return cls(
            index=index,
            at=observation.started_at,
            answer_s=observation.timings.total,
            status=observation.status,
            error=None if observation.error is None else observation.error.kind.value,
            body_kind=body_kind,
            token=None if judged.token is None else redact_token(judged.token),
            token_id=None if judged.token is None else fingerprint(judged.token),
            remaining_s=judged.remaining,
            issuer=None if claims is None else claims.issuer,
            user_id=None if claims is None else claims.user_id,
            failed_rules=tuple(v.rule for v in judged.verdicts if v.outcome is Outcome.FAIL),
            warned_rules=tuple(v.rule for v in judged.verdicts if v.outcome is Outcome.WARN),
            signed=signed,
            label=label,
            body_hint=hint,
        )

    @property
    def accepted(self) -> bool:
        return not self.failed_rules

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "at": iso_timestamp(self.at),
            "answer_s": round(self.answer_s, 4),
            "status": self.status,
            "error": self.error,
            "body_kind": self.body_kind,
            "token": self.token,
            "token_id": self.token_id,
            "remaining_s": None if self.remaining_s is None else round(self.remaining_s, 1),
            "issuer": self.issuer,
            "user_id": self.user_id,
            "failed_rules": list(self.failed_rules),
            "warned_rules": list(self.warned_rules),
            "signed": self.signed,
            "label": self.label,
            "body_hint": self.body_hint,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CallPoint:
        remaining = data.get("remaining_s")
        return cls(
            index=int(data["index"]),
            at=parse_iso_timestamp(str(data["at"])),
            answer_s=float(data["answer_s"]),
            status=data.get("status"),
            error=data.get("error"),
            body_kind=data.get("body_kind", "none"),
            token=data.get("token"),
            token_id=data.get("token_id"),
            remaining_s=None if remaining is None else float(remaining),
            issuer=data.get("issuer"),
            user_id=data.get("user_id"),
            failed_rules=tuple(data.get("failed_rules", ())),
            warned_rules=tuple(data.get("warned_rules", ())),
            signed=bool(data.get("signed", False)),
            label=str(data.get("label", "call")),
            body_hint=str(data.get("body_hint", "")),
        )


class JournalEventLike(Protocol):
    """What `ZoomEventPoint.from_event` reads from a fake Zoom journal event.

    A protocol, so the timeline (read by the fake Recall too) needs no import of the fake
    Zoom: the simulator app hands its events over through a hook.
    """

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> float: ...
    @property
    def kind(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def status(self) -> int | None: ...
    @property
    def client_id(self) -> str | None: ...
    @property
    def user_id(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def presented(self) -> str | None: ...
    @property
    def issued_access_token(self) -> str | None: ...
    @property
    def fault(self) -> str | None: ...


@dataclass(frozen=True)
class ZoomEventPoint:
    """One event of the fake Zoom's journal (`recall_sim.simulator.zoom.journal`), as read
    back from its JSON: token requests and their outcome, faults. Token fields are
    already redacted there (``presented`` is the refresh token shown, by fingerprint)."""

    seq: int
    at: float
    kind: str  # an EventKind value: "refresh", "code_exchange", "refresh_token_reuse", "fault", ...
    outcome: str  # "ok", "rejected", "fault", "abandoned"
    status: int | None = None
    client_id: str | None = None
    user_id: str | None = None
    error: str | None = None
    reason: str | None = None
    presented: str | None = None
    issued_access_token: str | None = None
    fault: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ZoomEventPoint:
        at = data["at"]
        return cls(
            seq=int(data["seq"]),
            at=float(at) if isinstance(at, int | float) else parse_iso_timestamp(str(at)),
            kind=str(data["kind"]),
            outcome=str(data["outcome"]),
            status=data.get("status"),
            client_id=data.get("client_id"),
            user_id=data.get("user_id"),
            error=data.get("error"),
            reason=data.get("reason"),
            presented=data.get("presented"),
            issued_access_token=data.get("issued_access_token"),
            fault=data.get("fault"),
        )

    @classmethod
    def from_event(cls, event: JournalEventLike) -> ZoomEventPoint:
        """From a live journal event (already redacted there), without a JSON round trip."""
        return cls(
            seq=event.seq,
            at=event.at,
            kind=str(event.kind),
            outcome=str(event.outcome),
            status=event.status,
            client_id=event.client_id,
            user_id=event.user_id,
            error=event.error,
            reason=event.reason,
            presented=event.presented,
            issued_access_token=event.issued_access_token,
            fault=event.fault,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": iso_timestamp(self.at),
            "kind": self.kind,
            "outcome": self.outcome,
            "status": self.status,
            "client_id": self.client_id,
            "user_id": self.user_id,
            "error": self.error,
            "reason": self.reason,
            "presented": self.presented,
            "issued_access_token": self.issued_access_token,
            "fault": self.fault,
        }


@dataclass(frozen=True)
class Timeline:
    """Calls and the fake Zoom's events, each oldest first, plus what the run knew.

    ``client_id``: the Zoom app the tokens should name (``--client-id``), if known.
    ``signing_secret_given``: whether the calls could be signed like Recall's.
    ``zoom_observed``: whether the fake Zoom's journal was read at all (with
    ``--zoom-admin`` or inside ``serve``): without it, "no refresh reached Zoom" is
    unknown, not true.
    ``budget_s``: the seconds an answer had (Recall's 5 s; a simulated Recall's own
    setting), so "slow" means the same share of it everywhere.
    """

    calls: tuple[CallPoint, ...] = ()
    zoom_events: tuple[ZoomEventPoint, ...] = ()
    client_id: str | None = None
    signing_secret_given: bool = False
    zoom_observed: bool = False
    budget_s: float = RECALL_BUDGET

    def to_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "signing_secret_given": self.signing_secret_given,
            "zoom_observed": self.zoom_observed,
            "budget_s": self.budget_s,
            "calls": [c.to_json() for c in self.calls],
            "zoom_events": [e.to_json() for e in self.zoom_events],
        }


class TimelineRecorder:
    """Collects calls as they are made (thread-safe, bounded), then yields a `Timeline`."""

    def __init__(self, *, max_points: int = MAX_POINTS) -> None:
        self._lock = threading.Lock()
        self._calls: deque[CallPoint] = deque(maxlen=max_points)
        self._next_index = 0

    def record(self, judged: Judgement, *, signed: bool, label: str = "call") -> CallPoint:
        with self._lock:
            point = CallPoint.from_judgement(self._next_index, judged, signed=signed, label=label)
            self._next_index += 1
            self._calls.append(point)
        return point

    @property
    def count(self) -> int:
        return self._next_index

    def timeline(
        self,
        *,
        zoom_events: Iterable[ZoomEventPoint] = (),
        client_id: str | None = None,
        signing_secret_given: bool = False,
        zoom_observed: bool = False,
        budget_s: float = RECALL_BUDGET,
    ) -> Timeline:
        with self._lock:
            calls = tuple(self._calls)
        return Timeline(
            calls=calls,
            zoom_events=tuple(sorted(zoom_events, key=lambda e: e.seq)),
            client_id=client_id,
            signing_secret_given=signing_secret_given,
            zoom_observed=zoom_observed,
            budget_s=budget_s,
        )
