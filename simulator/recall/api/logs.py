"""``/api/v2/zoom-oauth-credential-logs/`` and ``/api/v2/zoom-oauth-app-logs/`` (lists)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from recall_sim.simulator.recall.api import metadata
from recall_sim.simulator.recall.api.auth import Guard
from recall_sim.simulator.recall.api.methods import add_options
from recall_sim.simulator.recall.api.params import (
    APP_LOG_PARAMETERS,
    CREDENTIAL_LOG_PARAMETERS,
    app_log_query,
    credential_log_query,
    cursor_param,
    documented,
)
from recall_sim.simulator.recall.api.responses import (
    FILTER_ERRORS,
    documented_errors,
    json_response,
    paginated,
)
from recall_sim.simulator.recall.api.schemas import (
    PaginatedZoomOauthAppLogList,
    PaginatedZoomOauthCredentialLogList,
    ZoomOauthAppLog,
    ZoomOauthCredentialLog,
)
from recall_sim.simulator.recall.fake import FakeRecall

__all__ = ["logs_router"]

_LIST_ERRORS = documented_errors(401, 404, 429, bad_request=FILTER_ERRORS)


def logs_router(fake: FakeRecall, guard: Guard) -> APIRouter:
    router = APIRouter()
    listing = [Depends(guard.listing)]

    @router.get(
        "/zoom-oauth-credential-logs/",
        operation_id="zoom_oauth_credential_logs_list",
        tags=["zoom-oauth-credential-logs"],
        dependencies=listing,
        responses={200: {"model": PaginatedZoomOauthCredentialLogList}, **_LIST_ERRORS},
        openapi_extra=documented(CREDENTIAL_LOG_PARAMETERS),
    )
    async def zoom_oauth_credential_logs_list(request: Request) -> Response:
        query = credential_log_query(
            request.query_params,
            credential_exists=lambda c: fake.store.get_credential(c) is not None,
        )
        page = fake.credential_logs(query, cursor=cursor_param(request.query_params))
        body = PaginatedZoomOauthCredentialLogList(
            **paginated(request, page, ZoomOauthCredentialLog.of)
        )
        return json_response(200, body)

    add_options(
        router,
        "/zoom-oauth-credential-logs/",
        metadata.CREDENTIAL_LOG_LIST,
        guard,
        operation_id="zoom_oauth_credential_logs_options",
        tags=["zoom-oauth-credential-logs"],
    )

    @router.get(
        "/zoom-oauth-app-logs/",
        operation_id="zoom_oauth_app_logs_list",
        tags=["zoom-oauth-app-logs"],
        dependencies=listing,
        responses={200: {"model": PaginatedZoomOauthAppLogList}, **_LIST_ERRORS},
        openapi_extra=documented(APP_LOG_PARAMETERS),
    )
    async def zoom_oauth_app_logs_list(request: Request) -> Response:
        query = app_log_query(
            request.query_params, app_exists=lambda a: fake.store.get_app(a) is not None
        )
        page = fake.app_logs(query, cursor=cursor_param(request.query_params))
        return json_response(
            200, PaginatedZoomOauthAppLogList(**paginated(request, page, ZoomOauthAppLog.of))
        )

    add_options(
        router,
        "/zoom-oauth-app-logs/",
        metadata.APP_LOG_LIST,
        guard,
        operation_id="zoom_oauth_app_logs_options",
        tags=["zoom-oauth-app-logs"],
    )

    return router
