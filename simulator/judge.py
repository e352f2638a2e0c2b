"""Grade one observation against the answer rules of the contract (SPEC §1, §4).

``judge`` is the single definition of "what Recall accepts": the fake Recall calls
it when a credential is created, validated or polled, and the conformance suite
calls it for every answer it inspects.
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from recall_sim.simulator.clock import SYSTEM_CLOCK, Clock
from recall_sim.simulator.kinds import ACCESS_TOKEN_ONLY, TokenKind, applies, not_applicable
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.redaction import mask_url, redact_text, redact_token
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.zoom_jwt import (
    TokenDecodeError,
    ZoomClaims,
    decode_zoom_token,
    issuer_for,
)

__all__ = [
    "ANSWER_RULES",
    "DEADLINE_WARN",
    "MIN_VALIDITY",
    "RECALL_BUDGET",
    "VALIDITY_WARN",
    "Judgement",
    "judge",
]

# Recall's rule (SPEC 1.2). How long a prober waits is its own business (a longer wait
# shows how late a slow answer is); the grade is always against this budget.
RECALL_BUDGET = 5.0
DEADLINE_WARN = 2.5
MIN_VALIDITY = 120.0
VALIDITY_WARN = 150.0
_EVIDENCE_BODY_CHARS = 300
# SPEC 1.9: surrounding ASCII whitespace is trimmed with a warning. Anything else around or
# in the token (a byte order mark, a zero-width space, a no-break space) is no whitespace to
# a trimming HTTP client and ends up inside the token, so it fails, named.
_ASCII_WHITESPACE = string.whitespace
# What a JWT can hold: base64url segments separated by dots.
_TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9_.-]*")
# Unicode categories that print as nothing: control, format (zero-width, byte order mark),
# separators other than the ASCII space, surrogates, private use, unassigned.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_CONTROL_NAMES = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x00": "NUL"}

ANSWER_RULES = (
    "contract.status-2xx",
    "contract.deadline-5s",
    "contract.no-redirect",
    "contract.plain-token-body",
    "contract.jwt-access-token",
    "contract.issuer-client-id",
    "contract.min-validity-120s",
    "contract.expected-user",
    "contract.content-type",
    "hygiene.https",
    "hygiene.no-store",
)


@dataclass(frozen=True)
class Judgement:
    """The verdicts for one observation plus what was learned from its token."""

    observation: Observation
    verdicts: tuple[Verdict, ...]
    token: str | None = None
    claims: ZoomClaims | None = None
    remaining: float | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    budget: float = RECALL_BUDGET  # the seconds the answer was graded against
    kind: TokenKind = TokenKind.ACCESS_TOKEN

    @property
    def failures(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.outcome is Outcome.FAIL)

    @property
    def accepted(self) -> bool:
        """Recall would accept this answer: no rule failed (warnings are allowed)."""
        return not self.failures

    def verdict(self, rule_id: str) -> Verdict:
        return next(v for v in self.verdicts if v.rule == rule_id)


def judge(
    observation: Observation,
    *,
    client_id: str | None = None,
    expected_user_id: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
    budget: float = RECALL_BUDGET,
    kind: TokenKind = TokenKind.ACCESS_TOKEN,
) -> Judgement:
    """Grade ``observation`` against ``ANSWER_RULES``; never raises for anything in the answer.

    ``budget`` is the time the whole answer must arrive within: Recall's 5 s, whatever
    ``observation.deadline`` (how long the prober waited) was. Only a simulated Recall
    with another budget passes its own.

    ``kind`` is the callback's token kind (SPEC §7): for the OBF, ZAK and join-token kinds
    the access token's claim rules skip, saying so, while a JWT in the body is still
    decoded (``claims``) so that the auth and isolation rules can recognise it.
    """
    grader = _Grader(observation, client_id, expected_user_id, clock, budget, kind)
    verdicts = tuple(step() for step in grader.steps())
    return Judgement(
        observation=observation,
        verdicts=verdicts,
        token=grader.token,
        claims=grader.claims,
        remaining=grader.remaining,
        evidence=grader.evidence,
        budget=budget,
        kind=kind,
    )


class _Grader:
    """One pass over an observation; later rules read what earlier ones extracted."""

    def __init__(
        self,
        obs: Observation,
        client_id: str | None,
        expected_user_id: str | None,
        clock: Clock,
        budget: float,
        kind: TokenKind = TokenKind.ACCESS_TOKEN,
    ) -> None:
        self.obs = obs
        self.budget = budget
        self.kind = kind
        self.client_id = client_id
        self.expected_user_id = expected_user_id
        self.clock = clock
        self.token: str | None = None
        self.claims: ZoomClaims | None = None
        self.remaining: float | None = None
        self.evidence = _answer_evidence(obs)

    def steps(self) -> list[Callable[[], Verdict]]:
        if self.kind is not TokenKind.ACCESS_TOKEN:
            return [
                self.status_2xx,
                self.deadline,
                self.no_redirect,
                self.plain_body,
                self.decode_other_kind,
                self._not_for_kind("contract.issuer-client-id"),
                self._not_for_kind("contract.min-validity-120s"),
                self._not_for_kind("contract.expected-user"),
                self.content_type,
                self.https,
                self.no_store,
            ]
        return [
            self.status_2xx,
            self.deadline,
            self.no_redirect,
            self.plain_body,
            self.jwt_access_token,
            self.issuer,
            self.min_validity,
            self.expected_user,
            self.content_type,
            self.https,
            self.no_store,
        ]

    def _verdict(self, rule_id: str, outcome: Outcome, detail: str, **extra: Any) -> Verdict:
        # Verdicts share the evidence dict (never mutated once built; later rules replace it).
        return Verdict(
            rule_id, outcome, detail, {**self.evidence, **extra} if extra else self.evidence
        )

    @property
    def _is_2xx(self) -> bool:
        return self.obs.status is not None and 200 <= self.obs.status < 300

    def _skip_without_token(self, rule_id: str) -> Verdict:
        if not self._is_2xx:
            why = "no 2xx answer to inspect (see contract.status-2xx)"
        else:
            why = "no bare token in the body to inspect (see contract.plain-token-body)"
        return self._verdict(rule_id, Outcome.SKIP, why)

    def _not_for_kind(self, rule_id: str) -> Callable[[], Verdict]:
        assert rule_id in ACCESS_TOKEN_ONLY and not applies(rule_id, self.kind)
        return lambda: self._verdict(rule_id, Outcome.SKIP, not_applicable(rule_id, self.kind))

    def decode_other_kind(self) -> Verdict:
        """Another kind's token is a JWT too (Zoom's OBF tokens, ZAKs and join tokens): decode
        it for the rules that compare tokens, but grade none of the access token's claims."""
        rid = "contract.jwt-access-token"
        if self.token is not None:
            try:
                self.claims = decode_zoom_token(self.token)
            except TokenDecodeError:
                self.claims = None
            else:
                self.evidence = {**self.evidence, "claims": self.claims.claims}
        return self._verdict(rid, Outcome.SKIP, not_applicable(rid, self.kind))

    def status_2xx(self) -> Verdict:
        rid, obs = "contract.status-2xx", self.obs
        if obs.status is None:
            kind = obs.error.kind.value if obs.error else "no-answer"
            message = obs.error.message if obs.error else "no answer"
            return self._verdict(rid, Outcome.FAIL, f"no HTTP answer ({kind}): {message}")
        if not self._is_2xx:
            return self._verdict(rid, Outcome.FAIL, f"answered HTTP {obs.status}, not 2xx")
        return self._verdict(rid, Outcome.PASS, f"answered HTTP {obs.status}")

    def deadline(self) -> Verdict:
        verdict = self._deadline()
        if self.kind is TokenKind.ACCESS_TOKEN:
            return verdict
        # SPEC §7: Recall documents no timeout for these calls; the budget is assumed.
        assumed = f" (the {self.budget:g} s budget is assumed for the {self.kind.value} kind)"
        return Verdict(
            verdict.rule,
            verdict.outcome,
            verdict.detail + assumed,
            {**verdict.evidence, "budget_assumed": True},
        )

    def _deadline(self) -> Verdict:
        rid, obs, budget = "contract.deadline-5s", self.obs, self.budget
        total = obs.timings.total
        if obs.error is not None and obs.error.kind.is_deadline:
            if obs.deadline < budget:
                # Cut before the budget ran out: nobody knows whether it would have made it.
                return self._verdict(
                    rid,
                    Outcome.SKIP,
                    f"the prober stopped waiting at {obs.deadline:g} s, before Recall's "
                    f"{budget:g} s budget ({obs.error.message}); wait at least {budget:g} s "
                    "to grade this rule",
                )
            return self._verdict(
                rid,
                Outcome.FAIL,
                f"no complete answer within Recall's {budget:g} s budget; gave up at "
                f"{total:.2f} s: {obs.error.message}",
            )
        if obs.status is None:
            return self._verdict(rid, Outcome.SKIP, "no answer to time (see contract.status-2xx)")
        if total >= budget:
            return self._verdict(
                rid,
                Outcome.FAIL,
                f"answer took {total:.2f} s; Recall gives up at {budget:g} s",
            )
        if total > DEADLINE_WARN:
            return self._verdict(
                rid,
                Outcome.WARN,
                f"answer took {total:.2f} s: within {budget:g} s but over {DEADLINE_WARN} s, "
                "little margin for network latency",
            )
        return self._verdict(rid, Outcome.PASS, f"answer complete in {total:.3f} s")

    def no_redirect(self) -> Verdict:
        rid, obs = "contract.no-redirect", self.obs
        if obs.status is None:
            return self._verdict(rid, Outcome.SKIP, "no answer (see contract.status-2xx)")
        if 300 <= obs.status < 400:
            location = mask_url(obs.header("location") or "")
            return self._verdict(
                rid,
                Outcome.FAIL,
                f"answered HTTP {obs.status} redirecting to {location or '(no Location)'}; "
                "Recall does not follow redirects",
            )
        return self._verdict(rid, Outcome.PASS, f"HTTP {obs.status} is not a redirect")

    def plain_body(self) -> Verdict:
        rid, obs = "contract.plain-token-body", self.obs
        if not self._is_2xx:
            return self._verdict(rid, Outcome.SKIP, "no 2xx answer to inspect")
        if obs.body_truncated:
            return self._verdict(
                rid, Outcome.FAIL, f"body is larger than {len(obs.body)} bytes; a token is ~630"
            )
        if obs.error is not None:
            return self._verdict(
                rid, Outcome.FAIL, f"body never arrived whole ({obs.error.kind.value})"
            )
        try:
            text = obs.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return self._verdict(
                rid,
                Outcome.FAIL,
                f"body is not UTF-8 text (invalid byte 0x{obs.body[exc.start]:02x} "
                f"at offset {exc.start})",
            )
        problem = _body_problem(text)
        if problem is not None:
            return self._verdict(rid, Outcome.FAIL, problem)
        self.token = text.strip(_ASCII_WHITESPACE)
        if text != self.token:
            return self._verdict(
                rid,
                Outcome.WARN,
                f"body has {len(text) - len(self.token)} characters of surrounding whitespace; "
                "Recall trims it, other clients may not",
            )
        return self._verdict(rid, Outcome.PASS, f"body is a bare {len(text)}-character token")

    def jwt_access_token(self) -> Verdict:
        rid = "contract.jwt-access-token"
        if self.token is None:
            return self._skip_without_token(rid)
        try:
            claims = decode_zoom_token(self.token)
        except TokenDecodeError as exc:
            return self._verdict(rid, Outcome.FAIL, f"token is {exc}")
        self.claims = claims
        self.evidence = {**self.evidence, "claims": claims.claims}
        if claims.is_refresh_token:
            return self._verdict(
                rid, Outcome.FAIL, "token is a Zoom refresh token (type 1), not an access token"
            )
        return self._verdict(
            rid, Outcome.PASS, f"decodable JWT, type {claims.token_type} (access token)"
        )

    def issuer(self) -> Verdict:
        rid = "contract.issuer-client-id"
        if self.claims is None:
            return self._skip_without_token(rid)
        if self.client_id is None:
            return self._verdict(
                rid,
                Outcome.SKIP,
                "no client id to compare with; pass --client-id with your Zoom app's client id",
            )
        expected = issuer_for(self.client_id)
        if self.claims.issuer != expected:
            return self._verdict(
                rid,
                Outcome.FAIL,
                f"token issuer is {self.claims.issuer}; the Recall app expects {expected}",
            )
        return self._verdict(rid, Outcome.PASS, f"issuer is {expected}")

    def min_validity(self) -> Verdict:
        rid = "contract.min-validity-120s"
        if self.claims is None:
            return self._skip_without_token(rid)
        self.remaining = self.claims.exp - self.clock.now()
        left = self.remaining
        self.evidence = {**self.evidence, "remaining_validity_s": round(left, 1)}
        if left < MIN_VALIDITY:
            state = f"expired {-left:.0f} s ago" if left <= 0 else f"expires in {left:.0f} s"
            return self._verdict(
                rid,
                Outcome.FAIL,
                f"callback token {state}; Recall requires at least {MIN_VALIDITY:.0f} s",
            )
        if left < VALIDITY_WARN:
            return self._verdict(
                rid,
                Outcome.WARN,
                f"token expires in {left:.0f} s: above {MIN_VALIDITY:.0f} s but under "
                f"{VALIDITY_WARN:.0f} s, no margin for clock skew",
            )
        return self._verdict(rid, Outcome.PASS, f"token valid for {left:.0f} s more")

    def expected_user(self) -> Verdict:
        rid = "contract.expected-user"
        if self.claims is None:
            return self._skip_without_token(rid)
        if self.expected_user_id is None:
            return self._verdict(
                rid, Outcome.SKIP, "no expected user; pass --expect-user-id with the Zoom user id"
            )
        if self.claims.user_id != self.expected_user_id:
            return self._verdict(
                rid,
                Outcome.FAIL,
                f"token is for Zoom user {self.claims.user_id}, expected {self.expected_user_id}",
            )
        return self._verdict(rid, Outcome.PASS, f"token is for user {self.expected_user_id}")

    def content_type(self) -> Verdict:
        rid = "contract.content-type"
        if not self._is_2xx:
            return self._verdict(rid, Outcome.SKIP, "no 2xx answer to inspect")
        raw = self.obs.header("content-type")
        media = (raw or "").split(";", 1)[0].strip().lower()
        seen = _header_seen("Content-Type", raw)
        if media != "text/plain":
            return self._verdict(rid, Outcome.WARN, f"{seen}; Recall's samples send text/plain")
        return self._verdict(rid, Outcome.PASS, seen)

    def https(self) -> Verdict:
        rid = "hygiene.https"
        scheme = self.obs.url.split("://", 1)[0].lower() if "://" in self.obs.url else ""
        if scheme != "https":
            return self._verdict(
                rid,
                Outcome.WARN,
                f"URL scheme is {scheme or 'missing'}; tokens cross the network in clear text",
            )
        return self._verdict(rid, Outcome.PASS, "URL uses https")

    def no_store(self) -> Verdict:
        rid = "hygiene.no-store"
        if not self._is_2xx:
            return self._verdict(rid, Outcome.SKIP, "no 2xx answer to inspect")
        cache_control = self.obs.header("cache-control")
        directives = {d.strip().lower() for d in (cache_control or "").split(",")}
        seen = _header_seen("Cache-Control", cache_control)
        if "no-store" not in directives:
            return self._verdict(rid, Outcome.WARN, f"{seen}, so no no-store")
        return self._verdict(rid, Outcome.PASS, seen)


def _body_problem(text: str) -> str | None:
    """Why ``text`` is not a bare token, or None when it is one (perhaps with whitespace)."""
    stripped = text.strip(_ASCII_WHITESPACE)
    if not stripped:
        return "body is empty" if not text else "body is only whitespace"
    if _TOKEN_CHARACTERS.fullmatch(stripped):
        return None  # the common case, in one regex pass instead of a lookup per character
    # First what cannot be seen in a terminal or a log: it is why the rest looks right.
    for offset, char in enumerate(text):
        if char not in _ASCII_WHITESPACE and unicodedata.category(char) in _INVISIBLE:
            return (
                f"body holds the invisible character {_describe(char)} at byte offset "
                f"{_byte_offset(text, offset)}; a token holds only letters, digits, "
                "'-', '_' and '.'"
            )
    if stripped[0] in "{[":
        try:
            parsed = json.loads(stripped)
        except ValueError:
            pass
        else:
            keys = f" with keys {', '.join(sorted(parsed)[:5])}" if isinstance(parsed, dict) else ""
            return f"body is JSON{keys}; return the bare token as text/plain"
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'":
        return "body is a quoted string; return the token without quotes"
    if stripped.lower().startswith("bearer"):
        return "body starts with 'Bearer'; return the token without a scheme prefix"
    if stripped.startswith("<"):
        return "body looks like HTML or XML markup"
    if "\n" in stripped or "\r" in stripped:
        return f"body has {stripped.count(chr(10)) + 1} lines; the token must be one line"
    allowed = _TOKEN_CHARACTERS.match(stripped)
    end = allowed.end() if allowed else 0
    if end < len(stripped):
        char = stripped[end]
        leading = len(text) - len(text.lstrip(_ASCII_WHITESPACE))
        offset = _byte_offset(text, leading + end)
        if char in _ASCII_WHITESPACE:
            return f"body contains {_describe(char)} at byte offset {offset}; a token has none"
        return (
            f"body holds {_describe(char)} at byte offset {offset}; a token holds only "
            "letters, digits, '-', '_' and '.'"
        )
    return None


def _header_seen(name: str, value: str | None) -> str:
    """A header as a sentence: never a Python ``None`` or an empty quote."""
    if value is None:
        return f"no {name} header"
    if not value.strip():
        return f"an empty {name} header"
    return f"{name} is {value}"


def _describe(char: str) -> str:
    """``U+FEFF (ZERO WIDTH NO-BREAK SPACE)``: the code point, and its name when it has one."""
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "") or "a control character"
    return f"U+{ord(char):04X} ({name})"


def _byte_offset(text: str, index: int) -> int:
    # Offsets are in bytes, as a hex dump or curl --trace shows the body.
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _answer_evidence(obs: Observation) -> dict[str, Any]:
    """What every verdict about this answer shows: status, timings, a redacted body."""
    # Redact before truncating, so a token cut in half is still recognised.
    body_text = redact_text(obs.body.decode("utf-8", "replace"))[:_EVIDENCE_BODY_CHARS]
    evidence: dict[str, Any] = {
        "status": obs.status,
        "timings_s": {
            "connect": _round(obs.timings.connect),
            "first_byte": _round(obs.timings.first_byte),
            "total": _round(obs.timings.total),
        },
        "body": body_text + ("…" if len(obs.body) > _EVIDENCE_BODY_CHARS else ""),
        "body_bytes": len(obs.body),
    }
    content_type = obs.header("content-type")
    if content_type is not None:
        evidence["content_type"] = content_type
    if obs.error is not None:
        evidence["error"] = {"kind": obs.error.kind.value, "message": obs.error.message}
    stripped = obs.body.strip()
    if 0 < len(stripped) < 8192 and b" " not in stripped and stripped.count(b".") == 2:
        evidence["token"] = redact_token(stripped.decode("utf-8", "replace"))
    return evidence


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
