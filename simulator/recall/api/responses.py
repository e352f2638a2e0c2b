"""Answer helpers shared by the routers: JSON bodies, pagination links, documented errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import JSONResponse

from recall_sim.simulator.recall.api.schemas import ErrorOut
from recall_sim.simulator.recall.pagination import Page, encode_cursor

__all__ = ["documented_errors", "json_response", "paginated"]

T = TypeVar("T")

_ERROR_TEXT = {
    400: 'Invalid input: {"<field>": ["<message>"]} or {"detail": ...}',
    401: "Missing or invalid API key",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Throttled (see Retry-After)",
}


def documented_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error answers an operation can give."""
    chosen = statuses or tuple(_ERROR_TEXT)
    return {s: {"model": ErrorOut, "description": _ERROR_TEXT[s]} for s in chosen}


def json_response(status: int, model: BaseModel) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status)


def paginated(
    request: Request, page: Page[T], serialize: Callable[[T], BaseModel]
) -> dict[str, Any]:
    """``{"next", "previous", "results"}`` with absolute links that keep the other parameters."""

    def link(cursor: Any) -> str | None:
        if cursor is None:
            return None
        return str(request.url.include_query_params(cursor=encode_cursor(cursor)))

    return {
        "next": link(page.next),
        "previous": link(page.previous),
        "results": [serialize(item) for item in page.items],
    }
