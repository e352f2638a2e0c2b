"""``/api/v2/zoom-oauth-apps/``: create, list, retrieve, update (PATCH) and delete."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from recall_sim.simulator.recall.api.auth import Guard
from recall_sim.simulator.recall.api.bodies import read_data
from recall_sim.simulator.recall.api.forms import parse_app_create, parse_app_update
from recall_sim.simulator.recall.api.params import app_query, cursor_param
from recall_sim.simulator.recall.api.responses import documented_errors, json_response, paginated
from recall_sim.simulator.recall.api.schemas import (
    AppCreateIn,
    AppUpdateIn,
    OAuthAppOut,
    PaginatedApps,
    request_body,
)
from recall_sim.simulator.recall.fake import FakeRecall

__all__ = ["apps_router"]


def apps_router(fake: FakeRecall, guard: Guard) -> APIRouter:
    router = APIRouter(prefix="/zoom-oauth-apps", tags=["zoom-oauth-apps"])
    any_request = [Depends(guard.any)]

    @router.post(
        "/",
        status_code=201,
        dependencies=any_request,
        responses={201: {"model": OAuthAppOut}, **documented_errors(400, 401, 413, 415, 429)},
        openapi_extra=request_body(AppCreateIn),
    )
    async def zoom_oauth_apps_create(request: Request) -> Response:
        form = parse_app_create(await read_data(request, max_bytes=fake.settings.max_body_bytes))
        app = fake.create_app(
            kind=form.kind,
            client_id=form.client_id,
            client_secret=form.client_secret,
            webhook_secret=form.webhook_secret,
        )
        return json_response(201, OAuthAppOut.of(app))

    @router.get(
        "/",
        dependencies=[Depends(guard.listing)],
        responses={200: {"model": PaginatedApps}, **documented_errors(400, 401, 404, 429)},
    )
    async def zoom_oauth_apps_list(
        request: Request,
        client_id: str | None = None,
        kind: str | None = None,
        created_at_after: str | None = None,
        created_at_before: str | None = None,
        cursor: str | None = None,
    ) -> Response:
        query = app_query(request.query_params)
        page = fake.list_apps(query, cursor=cursor_param(request.query_params))
        return json_response(200, PaginatedApps(**paginated(request, page, OAuthAppOut.of)))

    @router.get(
        "/{id}/",
        dependencies=any_request,
        responses={200: {"model": OAuthAppOut}, **documented_errors(401, 404, 429)},
    )
    async def zoom_oauth_apps_retrieve(id: str) -> Response:
        return json_response(200, OAuthAppOut.of(fake.get_app(id)))

    @router.patch(
        "/{id}/",
        dependencies=any_request,
        responses={200: {"model": OAuthAppOut}, **documented_errors(400, 401, 404, 413, 415, 429)},
        openapi_extra=request_body(AppUpdateIn),
    )
    async def zoom_oauth_apps_partial_update(id: str, request: Request) -> Response:
        fake.get_app(id)  # 404 before looking at the body, as DRF does
        form = parse_app_update(await read_data(request, max_bytes=fake.settings.max_body_bytes))
        app = fake.update_app(
            id, client_secret=form.client_secret, webhook_secret=form.webhook_secret
        )
        return json_response(200, OAuthAppOut.of(app))

    @router.delete(
        "/{id}/",
        status_code=204,
        dependencies=any_request,
        responses={204: {"description": "Deleted"}, **documented_errors(401, 404, 429)},
    )
    async def zoom_oauth_apps_destroy(id: str) -> Response:
        fake.delete_app(id)
        return Response(status_code=204)

    return router
