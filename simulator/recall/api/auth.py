"""Token authentication and throttling, checked before anything else, as DRF does."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from recall_sim.simulator.recall.api.errors import ApiError
from recall_sim.simulator.recall.fake import FakeRecall

__all__ = ["Guard"]

_WWW_AUTHENTICATE = {"WWW-Authenticate": "Token"}
# Declares the scheme in the OpenAPI schema; the checks below give DRF's exact answers.
_scheme = APIKeyHeader(
    name="Authorization",
    scheme_name="tokenAuth",
    description='"Token <key>" (the bare key is accepted too)',
    auto_error=False,
)


def _unauthorized(text: str) -> ApiError:
    return ApiError.detail(401, text, _WWW_AUTHENTICATE)


def presented_key(authorization: str | None) -> str:
    """The key in an ``Authorization`` value (``Token <key>`` or the bare key), or 401."""
    parts = (authorization or "").split()
    if not parts:
        raise _unauthorized("Authentication credentials were not provided.")
    if parts[0].lower() == "token":
        if len(parts) == 1:
            raise _unauthorized("Invalid token header. No credentials provided.")
        if len(parts) > 2:
            raise _unauthorized("Invalid token header. Token string should not contain spaces.")
        return parts[1]
    if len(parts) == 1:
        return parts[0]
    # Another scheme ("Bearer x"): DRF's TokenAuthentication ignores it.
    raise _unauthorized("Authentication credentials were not provided.")


class Guard:
    """FastAPI dependencies: authenticate the workspace key, then apply rate limits."""

    def __init__(self, fake: FakeRecall) -> None:
        self._fake = fake

    def check(self, authorization: str | None, *, listing: bool) -> None:
        """Raise ApiError (401, 429) unless the key is right and the request within limits."""
        key = presented_key(authorization)
        expected = self._fake.settings.api_key
        if not hmac.compare_digest(key.encode("utf-8"), expected.encode("utf-8")):
            raise _unauthorized("Invalid token.")
        settings = self._fake.settings
        if not settings.rate_limits:
            return
        limits = {"workspace": settings.rate_limit_per_minute}
        if listing:
            limits["list"] = settings.list_rate_limit_per_minute
        wait = self._fake.rate_limiter.acquire(limits)
        if wait is not None:
            raise ApiError.detail(
                429,
                f"Request was throttled. Expected available in {wait} seconds.",
                {"Retry-After": str(wait)},
            )

    async def any(
        self, request: Request, authorization: Annotated[str | None, Security(_scheme)] = None
    ) -> None:
        self.check(authorization, listing=False)

    async def listing(
        self, request: Request, authorization: Annotated[str | None, Security(_scheme)] = None
    ) -> None:
        self.check(authorization, listing=True)
