"""A per-user callback with a per-user secret, done right by default, or with one named flaw.

The conformance gallery starts one per flaw and asserts the suite grades the flaw's
rule. URLs look like ``/cb?user-id=<uid>&auth_token=<secret>``.
"""

from __future__ import annotations

import asyncio
import hmac
import unicodedata
from datetime import UTC, datetime

from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.support.tokens import OTHER_USER_ID, USER_ID, zoom_token

SECRETS = {USER_ID: "s3cr3t-Alpha-9f8e7d6c5b4a3921", OTHER_USER_ID: "s3cr3t-Bravo-1a2b3c4d5e6f7081"}
SHARED_SECRET = "s3cr3t-Shared-0a1b2c3d4e5f6789"

FLAWS = (
    "no-auth",
    "prefix-auth",
    "case-insensitive",
    "normalizing",
    "leaky-401",
    "stack-trace-500",
    "same-token-all-users",
    "shared-secret",
    "secret-not-bound-to-user",
    "no-signature-check",
    "stale-signature-ok",
    "fails-under-concurrency",
)


def secret_for(user_id: str, flaw: str | None = None) -> str:
    return SHARED_SECRET if flaw == "shared-secret" else SECRETS[user_id]


def callback_url(
    base: str, user_id: str = USER_ID, flaw: str | None = None, *, secret_param: str = "auth_token"
) -> str:
    return f"{base}/cb?user-id={user_id}&{secret_param}={secret_for(user_id, flaw)}"


class FlawedCallback:
    def __init__(
        self,
        flaw: str | None = None,
        *,
        signing_secret: str | None = None,
        secret_param: str = "auth_token",
    ) -> None:
        if flaw is not None and flaw not in FLAWS:
            raise ValueError(f"unknown flaw {flaw!r}")
        self.flaw = flaw
        self.signing_secret = signing_secret
        self.secret_param = secret_param
        self.tokens = {uid: zoom_token(user_id=uid) for uid in SECRETS}
        self.in_flight = 0

    def _secret_ok(self, user_id: str, given: str) -> bool:
        flaw = self.flaw
        if flaw == "no-auth":
            return True
        if flaw == "secret-not-bound-to-user":
            return any(hmac.compare_digest(given, s) for s in SECRETS.values())
        expected = secret_for(user_id, flaw)
        if flaw == "prefix-auth":
            return bool(given) and expected.startswith(given)
        if flaw == "case-insensitive":
            return given.lower() == expected.lower()
        if flaw == "normalizing":
            return unicodedata.normalize("NFKC", given).strip() == expected
        return hmac.compare_digest(given.encode(), expected.encode())

    def _signature_ok(self, request: Request) -> bool:
        if self.signing_secret is None or self.flaw == "no-signature-check":
            return True
        headers = dict(request.headers)
        if self.flaw == "stale-signature-ok":
            # Checks the signature over the request's own timestamp, but not its age.
            stamp = request.headers.get("webhook-timestamp", "0")
            moment = datetime.fromtimestamp(int(stamp) if stamp.isdigit() else 0, UTC)
            expected = Webhook(self.signing_secret).sign(
                request.headers.get("webhook-id", ""), moment, ""
            )
            return hmac.compare_digest(request.headers.get("webhook-signature", ""), expected)
        try:
            Webhook(self.signing_secret).verify("", headers, json_parse=False)
        except (WebhookVerificationError, ValueError):
            return False
        return True

    def _reject(self, user_id: str) -> Response:
        if self.flaw == "leaky-401":
            token = self.tokens.get(user_id, "")
            return PlainTextResponse(f"unauthorized; expected secret for token {token}", 401)
        if self.flaw == "stack-trace-500":
            body = (
                "Traceback (most recent call last):\n"
                '  File "/srv/app/callback.py", line 31, in handle\n'
                "    check(secret)\nValueError: bad secret\n"
            )
            return PlainTextResponse(body, 500)
        return PlainTextResponse("unauthorized", 401)

    async def endpoint(self, request: Request) -> Response:
        self.in_flight += 1
        try:
            if self.flaw == "fails-under-concurrency":
                await asyncio.sleep(0.05)
                if self.in_flight > 3:
                    return PlainTextResponse("busy", 503)
            user_id = request.query_params.get("user-id", "")
            given = request.query_params.get(self.secret_param, "")
            if not self._signature_ok(request):
                return PlainTextResponse("bad signature", 401)
            if user_id not in SECRETS or not self._secret_ok(user_id, given):
                return self._reject(user_id)
            if self.flaw == "same-token-all-users":
                user_id = USER_ID
            return PlainTextResponse(self.tokens[user_id], headers={"Cache-Control": "no-store"})
        finally:
            self.in_flight -= 1

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/cb", self.endpoint)])
