"""HTTP adapter for the REST API (``/v2/...``): Bearer token in, Zoom-shaped JSON out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from recall_sim.simulator.zoom.errors import ApiError
from recall_sim.simulator.zoom.fake import FakeZoom

__all__ = ["build_api_router"]


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

    @router.get("/users/me")
    def me(request: Request) -> JSONResponse:
        return _answer(request, api.me)

    @router.get("/users/me/meetings")
    def my_meetings(request: Request) -> JSONResponse:
        return _answer(request, api.my_meetings)

    @router.get("/users/me/zak")
    def my_zak(request: Request) -> JSONResponse:
        return _answer(request, lambda token: api.my_token(token, "zak"))

    @router.get("/users/me/token")
    def my_token(request: Request) -> JSONResponse:
        token_type = request.query_params.get("type", "token")
        return _answer(request, lambda token: api.my_token(token, token_type))

    @router.get("/meetings/{meeting_id}/jointoken/local_recording")
    def local_recording_token(request: Request, meeting_id: str) -> JSONResponse:
        return _answer(request, lambda token: api.local_recording_token(token, meeting_id))

    return router
