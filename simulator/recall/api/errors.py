"""DRF-shaped error answers for the fake Recall's API, and the handlers that produce them.

Error bodies are rendered with ASCII escapes: they can echo client input, and a
lone surrogate in a client's JSON must not turn a 400 into a 500 at encoding time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from recall_sim.simulator.recall.errors import (
    CallbackRejected,
    CredentialUnhealthy,
    DuplicateCredential,
    InvalidCursor,
    InvalidInput,
    NotFound,
    RecallError,
    ZoomRejected,
)

__all__ = [
    "NOT_FOUND",
    "ApiError",
    "SafeJSONResponse",
    "error_response",
    "http_error_response",
    "install_error_handlers",
]

NOT_FOUND = "Not found."


class SafeJSONResponse(Response):
    """JSON with non-ASCII escaped, so any echoed input encodes."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


class ApiError(Exception):
    """An answer other than success, with its DRF-shaped body."""

    def __init__(
        self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})

    @classmethod
    def detail(cls, status: int, text: str, headers: Mapping[str, str] | None = None) -> ApiError:
        return cls(status, {"detail": text}, headers)


def error_response(error: ApiError) -> SafeJSONResponse:
    return SafeJSONResponse(error.body, status_code=error.status, headers=error.headers)


def api_error_for(exc: RecallError) -> ApiError:
    """How Recall answers each refusal of the fake."""
    if isinstance(exc, NotFound):
        return ApiError.detail(404, NOT_FOUND)
    if isinstance(exc, InvalidCursor):
        return ApiError.detail(404, "Invalid cursor")  # DRF's CursorPagination wording
    if isinstance(exc, InvalidInput):
        return ApiError(400, exc.errors)
    if isinstance(exc, DuplicateCredential):
        return ApiError(400, {"detail": exc.detail, "conflicting_zoom_user_id": exc.user_id})
    if isinstance(exc, CallbackRejected | CredentialUnhealthy | ZoomRejected):
        return ApiError.detail(400, exc.detail)
    return ApiError.detail(400, str(exc))


def http_error_response(request: Request, exc: StarletteHTTPException) -> SafeJSONResponse:
    """Starlette's own refusals (no route, wrong method, ...) in DRF's shape."""
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        return error_response(ApiError.detail(404, NOT_FOUND, headers))
    if exc.status_code == 405:
        method = request.method.encode("ascii", "replace").decode()
        return error_response(ApiError.detail(405, f'Method "{method}" not allowed.', headers))
    return error_response(ApiError.detail(exc.status_code, str(exc.detail), headers))


def install_error_handlers(app: FastAPI) -> None:
    """Make every refusal of ``app`` look like Django REST Framework's."""

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def on_recall_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RecallError)
        return error_response(api_error_for(exc))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return http_error_response(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        # Parameters are declared as plain strings, so this is a safety net only.
        assert isinstance(exc, RequestValidationError)
        return error_response(ApiError.detail(400, "Invalid request parameters."))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RecallError, on_recall_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
