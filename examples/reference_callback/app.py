"""The FastAPI app: the Zoom connect flow and the access-token callback Recall calls.

Routes:

- ``GET /zoom/connect``: starts a user's Zoom connection (redirect to Zoom).
- ``GET /zoom/oauth-callback``: Zoom's redirect back; stores tokens, registers with Recall.
- ``GET /zoom/access-token?user-id=...&auth_token=...``: the callback (SPEC §1).
- ``GET /zoom/obf-token``, ``/zoom/zak``, ``/zoom/join-token``: the callbacks Recall calls
  before a bot joins (SPEC §7; `bot_tokens`).
- ``GET /healthz``: liveness, for process managers.

Every answer of the callback is ``text/plain`` with ``Cache-Control: no-store`` and a
short fixed body: the token, ``unauthorized`` (401), ``zoom not connected`` (404, the
user removed the app in Zoom) or ``token unavailable`` (503),
never details or stack traces (``hygiene.*``, ``auth.no-token-in-rejection``).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from .bot_tokens import add_bot_token_routes, authorized_user
from .onboarding import ConnectError, Onboarding
from .recall import RecallClient
from .settings import Settings
from .signatures import SignatureVerifier
from .store import TokenStore
from .tokens import TokenService, UserDisconnected
from .zoom import ZoomClient, ZoomError

__all__ = ["Service", "create_app"]

STATE_COOKIE = "zoom_connect_state"
_NO_STORE = {"Cache-Control": "no-store"}

log = logging.getLogger("reference_callback")


def _plain(body: str, status: int, **headers: str) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status, headers={**_NO_STORE, **headers})


def _unauthorized() -> PlainTextResponse:
    # One answer for every refusal (no signature, bad signature, unknown user, wrong
    # secret): the caller learns nothing about which check failed.
    return _plain("unauthorized", 401)


def _unavailable() -> PlainTextResponse:
    # Not 2xx: Recall must see a failure, not an empty or stale token (1.3, 1.4).
    return _plain("token unavailable", 503, **{"Retry-After": "5"})


@dataclass
class Service:
    """The app's collaborators; tests build one with a fake clock or transport."""

    settings: Settings
    store: TokenStore
    zoom: ZoomClient
    recall: RecallClient | None
    tokens: TokenService
    onboarding: Onboarding
    verifier: SignatureVerifier | None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Service:
        store = TokenStore(settings.database_path)
        zoom = ZoomClient(
            oauth_base=settings.zoom_oauth_base,
            api_base=settings.zoom_api_base,
            client_id=settings.zoom_client_id,
            client_secret=settings.zoom_client_secret,
            timeout=settings.zoom_timeout,
            transport=transport,
        )
        recall = None
        if settings.recall_api_key is not None:
            recall = RecallClient(
                base_url=settings.recall_api_base,
                api_key=settings.recall_api_key,
                timeout=settings.recall_timeout,
                oauth_app_id=settings.recall_oauth_app_id,
                transport=transport,
            )
        tokens = TokenService(
            store,
            zoom,
            margin=settings.refresh_margin,
            zoom_timeout=settings.zoom_timeout,
            check_interval=settings.zoom_check_interval,
            clock=clock,
        )
        verifier = None
        if settings.verification_secret is not None:
            verifier = SignatureVerifier(settings.verification_secret)
        return cls(
            settings=settings,
            store=store,
            zoom=zoom,
            recall=recall,
            tokens=tokens,
            onboarding=Onboarding(settings, store, zoom, recall, clock=clock),
            verifier=verifier,
        )

    async def aclose(self) -> None:
        await self.tokens.aclose()
        await self.zoom.close()
        if self.recall is not None:
            await self.recall.close()
        self.store.close()


def _single(request: Request, name: str) -> str | None:
    """The parameter's value when it is given exactly once (a repeated one is refused)."""
    values = request.query_params.getlist(name)
    return values[0] if len(values) == 1 else None


def create_app(settings: Settings, *, service: Service | None = None) -> FastAPI:
    """The ASGI app; ``service`` replaces the default collaborators (tests)."""
    svc = service if service is not None else Service.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await svc.aclose()

    app = FastAPI(
        title="Reference access-token callback",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.service = svc

    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Our own access log, because uvicorn's would print the query string, which
        # holds the callback secret (it runs with access_log=False).
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "%s %s -> %d in %.0f ms",
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    @app.get("/healthz")
    async def healthz() -> PlainTextResponse:
        return _plain("ok", 200)

    @app.get("/zoom/connect")
    async def connect() -> Response:
        state, url = svc.onboarding.start()
        response = RedirectResponse(url, status_code=302, headers=_NO_STORE)
        response.set_cookie(
            STATE_COOKIE,
            state,
            max_age=600,
            path="/zoom/oauth-callback",
            httponly=True,
            secure=settings.public_base_url.startswith("https://"),
            samesite="lax",
        )
        return response

    @app.get("/zoom/oauth-callback")
    async def oauth_callback(request: Request) -> Response:
        code, state = _single(request, "code"), _single(request, "state")
        cookie = request.cookies.get(STATE_COOKIE, "")
        if not code or not state:
            return _plain("Zoom did not send an authorization code; start again", 400)
        # The state must be the one this browser was given (login CSRF, RFC 6749 10.12).
        if not hmac.compare_digest(cookie.encode(), state.encode()):
            return _plain("connect attempt not recognised; start again", 400)
        try:
            connected = await svc.onboarding.finish(code=code, state=state)
        except ConnectError as exc:
            return _plain(str(exc), 400)
        except ZoomError as exc:
            log.warning("connect failed: %s", exc)
            return _plain("Zoom did not complete the connection; start again", 502)
        registered = (
            f"Recall credential {connected.recall_credential_id} registered."
            if connected.recall_credential_id
            else "Not registered with Recall (no RECALL_API_KEY)."
        )
        response = _plain(f"Zoom connected for user {connected.user_id}. {registered}", 200)
        response.delete_cookie(STATE_COOKIE, path="/zoom/oauth-callback")
        return response

    @app.get("/zoom/access-token")
    async def access_token(request: Request) -> Response:
        user_id = authorized_user(svc, request)
        if user_id is None:
            return _unauthorized()
        try:
            token = await svc.tokens.access_token(user_id)
        except UserDisconnected:
            # The user removed the app in Zoom: 404 (not 5xx, which Recall would retry as
            # transient), so Recall marks the credential unhealthy until they reconnect.
            return _plain("zoom not connected", 404)
        except Exception:
            log.exception("no token for user %s", user_id)
            token = None
        if token is None:
            return _unavailable()
        return _plain(token, 200)

    add_bot_token_routes(app, svc)
    return app
