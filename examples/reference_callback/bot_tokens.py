"""The token callbacks Recall calls just before a bot joins a Zoom meeting (its Create Bot
request names them in ``zoom: {obf_token_url, zak_url, join_token_url}``):

- ``GET /zoom/obf-token?user-id=...&auth_token=...``: a fresh OBF ("on behalf of") token;
- ``GET /zoom/zak?user-id=...&auth_token=...``: the user's ZAK;
- ``GET /zoom/join-token?user-id=...&meeting-id=...&auth_token=...``: a local-recording
  join token for the meeting.

Each is minted from Zoom when Recall calls, never cached (OBF tokens are single-use, join
tokens live 120 s). Same per-user secret (and Recall signature) as the access-token
callback. When no token can be generated (the user is unknown or removed the app, Zoom
answers 401 or 404) the answer is 404, as Recall documents for join tokens; when Zoom
fails or is slow it is 503: never a 2xx without a token. Zoom is given at most
``ANSWER_BUDGET`` seconds in all, so the answer comes well within Recall's 5 s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from .credentials import SECRET_PARAM, USER_PARAM, secret_matches
from .tokens import UserDisconnected
from .zoom import ZoomError, ZoomNotFound, ZoomTokenRefused

if TYPE_CHECKING:
    from .app import Service

__all__ = ["ANSWER_BUDGET", "MEETING_PARAM", "add_bot_token_routes"]

MEETING_PARAM = "meeting-id"
# The access token (maybe a refresh) and the mint together: under Recall's 5 s with margin.
ANSWER_BUDGET = 4.0
_NO_STORE = {"Cache-Control": "no-store"}

log = logging.getLogger("reference_callback.bot_tokens")

Mint = Callable[[str], Awaitable[str]]  # the user's access token -> the minted token


def _plain(body: str, status: int) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status, headers=_NO_STORE)


def _single(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    return values[0] if len(values) == 1 else None


def authorized_user(svc: Service, request: Request) -> str | None:
    """The URL's user when the request carries Recall's signature (if one is configured)
    and that user's secret; None otherwise (one answer for every refusal)."""
    if svc.verifier is not None and not svc.verifier.verify(request.headers):
        return None
    user_id, secret = _single(request, USER_PARAM), _single(request, SECRET_PARAM)
    if not user_id or secret is None:
        return None
    stored = svc.store.secrets(user_id)
    if not secret_matches(secret, stored.hashes if stored is not None else ()):
        return None
    return user_id


async def _mint(svc: Service, user_id: str, what: str, mint: Mint) -> Response:
    try:
        async with asyncio.timeout(ANSWER_BUDGET):
            access_token = await svc.tokens.access_token(user_id)
            if access_token is None:
                return _plain("token unavailable", 503)
            token = await mint(access_token)
    except (UserDisconnected, ZoomTokenRefused, ZoomNotFound):
        # No token can be generated (user removed the app, unknown meeting): 404.
        return _plain("no token", 404)
    except (ZoomError, TimeoutError) as exc:
        log.warning("no %s for user %s: %s", what, user_id, exc)
        return _plain("token unavailable", 503)
    return _plain(token, 200)


def add_bot_token_routes(app: FastAPI, svc: Service) -> None:
    """Add the OBF, ZAK and join-token callbacks to ``app``."""

    def unauthorized() -> PlainTextResponse:
        return _plain("unauthorized", 401)

    @app.get("/zoom/obf-token")
    async def obf_token(request: Request) -> Response:
        user_id = authorized_user(svc, request)
        if user_id is None:
            return unauthorized()
        return await _mint(
            svc, user_id, "OBF token", lambda access: svc.zoom.obf_token(access, user_id)
        )

    @app.get("/zoom/zak")
    async def zak(request: Request) -> Response:
        user_id = authorized_user(svc, request)
        if user_id is None:
            return unauthorized()
        return await _mint(svc, user_id, "ZAK", svc.zoom.zak)

    @app.get("/zoom/join-token")
    async def join_token(request: Request) -> Response:
        user_id = authorized_user(svc, request)
        if user_id is None:
            return unauthorized()
        meeting_id = _single(request, MEETING_PARAM)
        if not meeting_id:
            return _plain("no token", 404)
        return await _mint(
            svc, user_id, "join token", lambda access: svc.zoom.join_token(access, meeting_id)
        )
