"""HTTP adapter for the REST API (``/v2/...``): Bearer token in, Zoom-shaped JSON out.

The endpoints that mint OBF tokens, ZAKs and join tokens take injected faults
(`FaultEndpoint`), as the token endpoint does, so a callback's handling of a failing
or stalling Zoom can be tested.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from recall_sim.simulator.zoom.errors import ApiError
from recall_sim.simulator.zoom.fake import FakeZoom
from recall_sim.simulator.zoom.faults import FaultEndpoint, FaultKind
from recall_sim.simulator.zoom.http_faults import fault_response

__all__ = ["build_api_router"]

_FAULT_ENDPOINTS = {"onbehalf": FaultEndpoint.OBF, "zak": FaultEndpoint.ZAK}


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError.invalid_token()
    return token.strip()


def _answer(request: Request, call: Callable[[str], dict[str, Any]]) -> JSONResponse:
    try:
        return JSONResponse(call(_bearer(request)))
    except ApiError as exc:
        return JSONResponse(exc.body(), status_code=exc.status)


def build_api_router(zoom: FakeZoom) -> APIRouter:
    """The REST endpoints a Recall-style vendor calls, relative to the fake's base."""
    router = APIRouter(prefix="/v2", tags=["zoom api"])
    api = zoom.api

    async def minting(
        request: Request, endpoint: FaultEndpoint | None, call: Callable[[str], dict[str, Any]]
    ) -> Response:
        applied = None if endpoint is None else zoom.take_fault(endpoint)
        if applied is not None and applied.fault.kind is not FaultKind.STALL:
            return fault_response(applied.fault, api=True)
        if applied is not None:
            await asyncio.sleep(applied.fault.seconds)
            if await request.is_disconnected():
                zoom.record_abandoned(applied)
                return Response(status_code=408)
        return await run_in_threadpool(_answer, request, call)

    @router.get("/users/me")
    def me(request: Request) -> JSONResponse:
        return _answer(request, api.me)

    @router.get("/users/me/meetings")
    def my_meetings(request: Request) -> JSONResponse:
        return _answer(request, api.my_meetings)

    @router.get("/users/me/zak")
    async def my_zak(request: Request) -> Response:
        return await minting(request, FaultEndpoint.ZAK, lambda token: api.my_token(token, "zak"))

    @router.get("/users/{user_id}/token")
    async def user_token(request: Request, user_id: str) -> Response:
        token_type = request.query_params.get("type", "token")
        ttl = request.query_params.get("ttl")
        return await minting(
            request,
            _FAULT_ENDPOINTS.get(token_type),
            lambda token: api.user_token(token, user_id, token_type, ttl),
        )

    @router.get("/meetings/{meeting_id}/jointoken/local_recording")
    async def local_recording_token(request: Request, meeting_id: str) -> Response:
        return await minting(
            request,
            FaultEndpoint.JOIN_TOKEN,
            lambda token: api.local_recording_token(token, meeting_id),
        )

    return router
