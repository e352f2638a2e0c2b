"""The token callbacks Recall calls (SPEC §7), as one small table of what differs per kind:
the fake Zoom endpoint that mints the token, and which rules grade its callback.

Every kind answers a GET with a plain-text token, so the contract, auth, isolation, load
and hygiene rules grade every kind alike; the access token's own claim and freshness
rules grade only the access-token kind, and each other kind has rules of its own.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "ACCESS_TOKEN_ONLY",
    "ASSUMED_BUDGET_NOTE",
    "KINDS",
    "KIND_RULES",
    "OBF_JUST_IN_TIME_S",
    "KindInfo",
    "TokenKind",
    "applies",
    "not_applicable",
]


class TokenKind(enum.StrEnum):
    ACCESS_TOKEN = "access-token"  # noqa: S105 - a kind's name, not a secret
    OBF = "obf"
    ZAK = "zak"
    JOIN_TOKEN = "join-token"  # noqa: S105 - a kind's name, not a secret


# The access token's own rules: its Zoom claims (SPEC §4) and how it is refreshed.
ACCESS_TOKEN_ONLY = frozenset(
    {
        "contract.jwt-access-token",
        "contract.issuer-client-id",
        "contract.min-validity-120s",
        "contract.expected-user",
        "contract.token-live",
        "freshness.refresh-before-expiry",
        "freshness.concurrent-refresh",
        "freshness.upstream-failure",
        "freshness.deauthorized-user",
    }
)


@dataclass(frozen=True)
class KindInfo:
    """One kind: what its callback serves, where it gets it, and the fault endpoint name of
    the fake Zoom (``POST /_sim/zoom/faults {"endpoint"}``) for that call."""

    kind: TokenKind
    body: str
    zoom_endpoint: str
    fault_endpoint: str
    minted_kind: str | None  # the fake Zoom's record kind (`MintedKind` value); None: OAuth


KINDS: Mapping[TokenKind, KindInfo] = {
    TokenKind.ACCESS_TOKEN: KindInfo(
        TokenKind.ACCESS_TOKEN, "the access token", "POST /oauth/token", "token", None
    ),
    TokenKind.OBF: KindInfo(
        TokenKind.OBF,
        "the OBF token",
        "GET /v2/users/{userId}/token?type=onbehalf",
        "obf",
        "onbehalf",
    ),
    TokenKind.ZAK: KindInfo(
        TokenKind.ZAK,
        "the ZAK",
        "GET /v2/users/me/token?type=zak (or /v2/users/me/zak)",
        "zak",
        "zak",
    ),
    TokenKind.JOIN_TOKEN: KindInfo(
        TokenKind.JOIN_TOKEN,
        "the join token",
        "GET /v2/meetings/{meetingId}/jointoken/local_recording",
        "join_token",
        "local_recording",
    ),
}

# Each kind's own rules; token.upstream-failure grades every kind but the access token's,
# whose token endpoint freshness.upstream-failure already grades.
KIND_RULES: Mapping[str, frozenset[TokenKind]] = {
    "obf.fresh-per-call": frozenset({TokenKind.OBF}),
    "obf.minted-for-user": frozenset({TokenKind.OBF}),
    "zak.valid-for-user": frozenset({TokenKind.ZAK}),
    "join-token.for-meeting": frozenset({TokenKind.JOIN_TOKEN}),
    "join-token.404-when-unavailable": frozenset({TokenKind.JOIN_TOKEN}),
    "token.upstream-failure": frozenset({TokenKind.OBF, TokenKind.ZAK, TokenKind.JOIN_TOKEN}),
}

# SPEC §7: an OBF token minted more than this long before the call was not minted for it.
OBF_JUST_IN_TIME_S = 30.0

ASSUMED_BUDGET_NOTE = (
    "the 5 s budget is an assumption for the {kind} kind: Recall documents no timeout for "
    "its OBF, ZAK and join-token calls, so recall-sim grades them with the access-token "
    "callback's 5 s (SPEC §7)"
)


def applies(rule_id: str, kind: TokenKind) -> bool:
    """Whether ``rule_id`` grades a callback of ``kind``."""
    if rule_id in ACCESS_TOKEN_ONLY:
        return kind is TokenKind.ACCESS_TOKEN
    wanted = KIND_RULES.get(rule_id)
    return wanted is None or kind in wanted


def not_applicable(rule_id: str, kind: TokenKind) -> str:
    """Why ``rule_id`` skips for ``kind``, naming the kind(s) it is for."""
    if rule_id == "token.upstream-failure" and kind is TokenKind.ACCESS_TOKEN:
        return (
            "token.upstream-failure is for --kind obf, zak or join-token; for the "
            "access-token kind freshness.upstream-failure grades Zoom's token endpoint"
        )
    if rule_id in ACCESS_TOKEN_ONLY:
        return (
            f"{rule_id} is for the access-token kind (this run checks --kind {kind.value}, "
            f"whose body is {KINDS[kind].body})"
        )
    kinds = " or ".join(f"--kind {k.value}" for k in sorted(KIND_RULES[rule_id]))
    return f"{rule_id} is for {kinds}; this run checks --kind {kind.value}"
