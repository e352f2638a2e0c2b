"""HTTP adapter for the OAuth endpoints: ``/oauth/authorize``, ``/oauth/token``, ``/oauth/revoke``.

Parsing is strict and total: whatever arrives, the answer is a Zoom-shaped 4xx or a
success, never a 500 (only injected faults answer 5xx).
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from recall_sim.simulator.zoom.errors import OAuthError
from recall_sim.simulator.zoom.fake import SIM_USER_PARAM, FakeZoom
from recall_sim.simulator.zoom.faults import FaultKind
from recall_sim.simulator.zoom.http_faults import fault_response, quiet_dropped_connection_logs
from recall_sim.simulator.zoom.tokens import TokenRequest

__all__ = ["MAX_FORM_BYTES", "build_oauth_router", "parse_form"]

# A token request is a few hundred bytes; anything far larger is a mistake or an attack.
MAX_FORM_BYTES = 16_384
_MAX_FIELDS = 50
_FORM_TYPE = "application/x-www-form-urlencoded"
# RFC 6749 §5.1: token responses must not be cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _error(exc: OAuthError) -> JSONResponse:
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="zoom"'
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise OAuthError.invalid_request("Request body too large.", status=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise OAuthError.invalid_request("Request body too large.", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_form(body: bytes, content_type: str | None, query: str) -> dict[str, str]:
    """The request's parameters from the query string and a form-encoded body.

    Zoom's own docs send them in the query string, OAuth libraries in the body, so
    both count; a parameter given twice is refused (RFC 6749 §3.2).
    """
    pairs = _pairs(query, "query string")
    if body:
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type != _FORM_TYPE:
            raise OAuthError.invalid_request(f"Content-Type must be {_FORM_TYPE}.")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise OAuthError.invalid_request("Request body is not UTF-8.") from None
        pairs += _pairs(text, "body")
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise OAuthError.invalid_request(f"Parameter {name[:40]!r} given more than once.")
        params[name] = value
    return params


def _pairs(text: str, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError:
        raise OAuthError.invalid_request(f"Too many parameters in the {where}.") from None


def _api_url(zoom: FakeZoom, request: Request, endpoint: str) -> str:
    """Where this fake is mounted, so clients that follow ``api_url`` stay on the fake."""
    if zoom.settings.api_url is not None:
        return zoom.settings.api_url
    mount = request.url.path.removesuffix(endpoint)
    return f"{request.url.scheme}://{request.url.netloc}{mount}"


def build_oauth_router(zoom: FakeZoom) -> APIRouter:
    """The OAuth endpoints of ``zoom``, relative to the fake's base (``/zoom`` in the app)."""
    quiet_dropped_connection_logs()
    router = APIRouter(tags=["zoom oauth"])

    @router.get("/oauth/authorize", response_model=None)
    def authorize(request: Request) -> Response:
        query = request.query_params
        try:
            location = zoom.authorize(
                client_id=query.get("client_id"),
                redirect_uri=query.get("redirect_uri"),
                response_type=query.get("response_type"),
                state=query.get("state"),
                user=query.get(SIM_USER_PARAM),
                code_challenge=query.get("code_challenge"),
                code_challenge_method=query.get("code_challenge_method"),
            )
        except OAuthError as exc:
            return _error(exc)
        return RedirectResponse(location, status_code=302)

    @router.post("/oauth/token", response_model=None)
    async def token(request: Request) -> Response:
        applied = zoom.take_fault()
        params: dict[str, str] = {}
        refusal: OAuthError | None = None
        try:
            # Read before any fault answers: closing a socket with unread request bytes
            # makes the kernel send RST, and a dropped connection would then look like
            # a reset one at random.
            body = await _read_body(request)
            params = parse_form(body, request.headers.get("content-type"), request.url.query)
        except OAuthError as exc:
            refusal = exc
        if applied is not None and applied.fault.kind is not FaultKind.STALL:
            return fault_response(applied.fault)
        if applied is not None:
            await asyncio.sleep(applied.fault.seconds)
            if await request.is_disconnected():
                # Nobody will read the answer; spending the refresh token now would lock
                # out a client that retries with it, which is not what is being tested.
                zoom.record_abandoned(applied)
                return Response(status_code=408)
        if refusal is not None:
            zoom.record_token_rejection(refusal)
            return _error(refusal)
        try:
            grant = zoom.token(
                TokenRequest(params=params, authorization=request.headers.get("authorization"))
            )
        except OAuthError as exc:
            return _error(exc)
        body_json = grant.response_body(api_url=_api_url(zoom, request, "/oauth/token"))
        return JSONResponse(body_json, headers=_NO_STORE)

    @router.post("/oauth/revoke", response_model=None)
    async def revoke(request: Request) -> Response:
        try:
            body = await _read_body(request)
            params = parse_form(body, request.headers.get("content-type"), request.url.query)
            zoom.revoke(authorization=request.headers.get("authorization"), params=params)
        except OAuthError as exc:
            return _error(exc)
        return JSONResponse({"status": "success"}, headers=_NO_STORE)

    return router
