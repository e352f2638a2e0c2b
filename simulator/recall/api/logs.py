"""``/api/v2/zoom-oauth-credential-logs/`` and ``/api/v2/zoom-oauth-app-logs/`` (lists)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from recall_sim.simulator.recall.api.auth import Guard
from recall_sim.simulator.recall.api.params import app_log_query, credential_log_query, cursor_param
from recall_sim.simulator.recall.api.responses import documented_errors, json_response, paginated
from recall_sim.simulator.recall.api.schemas import (
    AppLogOut,
    CredentialLogOut,
    PaginatedAppLogs,
    PaginatedCredentialLogs,
)
from recall_sim.simulator.recall.fake import FakeRecall

__all__ = ["logs_router"]


def logs_router(fake: FakeRecall, guard: Guard) -> APIRouter:
    router = APIRouter(dependencies=[Depends(guard.listing)])

    @router.get(
        "/zoom-oauth-credential-logs/",
        tags=["zoom-oauth-credential-logs"],
        responses={
            200: {"model": PaginatedCredentialLogs},
            **documented_errors(400, 401, 404, 429),
        },
    )
    async def zoom_oauth_credential_logs_list(
        request: Request,
        credential: str | None = None,
        created_at_after: str | None = None,
        created_at_before: str | None = None,
        cursor: str | None = None,
    ) -> Response:
        query = credential_log_query(
            request.query_params,
            credential_exists=lambda c: fake.store.get_credential(c) is not None,
        )
        page = fake.credential_logs(query, cursor=cursor_param(request.query_params))
        body = PaginatedCredentialLogs(**paginated(request, page, CredentialLogOut.of))
        return json_response(200, body)

    @router.get(
        "/zoom-oauth-app-logs/",
        tags=["zoom-oauth-app-logs"],
        responses={200: {"model": PaginatedAppLogs}, **documented_errors(400, 401, 404, 429)},
    )
    async def zoom_oauth_app_logs_list(
        request: Request,
        oauth_app: str | None = None,
        created_at_after: str | None = None,
        created_at_before: str | None = None,
        cursor: str | None = None,
    ) -> Response:
        query = app_log_query(
            request.query_params, app_exists=lambda a: fake.store.get_app(a) is not None
        )
        page = fake.app_logs(query, cursor=cursor_param(request.query_params))
        return json_response(200, PaginatedAppLogs(**paginated(request, page, AppLogOut.of)))

    return router
