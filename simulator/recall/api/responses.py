"""Answer helpers shared by the routers: JSON bodies, pagination links, documented errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import JSONResponse

from recall_sim.simulator.recall.api.schemas import DetailOut, FieldErrorsOut
from recall_sim.simulator.recall.pagination import Page, encode_cursor

__all__ = [
    "BODY_ERRORS",
    "FILTER_ERRORS",
    "documented_errors",
    "json_response",
    "paginated",
]

T = TypeVar("T")

# What a 400 looks like, per kind of operation (a model or a union of models).
BODY_ERRORS = (
    FieldErrorsOut | DetailOut,
    'Invalid fields, DRF style ({"<field>": ["<message>", ...]}), or a body that cannot be '
    'parsed ({"detail": "JSON parse error - ..."})',
)
FILTER_ERRORS = (FieldErrorsOut, 'Invalid filters: {"<parameter>": ["<message>"]}')


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": {"type": "string"}}


_ERRORS: dict[int, dict[str, Any]] = {
    401: {
        "description": "No API key, or a wrong one",
        "headers": {"WWW-Authenticate": _header('Always "Token"')},
    },
    404: {"description": 'No such record or path ({"detail": "Not found."}), or an invalid cursor'},
    413: {"description": "Request body too large"},
    415: {"description": "Unsupported media type"},
    429: {
        "description": "Throttled",
        "headers": {"Retry-After": _header("Seconds until a request will be accepted")},
    },
}


def documented_errors(
    *statuses: int, bad_request: tuple[Any, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error answers an operation gives: 400 as
    ``bad_request`` says (model, description), the others ``{"detail": ...}``."""
    responses: dict[int | str, dict[str, Any]] = {}
    if bad_request is not None:
        model, description = bad_request
        responses[400] = {"model": model, "description": description}
    for status in statuses:
        responses[status] = {"model": DetailOut, **_ERRORS[status]}
    return responses


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
