"""How the fake Recall grades the answer of a bot's token callback (SPEC §7).

A bot's OBF, ZAK and join-token URLs are called like the access-token callback (the
same prober, budget and signature, see `CallbackCaller.observe`) and graded by the same
judge for their kind (`recall_sim.simulator.kinds`: the access token's claim rules skip
for these tokens). Each kind then adds its own rule, graded against what the
fake Zoom minted (`MintedTokenRegistry`, `FakeZoom` in the simulator): an OBF token is
presented (`use_token`), so one served twice is seen as used.

The module decides what each answer means for the bot (`TokenGrade.fatal`, `.no_token`);
`bots` turns that into status changes. Where Recall does not document what it does, the
choice is a named constant here, labelled in the journal's notes and the README.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.judge import Judgement, judge
from recall_sim.simulator.kinds import (
    ASSUMED_BUDGET_NOTE,
    KINDS,
    OBF_JUST_IN_TIME_S,
    TokenKind,
)
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.recall.journal import CallPurpose
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.timestamps import iso_timestamp

__all__ = [
    "BOT_KINDS",
    "MintedRecord",
    "MintedTokenRegistry",
    "TokenGrade",
    "grade_bot_token",
    "label_of",
    "purpose_of",
]

# The three token callbacks of a Create Bot request's ``zoom`` object, in calling order.
BOT_KINDS: Final = (TokenKind.OBF, TokenKind.ZAK, TokenKind.JOIN_TOKEN)
_NO_ZOOM: Final = (
    "simulator's choice: no fake Zoom is attached, so the token cannot be checked against "
    "Zoom's record; a bare token is taken as valid"
)
_JOIN_WITHOUT: Final = (
    "the bot joins without a join token{why} (Recall's docs: answer 404 when no join token "
    "can be generated); simulator's choice: it then assumes the host grants recording"
)
_OTHER_ERROR: Final = (
    "simulator's choice: Recall documents 404 for 'no join token'; any other answer "
    "without a token is taken as no token too"
)


_PURPOSES: Final = {
    TokenKind.OBF: CallPurpose.BOT_OBF,
    TokenKind.ZAK: CallPurpose.BOT_ZAK,
    TokenKind.JOIN_TOKEN: CallPurpose.BOT_JOIN_TOKEN,
}
_LABELS: Final = {
    TokenKind.OBF: "OBF token",
    TokenKind.ZAK: "ZAK",
    TokenKind.JOIN_TOKEN: "join token",
}


def purpose_of(kind: TokenKind) -> CallPurpose:
    """How the call journal names a bot's call of a ``kind`` callback."""
    return _PURPOSES[kind]


def label_of(kind: TokenKind) -> str:
    return _LABELS[kind]


_KIND_RULE: Final = {
    TokenKind.OBF: "obf.minted-for-user",
    TokenKind.ZAK: "zak.valid-for-user",
    TokenKind.JOIN_TOKEN: "join-token.for-meeting",
}
FRESH_PER_CALL: Final = "obf.fresh-per-call"
_RECALL_BUDGET_S: Final = 5.0
JOIN_404: Final = "join-token.404-when-unavailable"
_STATUS_2XX: Final = "contract.status-2xx"


class MintedRecord(Protocol):
    """What the fake Zoom knows of a token it minted (`MintedToken`'s shape)."""

    @property
    def kind(self) -> str: ...

    @property
    def user_id(self) -> str: ...

    @property
    def meeting_id(self) -> str | None: ...

    @property
    def minted_at(self) -> float: ...

    @property
    def expires_at(self) -> float: ...

    @property
    def uses(self) -> int: ...

    @property
    def first_used_at(self) -> float | None: ...


class MintedTokenRegistry(Protocol):
    """The fake Zoom's record of minted tokens (`FakeZoom` has this shape)."""

    def minted_token(self, token: str) -> MintedRecord | None: ...

    def use_token(self, token: str) -> MintedRecord | None: ...


@dataclass(frozen=True)
class TokenGrade:
    """One graded answer and what it means for the bot.

    ``fatal``: why the bot cannot join with this answer (None: it can); ``no_token``: the
    join-token URL said there is none, and the bot joins without one; ``notes``: the
    labelled assumptions and choices the grade rests on.
    """

    kind: TokenKind
    judgement: Judgement
    fatal: str | None = None
    no_token: bool = False
    notes: tuple[str, ...] = ()


def grade_bot_token(
    kind: TokenKind,
    observation: Observation,
    *,
    clock: Clock,
    budget: float,
    registry: MintedTokenRegistry | None,
    meeting_id: str,
) -> TokenGrade:
    """Grade one answer of a ``kind`` callback for a bot joining meeting ``meeting_id``."""
    base = judge(observation, clock=clock, budget=budget, kind=kind)
    verdicts = list(base.verdicts)
    assumed = ASSUMED_BUDGET_NOTE.format(kind=kind.value)
    if budget != _RECALL_BUDGET_S:
        assumed += f"; this simulated Recall's budget is {budget:g} s (callback_deadline)"
    notes = [f"assumption: {assumed}"]
    status = observation.status
    is_2xx = status is not None and 200 <= status < 300
    token = base.token if is_2xx else None
    no_token = False
    if kind is TokenKind.JOIN_TOKEN and not is_2xx:
        no_token = True
        verdicts, extra = _join_token_refused(verdicts, status)
        notes.append(extra)
    elif kind is TokenKind.JOIN_TOKEN and token is None:
        verdicts.append(
            Verdict(
                JOIN_404,
                Outcome.FAIL,
                f"answered HTTP {status} without a join token; when no join token can be "
                "generated the answer must be 404: a 2xx without a valid one makes the bot "
                "fail to join",
                base.evidence,
            )
        )
    if token is not None:
        if registry is None:
            verdicts.append(Verdict(_KIND_RULE[kind], Outcome.SKIP, _NO_ZOOM, {}))
            notes.append(_NO_ZOOM)
        else:
            verdicts.extend(_kind_verdicts(kind, token, registry, clock.now(), meeting_id))
    judgement = replace(base, verdicts=tuple(verdicts), claims=None, remaining=None)
    fatal = None
    if not no_token and not judgement.accepted:
        fatal = "; ".join(f"{v.detail} ({v.rule})" for v in judgement.failures)
    return TokenGrade(kind, judgement, fatal=fatal, no_token=no_token, notes=tuple(notes))


def _join_token_refused(verdicts: list[Verdict], status: int | None) -> tuple[list[Verdict], str]:
    """A join-token URL without a 2xx: no token. A 404 is the documented answer, so its
    ``contract.status-2xx`` passes; anything else keeps its verdicts, labelled."""
    if status == 404:
        shown = [
            Verdict(_STATUS_2XX, Outcome.PASS, "HTTP 404: the documented 'no join token'", {})
            if v.rule == _STATUS_2XX
            else v
            for v in verdicts
        ]
        shown.append(
            Verdict(JOIN_404, Outcome.PASS, "answered 404: no join token can be generated", {})
        )
        return shown, _JOIN_WITHOUT.format(why=" (the URL answered 404)")
    why = " (no answer)" if status is None else f" (the URL answered HTTP {status})"
    return verdicts, f"{_JOIN_WITHOUT.format(why=why)}; {_OTHER_ERROR}"


def _kind_verdicts(
    kind: TokenKind,
    token: str,
    registry: MintedTokenRegistry,
    now: float,
    meeting_id: str,
) -> list[Verdict]:
    rule = _KIND_RULE[kind]
    # The bot presents an OBF token to Zoom, which counts the use: single-use shows.
    record = registry.use_token(token) if kind is TokenKind.OBF else registry.minted_token(token)
    label = label_of(kind)
    if record is None:
        return [Verdict(rule, Outcome.FAIL, f"the fake Zoom never minted this {label}", {})]
    evidence = {
        "minted_as": str(record.kind),
        "user_id": record.user_id,
        "meeting_id": record.meeting_id,
        "minted_at": iso_timestamp(record.minted_at),
        "expires_at": iso_timestamp(record.expires_at),
        "uses_before": record.uses,
    }
    if str(record.kind) != KINDS[kind].minted_kind:
        detail = f"the fake Zoom minted this token as a {record.kind} token, not a {label}"
        return [Verdict(rule, Outcome.FAIL, detail, evidence)]
    if record.expires_at <= now:
        detail = f"the {label} expired {now - record.expires_at:.0f} s before the call"
        return [Verdict(rule, Outcome.FAIL, detail, evidence)]
    if kind is TokenKind.JOIN_TOKEN and record.meeting_id != meeting_id:
        detail = f"the join token was minted for meeting {record.meeting_id}, not {meeting_id}"
        return [Verdict(rule, Outcome.FAIL, detail, evidence)]
    whose = f"minted for user {record.user_id}"
    if kind is TokenKind.JOIN_TOKEN:
        whose += f" and meeting {meeting_id}, {record.expires_at - now:.0f} s left"
    found = [Verdict(rule, Outcome.PASS, f"the fake Zoom {whose}", evidence)]
    if kind is TokenKind.OBF:
        found.append(_fresh_per_call(record, now, evidence))
    return found


def _fresh_per_call(record: MintedRecord, now: float, evidence: Mapping[str, Any]) -> Verdict:
    if record.uses:
        first = (
            ""
            if record.first_used_at is None
            else f", first at {iso_timestamp(record.first_used_at)}"
        )
        detail = (
            f"OBF token was already used ({record.uses} time(s) before{first}): OBF tokens "
            "are single-use, so the OBF callback must mint a new token per call, never cache one"
        )
        return Verdict(FRESH_PER_CALL, Outcome.FAIL, detail, evidence)
    age = now - record.minted_at
    if age > OBF_JUST_IN_TIME_S:
        detail = (
            f"OBF token was minted {age:.0f} s before the call (over {OBF_JUST_IN_TIME_S:g} s): "
            "mint it just in time"
        )
        return Verdict(FRESH_PER_CALL, Outcome.WARN, detail, evidence)
    return Verdict(
        FRESH_PER_CALL, Outcome.PASS, f"unused OBF token minted {age:.0f} s before", evidence
    )
