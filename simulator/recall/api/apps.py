"""``/api/v2/zoom-oauth-apps/``: create, list, retrieve, update (PATCH) and delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from recall_sim.simulator.recall.api import metadata
from recall_sim.simulator.recall.api.auth import Guard
from recall_sim.simulator.recall.api.bodies import read_data
from recall_sim.simulator.recall.api.forms import parse_app_create, parse_app_update
from recall_sim.simulator.recall.api.methods import add_options
from recall_sim.simulator.recall.api.params import (
    APP_PARAMETERS,
    app_query,
    cursor_param,
    documented,
)
from recall_sim.simulator.recall.api.responses import (
    BODY_ERRORS,
    FILTER_ERRORS,
    documented_errors,
    json_response,
    paginated,
)
from recall_sim.simulator.recall.api.schemas import (
    APP_CREATE_BODY,
    APP_UPDATE_BODY,
    PaginatedZoomOauthAppList,
    ZoomOauthApp,
    request_body,
)
from recall_sim.simulator.recall.fake import FakeRecall

__all__ = ["apps_router"]

_APP_ID = {"id": "$response.body#/id"}
# What a client can do next with a created app (OpenAPI links; Schemathesis follows them).
_CREATED_LINKS: dict[str, Any] = {
    "Retrieve": {"operationId": "zoom_oauth_apps_retrieve", "parameters": _APP_ID},
    "Update": {"operationId": "zoom_oauth_apps_partial_update", "parameters": _APP_ID},
    "Delete": {"operationId": "zoom_oauth_apps_destroy", "parameters": _APP_ID},
    "CreateCredential": {
        "operationId": "zoom_oauth_credentials_create",
        "requestBody": {"oauth_app": "$response.body#/id"},
    },
    "ListCredentials": {
        "operationId": "zoom_oauth_credentials_list",
        "parameters": {"oauth_app": "$response.body#/id"},
    },
    "ListLogs": {
        "operationId": "zoom_oauth_app_logs_list",
        "parameters": {"oauth_app": "$response.body#/id"},
    },
}


def apps_router(fake: FakeRecall, guard: Guard) -> APIRouter:
    router = APIRouter(prefix="/zoom-oauth-apps", tags=["zoom-oauth-apps"])
    any_request = [Depends(guard.any)]

    @router.post(
        "/",
        operation_id="zoom_oauth_apps_create",
        status_code=201,
        dependencies=any_request,
        responses={
            201: {"model": ZoomOauthApp, "links": _CREATED_LINKS},
            **documented_errors(401, 413, 415, 429, bad_request=BODY_ERRORS),
        },
        openapi_extra=request_body(APP_CREATE_BODY),
    )
    async def zoom_oauth_apps_create(request: Request) -> Response:
        form = parse_app_create(await read_data(request, max_bytes=fake.settings.max_body_bytes))
        app = fake.create_app(
            kind=form.kind,
            client_id=form.client_id,
            client_secret=form.client_secret,
            webhook_secret=form.webhook_secret,
        )
        return json_response(201, ZoomOauthApp.of(app))

    @router.get(
        "/",
        operation_id="zoom_oauth_apps_list",
        dependencies=[Depends(guard.listing)],
        responses={
            200: {"model": PaginatedZoomOauthAppList},
            **documented_errors(401, 404, 429, bad_request=FILTER_ERRORS),
        },
        openapi_extra=documented(APP_PARAMETERS),
    )
    async def zoom_oauth_apps_list(request: Request) -> Response:
        query = app_query(request.query_params)
        page = fake.list_apps(query, cursor=cursor_param(request.query_params))
        return json_response(
            200, PaginatedZoomOauthAppList(**paginated(request, page, ZoomOauthApp.of))
        )

    add_options(router, "/", metadata.APP_LIST, guard, operation_id="zoom_oauth_apps_options")

    @router.get(
        "/{id}/",
        operation_id="zoom_oauth_apps_retrieve",
        dependencies=any_request,
        responses={200: {"model": ZoomOauthApp}, **documented_errors(401, 404, 429)},
    )
    async def zoom_oauth_apps_retrieve(id: str) -> Response:
        return json_response(200, ZoomOauthApp.of(fake.get_app(id)))

    @router.patch(
        "/{id}/",
        operation_id="zoom_oauth_apps_partial_update",
        dependencies=any_request,
        responses={
            200: {"model": ZoomOauthApp},
            **documented_errors(401, 404, 413, 415, 429, bad_request=BODY_ERRORS),
        },
        # DRF's partial update: no body (or {}) changes nothing and answers 200.
        openapi_extra=request_body(APP_UPDATE_BODY, required=False),
    )
    async def zoom_oauth_apps_partial_update(id: str, request: Request) -> Response:
        fake.get_app(id)  # 404 before looking at the body, as DRF does
        form = parse_app_update(await read_data(request, max_bytes=fake.settings.max_body_bytes))
        app = fake.update_app(
            id, client_secret=form.client_secret, webhook_secret=form.webhook_secret
        )
        return json_response(200, ZoomOauthApp.of(app))

    @router.delete(
        "/{id}/",
        operation_id="zoom_oauth_apps_destroy",
        status_code=204,
        dependencies=any_request,
        responses={204: {"description": "Deleted"}, **documented_errors(401, 404, 429)},
    )
    async def zoom_oauth_apps_destroy(id: str) -> Response:
        fake.delete_app(id)
        return Response(status_code=204)

    add_options(
        router,
        "/{id}/",
        metadata.APP_INSTANCE,
        guard,
        operation_id="zoom_oauth_apps_instance_options",
    )

    return router
