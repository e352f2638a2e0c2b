"""HTTP methods as a DRF view answers them: ``OPTIONS``, ``HEAD``, and 405 with ``Allow``.

DRF authenticates (and throttles) before it looks at the method, so an unsupported
method answers 401 without a key and 405 with one; the 405 and every ``OPTIONS``
answer carry ``Allow``: the view's methods in DRF's order, ``HEAD`` wherever ``GET``
is (Django serves ``HEAD`` as ``GET`` without the body) and ``OPTIONS`` everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recall_sim.simulator.recall.api.auth import Guard
from recall_sim.simulator.recall.api.errors import ApiError, error_response, http_error_response
from recall_sim.simulator.recall.api.responses import documented_errors
from recall_sim.simulator.recall.api.schemas import MetadataOut

__all__ = ["HeadAsGet", "add_options", "allow_header", "allowed_methods", "install_method_handling"]

# Django's View.http_method_names order, which DRF's Allow header follows.
_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> list[str]:
    """The methods the path in ``scope`` answers, in DRF's order (empty: no such path).

    Each method is asked of the routes' own matching (included routers are routes
    too), so this stays true to how requests are dispatched."""

    def answers(method: str) -> bool:
        probe = {**scope, "type": "http", "method": method}
        return any(route.matches(probe)[0] is Match.FULL for route in routes)

    answered = {m for m in _ORDER if m != "HEAD" and answers(m)}
    if "GET" in answered:
        answered.add("HEAD")  # served by `HeadAsGet`
    return [m for m in _ORDER if m in answered]


def allow_header(request: Request) -> dict[str, str]:
    """``{"Allow": ...}`` for the path of ``request`` on its app."""
    return {"Allow": ", ".join(allowed_methods(request.app.router.routes, request.scope))}


class HeadAsGet:
    """Serve ``HEAD`` as ``GET`` without the body, where the path has a ``GET``."""

    def __init__(self, app: ASGIApp, *, router: Router) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "HEAD"
            or "GET" not in allowed_methods(self.router.routes, scope)
        ):
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


def install_method_handling(api: FastAPI, guard: Guard) -> None:
    """405 after authentication and throttling, with ``Allow``; ``HEAD`` as ``GET``."""

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code != 405:
            return http_error_response(request, exc)
        try:
            guard.check(request.headers.get("authorization"), listing=False)
        except ApiError as refused:
            return error_response(refused)
        method = request.method.encode("ascii", "replace").decode()
        return error_response(
            ApiError.detail(405, f'Method "{method}" not allowed.', allow_header(request))
        )

    api.add_exception_handler(StarletteHTTPException, on_http_error)
    api.add_middleware(HeadAsGet, router=api.router)


def add_options(
    router: APIRouter,
    path: str,
    metadata: MetadataOut,
    guard: Guard,
    *,
    operation_id: str,
    tags: list[str | Enum] | None = None,
) -> None:
    """``OPTIONS path``: 200 with ``metadata`` and ``Allow`` once authenticated, as DRF does."""
    body = metadata.model_dump(mode="json", exclude_none=True)
    responses: dict[int | str, dict[str, Any]] = {
        200: {
            "model": MetadataOut,
            "description": "What the endpoint is and takes (DRF's SimpleMetadata)",
            "headers": {
                "Allow": {
                    "description": "The methods this path answers",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        },
        # DRF describes a detail view without fetching the record, so any id answers 200;
        # 404 only when the path does not route (a line break in the id, which the
        # ``/api/v2`` mount's pattern does not cross).
        **documented_errors(*((401, 404, 429) if "{id}" in path else (401, 429))),
    }

    def answer(request: Request) -> Response:
        return JSONResponse(body, headers=allow_header(request))

    options = router.options(
        path,
        operation_id=operation_id,
        summary="Describe the endpoint (DRF's OPTIONS metadata)",
        tags=tags,
        dependencies=[Depends(guard.any)],
        responses=responses,
    )
    if "{id}" in path:

        @options
        async def metadata_of_one(id: str, request: Request) -> Response:
            return answer(request)

    else:

        @options
        async def metadata_of_list(request: Request) -> Response:
            return answer(request)
