"""The conformance rules of SPEC §4: stable ids, titles and fix hints, and the verdict value.

This catalog is the single place a rule is named; the judge, the fake Recall and
the conformance suite all grade against it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RULES", "Outcome", "Rule", "Verdict", "rule"]


class Outcome(enum.Enum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    fix: str
    needs: str = "URL"


@dataclass(frozen=True)
class Verdict:
    """How one rule was graded, with what was seen and what to do about it."""

    rule: str
    outcome: Outcome
    detail: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return RULES[self.rule].title

    @property
    def fix(self) -> str:
        return RULES[self.rule].fix

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAIL

    def as_dict(self, *, reproduce: str | None = None) -> dict[str, Any]:
        """The per-rule shape of the JSON report (SPEC §4), plus the fix hint."""
        return {
            "rule": self.rule,
            "verdict": self.outcome.value,
            "title": self.title,
            "detail": self.detail,
            "evidence": dict(self.evidence),
            "reproduce": reproduce,
            "fix": self.fix if self.outcome in (Outcome.FAIL, Outcome.WARN) else None,
        }


_CATALOG = (
    Rule(
        "contract.status-2xx",
        "A valid request gets a 2xx",
        "Answer Recall's GET with 200 and the token; check the server log for the error.",
    ),
    Rule(
        "contract.deadline-5s",
        "The whole answer arrives within 5 s",
        "Serve a cached token when it has enough validity; refresh ahead of expiry in the "
        "background; bound the call to Zoom with a timeout well under 5 s.",
    ),
    Rule(
        "contract.no-redirect",
        "The answer is not a redirect",
        "Register the final URL with Recall (scheme, host, trailing slash); Recall does not "
        "follow redirects.",
    ),
    Rule(
        "contract.plain-token-body",
        "The body is the bare access token",
        "Return the token itself as the whole body, nothing but its ASCII characters: no "
        "JSON, quotes, 'Bearer ' prefix, HTML or extra lines, and no byte order mark or other "
        "invisible character (encode the body as plain UTF-8, not 'utf-8-sig'; do not copy "
        "the token through an editor or a template that adds one).",
    ),
    Rule(
        "contract.jwt-access-token",
        "The token is a decodable Zoom access token",
        "Return the access_token from Zoom's token response, not the refresh_token or another "
        "value.",
    ),
    Rule(
        "contract.issuer-client-id",
        "The token was issued to the Recall app's client id",
        "Use the same Zoom OAuth app (client id) for the user's tokens as the one registered "
        "with Recall.",
        needs="--client-id",
    ),
    Rule(
        "contract.min-validity-120s",
        "The token stays valid at least 120 s",
        "Refresh when less than a margin (e.g. 5 minutes) of validity is left, before serving "
        "the token.",
    ),
    Rule(
        "contract.expected-user",
        "The token belongs to the expected Zoom user",
        "Look the token up by the user id in the URL, not by a session or a default user.",
        needs="--expect-user-id",
    ),
    Rule(
        "contract.content-type",
        "The answer is text/plain",
        "Set 'Content-Type: text/plain' on the token answer.",
    ),
    Rule(
        "contract.token-live",
        "Zoom accepts the token: live, for this app and user",
        "Serve only a token Zoom still accepts: drop a user's tokens when Zoom refuses their "
        "refresh token (invalid_grant) or sends app_deauthorized, and never fall back to a "
        "token of another Zoom app.",
        needs="--zoom-admin",
    ),
    Rule(
        "auth.rejects-missing-credential",
        "The URL without its credential yields no token",
        "Reject requests whose secret is missing with 401/403 before looking up any token.",
    ),
    Rule(
        "auth.rejects-wrong-credential",
        "A wrong credential yields no token",
        "Compare the whole secret in constant time (hmac.compare_digest) against a per-user "
        "value; never by prefix, case-insensitively or after normalising.",
    ),
    Rule(
        "auth.credential-strength",
        "The URL's secret is not a published default and carries 128 bits or more",
        "Give every user a random secret of 256 bits (secrets.token_urlsafe(32) in Python, "
        "crypto.randomBytes(32).toString('base64url') in Node), never a value from docs or "
        "sample apps, and compare it in constant time.",
    ),
    Rule(
        "auth.no-token-in-rejection",
        "Rejections leak no token",
        "Answer rejections with a fixed short message; never include tokens or debug state.",
    ),
    Rule(
        "auth.signature-required",
        "A missing or wrong Recall signature yields no token",
        "Verify the webhook-signature header with the workspace's verification secret "
        "(standardwebhooks) before answering.",
        needs="--signing-secret",
    ),
    Rule(
        "auth.signature-freshness",
        "A stale or future-dated signature yields no token",
        "Reject webhook-timestamp values more than 5 minutes from now (standardwebhooks does "
        "this).",
        needs="--signing-secret",
    ),
    Rule(
        "isolation.distinct-users",
        "Two users' URLs give two users' tokens",
        "Key the token store by the user id from the URL; never fall back to a shared token.",
        needs="--other-user-url",
    ),
    Rule(
        "isolation.per-user-secret",
        "One user's secret does not unlock another user",
        "Give every user their own random secret and check it against that user only.",
        needs="--other-user-url",
    ),
    Rule(
        "freshness.refresh-before-expiry",
        "The callback refreshes before the token falls under 120 s",
        "Refresh on demand when less than a margin (e.g. 5 minutes) is left; do not cache "
        "until Zoom's expiry.",
        needs="short-lived tokens (recall-sim serve --zoom-token-lifetime 130)",
    ),
    Rule(
        "freshness.concurrent-refresh",
        "Concurrent calls cause one refresh and no refresh-token reuse",
        "Single-flight the refresh per user (a lock or a database row lock) and store the "
        "rotated refresh token before serving.",
        needs="--zoom-admin",
    ),
    Rule(
        "freshness.upstream-failure",
        "Zoom failures never produce a late or bogus answer",
        "Bound the call to Zoom with a timeout, serve the old token while it has >= 120 s, "
        "otherwise answer a non-2xx; never 200 with an empty or error body.",
        needs="--zoom-admin",
    ),
    Rule(
        "freshness.deauthorized-user",
        "After the user removes the app, the callback stops serving the dead token",
        "When Zoom refuses the user's grant (invalid_grant on refresh, 401 from the API, or "
        "the app_deauthorized event), delete the user's tokens and answer 404 until they "
        "reconnect; never keep serving a cached token, and never answer 5xx for it.",
        needs="--zoom-admin",
    ),
    Rule(
        "obf.fresh-per-call",
        "Every call gets an OBF token minted for it, never one served before",
        "Mint the OBF token just in time for each call (GET /v2/users/{userId}/token"
        "?type=onbehalf) and return it at once; never cache or reuse one: OBF tokens are "
        "single-use.",
        needs="--kind obf --zoom-admin",
    ),
    Rule(
        "obf.minted-for-user",
        "The OBF token was minted for the URL's user",
        "Look up the Zoom user by the user id in the URL and mint with that user's access "
        "token for that user's id; never fall back to a default or shared user.",
        needs="--kind obf --zoom-admin --expect-user-id",
    ),
    Rule(
        "zak.valid-for-user",
        "The ZAK is live and belongs to the URL's user",
        "Fetch the ZAK with the URL's user's access token (GET /v2/users/me/token?type=zak) "
        "when Recall calls, and answer 404 when the user has no working Zoom grant.",
        needs="--kind zak --zoom-admin",
    ),
    Rule(
        "join-token.for-meeting",
        "The join token is for the URL's meeting and has time left",
        "Take the meeting id from the URL, fetch GET /v2/meetings/{id}/jointoken/"
        "local_recording for it when Recall calls, and return the fresh token; never cache it.",
        needs="--kind join-token --zoom-admin --meeting-id",
    ),
    Rule(
        "join-token.404-when-unavailable",
        "With no join token to give (user disconnected, meeting unknown), the answer is 404",
        "When Zoom refuses the join token (401: the user removed the app; 404: no such "
        "meeting) or the user has no stored grant, answer 404; never a 2xx with an empty or "
        "error body, which makes the bot fail to join.",
        needs="--kind join-token --zoom-admin",
    ),
    Rule(
        "token.upstream-failure",
        "Zoom failures on the kind's endpoint never produce a late or bogus answer",
        "Bound the call to Zoom with a timeout well under 5 s (e.g. 3 s) and answer a non-2xx "
        "(404, or 503) when Zoom fails; never 200 with an empty or error body.",
        needs="--kind obf|zak|join-token --zoom-admin",
    ),
    Rule(
        "load.burst",
        "Concurrent valid requests all pass the contract",
        "Make the token lookup safe under concurrency and fast enough to serve a burst.",
    ),
    Rule("hygiene.https", "The URL uses https", "Serve the callback over TLS in production."),
    Rule(
        "hygiene.no-store",
        "The token answer is not cacheable",
        "Set 'Cache-Control: no-store' so no proxy or cache keeps the token.",
    ),
    Rule(
        "hygiene.no-error-internals",
        "Error answers show no internals",
        "Turn off debug pages and answer errors with a short fixed message.",
    ),
)

RULES: Mapping[str, Rule] = {r.id: r for r in _CATALOG}


def rule(rule_id: str) -> Rule:
    """The catalog entry for ``rule_id``; a KeyError names the unknown id."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule id {rule_id!r}") from None
